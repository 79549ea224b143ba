import Diagnostics

/// User-facing errors of the index pipeline (`build`, `add`, `query`, `info`, `verify`, `embed --audio`).
public enum PipelineError: UserFacingError, Equatable {
    /// `--profile` does not fit the model (e.g. `laion` for a fused model).
    case profileMismatch(model: String, profile: String, detail: String)
    /// An existing index was built with another model, profile, policy or inputs.
    case indexMismatch(index: String, detail: String)
    /// The folder is not an index directory (no catalog.sqlite or vectors/).
    case notAnIndex(path: String, detail: String)
    /// A query input cannot be used (a vector of the wrong width, an unknown clip id…).
    case badQuery(detail: String)
    /// The index and its catalog disagree (found by `verify`).
    case inconsistent(index: String, problems: [String])
    /// An option combination the pipeline refuses.
    case unsupported(detail: String)

    public var subject: String? {
        switch self {
        case .profileMismatch(let m, _, _): return m
        case .indexMismatch(let i, _), .notAnIndex(let i, _), .inconsistent(let i, _): return i
        case .badQuery, .unsupported: return nil
        }
    }

    public var reason: String {
        switch self {
        case .profileMismatch(_, let p, let d): return "profile \(p) does not fit this model: \(d)"
        case .indexMismatch(_, let d): return "the index was built differently: \(d)"
        case .notAnIndex(_, let d): return "not an index directory: \(d)"
        case .badQuery(let d): return d
        case .inconsistent(_, let p): return "\(p.count) problem\(p.count == 1 ? "" : "s"): " + p.prefix(5).joined(separator: "; ")
        case .unsupported(let d): return d
        }
    }

    public var hint: String? {
        switch self {
        case .profileMismatch: return "leave out --profile to use the model's own (HF folder: hf; fused: laion-fusion; else laion)"
        case .indexMismatch: return "use the model, profile, --long-clip and inputs the index was built with (audio-index info --index DIR), or build a new index"
        case .notAnIndex: return "create one with audio-index build --index DIR"
        case .badQuery: return nil
        case .inconsistent: return "rebuild the index, or restore it from a copy taken while no writer ran"
        case .unsupported: return nil
        }
    }

    public var exitCode: ProcessExitCode {
        switch self {
        case .profileMismatch, .badQuery, .unsupported: return .usage
        case .indexMismatch, .inconsistent: return .inconsistent
        case .notAnIndex: return .badInput
        }
    }
}
