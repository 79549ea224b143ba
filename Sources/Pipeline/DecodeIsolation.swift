import AudioIO
import Diagnostics
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Decoding untrusted audio in a child process (issue 7 item 4): libsndfile and its codecs are C
/// code we cannot fix, so a crash or a hang inside them must cost one clip, not the build. Each
/// decode thread of `build`/`add` owns one long-lived `audio-index decode-worker` process; it
/// limits its own address space (RLIMIT_AS) and, per clip, its CPU time (RLIMIT_CPU = used +
/// budget), and the parent stops it (SIGKILL) when a clip takes longer than the wall-clock limit.
/// A worker that dies is reported as that clip's decode failure and replaced for the next clip.
public struct DecodeIsolation: Sendable, Equatable {
    /// The `audio-index` executable that serves `decode-worker`.
    public var executable: String
    public var cpuSecondsPerClip = 60
    public var wallSecondsPerClip = 300.0
    public var memoryBytes = 4 << 30

    public init(executable: String) { self.executable = executable }

    /// This process's own executable (the CLI runs itself as the worker).
    public static var currentExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}

/// The parent side of one worker process. Not thread-safe: one per decode thread.
final class DecodeWorkerClient {
    let settings: DecodeIsolation
    /// The worker's process id (0 when none is running); tests read its /proc entry.
    private(set) var pid: pid_t = 0
    private var toChild: Int32 = -1
    private var fromChild: Int32 = -1

    init(settings: DecodeIsolation) { self.settings = settings }
    deinit { stop(kill: false) }

    /// Decodes a file, or the bytes of a tar member named `name`, in the worker.
    func decode(path: String) -> Result<DecodedAudio, PipelineFailure> { request(kind: 1, name: path, payload: nil) }
    func decode(bytes: [UInt8], name: String) -> Result<DecodedAudio, PipelineFailure> { request(kind: 2, name: name, payload: bytes) }

    private func request(kind: UInt8, name: String, payload: [UInt8]?) -> Result<DecodedAudio, PipelineFailure> {
        do {
            if pid == 0 { try start() }
            var message: [UInt8] = [kind]
            message += DecodeWire.u32(UInt32(name.utf8.count)) + Array(name.utf8)
            if let payload { message += DecodeWire.u64(UInt64(payload.count)) + payload }
            guard DecodeWire.writeAll(toChild, message) else { return .failure(died(name)) }
            let deadline = ProcessInfo.processInfo.systemUptime + settings.wallSecondsPerClip
            let reader = DecodeWire.Reader(fd: fromChild, deadline: deadline)
            guard let status = reader.bytes(1)?.first else { return .failure(reader.timedOut ? timedOut(name) : died(name)) }
            if status != 0 {
                guard let n = reader.u32(), let text = reader.bytes(Int(n)) else { return .failure(died(name)) }
                return .failure(PipelineFailure(stage: .decode, message: String(decoding: text, as: UTF8.self)))
            }
            guard let rate = reader.u32(), let channels = reader.u32(), let count = reader.u64(),
                  let containerLength = reader.u32(), let container = reader.bytes(Int(containerLength)),
                  let encodingLength = reader.u32(), let encoding = reader.bytes(Int(encodingLength)),
                  channels > 0, count % UInt64(channels) == 0, count <= UInt64(Int.max / 4),
                  let raw = reader.bytes(Int(count) * 4) else {
                return .failure(reader.timedOut ? timedOut(name) : died(name))
            }
            let samples = raw.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            return .success(DecodedAudio(samples: samples, channels: Int(channels), sampleRate: Int(rate),
                                         format: AudioFormatInfo(container: String(decoding: container, as: UTF8.self),
                                                                 encoding: String(decoding: encoding, as: UTF8.self))))
        } catch {
            return .failure(PipelineFailure(stage: .decode, message: "cannot start the decode worker: \(error)"))
        }
    }

    private func timedOut(_ name: String) -> PipelineFailure {
        stop(kill: true)
        return PipelineFailure(stage: .decode, message: "\(name): decoding took longer than \(Int(settings.wallSecondsPerClip)) s; the decoder process was stopped (the file may be crafted to hang the codec)")
    }

    private func died(_ name: String) -> PipelineFailure {
        let how = stop(kill: false)
        return PipelineFailure(stage: .decode, message: "\(name): the decoder process \(how) while decoding this file (a codec crash; the build went on)")
    }

    /// Ends the worker and says how it ended.
    @discardableResult
    private func stop(kill force: Bool) -> String {
        guard pid != 0 else { return "was not running" }
        if toChild >= 0 { close(toChild) }
        if fromChild >= 0 { close(fromChild) }
        toChild = -1; fromChild = -1
        if force { Glibc.kill(pid, SIGKILL) }
        var status: Int32 = 0
        var how = "ended"
        if waitpid(pid, &status, 0) == pid {
            let signal = status & 0x7f
            if signal != 0 {
                how = "was killed by signal \(signal)" + (signal == SIGXCPU ? " (SIGXCPU: over its \(settings.cpuSecondsPerClip) s CPU limit)" : "")
            } else {
                how = "exited with status \((status >> 8) & 0xff)"
            }
        }
        pid = 0
        return how
    }

    private func start() throws {
        // O_CLOEXEC from the start: workers are started from several decoding threads at once, and a
        // pipe end created without it could leak into a sibling worker spawned between pipe() and a
        // later fcntl — that sibling would then hold this worker's pipes: closing our request end never
        // gave this worker EOF, so `stop` waited on it forever at the end of a `--threads 2` build (seen
        // in the session-4 benchmark), and a crash of this worker would read as a wait until the
        // wall-clock limit instead of EOF. dup2 onto 0 and 1
        // clears the flag on the copies the worker keeps; exec closes the rest.
        var requestPipe: [Int32] = [0, 0], responsePipe: [Int32] = [0, 0]
        guard glibcPipe2(&requestPipe, O_CLOEXEC) == 0 else { throw PipelineFailure(stage: .decode, message: "pipe2: errno \(errno)") }
        guard glibcPipe2(&responsePipe, O_CLOEXEC) == 0 else {
            close(requestPipe[0]); close(requestPipe[1])
            throw PipelineFailure(stage: .decode, message: "pipe2: errno \(errno)")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, requestPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, responsePipe[1], 1)
        // Nothing else of the parent's (the index's LOCK, catalog, segment descriptors) reaches the worker.
        glibcAddCloseFrom(&actions, 3)
        // The spawning thread may be a Dispatch worker with signals blocked, and the build may ignore
        // some (SIGPIPE): the worker starts with an empty mask and every signal at its default, so the
        // CPU limit's SIGXCPU and the parent's SIGKILL act as intended.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t(), allSignals = sigset_t()
        sigemptyset(&emptyMask)
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let arguments = [settings.executable, "decode-worker", "--cpu-seconds", "\(settings.cpuSecondsPerClip)",
                         "--memory-bytes", "\(settings.memoryBytes)"]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, settings.executable, &actions, &attributes, &argv, environ)
        close(requestPipe[0]); close(responsePipe[1])
        guard rc == 0 else {
            close(requestPipe[1]); close(responsePipe[0])
            throw PipelineFailure(stage: .decode, message: "posix_spawn \(settings.executable): \(String(cString: strerror(rc)))")
        }
        pid = child
        toChild = requestPipe[1]
        fromChild = responsePipe[0]
    }
}

// glibc functions the Glibc module does not import (declared only under _GNU_SOURCE): pipe2 (glibc
// 2.9) and posix_spawn_file_actions_addclosefrom_np (glibc 2.34; Debian 12 has 2.36).
@_silgen_name("pipe2")
private func glibcPipe2(_ fds: UnsafeMutablePointer<Int32>, _ flags: Int32) -> Int32
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
@discardableResult
private func glibcAddCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ from: Int32) -> Int32

/// The worker side: `audio-index decode-worker` (hidden) serves requests on stdin until it closes.
public enum DecodeWorkerServer {
    public static func serve(cpuSecondsPerClip: Int, memoryBytes: Int) -> Never {
        signal(SIGPIPE, SIG_IGN)
        // The parent spawns with an empty mask and default dispositions (DecodeWorkerClient.start); this
        // also holds when the worker is started some other way: a worker that inherited SIGXCPU
        // ignored or blocked would run on to the hard CPU limit's SIGKILL.
        signal(SIGXCPU, SIG_DFL)
        var xcpu = sigset_t()
        sigemptyset(&xcpu)
        sigaddset(&xcpu, SIGXCPU)
        pthread_sigmask(SIG_UNBLOCK, &xcpu, nil)
        var limit = rlimit(rlim_cur: rlim_t(memoryBytes), rlim_max: rlim_t(memoryBytes))
        setrlimit(Int32(RLIMIT_AS.rawValue), &limit)
        var noCore = rlimit(rlim_cur: 0, rlim_max: 0)  // a codec crash leaves no core file behind
        setrlimit(Int32(RLIMIT_CORE.rawValue), &noCore)
        let faults = DecodeFaults.fromEnvironment()
        let input = DecodeWire.Reader(fd: 0, deadline: nil)
        while let kind = input.bytes(1)?.first {
            guard let n = input.u32(), let nameBytes = input.bytes(Int(n)) else { break }
            let name = String(decoding: nameBytes, as: UTF8.self)
            var payload: [UInt8]?
            if kind == 2 {
                guard let count = input.u64(), count < 1 << 40, let bytes = input.bytes(Int(count)) else { break }
                payload = bytes
            }
            // CPU limit for this clip: what the worker has used so far plus the budget.
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            let used = Int(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + 1
            var cpu = rlimit(rlim_cur: rlim_t(used + cpuSecondsPerClip), rlim_max: rlim_t(used + cpuSecondsPerClip + 5))
            setrlimit(Int32(RLIMIT_CPU.rawValue), &cpu)
            faults.inject(name: name)
            var response: [UInt8]
            do {
                let audio = try payload.map { try AudioDecoder.decode(bytes: $0, name: name) } ?? AudioDecoder.decode(path: name)
                response = [0] + DecodeWire.u32(UInt32(audio.sampleRate)) + DecodeWire.u32(UInt32(audio.channels))
                    + DecodeWire.u64(UInt64(audio.samples.count))
                    + DecodeWire.u32(UInt32(audio.format.container.utf8.count)) + Array(audio.format.container.utf8)
                    + DecodeWire.u32(UInt32(audio.format.encoding.utf8.count)) + Array(audio.format.encoding.utf8)
                response += audio.samples.withUnsafeBytes { Array($0) }
            } catch {
                let text = Array(ErrorReport.line(for: error).utf8)
                response = [1] + DecodeWire.u32(UInt32(text.count)) + text
            }
            guard DecodeWire.writeAll(1, response) else { break }
        }
        exit(0)
    }
}

/// Injected codec faults for the isolation tests: `AUDIO_INDEX_DECODE_FAULT=crash:WORD,hang:WORD,sleep:WORD`
/// makes the worker abort, spin on the CPU, or block, on a clip whose name contains WORD.
struct DecodeFaults {
    var crash: [String] = []
    var hang: [String] = []
    var sleep: [String] = []

    static func fromEnvironment() -> DecodeFaults {
        var faults = DecodeFaults()
        for item in (ProcessInfo.processInfo.environment["AUDIO_INDEX_DECODE_FAULT"] ?? "").split(separator: ",") {
            let parts = item.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            if parts[0] == "crash" { faults.crash.append(parts[1]) }
            if parts[0] == "hang" { faults.hang.append(parts[1]) }
            if parts[0] == "sleep" { faults.sleep.append(parts[1]) }
        }
        return faults
    }

    func inject(name: String) {
        if crash.contains(where: name.contains) { abort() }
        if sleep.contains(where: name.contains) { while true { pause() } }
        if hang.contains(where: name.contains) {
            var x: UInt64 = 1
            while true { x = x &* 6364136223846793005 &+ 1442695040888963407; if x == 0 { print(x) } }
        }
    }
}

/// Little-endian framing of the worker protocol.
enum DecodeWire {
    static func u32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    static func u64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
    }

    /// Reads exact byte counts, optionally until a deadline (poll).
    final class Reader {
        let fd: Int32
        let deadline: Double?
        private(set) var timedOut = false
        init(fd: Int32, deadline: Double?) { self.fd = fd; self.deadline = deadline }

        func bytes(_ count: Int) -> [UInt8]? {
            var out = [UInt8](repeating: 0, count: count)
            var offset = 0
            while offset < count {
                if let deadline {
                    let left = deadline - ProcessInfo.processInfo.systemUptime
                    if left <= 0 { timedOut = true; return nil }
                    var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    let r = poll(&p, 1, Int32(min(left * 1000, 60_000)) + 1)
                    if r < 0 && errno == EINTR { continue }
                    if r == 0 { continue }
                }
                let n = out.withUnsafeMutableBytes { read(fd, $0.baseAddress! + offset, count - offset) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return nil }
                offset += n
            }
            return out
        }

        func u32() -> UInt32? { bytes(4).map { $0.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) } } }
        func u64() -> UInt64? { bytes(8).map { $0.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) } } }
    }
}

extension PipelineFailure: CustomStringConvertible {
    public var description: String { message }
}
