import Diagnostics

/// Everything that can be wrong with tokenizer files or a tokenizer request. Every case names the file
/// (or folder) and says what to do; the CLI prints it as one line with its exit code.
public enum TokenizerError: UserFacingError, Equatable {
    /// The folder has neither `tokenizer.json` nor `vocab.json` + `merges.txt`.
    case noTokenizerFiles(folder: String)
    /// A model *file* (e.g. a laion_clap `.pt` checkpoint) was given where a folder with tokenizer files is needed.
    case notAFolder(path: String)
    /// The path does not exist.
    case missing(path: String)
    /// One of a pair of files is there, the other is not (e.g. `vocab.json` without `merges.txt`).
    case missingCompanion(path: String, companion: String)
    /// The file cannot be read (permissions, I/O).
    case unreadable(path: String, reason: String)
    /// Not valid JSON, or JSON of the wrong shape.
    case malformedJSON(path: String, detail: String)
    /// A merge is not two space-separated symbols; `location` is "line 12" or "model.merges[11]".
    case malformedMerges(path: String, location: String, detail: String)
    /// A merge uses (or produces) a symbol the vocabulary does not have.
    case mergeNotInVocabulary(path: String, location: String, token: String)
    /// A special token (e.g. `<s>`) is not in the vocabulary, so ids cannot be produced.
    case missingSpecialToken(path: String, token: String)
    /// Two vocabulary entries share one id.
    case duplicateID(path: String, id: Int, tokens: [String])
    /// A valid tokenizer this implementation does not reproduce (another model type, a normalizer, dropout).
    case unsupported(path: String, feature: String)
    /// `maxLength` leaves no room for the special tokens.
    case maxLengthTooSmall(maxLength: Int, specialTokens: Int)
    /// Padding was asked for but the tokenizer has no padding token.
    case noPaddingToken(path: String)

    public var subject: String? {
        switch self {
        case .noTokenizerFiles(let p), .notAFolder(let p), .missing(let p), .missingCompanion(let p, _),
             .unreadable(let p, _), .malformedJSON(let p, _), .malformedMerges(let p, _, _),
             .mergeNotInVocabulary(let p, _, _), .missingSpecialToken(let p, _), .duplicateID(let p, _, _),
             .unsupported(let p, _), .noPaddingToken(let p):
            return p
        case .maxLengthTooSmall:
            return nil
        }
    }

    public var reason: String {
        switch self {
        case .noTokenizerFiles:
            return "no tokenizer files: expected tokenizer.json, or vocab.json with merges.txt"
        case .notAFolder:
            return "is a file, not a folder of tokenizer files"
        case .missing:
            return "no such file or folder"
        case .missingCompanion(_, let companion):
            return "\(companion) is missing beside it"
        case .unreadable(_, let reason):
            return "cannot read: \(reason)"
        case .malformedJSON(_, let detail):
            return "not a valid tokenizer file: \(detail)"
        case .malformedMerges(_, let location, let detail):
            return "\(location) is not a merge (\(detail)): a merge is two symbols separated by one space"
        case .mergeNotInVocabulary(_, let location, let token):
            return "\(location): the merge symbol \(quoted(token)) is not in the vocabulary"
        case .missingSpecialToken(_, let token):
            return "the special token \(quoted(token)) is not in the vocabulary"
        case .duplicateID(_, let id, let tokens):
            return "id \(id) is given to several tokens: \(tokens.map(quoted).joined(separator: ", "))"
        case .unsupported(_, let feature):
            return "unsupported tokenizer: \(feature)"
        case .maxLengthTooSmall(let maxLength, let specialTokens):
            return "a maximum length of \(maxLength) leaves no room for the \(specialTokens) special tokens"
        case .noPaddingToken:
            return "the tokenizer has no padding token"
        }
    }

    public var hint: String? {
        switch self {
        case .noTokenizerFiles, .notAFolder:
            return "a laion_clap .pt checkpoint carries no tokenizer: pass --tokenizer DIR, a folder with "
                + "roberta-base's vocab.json and merges.txt (or tokenizer.json)"
        case .missing:
            return "check the path"
        case .missingCompanion(_, let companion):
            return "copy \(companion) from the same model, or use its tokenizer.json"
        case .malformedJSON, .malformedMerges, .mergeNotInVocabulary, .missingSpecialToken, .duplicateID:
            return "the file is damaged or from another model: copy the tokenizer files again from the model's source"
        case .unsupported:
            return "only byte-level BPE tokenizers (RoBERTa, GPT-2, CLAP) are supported"
        case .maxLengthTooSmall(_, let specialTokens):
            return "use a maximum length of at least \(specialTokens)"
        case .noPaddingToken:
            return "tokenize without padding"
        case .unreadable:
            return nil
        }
    }

    public var exitCode: ProcessExitCode {
        switch self {
        case .noTokenizerFiles, .notAFolder, .missing, .missingCompanion: return .badInput
        case .unreadable: return .ioFailure
        case .malformedJSON, .malformedMerges: return .corrupt
        case .mergeNotInVocabulary, .missingSpecialToken, .duplicateID: return .inconsistent
        case .unsupported: return .unsupported
        case .maxLengthTooSmall, .noPaddingToken: return .usage
        }
    }
}

/// Tokens are shown with Swift's escaping so control characters and odd spaces stay visible on one line.
private func quoted(_ token: String) -> String {
    String(reflecting: token)
}
