import NN

/// Reference: transformers `RobertaEmbeddings` / `ClapTextEmbeddings.forward` (modeling_clap.py:924-990):
/// `LayerNorm(word_embeddings[id] + token_type_embeddings[0] + position_embeddings[pos])`, dropout off.
///
/// Position ids are pad-aware (`create_position_ids_from_input_ids`): real tokens count from
/// `padding_idx + 1` = 2, padding tokens sit at 1. Only real tokens ever reach this type (the encoder runs
/// unpadded), so token `t` is at position `2 + t`, which is what it has inside a padded batch too.
struct RobertaEmbeddings: Sendable {
    let config: RobertaTextConfig
    let wordEmbeddings: WeightStorage       // "embeddings.word_embeddings.weight"       [V, H], borrowed when mapped
    let positionEmbeddings: WeightStorage   // "embeddings.position_embeddings.weight"   [P, H]
    let tokenTypeEmbeddings: [Float]   // "embeddings.token_type_embeddings.weight" [types, H]
    let layerNorm: LayerNorm           // "embeddings.LayerNorm"

    init(_ w: inout TextWeightBinding, _ c: RobertaTextConfig) throws {
        config = c
        let h = c.hiddenSize
        wordEmbeddings = try w.storage("text_branch.embeddings.word_embeddings.weight", [c.vocabSize, h])
        positionEmbeddings = try w.storage("text_branch.embeddings.position_embeddings.weight", [c.maxPositionEmbeddings, h])
        tokenTypeEmbeddings = try w.take("text_branch.embeddings.token_type_embeddings.weight", [c.typeVocabSize, h])
        layerNorm = LayerNorm(weight: try w.take("text_branch.embeddings.LayerNorm.weight", [h]),
                              bias: try w.take("text_branch.embeddings.LayerNorm.bias", [h]), epsilon: c.layerNormEps)
    }

    /// x: [T, H] ← the embeddings of `ids` (real tokens only; ids checked by the caller).
    func apply(ids: [Int], into x: UnsafeMutablePointer<Float>) {
        let h = config.hiddenSize
        precondition(ids.count <= config.maxTokens, "more tokens than position embeddings")
        wordEmbeddings.withUnsafeBufferPointer { word in
            positionEmbeddings.withUnsafeBufferPointer { pos in
                tokenTypeEmbeddings.withUnsafeBufferPointer { type in
                    var seen = 0
                    for (t, id) in ids.enumerated() {
                        let row = x + t * h
                        let w = word.baseAddress! + id * h
                        if id != config.padTokenId { seen += 1 }
                        let position = id == config.padTokenId ? config.padTokenId : config.padTokenId + seen
                        let p = pos.baseAddress! + position * h
                        let y = type.baseAddress!  // token_type_ids are all 0
                        for j in 0..<h { row[j] = (w[j] + y[j]) + p[j] }  // the reference's order of additions
                    }
                }
            }
        }
        layerNorm.apply(x, rows: ids.count)
    }

    /// Slow twin over a PADDED sequence with the reference's own position rule: `cumsum(mask) * mask + pad`,
    /// where mask = `id != pad_token_id`.
    func reference(paddedIDs ids: [Int]) -> [Float] {
        let h = config.hiddenSize
        var out = [Float](repeating: 0, count: ids.count * h)
        var seen = 0
        for (t, id) in ids.enumerated() {
            let isReal = id != config.padTokenId
            if isReal { seen += 1 }
            let position = isReal ? seen + config.padTokenId : config.padTokenId
            for j in 0..<h {
                out[t * h + j] = (wordEmbeddings[id * h + j] + tokenTypeEmbeddings[j]) + positionEmbeddings[position * h + j]
            }
        }
        return NNReference.layerNorm(out, rows: ids.count, weight: layerNorm.weight, bias: layerNorm.bias, epsilon: layerNorm.epsilon)
    }
}
