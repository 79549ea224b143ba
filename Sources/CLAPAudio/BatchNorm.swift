import Foundation

/// `torch.nn.BatchNorm2d` in eval mode, folded as ATen does on the CPU
/// (aten/src/ATen/native/batch_norm.cpp `batch_norm_cpu_transform_input`):
/// `alpha = weight / sqrt(running_var + eps)`, `beta = bias − running_mean·alpha`, `y = x·alpha + beta`.
struct BatchNormEval: Sendable {
    /// `[channels]` each.
    let alpha: [Float]
    let beta: [Float]
    var channels: Int { alpha.count }

    /// Keys `<prefix>.{weight,bias,running_mean,running_var}` (`num_batches_tracked` is a recomputed buffer).
    init(_ w: inout AudioWeightBinder, _ prefix: String, channels: Int, epsilon: Float = 1e-5) throws {
        let weight = try w.take("\(prefix).weight", [channels])            // [C]
        let bias = try w.take("\(prefix).bias", [channels])                // [C]
        let mean = try w.take("\(prefix).running_mean", [channels])        // [C]
        let variance = try w.take("\(prefix).running_var", [channels])     // [C]
        var alpha = [Float](repeating: 0, count: channels), beta = alpha
        for c in 0..<channels {
            let invstd = 1 / (variance[c] + epsilon).squareRoot()
            alpha[c] = weight[c] * invstd
            beta[c] = bias[c] - mean[c] * alpha[c]
        }
        self.alpha = alpha
        self.beta = beta
    }

    /// Rows of `channels` values (channels last), in place.
    func applyChannelsLast(_ x: UnsafeMutablePointer<Float>, rows: Int) {
        let c = channels
        alpha.withUnsafeBufferPointer { a in
            beta.withUnsafeBufferPointer { b in
                for r in 0..<rows {
                    let row = x + r * c
                    for j in 0..<c { row[j] = row[j] * a[j] + b[j] }
                }
            }
        }
    }
}

/// laion_clap `bn0` (htsat.py:686, applied at 881-888 as `x.transpose(1,3) → bn0 → transpose`):
/// one BatchNorm channel per **mel bin**, in eval mode. Keys `audio_branch.bn0.*` [mel_bins].
public struct BatchNormMelBins: Sendable {
    let norm: BatchNormEval

    init(_ w: inout AudioWeightBinder, melBins: Int) throws {
        norm = try BatchNormEval(&w, "audio_branch.bn0", channels: melBins)
    }

    /// `features` [frames × melBins] (one channel) in place.
    func apply(_ features: UnsafeMutablePointer<Float>, frames: Int) {
        norm.applyChannelsLast(features, rows: frames)
    }
}
