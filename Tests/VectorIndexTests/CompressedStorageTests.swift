import FileIO
import Foundation
import NumPyFormat
import Testing
import TestSupport
@testable import VectorIndex

@Suite("Float16 storage and SQ8 lists (Docs/IndexFormat.md §3.2)")
struct CompressedStorageTests {
    @Test("float16 flat: single and batched, ip and l2, tombstones and filters agree with the twin over the stored halves; add/compact keep float16",
          arguments: [Metric.ip, .l2])
    func float16AgainstTwin(metric: Metric) throws {
        let dir = try TemporaryFolder()
        let url = dir.url.appendingPathComponent("idx16")
        var rng = SeededGenerator(state: metric == .ip ? 61 : 62)
        let d = 37
        let w = try VectorIndexWriter.build(directory: url, dimension: d, metric: metric, vectors: rng.unitVectors(150, d), storage: .float16)
        try w.add(vectors: rng.unitVectors(90, d))
        try w.remove(ids: [3, 77, 160])
        let index = try VectorIndex.open(directory: url)
        #expect(index.storage == .float16 && index.segmentCount == 2)
        let allowed: Set<Int64> = Set((0..<40).map { _ in Int64.random(in: 0...240, using: &rng) })
        expectFlatSearchMatchesTwin(index, rng: &rng, queryCounts: [1, 3, 8, 20], ks: [1, 10, 300], filters: [nil, allowed], removed: [3, 77, 160])
        // The twin's rows are the halves as stored: each is the float16 rounding of the input.
        let original = try VectorIndexWriter.build(directory: dir.url.appendingPathComponent("idx32"), dimension: d, metric: metric,
                                                   vectors: index.rows()[0].vectors, storage: .float32).index
        #expect(original.rows()[0].vectors == index.rows()[0].vectors)
        try w.compact()
        #expect(w.index.storage == .float16 && w.index.segmentCount == 1 && w.index.liveCount == 237)
        try w.index.verify()
    }

    @Test("float16 scores stay within the documented error bound of the float32 input's scores", arguments: [Metric.ip, .l2])
    func float16ErrorBound(metric: Metric) throws {
        let dir = try TemporaryFolder()
        var rng = SeededGenerator(state: 63)
        let d = 64
        let vectors = rng.floats(200 * d).map { $0 * 4 }
        let index = try VectorIndexWriter.build(directory: dir.url.appendingPathComponent("i"), dimension: d, metric: metric, vectors: vectors,
                                                storage: .float16).index
        let queries = rng.floats(5 * d)
        let r = index.search(queries: queries, k: 20)
        for q in 0..<5 {
            let query = Array(queries[(q * d)..<((q + 1) * d)])
            for (id, score) in zip(r.ids(ofQuery: q), r.scores(ofQuery: q)) {
                let stored = try #require(index.storedVector(id: id))
                let input = Array(vectors[(Int(id) * d)..<((Int(id) + 1) * d)])
                let exactInput = (0..<d).reduce(0.0) { s, j in
                    let a = Double(query[j]), b = Double(input[j])
                    return s + (metric == .ip ? a * b : (a - b) * (a - b))
                }
                let bound = VectorIndex.float16ScoreErrorBound(query: query, stored: stored, metric: metric)
                // Plus the float32 summation error of the search itself (the correctness rule's 1e-6 scale).
                #expect(abs(Double(score) - exactInput) <= Double(bound) + 1e-6 * max(1, abs(exactInput)), "id \(id)")
            }
        }
    }

    @Test("a float16 segment: version 3, 256-byte header with its extension CRC, '<f2' vectors that NumPy's format reads")
    func float16HeaderBytes() throws {
        let dir = try TemporaryFolder()
        let url = dir.url.appendingPathComponent("idx")
        let vectors: [Float] = [1, 2, 3, -0.5, 0.25, 65504]
        try VectorIndexWriter.build(directory: url, dimension: 3, metric: .ip, vectors: vectors, ids: [40, 7], storage: .float16)
        let b = [UInt8](try Data(contentsOf: url.appendingPathComponent("seg-1.vseg")))
        #expect(Array(b[0..<8]) == Array("AUDIXVEC".utf8))
        #expect(Array(b[8..<12]) == [3, 0, 0, 0])                                     // version 3
        #expect(b[20] == 0 && b[21] == 1 && b[22] == 0 && b[23] == 0)                 // ip, float16, flat
        #expect(Array(b[32..<40]) == [0, 1, 0, 0, 0, 0, 0, 0])                        // vectors at 256
        let npyHead = NPY.headerBytes(descr: "<f2", shape: [2, 3])
        #expect(npyHead.count == 128)
        #expect(DocumentedSegment.u64(b, 40) == UInt64(128 + 12))                     // 2·3 halves
        #expect(DocumentedSegment.u64(b, 48) == 448)                                  // roundUp(256 + 140, 64)
        #expect(DocumentedSegment.u32(b, 124) == CRC32C.checksum(b[0..<124]))
        #expect(b[128] == 0 && b[129..<136].allSatisfy { $0 == 0 })                   // no list codes
        #expect(b[136..<168].allSatisfy { $0 == 0 } && b[176..<252].allSatisfy { $0 == 0 })
        #expect(DocumentedSegment.u32(b, 252) == CRC32C.checksum(b[128..<252]))
        #expect(Array(b[256..<(256 + 128)]) == npyHead)
        let halves = (0..<6).map { UInt16(b[384 + 2 * $0]) | UInt16(b[385 + 2 * $0]) << 8 }
        #expect(halves == vectors.map { Float16($0).bitPattern })
        #expect(DocumentedSegment.u32(b, 64) == CRC32C.checksum(b[256..<396]))
        let doc = try #require(DocumentedSegment(b))
        #expect(doc.version == 3 && doc.vectors == vectors && doc.ids == [40, 7])
        // An older reader (versions ≤ 2) refuses it as newer instead of misreading halves as floats.
        #expect(DocumentedSegment.u32(b, 8) > 2)
    }

    @Test("SQ8 lists: single queries report exact scores (re-ranked), recall against the float IVF twin ≥ 0.98, filters and tombstones hold",
          arguments: [Metric.ip, .l2])
    func sq8(metric: Metric) throws {
        let dir = try TemporaryFolder()
        let url = dir.url.appendingPathComponent("sq8")
        var rng = SeededGenerator(state: metric == .ip ? 71 : 72)
        let d = 32
        let w = try VectorIndexWriter.build(directory: url, dimension: d, metric: metric, vectors: rng.clusteredUnitVectors(1500, d, clusters: 20),
                                            kind: .ivf(nlist: 16, options: .init(seed: 5)), sq8Lists: true)
        try w.add(vectors: rng.clusteredUnitVectors(200, d, clusters: 20))
        try w.remove(ids: [4, 40, 1600])
        let index = try VectorIndex.open(directory: url)
        #expect(index.hasSQ8Lists && index.segmentCount == 2)
        let queries = rng.clusteredUnitVectors(30, d, clusters: 20)
        let rows = index.rows()
        let allowed = Set((0..<700).map { _ in Int64.random(in: 0...1700, using: &rng) })
        var hits = 0, total = 0
        for nprobe in [1, 4] {
            for filter in [nil, allowed] {
                for q in 0..<30 {
                    let query = Array(queries[(q * d)..<((q + 1) * d)])
                    let fast = index.search(queries: query, k: 10, allowedIDs: filter, nprobe: nprobe)
                    let twin = index.referenceSearch(queries: query, k: 10, allowedIDs: filter, nprobe: nprobe)
                    let exact = allTwinScores(rows, dimension: d, metric: metric, queries: query, allowed: filter)[0]
                    // Every reported score is the exact score of its id (the re-rank), within the rule's 1e-6.
                    for (id, s) in zip(fast.ids, fast.scores) where id != -1 {
                        let e = try #require(exact[id]?.first, "id \(id) is not a live allowed row")
                        #expect(abs(s - e) <= 1e-6 * max(1, abs(e)), "nprobe \(nprobe) id \(id): \(s) vs exact \(e)")
                    }
                    #expect(!fast.ids.contains { [4, 40, 1600].contains($0) })
                    if let filter { #expect(fast.ids.allSatisfy { $0 == -1 || filter.contains($0) }) }
                    #expect(!fast.ids.contains(-1), "keeps probing until k live allowed rows")
                    // Sorted by the ranking rule.
                    let r = Ranking(metric: metric)
                    #expect(zip(fast.scores, fast.scores.dropFirst()).allSatisfy { !r.before($1, 0, $0, 0) })
                    hits += Set(fast.ids).intersection(twin.ids).count
                    total += 10
                }
            }
        }
        let recall = Double(hits) / Double(total)
        #expect(recall >= 0.98, "recall@10 of SQ8 + re-rank against the float IVF twin: \(recall)")
        // Batches (≥ 8 queries) score lists by sgemm on the float vectors: the twin's answer under the rule.
        let fast = index.search(queries: queries, k: 10, nprobe: 4)
        let twin = index.referenceSearch(queries: queries, k: 10, nprobe: 4)
        #expect(agreesUnderRule(fast, twin, allScores: allTwinScores(rows, dimension: d, metric: metric, queries: queries, allowed: nil)) == nil)
        // compact keeps the codes; verify reads them.
        try w.compact()
        #expect(w.index.hasSQ8Lists)
        try w.index.verify()
        try w.retrain(nlist: 8)
        #expect(w.index.hasSQ8Lists && w.index.nlist == 8)
    }

    @Test("an SQ8 segment's extension fields, codes and parameters are where the header says; verify finds a flipped code, open a flipped parameter")
    func sq8Layout() throws {
        let dir = try TemporaryFolder()
        let url = dir.url.appendingPathComponent("idx")
        var rng = SeededGenerator(state: 9)
        let d = 5, n = 30
        let vectors = rng.unitVectors(n, d)
        try VectorIndexWriter.build(directory: url, dimension: d, metric: .l2, vectors: vectors, kind: .ivf(nlist: 3, options: .init(seed: 1)), sq8Lists: true)
        let segURL = url.appendingPathComponent("seg-1.vseg")
        var b = [UInt8](try Data(contentsOf: segURL))
        let doc = try #require(DocumentedSegment(b))
        #expect(doc.version == 3 && b[21] == 0 && b[22] == 1 && b[128] == 1)           // float32 vectors, IVF, SQ8 codes
        let pOff = Int(DocumentedSegment.u64(b, 136)), pLen = Int(DocumentedSegment.u64(b, 144))
        let cOff = Int(DocumentedSegment.u64(b, 152)), cLen = Int(DocumentedSegment.u64(b, 160))
        #expect(pOff % 64 == 0 && cOff % 64 == 0 && cOff + cLen == b.count)
        #expect(pOff >= Int(DocumentedSegment.u64(b, 96)) + Int(DocumentedSegment.u64(b, 104)))
        let params = try Array(b[pOff..<(pOff + pLen)]).withUnsafeBytes { try NPY.decode($0, path: "params") }
        #expect(params.shape == [2, d])
        let codeHead = NPY.headerBytes(descr: "|u1", shape: [n, d])
        #expect(Array(b[cOff..<(cOff + codeHead.count)]) == codeHead && cLen == codeHead.count + n * d)
        // Codes decode to within half a step of the stored (list-ordered) vectors.
        let p = try #require(params.float32Values())
        for r in 0..<n {
            for j in 0..<d {
                let c = Float(b[cOff + codeHead.count + r * d + j])
                #expect(abs(p[j] + c * p[d + j] - doc.vectors[r * d + j]) <= p[d + j] * 0.5001 + 1e-7)
            }
        }
        #expect(DocumentedSegment.u32(b, 168) == CRC32C.checksum(b[pOff..<(pOff + pLen)]))
        #expect(DocumentedSegment.u32(b, 172) == CRC32C.checksum(b[cOff..<(cOff + cLen)]))
        let pristine = b
        b[cOff + codeHead.count + 7] ^= 0x01
        try Data(b).write(to: segURL)
        #expect(throws: VectorIndexError.checksumMismatch(path: segURL.path, section: "SQ8 codes")) { try VectorIndex.open(directory: url).verify() }
        b = pristine
        b[pOff + 128 + 3] ^= 0x40
        try Data(b).write(to: segURL)
        #expect(throws: VectorIndexError.checksumMismatch(path: segURL.path, section: "SQ8 parameters")) { try VectorIndex.open(directory: url) }
    }

    @Test("the NumPy snippet in Docs/IndexFormat.md memory-maps float16 vectors and SQ8 codes written here")
    func pythonSnippet() throws {
        let dir = try TemporaryFolder()
        var rng = SeededGenerator(state: 12)
        let d = 7, vectors = rng.unitVectors(40, d)
        let flat = dir.url.appendingPathComponent("f16"), ivf = dir.url.appendingPathComponent("sq8")
        try VectorIndexWriter.build(directory: flat, dimension: d, metric: .ip, vectors: vectors, storage: .float16)
        let sq8 = try VectorIndexWriter.build(directory: ivf, dimension: d, metric: .l2, vectors: vectors, kind: .ivf(nlist: 3, options: .init(seed: 2)),
                                              sq8Lists: true).index
        guard let run = try runFormatDocSnippet("""

            import sys
            m, v, i = read_segment(sys.argv[1])
            print(m, v.dtype.str, v.shape, float(v.astype('<f8').sum()).hex())
            m, v, i = read_segment(sys.argv[2])
            vmin, step, codes = read_sq8_codes(sys.argv[2])
            err = np.abs(vmin + codes.astype('<f4') * step - v).max() / step.max()
            print(m, v.dtype.str, codes.dtype.str, codes.shape, bool(err <= 0.5001))
            """, arguments: [flat.appendingPathComponent("seg-1.vseg").path, ivf.appendingPathComponent("seg-1.vseg").path]) else { return }
        #expect(run.status == 0)
        let text = run.output
        let lines = text.split(separator: "\n").map(String.init)
        try #require(lines.count == 2)
        #expect(lines[0].hasPrefix("ip <f2 (40, 7) "))
        let halvesSum = vectors.reduce(0.0) { $0 + Double(Float(Float16($1))) }
        let value = try #require(Double(lines[0].split(separator: " ").last.map(String.init) ?? ""))
        #expect(abs(value - halvesSum) < 1e-9)
        #expect(lines[1] == "l2 <f4 |u1 (40, 7) True")
        #expect(sq8.hasSQ8Lists)
    }

    @Test("SQ8 is refused for a flat build")
    func sq8NeedsIVF() throws {
        let dir = try TemporaryFolder()
        #expect(throws: VectorIndexError.self) {
            try VectorIndexWriter.build(directory: dir.url.appendingPathComponent("x"), dimension: 2, metric: .ip, vectors: [1, 0, 0, 1], sq8Lists: true)
        }
    }
}
