import CVectorKernels

extension VectorIndex {
    /// SQ8 lists: a single query keeps the best `sq8Rerank · k` rows by their approximate (code)
    /// scores, then scores those rows exactly against the stored vectors and keeps k. Every reported
    /// score is therefore exact; a row is missed only if the codes rank it below `sq8Rerank · k`
    /// others (recall is measured in the tests and in BENCHMARKS.md).
    public static let sq8Rerank = 4
}

/// Approximate scoring against SQ8 codes (Docs/IndexFormat.md §3.2) and the exact re-rank.
enum SQ8Kernel {
    /// A query prepared for one segment's SQ8 parameters, so the kernel does one multiply-add per
    /// component: ip = Σ q·(vmin + c·step) = bias + Σ (q·step)·c; l2 = Σ ((q − vmin) − step·c)².
    struct Query {
        var w: [Float]
        var step: [Float]
        var bias: Float
        let l2: Bool

        init(_ q: UnsafePointer<Float>, params: SQ8Params, metric: Metric) {
            let d = params.vmin.count
            l2 = metric == .l2
            step = params.step
            if l2 {
                w = (0..<d).map { q[$0] - params.vmin[$0] }
                bias = 0
            } else {
                w = (0..<d).map { q[$0] * params.step[$0] }
                bias = (0..<d).reduce(Float(0)) { $0 + q[$1] * params.vmin[$1] }
            }
        }
    }

    /// Row locators kept in the approximate top-k in place of ids: segment index and row.
    @inline(__always) static func locator(segment s: Int, row r: Int) -> Int64 { Int64(s) << 40 | Int64(r) }

    /// Like `FlatKernel.scan`, over the codes, keeping locators (not ids) in `top`; tombstones and
    /// the allowed set are applied by id exactly as there. Returns the live, allowed rows seen
    /// when `countEligible`.
    @discardableResult
    static func scan(_ q: Query, segment: Segment, segmentIndex s: Int, rows: Range<Int>, hidden: Set<Int64>, allowed: Set<Int64>?,
                     countEligible: Bool, into top: inout TopK) -> Int {
        guard !rows.isEmpty, top.k > 0 else { return 0 }
        let d = segment.dimension, codes = segment.codes.baseAddress!
        let checkHidden = !hidden.isEmpty
        let idFirst = allowed != nil || (countEligible && checkHidden)
        var eligible = 0
        q.w.withUnsafeBufferPointer { w in
            q.step.withUnsafeBufferPointer { step in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: FlatKernel.scanBlock) { scores in
                    withUnsafeTemporaryAllocation(of: UInt32.self, capacity: FlatKernel.scanBlock) { picked in
                        var r0 = rows.lowerBound
                        while r0 < rows.upperBound {
                            let n = min(FlatKernel.scanBlock, rows.upperBound - r0)
                            avk_score_sq8(w.baseAddress!, step.baseAddress!, q.bias, codes + r0 * d, n, d, q.l2 ? 1 : 0, scores.baseAddress!)
                            if idFirst {
                                for i in 0..<n {
                                    let id = segment.id(at: r0 + i)
                                    if let allowed, !allowed.contains(id) { continue }
                                    if checkHidden && hidden.contains(id) { continue }
                                    eligible += 1
                                    top.insert(scores[i], locator(segment: s, row: r0 + i))
                                }
                            } else {
                                let m = avk_candidates(scores.baseAddress!, n, FlatKernel.threshold(top), q.l2 ? 1 : 0, picked.baseAddress!)
                                for c in 0..<m {
                                    let i = Int(picked[c]), loc = locator(segment: s, row: r0 + i)
                                    guard top.admits(scores[i], loc) else { continue }
                                    if checkHidden && hidden.contains(segment.id(at: r0 + i)) { continue }
                                    top.insert(scores[i], loc)
                                }
                                eligible += n
                            }
                            r0 += n
                        }
                    }
                }
            }
        }
        return eligible
    }

    /// Exact scores of the approximate winners (float32 or float16 vectors as stored) into `top`.
    static func rerank(_ approx: TopK, query: UnsafePointer<Float>, segments: [Segment], into top: inout TopK) {
        let l2 = top.ranking.metric == .l2
        for loc in approx.ids {
            let seg = segments[Int(loc >> 40)], row = Int(loc & ((1 << 40) - 1))
            top.insert(FlatKernel.score(query: query, segment: seg, row: row, l2: l2), seg.id(at: row))
        }
    }
}
