import NN

/// Reference: transformers `ClapTextLayer` = RoBERTa's post-LN block (modeling_clap.py), dropout off:
///
///     a  = LayerNorm₁(attention.output.dense(SelfAttention(x)) + x)      // ClapTextSelfOutput
///     x' = LayerNorm₂(output.dense(GELU(intermediate.dense(a))) + a)     // ClapTextIntermediate, ClapTextOutput
///
/// GELU is the exact erf form (`hidden_act = "gelu"`).
struct RobertaLayer: Sendable {
    let attention: RobertaSelfAttention
    let attentionOutput: Linear       // "attention.output.dense"     [H, H]
    let attentionNorm: LayerNorm      // "attention.output.LayerNorm"
    let intermediate: Linear          // "intermediate.dense"         [I, H]
    let output: Linear                // "output.dense"               [H, I]
    let outputNorm: LayerNorm         // "output.LayerNorm"

    init(_ w: inout TextWeightBinding, index: Int, _ c: RobertaTextConfig) throws {
        let p = "text_branch.encoder.layer.\(index)"
        let h = c.hiddenSize, i = c.intermediateSize, eps = c.layerNormEps
        attention = try RobertaSelfAttention(&w, prefix: p, c)
        attentionOutput = try w.linear("\(p).attention.output.dense", in: h, out: h)
        attentionNorm = LayerNorm(weight: try w.take("\(p).attention.output.LayerNorm.weight", [h]),
                                  bias: try w.take("\(p).attention.output.LayerNorm.bias", [h]), epsilon: eps)
        intermediate = try w.linear("\(p).intermediate.dense", in: h, out: i)
        output = try w.linear("\(p).output.dense", in: i, out: h)
        outputNorm = LayerNorm(weight: try w.take("\(p).output.LayerNorm.weight", [h]),
                               bias: try w.take("\(p).output.LayerNorm.bias", [h]), epsilon: eps)
    }

    /// s.x: [T, H] → [T, H] in place, T the rows of all `queries` (each a run of rows attending only to
    /// itself); the other scratch buffers are overwritten. Every product but attention runs over all T
    /// rows at once, and a row's bits do not depend on the others (`RowIndependenceTests`).
    func apply(rows t: Int, queries: [Range<Int>], _ s: TextScratch) {
        let h = attention.hiddenSize
        attention.apply(s.x, rows: t, queries: queries, qkv: s.qkv, scores: s.scores, context: s.context)
        attentionOutput.apply(s.context, rows: t, into: s.attended)
        for k in 0..<(t * h) { s.attended[k] += s.x[k] }
        attentionNorm.apply(s.attended, rows: t)
        intermediate.apply(s.attended, rows: t, into: s.inner)
        Activation.geluErf(s.inner, count: t * intermediate.outFeatures)
        output.apply(s.inner, rows: t, into: s.x)
        for k in 0..<(t * h) { s.x[k] += s.attended[k] }
        outputNorm.apply(s.x, rows: t)
    }

    /// Slow twin over a padded sequence (Double sums throughout). x: [T, H] → [T, H].
    func reference(_ x: [Float], rows t: Int, mask: [Int]) -> [Float] {
        let h = attention.hiddenSize, i = intermediate.outFeatures
        let context = attention.reference(x, rows: t, mask: mask)
        var a = NNReference.linear(context, rows: t, weight: attentionOutput.weight.array, bias: attentionOutput.bias, inFeatures: h, outFeatures: h)
        for k in a.indices { a[k] += x[k] }
        a = NNReference.layerNorm(a, rows: t, weight: attentionNorm.weight, bias: attentionNorm.bias, epsilon: attentionNorm.epsilon)
        let inner = NNReference.geluErf(NNReference.linear(a, rows: t, weight: intermediate.weight.array, bias: intermediate.bias, inFeatures: h, outFeatures: i))
        var y = NNReference.linear(inner, rows: t, weight: output.weight.array, bias: output.bias, inFeatures: i, outFeatures: h)
        for k in y.indices { y[k] += a[k] }
        return NNReference.layerNorm(y, rows: t, weight: outputNorm.weight, bias: outputNorm.bias, epsilon: outputNorm.epsilon)
    }
}
