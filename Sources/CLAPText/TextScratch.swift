/// Working memory for one forward pass of at most `maxTokens` tokens, owned by the call that made it, so
/// one loaded encoder can serve concurrent calls. Allocated once per call (or per worker), reused for
/// every query and layer: nothing is allocated per token or per layer.
final class TextScratch {
    let maxTokens: Int
    let x: UnsafeMutablePointer<Float>        // [T, H]  hidden states, updated in place layer by layer
    let qkv: UnsafeMutablePointer<Float>      // [T, 3H] query | key | value
    let scores: UnsafeMutablePointer<Float>   // [T, T]  one head's attention probabilities
    let context: UnsafeMutablePointer<Float>  // [T, H]  attention output before `attention.output.dense`
    let attended: UnsafeMutablePointer<Float> // [T, H]  after the first residual + LayerNorm
    let inner: UnsafeMutablePointer<Float>    // [T, I]  feed-forward hidden
    let pooled: UnsafeMutablePointer<Float>   // [H]
    let hidden: UnsafeMutablePointer<Float>   // [D]     projection hidden
    let embedding: UnsafeMutablePointer<Float>// [D]

    init(config c: RobertaTextConfig, maxTokens: Int) {
        precondition(maxTokens >= 1)
        self.maxTokens = maxTokens
        let h = c.hiddenSize
        func make(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))
            p.initialize(repeating: 0, count: max(n, 1))
            return p
        }
        x = make(maxTokens * h)
        qkv = make(maxTokens * 3 * h)
        scores = make(maxTokens * maxTokens)
        context = make(maxTokens * h)
        attended = make(maxTokens * h)
        inner = make(maxTokens * c.intermediateSize)
        pooled = make(h)
        hidden = make(c.projectionDim)
        embedding = make(c.projectionDim)
    }

    deinit {
        for p in [x, qkv, scores, context, attended, inner, pooled, hidden, embedding] { p.deallocate() }
    }
}
