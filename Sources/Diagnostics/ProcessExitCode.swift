/// The process exit codes of `audio-index`, documented in README.md ("Exit codes").
///
/// Every error the CLI can meet maps to exactly one of these; scripts and job schedulers
/// (Slurm array tasks, Kubernetes Indexed Jobs) branch on them, so they never change meaning.
public enum ProcessExitCode: Int32, CaseIterable, Sendable {
    /// Everything asked for was done.
    case ok = 0
    /// Some inputs failed (each reported on stderr); the rest were processed.
    case someInputsFailed = 1
    /// The command line is wrong: unknown option, missing argument, invalid value.
    case usage = 2
    /// Files disagree with each other (e.g. an index built with another model or profile).
    case inconsistent = 3
    /// A file is damaged: bad magic, truncated, checksum mismatch, malformed header.
    case corrupt = 4
    /// The input named on the command line cannot be used: missing, a directory, not audio, empty.
    case badInput = 5
    /// The system refused an operation: permission denied, disk full, I/O error.
    case ioFailure = 6
    /// The file is valid but this build cannot read it (e.g. a newer format version).
    case unsupported = 7
    /// Another process holds the lock on the index.
    case locked = 8
    /// A bug in audio-index: an invariant was broken. Please report it.
    case internalError = 70

    /// One-line meaning, as printed in README.md and `--help`.
    public var meaning: String {
        switch self {
        case .ok: return "success"
        case .someInputsFailed: return "some inputs failed (each reported on stderr); the others were processed"
        case .usage: return "usage error: bad option, argument or value"
        case .inconsistent: return "inconsistent files (e.g. index and model do not match)"
        case .corrupt: return "a file is corrupt or truncated"
        case .badInput: return "the input cannot be used (missing, a directory, empty, not audio, out of range)"
        case .ioFailure: return "the system refused an operation (permission, disk full, I/O error)"
        case .unsupported: return "valid but unsupported here (e.g. a newer format version)"
        case .locked: return "another process holds the index lock"
        case .internalError: return "internal error (a bug: please report it)"
        }
    }
}
