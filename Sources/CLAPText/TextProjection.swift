import NN

/// Reference: laion_clap `text_projection = Sequential(Linear(768, 512), ReLU, Linear(512, 512))`
/// (model.py:510-514; keys `.0`, `.2`), HF `ClapProjectionLayer` (`linear1`, `linear2`). The L2
/// normalisation after it belongs to `CLAPTextEncoder` (`F.normalize`, model.py:716).
struct TextProjection: Sendable {
    let linear1: Linear   // "text_projection.0" [D, H]
    let linear2: Linear   // "text_projection.2" [D, D]

    init(_ w: inout TextWeightBinding, _ c: RobertaTextConfig) throws {
        let h = c.hiddenSize, d = c.projectionDim
        linear1 = try w.linear("text_projection.0", in: h, out: d)
        linear2 = try w.linear("text_projection.2", in: d, out: d)
    }

    /// pooled [Q, H] → out [Q, D], one row per query; `hidden` [Q, D] is scratch.
    func apply(_ pooled: UnsafePointer<Float>, queries q: Int, hidden: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        linear1.apply(pooled, rows: q, into: hidden)
        Activation.relu(hidden, count: q * linear1.outFeatures)
        linear2.apply(hidden, rows: q, into: out)
    }

    func reference(_ pooled: [Float]) -> [Float] {
        let a = NNReference.linear(pooled, rows: 1, weight: linear1.weight.array, bias: linear1.bias,
                                   inFeatures: linear1.inFeatures, outFeatures: linear1.outFeatures).map { max($0, 0) }
        return NNReference.linear(a, rows: 1, weight: linear2.weight.array, bias: linear2.bias,
                                  inFeatures: linear2.inFeatures, outFeatures: linear2.outFeatures)
    }
}
