import Foundation
import Testing
import TestSupport
@testable import VectorIndex

@Suite("Flat search against its slow twin")
struct SearchTests {
    /// Three segments (build + two adds) with some ids removed, so tombstones apply per generation.
    func makeIndex(_ dir: TemporaryFolder, metric: Metric, d: Int, rng: inout SeededGenerator) throws -> VectorIndex {
        let url = dir.url.appendingPathComponent("idx-\(metric)")
        let w = try VectorIndexWriter.build(directory: url, dimension: d, metric: metric, vectors: rng.unitVectors(150, d))
        try w.add(vectors: rng.unitVectors(90, d))
        try w.remove(ids: [3, 77, 160, 149])
        try w.add(vectors: rng.unitVectors(60, d), ids: (0..<60).map { 1000 + 3 * Int64($0) } )
        try w.remove(ids: [1003, 5])
        return try VectorIndex.open(directory: url)
    }

    @Test("single and batched queries, ip and l2, with and without an allowed set, agree with the twin", arguments: [Metric.ip, .l2])
    func againstTwin(metric: Metric) throws {
        let dir = try TemporaryFolder()
        var rng = SeededGenerator(state: metric == .ip ? 21 : 22)
        let d = 37  // not a multiple of the 16-lane SIMD width: the scalar tail runs too
        let index = try makeIndex(dir, metric: metric, d: d, rng: &rng)
        #expect(index.liveCount == 300 - 6)
        let allowed: Set<Int64> = Set((0..<40).map { _ in Int64.random(in: 0...1200, using: &rng) } + [5, 3, 1006])
        expectFlatSearchMatchesTwin(index, rng: &rng, queryCounts: [1, 3, 8, 20], ks: [1, 10, 400], filters: [nil, allowed],
                                    removed: [3, 77, 160, 149, 1003, 5])
    }

    @Test("exact data: ties broken by smaller id, non-finite after finite, NaN last, padding −1/NaN — bit-identical to the twin", arguments: [Metric.ip, .l2])
    func exactOrdering(metric: Metric) throws {
        let dir = try TemporaryFolder()
        let url = dir.url.appendingPathComponent("idx")
        let d = 20
        var rng = SeededGenerator(state: 99)
        // Small integers: every sum is exact in float32 in any order, so fast and twin must agree bit for bit.
        var vectors = (0..<(60 * d)).map { _ in Float(Int.random(in: -2...2, using: &rng)) }
        for j in 0..<d { vectors[5 * d + j] = vectors[9 * d + j] }  // a duplicate: bit-equal scores
        vectors[11 * d + 3] = .infinity
        vectors[12 * d + 4] = -.infinity
        vectors[13 * d + 0] = .nan
        vectors[14 * d + 1] = .infinity; vectors[14 * d + 2] = -.infinity
        let ids = (0..<60).map { Int64(($0 * 37) % 61) }
        let w = try VectorIndexWriter.build(directory: url, dimension: d, metric: metric, vectors: vectors, ids: ids)
        try w.remove(ids: [ids[20]])
        let index = w.index
        var queries = (0..<(12 * d)).map { _ in Float(Int.random(in: -1...1, using: &rng)) }
        for j in 0..<d { queries[j] = 0 }  // all-zero query: every finite IP score ties at 0
        for k in [1, 7, 59, 80] {
            let fast = index.search(queries: queries, k: k)
            let single = index.search(queries: Array(queries[0..<(2 * d)]), k: k)
            let twin = index.referenceSearch(queries: queries, k: k)
            #expect(fast.isIdentical(to: twin), "k \(k)")
            #expect(single.isIdentical(to: index.referenceSearch(queries: Array(queries[0..<(2 * d)]), k: k)))
            if k == 80 {
                for q in 0..<12 {
                    #expect(Array(fast.ids(ofQuery: q).suffix(21)) == [Int64](repeating: -1, count: 21))
                    #expect(fast.scores(ofQuery: q).suffix(21).allSatisfy { $0.isNaN })
                    // The NaN rows (13 and 14, plus any inf·0) come last among real rows.
                    let real = Array(fast.scores(ofQuery: q).prefix(59))
                    let tiers = real.map(Ranking.tier)
                    #expect(tiers == tiers.sorted())
                }
            }
        }
        // The all-zero query under IP: ties at 0 in id order.
        let zero = index.search(queries: [Float](repeating: 0, count: d), k: 5)
        if metric == .ip { #expect(Array(zero.ids) == Array(zero.ids).sorted()) }
    }
}
