import Foundation
import Testing
import TestSupport
@testable import VectorIndex

/// Writes case `c` of the segment fuzz over `seg`: every fifth case a truncation, the others one
/// flipped byte (a fifth of them in the 128-byte header), then opens the index. Nil when opening
/// threw a typed corrupt/unsupported error (checked here).
func openDamaged(_ seg: URL, index url: URL, pristine: [UInt8], case c: Int, rng: inout SeededGenerator) throws -> (VectorIndex, [UInt8])? {
    var bytes = pristine
    if c % 5 == 4 {
        bytes.removeLast(Int.random(in: 1...pristine.count, using: &rng))
    } else {
        let at = c % 5 == 0 ? Int.random(in: 0..<128, using: &rng) : Int.random(in: 0..<pristine.count, using: &rng)
        bytes[at] ^= UInt8.random(in: 1...255, using: &rng)
    }
    try Data(bytes).write(to: seg)
    do {
        return (try VectorIndex.open(directory: url), bytes)
    } catch let e as VectorIndexError {
        #expect([.corrupt, .unsupported].contains(e.exitCode))
        return nil
    }
}

@Suite("Reader fuzzing: damaged segment bytes")
struct FuzzTests {
    /// Each case flips one byte (or truncates) the segment of a one-segment index. Opening must
    /// throw a `VectorIndexError`, or searching must give the twin's answer over the bytes on disk
    /// decoded as Docs/IndexFormat.md says (an independent decoder).
    @Test("1,500 seeded byte flips and truncations per metric and storage: each is a typed error or the twin's answer over the bytes on disk",
          arguments: [Metric.ip, .l2], [VectorStorage.float32, .float16])
    func flipsAndTruncations(metric: Metric, storage: VectorStorage) throws {
        let dir = try TemporaryFolder()
        let url = dir.url.appendingPathComponent("idx")
        var rng = SeededGenerator(state: (metric == .ip ? 1234 : 4321) + (storage == .float16 ? 7 : 0))
        let d = 6, n = 24
        try VectorIndexWriter.build(directory: url, dimension: d, metric: metric, vectors: rng.unitVectors(n, d),
                                    ids: (0..<n).map { Int64($0 * 5) }, storage: storage)
        let seg = url.appendingPathComponent("seg-1.vseg")
        let pristine = [UInt8](try Data(contentsOf: seg))
        let queries = rng.unitVectors(9, d)  // 9 ≥ batchThreshold: the sgemm path; the first 2 again as singles
        var errors = 0, answered = 0
        for c in 0..<1500 {
            guard let opened = try openDamaged(seg, index: url, pristine: pristine, case: c, rng: &rng) else { errors += 1; continue }
            let (index, bytes) = opened
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

@Suite("Reader fuzzing: damaged IVF segment bytes")
struct IVFFuzzTests {
    /// As for flat segments, with the IVF twin (same nprobe and filter) over the bytes on disk:
    /// damage to the header or list offsets must be an error (checked at open); damage to vectors,
    /// ids or centroids (not checksummed at open: O(nlist·d)) must give the twin's answer over those
    /// bytes, lists chosen on the same damaged centroids.
    @Test("3,000 seeded byte flips and truncations of an IVF segment: each a typed error or the IVF twin's answer", arguments: [Metric.ip, .l2])
    func flipsAndTruncations(metric: Metric) throws {
        let dir = try TemporaryFolder()
        let url = dir.url.appendingPathComponent("idx")
        var rng = SeededGenerator(state: metric == .ip ? 555 : 556)
        let d = 6, n = 40
        try VectorIndexWriter.build(directory: url, dimension: d, metric: metric, vectors: rng.clusteredUnitVectors(n, d, clusters: 5),
                                    ids: (0..<n).map { Int64($0 * 3) }, kind: .ivf(nlist: 4, options: .init(seed: 2)))
        let seg = url.appendingPathComponent("seg-1.vseg")
        let pristine = [UInt8](try Data(contentsOf: seg))
        let queries = rng.unitVectors(9, d)
        let allowed: Set<Int64> = Set((0..<20).map { Int64($0 * 6) })
        var errors = 0, answered = 0
        for c in 0..<1500 {
            guard let opened = try openDamaged(seg, index: url, pristine: pristine, case: c, rng: &rng) else { errors += 1; continue }
            let (index, bytes) = opened
            answered += 1
            let doc = try #require(DocumentedSegment(bytes), "opened a segment the documented decoder rejects (case \(c))")
            #expect(doc.nlist == 4)
            let parts = [ReferenceSearch.IVFRows(rows: .init(vectors: doc.vectors, ids: doc.ids), listOffsets: doc.listOffsets)]
            for (qs, nprobe, filter) in [(queries, 1, nil), (Array(queries[0..<(2 * d)]), 2, allowed), (queries, 3, allowed)] as [([Float], Int, Set<Int64>?)] {
                for k in [3, 30] {
                    let twin = ReferenceSearch.ivfSearch(parts, centroids: doc.centroids, dimension: d, metric: metric, queries: qs, k: k,
                                                         nprobe: nprobe, allowedIDs: filter, liveCount: index.liveCount)
                    let all = allTwinScores(parts.map(\.rows), dimension: d, metric: metric, queries: qs, allowed: filter)
                    let problem = agreesUnderRule(index.search(queries: qs, k: k, allowedIDs: filter, nprobe: nprobe), twin, allScores: all)
                    #expect(problem == nil, "case \(c) nprobe \(nprobe): \(problem ?? "")")
                }
            }
        }
        #expect(errors > 300 && answered > 300)
    }
}

@Suite("Reader fuzzing: damaged generation, CURRENT and tombstone files")
struct MetadataFuzzTests {
    @Test("1,500 seeded byte flips and truncations of gen-<n>.json, CURRENT and tomb-<n>.npy: each a typed error or the undamaged answer")
    func metadataDamage() throws {
        let dir = try TemporaryFolder()
        let url = dir.url.appendingPathComponent("idx")
        var rng = SeededGenerator(state: 77)
        let d = 4
        let w = try VectorIndexWriter.build(directory: url, dimension: d, metric: .ip, vectors: rng.unitVectors(20, d))
        try w.remove(ids: [2, 3])
        let queries = rng.unitVectors(2, d)
        let expected = try VectorIndex.open(directory: url).search(queries: queries, k: 25)
        let names = ["gen-2.json", "CURRENT", "tomb-2.npy"]
        let pristine = try names.map { [UInt8](try Data(contentsOf: url.appendingPathComponent($0))) }
        var errors = 0, answered = 0
        for c in 0..<1500 {
            let f = c % 3
            var bytes = pristine[f]
            if c % 7 == 6 {
                bytes.removeLast(Int.random(in: 1...bytes.count, using: &rng))
            } else {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            }
            try Data(bytes).write(to: url.appendingPathComponent(names[f]))
            defer { try? Data(pristine[f]).write(to: url.appendingPathComponent(names[f])) }
            do {
                let index = try VectorIndex.open(directory: url)
                answered += 1
                // Whatever still parses must mean the same index (e.g. a flipped space in the JSON).
                #expect(index.search(queries: queries, k: 25).isIdentical(to: expected), "case \(c): \(names[f])")
            } catch let e as VectorIndexError {
                errors += 1
                #expect([.corrupt, .unsupported, .badInput].contains(e.exitCode), "case \(c): \(e)")
            }
        }
        #expect(errors > 500)
    }
}
