import Diagnostics

/// What can go wrong loading an audio encoder or feeding it features. Checkpoint-level problems
/// (missing/unexpected/mis-shaped tensors, corrupt files) are `WeightsError`s from the binder.
public enum CLAPAudioError: UserFacingError, Equatable {
    /// The path is neither a Hugging Face model folder nor a checkpoint file this build reads.
    case notAModel(path: String, detail: String)
    /// `config.json` is unreadable or lacks a field the encoder needs.
    case badConfiguration(file: String, detail: String)
    /// A valid model this port does not implement (e.g. another spectrogram size or fusion type).
    case unsupportedArchitecture(file: String, detail: String)
    /// The features handed to `embed` do not have the model's input shape.
    case featureShape(expected: String, actual: Int)
    /// A frozen front-end tensor of a laion_clap checkpoint (the STFT bases) is not what the `laion`
    /// front end computes, so its features would not be the ones the model was trained on.
    case frontEndTensorMismatch(file: String, key: String, detail: String)

    public var subject: String? {
        switch self {
        case .notAModel(let p, _): return p
        case .badConfiguration(let f, _), .unsupportedArchitecture(let f, _), .frontEndTensorMismatch(let f, _, _): return f
        case .featureShape: return nil
        }
    }

    public var reason: String {
        switch self {
        case .notAModel(_, let d): return "not a CLAP model: \(d)"
        case .badConfiguration(_, let d): return "bad model configuration: \(d)"
        case .unsupportedArchitecture(_, let d): return "unsupported HTSAT architecture: \(d)"
        case .featureShape(let e, let a): return "features have \(a) values; the audio encoder needs \(e)"
        case .frontEndTensorMismatch(_, let k, let d): return "\(k): \(d)"
        }
    }

    public var hint: String? {
        switch self {
        case .notAModel: return "pass a Hugging Face CLAP folder (config.json + model.safetensors) or a laion_clap checkpoint"
        case .badConfiguration, .unsupportedArchitecture: return "check that the model is a CLAP HTSAT checkpoint (laion/clap-htsat-*, laion/larger_clap_*, 630k-*.pt)"
        case .featureShape: return "compute the features with the front end of the model's profile (1001 × 64 log-mel frames per clip)"
        case .frontEndTensorMismatch: return "this checkpoint's STFT is not torchlibrosa's periodic-Hann DFT (n_fft 1024) that the laion front end reproduces; use a released laion_clap checkpoint or report the file"
        }
    }

    public var exitCode: ProcessExitCode {
        switch self {
        case .notAModel: return .badInput
        case .badConfiguration: return .corrupt
        case .unsupportedArchitecture: return .unsupported
        case .featureShape: return .badInput
        case .frontEndTensorMismatch: return .unsupported
        }
    }
}
