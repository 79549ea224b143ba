import Foundation
import NN

/// A `Conv2d(1 → out, kernel (kh, kw), stride = kernel, padding 0)` over one image channel, done as
/// im2col + one sgemm (`NN.Linear` over the flattened `[out, 1, kh, kw]` weight, which is already
/// the `[out, kh·kw]` row-major matrix the product needs).
struct PatchConv: Sendable {
    let kernelHeight: Int
    let kernelWidth: Int
    let linear: Linear
    var outChannels: Int { linear.outFeatures }

    init(_ w: inout AudioWeightBinder, _ prefix: String, out: Int, kernelHeight: Int, kernelWidth: Int) throws {
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        let k = kernelHeight * kernelWidth
        let weight = try w.take("\(prefix).weight", [out, 1, kernelHeight, kernelWidth])  // [out, 1, kh, kw]
        let bias = try w.take("\(prefix).bias", [out])                                     // [out]
        linear = Linear(weight: weight, bias: bias, inFeatures: k, outFeatures: out)
    }

    init(linear: Linear, kernelHeight: Int, kernelWidth: Int) {
        self.linear = linear
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
    }

    /// Output grid of an `height × width` image.
    func outputSize(height: Int, width: Int) -> (rows: Int, columns: Int) { (height / kernelHeight, width / kernelWidth) }

    /// `image` [height × width] → `out` [(rows·columns) × outChannels], patch (r, c) at row r·columns + c
    /// (the order of `flatten(2).transpose(1, 2)`). `columns` is scratch of rows·columns·kh·kw floats.
    func apply(_ image: UnsafePointer<Float>, height: Int, width: Int, columns: UnsafeMutablePointer<Float>,
               into out: UnsafeMutablePointer<Float>) {
        let (rows, cols) = outputSize(height: height, width: width)
        let kh = kernelHeight, kw = kernelWidth, k = kh * kw
        for r in 0..<rows {
            for c in 0..<cols {
                let dst = columns + (r * cols + c) * k
                for y in 0..<kh {
                    (dst + y * kw).update(from: image + (r * kh + y) * width + c * kw, count: kw)
                }
            }
        }
        linear.apply(columns, rows: rows * cols, into: out)
    }
}

/// laion_clap `PatchEmbed` (htsat.py:84-143) without fusion: `proj` = Conv2d(1, E, 4, stride 4) on the
/// 256 × 256 image → 64 × 64 tokens of width E, then `norm` = LayerNorm(E).
/// Keys `audio_branch.patch_embed.proj.{weight [E,1,4,4], bias [E]}`, `.norm.{weight,bias} [E]`.
public struct PatchEmbed: Sendable {
    let proj: PatchConv
    let norm: LayerNorm

    init(_ w: inout AudioWeightBinder, _ c: HTSATConfiguration) throws {
        proj = try PatchConv(&w, "audio_branch.patch_embed.proj", out: c.embedDim, kernelHeight: c.patchSize, kernelWidth: c.patchSize)
        norm = LayerNorm(weight: try w.take("audio_branch.patch_embed.norm.weight", [c.embedDim]),   // [E]
                         bias: try w.take("audio_branch.patch_embed.norm.bias", [c.embedDim]),       // [E]
                         epsilon: 1e-5)  // nn.LayerNorm default in both references
    }
}

/// laion_clap `AFF(channels=E, r=4, type='2D')` (feature_fusion.py:133-190), on token-major maps
/// ([tokens × E]; a 1×1 convolution is a Linear over tokens):
/// `xa = x + r`; `wei = sigmoid(local_att(xa) + global_att(xa))`; `out = 2·x·wei + 2·r·(1 − wei)`.
/// `local_att` = conv 1×1 E→E/r, BN, ReLU, conv E/r→E, BN; `global_att` = the same after
/// AdaptiveAvgPool2d(1) (the mean over tokens). Keys `…fusion_model.local_att.{0,1,3,4}.*`,
/// `…fusion_model.global_att.{1,2,4,5}.*`.
public struct AFF: Sendable {
    let localConv1: Linear, localBN1: BatchNormEval, localConv2: Linear, localBN2: BatchNormEval
    let globalConv1: Linear, globalBN1: BatchNormEval, globalConv2: Linear, globalBN2: BatchNormEval
    let channels: Int
    let inner: Int

    init(_ w: inout AudioWeightBinder, _ prefix: String, channels: Int, reduction: Int) throws {
        let inner = channels / reduction
        self.channels = channels
        self.inner = inner
        func conv(_ p: String, _ o: Int, _ i: Int) throws -> Linear {
            Linear(weight: try w.take("\(p).weight", [o, i, 1, 1]), bias: try w.take("\(p).bias", [o]),  // [o, i, 1, 1], [o]
                   inFeatures: i, outFeatures: o)
        }
        localConv1 = try conv("\(prefix).local_att.0", inner, channels)
        localBN1 = try BatchNormEval(&w, "\(prefix).local_att.1", channels: inner)
        localConv2 = try conv("\(prefix).local_att.3", channels, inner)
        localBN2 = try BatchNormEval(&w, "\(prefix).local_att.4", channels: channels)
        globalConv1 = try conv("\(prefix).global_att.1", inner, channels)
        globalBN1 = try BatchNormEval(&w, "\(prefix).global_att.2", channels: inner)
        globalConv2 = try conv("\(prefix).global_att.4", channels, inner)
        globalBN2 = try BatchNormEval(&w, "\(prefix).global_att.5", channels: channels)
    }

    /// `x` (global) and `r` (local) [tokens × E]; the result replaces `x`. `sum`, `hidden` and `local`
    /// are scratch of tokens·E, tokens·E/r and tokens·E floats.
    func apply(x: UnsafeMutablePointer<Float>, r: UnsafePointer<Float>, tokens: Int,
               sum: UnsafeMutablePointer<Float>, hidden: UnsafeMutablePointer<Float>, local: UnsafeMutablePointer<Float>) {
        let e = channels
        for i in 0..<tokens * e { sum[i] = x[i] + r[i] }
        // local_att over every token
        localConv1.apply(sum, rows: tokens, into: hidden)
        localBN1.applyChannelsLast(hidden, rows: tokens)
        Activation.relu(hidden, count: tokens * inner)
        localConv2.apply(hidden, rows: tokens, into: local)
        localBN2.applyChannelsLast(local, rows: tokens)
        // global_att on the token mean (AdaptiveAvgPool2d(1))
        var mean = [Float](repeating: 0, count: e)
        for c in 0..<e {
            var s: Float = 0
            for t in 0..<tokens { s += sum[t * e + c] }
            mean[c] = s / Float(tokens)
        }
        var g1 = globalConv1.apply(mean, rows: 1)
        g1.withUnsafeMutableBufferPointer { p in
            globalBN1.applyChannelsLast(p.baseAddress!, rows: 1)
            Activation.relu(p.baseAddress!, count: inner)
        }
        var g2 = globalConv2.apply(g1, rows: 1)
        g2.withUnsafeMutableBufferPointer { globalBN2.applyChannelsLast($0.baseAddress!, rows: 1) }
        for t in 0..<tokens {
            for c in 0..<e {
                let i = t * e + c
                let wei = 1 / (1 + expf(-(local[i] + g2[c])))
                x[i] = 2 * x[i] * wei + 2 * r[i] * (1 - wei)
            }
        }
    }
}

/// laion_clap `PatchEmbed` with `fusion_type='aff_2d'` (htsat.py:108-136): channel 0 (the whole clip,
/// shrunk) goes through `proj`; for `longer` clips channels 1–3 (three 10 s crops) each go through
/// `mel_conv2d` = Conv2d(1, E, (4, 12), stride (4, 12)) → 64 × 21, are laid side by side along the
/// width (column `crop·21 + w`), zero-padded to 64, and fused into the global map by `AFF`.
/// Keys `audio_branch.patch_embed.mel_conv2d.{weight [E,1,4,12], bias [E]}`, `…fusion_model.*`.
public struct FusedPatchEmbed: Sendable {
    let melConv: PatchConv
    let fusion: AFF

    init(_ w: inout AudioWeightBinder, _ c: HTSATConfiguration) throws {
        melConv = try PatchConv(&w, "audio_branch.patch_embed.mel_conv2d", out: c.embedDim,
                                kernelHeight: c.patchSize, kernelWidth: 3 * c.patchSize)
        fusion = try AFF(&w, "audio_branch.patch_embed.fusion_model", channels: c.embedDim, reduction: c.affReduction)
    }
}

extension HTSAT {
    /// Patch embedding of `channels` images in `s.image` → tokens in `s.x` [grid² × E], normalised.
    func patchEmbed(_ s: HTSATScratch, longer: Bool) {
        let c = configuration, side = c.specSize, grid = c.gridSize, e = c.embedDim
        patchEmbed.proj.apply(s.image, height: side, width: side, columns: s.hidden, into: s.x)
        if longer, let fused = fusedPatchEmbed {
            // local: three crops through mel_conv2d, arranged [grid rows × (crop·w + column)], zero-padded
            let (rows, cols) = fused.melConv.outputSize(height: side, width: side)
            let convOut = s.qkv
            for k in 0..<3 {
                fused.melConv.apply(s.image + (k + 1) * side * side, height: side, width: side, columns: s.hidden,
                                    into: convOut + k * rows * cols * e)
            }
            let local = s.context
            local.update(repeating: 0, count: grid * grid * e)
            for h in 0..<min(rows, grid) {
                for k in 0..<3 {
                    for wc in 0..<cols {
                        let column = k * cols + wc
                        guard column < grid else { continue }  // laion crops to the global width (htsat.py:126)
                        (local + (h * grid + column) * e).update(from: convOut + (k * rows * cols + h * cols + wc) * e, count: e)
                    }
                }
            }
            fused.fusion.apply(x: s.x, r: local, tokens: grid * grid, sum: s.windows, hidden: s.normed, local: s.output)
        }
        patchEmbed.norm.apply(s.x, rows: grid * grid)
    }
}
