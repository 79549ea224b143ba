/// IVF search: score the query against the centroids, scan the best `nprobe` inverted lists of
/// every segment, and keep probing lists in centroid order while fewer than k live (and allowed)
/// rows have been seen, so a filter or tombstones never make a search return fewer than k
/// results that exist (issue 5 §4; post-filtering returns too few: sqlite-vec #196, #152).
/// Below 1 % allowed ids an IVF search scans the allowed ids' rows directly (exact, like flat).

/// The one rule that chooses lists, shared by the fast path and its twin (issue 5 §1: "lists
/// chosen by the same rule on centroid scores"): centroid scores by `FlatKernel` (ip or squared
/// l2, like the rows), ranked by `Ranking` with the list number as the tie-breaking id.
struct ProbeOrder {
    let scores: [Float]
    let ranking: Ranking
    /// The lists known so far, best first: the first `initial`, then all of them once more are asked for.
    private(set) var known: [Int]

    init(query: UnsafePointer<Float>, centroids: UnsafeBufferPointer<Float>, dimension d: Int, metric: Metric, initial: Int) {
        let nlist = centroids.count / d
        let c = centroids.baseAddress
        scores = (0..<nlist).map { l in metric == .ip ? FlatKernel.dot(query, c! + l * d, d) : FlatKernel.l2(query, c! + l * d, d) }
        ranking = Ranking(metric: metric)
        var top = TopK(k: min(max(initial, 1), nlist), metric: metric)
        for l in 0..<nlist { top.insert(scores[l], Int64(l)) }
        known = top.sorted().ids.map { Int($0) }
    }

    var count: Int { scores.count }

    /// The i-th best list (sorting all of them the first time past the initial ones).
    mutating func list(_ i: Int) -> Int {
        if i >= known.count {
            let s = scores, r = ranking
            known = Array(0..<s.count).sorted { r.before(s[$0], Int64($0), s[$1], Int64($1)) }
        }
        return known[i]
    }

    /// Every list, best first (the twin's way).
    static func fullOrder(query: UnsafePointer<Float>, centroids: UnsafeBufferPointer<Float>, dimension d: Int, metric: Metric) -> [Int] {
        var p = ProbeOrder(query: query, centroids: centroids, dimension: d, metric: metric, initial: centroids.count / d)
        return (0..<p.count).map { p.list($0) }
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
        var ids: [Int64] = [], scores: [Float] = []
        ids.reserveCapacity(nq * k); scores.reserveCapacity(nq * k)
        guard let first = segments.first, k > 0 else {
            return SearchResults(queryCount: nq, k: k, ids: [Int64](repeating: -1, count: nq * k), scores: [Float](repeating: .nan, count: nq * k))
        }
        let centroids = first.centroids
        let counting = allowedIDs != nil || hidden.contains { !$0.isEmpty }
        queries.withUnsafeBufferPointer { q in
            for i in 0..<nq {
                let query = q.baseAddress! + i * d
                var order = ProbeOrder(query: query, centroids: centroids, dimension: d, metric: metric, initial: nprobe)
                var top = TopK(k: k, metric: metric)
                var eligible = 0, probed = 0
                while probed < order.count, probed < nprobe || eligible < k {
                    let l = order.list(probed)
                    probed += 1
                    for (s, seg) in segments.enumerated() {
                        let rows = seg.rows(ofList: l)
                        let seen = FlatKernel.scan(query: query, segment: seg, rows: rows, hidden: hidden[s], allowed: allowedIDs,
                                                   countEligible: counting, into: &top)
                        eligible += counting ? seen : rows.count
                    }
                }
                let r = top.sorted()
                ids += r.ids; scores += r.scores
            }
        }
        return SearchResults(queryCount: nq, k: k, ids: ids, scores: scores)
    }
}

extension ReferenceSearch {
    /// One segment's rows with its inverted lists (CSR offsets into the rows).
    public struct IVFRows: Sendable {
        public var rows: Rows
        public var listOffsets: [Int]
        public init(rows: Rows, listOffsets: [Int]) { self.rows = rows; self.listOffsets = listOffsets }
    }

    /// The IVF twin: for each query, order all lists by `ProbeOrder.fullOrder`, take the first
    /// `nprobe`, then more while fewer than k live, allowed rows lie in the taken lists; then the flat
    /// twin over the union of those lists. With an allowed set under 1 % of `liveCount`, the flat
    /// twin over everything (the fast path scans those ids directly).
    public static func ivfSearch(_ parts: [IVFRows], centroids: [Float], dimension d: Int, metric: Metric, queries: [Float], k: Int,
                                 nprobe: Int, allowedIDs: Set<Int64>? = nil, liveCount: Int) -> SearchResults {
        if let allowedIDs, allowedIDs.count * 100 < liveCount {
            return search(parts.map(\.rows), dimension: d, metric: metric, queries: queries, k: k, allowedIDs: allowedIDs)
        }
        let nq = queries.count / d
        var ids: [Int64] = [], scores: [Float] = []
        for q in 0..<nq {
            let query = Array(queries[(q * d)..<((q + 1) * d)])
            let order = query.withUnsafeBufferPointer { qp in
                centroids.withUnsafeBufferPointer { ProbeOrder.fullOrder(query: qp.baseAddress!, centroids: $0, dimension: d, metric: metric) }
            }
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
            ids += r.ids; scores += r.scores
        }
        return SearchResults(queryCount: nq, k: k, ids: ids, scores: scores)
    }
}
