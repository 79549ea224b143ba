import ArgumentParser
import Pipeline

/// `audio-index decode-worker` (hidden): the child process `build` and `add` decode untrusted audio
/// in (Pipeline/DecodeIsolation.swift). Reads framed requests on stdin, answers on stdout.
struct DecodeWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode-worker",
        abstract: "Decode audio for a parent build process (internal; not for direct use).",
        shouldDisplay: false
    )

    @Option(help: "CPU seconds allowed per clip (RLIMIT_CPU).") var cpuSeconds: Int = 60
    @Option(help: "Address-space limit in bytes (RLIMIT_AS).") var memoryBytes: Int = 4 << 30

    func run() throws {
        DecodeWorkerServer.serve(cpuSecondsPerClip: cpuSeconds, memoryBytes: memoryBytes)
    }
}
