import LinearAlgebra

extension VectorIndex {
    /// Rows per sgemm block: 4096 rows × 512 queries of scores is 8 MiB, large enough for OpenBLAS
    /// to reach its packed-kernel speed while the score block stays out of the way of the vectors.
    static let rowBlock = 4096
    static let queryBlock = 512

    /// Many queries at once: scores for a block of queries × a block of rows come from one
    /// sgemm (`S = Q · Xᵀ`), then each query row goes through its own partial top-k. Unlike
    /// faiss (GEMM only from 250 queries of 512-d, anchors §2) this path starts at
    /// `batchThreshold` queries. L2 uses ‖q‖² + ‖x‖² − 2·q·x.
    func batchedSearch(queries: [Float], k: Int, allowedIDs: Set<Int64>?) -> SearchResults {
        let d = dimension
        let nq = queries.count / d
        var ids = [Int64](repeating: -1, count: nq * k), scores = [Float](repeating: .nan, count: nq * k)
        guard k > 0 else { return SearchResults(queryCount: nq, k: k, ids: [], scores: []) }
        let ip = metric == .ip
        // Sized to what this search can fill: a small index or batch must not zero 8 MiB per call.
        let rowsPerBlock = min(Self.rowBlock, segments.map(\.count).max() ?? 0)
        var block = [Float](repeating: 0, count: min(Self.queryBlock, nq) * rowsPerBlock)
        var rowNorms = [Float](repeating: 0, count: rowsPerBlock)
        queries.withUnsafeBufferPointer { q in
            let qBase = q.baseAddress!
            for q0 in stride(from: 0, to: nq, by: Self.queryBlock) {
                let qn = min(Self.queryBlock, nq - q0)
                let queryNorms = (0..<qn).map { FlatKernel.dot(qBase + (q0 + $0) * d, qBase + (q0 + $0) * d, d) }
                var tops = [TopK](repeating: TopK(k: k, metric: metric), count: qn)
                for (s, seg) in segments.enumerated() where seg.count > 0 {
                    let x = seg.vectors.baseAddress!
                    let hidden = hidden[s]
                    for r0 in stride(from: 0, to: seg.count, by: Self.rowBlock) {
                        let rn = min(Self.rowBlock, seg.count - r0)
                        block.withUnsafeMutableBufferPointer { c in
                            BLAS.sgemm(transA: false, transB: true, m: qn, n: rn, k: d,
                                       a: qBase + q0 * d, lda: d, b: x + r0 * d, ldb: d, c: c.baseAddress!, ldc: rn)
                        }
                        if !ip {
                            for r in 0..<rn { rowNorms[r] = FlatKernel.dot(x + (r0 + r) * d, x + (r0 + r) * d, d) }
                        }
                        // Scan each query's row of scores with its threshold in a register.
                        block.withUnsafeBufferPointer { c in
                            rowNorms.withUnsafeBufferPointer { norms in
                                tops.withUnsafeMutableBufferPointer { tp in
                                    for i in 0..<qn {
                                        let row = c.baseAddress! + i * rn
                                        let qNorm = queryNorms[i]
                                        var full = tp[i].isFull
                                        var worst: Float = full ? tp[i].worstScore : 0
                                        for r in 0..<rn {
                                            var score = ip ? row[r] : (qNorm + norms[r]) - 2 * row[r]
                                            if full, ip ? score < worst : score > worst { continue }
                                            if !score.isFinite {
                                                // inf − inf in the expanded L2 form (or an overflow in another
                                                // summation order) must not change a score's class: recompute directly.
                                                let qp = qBase + (q0 + i) * d, xp = x + (r0 + r) * d
                                                score = ip ? FlatKernel.dot(qp, xp, d) : FlatKernel.l2(qp, xp, d)
                                            }
                                            let id = seg.id(at: r0 + r)
                                            guard tp[i].admits(score, id) else { continue }
                                            if !hidden.isEmpty && hidden.contains(id) { continue }
                                            if let allowedIDs, !allowedIDs.contains(id) { continue }
                                            tp[i].insert(score, id)
                                            full = tp[i].isFull
                                            if full { worst = tp[i].worstScore }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                for i in 0..<qn {
                    let r = tops[i].sorted()
                    let at = (q0 + i) * k
                    ids.replaceSubrange(at..<(at + k), with: r.ids)
                    scores.replaceSubrange(at..<(at + k), with: r.scores)
                }
            }
        }
        return SearchResults(queryCount: nq, k: k, ids: ids, scores: scores)
    }
}
