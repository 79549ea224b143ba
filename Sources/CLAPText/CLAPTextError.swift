import Diagnostics
import Foundation

/// What can go wrong loading or running the CLAP text encoder, beyond the weight file itself
/// (`WeightsError`) and the tokenizer files (`TokenizerError`).
public enum CLAPTextError: UserFacingError, Equatable {
    /// A laion_clap checkpoint carries no tokenizer and none was given.
    case noTokenizer(model: String)
    /// `config.json` is missing a field, has a wrong type, or describes something this encoder is not.
    case badConfig(file: String, detail: String)
    /// The tensor names are neither Hugging Face's (`text_model.…`) nor laion_clap's (`text_branch.…`).
    case unknownLayout(file: String, sampleKeys: [String])
    /// The attention head count cannot be read off a checkpoint without a config and was not given.
    case headsNotInferable(file: String, hiddenSize: Int)
    /// The tokenizer produced an id the model's embedding table does not have.
    case tokenOutOfVocabulary(id: Int, vocabularySize: Int, tokenizer: String)
    /// The requested maximum length needs more positions than the model has.
    case maxLengthTooLong(maxLength: Int, positions: Int, model: String)

    public var subject: String? {
        switch self {
        case .noTokenizer(let m): return m
        case .badConfig(let f, _), .unknownLayout(let f, _), .headsNotInferable(let f, _): return f
        case .tokenOutOfVocabulary(_, _, let t): return t
        case .maxLengthTooLong(_, _, let m): return m
        }
    }

    public var reason: String {
        switch self {
        case .noTokenizer:
            return "the checkpoint carries no tokenizer"
        case .badConfig(_, let d):
            return "cannot use config.json: \(d)"
        case .unknownLayout(_, let keys):
            let shown = keys.prefix(4).map { "'\($0)'" }.joined(separator: ", ")
            return "no CLAP text tower in the checkpoint: no key starts with text_branch. (laion_clap) or text_model. (Hugging Face); keys look like \(shown)"
        case .headsNotInferable(_, let h):
            return "hidden size \(h) is not a multiple of 64, so the attention head count cannot be inferred from the tensor shapes"
        case .tokenOutOfVocabulary(let id, let v, _):
            return "the tokenizer gave id \(id) but the model's vocabulary has \(v) entries"
        case .maxLengthTooLong(let n, let p, _):
            return "maximum length \(n) needs \(n + 2) position embeddings (positions start at 2), the model has \(p)"
        }
    }

    public var hint: String? {
        switch self {
        case .noTokenizer: return "pass --tokenizer DIR, a folder with roberta-base's vocab.json and merges.txt (or tokenizer.json)"
        case .badConfig: return "use the config.json that came with the model"
        case .unknownLayout: return "pass a laion_clap .pt checkpoint or a Hugging Face ClapModel folder"
        case .headsNotInferable: return "give the head count explicitly (attentionHeads:)"
        case .tokenOutOfVocabulary: return "the tokenizer belongs to another model; use the model's own tokenizer files"
        case .maxLengthTooLong: return "use a smaller --max-length (77 for laion_clap, 64 for AudioBERT)"
        }
    }

    public var exitCode: ProcessExitCode {
        switch self {
        case .noTokenizer: return .badInput
        case .badConfig: return .corrupt
        case .unknownLayout, .headsNotInferable, .tokenOutOfVocabulary: return .inconsistent
        case .maxLengthTooLong: return .usage
        }
    }
}
