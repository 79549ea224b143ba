import AudioIO
import Foundation
import NumPyFormat
@testable import Pipeline
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Readers and writers at once (issue 7 item 3, RELIABILITY.md "Concurrent use"). A writer runs as
/// its own process; readers query from this process (threads) and from `audio-index query`
/// processes. Every answer must be the exact top-k of the clip set of some committed generation —
/// never a mixture — and the writer must finish while they read. A second writer is refused.
@Suite("concurrency: readers during add/remove/compact/retrain, one writer at a time", .serialized)
struct ConcurrencyTests {
    static let k = 4

    /// Twelve 1 s noise clips (distinct audio, so no two share a vector) and an index of the first six.
    final class Setup {
        let folder: URL
        let base: URL
        let query: [Float]
        let queryFile: URL
        let ids = (0..<12).map { String(format: "n%02d", $0) }

        init() throws {
            folder = try Fixtures.temporaryFolder("concurrency")
            var generator = SeededGenerator(state: 7)
            var lines: [String] = []
            for id in ids {
                let samples = (0..<16000).map { _ in Float.random(in: -0.5...0.5, using: &generator) }
                try AudioFileWriter.write(float: samples, channels: 1, sampleRate: 16000, container: .wav, encoding: .float,
                                          to: folder.appendingPathComponent("\(id).wav").path)
                lines.append(#"{"id": "\#(id)", "path": "\#(id).wav", "captions": ["noise \#(id)"]}"#)
            }
            try (lines[0..<6].joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("first.jsonl"), atomically: true, encoding: .utf8)
            try (lines[6...].joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("next.jsonl"), atomically: true, encoding: .utf8)
            base = folder.appendingPathComponent("base")
            let r = try CLI.run(["build", "--model", Corpus.model, "--manifest", folder.appendingPathComponent("first.jsonl").path,
                                 "--index", base.path, "--commit-clips", "1"])
            guard r.status == 0 else { throw HarnessError("base build: \(r.stderr)") }
            var q = (0..<16).map { _ in Float.random(in: -1...1, using: &generator) }
            let norm = q.reduce(0) { $0 + $1 * $1 }.squareRoot()
            q = q.map { $0 / norm }
            query = q
            queryFile = folder.appendingPathComponent("q.npy")
            try NPY.write(NPYArray(shape: [16], float32: q), to: queryFile)
        }

        func copy(_ name: String) throws -> String {
            let index = folder.appendingPathComponent(name)
            try FileManager.default.copyItem(at: base, to: index)
            return index.path
        }

        /// The exact top-k ids of `clips` for the query, from each clip's stored vector.
        func expected(_ clips: Set<String>, vectors: [String: [Float]]) -> [String] {
            clips.map { id in (id, zip(vectors[id] ?? [], query).reduce(Float(0)) { $0 + $1.0 * $1.1 }) }
                .sorted { $0.1 > $1.1 }.prefix(ConcurrencyTests.k).map(\.0)
        }

        func vectors(of index: String) throws -> [String: [Float]] {
            let q = try IndexQuery(index: IndexDirectory(index))
            var out: [String: [Float]] = [:]
            for c in try q.catalog.allClips() { out[c.id] = try q.vector(ofClip: c.id) }
            return out
        }
    }

    /// One answer: the ids of the top-k hits, best first.
    final class Answers: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [[String]] = []
        private var errors: [String] = []
        func add(_ ids: [String]) { lock.lock(); items.append(ids); lock.unlock() }
        func fail(_ e: String) { lock.lock(); errors.append(e); lock.unlock() }
        var all: [[String]] { lock.lock(); defer { lock.unlock() }; return items }
        var failures: [String] { lock.lock(); defer { lock.unlock() }; return errors }
    }

    /// Reads in a loop until `stop` is set: two threads of this process, one `audio-index query`
    /// process loop. Plain threads, not Dispatch: they block for the whole write sequence, and
    /// `CLI.run` needs Dispatch workers of its own.
    final class Readers: @unchecked Sendable {
        let answers = Answers()
        private let lock = NSLock()
        private var stopped = false
        private let done = DispatchSemaphore(value: 0)
        private let threads = 3
        var stop: Bool { lock.lock(); defer { lock.unlock() }; return stopped }

        init(index: String, setup: Setup) {
            let query = setup.query, queryFile = setup.queryFile.path
            for _ in 0..<2 {
                Thread { [self] in
                    while !stop {
                        do {
                            let q = try IndexQuery(index: IndexDirectory(index))
                            let hits = try q.search(queries: query, k: ConcurrencyTests.k, nprobe: 1000, allowed: nil)[0]
                            answers.add(hits.flatMap(\.ids))
                        } catch { answers.fail("in-process: \(error)") }
                    }
                    done.signal()
                }.start()
            }
            Thread { [self] in
                while !stop {
                    do {
                        let r = try CLI.run(["query", "--index", index, "--vector", queryFile, "-k", "\(ConcurrencyTests.k)", "--nprobe", "1000", "--format", "json"])
                        guard r.status == 0 else { answers.fail("query process: exit \(r.status) \(r.stderr)"); continue }
                        answers.add(r.stdout.split(separator: "\n").flatMap { line -> [String] in
                            let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
                            return object?["ids"] as? [String] ?? ["?"]
                        })
                    } catch { answers.fail("query process: \(error)") }
                }
                done.signal()
            }.start()
        }

        func finish() -> Answers {
            lock.lock(); stopped = true; lock.unlock()
            for _ in 0..<threads { done.wait() }
            return answers
        }
    }

    @Test("queries from other threads and processes during add, remove, compact and retrain each equal the exact answer of a committed generation; the writers finish")
    func readersDuringWrites() throws {
        let setup = try Setup()
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        let index = try setup.copy("idx")
        let readers = Readers(index: index, setup: setup)
        let model = Corpus.model, next = setup.folder.appendingPathComponent("next.jsonl").path
        let writes: [[String]] = [
            ["add", "--model", model, "--manifest", next, "--index", index, "--commit-clips", "1"],
            ["remove", "--index", index, "--id", "n01", "--id", "n07"],
            ["compact", "--index", index],
            ["retrain", "--index", index, "--nlist", "3"],
            ["remove", "--index", index, "--id", "n03"],
        ]
        var vectors: [String: [Float]] = [:]
        for arguments in writes {
            let r = try CLI.run(arguments)
            #expect(r.status == 0, "\(arguments[0]) while readers run: exit \(r.status) \(r.stderr)")
            if arguments[0] == "add" { vectors = try setup.vectors(of: index) }  // every clip's vector, before the removals
        }
        let answers = readers.finish()
        #expect(answers.failures.isEmpty, "\(answers.failures.prefix(5))")

        // Every clip set a committed generation can hold: prefixes of the add (manifest order), then the removals.
        #expect(vectors.count == 12)
        var states: [Set<String>] = (0...6).map { Set(setup.ids.prefix(6 + $0)) }
        states.append(Set(setup.ids).subtracting(["n01", "n07"]))
        states.append(Set(setup.ids).subtracting(["n01", "n07", "n03"]))
        let allowed = Set(states.map { setup.expected($0, vectors: vectors) })
        let torn = answers.all.filter { !allowed.contains($0) }
        #expect(torn.isEmpty, "\(torn.count) of \(answers.all.count) answers match no committed generation, e.g. \(torn.prefix(3)); allowed \(allowed)")
        #expect(answers.all.count >= writes.count, "the readers answered \(answers.all.count) times")
        let seen = Set(answers.all).count
        harnessLog("concurrency\t\(answers.all.count) answers, \(seen) distinct generations' answers, \(torn.count) torn, \(answers.failures.count) errors")
    }

    /// Starts `arguments` with the writer stopped (SIGSTOP) at `point`; returns once it is stopped there.
    static func startStopped(_ arguments: [String], at point: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["AUDIO_INDEX_STOP_AT=\(point):1", CLI.executable.path] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // `env` execs audio-index in the same process; wait until it is stopped ('T') or gone.
        while process.isRunning {
            let stat = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8)) ?? ""
            if let close = stat.lastIndex(of: ")"), stat[stat.index(close, offsetBy: 2)] == "T" { break }
            usleep(10_000)
        }
        return process
    }

    @Test("a writer stopped after writing its vectors (or after its catalog commit) is invisible (or fully visible) to readers, and a second writer is refused with exit 8 and a lock message",
          arguments: ["after-vectors", "after-catalog"])
    func stoppedWriter(_ point: String) throws {
        let setup = try Setup()
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        let index = try setup.copy("idx")
        let before = try IndexQuery(index: IndexDirectory(index)).search(queries: setup.query, k: 6, nprobe: nil, allowed: nil)[0].flatMap(\.ids)
        #expect(before.contains("n02"))
        let writer = try Self.startStopped(["remove", "--index", index, "--id", "n02"], at: point)
        #expect(writer.isRunning, "the writer never reached \(point)")

        let during = try IndexQuery(index: IndexDirectory(index)).search(queries: setup.query, k: 6, nprobe: nil, allowed: nil)[0].flatMap(\.ids)
        if point == "after-vectors" {
            #expect(during == before, "a reader sees the uncommitted removal")
        } else {
            #expect(during == Array(before.filter { $0 != "n02" }.prefix(5)), "a reader does not see the committed removal: \(during)")
        }
        let process = try CLI.run(["query", "--index", index, "--vector", setup.queryFile.path, "-k", "6", "--format", "json"])
        #expect(process.status == 0 && process.stdout.contains("\"n02\"") == (point == "after-vectors"), "\(process.stdout)\(process.stderr)")

        for second in [["remove", "--index", index, "--id", "n03"], ["compact", "--index", index],
                       ["add", "--model", Corpus.model, "--manifest", setup.folder.appendingPathComponent("next.jsonl").path, "--index", index]] {
            let r = try CLI.run(second)
            #expect(r.status == 8 && r.stderr.contains("another process is writing this index"), "\(second[0]): exit \(r.status) \(r.stderr)")
        }
        kill(writer.processIdentifier, SIGCONT)
        writer.waitUntilExit()
        #expect(writer.terminationStatus == 0)
        let after = try IndexQuery(index: IndexDirectory(index))
        #expect(try after.verify().isEmpty && after.catalog.clip(id: "n02") == nil && after.catalog.clip(id: "n03") != nil)
    }
}
