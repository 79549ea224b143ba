import Diagnostics
import Foundation

/// Everything that can go wrong opening a `.safetensors` checkpoint or binding it to a model.
///
/// Bad files are user input, so every case names the file (and the tensor key where there is one)
/// and never traps; `Docs/WeightsFormat.md` lists them with their exit codes.
public enum WeightsError: UserFacingError, Equatable {
    /// The file cannot be opened or mapped; `errno` says why.
    case cannotOpen(file: String, errno: Int32)
    /// The path is not a regular file (a directory, a device).
    case notARegularFile(file: String)
    /// Malformed or truncated: bad header length, bad JSON, offsets outside the data, overlaps.
    case corrupt(file: String, detail: String)
    /// A tensor stored in a dtype this build does not read (only F32, F16, BF16, I64 are).
    case unsupportedDType(file: String, key: String, dtype: String)
    /// The model needs `key` and the checkpoint does not hold it.
    case missingTensor(key: String, file: String)
    /// The checkpoint holds `key` with another shape than the model needs.
    case shapeMismatch(key: String, expected: [Int], actual: [Int], file: String)
    /// Tensors in the checkpoint that the model never consumed (a different architecture or variant).
    case unexpectedTensors(keys: [String], file: String)

    public var subject: String? {
        switch self {
        case .cannotOpen(let f, _), .notARegularFile(let f), .corrupt(let f, _), .unsupportedDType(let f, _, _),
             .missingTensor(_, let f), .shapeMismatch(_, _, _, let f), .unexpectedTensors(_, let f):
            return f
        }
    }

    public var reason: String {
        switch self {
        case .cannotOpen(_, let e):
            return "cannot open the weights file: \(String(cString: strerror(e)))"
        case .notARegularFile:
            return "not a regular file"
        case .corrupt(_, let d):
            return "corrupt .safetensors file: \(d)"
        case .unsupportedDType(_, let k, let d):
            return "tensor '\(k)' has dtype \(d); this build reads F32, F16, BF16 and I64 only"
        case .missingTensor(let k, _):
            return "the checkpoint has no tensor '\(k)'"
        case .shapeMismatch(let k, let e, let a, _):
            return "tensor '\(k)': expected shape \(Self.text(e)), found \(Self.text(a))"
        case .unexpectedTensors(let keys, _):
            let shown = keys.prefix(8).map { "'\($0)'" }.joined(separator: ", ")
            let more = keys.count > 8 ? " and \(keys.count - 8) more" : ""
            return "\(keys.count) unexpected tensor\(keys.count == 1 ? "" : "s") in the checkpoint: \(shown)\(more)"
        }
    }

    public var hint: String? {
        switch self {
        case .corrupt: return "the file is damaged or cut short; download or export it again"
        case .unsupportedDType: return "convert it, e.g. safetensors.torch.save_file({k: v.float() for k, v in sd.items()}, path)"
        case .missingTensor, .shapeMismatch, .unexpectedTensors:
            return "the checkpoint is for another model or variant; check the model and profile options"
        default: return nil
        }
    }

    public var exitCode: ProcessExitCode {
        switch self {
        case .cannotOpen(_, let e):
            return (e == ENOENT || e == ENOTDIR) ? .badInput : .ioFailure
        case .notARegularFile: return .badInput
        case .corrupt: return .corrupt
        case .unsupportedDType: return .unsupported
        case .missingTensor, .shapeMismatch, .unexpectedTensors: return .inconsistent
        }
    }

    /// `[2, 3]`; a 0-d scalar prints as `[]`.
    static func text(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
}
