/// Reference: transformers `ClapTextEncoder`: the layers in order, `encoder.layer.0 …
/// encoder.layer.{L-1}`. The count comes from the config (HF folders) or from the keys present (laion).
struct RobertaEncoder: Sendable {
    let layers: [RobertaLayer]

    init(_ w: inout TextWeightBinding, _ c: RobertaTextConfig) throws {
        layers = try (0..<c.numHiddenLayers).map { try RobertaLayer(&w, index: $0, c) }
    }

    /// s.x: [T, H] → [T, H] for the rows of `queries`; `afterLayer(i)` sees s.x after layer i (stage capture for tests).
    func apply(rows t: Int, queries: [Range<Int>], _ s: TextScratch, afterLayer: ((Int) -> Void)? = nil) {
        for (i, layer) in layers.enumerated() {
            layer.apply(rows: t, queries: queries, s)
            afterLayer?(i)
        }
    }
}
