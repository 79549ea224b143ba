extension VectorIndex {
    /// Placeholder until LinearAlgebra's sgemm lands on main: one scan per query.
    func batchedSearch(queries: [Float], k: Int, allowedIDs: Set<Int64>?) -> SearchResults {
        let d = dimension
        let nq = queries.count / d
        var ids: [Int64] = [], scores: [Float] = []
        queries.withUnsafeBufferPointer { q in
            for i in 0..<nq {
                var top = TopK(k: k, metric: metric)
                for (s, seg) in segments.enumerated() {
                    FlatKernel.scan(query: q.baseAddress! + i * d, segment: seg, hidden: hidden[s], allowed: allowedIDs, into: &top)
                }
                let r = top.sorted()
                ids += r.ids; scores += r.scores
            }
        }
        return SearchResults(queryCount: nq, k: k, ids: ids, scores: scores)
    }
}
