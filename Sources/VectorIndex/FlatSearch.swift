import CVectorKernels

/// Exact (flat) search kernels. Layout: vectors are row-major, `x[i * d + j]`, float32,
/// little-endian, as stored in the segment's `.npy` section (or float16, Docs/IndexFormat.md §3.2).
/// The arithmetic is in `CVectorKernels` (AVX2+FMA+F16C picked at run time, portable C otherwise):
/// Swift here compiles for the x86-64 baseline, where `.addingProduct` becomes one libm `fma`
/// call per lane (measured 8× slower than the bandwidth bound) and SIMD16 runs as four SSE halves.
enum FlatKernel {
    /// Inner product, four 8-lane FMA chains (like faiss's `fvec_inner_product`, anchors §1).
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ d: Int) -> Float { avk_dot_f32(a, b, d) }

    /// Squared Euclidean distance, same structure as `dot`.
    @inline(__always)
    static func l2(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ d: Int) -> Float { avk_l2_f32(a, b, d) }

    /// Rows scored per kernel call in a scan: 256 scores (1 KiB) stay in L1 while the candidate
    /// filter reads them back, and the row stream is long enough for the hardware prefetcher.
    static let scanBlock = 256

    /// Scores of `query` against rows `start ..< start + n` of `segment`, whatever its storage.
    @inline(__always)
    static func score(query: UnsafePointer<Float>, segment: Segment, start: Int, n: Int, l2: Bool, into out: UnsafeMutablePointer<Float>) {
        let d = segment.dimension
        switch segment.storage {
        case .float32: avk_score_f32(query, segment.vectors.baseAddress! + start * d, n, d, l2 ? 1 : 0, out)
        case .float16: avk_score_f16(query, segment.halfVectors.baseAddress! + start * d, n, d, l2 ? 1 : 0, out)
        }
    }

    /// One row's exact score (float32 or float16 storage).
    @inline(__always)
    static func score(query: UnsafePointer<Float>, segment: Segment, row: Int, l2: Bool) -> Float {
        var s: Float = 0
        score(query: query, segment: segment, start: row, n: 1, l2: l2, into: &s)
        return s
    }

    /// The threshold `avk_candidates` filters with: the current k-th score when it is finite (a
    /// finite k-th rejects every finite score beyond it), NaN otherwise (everything passes: an
    /// infinite k-th ranks after finite scores, so the plain comparison would be wrong).
    @inline(__always)
    static func threshold(_ top: TopK) -> Float {
        guard top.isFull else { return .nan }
        let w = top.worstScore
        return w.isFinite ? w : .nan
    }

    /// One query against rows `rows` of one segment (all of them for flat search, one inverted list
    /// for IVF): score each row, keep the k best live rows. `hidden` are the ids tombstoned for this
    /// segment; `allowed`, when given, is checked before scoring. With `countEligible` every row's
    /// tombstone is checked before scoring too, and the return value is the number of live, allowed
    /// rows seen (IVF keeps probing until it has k of them); otherwise tombstones are checked only
    /// for rows that would enter the top-k, and the return value is meaningless.
    ///
    /// Without per-row id checks the rows are scored in blocks by the SIMD kernel and only the
    /// scores that can beat the current k-th (`avk_candidates`) reach the heap.
    @discardableResult
    static func scan(query: UnsafePointer<Float>, segment: Segment, rows: Range<Int>, hidden: Set<Int64>, allowed: Set<Int64>?,
                     countEligible: Bool = false, into top: inout TopK) -> Int {
        guard !rows.isEmpty, top.k > 0, segment.count > 0 else { return 0 }
        let l2 = top.ranking.metric == .l2
        let checkHidden = !hidden.isEmpty
        let hiddenFirst = countEligible && checkHidden
        let idFirst = allowed != nil || hiddenFirst
        if !idFirst {
            withUnsafeTemporaryAllocation(of: Float.self, capacity: scanBlock) { scores in
                withUnsafeTemporaryAllocation(of: UInt32.self, capacity: scanBlock) { picked in
                    var r0 = rows.lowerBound
                    while r0 < rows.upperBound {
                        let n = min(scanBlock, rows.upperBound - r0)
                        score(query: query, segment: segment, start: r0, n: n, l2: l2, into: scores.baseAddress!)
                        let m = avk_candidates(scores.baseAddress!, n, threshold(top), l2 ? 1 : 0, picked.baseAddress!)
                        for c in 0..<m {
                            let i = Int(picked[c]), s = scores[i], id = segment.id(at: r0 + i)
                            guard top.admits(s, id) else { continue }
                            if checkHidden && hidden.contains(id) { continue }
                            top.insert(s, id)
                        }
                        r0 += n
                    }
                }
            }
            return rows.count
        }
        var eligible = 0
        for r in rows {
            let id = segment.id(at: r)
            if let allowed, !allowed.contains(id) { continue }
            if hiddenFirst && hidden.contains(id) { continue }
            eligible += 1
            let s = score(query: query, segment: segment, row: r, l2: l2)
            guard top.admits(s, id) else { continue }
            if checkHidden && !hiddenFirst && hidden.contains(id) { continue }
            top.insert(s, id)
        }
        return eligible
    }
}

/// The slow, obviously correct twin of every flat search: for each query, score every live row in
/// float64 (rounded to float32 at the end), sort all of them by the ranking rule, take k.
public enum ReferenceSearch {
    /// A set of rows as plain arrays, with the ids tombstoned for them.
    public struct Rows: Sendable {
        public var vectors: [Float]
        public var ids: [Int64]
        public var hidden: Set<Int64>
        public init(vectors: [Float], ids: [Int64], hidden: Set<Int64> = []) {
            self.vectors = vectors; self.ids = ids; self.hidden = hidden
        }
    }

    public static func search(_ parts: [Rows], dimension d: Int, metric: Metric, queries: [Float], k: Int,
                              allowedIDs: Set<Int64>? = nil) -> SearchResults {
        let nq = d == 0 ? 0 : queries.count / d
        var outIDs: [Int64] = [], outScores: [Float] = []
        let ranking = Ranking(metric: metric)
        for q in 0..<nq {
            var all: [(Float, Int64)] = []
            for part in parts {
                for (r, id) in part.ids.enumerated() where !part.hidden.contains(id) && (allowedIDs?.contains(id) ?? true) {
                    var s = 0.0
                    for j in 0..<d {
                        let x = Double(part.vectors[r * d + j]), y = Double(queries[q * d + j])
                        s += metric == .ip ? x * y : (x - y) * (x - y)
                    }
                    all.append((Float(s), id))
                }
            }
            all.sort { ranking.before($0.0, $0.1, $1.0, $1.1) }
            for j in 0..<k {
                outIDs.append(j < all.count ? all[j].1 : -1)
                outScores.append(j < all.count ? all[j].0 : .nan)
            }
        }
        return SearchResults(queryCount: nq, k: k, ids: outIDs, scores: outScores)
    }
}

extension VectorIndex {
    /// Sums every stored vector byte (read as floats) with the widest plain SIMD loop (four 8-lane AVX
    /// accumulators, no multiply): the read-only memory-bandwidth baseline a single-query scan is measured against,
    /// over the same mapped bytes (issue 5 §8, "bandwidth = the best SIMD read-only sum").
    public func simdSumOfStoredVectors() -> Float {
        var total: Float = 0
        for seg in segments where seg.count > 0 {
            // The raw bytes as floats whatever the element type: a read-only pass over the same mapped bytes.
            let bytes = seg.vectorBytes
            total += avk_sum_f32(bytes.baseAddress!.assumingMemoryBound(to: Float.self), bytes.count / 4)
        }
        return total
    }
}
