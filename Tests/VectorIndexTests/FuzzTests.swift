import Foundation
import Testing
import TestSupport
@testable import VectorIndex

@Suite("Reader fuzzing: damaged segment bytes")
struct FuzzTests {
    /// Each case flips one byte (or truncates) the segment of a one-segment index. Opening must
    /// throw a `VectorIndexError`, or searching must give the twin's answer over the bytes on disk
    /// decoded as Docs/IndexFormat.md says (an independent decoder).
    @Test("3,000 seeded byte flips and truncations: each is a typed error or the twin's answer over the bytes on disk", arguments: [Metric.ip, .l2])
    func flipsAndTruncations(metric: Metric) throws {
        let dir = try TemporaryFolder()
        let url = dir.url.appendingPathComponent("idx")
        var rng = SeededGenerator(state: metric == .ip ? 1234 : 4321)
        let d = 6, n = 24
        try VectorIndexWriter.build(directory: url, dimension: d, metric: metric, vectors: rng.unitVectors(n, d),
                                    ids: (0..<n).map { Int64($0 * 5) })
        let seg = url.appendingPathComponent("seg-1.vseg")
        let pristine = [UInt8](try Data(contentsOf: seg))
        let queries = rng.unitVectors(9, d)  // 9 ≥ batchThreshold: the sgemm path; the first 2 again as singles
        var errors = 0, answered = 0
        for c in 0..<1500 {
            var bytes = pristine
            if c % 5 == 4 {
                bytes.removeLast(Int.random(in: 1...pristine.count, using: &rng))
            } else {
                let at = c % 5 == 0 ? Int.random(in: 0..<128, using: &rng) : Int.random(in: 0..<pristine.count, using: &rng)
                bytes[at] ^= UInt8.random(in: 1...255, using: &rng)
            }
            try Data(bytes).write(to: seg)
            let index: VectorIndex
            do {
                index = try VectorIndex.open(directory: url)
            } catch let e as VectorIndexError {
                errors += 1
                #expect([.corrupt, .unsupported].contains(e.exitCode))
                continue
            }
            answered += 1
            let doc = try #require(DocumentedSegment(bytes), "opened a segment the documented decoder rejects (case \(c))")
            let rows = [ReferenceSearch.Rows(vectors: doc.vectors, ids: doc.ids)]
            for qs in [queries, Array(queries[0..<(2 * d)])] {
                for k in [3, 30] {
                    let twin = ReferenceSearch.search(rows, dimension: d, metric: metric, queries: qs, k: k)
                    let all = allTwinScores(rows, dimension: d, metric: metric, queries: qs, allowed: nil)
                    let problem = agreesUnderRule(index.search(queries: qs, k: k), twin, allScores: all)
                    #expect(problem == nil, "case \(c): \(problem ?? "")")
                }
            }
        }
        // Both outcomes occur: header damage is caught, payload damage is searched.
        #expect(errors > 300 && answered > 300)
    }
}
