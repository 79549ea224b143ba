import CLAPAudio
import Foundation
import TestSupport

/// A random-weight HTSAT in laion_clap names, written as `.safetensors`: used where the small
/// fixtures are too small (OpenBLAS only splits products across threads above a size).
enum RandomModel {
    /// Every tensor the audio encoder binds for `c` (laion names), with its shape.
    static func tensorShapes(_ c: HTSATConfiguration) -> [(key: String, shape: [Int])] {
        let e = c.embedDim, p = c.patchSize, table = (2 * c.windowSize - 1) * (2 * c.windowSize - 1)
        var t: [(String, [Int])] = []
        for s in ["weight", "bias", "running_mean", "running_var"] { t.append(("audio_branch.bn0.\(s)", [c.melBins])) }
        t += [("audio_branch.patch_embed.proj.weight", [e, 1, p, p]), ("audio_branch.patch_embed.proj.bias", [e]),
              ("audio_branch.patch_embed.norm.weight", [e]), ("audio_branch.patch_embed.norm.bias", [e])]
        for (i, depth) in c.depths.enumerated() {
            let d = e << i
            for j in 0..<depth {
                let b = "audio_branch.layers.\(i).blocks.\(j)"
                t += [("\(b).norm1.weight", [d]), ("\(b).norm1.bias", [d]),
                      ("\(b).attn.qkv.weight", [3 * d, d]), ("\(b).attn.qkv.bias", [3 * d]),
                      ("\(b).attn.proj.weight", [d, d]), ("\(b).attn.proj.bias", [d]),
                      ("\(b).attn.relative_position_bias_table", [table, c.numHeads[i]]),
                      ("\(b).norm2.weight", [d]), ("\(b).norm2.bias", [d]),
                      ("\(b).mlp.fc1.weight", [4 * d, d]), ("\(b).mlp.fc1.bias", [4 * d]),
                      ("\(b).mlp.fc2.weight", [d, 4 * d]), ("\(b).mlp.fc2.bias", [d])]
            }
            if i < c.depths.count - 1 {
                t += [("audio_branch.layers.\(i).downsample.norm.weight", [4 * d]), ("audio_branch.layers.\(i).downsample.norm.bias", [4 * d]),
                      ("audio_branch.layers.\(i).downsample.reduction.weight", [2 * d, 4 * d])]
            }
        }
        t += [("audio_branch.norm.weight", [c.finalDim]), ("audio_branch.norm.bias", [c.finalDim]),
              ("audio_projection.0.weight", [c.projectionDim, c.finalDim]), ("audio_projection.0.bias", [c.projectionDim]),
              ("audio_projection.2.weight", [c.projectionDim, c.projectionDim]), ("audio_projection.2.bias", [c.projectionDim])]
        return t
    }

    /// Writes the model to `url`: weights N(0, 1/fan_in)-like uniform, norms near 1, bn0 in the dB range.
    static func write(_ c: HTSATConfiguration, seed: UInt64, to url: URL) throws {
        var g = SeededGenerator(state: seed)
        let tensors = tensorShapes(c).map { key, shape -> (key: String, shape: [Int], values: [Float]) in
            let n = shape.reduce(1, *)
            let values: [Float]
            if key.hasSuffix("running_var") {
                values = g.floats(n, in: 100...200)
            } else if key.hasSuffix("running_mean") {
                values = g.floats(n, in: -60 ... -30)
            } else if shape.count == 1 && key.hasSuffix("weight") {
                values = g.floats(n, in: 0.9...1.1)
            } else if shape.count == 1 {
                values = g.floats(n, in: -0.05...0.05)
            } else {
                let fanIn = Float(shape.dropFirst().reduce(1, *))
                let a = key.hasSuffix("bias_table") ? Float(1) : (3 / fanIn).squareRoot()
                values = g.floats(n, in: -a...a)
            }
            return (key, shape, values)
        }
        try TestSafetensors.write(tensors, to: url)
    }
}
