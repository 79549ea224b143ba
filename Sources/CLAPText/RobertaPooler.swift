import Foundation
import NN

/// Reference: transformers `ClapTextPooler`: `tanh(dense(h[:, 0]))`, the first token `<s>` only
/// (laion_clap reads `["pooler_output"]`, model.py:629-636).
struct RobertaPooler: Sendable {
    let dense: Linear    // "pooler.dense" [H, H]

    init(_ w: inout TextWeightBinding, _ c: RobertaTextConfig) throws {
        let h = c.hiddenSize
        dense = try w.linear("text_branch.pooler.dense", in: h, out: h)
    }

    /// first: the `<s>` rows of `q` queries [Q, H] → out [Q, H].
    func apply(first: UnsafePointer<Float>, queries q: Int, into out: UnsafeMutablePointer<Float>) {
        dense.apply(first, rows: q, into: out)
        Activation.tanh(out, count: q * dense.outFeatures)
    }

    func reference(first: [Float]) -> [Float] {
        NNReference.linear(first, rows: 1, weight: dense.weight.array, bias: dense.bias, inFeatures: dense.inFeatures,
                           outFeatures: dense.outFeatures).map { Float(Foundation.tanh(Double($0))) }
    }
}
