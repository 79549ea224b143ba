import CVectorKernels
import LinearAlgebra

extension VectorIndex {
    /// Rows per sgemm block: 4096 rows × 512 queries of scores is 8 MiB, large enough for OpenBLAS
    /// to reach its packed-kernel speed while the score block stays out of the way of the vectors.
    static let rowBlock = 4096
    static let queryBlock = 512

    /// Many queries at once: scores for a block of queries × a block of rows come from one
    /// sgemm (`S = Q · Xᵀ`), then each query row goes through its own partial top-k: the SIMD
    /// candidate filter (`avk_candidates`) passes only scores that can beat the query's current
    /// k-th, so the heap sees a handful of the 4096 per block. Unlike faiss (GEMM only from 250
    /// queries of 512-d, anchors §2) this path starts at `batchThreshold` queries. L2 uses
    /// ‖q‖² + ‖x‖² − 2·q·x. Float16 rows are converted block by block into a scratch block first.
    func batchedSearch(queries: [Float], k: Int, allowedIDs: Set<Int64>?) -> SearchResults {
        let d = dimension
        let nq = queries.count / d
        var ids = [Int64](repeating: -1, count: nq * k), scores = [Float](repeating: .nan, count: nq * k)
        guard k > 0 else { return SearchResults(queryCount: nq, k: k, ids: [], scores: []) }
        let l2 = metric == .l2
        // Sized to what this search can fill: a small index or batch must not zero 8 MiB per call.
        let rowsPerBlock = min(Self.rowBlock, segments.map(\.count).max() ?? 0)
        var block = [Float](repeating: 0, count: min(Self.queryBlock, nq) * rowsPerBlock)
        var rowNorms = [Float](repeating: 0, count: rowsPerBlock)
        var picked = [UInt32](repeating: 0, count: rowsPerBlock)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: segments.contains { $0.storage != .float32 } ? rowsPerBlock * d : 1)
        defer { scratch.deallocate() }
        queries.withUnsafeBufferPointer { q in
            let qBase = q.baseAddress!
            for q0 in stride(from: 0, to: nq, by: Self.queryBlock) {
                let qn = min(Self.queryBlock, nq - q0)
                let queryNorms = (0..<qn).map { FlatKernel.dot(qBase + (q0 + $0) * d, qBase + (q0 + $0) * d, d) }
                var tops = [TopK](repeating: TopK(k: k, metric: metric), count: qn)
                for (s, seg) in segments.enumerated() where seg.count > 0 {
                    let hidden = hidden[s]
                    for r0 in stride(from: 0, to: seg.count, by: Self.rowBlock) {
                        let rn = min(Self.rowBlock, seg.count - r0)
                        let x = seg.floatRows(r0..<(r0 + rn), scratch: scratch)
                        block.withUnsafeMutableBufferPointer { c in
                            BLAS.sgemm(transA: false, transB: true, m: qn, n: rn, k: d,
                                       a: qBase + q0 * d, lda: d, b: x, ldb: d, c: c.baseAddress!, ldc: rn)
                        }
                        if l2 {
                            for r in 0..<rn { rowNorms[r] = FlatKernel.dot(x + r * d, x + r * d, d) }
                        }
                        block.withUnsafeMutableBufferPointer { c in
                            rowNorms.withUnsafeBufferPointer { norms in
                                picked.withUnsafeMutableBufferPointer { pk in
                                    tops.withUnsafeMutableBufferPointer { tp in
                                        for i in 0..<qn {
                                            let row = c.baseAddress! + i * rn
                                            if l2 {
                                                let qNorm = queryNorms[i]
                                                for r in 0..<rn { row[r] = (qNorm + norms[r]) - 2 * row[r] }
                                            }
                                            let m = avk_candidates(row, rn, FlatKernel.threshold(tp[i]), l2 ? 1 : 0, pk.baseAddress!)
                                            for j in 0..<m {
                                                let r = Int(pk[j])
                                                var score = row[r]
                                                if !score.isFinite {
                                                    // inf − inf in the expanded L2 form (or an overflow in another
                                                    // summation order) must not change a score's class: recompute directly.
                                                    score = FlatKernel.score(query: qBase + (q0 + i) * d, segment: seg, row: r0 + r, l2: l2)
                                                }
                                                let id = seg.id(at: r0 + r)
                                                guard tp[i].admits(score, id) else { continue }
                                                if !hidden.isEmpty && hidden.contains(id) { continue }
                                                if let allowedIDs, !allowedIDs.contains(id) { continue }
                                                tp[i].insert(score, id)
                                            }
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
