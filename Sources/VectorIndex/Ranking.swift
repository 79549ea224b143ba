/// The one ranking rule every search path and its twin share (issue 5, "Correctness rule"):
/// finite scores first, best first (IP descending, L2 ascending); then infinities in the same
/// direction; NaN last; bit-equal (and equal) scores ordered by smaller id.
struct Ranking: Sendable {
    let metric: Metric

    @inline(__always) static func tier(_ s: Float) -> Int { s.isFinite ? 0 : (s.isNaN ? 2 : 1) }

    /// True when `(a, idA)` ranks strictly before `(b, idB)`.
    @inline(__always) func before(_ a: Float, _ idA: Int64, _ b: Float, _ idB: Int64) -> Bool {
        let ta = Ranking.tier(a), tb = Ranking.tier(b)
        if ta != tb { return ta < tb }
        if ta != 2 && a != b { return metric == .ip ? a > b : a < b }
        return idA < idB
    }
}

/// The k best (score, id) pairs seen so far: a binary heap with the worst kept on top, so a
/// candidate is compared once against the current k-th and most are rejected there.
struct TopK {
    let k: Int
    let ranking: Ranking
    private(set) var scores: [Float] = []
    private(set) var ids: [Int64] = []

    init(k: Int, metric: Metric) {
        self.k = k
        ranking = Ranking(metric: metric)
        scores.reserveCapacity(k)
        ids.reserveCapacity(k)
    }

    var isFull: Bool { scores.count == k }

    /// The current k-th score, for a cheap first rejection test; only meaningful when full.
    var worstScore: Float { scores[0] }

    /// True if `(score, id)` would enter the list.
    @inline(__always) func admits(_ score: Float, _ id: Int64) -> Bool {
        scores.count < k || ranking.before(score, id, scores[0], ids[0])
    }

    mutating func insert(_ score: Float, _ id: Int64) {
        guard k > 0 else { return }
        if scores.count < k {
            scores.append(score); ids.append(id)
            var i = scores.count - 1
            while i > 0 {
                let p = (i - 1) / 2
                guard ranking.before(scores[p], ids[p], scores[i], ids[i]) else { break }
                scores.swapAt(p, i); ids.swapAt(p, i)
                i = p
            }
            return
        }
        guard ranking.before(score, id, scores[0], ids[0]) else { return }
        scores[0] = score; ids[0] = id
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var worst = i
            if l < k, ranking.before(scores[worst], ids[worst], scores[l], ids[l]) { worst = l }
            if r < k, ranking.before(scores[worst], ids[worst], scores[r], ids[r]) { worst = r }
            if worst == i { break }
            scores.swapAt(worst, i); ids.swapAt(worst, i)
            i = worst
        }
    }

    /// Best first, padded to k with id −1 and score NaN.
    func sorted() -> (ids: [Int64], scores: [Float]) {
        let order = scores.indices.sorted { ranking.before(scores[$0], ids[$0], scores[$1], ids[$1]) }
        var outIDs = order.map { ids[$0] }, outScores = order.map { scores[$0] }
        while outIDs.count < k { outIDs.append(-1); outScores.append(.nan) }
        return (outIDs, outScores)
    }
}

/// Search results: `k` per query, row-major (`ids[q * k + j]`), best first; missing entries are
/// id −1 with score NaN. L2 scores are squared distances.
public struct SearchResults: Equatable, Sendable {
    public let queryCount: Int
    public let k: Int
    public var ids: [Int64]
    public var scores: [Float]

    public init(queryCount: Int, k: Int, ids: [Int64], scores: [Float]) {
        precondition(ids.count == queryCount * k && scores.count == queryCount * k, "results: \(ids.count) ids for \(queryCount)×\(k)")
        self.queryCount = queryCount
        self.k = k
        self.ids = ids
        self.scores = scores
    }

    public func ids(ofQuery q: Int) -> ArraySlice<Int64> { ids[(q * k)..<((q + 1) * k)] }
    public func scores(ofQuery q: Int) -> ArraySlice<Float> { scores[(q * k)..<((q + 1) * k)] }

    /// Equal bit for bit, NaN padding included (`==` on Float treats NaN as unequal).
    public func isIdentical(to other: SearchResults) -> Bool {
        queryCount == other.queryCount && k == other.k && ids == other.ids
            && scores.map(\.bitPattern) == other.scores.map(\.bitPattern)
    }
}
