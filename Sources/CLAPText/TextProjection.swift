import NN

/// Reference: laion_clap `text_projection = Sequential(Linear(768, 512), ReLU, Linear(512, 512))`
/// (model.py:510-514; keys `.0`, `.2`), HF `ClapProjectionLayer` (`linear1`, `linear2`). The L2
/// normalisation after it belongs to `CLAPTextEncoder` (`F.normalize`, model.py:716).
struct TextProjection: Sendable {
    let linear1: Linear   // "text_projection.0" [D, H]
    let linear2: Linear   // "text_projection.2" [D, D]

    init(_ w: inout TextWeightBinding, _ c: RobertaTextConfig) throws {
        let h = c.hiddenSize, d = c.projectionDim
        linear1 = Linear(weight: try w.take("text_projection.0.weight", [d, h]), bias: try w.take("text_projection.0.bias", [d]),
                         inFeatures: h, outFeatures: d)
        linear2 = Linear(weight: try w.take("text_projection.2.weight", [d, d]), bias: try w.take("text_projection.2.bias", [d]),
                         inFeatures: d, outFeatures: d)
    }

    /// pooled [H] → out [D]; `hidden` [D] is scratch.
    func apply(_ pooled: UnsafePointer<Float>, hidden: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        linear1.apply(pooled, rows: 1, into: hidden)
        Activation.relu(hidden, count: linear1.outFeatures)
        linear2.apply(hidden, rows: 1, into: out)
    }

    func reference(_ pooled: [Float]) -> [Float] {
        let a = NNReference.linear(pooled, rows: 1, weight: linear1.weight, bias: linear1.bias,
                                   inFeatures: linear1.inFeatures, outFeatures: linear1.outFeatures).map { max($0, 0) }
        return NNReference.linear(a, rows: 1, weight: linear2.weight, bias: linear2.bias,
                                  inFeatures: linear2.inFeatures, outFeatures: linear2.outFeatures)
    }
}
