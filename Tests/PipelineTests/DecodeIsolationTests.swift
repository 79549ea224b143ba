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

    @Test("a worker holds only stdin, stdout and stderr and starts with no blocked signal, even when the spawning thread blocks some and holds a descriptor without FD_CLOEXEC")
    func workerInheritsNothing() throws {
        let leaked = open("/dev/null", O_RDONLY)   // no O_CLOEXEC: posix_spawn alone would pass it on
        defer { close(leaked) }
        let clip = Fixtures.url("audio/librosa-mono-8000-pcm16.wav").path
        // Two workers started at once from two threads that block SIGUSR1 (as Dispatch threads may).
        let workers = TwoWorkers(executable: CLI.executable.path)
        let done = DispatchGroup()
        for i in 0..<2 {
            done.enter()
            Thread.detachNewThread {
                var usr1 = sigset_t()
                sigemptyset(&usr1)
                sigaddset(&usr1, SIGUSR1)
                pthread_sigmask(SIG_BLOCK, &usr1, nil)
                workers.decode(i, clip)
                done.leave()
            }
        }
        done.wait()
        #expect(workers.decoded == [true, true])
        for worker in workers.clients {
            let fds = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(worker.pid)/fd").sorted()
            #expect(fds == ["0", "1", "2"], "worker \(worker.pid) holds \(fds)")
            let status = try String(contentsOfFile: "/proc/\(worker.pid)/status", encoding: .utf8)
            let blocked = status.split(separator: "\n").first { $0.hasPrefix("SigBlk:") }
            #expect(blocked?.split(separator: "\t").last == "0000000000000000", "\(blocked ?? "")")
        }
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

/// Two worker clients driven from two threads (each client is used by one thread only).
private final class TwoWorkers: @unchecked Sendable {
    let clients: [DecodeWorkerClient]
    private let lock = NSLock()
    private var results = [false, false]
    var decoded: [Bool] { lock.withLock { results } }

    init(executable: String) {
        clients = (0..<2).map { _ in DecodeWorkerClient(settings: DecodeIsolation(executable: executable)) }
    }

    func decode(_ i: Int, _ path: String) {
        if case .success = clients[i].decode(path: path) { lock.withLock { results[i] = true } }
    }
}
