import Foundation
@testable import Pipeline
import Testing
import TestSupport

/// Decoding in worker processes (issue 7 item 4): a codec that crashes, spins or blocks on one file
/// costs that clip (recorded in the failures table with what happened), never the build, and the
/// clip is indexed by `--retry-failed` once the codec behaves.
@Suite("decode isolation: injected codec crash, CPU spin and hang in the worker", .serialized)
struct DecodeIsolationTests {
    @Test("a worker that aborts on bell, spins on rain and blocks on dog-copy: each a decode failure saying why, the rest indexed; --retry-failed completes it")
    func injectedFaults() throws {
        let corpus = try Corpus()
        defer { corpus.remove() }
        let reference = corpus.index("reference"), idx = corpus.index("idx")
        _ = try corpus.build(reference)
        let args = ["build", "--model", Corpus.model, "--manifest", corpus.manifest.path, "--index", idx,
                    "--decode-cpu-seconds", "1", "--decode-timeout", "20"]
        let r = try CLI.run(executable: URL(fileURLWithPath: "/usr/bin/env"),
                            ["AUDIO_INDEX_DECODE_FAULT=crash:bell.wav,hang:rain.wav,sleep:dog-copy.wav", CLI.executable.path] + args)
        #expect(r.status == 1 && r.stderr.contains("4 clips failed"), "\(r.stdout)\(r.stderr)")
        let q = try IndexQuery(index: IndexDirectory(idx))
        let failures = Dictionary(uniqueKeysWithValues: try q.catalog.failures().map { ($0.clipID ?? "-", $0) })
        #expect(failures["bell"]?.stage == .decode && failures["bell"]?.error.contains("killed by signal 6") == true, "\(failures["bell"]?.error ?? "")")
        // the spin ends at the CPU limit (SIGXCPU) or, on a machine too loaded to give it 1 s of CPU
        // within 20 s, at the wall-clock limit; either way the clip fails and the build goes on
        #expect(failures["rain"].map { $0.error.contains("SIGXCPU") || $0.error.contains("longer than 20 s") } == true, "\(failures["rain"]?.error ?? "")")
        #expect(failures["dog-again"]?.error.contains("longer than 20 s") == true, "\(failures["dog-again"]?.error ?? "")")
        #expect(failures["broken"]?.stage == .decode)
        #expect(try q.catalog.clip(id: "dog") != nil && q.verify().isEmpty)

        let retry = try CLI.run(args + ["--retry-failed"])
        #expect([0, 1].contains(retry.status), "\(retry.stderr)")
        #expect(try IndexSnapshot(idx).vectors == IndexSnapshot(reference).vectors)
    }

    @Test("workers started at the same time from two threads hold no pipe but their own stdin and stdout (an inherited request pipe kept a worker from ever seeing EOF)")
    func workersInheritNoPipes() throws {
        let settings = DecodeIsolation(executable: CLI.executable.path)
        let clip = Fixtures.url("audio/librosa-mono-8000-pcm16.wav").path
        for round in 0..<12 {
            nonisolated(unsafe) let clients = [DecodeWorkerClient(settings: settings), DecodeWorkerClient(settings: settings)]
            DispatchQueue.concurrentPerform(iterations: clients.count) { i in
                if case .failure(let f) = clients[i].decode(path: clip) { Issue.record("round \(round): \(f.message)") }
            }
            let workers = Self.decodeWorkers(of: getpid())
            #expect(workers.count >= 2, "round \(round): found \(workers.count) workers")
            // a pipe's two ends share one inode: worker B must hold no end of worker A's stdin/stdout pipes
            let descriptors = Dictionary(uniqueKeysWithValues: workers.map { ($0, Self.openDescriptors(of: $0)) })
            for worker in workers {
                let othersPipes = Set(descriptors.filter { $0.key != worker }.flatMap { [$0.value[0], $0.value[1]].compactMap { $0 } })
                let held = descriptors[worker, default: [:]].filter { $0.key > 2 && othersPipes.contains($0.value) }
                #expect(held.isEmpty, "round \(round): worker \(worker) holds another worker's pipe: \(held)")
                // so that a failure fails instead of hanging: the clients' stop would wait forever
                if !held.isEmpty { for w in workers { kill(w, SIGKILL) } }
            }
            // the clients stop here (deinit): each worker sees EOF on its stdin and exits
        }
    }

    /// Child processes of `parent` running `audio-index decode-worker`.
    private static func decodeWorkers(of parent: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, Int32(fields[1]) == parent,
                  let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: cmdline, as: UTF8.self).contains("decode-worker")
        }
    }

    /// fd → link target (`pipe:[inode]`, a path, …) of a process.
    private static func openDescriptors(of pid: pid_t) -> [Int: String] {
        let folder = "/proc/\(pid)/fd"
        var out: [Int: String] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
            if let fd = Int(name), let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(folder)/\(name)") {
                out[fd] = target
            }
        }
        return out
    }

    @Test("the worker decodes exactly what the in-process decoder does: same audio hashes and vectors")
    func sameResult() throws {
        let corpus = try Corpus()
        defer { corpus.remove() }
        _ = try corpus.build(corpus.index("isolated"))
        _ = try corpus.build(corpus.index("in-process"), ["--decode-in-process"])
        #expect(try IndexSnapshot(corpus.index("isolated")) == IndexSnapshot(corpus.index("in-process")))
    }
}
