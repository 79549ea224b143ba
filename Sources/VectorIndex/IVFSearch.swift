import CVectorKernels
import LinearAlgebra

/// IVF search: score the query against the centroids, scan the best `nprobe` inverted lists of
/// every segment, and keep probing lists in centroid order while fewer than k live (and allowed)
/// rows have been seen, so a filter or tombstones never make a search return fewer than k
/// results that exist (issue 5 §4; post-filtering returns too few: sqlite-vec #196, #152).
/// Below 1 % allowed ids an IVF search scans the allowed ids' rows directly (exact, like flat).

/// The one rule that chooses lists, shared by the fast paths and the twin (issue 5 §1: "lists
/// chosen by the same rule on centroid scores"): centroid scores from `centroidScores` (ip, or
/// squared l2 like the rows), ranked by `Ranking` with the list number as the tie-breaking id.
struct ProbeOrder {
    let scores: ArraySlice<Float>
    let ranking: Ranking
    /// The lists known so far, best first: the first `initial`, then all of them once more are asked for.
    private(set) var known: [Int]

    init(scores: ArraySlice<Float>, metric: Metric, initial: Int) {
        self.scores = scores
        ranking = Ranking(metric: metric)
        let nlist = scores.count, base = scores.startIndex
        var top = TopK(k: min(max(initial, 1), nlist), metric: metric)
        for l in 0..<nlist { top.insert(scores[base + l], Int64(l)) }
        known = top.sorted().ids.map { Int($0) }
    }

    var count: Int { scores.count }

    /// The i-th best list (sorting all of them the first time past the initial ones).
    mutating func list(_ i: Int) -> Int {
        if i >= known.count {
            let s = scores, r = ranking, b = s.startIndex
            known = Array(0..<s.count).sorted { r.before(s[b + $0], Int64($0), s[b + $1], Int64($1)) }
        }
        return known[i]
    }

    /// Centroid scores of every query, row-major `nq × nlist`. Fewer than `VectorIndex.batchThreshold`
    /// queries: one SIMD dot (or l2) per centroid, as rows are scored; more: one sgemm (`Q · Cᵀ`;
    /// l2 as (‖q‖² + ‖c‖²) − 2·q·c). The fast path and the twin both call this on the same queries,
    /// so they rank lists on bit-identical scores.
    static func centroidScores(queries: [Float], centroids: UnsafeBufferPointer<Float>, dimension d: Int, metric: Metric) -> [Float] {
        let nq = queries.count / d, nlist = centroids.count / d
        guard nq > 0, nlist > 0, let c = centroids.baseAddress else { return [] }
        var out = [Float](repeating: 0, count: nq * nlist)
        queries.withUnsafeBufferPointer { qb in
            let q = qb.baseAddress!
            if nq < VectorIndex.batchThreshold {
                out.withUnsafeMutableBufferPointer { o in
                    for i in 0..<nq { avk_score_f32(q + i * d, c, nlist, d, metric == .l2 ? 1 : 0, o.baseAddress! + i * nlist) }
                }
                return
            }
            out.withUnsafeMutableBufferPointer { o in
                BLAS.sgemm(transA: false, transB: true, m: nq, n: nlist, k: d, a: q, lda: d, b: c, ldb: d, c: o.baseAddress!, ldc: nlist)
            }
            if metric == .l2 {
                let cn = (0..<nlist).map { FlatKernel.dot(c + $0 * d, c + $0 * d, d) }
                for i in 0..<nq {
                    let qn = FlatKernel.dot(q + i * d, q + i * d, d)
                    for l in 0..<nlist {
                        var s = (qn + cn[l]) - 2 * out[i * nlist + l]
                        if !s.isFinite { s = FlatKernel.l2(q + i * d, c + l * d, d) }  // inf − inf in the expanded form
                        out[i * nlist + l] = s
                    }
                }
            } else {
                for i in 0..<(nq * nlist) where !out[i].isFinite {
                    out[i] = FlatKernel.dot(q + (i / nlist) * d, c + (i % nlist) * d, d)  // a BLAS overflow must not change a class
                }
            }
        }
        return out
    }
}

extension VectorIndex {
    /// Default lists probed per query.
    public static let defaultNProbe = 16

    /// True when an allowed set is so small (under 1 % of live rows) that scanning its rows
    /// directly beats probing lists until k of them turn up.
    func filterIsSelective(_ allowed: Set<Int64>?) -> Bool {
        guard let allowed else { return false }
        return allowed.count * 100 < liveCount
    }

    func ivfSearch(queries: [Float], k: Int, nprobe: Int, allowedIDs: Set<Int64>?) -> SearchResults {
        let d = dimension
        let nq = queries.count / d
        guard let first = segments.first, k > 0, nq > 0 else {
            return SearchResults(queryCount: nq, k: k, ids: [Int64](repeating: -1, count: nq * k), scores: [Float](repeating: .nan, count: nq * k))
        }
        let nlist = first.nlist
        let scores = ProbeOrder.centroidScores(queries: queries, centroids: first.centroids, dimension: d, metric: metric)
        var orders = (0..<nq).map { ProbeOrder(scores: scores[($0 * nlist)..<(($0 + 1) * nlist)], metric: metric, initial: nprobe) }
        var tops = [TopK](repeating: TopK(k: k, metric: metric), count: nq)
        var eligible = [Int](repeating: 0, count: nq), probed = [Int](repeating: 0, count: nq)
        let counting = allowedIDs != nil || hidden.contains { !$0.isEmpty }
        if nq >= Self.batchThreshold {
            listMajorScan(queries: queries, orders: orders, nprobe: nprobe, allowedIDs: allowedIDs, counting: counting,
                          tops: &tops, eligible: &eligible, probed: &probed)
        }
        // One query at a time: everything for small batches; after a batch, the lists of queries
        // that have not yet seen k live allowed rows. SQ8 lists: the codes give an approximate top
        // `sq8Rerank·k`, whose rows are then scored exactly against the stored vectors.
        let sq8 = segments.allSatisfy { $0.sq8 != nil }
        queries.withUnsafeBufferPointer { q in
            for i in 0..<nq {
                let query = q.baseAddress! + i * d
                if sq8 {
                    let prepared = segments.map { SQ8Kernel.Query(query, params: $0.sq8!, metric: metric) }
                    var approx = TopK(k: k * Self.sq8Rerank, metric: metric)
                    while probed[i] < nlist, probed[i] < nprobe || eligible[i] < k {
                        let l = orders[i].list(probed[i])
                        probed[i] += 1
                        for (s, seg) in segments.enumerated() {
                            let rows = seg.rows(ofList: l)
                            let seen = SQ8Kernel.scan(prepared[s], segment: seg, segmentIndex: s, rows: rows, hidden: hidden[s], allowed: allowedIDs,
                                                      countEligible: counting, into: &approx)
                            eligible[i] += counting ? seen : rows.count
                        }
                    }
                    SQ8Kernel.rerank(approx, query: query, segments: segments, into: &tops[i])
                    continue
                }
                while probed[i] < nlist, probed[i] < nprobe || eligible[i] < k {
                    let l = orders[i].list(probed[i])
                    probed[i] += 1
                    for (s, seg) in segments.enumerated() {
                        let rows = seg.rows(ofList: l)
                        let seen = FlatKernel.scan(query: query, segment: seg, rows: rows, hidden: hidden[s], allowed: allowedIDs,
                                                   countEligible: counting, into: &tops[i])
                        eligible[i] += counting ? seen : rows.count
                    }
                }
            }
        }
        var ids: [Int64] = [], out: [Float] = []
        ids.reserveCapacity(nq * k); out.reserveCapacity(nq * k)
        for t in tops { let r = t.sorted(); ids += r.ids; out += r.scores }
        return SearchResults(queryCount: nq, k: k, ids: ids, scores: out)
    }

    /// The first `nprobe` lists of every query, list by list: the queries probing a list are
    /// gathered and scored against its rows with one sgemm per segment, so a list's rows are read
    /// once per batch instead of once per query (faiss scans per query at one thread).
    private func listMajorScan(queries: [Float], orders: [ProbeOrder], nprobe: Int, allowedIDs: Set<Int64>?, counting: Bool,
                               tops: inout [TopK], eligible: inout [Int], probed: inout [Int]) {
        let d = dimension, nq = queries.count / d, nlist = orders[0].count
        let first = min(nprobe, nlist)
        var probing = [[Int32]](repeating: [], count: nlist)
        for i in 0..<nq {
            for j in 0..<first { probing[orders[i].known[j]].append(Int32(i)) }
            probed[i] = first
        }
        let ip = metric == .ip
        let maxRows = segments.map { seg in (0..<nlist).map { seg.rows(ofList: $0).count }.max() ?? 0 }.max() ?? 0
        let maxQueries = probing.map(\.count).max() ?? 0
        var gathered = [Float](repeating: 0, count: maxQueries * d)
        var block = [Float](repeating: 0, count: max(1, maxQueries * maxRows))
        var queryNorms = [Float](repeating: 0, count: nq), rowNorms = [Float](repeating: 0, count: max(1, maxRows))
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: segments.contains { $0.storage != .float32 } ? max(1, maxRows * d) : 1)
        defer { scratch.deallocate() }
        queries.withUnsafeBufferPointer { qb in
            let q = qb.baseAddress!
            if !ip { for i in 0..<nq { queryNorms[i] = FlatKernel.dot(q + i * d, q + i * d, d) } }
            for l in 0..<nlist where !probing[l].isEmpty {
                let members = probing[l], m = members.count
                gathered.withUnsafeMutableBufferPointer { g in
                    for (a, i) in members.enumerated() { (g.baseAddress! + a * d).update(from: q + Int(i) * d, count: d) }
                }
                for (s, seg) in segments.enumerated() {
                    let rows = seg.rows(ofList: l)
                    let rn = rows.count
                    guard rn > 0 else { continue }
                    let x = seg.floatRows(rows, scratch: scratch)
                    let hiddenHere = hidden[s]
                    gathered.withUnsafeBufferPointer { g in
                        block.withUnsafeMutableBufferPointer { c in
                            BLAS.sgemm(transA: false, transB: true, m: m, n: rn, k: d, a: g.baseAddress!, lda: d, b: x, ldb: d, c: c.baseAddress!, ldc: rn)
                        }
                    }
                    if !ip { for r in 0..<rn { rowNorms[r] = FlatKernel.dot(x + r * d, x + r * d, d) } }
                    for (a, i32) in members.enumerated() {
                        let i = Int(i32)
                        var seen = 0
                        for r in 0..<rn {
                            let id = seg.id(at: rows.lowerBound + r)
                            if counting {
                                if let allowedIDs, !allowedIDs.contains(id) { continue }
                                if hiddenHere.contains(id) { continue }
                                seen += 1
                            }
                            var score = ip ? block[a * rn + r] : (queryNorms[i] + rowNorms[r]) - 2 * block[a * rn + r]
                            if !score.isFinite {
                                score = FlatKernel.score(query: q + i * d, segment: seg, row: rows.lowerBound + r, l2: !ip)
                            }
                            if tops[i].admits(score, id) { tops[i].insert(score, id) }
                        }
                        eligible[i] += counting ? seen : rn
                    }
                }
            }
        }
    }
}

extension ReferenceSearch {
    /// One segment's rows with its inverted lists (CSR offsets into the rows).
    public struct IVFRows: Sendable {
        public var rows: Rows
        public var listOffsets: [Int]
        public init(rows: Rows, listOffsets: [Int]) { self.rows = rows; self.listOffsets = listOffsets }
    }

    /// The IVF twin: for each query, order all lists by `ProbeOrder` (same centroid scores), take the first
    /// `nprobe`, then more while fewer than k live, allowed rows lie in the taken lists; then the flat
    /// twin over the union of those lists. With an allowed set under 1 % of `liveCount`, the flat
    /// twin over everything (the fast path scans those ids directly).
    public static func ivfSearch(_ parts: [IVFRows], centroids: [Float], dimension d: Int, metric: Metric, queries: [Float], k: Int,
                                 nprobe: Int, allowedIDs: Set<Int64>? = nil, liveCount: Int) -> SearchResults {
        if let allowedIDs, allowedIDs.count * 100 < liveCount {
            return search(parts.map(\.rows), dimension: d, metric: metric, queries: queries, k: k, allowedIDs: allowedIDs)
        }
        let nq = queries.count / d, nlist = centroids.count / d
        // The same centroid scores as the fast path computes for the same queries (list choice is shared).
        let scores = centroids.withUnsafeBufferPointer { ProbeOrder.centroidScores(queries: queries, centroids: $0, dimension: d, metric: metric) }
        var ids: [Int64] = [], outScores: [Float] = []
        for q in 0..<nq {
            let query = Array(queries[(q * d)..<((q + 1) * d)])
            var probe = ProbeOrder(scores: scores[(q * nlist)..<((q + 1) * nlist)], metric: metric, initial: nlist)
            let order = (0..<nlist).map { probe.list($0) }
            var chosen: [Int] = [], eligible = 0
            for l in order {
                if chosen.count >= nprobe && eligible >= k { break }
                chosen.append(l)
                for p in parts {
                    for r in p.listOffsets[l]..<p.listOffsets[l + 1] {
                        let id = p.rows.ids[r]
                        if !p.rows.hidden.contains(id) && (allowedIDs?.contains(id) ?? true) { eligible += 1 }
                    }
                }
            }
            let subsets = parts.map { p in
                var v: [Float] = [], i: [Int64] = []
                for l in chosen {
                    for r in p.listOffsets[l]..<p.listOffsets[l + 1] {
                        v += p.rows.vectors[(r * d)..<((r + 1) * d)]
                        i.append(p.rows.ids[r])
                    }
                }
                return Rows(vectors: v, ids: i, hidden: p.rows.hidden)
            }
            let r = search(subsets, dimension: d, metric: metric, queries: query, k: k, allowedIDs: allowedIDs)
            ids += r.ids; outScores += r.scores
        }
        return SearchResults(queryCount: nq, k: k, ids: ids, scores: outScores)
    }
}
