import Foundation
import NN

/// Reference: transformers `ClapTextPooler`: `tanh(dense(h[:, 0]))`, the first token `<s>` only
/// (laion_clap reads `["pooler_output"]`, model.py:629-636).
struct RobertaPooler: Sendable {
    let dense: Linear    // "pooler.dense" [H, H]

    init(_ w: inout TextWeightBinding, _ c: RobertaTextConfig) throws {
        let h = c.hiddenSize
        dense = Linear(weight: try w.take("text_branch.pooler.dense.weight", [h, h]),
                       bias: try w.take("text_branch.pooler.dense.bias", [h]), inFeatures: h, outFeatures: h)
    }

    /// first: the `<s>` row [H] → out [H].
    func apply(first: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        dense.apply(first, rows: 1, into: out)
        Activation.tanh(out, count: dense.outFeatures)
    }

    func reference(first: [Float]) -> [Float] {
        NNReference.linear(first, rows: 1, weight: dense.weight, bias: dense.bias, inFeatures: dense.inFeatures,
                           outFeatures: dense.outFeatures).map { Float(Foundation.tanh(Double($0))) }
    }
}
