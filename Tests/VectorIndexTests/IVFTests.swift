import FileIO
import Foundation
import Testing
import TestSupport
@testable import VectorIndex

@Suite("IVF: k-means, inverted lists and search against the slow twin")
struct IVFTests {
    /// An IVF index of three segments (build + two adds) with removals in two generations.
    func makeIndex(_ dir: TemporaryFolder, metric: Metric, d: Int, rng: inout SeededGenerator) throws -> VectorIndex {
        let url = dir.url.appendingPathComponent("ivf-\(metric)")
        let w = try VectorIndexWriter.build(directory: url, dimension: d, metric: metric, vectors: rng.clusteredUnitVectors(400, d, clusters: 12),
                                            kind: .ivf(nlist: 10, options: .init(seed: 3)))
        try w.add(vectors: rng.clusteredUnitVectors(120, d, clusters: 12))
        try w.remove(ids: [3, 77, 160, 401, 450])
        try w.add(vectors: rng.clusteredUnitVectors(60, d, clusters: 12), ids: (0..<60).map { 1000 + 3 * Int64($0) })
        try w.remove(ids: [1003, 5])
        return try VectorIndex.open(directory: url)
    }

    @Test("single and batched queries, nprobe 1…all, ip and l2, tombstones and allowed sets agree with the twin over the union of the probed lists",
          arguments: [Metric.ip, .l2])
    func againstTwin(metric: Metric) throws {
        let dir = try TemporaryFolder()
        var rng = SeededGenerator(state: metric == .ip ? 31 : 32)
        let d = 21
        let index = try makeIndex(dir, metric: metric, d: d, rng: &rng)
        #expect(index.kind == .ivf && index.nlist == 10 && index.segmentCount == 3)
        #expect(index.liveCount == 580 - 7)
        let large = Set((0..<200).map { _ in Int64.random(in: 0...1200, using: &rng) })
        let selective: Set<Int64> = [5, 9, 1006]  // under 1 % of 573: scanned directly
        let queries = rng.clusteredUnitVectors(9, d, clusters: 12)
        for nq in [1, 9] {
            let qs = Array(queries[0..<(nq * d)])
            for nprobe in [1, 3, 10] {
                for k in [1, 10, 150] {
                    for filter in [nil, large, selective] {
                        let fast = index.search(queries: qs, k: k, allowedIDs: filter, nprobe: nprobe)
                        let twin = index.referenceSearch(queries: qs, k: k, allowedIDs: filter, nprobe: nprobe)
                        let all = allTwinScores(index.rows(), dimension: d, metric: metric, queries: qs, allowed: filter)
                        let problem = agreesUnderRule(fast, twin, allScores: all)
                        #expect(problem == nil, "nq \(nq) nprobe \(nprobe) k \(k) filter \(filter?.count ?? 0): \(problem ?? "")")
                        #expect(!fast.ids.contains { [3, 77, 160, 401, 450, 1003, 5].contains($0) })
                        if let filter { #expect(fast.ids.allSatisfy { $0 == -1 || filter.contains($0) }) }
                    }
                }
            }
        }
        // Probing continues until k live rows were seen: k = 150 with nprobe 1 still fills every slot.
        let many = index.search(queries: Array(queries[0..<d]), k: 150, nprobe: 1)
        #expect(!many.ids.contains(-1))
        // All lists probed = exact flat search.
        let flat = ReferenceSearch.search(index.rows(), dimension: d, metric: metric, queries: queries, k: 10)
        let allLists = index.search(queries: queries, k: 10, nprobe: 10)
        #expect(agreesUnderRule(allLists, flat, allScores: allTwinScores(index.rows(), dimension: d, metric: metric, queries: queries, allowed: nil)) == nil)
        // A selective filter gives the exact top-k among the allowed ids, as flat search does.
        let sel = index.search(queries: queries, k: 5, allowedIDs: selective, nprobe: 1)
        let selTwin = ReferenceSearch.search(index.rows(), dimension: d, metric: metric, queries: queries, k: 5, allowedIDs: selective)
        #expect(agreesUnderRule(sel, selTwin, allScores: allTwinScores(index.rows(), dimension: d, metric: metric, queries: queries, allowed: selective)) == nil)
    }

    @Test("recall@10 of IVF against flat ground truth on clustered data rises with nprobe and is high at nprobe 8 of 64")
    func recall() throws {
        let dir = try TemporaryFolder()
        var rng = SeededGenerator(state: 2024)
        let d = 32, n = 6000
        let data = rng.clusteredUnitVectors(n + 100, d, clusters: 150, noise: 0.25)
        let base = Array(data[0..<(n * d)]), queries = Array(data[(n * d)...])
        let w = try VectorIndexWriter.build(directory: dir.url.appendingPathComponent("idx"), dimension: d, metric: .ip, vectors: base,
                                            kind: .ivf(nlist: 64, options: .init(seed: 9)))
        let truth = ReferenceSearch.search([.init(vectors: base, ids: (0..<Int64(n)).map { $0 })], dimension: d, metric: .ip, queries: queries, k: 10)
        func recall(_ nprobe: Int) -> Double {
            let r = w.index.search(queries: queries, k: 10, nprobe: nprobe)
            var hits = 0
            for q in 0..<100 { hits += Set(r.ids(ofQuery: q)).intersection(truth.ids(ofQuery: q)).count }
            return Double(hits) / 1000
        }
        let r1 = recall(1), r8 = recall(8), r64 = recall(64)
        #expect(r1 < r8 && r8 <= r64)
        #expect(r1 < 0.9, "recall at nprobe 1 is \(r1): the data is too easy to test anything")
        #expect(r8 >= 0.9, "recall@10 at nprobe 8 is \(r8)")
        #expect(r64 == 1.0)
    }

    @Test("k-means is deterministic for a seed, differs across seeds, and assigns each stored row to its nearest list")
    func kmeansDeterminism() throws {
        var rng = SeededGenerator(state: 5)
        let d = 16
        let x = rng.clusteredUnitVectors(2000, d, clusters: 20)
        for metric in [Metric.ip, .l2] {
            let a = x.withUnsafeBufferPointer { KMeans.train(vectors: $0, dimension: d, nlist: 20, metric: metric, options: .init(maxPointsPerCentroid: 50, seed: 4)) }
            let b = x.withUnsafeBufferPointer { KMeans.train(vectors: $0, dimension: d, nlist: 20, metric: metric, options: .init(maxPointsPerCentroid: 50, seed: 4)) }
            let c = x.withUnsafeBufferPointer { KMeans.train(vectors: $0, dimension: d, nlist: 20, metric: metric, options: .init(maxPointsPerCentroid: 50, seed: 5)) }
            #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
            #expect(a != c)
            #expect(a.allSatisfy { $0.isFinite })
            if metric == .ip {
                for l in 0..<20 { #expect(abs(a[(l * d)..<((l + 1) * d)].reduce(0) { $0 + $1 * $1 } - 1) < 1e-5) }  // spherical
            }
        }
        // Stored lists: every row sits in the list whose centroid scores best (float64 check, with a near-tie allowance).
        let dir = try TemporaryFolder()
        let w = try VectorIndexWriter.build(directory: dir.url.appendingPathComponent("idx"), dimension: d, metric: .l2, vectors: x,
                                            kind: .ivf(nlist: 20, options: .init(seed: 1)))
        let seg = w.index.segments[0], cents = w.index.centroids
        for l in 0..<20 {
            for r in seg.rows(ofList: l) {
                let v = seg.vectors[(r * d)..<((r + 1) * d)].map(Double.init)
                let dist = (0..<20).map { c in (0..<d).reduce(0.0) { $0 + pow(v[$1] - Double(cents[c * d + $1]), 2) } }
                #expect(dist[l] <= dist.min()! + 1e-5, "row \(r) in list \(l)")
            }
        }
    }

    @Test("an empty cluster is repaired by splitting the largest one")
    func emptyClusterRepair() {
        let d = 2
        // Three clusters, all five points assigned to cluster 0; clusters 1 and 2 are empty.
        let x: [Float] = [1, 0, 1, 0.1, 1, -0.1, 0.9, 0, 1.1, 0]
        var centroids: [Float] = [5, 5, 7, 7, 9, 9]
        KMeans.update(x, dimension: d, assignment: [0, 0, 0, 0, 0], metric: .l2, centroids: &centroids)
        // The mean is (1, 0); the split nudges it by ±1/1024 in alternating components.
        let e: Float = 1.0 / 1024
        #expect(centroids[2] == 1 * (1 + e) && centroids[3] == 0)
        #expect(centroids[0] != centroids[2] && centroids.allSatisfy { $0.isFinite })
        #expect(Set(stride(from: 0, to: 6, by: 2).map { centroids[$0] }).count == 3)
        // Training on data with many duplicates (sampled init picks equal points) ends with finite centroids.
        let dup = [Float](repeating: 0.5, count: 200) + [1, 0, 0, 1, -1, 0, 0, -1]
        let trained = dup.withUnsafeBufferPointer { KMeans.train(vectors: $0, dimension: 2, nlist: 4, metric: .ip, options: .init(seed: 2)) }
        #expect(trained.allSatisfy { $0.isFinite })
    }

    @Test("train writes an empty IVF; adds go to lists; compact keeps the lists; retrain changes nlist — each step equals an in-memory model")
    func trainAddCompactRetrain() throws {
        let dir = try TemporaryFolder()
        let url = dir.url.appendingPathComponent("idx")
        var rng = SeededGenerator(state: 88)
        let d = 12
        let w = try VectorIndexWriter.train(directory: url, dimension: d, metric: .ip, sample: rng.clusteredUnitVectors(300, d, clusters: 8), nlist: 8)
        #expect(w.index.kind == .ivf && w.index.liveCount == 0 && w.index.nlist == 8)
        #expect(w.index.search(queries: rng.unitVectors(1, d), k: 3).ids == [-1, -1, -1])
        var model: [Int64: [Float]] = [:]
        func check(_ label: String) throws {
            let index = try VectorIndex.open(directory: url)
            let live = index.liveRows()
            #expect(Set(live.ids) == Set(model.keys), "\(label): live ids")
            for (i, id) in live.ids.enumerated() { #expect(Array(live.vectors[(i * d)..<((i + 1) * d)]) == model[id], "\(label): vector of \(id)") }
            let queries = rng.unitVectors(3, d)
            let problem = agreesUnderRule(index.search(queries: queries, k: 7, nprobe: 2), index.referenceSearch(queries: queries, k: 7, nprobe: 2),
                                          allScores: allTwinScores(index.rows(), dimension: d, metric: .ip, queries: queries, allowed: nil))
            #expect(problem == nil, "\(label): \(problem ?? "")")
        }
        for step in 0..<12 {
            switch step % 4 {
            case 0, 1:
                let v = rng.clusteredUnitVectors(40, d, clusters: 8)
                let g = try w.add(vectors: v)
                let ids = try VectorIndex(directory: url, generation: g).segments.last!.ids
                let seg = try VectorIndex(directory: url, generation: g).segments.last!
                for (r, id) in ids.enumerated() { model[id] = Array(seg.vectors[(r * d)..<((r + 1) * d)]) }
            case 2:
                let gone = Array(model.keys.sorted().shuffled(using: &rng).prefix(15))
                try w.remove(ids: gone)
                for id in gone { model[id] = nil }
            default:
                if step == 7 { try w.retrain(nlist: 5) } else { try w.compact() }
            }
            try check("step \(step)")
        }
        #expect(w.index.nlist == 5 && w.index.segmentCount == 1)
        // Retrain of a flat index makes it IVF.
        let flatURL = dir.url.appendingPathComponent("flat")
        let fw = try VectorIndexWriter.build(directory: flatURL, dimension: d, metric: .l2, vectors: rng.unitVectors(50, d))
        try fw.retrain(nlist: 4)
        #expect(fw.index.kind == .ivf && fw.index.nlist == 4 && fw.index.liveCount == 50)
    }

    @Test("add after removing the largest id (and compacting) never reuses an id: the counter is in the generation file")
    func nextIDCounter() throws {
        let dir = try TemporaryFolder()
        let url = dir.url.appendingPathComponent("idx")
        var rng = SeededGenerator(state: 4)
        do {
            let w = try VectorIndexWriter.build(directory: url, dimension: 3, metric: .ip, vectors: rng.unitVectors(5, 3))
            try w.remove(ids: [4])
            try w.compact()
            try w.add(vectors: rng.unitVectors(2, 3))
            #expect(Set(w.index.liveRows().ids) == [0, 1, 2, 3, 5, 6])
            let json = try String(contentsOf: url.appendingPathComponent(GenerationFile.fileName(w.index.generation)), encoding: .utf8)
            #expect(json.contains("\"next_id\":7"))
        }
        // A new writer reads the counter back.
        let w2 = try VectorIndexWriter(directory: url)
        try w2.remove(ids: [6, 5]); try w2.compact(); try w2.add(vectors: rng.unitVectors(1, 3))
        #expect(Set(w2.index.liveRows().ids) == [0, 1, 2, 3, 7])
    }

    @Test("a vectors/ folder next to catalog.sqlite is recognised as part of a pipeline index")
    func pipelineOwner() throws {
        let dir = try TemporaryFolder()
        let vectors = dir.url.appendingPathComponent("vectors")
        try VectorIndexWriter.build(directory: vectors, dimension: 2, metric: .ip, vectors: [1, 0])
        #expect(VectorIndexWriter.pipelineOwner(of: vectors) == nil)
        try Data().write(to: dir.url.appendingPathComponent("catalog.sqlite"))
        #expect(VectorIndexWriter.pipelineOwner(of: vectors)?.standardizedFileURL.path == dir.url.standardizedFileURL.path)
        #expect(throws: VectorIndexError.self) { try VectorIndexWriter.refuseIfPipelineOwned(vectors, pipelineCommand: "add") }
    }

    @Test("a written IVF segment matches the documented version-2 header byte by byte")
    func ivfHeaderBytes() throws {
        let dir = try TemporaryFolder()
        let url = dir.url.appendingPathComponent("idx")
        // Two lists, far apart: rows 0 and 2 near (1, 0), row 1 near (0, 1) (k-means on 3 points, 2 lists, seeded).
        let vectors: [Float] = [1, 0, 0, 1, 0.9, 0.1]
        let w = try VectorIndexWriter.build(directory: url, dimension: 2, metric: .l2, vectors: vectors, ids: [10, 11, 12], kind: .ivf(nlist: 2, options: .init(seed: 1)))
        let b = [UInt8](try Data(contentsOf: url.appendingPathComponent("seg-1.vseg")))
        #expect(Array(b[8..<12]) == [2, 0, 0, 0])                          // version 2
        #expect(b[20] == 1 && b[21] == 0 && b[22] == 1 && b[23] == 0)     // l2, float32, kind ivf, reserved
        #expect(DocumentedSegment.u64(b, 24) == 3)
        // vectors: 128-byte .npy header + 24 bytes at 128; ids at roundUp(280) = 320, 128 + 24 bytes.
        #expect(DocumentedSegment.u64(b, 32) == 128 && DocumentedSegment.u64(b, 40) == 152)
        #expect(DocumentedSegment.u64(b, 48) == 320 && DocumentedSegment.u64(b, 56) == 152)
        #expect(DocumentedSegment.u32(b, 72) == 2 && DocumentedSegment.u32(b, 76) == 0)   // nlist, reserved
        // centroids at roundUp(472) = 512, (2, 2) f4: 128 + 16; list offsets at roundUp(656) = 704, (3,) i8: 128 + 24.
        #expect(DocumentedSegment.u64(b, 80) == 512 && DocumentedSegment.u64(b, 88) == 144)
        #expect(DocumentedSegment.u64(b, 96) == 704 && DocumentedSegment.u64(b, 104) == 152)
        #expect(b.count == 856)
        #expect(DocumentedSegment.u32(b, 112) == CRC32C.checksum(b[512..<656]))
        #expect(DocumentedSegment.u32(b, 116) == CRC32C.checksum(b[704..<856]))
        #expect(DocumentedSegment.u32(b, 64) == CRC32C.checksum(b[128..<280]))
        #expect(DocumentedSegment.u32(b, 68) == CRC32C.checksum(b[320..<472]))
        #expect(b[120..<124].allSatisfy { $0 == 0 })
        #expect(DocumentedSegment.u32(b, 124) == CRC32C.checksum(b[0..<124]))
        #expect(b[280..<320].allSatisfy { $0 == 0 } && b[472..<512].allSatisfy { $0 == 0 } && b[656..<704].allSatisfy { $0 == 0 })
        let doc = try #require(DocumentedSegment(b))
        #expect(doc.nlist == 2 && doc.listOffsets.first == 0 && doc.listOffsets.last == 3)
        #expect(doc.centroids == w.index.centroids)
        // Rows grouped by list: ids 10 and 12 share a list, 11 is alone.
        let lists = (0..<2).map { l in Set(doc.ids[doc.listOffsets[l]..<doc.listOffsets[l + 1]]) }
        #expect(Set(lists) == [[10, 12], [11]])
        try w.index.verify()
    }

    @Test("a flat segment is still written as version 1, which every reader of this format reads")
    func flatStaysVersion1() throws {
        let dir = try TemporaryFolder()
        let url = dir.url.appendingPathComponent("idx")
        try VectorIndexWriter.build(directory: url, dimension: 2, metric: .ip, vectors: [1, 0])
        let b = [UInt8](try Data(contentsOf: url.appendingPathComponent("seg-1.vseg")))
        #expect(Array(b[8..<12]) == [1, 0, 0, 0] && b[22] == 0)
    }
}
