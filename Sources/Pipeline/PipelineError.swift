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
    /// `merge`: a part that does not belong with the others (another model, another sharded
    /// build, a repeated or missing part), named with what differs.
    case partsDisagree(part: String, detail: String)
    /// `merge`: one clip id with different audio in two parts (both named, with their locators).
    case conflictingParts(id: String, first: String, firstLocator: String, second: String, secondLocator: String)

    public var subject: String? {
        switch self {
        case .profileMismatch(let m, _, _): return m
        case .indexMismatch(let i, _), .notAnIndex(let i, _), .inconsistent(let i, _): return i
        case .partsDisagree(let p, _): return p
        case .badQuery, .unsupported, .conflictingParts: return nil
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
        case .partsDisagree(_, let d): return d
        case .conflictingParts(let id, let a, let la, let b, let lb):
            return "clip \"\(id)\" has different audio in part \(a) (at \(la)) and in part \(b) (at \(lb))"
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
        case .partsDisagree: return "merge the parts of one build --shard i/N run, made with the same model, profile and --long-clip (audio-index info --index PART shows them)"
        case .conflictingParts: return "give one of the two clips another id in its input, rebuild that part, and merge again"
        }
    }

    public var exitCode: ProcessExitCode {
        switch self {
        case .profileMismatch, .badQuery, .unsupported: return .usage
        case .indexMismatch, .inconsistent, .partsDisagree, .conflictingParts: return .inconsistent
        case .notAnIndex: return .badInput
        }
    }
}
