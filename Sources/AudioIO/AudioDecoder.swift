import Foundation

/// A whole file decoded by libsndfile, before any channel mixing or resampling.
public struct DecodedAudio: Sendable, Equatable {
    /// Interleaved samples (frame 0 channel 0, frame 0 channel 1, …), exactly as `sf_readf_float`
    /// returns them: never clipped, never rescaled.
    public let samples: [Float]
    public let channels: Int
    /// The native sample rate, in Hz.
    public let sampleRate: Int
    public let format: AudioFormatInfo

    public init(samples: [Float], channels: Int, sampleRate: Int, format: AudioFormatInfo) {
        precondition(channels > 0 && samples.count % channels == 0, "\(samples.count) samples do not split into \(channels) channels")
        self.samples = samples
        self.channels = channels
        self.sampleRate = sampleRate
        self.format = format
    }

    /// Frames actually decoded (not the header's claim).
    public var frames: Int { samples.count / channels }

    /// Seconds of audio: frames / sample rate.
    public var duration: Double { Double(frames) / Double(sampleRate) }
}

/// Decodes any file libsndfile reads (WAV incl. U8/float/µ-law/MS-ADPCM, RF64, AIFF, FLAC, Ogg
/// Vorbis, Ogg Opus, MP3, …), detected from the content, from a path or from bytes in memory.
///
/// Every result is validated: at least one frame, every sample finite, native rate within
/// `AudioIOError.supportedSampleRates`. Anything else throws an `AudioIOError` naming the input.
public enum AudioDecoder {
    /// Decodes the file at `path`.
    public static func decode(path: String) throws(AudioIOError) -> DecodedAudio {
        try checkRegularNonEmptyFile(path)
        return try decode(try SoundFileReader(path: path))
    }

    /// Decodes in-memory `bytes` (e.g. a tar member); `name` is used in errors only.
    public static func decode(bytes: some ContiguousBytes, name: String) throws(AudioIOError) -> DecodedAudio {
        let result: Result<DecodedAudio, AudioIOError> = bytes.withUnsafeBytes { raw in
            // The reader, which points into `raw`, must not outlive this closure.
            do throws(AudioIOError) {
                return .success(try decode(try SoundFileReader(bytes: raw, name: name)))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private static func decode(_ reader: SoundFileReader) throws(AudioIOError) -> DecodedAudio {
        guard AudioIOError.supportedSampleRates.contains(reader.sampleRate) else {
            throw .sampleRateOutOfRange(path: reader.name, sampleRate: reader.sampleRate)
        }
        let samples = try reader.readAllFrames()
        guard !samples.isEmpty else { throw .noFrames(path: reader.name) }
        if let bad = FiniteCheck.firstNonFinite(samples) {
            let value = samples[bad]
            throw .nonFiniteSample(path: reader.name, frame: bad / reader.channels, channel: bad % reader.channels,
                                   value: value.isNaN ? "NaN" : (value > 0 ? "+Inf" : "-Inf"))
        }
        return DecodedAudio(samples: samples, channels: reader.channels, sampleRate: reader.sampleRate, format: reader.format)
    }

    /// Turns the common path mistakes into precise errors before libsndfile sees the path, and keeps
    /// FIFOs and devices (which could block or never end) away from it.
    static func checkRegularNonEmptyFile(_ path: String) throws(AudioIOError) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw .fileNotFound(path: path) }
            throw .unreadable(path: path, detail: String(cString: strerror(code)))
        }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: throw .isDirectory(path: path)
        case S_IFREG: break
        default: throw .notRegularFile(path: path)
        }
        guard info.st_size > 0 else { throw .emptyFile(path: path) }
    }
}
