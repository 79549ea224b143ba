import Foundation
import NumPyFormat
import Testing
import TestSupport
import VectorIndex

@Suite("audio-index vectors: build, add, remove, compact, search, info, verify")
struct VectorsCommandTests {
    func write(_ array: NPYArray, _ dir: TemporaryFolder, _ name: String) throws -> String {
        let path = dir.path(name)
        try NPY.write(array, to: URL(fileURLWithPath: path))
        return path
    }

    func unit(_ n: Int, _ d: Int, seed: UInt64) -> [Double] {
        var rng = SeededGenerator(state: seed)
        return (0..<n).flatMap { _ -> [Double] in
            let v = rng.doubles(d)
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { $0 / norm }
        }
    }

    @Test("a full session: f8 vectors converted, default ids continue after the largest, search output equals the library's twin")
    func session() throws {
        let dir = try TemporaryFolder()
        let idx = dir.path("idx")
        let d = 12
        let base = try write(NPYArray(shape: [40, d], float64: unit(40, d, seed: 1)), dir, "base.npy")
        var r = try CLI.run(["vectors", "build", base, "--out", idx, "--metric", "ip"])
        #expect(r.status == 0, "\(r.stderr)")
        let more = try write(NPYArray(shape: [5, d], float32: unit(5, d, seed: 2).map(Float.init)), dir, "more.npy")
        r = try CLI.run(["vectors", "add", idx, more])
        #expect(r.status == 0, "\(r.stderr)")
        let gone = try write(NPYArray(shape: [3], int64: [0, 41, 7]), dir, "gone.npy")
        r = try CLI.run(["vectors", "remove", idx, "--ids", gone])
        #expect(r.status == 0, "\(r.stderr)")

        r = try CLI.run(["vectors", "info", idx, "--format", "json"])
        #expect(r.status == 0)
        let info = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(info["live"] as? Int == 42 && info["stored"] as? Int == 45 && info["generation"] as? Int == 3)
        #expect(info["dimension"] as? Int == d && info["metric"] as? String == "ip" && info["segments"] as? Int == 2)

        let queries = unit(10, d, seed: 3).map(Float.init)
        let q = try write(NPYArray(shape: [10, d], float32: queries), dir, "q.npy")
        let allow = try write(NPYArray(shape: [4], int64: [1, 2, 44, 7]), dir, "allow.npy")
        r = try CLI.run(["vectors", "search", idx, "--queries", q, "-k", "5", "--allow-ids", allow,
                         "--out-ids", dir.path("I.npy"), "--out-scores", dir.path("S.npy")])
        #expect(r.status == 0, "\(r.stderr)")
        let ids = try NPY.read(contentsOf: URL(fileURLWithPath: dir.path("I.npy")))
        let scores = try NPY.read(contentsOf: URL(fileURLWithPath: dir.path("S.npy")))
        #expect(ids.shape == [10, 5] && scores.shape == [10, 5])
        let twin = try VectorIndex.open(directory: URL(fileURLWithPath: idx)).referenceSearch(queries: queries, k: 5, allowedIDs: [1, 2, 44, 7])
        #expect(ids.int64Values() == twin.ids)  // 3 allowed live ids per query, then −1 padding
        #expect(Array(twin.ids.prefix(5)).sorted() == [-1, -1, 1, 2, 44])
        let s = scores.float32Values()!
        for (a, b) in zip(s, twin.scores) { #expect((a.isNaN && b.isNaN) || abs(a - b) <= 1e-6) }

        r = try CLI.run(["vectors", "compact", idx])
        #expect(r.status == 0, "\(r.stderr)")
        r = try CLI.run(["vectors", "verify", idx])
        #expect(r.status == 0 && r.stdout.hasPrefix("ok: generation 4, 1 segment(s)"), "\(r.stdout) \(r.stderr)")
        r = try CLI.run(["vectors", "info", idx])
        #expect(r.stdout.contains("vectors: 42 live, 42 stored, 0 removed"))
    }

    @Test("errors: unknown ids listed, duplicate ids refused, wrong dimension, damaged segment — one line each with the documented exit code")
    func errors() throws {
        let dir = try TemporaryFolder()
        let idx = dir.path("idx")
        let base = try write(NPYArray(shape: [3, 2], float32: [1, 0, 0, 1, 1, 1]), dir, "base.npy")
        let ids = try write(NPYArray(shape: [3], int64: [10, 20, 30]), dir, "ids.npy")
        #expect(try CLI.run(["vectors", "build", base, "--out", idx, "--ids", ids, "--metric", "l2"]).status == 0)
        var r = try CLI.run(["vectors", "build", base, "--out", idx])
        #expect(r.status == 5 && r.stderr.contains("already exists"))
        let unknown = try write(NPYArray(shape: [3], int64: [10, 11, 12]), dir, "unknown.npy")
        r = try CLI.run(["vectors", "remove", idx, "--ids", unknown])
        #expect(r.status == 5)
        #expect(r.stderr == "audio-index: error: \(idx): 2 id(s) are not in the index: 11, 12 (nothing was written; check the ids with `audio-index vectors info`)\n")
        r = try CLI.run(["vectors", "add", idx, base, "--ids", ids])
        #expect(r.status == 5 && r.stderr.contains("3 id(s) are already in the index: 10, 20, 30"))
        let wide = try write(NPYArray(shape: [1, 3], float32: [1, 2, 3]), dir, "wide.npy")
        r = try CLI.run(["vectors", "search", idx, "--queries", wide, "--out-ids", dir.path("I.npy")])
        #expect(r.status == 5 && r.stderr.contains("dimension 3, the index 2"))
        r = try CLI.run(["vectors", "search", idx, "--queries", wide, "-k", "0", "--out-ids", dir.path("I.npy")])
        #expect(r.status == 2)
        // Truncate the segment: a clear corrupt-file error, never a crash.
        let seg = URL(fileURLWithPath: idx).appendingPathComponent("seg-1.vseg")
        let bytes = try Data(contentsOf: seg)
        try bytes.prefix(bytes.count - 3).write(to: seg)
        r = try CLI.run(["vectors", "info", idx])
        #expect(r.status == 4 && r.stderr.contains("seg-1.vseg") && r.stderr.contains("vectors verify"), "\(r.stderr)")
        r = try CLI.run(["vectors", "info", dir.path("nothing")])
        #expect(r.status == 5 && r.stderr.contains("vectors build"))
    }

    @Test("help teaches: examples and defaults shown")
    func help() throws {
        let r = try CLI.run(["vectors", "search", "--help"])
        #expect(r.status == 0 && r.stdout.contains("EXAMPLE") && r.stdout.contains("(default: 10)"))
    }
}
