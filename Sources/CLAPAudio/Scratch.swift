import LinearAlgebra
import NN

/// Scratch memory for one clip's forward pass. Every `embed` call allocates its own, so one loaded
/// model (immutable weights) serves concurrent calls; nothing is allocated per element or per layer.
final class HTSATScratch {
    /// Token activations [N₀ × C₀] at most (every stage halves N·C), and the same-sized work areas.
    let x: UnsafeMutablePointer<Float>
    let normed: UnsafeMutablePointer<Float>
    let windows: UnsafeMutablePointer<Float>
    let context: UnsafeMutablePointer<Float>
    let output: UnsafeMutablePointer<Float>
    /// [N₀ × 3C₀] for q, k, v.
    let qkv: UnsafeMutablePointer<Float>
    /// [N₀ × mlp·C₀] for the MLP hidden layer (also the im2col matrix and the AFF's local branch).
    let hidden: UnsafeMutablePointer<Float>
    /// Attention work areas, one per worker, `scoresStride` floats apart: [window² × window²], or
    /// `FastKernels.windowAttentionScratchCount` if larger.
    let scores: UnsafeMutablePointer<Float>
    let scoresStride: Int
    /// Workers the window attention splits its windows over (the BLAS thread count when the scratch
    /// was made; the bits do not depend on it).
    let attentionWorkers: Int
    /// [channels × specSize²] the bn0 output and the image.
    let features: UnsafeMutablePointer<Float>
    let image: UnsafeMutablePointer<Float>
    private let sizes: [Int]

    init(_ c: HTSATConfiguration, channels: Int, frames: Int, workers: Int = BLAS.threadCount) {
        let tokens = c.gridSize * c.gridSize
        let tokenFloats = tokens * c.embedDim
        let patchColumns = tokens * c.patchSize * c.patchSize
        // Fused local branch: 3 crops × grid × (spec / 3p) patches of p·3p columns.
        let localColumns = 3 * c.gridSize * (c.specSize / (3 * c.patchSize)) * (3 * c.patchSize * c.patchSize)
        let window = c.windowSize * c.windowSize
        let headDimension = c.numHeads.indices.map { (c.embedDim << $0) / max(c.numHeads[$0], 1) }.max() ?? 1
        scoresStride = max(window * window, FastKernels.windowAttentionScratchCount(tokens: window, headDimension: headDimension))
        attentionWorkers = max(1, workers)
        let attention = scoresStride * attentionWorkers
        sizes = [tokenFloats, tokenFloats, tokenFloats, tokenFloats, tokenFloats, 3 * tokenFloats,
                 max(c.mlpRatio * tokenFloats, patchColumns, localColumns, 3 * tokenFloats), attention,
                 channels * frames * c.melBins, channels * c.specSize * c.specSize]
        let p = sizes.map { UnsafeMutablePointer<Float>.allocate(capacity: max($0, 1)) }
        for (q, n) in zip(p, sizes) { q.initialize(repeating: 0, count: max(n, 1)) }
        (x, normed, windows, context, output, qkv, hidden, scores, features, image) =
            (p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9])
    }

    deinit {
        for q in [x, normed, windows, context, output, qkv, hidden, scores, features, image] { q.deallocate() }
    }
}
