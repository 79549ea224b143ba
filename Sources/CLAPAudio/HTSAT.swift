import Foundation
import NN

/// Receives every intermediate the parity tests compare, by the reference's module names:
/// `bn0` [C × frames × mel], `image` [C × spec × spec], `patch_embed` [grid² × E], `stage0`…
/// (output of `layers[i]`, after its patch merging), `pooled` [F], `projected` [P], `embedding` [P].
public typealias StageObserver = (_ stage: String, _ values: [Float]) -> Void

/// laion_clap `HTSAT_Swin_Transformer` (htsat.py:593-1030) on the embedding path: bn0 → bicubic
/// resize + fold (`reshape_wav2img`) → patch embedding (fused for `longer` clips) → Swin stages →
/// `norm` → mean of the final tokens (`forward_features`' `'embedding'`, htsat.py:774-819).
/// `tscam_conv` and `head` only feed the clip-wise AudioSet logits and are not built.
public struct HTSAT: Sendable {
    public let configuration: HTSATConfiguration
    let bn0: BatchNormMelBins
    let patchEmbed: PatchEmbed
    let fusedPatchEmbed: FusedPatchEmbed?
    public let layers: [BasicLayer]
    /// Final LayerNorm(F), keys `audio_branch.norm.{weight,bias}` [F].
    let norm: LayerNorm

    init(_ w: inout AudioWeightBinder, _ c: HTSATConfiguration) throws {
        configuration = c
        bn0 = try BatchNormMelBins(&w, melBins: c.melBins)
        patchEmbed = try PatchEmbed(&w, c)
        fusedPatchEmbed = c.enableFusion ? try FusedPatchEmbed(&w, c) : nil
        var resolution = c.gridSize
        var layers: [BasicLayer] = []
        for i in 0..<c.depths.count {
            layers.append(try BasicLayer(&w, index: i, resolution: resolution, configuration: c))
            if i < c.depths.count - 1 { resolution /= 2 }
        }
        self.layers = layers
        norm = LayerNorm(weight: try w.take("audio_branch.norm.weight", [c.finalDim]),   // [F]
                         bias: try w.take("audio_branch.norm.bias", [c.finalDim]),       // [F]
                         epsilon: 1e-5)
    }

    /// Features `[channels × frames × mel]` → the pooled embedding [F].
    func forward(_ features: UnsafePointer<Float>, channels: Int, frames: Int, longer: Bool,
                 scratch s: HTSATScratch, observe: StageObserver?) -> [Float] {
        let c = configuration
        let used = longer ? channels : 1  // short clips read channel 0 only (htsat.py:868-879)
        let plane = frames * c.melBins, side = c.specSize
        s.features.update(from: features, count: used * plane)
        let resize = BicubicTimeResize(inputFrames: frames, outputFrames: c.targetFrames)
        for ch in 0..<used {
            bn0.apply(s.features + ch * plane, frames: frames)
            resize.resizeAndFold(s.features + ch * plane, bins: c.melBins, freqRatio: c.freqRatio, into: s.image + ch * side * side)
        }
        observe?("bn0", Array(UnsafeBufferPointer(start: s.features, count: used * plane)))
        observe?("image", Array(UnsafeBufferPointer(start: s.image, count: used * side * side)))
        patchEmbed(s, longer: longer && channels > 1)
        observe?("patch_embed", Array(UnsafeBufferPointer(start: s.x, count: c.gridSize * c.gridSize * c.embedDim)))
        for (i, layer) in layers.enumerated() {
            layer.apply(s)
            if let observe {
                let res = layer.downsample == nil ? layer.resolution : layer.resolution / 2
                observe("stage\(i)", Array(UnsafeBufferPointer(start: s.x, count: res * res * (c.embedDim << (i + (layer.downsample == nil ? 0 : 1))))))
            }
        }
        let last = layers[layers.count - 1].resolution
        let tokens = last * last, f = c.finalDim
        norm.apply(s.x, rows: tokens)
        // AdaptiveAvgPool1d(1) over the tokens: a float sum, then one division (ATen adaptive_avg_pool).
        var pooled = [Float](repeating: 0, count: f)
        for j in 0..<f {
            var sum: Float = 0
            for t in 0..<tokens { sum += s.x[t * f + j] }
            pooled[j] = sum / Float(tokens)
        }
        observe?("pooled", pooled)
        return pooled
    }
}

/// laion_clap `audio_projection` (model.py:539-543): Linear(F, P), ReLU, Linear(P, P).
/// Keys `audio_projection.0.{weight [P,F], bias [P]}`, `audio_projection.2.{weight [P,P], bias [P]}`.
public struct AudioProjection: Sendable {
    let first: Linear
    let second: Linear

    init(_ w: inout AudioWeightBinder, _ c: HTSATConfiguration) throws {
        let p = c.projectionDim, f = c.finalDim
        first = Linear(weight: try w.take("audio_projection.0.weight", [p, f]), bias: try w.take("audio_projection.0.bias", [p]),
                       inFeatures: f, outFeatures: p)
        second = Linear(weight: try w.take("audio_projection.2.weight", [p, p]), bias: try w.take("audio_projection.2.bias", [p]),
                        inFeatures: p, outFeatures: p)
    }

    func apply(_ pooled: [Float]) -> [Float] {
        var h = first.apply(pooled, rows: 1)
        h.withUnsafeMutableBufferPointer { Activation.relu($0.baseAddress!, count: $0.count) }
        return second.apply(h, rows: 1)
    }
}
