/// Exact (flat) search kernels. Layout: vectors are row-major, `x[i * d + j]`, float32,
/// little-endian, as stored in the segment's `.npy` section.
enum FlatKernel {
    /// Inner product with two 16-lane multiply-add chains, so one query scan runs near the
    /// memory-bandwidth bound like faiss's `fvec_inner_product` (anchors §1). `acc += a * b`, not
    /// `.addingProduct`: for the x86-64 baseline target (no `-mfma`) the latter becomes one libm
    /// `fma` call per lane and measured 8× slower than the bandwidth bound.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ d: Int) -> Float {
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
        var i = 0
        while i + 32 <= d {
            acc0 += ra.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self) * rb.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            acc1 += ra.loadUnaligned(fromByteOffset: 4 * i + 64, as: SIMD16<Float>.self) * rb.loadUnaligned(fromByteOffset: 4 * i + 64, as: SIMD16<Float>.self)
            i += 32
        }
        if i + 16 <= d {
            acc0 += ra.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self) * rb.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            i += 16
        }
        var s = (acc0 + acc1).sum()
        while i < d { s += a[i] * b[i]; i += 1 }
        return s
    }

    /// Squared Euclidean distance, same structure as `dot`.
    @inline(__always)
    static func l2(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ d: Int) -> Float {
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
        var i = 0
        while i + 32 <= d {
            let d0 = ra.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self) - rb.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            let d1 = ra.loadUnaligned(fromByteOffset: 4 * i + 64, as: SIMD16<Float>.self) - rb.loadUnaligned(fromByteOffset: 4 * i + 64, as: SIMD16<Float>.self)
            acc0 += d0 * d0
            acc1 += d1 * d1
            i += 32
        }
        if i + 16 <= d {
            let d0 = ra.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self) - rb.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            acc0 += d0 * d0
            i += 16
        }
        var s = (acc0 + acc1).sum()
        while i < d { let t = a[i] - b[i]; s += t * t; i += 1 }
        return s
    }

    /// One query against rows `rows` of one segment (all of them for flat search, one inverted list
    /// for IVF): score each row, keep the k best live rows. `hidden` are the ids tombstoned for this
    /// segment; `allowed`, when given, is checked before scoring. With `countEligible` every row's
    /// tombstone is checked before scoring too, and the return value is the number of live, allowed
    /// rows seen (IVF keeps probing until it has k of them); otherwise tombstones are checked only
    /// for rows that would enter the top-k, and the return value is meaningless.
    @discardableResult
    static func scan(query: UnsafePointer<Float>, segment: Segment, rows: Range<Int>, hidden: Set<Int64>, allowed: Set<Int64>?,
                     countEligible: Bool = false, into top: inout TopK) -> Int {
        let d = segment.dimension
        guard !rows.isEmpty, top.k > 0, let base = segment.vectors.baseAddress else { return 0 }
        let ip = top.ranking.metric == .ip
        let checkHidden = !hidden.isEmpty
        let hiddenFirst = countEligible && checkHidden
        let idFirst = allowed != nil || hiddenFirst
        var eligible = 0
        for r in rows {
            var id: Int64 = 0
            if idFirst {
                id = segment.id(at: r)
                if let allowed, !allowed.contains(id) { continue }
                if hiddenFirst && hidden.contains(id) { continue }
            }
            eligible += 1
            let row = base + r * d
            let s = ip ? dot(query, row, d) : l2(query, row, d)
            // Cheap rejection against the current k-th (false for NaN, which takes the full test).
            if top.isFull, ip ? s < top.worstScore : s > top.worstScore { continue }
            if !idFirst { id = segment.id(at: r) }
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
    /// Sums every stored float with the widest plain SIMD loop (four 16-lane accumulators, no
    /// multiply): the read-only memory-bandwidth baseline a single-query scan is measured against,
    /// over the same mapped bytes (issue 5 §8, "bandwidth = the best SIMD read-only sum").
    public func simdSumOfStoredVectors() -> Float {
        var total: Float = 0
        for seg in segments {
            let v = seg.vectors
            guard let base = v.baseAddress else { continue }
            let raw = UnsafeRawPointer(base)
            var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
            var i = 0
            while i + 64 <= v.count {
                a0 += raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
                a1 += raw.loadUnaligned(fromByteOffset: 4 * i + 64, as: SIMD16<Float>.self)
                a2 += raw.loadUnaligned(fromByteOffset: 4 * i + 128, as: SIMD16<Float>.self)
                a3 += raw.loadUnaligned(fromByteOffset: 4 * i + 192, as: SIMD16<Float>.self)
                i += 64
            }
            var s = ((a0 + a1) + (a2 + a3)).sum()
            while i < v.count { s += v[i]; i += 1 }
            total += s
        }
        return total
    }
}
