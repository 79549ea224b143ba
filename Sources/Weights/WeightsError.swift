import Diagnostics
import FileIO
import Foundation

/// Everything that can go wrong opening a checkpoint (`.safetensors`, PyTorch `.pt`/`.bin`, a model
/// folder) or binding it to a model.
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
    /// A PyTorch zip checkpoint that is malformed or truncated (zip structure, pickle, storages, views).
    case corruptPyTorch(file: String, detail: String)
    /// A well-formed PyTorch file using something this reader does not implement (compressed entries,
    /// big-endian storages, pickle opcodes torch.save never emits, a tensor subclass…).
    case unsupportedPyTorch(file: String, detail: String)
    /// A pre-1.6 `torch.save` file (a bare pickle starting with the legacy magic number, or a tar).
    case legacyPyTorchFormat(file: String)
    /// A TorchScript archive (`torch.jit.save`): code, not a state dict.
    case torchScriptArchive(file: String)
    /// The pickled object is neither a state dict nor a dict holding one under `state_dict`.
    case noStateDict(file: String, found: String)
    /// Neither a safetensors nor a PyTorch file (by content, not by extension).
    case unrecognizedFile(file: String)
    /// A model folder without `model.safetensors`, `model.safetensors.index.json` or `pytorch_model.bin`.
    case noWeightsInFolder(folder: String)
    /// The tensor keys match neither the Hugging Face `ClapModel` nor the laion_clap naming.
    case unknownLayout(file: String, sampleKeys: [String])
    /// `config.json` or `model.safetensors.index.json` cannot be used.
    case badModelJSON(file: String, detail: String)

    public var subject: String? {
        switch self {
        case .cannotOpen(let f, _), .notARegularFile(let f), .corrupt(let f, _), .unsupportedDType(let f, _, _),
             .missingTensor(_, let f), .shapeMismatch(_, _, _, let f), .unexpectedTensors(_, let f),
             .corruptPyTorch(let f, _), .unsupportedPyTorch(let f, _), .legacyPyTorchFormat(let f), .torchScriptArchive(let f),
             .noStateDict(let f, _), .unrecognizedFile(let f), .noWeightsInFolder(let f), .unknownLayout(let f, _),
             .badModelJSON(let f, _):
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
            return "tensor '\(k)' has dtype \(d); this build reads F32, F16, BF16 and I64 (and, from PyTorch files, F64 and other integer buffers)"
        case .missingTensor(let k, _):
            return "the checkpoint has no tensor '\(k)'"
        case .shapeMismatch(let k, let e, let a, _):
            return "tensor '\(k)': expected shape \(Self.text(e)), found \(Self.text(a))"
        case .unexpectedTensors(let keys, _):
            let shown = keys.prefix(8).map { "'\($0)'" }.joined(separator: ", ")
            let more = keys.count > 8 ? " and \(keys.count - 8) more" : ""
            return "\(keys.count) unexpected tensor\(keys.count == 1 ? "" : "s") in the checkpoint: \(shown)\(more)"
        case .corruptPyTorch(_, let d):
            return "corrupt PyTorch checkpoint: \(d)"
        case .unsupportedPyTorch(_, let d):
            return "unsupported PyTorch checkpoint: \(d)"
        case .legacyPyTorchFormat:
            return "a legacy PyTorch file (saved before torch 1.6 or with _use_new_zipfile_serialization=False); only the zip format is read"
        case .torchScriptArchive:
            return "a TorchScript archive (torch.jit.save), not a checkpoint of tensors"
        case .noStateDict(_, let found):
            return "no state dict in the checkpoint: it holds \(found)"
        case .unrecognizedFile:
            return "neither a .safetensors file nor a PyTorch checkpoint"
        case .noWeightsInFolder:
            return "the model folder holds no model.safetensors, model.safetensors.index.json or pytorch_model.bin"
        case .unknownLayout(_, let keys):
            let shown = keys.prefix(4).map { "'\($0)'" }.joined(separator: ", ")
            return "not a CLAP checkpoint: no key starts with audio_branch./text_branch. (laion_clap) or audio_model./text_model. (Hugging Face); keys look like \(shown)"
        case .badModelJSON(_, let d):
            return "cannot use the model's JSON file: \(d)"
        }
    }

    public var hint: String? {
        switch self {
        case .corrupt: return "the file is damaged or cut short; download or export it again"
        case .unsupportedDType: return "convert it, e.g. safetensors.torch.save_file({k: v.float() for k, v in sd.items()}, path)"
        case .missingTensor, .shapeMismatch, .unexpectedTensors:
            return "the checkpoint is for another model or variant; check the model and profile options"
        case .corruptPyTorch: return "the file is damaged or cut short; download or save it again"
        case .unsupportedPyTorch, .noStateDict:
            return "save the state dict with plain tensors: torch.save(model.state_dict(), path), or convert it to safetensors"
        case .legacyPyTorchFormat:
            return "re-save it with torch >= 1.6: torch.save(torch.load(old, map_location='cpu', weights_only=False), new)"
        case .torchScriptArchive:
            return "save its weights instead: torch.save(torch.jit.load(path).state_dict(), 'model.pt')"
        case .unrecognizedFile:
            return "pass a model folder, a .safetensors file or a torch.save checkpoint (.pt/.bin)"
        case .noWeightsInFolder:
            return "download the model files (config.json and model.safetensors) into the folder, or pass a .pt file"
        case .unknownLayout:
            return "pass a laion_clap .pt checkpoint or a Hugging Face ClapModel folder"
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
        case .missingTensor, .shapeMismatch, .unexpectedTensors, .unknownLayout: return .inconsistent
        case .corruptPyTorch, .badModelJSON: return .corrupt
        case .unsupportedPyTorch, .legacyPyTorchFormat, .torchScriptArchive: return .unsupported
        case .noStateDict, .unrecognizedFile, .noWeightsInFolder: return .badInput
        }
    }

    /// Maps `path` read-only, turning `MappedFile`'s failures into this module's errors.
    static func mapping(_ path: String) throws(WeightsError) -> MappedFile {
        do {
            return try MappedFile(path: path)
        } catch {
            switch error {
            case .notRegularFile: throw .notARegularFile(file: path)
            case .open(let e), .stat(let e), .map(let e): throw .cannotOpen(file: path, errno: e)
            }
        }
    }

    /// `[2, 3]`; a 0-d scalar prints as `[]`.
    static func text(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
}
