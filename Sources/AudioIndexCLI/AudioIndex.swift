import ArgumentParser
import Diagnostics

/// The root command. Subcommands are verbs, one file each; this file only wires them up and
/// turns every error into one stderr line plus its documented exit code (README.md, "Exit codes").
struct AudioIndex: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audio-index",
        abstract: "Build and query CLAP audio knowledge indexes.",
        discussion: """
            Pipeline: decode (libsndfile) → 48 kHz mono (libsoxr HQ) → CLAP log-mel front end \
            (profiles laion, laion-fusion, hf) → embeddings → index.

            Results go to stdout, progress and errors to stderr.

            EXIT CODES
            \(ProcessExitCode.allCases.map { "  \($0.rawValue)\t\($0.meaning)" }.joined(separator: "\n"))
            """,
        version: "0.1.0",
        subcommands: AudioIndex.subcommandList
    )
}

@main
enum AudioIndexMain {
    static func main() {
        CrashPoints.checkEnvironment()
        let command: ParsableCommand
        do {
            command = try AudioIndex.parseAsRoot()
        } catch {
            exit(withParseError: error)
        }
        do {
            var runnable = command
            try runnable.run()
        } catch let exit as ExitCode {
            // Commands that already reported per-input failures return their code this way.
            Glibc.exit(exit.rawValue)
        } catch where isArgumentParserError(error) {
            // Help, version and validation errors raised while running (e.g. a bare `audio-index`).
            exit(withParseError: error)
        } catch {
            StandardError.report(error)
            Glibc.exit(ErrorReport.exitCode(for: error).rawValue)
        }
    }

    static func isArgumentParserError(_ error: Error) -> Bool {
        error is ValidationError || error is CleanExit
            || String(reflecting: type(of: error)).hasPrefix("ArgumentParser.")
    }

    /// Help and version go to stdout with code 0; every real parse error is one usage line set
    /// on stderr with exit code 2 (the parser's own default would be 64).
    static func exit(withParseError error: Error) -> Never {
        let message = AudioIndex.fullMessage(for: error)
        let code = AudioIndex.exitCode(for: error)
        if code == .success {
            print(message)
            Glibc.exit(ProcessExitCode.ok.rawValue)
        }
        StandardError.writeLine(message)
        Glibc.exit(ProcessExitCode.usage.rawValue)
    }
}

#if canImport(Glibc)
import Glibc
#endif
