import Foundation
import Testing
import TestSupport
@testable import VectorIndex

@Suite("Generations, lock, add/remove/compact")
struct GenerationTests {
    func files(_ url: URL) throws -> Set<String> { Set(try FileManager.default.contentsOfDirectory(atPath: url.path)) }

    @Test("a second writer is refused with a lock error (exit code locked) while the first holds LOCK")
    func secondWriterRefused() throws {
        let dir = try TemporaryFolder()
        let url = dir.url.appendingPathComponent("idx")
        var first: VectorIndexWriter? = try VectorIndexWriter.build(directory: url, dimension: 2, metric: .ip, vectors: [1, 0])
        #expect(throws: VectorIndexError.locked(path: url.path)) { try VectorIndexWriter(directory: url) }
        #expect(VectorIndexError.locked(path: url.path).exitCode == .locked)
        #expect(first?.index.generation == 1)
        first = nil
        _ = try VectorIndexWriter(directory: url)  // released with the first writer
    }

    @Test("a reader keeps its generation while a writer adds, removes, compacts and deletes old files")
    func readerPinsGeneration() throws {
        let dir = try TemporaryFolder()
        let url = dir.url.appendingPathComponent("idx")
        var rng = SeededGenerator(state: 8)
        let w = try VectorIndexWriter.build(directory: url, dimension: 8, metric: .ip, vectors: rng.unitVectors(30, 8))
        let reader = try VectorIndex.open(directory: url)
        let queries = rng.unitVectors(3, 8)
        let before = reader.search(queries: queries, k: 5)
        try w.add(vectors: rng.unitVectors(10, 8))
        try w.remove(ids: [0, 1, 2, 35])
        try w.compact()
        try w.add(vectors: rng.unitVectors(4, 8))
        #expect(w.index.generation == 5)
        #expect(!FileManager.default.fileExists(atPath: url.appendingPathComponent("seg-1.vseg").path))
        #expect(reader.generation == 1)
        #expect(reader.search(queries: queries, k: 5).isIdentical(to: before))
        // Only the two newest generations' files remain, and both open.
        #expect(try files(url) == ["CURRENT", "LOCK", "gen-4.json", "gen-5.json", "seg-4.vseg", "seg-5.vseg"])
        #expect(try VectorIndex(directory: url, generation: 4).liveCount == 36)
        #expect(try VectorIndex.open(directory: url).liveCount == 40)
        #expect(throws: VectorIndexError.missingFile(path: url.appendingPathComponent("gen-3.json").path)) {
            try VectorIndex(directory: url, generation: 3)
        }
    }

    @Test("a generation file left by a crashed writer is not reused, and its files are cleaned up")
    func crashedWriterLeftovers() throws {
        let dir = try TemporaryFolder()
        let url = dir.url.appendingPathComponent("idx")
        let w = try VectorIndexWriter.build(directory: url, dimension: 2, metric: .l2, vectors: [1, 0, 0, 1])
        try Data("garbage".utf8).write(to: url.appendingPathComponent("gen-2.json"))
        try Data("garbage".utf8).write(to: url.appendingPathComponent(".seg-2.vseg.tmp-abc123"))
        #expect(try w.add(vectors: [3, 3]) == 3)
        #expect(try w.add(vectors: [4, 4]) == 4)
        #expect(try files(url) == ["CURRENT", "LOCK", "gen-3.json", "gen-4.json", "seg-1.vseg", "seg-3.vseg", "seg-4.vseg"])
        #expect(try VectorIndex.open(directory: url).liveRows().ids == [0, 1, 2, 3])
    }

    @Test("a listed file that is missing gives a corrupt-index error after one retry, not a crash")
    func missingFile() throws {
        let dir = try TemporaryFolder()
        let url = dir.url.appendingPathComponent("idx")
        try VectorIndexWriter.build(directory: url, dimension: 2, metric: .ip, vectors: [1, 0])
        try FileManager.default.removeItem(at: url.appendingPathComponent("seg-1.vseg"))
        let error = #expect(throws: VectorIndexError.self) { try VectorIndex.open(directory: url) }
        #expect(error?.exitCode == .corrupt)
        #expect(throws: VectorIndexError.notAnIndex(path: dir.url.path)) { try VectorIndex.open(directory: dir.url) }
    }

    @Test("a reader that finds its generation's files gone re-reads CURRENT once and opens the newer generation")
    func retryAfterMissingFile() throws {
        let dir = try TemporaryFolder()
        let url = dir.url.appendingPathComponent("idx")
        let w = try VectorIndexWriter.build(directory: url, dimension: 2, metric: .ip, vectors: [1, 0, 0, 1])
        try w.compact()
        try w.compact()  // generation 1's files are deleted now
        // The reader read CURRENT = gen-1 just before the writer's changes; CURRENT names gen-3 when it retries.
        try CurrentFile.write(directory: url, generation: 1)
        var retries = 0
        let index = try VectorIndex.open(directory: url) {
            retries += 1
            try CurrentFile.write(directory: url, generation: 3)
        }
        #expect(retries == 1 && index.generation == 3 && index.liveRows().ids == [0, 1])
        // Only once: if the second attempt also misses, the error surfaces.
        try CurrentFile.write(directory: url, generation: 1)
        #expect(throws: VectorIndexError.missingFile(path: url.appendingPathComponent("gen-1.json").path)) {
            try VectorIndex.open(directory: url) {}
        }
    }

    @Test("removing every vector and compacting leaves an empty, valid index that pads every result")
    func emptyAfterCompact() throws {
        let dir = try TemporaryFolder()
        let url = dir.url.appendingPathComponent("idx")
        let w = try VectorIndexWriter.build(directory: url, dimension: 3, metric: .l2, vectors: [1, 2, 3, 4, 5, 6])
        try w.remove(ids: [0, 1])
        try w.compact()
        let index = try VectorIndex.open(directory: url)
        try index.verify()
        #expect(index.liveCount == 0 && index.storedCount == 0)
        let r = index.search(queries: [0, 0, 0], k: 2)
        #expect(r.ids == [-1, -1] && r.scores.allSatisfy { $0.isNaN })
        try w.add(vectors: [7, 8, 9])
        #expect(try VectorIndex.open(directory: url).search(queries: [7, 8, 9], k: 1).scores == [0])
    }

    @Test("add with a present id, and remove with unknown ids, are errors that write nothing")
    func refusedChanges() throws {
        let dir = try TemporaryFolder()
        let url = dir.url.appendingPathComponent("idx")
        let w = try VectorIndexWriter.build(directory: url, dimension: 2, metric: .ip, vectors: [1, 0, 0, 1, 1, 1], ids: [5, 6, 9])
        let snapshot = try files(url)
        #expect(throws: VectorIndexError.duplicateIDs(path: url.path, ids: [6], total: 1)) { try w.add(vectors: [2, 2, 3, 3], ids: [10, 6]) }
        #expect(throws: VectorIndexError.unknownIDs(path: url.path, ids: [7, 8], total: 2)) { try w.remove(ids: [5, 7, 8, 7]) }
        #expect(throws: VectorIndexError.self) { try w.add(vectors: [2, 2, 3, 3], ids: [11, 11]) }
        #expect(throws: VectorIndexError.self) { try w.add(vectors: [2, 2, 3], ids: nil) }
        #expect(try files(url) == snapshot)
        // Default ids continue after the largest stored id.
        try w.add(vectors: [2, 2, 3, 3])
        #expect(w.index.liveRows().ids == [5, 6, 9, 10, 11])
        // A removed id may be added again: the old tombstone does not hide the newer segment.
        try w.remove(ids: [6])
        try w.add(vectors: [7, 7], ids: [6])
        #expect(w.index.liveRows().ids == [5, 9, 10, 11, 6])
        #expect(w.index.search(queries: [1, 1], k: 1).ids == [6])
    }

    @Test("random add/remove/compact sequences match an in-memory model of the contents")
    func modelSequences() throws {
        for seed in UInt64(1)...6 {
            let dir = try TemporaryFolder()
            let url = dir.url.appendingPathComponent("idx")
            var rng = SeededGenerator(state: seed)
            let d = 5
            let metric: Metric = seed % 2 == 0 ? .ip : .l2
            var model: [Int64: [Float]] = [:]
            var order: [Int64] = []
            let first = rng.unitVectors(12, d)
            let w = try VectorIndexWriter.build(directory: url, dimension: d, metric: metric, vectors: first)
            for i in 0..<12 { model[Int64(i)] = Array(first[(i * d)..<((i + 1) * d)]); order.append(Int64(i)) }
            var maxStored: Int64 = 11
            for _ in 0..<25 {
                switch Int.random(in: 0..<10, using: &rng) {
                case 0..<4:
                    let n = Int.random(in: 1...6, using: &rng)
                    let v = rng.unitVectors(n, d)
                    if Bool.random(using: &rng) {
                        let ids = (0..<n).map { _ in Int64.random(in: 0...60, using: &rng) }
                        let clash = ids.contains { model[$0] != nil } || Set(ids).count != n
                        if clash {
                            #expect(throws: VectorIndexError.self) { try w.add(vectors: v, ids: ids) }
                        } else {
                            try w.add(vectors: v, ids: ids)
                            for (i, id) in ids.enumerated() { model[id] = Array(v[(i * d)..<((i + 1) * d)]); order.append(id) }
                            maxStored = max(maxStored, ids.max()!)
                        }
                    } else {
                        try w.add(vectors: v)
                        for i in 0..<n { maxStored += 1; model[maxStored] = Array(v[(i * d)..<((i + 1) * d)]); order.append(maxStored) }
                    }
                case 4..<8:
                    let ids = (0..<Int.random(in: 1...4, using: &rng)).map { _ in Int64.random(in: 0...60, using: &rng) }
                    if ids.allSatisfy({ model[$0] != nil }) {
                        try w.remove(ids: ids)
                        for id in ids { model[id] = nil }
                        order.removeAll { ids.contains($0) }
                    } else {
                        #expect(throws: VectorIndexError.self) { try w.remove(ids: ids) }
                    }
                default:
                    let before = w.index.generation
                    try w.compact()
                    #expect(w.index.segmentCount == 1 && w.index.tombstoneCount == 0 && w.index.generation > before)
                    maxStored = order.max() ?? -1
                }
                // A fresh reader sees exactly the model, in storage order, and searches agree with it.
                let reader = try VectorIndex.open(directory: url)
                let live = reader.liveRows()
                #expect(live.ids == order, "seed \(seed)")
                #expect(live.vectors == order.flatMap { model[$0]! })
                #expect(reader.liveCount == order.count)
                let q = rng.unitVectors(2, d)
                let modelRows = ReferenceSearch.Rows(vectors: order.flatMap { model[$0]! }, ids: order)
                let expected = ReferenceSearch.search([modelRows], dimension: d, metric: metric, queries: q, k: 70)
                let all = allTwinScores([modelRows], dimension: d, metric: metric, queries: q, allowed: nil)
                let problem = agreesUnderRule(reader.search(queries: q, k: 70), expected, allScores: all)
                #expect(problem == nil, "seed \(seed): \(problem ?? "")")
            }
        }
    }
}
