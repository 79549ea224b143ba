import Foundation
import NumPyFormat
import Testing
import TestSupport
@testable import VectorIndex

@Suite("Interop: faiss and .npy exports")
struct InteropTests {
    /// The Python with numpy and faiss: `AUDIO_INDEX_PYTHON` (CI sets it to its venv), else the
    /// local reference venv. Nil when it is missing or cannot import faiss.
    static func faissPython() -> String? {
        let python = ProcessInfo.processInfo.environment["AUDIO_INDEX_PYTHON"] ?? "/work/refenv/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python),
              let r = try? run(python, ["-c", "import faiss, numpy"]), r.status == 0 else { return nil }
        return python
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    /// faiss loads the export, searches the queries at `nprobe`, and writes ids and scores as .npy.
    static let searchScript = """
        import sys, faiss, numpy as np
        index = faiss.read_index(sys.argv[1])
        if hasattr(index, 'nprobe'):
            index.nprobe = int(sys.argv[3])
        q = np.load(sys.argv[2])
        D, I = index.search(q, int(sys.argv[4]))
        np.save(sys.argv[5], I.astype('<i8'))
        np.save(sys.argv[6], D.astype('<f4'))
        print(type(index).__name__, index.ntotal, index.d)
        """

    @Test("faiss reads the flat (IndexIDMap over IndexFlat) and IVF (IndexIVFFlat) exports and answers as our twin does, labels = our ids",
          arguments: [Metric.ip, .l2])
    func faissExport(metric: Metric) throws {
        guard let python = Self.faissPython() else {
            // CI must run this test: a missing faiss there is a failure, not a skip.
            #expect(ProcessInfo.processInfo.environment["CI"] == nil, "CI is set but no Python with faiss was found (set AUDIO_INDEX_PYTHON)")
            return
        }
        let dir = try TemporaryFolder()
        var rng = SeededGenerator(state: metric == .ip ? 61 : 62)
        let d = 16
        let queries = rng.clusteredUnitVectors(12, d, clusters: 6)
        let qPath = dir.path("q.npy")
        try NPY.write(NPYArray(shape: [12, d], float32: queries), to: URL(fileURLWithPath: qPath))
        for kind in [VectorIndexWriter.BuildKind.flat, .ivf(nlist: 6, options: .init(seed: 4))] {
            let url = dir.url.appendingPathComponent("idx-\(UUID().uuidString)")
            let w = try VectorIndexWriter.build(directory: url, dimension: d, metric: metric, vectors: rng.clusteredUnitVectors(300, d, clusters: 6),
                                                ids: (0..<300).map { 7 * Int64($0) + 1 }, kind: kind)
            try w.add(vectors: rng.clusteredUnitVectors(20, d, clusters: 6))
            try w.remove(ids: [8, 15, 701])
            let index = try VectorIndex.open(directory: url)
            let file = dir.path("export.faiss")
            try index.exportFaiss(to: URL(fileURLWithPath: file))
            for nprobe in index.kind == .ivf ? [1, 3] : [1] {
                let k = 10
                let r = try Self.run(python, ["-c", Self.searchScript, file, qPath, String(nprobe), String(k), dir.path("I.npy"), dir.path("D.npy")])
                #expect(r.status == 0, "\(r.output)")
                #expect(r.output.hasPrefix(index.kind == .ivf ? "IndexIVFFlat \(index.liveCount) \(d)" : "IndexIDMap \(index.liveCount) \(d)"), "\(r.output)")
                let ids = try NPY.read(contentsOf: URL(fileURLWithPath: dir.path("I.npy"))).int64Values()!
                let scores = try NPY.read(contentsOf: URL(fileURLWithPath: dir.path("D.npy"))).float32Values()!
                let theirs = SearchResults(queryCount: 12, k: k, ids: ids, scores: scores.enumerated().map { ids[$0.offset] == -1 ? .nan : $0.element })
                let twin = index.referenceSearch(queries: queries, k: k, nprobe: nprobe)
                let all = allTwinScores(index.rows(), dimension: d, metric: metric, queries: queries, allowed: nil)
                let problem = agreesUnderRule(theirs, twin, allScores: all)
                #expect(problem == nil, "\(index.kind) nprobe \(nprobe): \(problem ?? "")")
            }
        }
    }

    @Test(".npy export: the live vectors and their ids, in the same order, removed rows left out")
    func npyExport() throws {
        let dir = try TemporaryFolder()
        var rng = SeededGenerator(state: 8)
        let url = dir.url.appendingPathComponent("idx")
        let vectors = rng.unitVectors(6, 3)
        let w = try VectorIndexWriter.build(directory: url, dimension: 3, metric: .ip, vectors: vectors, ids: [5, 4, 3, 2, 1, 0])
        try w.remove(ids: [3])
        try w.index.exportNPY(vectors: dir.url.appendingPathComponent("v.npy"), ids: dir.url.appendingPathComponent("i.npy"))
        let v = try NPY.read(contentsOf: dir.url.appendingPathComponent("v.npy"))
        let i = try NPY.read(contentsOf: dir.url.appendingPathComponent("i.npy"))
        #expect(i == NPYArray(shape: [5], int64: [5, 4, 2, 1, 0]))
        #expect(v == NPYArray(shape: [5, 3], float32: Array(vectors[0..<6] + vectors[9...])))
    }
}
