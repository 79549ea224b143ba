import Foundation
import NumPyFormat
import Testing
import TestSupport
import VectorIndex

@Suite("audio-index vectors: IVF build, train, retrain, export, and the pipeline-index refusal")
struct VectorsIVFCommandTests {
    func unit(_ n: Int, _ d: Int, seed: UInt64) -> [Float] {
        var rng = SeededGenerator(state: seed)
        return (0..<n).flatMap { _ -> [Float] in
            let v = rng.floats(d)
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { $0 / norm }
        }
    }

    func write(_ values: [Float], rows: Int, _ dir: TemporaryFolder, _ name: String) throws -> String {
        try NPY.write(NPYArray(shape: [rows, values.count / rows], float32: values), to: URL(fileURLWithPath: dir.path(name)))
        return dir.path(name)
    }

    @Test("build --kind ivf, info shows lists and imbalance, search --nprobe equals the library's IVF twin, train + add, retrain --nlist, export")
    func session() throws {
        let dir = try TemporaryFolder()
        let idx = dir.path("idx"), d = 8
        let base = try write(unit(200, d, seed: 1), rows: 200, dir, "base.npy")
        var r = try CLI.run(["vectors", "build", base, "--out", idx, "--kind", "ivf", "--nlist", "8", "--seed", "3"])
        #expect(r.status == 0, "\(r.stderr)")
        r = try CLI.run(["vectors", "info", idx, "--format", "json"])
        let info = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(info["kind"] as? String == "ivf" && info["nlist"] as? Int == 8 && info["live"] as? Int == 200)
        let imbalance = try #require(info["list_imbalance"] as? Double)
        #expect(imbalance >= 1)
        r = try CLI.run(["vectors", "info", idx])
        #expect(r.stdout.contains("kind: ivf") && r.stdout.contains("lists: 8") && r.stdout.contains("imbalance"))

        let queries = unit(9, d, seed: 2)
        let q = try write(queries, rows: 9, dir, "q.npy")
        r = try CLI.run(["vectors", "search", idx, "--queries", q, "-k", "4", "--nprobe", "2", "--out-ids", dir.path("I.npy")])
        #expect(r.status == 0, "\(r.stderr)")
        let ids = try NPY.read(contentsOf: URL(fileURLWithPath: dir.path("I.npy"))).int64Values()
        let index = try VectorIndex.open(directory: URL(fileURLWithPath: idx))
        #expect(ids == index.search(queries: queries, k: 4, nprobe: 2).ids)

        // A trained, empty IVF, then a part added to it.
        let trained = dir.path("trained")
        r = try CLI.run(["vectors", "train", trained, base, "--nlist", "5"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try VectorIndex.open(directory: URL(fileURLWithPath: trained)).liveCount == 0)
        r = try CLI.run(["vectors", "add", trained, q])
        #expect(r.status == 0, "\(r.stderr)")
        r = try CLI.run(["vectors", "retrain", trained, "--nlist", "3"])
        #expect(r.status == 0 && r.stderr.contains("3 lists"), "\(r.stderr)")
        r = try CLI.run(["vectors", "train", dir.path("too-many"), q, "--nlist", "10"])
        #expect(r.status == 5 && r.stderr.contains("at least 10 training vectors"), "\(r.stderr)")

        r = try CLI.run(["vectors", "export", idx, "--npy", dir.path("live.npy")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try NPY.read(contentsOf: URL(fileURLWithPath: dir.path("live_ids.npy"))).shape == [200])
        r = try CLI.run(["vectors", "export", idx, "--faiss", dir.path("x.faiss")])
        #expect(r.status == 0 && FileManager.default.fileExists(atPath: dir.path("x.faiss")))
        r = try CLI.run(["vectors", "export", idx])
        #expect(r.status == 2)
    }

    @Test("add, remove, compact and retrain refuse DIR/vectors next to DIR/catalog.sqlite, naming the audio-index command; nothing changes; search still works")
    func pipelineRefusal() throws {
        let dir = try TemporaryFolder()
        let vectors = dir.path("vectors"), d = 4
        let base = try write(unit(20, d, seed: 5), rows: 20, dir, "base.npy")
        #expect(try CLI.run(["vectors", "build", base, "--out", vectors]).status == 0)
        try Data().write(to: dir.url.appendingPathComponent("catalog.sqlite"))
        let ids = dir.path("ids.npy")
        try NPY.write(NPYArray(shape: [1], int64: [3]), to: URL(fileURLWithPath: ids))
        for (command, args) in [("add", ["add", vectors, base]), ("remove", ["remove", vectors, "--ids", ids]),
                                ("compact", ["compact", vectors]), ("retrain", ["retrain", vectors, "--nlist", "2"])] {
            let r = try CLI.run(["vectors"] + args)
            #expect(r.status == 5, "\(command): \(r.stderr)")
            #expect(r.stderr.contains("pipeline index") && r.stderr.contains("audio-index \(command) --index"), "\(r.stderr)")
        }
        #expect(try VectorIndex.open(directory: URL(fileURLWithPath: vectors)).generation == 1)
        let r = try CLI.run(["vectors", "search", vectors, "--queries", base, "--out-ids", dir.path("I.npy")])
        #expect(r.status == 0, "\(r.stderr)")
    }
}
