import Foundation
import NumPyFormat
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The pure-Python reader (`python/audio_index_reader.py`, Docs/PythonReader.md) against indexes the
/// Swift tool built: its hits must equal `audio-index query --vector … --format json`.
@Suite("Python reader: NumPy + sqlite3 only, same hits as audio-index query", .serialized)
struct PythonReaderTests {
    /// A Python with NumPy: `AUDIO_INDEX_PYTHON` (CI's venv), else the local reference venv, else
    /// `python3` on PATH. Nil when none imports numpy.
    static func python() -> String? {
        var candidates = ["/work/refenv/bin/python", "/usr/bin/python3"]
        if let p = ProcessInfo.processInfo.environment["AUDIO_INDEX_PYTHON"] { candidates = [p] }
        return candidates.first { p in
            FileManager.default.isExecutableFile(atPath: p)
                && (try? CLI.run(executable: URL(fileURLWithPath: p), ["-c", "import numpy, sqlite3"]).status) == 0
        }
    }

    static let reader = Fixtures.packageRoot.appendingPathComponent("python/audio_index_reader.py").path

    /// One hit as both tools print it in JSON, compared field by field (scores within 1e-6).
    struct Hit: Equatable, CustomStringConvertible {
        var query: Int
        var rank: Int
        var score: Double
        var ids: [String]
        var captions: [String]
        var startSeconds: Double
        var locator: String

        init(_ json: [String: Any]) {
            query = json["query"] as? Int ?? 0
            rank = json["rank"] as? Int ?? -1
            score = json["score"] as? Double ?? .nan
            ids = json["ids"] as? [String] ?? []
            captions = json["captions"] as? [String] ?? []
            startSeconds = json["start_seconds"] as? Double ?? .nan
            let member = json["member"].map { " \($0) @\(json["member_offset"] ?? "?")+\(json["member_size"] ?? "?")" } ?? ""
            locator = (json["path"] as? String ?? "?") + member
        }

        static func == (a: Hit, b: Hit) -> Bool {
            a.query == b.query && a.rank == b.rank && abs(a.score - b.score) <= 1e-6 && a.ids == b.ids
                && a.captions == b.captions && a.startSeconds == b.startSeconds && a.locator == b.locator
        }

        var description: String { "q\(query) #\(rank) \(score) \(ids) \(locator)" }
    }

    static func hits(_ stdout: String) -> [Hit] {
        stdout.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }.map(Hit.init)
    }

    /// `count` seeded random unit vectors of dimension `d`, written as (count, d) `<f4`.
    static func writeQueries(_ path: String, count: Int, dimension d: Int, seed: UInt64) throws {
        var rng = SeededGenerator(state: seed)
        var values: [Float] = []
        for _ in 0..<count {
            let v = rng.floats(d)
            let norm = v.map { $0 * $0 }.reduce(0, +).squareRoot()
            values += v.map { $0 / norm }
        }
        try NPY.write(NPYArray(shape: [count, d], float32: values), to: URL(fileURLWithPath: path))
    }

    static func dimension(of index: String) throws -> Int {
        let r = try CLI.run(["info", "--index", index, "--format", "json"])
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        return Int(json?["dimension"] as? String ?? "") ?? 0
    }

    /// Runs the reader (optionally as another user) and returns its result.
    static func runReader(_ python: String, _ arguments: [String], asUser uid: UInt32? = nil, script: String = reader) throws -> CLI.Result {
        if let uid {
            return try CLI.run(executable: URL(fileURLWithPath: "/usr/bin/setpriv"),
                               ["--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", python, script] + arguments)
        }
        return try CLI.run(executable: URL(fileURLWithPath: python), [script] + arguments)
    }

    /// A world-readable, executable copy of `path` in `folder`: the checkout itself may sit in a
    /// folder another user cannot enter (a CI clone under a 0700 temp folder), and the read-only
    /// tests run the reader and `audio-index` as that other user.
    static func copyForAnyUser(_ path: String, into folder: URL) throws -> String {
        let copy = folder.appendingPathComponent(URL(fileURLWithPath: path).lastPathComponent)
        try FileManager.default.copyItem(atPath: path, toPath: copy.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: copy.path)
        return copy.path
    }

    /// Swift's and the reader's hits for the same query file; records a failure unless they agree.
    static func compare(_ python: String, index: String, queries: String, k: Int, nprobe: Int? = nil,
                        asUser uid: UInt32? = nil, _ what: String) throws -> [Hit] {
        let swift = try CLI.run(["query", "--index", index, "--vector", queries, "-k", String(k), "--format", "json"]
                                + (nprobe.map { ["--nprobe", String($0)] } ?? []))
        #expect(swift.status == 0, "\(what): audio-index query: \(swift.stderr)")
        let py = try runReader(python, [index, "--vector", queries, "-k", String(k), "--format", "json"], asUser: uid)
        #expect(py.status == 0, "\(what): reader: \(py.stderr)")
        let a = hits(swift.stdout), b = hits(py.stdout)
        #expect(!a.isEmpty, "\(what): no hits from audio-index query")
        #expect(a == b, "\(what):\nswift  \(a)\npython \(b)")
        return b
    }

    func requirePython() -> String? {
        guard let python = Self.python() else {
            // CI must run this test: a missing NumPy there is a failure, not a skip.
            #expect(ProcessInfo.processInfo.environment["CI"] == nil, "CI is set but no Python with numpy was found (set AUDIO_INDEX_PYTHON)")
            return nil
        }
        return python
    }

    @Test("flat index: the reader's hits (ids, scores within 1e-6, captions, locators) equal audio-index query's, before and after a remove (tombstones)")
    func flatAndTombstones() throws {
        guard let python = requirePython() else { return }
        let corpus = try Corpus()
        defer { corpus.remove() }
        let idx = corpus.index("idx")
        _ = try corpus.build(idx)  // exit 1: the corpus holds one broken file on purpose
        let d = try Self.dimension(of: idx)
        #expect(d > 0)
        let q = corpus.folder.appendingPathComponent("q.npy").path
        try Self.writeQueries(q, count: 5, dimension: d, seed: 11)
        let before = try Self.compare(python, index: idx, queries: q, k: 10, "flat")
        #expect(before.filter { $0.query == 0 }.count == 3, "3 distinct audio rows: \(before)")
        #expect(before.contains { $0.ids == ["dog", "dog-again"] }, "duplicates share one hit: \(before)")
        // The reader opens the generation the catalog records.
        let info = try Self.runReader(python, [idx, "--info"])
        #expect(info.stdout.contains("\"generation\": \(try generation(idx)),"), "\(info.stdout)")

        let removed = try CLI.run(["remove", "--index", idx, "--id", "rain", "--id", "dog"])
        #expect(removed.status == 0, "\(removed.stderr)")
        let after = try Self.compare(python, index: idx, queries: q, k: 10, "after remove")
        #expect(after.allSatisfy { !$0.ids.contains("rain") && !$0.ids.contains("dog") }, "\(after)")
        #expect(after.contains { $0.ids == ["dog-again"] }, "the shared row stays while dog-again owns it: \(after)")
        #expect(after.filter { $0.query == 0 }.count == 2, "\(after)")
    }

    @Test("IVF index: the reader (exact brute force) equals audio-index query scanning every list")
    func ivf() throws {
        guard let python = requirePython() else { return }
        let corpus = try Corpus()
        defer { corpus.remove() }
        let idx = corpus.index("ivf")
        _ = try corpus.build(idx, ["--kind", "ivf", "--nlist", "2"])
        let info = try CLI.run(["info", "--index", idx])
        #expect(info.stdout.contains("kind: ivf"), "\(info.stdout)")
        let q = corpus.folder.appendingPathComponent("q.npy").path
        try Self.writeQueries(q, count: 6, dimension: try Self.dimension(of: idx), seed: 12)
        _ = try Self.compare(python, index: idx, queries: q, k: 3, nprobe: 2, "ivf")
        let py = try Self.runReader(python, [idx, "--info"])
        #expect(py.stdout.contains("\"kind\": \"ivf\""), "\(py.stdout)")
    }

    @Test("a read-only copy is opened with immutable=1 (mode=ro cannot create -shm there) and answers the same; nothing is written into it")
    func readOnlyFolder() throws {
        guard let python = requirePython() else { return }
        let corpus = try Corpus()
        defer {
            _ = try? CLI.run(executable: URL(fileURLWithPath: "/bin/chmod"), ["-R", "u+w", corpus.folder.path])
            corpus.remove()
        }
        let idx = corpus.index("idx")
        _ = try corpus.build(idx)
        let copy = corpus.index("copy")
        // Copy only while no writer runs (Docs/IndexDirectory.md): hold the writers' lock while copying.
        let cp = try CLI.run(executable: URL(fileURLWithPath: "/usr/bin/flock"), ["-n", idx + "/vectors/LOCK", "cp", "-a", idx, copy])
        #expect(cp.status == 0, "\(cp.stderr)")
        let q = corpus.folder.appendingPathComponent("q.npy").path
        try Self.writeQueries(q, count: 3, dimension: try Self.dimension(of: idx), seed: 13)
        let chmod = try CLI.run(executable: URL(fileURLWithPath: "/bin/chmod"), ["-R", "a-w", copy])
        #expect(chmod.status == 0)
        // root ignores file modes, so the reader runs as nobody there (what a read-only mount does to root).
        let uid: UInt32? = getuid() == 0 ? 65534 : nil
        let tools = corpus.folder.appendingPathComponent("tools")
        try FileManager.default.createDirectory(at: tools, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: tools.path)
        let script = uid == nil ? Self.reader : try Self.copyForAnyUser(Self.reader, into: tools)
        let executable = uid == nil ? CLI.executable.path : try Self.copyForAnyUser(CLI.executable.path, into: tools)
        let before = try FileManager.default.contentsOfDirectory(atPath: copy).sorted()
        let info = try Self.runReader(python, [copy, "--info"], asUser: uid, script: script)
        #expect(info.status == 0, "\(info.stderr)")
        #expect(info.stdout.contains("\"catalog_open_mode\": \"immutable\""), "\(info.stdout)")
        // Same hits as audio-index query on the writable original.
        let swift = try CLI.run(["query", "--index", idx, "--vector", q, "-k", "5", "--format", "json"])
        let py = try Self.runReader(python, [copy, "--vector", q, "-k", "5", "--format", "json"], asUser: uid, script: script)
        #expect(py.status == 0, "\(py.stderr)")
        let a = Self.hits(swift.stdout), b = Self.hits(py.stdout)
        #expect(!a.isEmpty && a.map(\.ids) == b.map(\.ids) && zip(a, b).allSatisfy { abs($0.score - $1.score) <= 1e-6 },
                "\(a)\n\(b)")
        // audio-index query itself opens the read-only copy too (immutable=1) and answers the same.
        let swiftRO = uid.map { u in
            (try? CLI.run(executable: URL(fileURLWithPath: "/usr/bin/setpriv"), ["--reuid=\(u)", "--regid=\(u)", "--clear-groups",
                                                                              executable, "query", "--index", copy, "--vector", q, "-k", "5", "--format", "json"]))
        } ?? (try? CLI.run(["query", "--index", copy, "--vector", q, "-k", "5", "--format", "json"]))
        #expect(swiftRO?.status == 0, "\(swiftRO?.stderr ?? "")")
        #expect(Self.hits(swiftRO?.stdout ?? "") == a)
        #expect(try FileManager.default.contentsOfDirectory(atPath: copy).sorted() == before)
        // On the writable original the reader uses mode=ro.
        let ro = try Self.runReader(python, [idx, "--info"])
        #expect(ro.stdout.contains("\"catalog_open_mode\": \"ro\""), "\(ro.stdout)")
    }

    @Test("a catalog schema newer than the reader knows is refused with a clear error (exit 7), before any search")
    func newerSchemaRefused() throws {
        guard let python = requirePython() else { return }
        let corpus = try Corpus()
        defer { corpus.remove() }
        let idx = corpus.index("idx")
        _ = try corpus.build(idx)
        let bump = try CLI.run(executable: URL(fileURLWithPath: python), ["-c", """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1]); db.execute('UPDATE catalog_info SET schema_version = 99'); db.commit(); db.close()
            """, idx + "/catalog.sqlite"])
        #expect(bump.status == 0, "\(bump.stderr)")
        let r = try Self.runReader(python, [idx, "--info"])
        #expect(r.status == 7, "\(r.stdout) \(r.stderr)")
        #expect(r.stderr.contains("catalog schema version 99 was written by a newer audio-index"), "\(r.stderr)")
    }

    func generation(_ index: String) throws -> Int {
        let r = try CLI.run(["info", "--index", index, "--format", "json"])
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        return Int(json?["generation"] as? String ?? "") ?? -1
    }
}
