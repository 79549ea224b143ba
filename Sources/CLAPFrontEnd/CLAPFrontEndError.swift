import Diagnostics

/// Everything the front end can reject; each message names the input and says what to do.
public enum CLAPFrontEndError: UserFacingError, Equatable {
    /// The clip has no samples.
    case emptyAudio(source: String?)
    /// A `preprocessor_config.json` could not be read or parsed.
    case unreadableConfig(path: String, detail: String)
    /// A `preprocessor_config.json` value the Hugging Face extractor would not accept either.
    case invalidConfig(path: String?, key: String, value: String, expected: String)
    /// A filter bank override whose shape does not fit the profile.
    case filterBankShape(expectedRows: Int, expectedColumns: Int, rows: Int, columns: Int)
    /// A filter bank override given for a profile that does not use one.
    case filterBankNotApplicable(profile: String)
    /// An explicit crop plan of the wrong kind or outside the clip.
    case invalidCrop(profile: String, detail: String)
    /// A model path this build cannot take its front end from.
    case unsupportedModel(path: String, detail: String)
    /// A model path that is neither a Hugging Face model folder nor a known checkpoint.
    case notAModel(path: String, detail: String)
    /// `--profile` asks for a front end the model was not trained with.
    case profileMismatch(path: String, requested: String, model: String)

    public var subject: String? {
        switch self {
        case .emptyAudio(let source): return source
        case .unreadableConfig(let path, _): return path
        case .invalidConfig(let path, _, _, _): return path
        case .filterBankShape, .filterBankNotApplicable, .invalidCrop: return nil
        case .unsupportedModel(let path, _), .notAModel(let path, _), .profileMismatch(let path, _, _): return path
        }
    }

    public var reason: String {
        switch self {
        case .emptyAudio:
            return "the audio has no samples"
        case .unreadableConfig(_, let detail):
            return "cannot read the feature extractor config: \(detail)"
        case .invalidConfig(_, let key, let value, let expected):
            return "\(key) is \(value); expected \(expected)"
        case .filterBankShape(let er, let ec, let r, let c):
            return "the mel filter bank is \(r)×\(c); this profile needs \(er)×\(ec) (frequency bins × mel bins)"
        case .filterBankNotApplicable(let profile):
            return "profile \(profile) builds its own mel filter bank; an override applies to the laion profile only"
        case .invalidCrop(let profile, let detail):
            return "invalid crop for profile \(profile): \(detail)"
        case .unsupportedModel(_, let detail), .notAModel(_, let detail):
            return detail
        case .profileMismatch(_, let requested, let model):
            return "this model's front end is \(model), not \(requested)"
        }
    }

    public var hint: String? {
        switch self {
        case .emptyAudio: return "check that the file holds audio (audio-index probe FILE)"
        case .unreadableConfig: return "pass a Hugging Face CLAP model folder holding a valid preprocessor_config.json"
        case .invalidConfig: return "fix the value in preprocessor_config.json"
        case .filterBankShape: return "pass the checkpoint's audio_branch.logmel_extractor.melW [513×64]"
        case .filterBankNotApplicable, .invalidCrop: return nil
        case .unsupportedModel: return "pass --profile laion or --profile laion-fusion to compute that checkpoint's features without it"
        case .notAModel: return "pass a Hugging Face CLAP model folder, the one holding preprocessor_config.json"
        case .profileMismatch(_, _, let model): return "drop --profile, or pass --profile \(model.hasPrefix("hf") ? "hf" : model)"
        }
    }

    public var exitCode: ProcessExitCode {
        switch self {
        case .emptyAudio: return .badInput
        case .unreadableConfig: return .corrupt
        case .invalidConfig: return .unsupported
        case .filterBankShape: return .inconsistent
        case .filterBankNotApplicable, .invalidCrop, .profileMismatch: return .usage
        case .unsupportedModel: return .unsupported
        case .notAModel: return .badInput
        }
    }
}
