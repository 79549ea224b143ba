import Diagnostics

/// Everything that can go wrong reading, checking, resampling or writing audio.
///
/// Each case names the file (`subject`), says why in one line (`reason`, with libsndfile's own text
/// where it has one) and what to do (`hint`). libsndfile failures are classified by their error
/// *code* (`sf_error`), never by matching its message text.
public enum AudioIOError: UserFacingError, Equatable {
    /// Nothing exists at the path.
    case fileNotFound(path: String)
    /// The path is a folder; callers that walk folders say so in the hint they add.
    case isDirectory(path: String)
    /// A FIFO, socket or device: reading it could block forever or never end.
    case notRegularFile(path: String)
    /// A file of 0 bytes.
    case emptyFile(path: String)
    /// The bytes are in no format libsndfile recognises (SF_ERR_UNRECOGNISED_FORMAT).
    case notAudio(path: String, detail: String)
    /// The header is recognised but broken, or the data ends before anything decodes
    /// (SF_ERR_MALFORMED_FILE, or a decoder error part-way through).
    case corrupt(path: String, detail: String)
    /// A recognised container holding an encoding this libsndfile cannot decode
    /// (SF_ERR_UNSUPPORTED_ENCODING), e.g. Vorbis inside WAV, 64-bit PCM.
    case unsupportedEncoding(path: String, detail: String)
    /// The operating system refused (SF_ERR_SYSTEM): permission denied, I/O error.
    case unreadable(path: String, detail: String)
    /// Any other libsndfile failure; `code` is `sf_error`'s value.
    case undecodable(path: String, code: Int, detail: String)
    /// Decoded fine but holds no sample frames.
    case noFrames(path: String)
    /// A decoded sample is NaN or infinite (float WAVs can hold these); `frame` is 0-based.
    case nonFiniteSample(path: String, frame: Int, channel: Int, value: String)
    /// The native sample rate is outside 5 kHz–192 kHz, where resampling to 48 kHz stops making sense.
    case sampleRateOutOfRange(path: String, sampleRate: Int)
    /// libsoxr refused a conversion (should not happen for rates that passed validation).
    case resamplerFailed(detail: String)
    /// Writing a file with `AudioFileWriter` failed.
    case cannotWrite(path: String, detail: String)

    /// Lowest and highest native sample rate accepted (inclusive), in Hz.
    public static let supportedSampleRates: ClosedRange<Int> = 5_000...192_000

    public var subject: String? {
        switch self {
        case .fileNotFound(let p), .isDirectory(let p), .notRegularFile(let p), .emptyFile(let p),
             .notAudio(let p, _), .corrupt(let p, _), .unsupportedEncoding(let p, _), .unreadable(let p, _),
             .undecodable(let p, _, _), .noFrames(let p), .nonFiniteSample(let p, _, _, _),
             .sampleRateOutOfRange(let p, _), .cannotWrite(let p, _):
            return p
        case .resamplerFailed:
            return nil
        }
    }

    public var reason: String {
        switch self {
        case .fileNotFound: return "no such file"
        case .isDirectory: return "is a directory, not an audio file"
        case .notRegularFile: return "not a regular file (a FIFO, socket or device)"
        case .emptyFile: return "empty file (0 bytes)"
        case .notAudio(_, let d): return "not an audio file libsndfile recognises (libsndfile: \(d))"
        case .corrupt(_, let d): return "audio file is corrupt or truncated (libsndfile: \(d))"
        case .unsupportedEncoding(_, let d): return "audio encoding not supported by this libsndfile (libsndfile: \(d))"
        case .unreadable(_, let d): return "cannot read the file (libsndfile: \(d))"
        case .undecodable(_, let code, let d): return "cannot decode (libsndfile error \(code): \(d))"
        case .noFrames: return "decodes to zero sample frames"
        case .nonFiniteSample(_, let frame, let channel, let value):
            return "sample \(value) at frame \(frame), channel \(channel)"
        case .sampleRateOutOfRange(_, let rate):
            return "sample rate \(rate) Hz is outside the supported \(Self.supportedSampleRates.lowerBound)–\(Self.supportedSampleRates.upperBound) Hz"
        case .resamplerFailed(let d): return "libsoxr failed: \(d)"
        case .cannotWrite(_, let d): return "cannot write audio file (libsndfile: \(d))"
        }
    }

    public var hint: String? {
        switch self {
        case .fileNotFound: return "check the path"
        case .isDirectory: return "pass the audio files inside it, or --recursive to walk it"
        case .notRegularFile: return "copy the audio into a regular file first"
        case .emptyFile, .noFrames: return "remove it from the input or replace it with the full recording"
        case .notAudio: return "supported: WAV, AIFF, FLAC, Ogg Vorbis, Ogg Opus, MP3 and the other libsndfile formats; convert the file or remove it from the input"
        case .corrupt: return "re-export or re-download the file"
        case .unsupportedEncoding: return "convert it to WAV PCM or FLAC, e.g. with ffmpeg or sox"
        case .unreadable: return "check the file's permissions and the disk"
        case .undecodable: return "convert it to WAV PCM or FLAC, or remove it from the input"
        case .nonFiniteSample: return "the recording holds invalid values; re-export it"
        case .sampleRateOutOfRange: return "resample it into that range first, e.g. with sox"
        case .resamplerFailed: return "this is a bug; please report it with the file's sample rate"
        case .cannotWrite: return "check the folder exists and is writable"
        }
    }

    public var exitCode: ProcessExitCode {
        switch self {
        case .corrupt: return .corrupt
        case .unsupportedEncoding: return .unsupported
        case .unreadable, .cannotWrite: return .ioFailure
        case .resamplerFailed: return .internalError
        default: return .badInput
        }
    }
}
