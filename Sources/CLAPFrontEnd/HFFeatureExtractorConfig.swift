import Foundation

/// The fields of a Hugging Face `preprocessor_config.json` that `ClapFeatureExtractor` uses
/// (transformers 5.24 `models/clap/feature_extraction_clap.py`, `__init__`). Keys are the JSON keys;
/// a missing key takes the class default, as `from_pretrained` would.
public struct HFFeatureExtractorConfig: Sendable, Equatable, Codable {
    public enum Truncation: String, Sendable, Codable, CaseIterable {
        /// One waveform crop of `max_length` samples, Slaney filter bank.
        case randTrunc = "rand_trunc"
        /// Whole-clip mel shrunk to one chunk plus three chunk crops, HTK filter bank.
        case fusion
    }

    public enum Padding: String, Sendable, Codable, CaseIterable {
        /// `np.tile` whole copies (`int(max_length / n)`), then zeros.
        case repeatpad
        /// `np.tile` `int(max_length / n) + 1` copies, cut to `max_length`.
        case `repeat`
        /// Zeros only.
        case pad
    }

    public var featureSize: Int = 64
    public var samplingRate: Int = 48_000
    public var hopLength: Int = 480
    public var maxLengthS: Double = 10
    public var fftWindowSize: Int = 1024
    public var frequencyMin: Double = 0
    public var frequencyMax: Double = 14_000
    public var topDB: Double?
    public var truncation: Truncation = .fusion
    public var padding: Padding = .repeatpad

    enum CodingKeys: String, CodingKey {
        case featureSize = "feature_size"
        case samplingRate = "sampling_rate"
        case hopLength = "hop_length"
        case maxLengthS = "max_length_s"
        case fftWindowSize = "fft_window_size"
        case frequencyMin = "frequency_min"
        case frequencyMax = "frequency_max"
        case topDB = "top_db"
        case truncation
        case padding
    }

    /// `ClapFeatureExtractor()` class defaults (note `frequency_min = 0`).
    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = HFFeatureExtractorConfig()
        featureSize = try c.decodeIfPresent(Int.self, forKey: .featureSize) ?? d.featureSize
        samplingRate = try c.decodeIfPresent(Int.self, forKey: .samplingRate) ?? d.samplingRate
        hopLength = try c.decodeIfPresent(Int.self, forKey: .hopLength) ?? d.hopLength
        maxLengthS = try c.decodeIfPresent(Double.self, forKey: .maxLengthS) ?? d.maxLengthS
        fftWindowSize = try c.decodeIfPresent(Int.self, forKey: .fftWindowSize) ?? d.fftWindowSize
        frequencyMin = try c.decodeIfPresent(Double.self, forKey: .frequencyMin) ?? d.frequencyMin
        frequencyMax = try c.decodeIfPresent(Double.self, forKey: .frequencyMax) ?? d.frequencyMax
        topDB = try c.decodeIfPresent(Double.self, forKey: .topDB)
        truncation = try c.decodeIfPresent(Truncation.self, forKey: .truncation) ?? d.truncation
        padding = try c.decodeIfPresent(Padding.self, forKey: .padding) ?? d.padding
    }

    /// The hub's `laion/clap-htsat-fused` feature extractor (used by `--profile hf` without a model):
    /// the class defaults with `frequency_min 50`, `frequency_max 14000`, `truncation "fusion"`,
    /// `padding "repeatpad"`, `top_db null`.
    public static let clapHTSATFused: HFFeatureExtractorConfig = {
        var c = HFFeatureExtractorConfig()
        c.frequencyMin = 50
        c.frequencyMax = 14_000
        c.truncation = .fusion
        return c
    }()

    /// `laion/clap-htsat-unfused`: as the fused one with `truncation "rand_trunc"`.
    public static let clapHTSATUnfused: HFFeatureExtractorConfig = {
        var c = clapHTSATFused
        c.truncation = .randTrunc
        return c
    }()

    /// `nb_max_samples = max_length_s * sampling_rate`.
    public var maxSamples: Int { Int(maxLengthS * Double(samplingRate)) }

    /// Reads and checks `preprocessor_config.json`.
    public static func load(contentsOf url: URL) throws -> HFFeatureExtractorConfig {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw CLAPFrontEndError.unreadableConfig(path: url.path, detail: (error as NSError).localizedDescription)
        }
        let config: HFFeatureExtractorConfig
        do {
            config = try JSONDecoder().decode(HFFeatureExtractorConfig.self, from: data)
        } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty {
            throw CLAPFrontEndError.unreadableConfig(path: url.path, detail: "not valid JSON (\(context.debugDescription))")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context),
                let DecodingError.dataCorrupted(context) {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw CLAPFrontEndError.unreadableConfig(path: url.path, detail: "\(key): \(context.debugDescription)")
        } catch {
            throw CLAPFrontEndError.unreadableConfig(path: url.path, detail: String(describing: error))
        }
        try config.validate(path: url.path)
        return config
    }

    /// Values the extractor could not run with.
    public func validate(path: String? = nil) throws {
        func fail(_ key: String, _ value: Any, _ expected: String) -> CLAPFrontEndError {
            .invalidConfig(path: path, key: key, value: "\(value)", expected: expected)
        }
        guard featureSize >= 1 else { throw fail("feature_size", featureSize, "a positive number of mel bins") }
        guard samplingRate >= 1 else { throw fail("sampling_rate", samplingRate, "a positive rate in Hz") }
        guard hopLength >= 1 else { throw fail("hop_length", hopLength, "a positive number of samples") }
        guard fftWindowSize >= 2 && fftWindowSize % 2 == 0 else { throw fail("fft_window_size", fftWindowSize, "an even number ≥ 2") }
        guard maxLengthS > 0 && maxSamples >= 1 else { throw fail("max_length_s", maxLengthS, "a positive number of seconds") }
        guard frequencyMin >= 0 && frequencyMin <= frequencyMax else {
            throw fail("frequency_min", frequencyMin, "0 ≤ frequency_min ≤ frequency_max (\(frequencyMax))")
        }
        if let topDB, !(topDB > 0) { throw fail("top_db", topDB, "null or a positive number of dB") }
    }
}
