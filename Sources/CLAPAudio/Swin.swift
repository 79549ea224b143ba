import Foundation
import NN

/// laion_clap `WindowAttention` (htsat.py:279-357): multi-head self-attention inside each window of
/// `window²` tokens with a learned relative position bias.
///
/// `qkv` = Linear(C, 3C) with output order [q; k; v], heads interleaved as `reshape(B_, N, 3, nH, d)`;
/// `attn = softmax(q·kᵀ·d^-½ + B_rel (+ mask))`; `out = proj(attn·v)`. `B_rel[h][i][j] =
/// table[(Δrow + w − 1)·(2w − 1) + (Δcol + w − 1)][h]`, Δ = coords(i) − coords(j).
/// Fast path: one sgemm for qkv over every token of every window; `FastKernels.windowAttention`
/// (scores, bias, mask, softmax and attn·v per head in registers, vectorised exp); one sgemm for
/// proj. Keys `…attn.qkv.{weight [3C,C], bias [3C]}`,
/// `…attn.proj.{weight [C,C], bias [C]}`, `…attn.relative_position_bias_table [(2w−1)², nH]`.
public struct WindowAttention: Sendable {
    public let dim: Int
    public let heads: Int
    public let window: Int
    let qkv: Linear
    let proj: Linear
    /// `[heads × window² × window²]`, the gathered relative position bias.
    let bias: [Float]

    init(_ w: inout AudioWeightBinder, _ prefix: String, dim: Int, heads: Int, window: Int) throws {
        self.dim = dim
        self.heads = heads
        self.window = window
        qkv = Linear(weight: try w.take("\(prefix).qkv.weight", [3 * dim, dim]),      // [3C, C]
                     bias: try w.take("\(prefix).qkv.bias", [3 * dim]),                 // [3C]
                     inFeatures: dim, outFeatures: 3 * dim)
        proj = Linear(weight: try w.take("\(prefix).proj.weight", [dim, dim]),        // [C, C]
                      bias: try w.take("\(prefix).proj.bias", [dim]),                   // [C]
                      inFeatures: dim, outFeatures: dim)
        let side = 2 * window - 1
        let table = try w.take("\(prefix).relative_position_bias_table", [side * side, heads])  // [(2w−1)², nH]
        let index = Self.relativePositionIndex(window: window)
        try w.checkRecomputed("\(prefix).relative_position_index", expected: index.map(Float.init))
        let t = window * window
        var bias = [Float](repeating: 0, count: heads * t * t)
        for h in 0..<heads { for i in 0..<(t * t) { bias[h * t * t + i] = table[index[i] * heads + h] } }
        self.bias = bias
    }

    init(qkv: Linear, proj: Linear, table: [Float], heads: Int, window: Int) {
        self.dim = proj.outFeatures
        self.heads = heads
        self.window = window
        self.qkv = qkv
        self.proj = proj
        let t = window * window
        let index = Self.relativePositionIndex(window: window)
        var bias = [Float](repeating: 0, count: heads * t * t)
        for h in 0..<heads { for i in 0..<(t * t) { bias[h * t * t + i] = table[index[i] * heads + h] } }
        self.bias = bias
    }

    /// `relative_position_index` [w², w²] (htsat.py:300-311), row-major.
    public static func relativePositionIndex(window: Int) -> [Int] {
        let t = window * window
        var index = [Int](repeating: 0, count: t * t)
        for i in 0..<t {
            for j in 0..<t {
                let dr = i / window - j / window + window - 1
                let dc = i % window - j % window + window - 1
                index[i * t + j] = dr * (2 * window - 1) + dc
            }
        }
        return index
    }

    /// `input` [windows·w² × C] (window-major) → `output` [windows·w² × C]. `mask` [windows × w² × w²]
    /// or nil. Scratch: `qkvBuffer` [windows·w² × 3C], `context` [windows·w² × C], `scores`:
    /// `workers` areas of `scoresStride` ≥ `FastKernels.windowAttentionScratchCount(tokens: w², headDimension: C/heads)`
    /// floats. With `workers` > 1 the windows are split into that many contiguous runs computed in
    /// parallel; every window gets the same arithmetic either way, so the bits do not depend on it.
    func apply(_ input: UnsafePointer<Float>, windows: Int, mask: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
               qkvBuffer: UnsafeMutablePointer<Float>, context: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>,
               scoresStride: Int, workers: Int) {
        let t = window * window, c = dim, d = dim / heads, heads = heads
        let scale = 1 / Float(d).squareRoot()
        qkv.apply(input, rows: windows * t, into: qkvBuffer)
        bias.withUnsafeBufferPointer { b in
            nonisolated(unsafe) let (q, m, o, s, bp) = (qkvBuffer, mask, context, scores, b.baseAddress!)
            let runs = max(1, min(workers, windows))
            let run: @Sendable (Int) -> Void = { p in
                let lo = windows * p / runs, hi = windows * (p + 1) / runs
                FastKernels.windowAttention(qkv: q + lo * t * 3 * c, windows: hi - lo, tokens: t, heads: heads, headDimension: d,
                                            bias: bp, mask: m.map { $0 + lo * t * t }, scale: scale,
                                            context: o + lo * t * c, scratch: s + p * scoresStride)
            }
            if runs == 1 { run(0) } else { DispatchQueue.concurrentPerform(iterations: runs, execute: run) }
        }
        proj.apply(context, rows: windows * t, into: output)
    }
}

/// The shifted-window mask (htsat.py:414-436): the (cyclically shifted) grid is cut into 3 × 3
/// regions by the slices [0, H−w), [H−w, H−s), [H−s, H); within a window two tokens of different
/// regions get −100, others 0. `[windows × w² × w²]`, windows row-major.
func shiftedWindowMask(height: Int, width: Int, window: Int, shift: Int) -> [Float] {
    func region(_ i: Int, _ n: Int) -> Int { i < n - window ? 0 : (i < n - shift ? 1 : 2) }
    let t = window * window, wr = height / window, wc = width / window
    var mask = [Float](repeating: 0, count: wr * wc * t * t)
    for a in 0..<wr {
        for b in 0..<wc {
            let labels = (0..<t).map { p in region(a * window + p / window, height) * 3 + region(b * window + p % window, width) }
            let base = (a * wc + b) * t * t
            for i in 0..<t { for j in 0..<t where labels[i] != labels[j] { mask[base + i * t + j] = -100 } }
        }
    }
    return mask
}

/// laion_clap `SwinTransformerBlock` (htsat.py:364-486), `norm_before_mlp='ln'`:
/// `x = x + W-MSA(LN1(x))` with the cyclic shift `roll(−s)` before and `roll(+s)` after;
/// `x = x + fc2(GELU(fc1(LN2(x))))`. Blocks with odd index shift by w/2, unless the grid is no
/// larger than the window (then no shift and one window; htsat.py:393-396).
/// Keys `…blocks.j.norm1.*` [C], `…attn.*`, `…norm2.*` [C], `…mlp.fc1.{weight [4C,C], bias [4C]}`,
/// `…mlp.fc2.{weight [C,4C], bias [C]}`.
public struct SwinTransformerBlock: Sendable {
    public let dim: Int
    public let resolution: Int
    public let window: Int
    public let shift: Int
    let norm1: LayerNorm
    let attention: WindowAttention
    let norm2: LayerNorm
    let fc1: Linear
    let fc2: Linear
    /// `[windows × w² × w²]` when shifted, else empty.
    let mask: [Float]

    init(_ w: inout AudioWeightBinder, _ prefix: String, dim: Int, heads: Int, resolution: Int, index: Int,
         configuration c: HTSATConfiguration) throws {
        self.dim = dim
        self.resolution = resolution
        let window = min(resolution, c.windowSize)
        self.window = window
        shift = (index % 2 == 1 && resolution > c.windowSize) ? c.windowSize / 2 : 0
        let eps = c.layerNormEpsilon
        norm1 = LayerNorm(weight: try w.take("\(prefix).norm1.weight", [dim]), bias: try w.take("\(prefix).norm1.bias", [dim]), epsilon: eps)
        attention = try WindowAttention(&w, "\(prefix).attn", dim: dim, heads: heads, window: window)
        norm2 = LayerNorm(weight: try w.take("\(prefix).norm2.weight", [dim]), bias: try w.take("\(prefix).norm2.bias", [dim]), epsilon: eps)
        let hidden = c.mlpRatio * dim
        fc1 = Linear(weight: try w.take("\(prefix).mlp.fc1.weight", [hidden, dim]), bias: try w.take("\(prefix).mlp.fc1.bias", [hidden]),
                     inFeatures: dim, outFeatures: hidden)
        fc2 = Linear(weight: try w.take("\(prefix).mlp.fc2.weight", [dim, hidden]), bias: try w.take("\(prefix).mlp.fc2.bias", [dim]),
                     inFeatures: hidden, outFeatures: dim)
        mask = shift > 0 ? shiftedWindowMask(height: resolution, width: resolution, window: window, shift: shift) : []
    }

    /// A block from explicit parameters (tests compare it with `HTSATReference.swinBlock`).
    init(_ p: HTSATReference.BlockParameters) {
        dim = p.dim
        resolution = p.resolution
        window = p.window
        shift = p.shift
        norm1 = LayerNorm(weight: p.norm1Weight, bias: p.norm1Bias, epsilon: 1e-5)
        norm2 = LayerNorm(weight: p.norm2Weight, bias: p.norm2Bias, epsilon: 1e-5)
        attention = WindowAttention(qkv: Linear(weight: p.qkvWeight, bias: p.qkvBias, inFeatures: p.dim, outFeatures: 3 * p.dim),
                                    proj: Linear(weight: p.projWeight, bias: p.projBias, inFeatures: p.dim, outFeatures: p.dim),
                                    table: p.table, heads: p.heads, window: p.window)
        fc1 = Linear(weight: p.fc1Weight, bias: p.fc1Bias, inFeatures: p.dim, outFeatures: p.fc1Bias.count)
        fc2 = Linear(weight: p.fc2Weight, bias: p.fc2Bias, inFeatures: p.fc1Bias.count, outFeatures: p.dim)
        mask = p.shift > 0 ? shiftedWindowMask(height: p.resolution, width: p.resolution, window: p.window, shift: p.shift) : []
    }

    /// Grid position (row-major token index) of window token `k` (window-major order) after the shift.
    @inline(__always)
    func source(ofWindowToken k: Int) -> Int {
        let t = window * window, perRow = resolution / window
        let wi = k / t, p = k % t
        let r = ((wi / perRow) * window + p / window + shift) % resolution
        let col = ((wi % perRow) * window + p % window + shift) % resolution
        return r * resolution + col
    }

    /// `s.x` [res² × C] in place.
    func apply(_ s: HTSATScratch) {
        let n = resolution * resolution, c = dim
        let windows = n / (window * window)
        // LN1, roll(−shift) and window partition in one gather
        for k in 0..<n { (s.windows + k * c).update(from: s.x + source(ofWindowToken: k) * c, count: c) }
        norm1.apply(s.windows, rows: n)
        mask.withUnsafeBufferPointer { m in
            attention.apply(s.windows, windows: windows, mask: shift > 0 ? m.baseAddress : nil, output: s.output,
                            qkvBuffer: s.qkv, context: s.context, scores: s.scores, scoresStride: s.scoresStride,
                            workers: s.attentionWorkers)
        }
        // window reverse, roll(+shift) and the residual in one scatter
        for k in 0..<n {
            let dst = s.x + source(ofWindowToken: k) * c, src = s.output + k * c
            for j in 0..<c { dst[j] += src[j] }
        }
        // MLP
        s.normed.update(from: s.x, count: n * c)
        norm2.apply(s.normed, rows: n)
        fc1.apply(s.normed, rows: n, into: s.hidden)
        Activation.geluErf(s.hidden, count: n * fc1.outFeatures)
        fc2.apply(s.hidden, rows: n, into: s.output)
        for i in 0..<(n * c) { s.x[i] += s.output[i] }
    }
}

/// laion_clap `PatchMerging` (htsat.py:488-527): `cat[x(0::2, 0::2), x(1::2, 0::2), x(0::2, 1::2),
/// x(1::2, 1::2)]` along channels, LayerNorm(4C), Linear(4C → 2C, no bias).
/// Keys `…downsample.norm.{weight,bias} [4C]`, `…downsample.reduction.weight [2C, 4C]`.
public struct PatchMerging: Sendable {
    public let dim: Int
    let norm: LayerNorm
    let reduction: Linear

    init(_ w: inout AudioWeightBinder, _ prefix: String, dim: Int, epsilon: Float) throws {
        self.dim = dim
        norm = LayerNorm(weight: try w.take("\(prefix).norm.weight", [4 * dim]), bias: try w.take("\(prefix).norm.bias", [4 * dim]), epsilon: epsilon)  // [4C]
        reduction = Linear(weight: try w.take("\(prefix).reduction.weight", [2 * dim, 4 * dim]), bias: nil,  // [2C, 4C]
                           inFeatures: 4 * dim, outFeatures: 2 * dim)
    }

    /// `s.x` [res² × C] → `s.x` [(res/2)² × 2C].
    func apply(_ s: HTSATScratch, resolution: Int) {
        let half = resolution / 2, c = dim
        for i in 0..<half {
            for j in 0..<half {
                let dst = s.windows + (i * half + j) * 4 * c
                let parts = [(2 * i, 2 * j), (2 * i + 1, 2 * j), (2 * i, 2 * j + 1), (2 * i + 1, 2 * j + 1)]
                for (q, (r, col)) in parts.enumerated() {
                    (dst + q * c).update(from: s.x + (r * resolution + col) * c, count: c)
                }
            }
        }
        norm.apply(s.windows, rows: half * half)
        reduction.apply(s.windows, rows: half * half, into: s.x)
    }
}

/// laion_clap `BasicLayer` (htsat.py:529-592): `depth` Swin blocks, then `PatchMerging` for every
/// stage but the last. Keys `audio_branch.layers.i.blocks.j.*`, `audio_branch.layers.i.downsample.*`.
public struct BasicLayer: Sendable {
    public let blocks: [SwinTransformerBlock]
    public let downsample: PatchMerging?
    public let resolution: Int

    init(_ w: inout AudioWeightBinder, index i: Int, resolution: Int, configuration c: HTSATConfiguration) throws {
        self.resolution = resolution
        let dim = c.embedDim << i
        blocks = try (0..<c.depths[i]).map { j in
            try SwinTransformerBlock(&w, "audio_branch.layers.\(i).blocks.\(j)", dim: dim, heads: c.numHeads[i],
                                     resolution: resolution, index: j, configuration: c)
        }
        downsample = i < c.depths.count - 1
            ? try PatchMerging(&w, "audio_branch.layers.\(i).downsample", dim: dim, epsilon: 1e-5) : nil  // nn.LayerNorm default in both references
    }

    func apply(_ s: HTSATScratch) {
        for b in blocks { b.apply(s) }
        downsample?.apply(s, resolution: resolution)
    }
}
