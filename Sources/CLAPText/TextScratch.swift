/// Working memory for one forward pass over at most `maxRows` token rows (the rows of all queries of a
/// chunk, concatenated) and `maxQueries` queries, owned by the call that made it, so one loaded encoder
/// can serve concurrent calls. Allocated once per call (or per worker), reused for every chunk and layer:
/// nothing is allocated per token, query or layer.
final class TextScratch {
    let maxRows: Int
    let maxQueries: Int
    let longestQuery: Int
    let x: UnsafeMutablePointer<Float>        // [R, H]  hidden states, updated in place layer by layer
    let qkv: UnsafeMutablePointer<Float>      // [R, 3H] query | key | value
    let scores: UnsafeMutablePointer<Float>   // [T, T]  one head of one query: attention probabilities
    let context: UnsafeMutablePointer<Float>  // [R, H]  attention output before `attention.output.dense`
    let attended: UnsafeMutablePointer<Float> // [R, H]  after the first residual + LayerNorm
    let inner: UnsafeMutablePointer<Float>    // [R, I]  feed-forward hidden
    let first: UnsafeMutablePointer<Float>    // [Q, H]  each query's `<s>` row, gathered for the pooler
    let pooled: UnsafeMutablePointer<Float>   // [Q, H]
    let hidden: UnsafeMutablePointer<Float>   // [Q, D]  projection hidden
    let embedding: UnsafeMutablePointer<Float>// [Q, D]

    init(config c: RobertaTextConfig, maxRows: Int, maxQueries: Int, longestQuery: Int) {
        precondition(maxRows >= 1 && maxQueries >= 1 && longestQuery >= 1 && longestQuery <= maxRows)
        self.maxRows = maxRows
        self.maxQueries = maxQueries
        self.longestQuery = longestQuery
        let h = c.hiddenSize, d = c.projectionDim
        func make(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))
            p.initialize(repeating: 0, count: max(n, 1))
            return p
        }
        x = make(maxRows * h)
        qkv = make(maxRows * 3 * h)
        scores = make(longestQuery * longestQuery)
        context = make(maxRows * h)
        attended = make(maxRows * h)
        inner = make(maxRows * c.intermediateSize)
        first = make(maxQueries * h)
        pooled = make(maxQueries * h)
        hidden = make(maxQueries * d)
        embedding = make(maxQueries * d)
    }

    deinit {
        for p in [x, qkv, scores, context, attended, inner, first, pooled, hidden, embedding] { p.deallocate() }
    }
}
