import DSP
import LinearAlgebra

/// The CLAP audio front ends: a 48 kHz mono waveform in, the log-mel model input out.
///
/// Three profiles reproduce the three reference implementations (Docs/FrontEnds.md):
///
/// | profile | reference | waveform | STFT → mel → dB | long clips |
/// |---|---|---|---|---|
/// | `laion` | laion_clap 1.1.7 non-fusion | int16 round trip, repeat-pad | torchlibrosa, librosa Slaney bank (or the checkpoint's `melW`), float32 | one 10 s crop |
/// | `laionFusion` | laion_clap 1.1.7 fusion | int16 round trip, repeat-pad | torchaudio, HTK bank, float32 | whole-clip mel shrunk (antialiased bilinear) + 3 crops |
/// | `hf(config)` | transformers `ClapFeatureExtractor` | as configured (no int16 step) | NumPy float64, bank per `truncation` | per `truncation`; shrink without antialias |
///
/// Random crops of the references are replaced by a deterministic `CropPlan`.
///
/// Not thread-safe (owns an FFT plan and scratch); create one per thread.
public final class CLAPFrontEnd {
    public enum Profile: Sendable, Equatable {
        case laion
        case laionFusion
        case hf(HFFeatureExtractorConfig)
    }

    public let profile: Profile
    let recipe: Recipe
    let logMel: LogMelSpectrogram

    /// - Parameter filterBank: for `.laion` only, the checkpoint's own `melW` [513 × 64] (laion_clap
    ///   stores it as `audio_branch.logmel_extractor.melW`); `nil` builds librosa's bank, which equals it.
    public init(profile: Profile, filterBank: MelFilterBank? = nil) throws {
        self.profile = profile
        var recipe = try Recipe(profile)
        if let filterBank {
            guard profile == .laion else { throw CLAPFrontEndError.filterBankNotApplicable(profile: recipe.name) }
            let rows = recipe.fftSize / 2 + 1
            guard filterBank.frequencyBins == rows && filterBank.melBins == recipe.melBins else {
                throw CLAPFrontEndError.filterBankShape(expectedRows: rows, expectedColumns: recipe.melBins,
                                                        rows: filterBank.frequencyBins, columns: filterBank.melBins)
            }
            recipe.filterBank = filterBank
        }
        self.recipe = recipe
        logMel = LogMelSpectrogram(fftSize: recipe.fftSize, hopLength: recipe.hopLength,
                                   filterBank: recipe.filterBank, topDB: recipe.topDB)
    }

    /// `laion`, `laion-fusion`, `hf-rand_trunc` or `hf-fusion`.
    public var profileName: String { recipe.name }
    /// The rate the waveform must have (48,000 for every CLAP model).
    public var sampleRate: Int { recipe.sampleRate }
    /// Samples of one model window (480,000).
    public var windowSamples: Int { recipe.maxSamples }
    /// Mel frames of one model window (1001).
    public var chunkFrames: Int { recipe.chunkFrames }
    public var melBins: Int { recipe.melBins }
    public var isFusion: Bool { recipe.fusion }
    public var filterBank: MelFilterBank { recipe.filterBank }
    /// What computes the log-mel ("frame blocks (avx512, 8 lanes)" with the C kernel), for reports.
    public var logMelEngineDescription: String { logMel.engineDescription }

    // MARK: - Features

    /// The model input for one clip (48 kHz mono, `sampleRate`), in dB.
    public func features(_ samples: [Float], crop: CropPlan = .center) throws -> CLAPFeatures {
        let plans = try segments(samples, crop: crop)
        var values: [Float] = []
        var records: [CLAPFeatures.Segment] = []
        for plan in plans {
            values.append(contentsOf: try mel(for: plan))
            records.append(plan.record)
        }
        let channels = recipe.fusion ? [4] : []
        let perSegment = channels + [recipe.chunkFrames, recipe.melBins]
        let shape = crop == .policy(.windows) ? [plans.count] + perSegment : perSegment
        return CLAPFeatures(profile: recipe.name, cropPlan: crop.recordedName, shape: shape, values: values, segments: records)
    }

    /// The waveform(s) the mel is computed from, one per segment: after the int16 round trip and
    /// padding or cropping (480,000 samples), or the whole clip for the fusion long-clip path.
    /// The reference fixtures record the SHA-256 of exactly this (`model_input_sha256`).
    public func modelInputs(_ samples: [Float], crop: CropPlan = .center) throws -> [[Float]] {
        try segments(samples, crop: crop).map(\.waveform)
    }

    /// laion_clap `int16_to_float32(float32_to_int16(x))` (`training/data.py:93-99`):
    /// `clip(x, −1, 1)`, times 32767 in float32, truncated toward zero to int16, divided by 32767
    /// in float64 and rounded to float32. A 16-bit PCM sample k/32768 becomes
    /// `trunc(k·32767/32768)/32767`. NaN (which decoders reject) maps to 0, as the x86 cast does.
    ///
    /// The int16 → float32 step is a lookup in a 65,535-entry table built once with the reference's
    /// own formula (`Float(Double(q) / 32767.0)`); a float64 division per sample cost a third of
    /// the whole front end.
    public static func int16RoundTrip(_ x: [Float]) -> [Float] {
        int16Table.withUnsafeBufferPointer { table in
            let zero = table.baseAddress! + 32767  // the entry for q is at q + 32767, q in −32767…32767
            return [Float](unsafeUninitializedCapacity: x.count) { out, initialized in
                x.withUnsafeBufferPointer { input in
                    for i in 0..<input.count {
                        let v = input[i]
                        let clipped = v.isNaN ? 0 : min(max(v, -1), 1)
                        // |clipped · 32767| ≤ 32767: the conversion truncates toward zero, as the C cast does.
                        out[i] = zero[Int(Int32(clipped * 32767))]
                    }
                }
                initialized = x.count
            }
        }
    }

    /// `int16_to_float32` for every int16 the round trip can produce, −32767…32767.
    static let int16Table: [Float] = (-32767...32767).map { Float(Double($0) / 32767.0) }

    // MARK: - Segments

    /// One mel computation: its waveform, what to do with its mel, and what to record.
    struct SegmentPlan {
        enum Kind {
            /// Mel of a 480,000-sample waveform: one channel, or four copies (fusion).
            case window
            /// Fusion long clip: mel of the whole clip, shrunk + three crops.
            case fusionLong(front: Int, middle: Int, back: Int)
        }
        let waveform: [Float]
        let kind: Kind
        let record: CLAPFeatures.Segment
    }

    func segments(_ samples: [Float], crop: CropPlan) throws -> [SegmentPlan] {
        guard !samples.isEmpty else { throw CLAPFrontEndError.emptyAudio(source: nil) }
        try checkPlanKind(crop)
        let x = recipe.int16RoundTrip ? Self.int16RoundTrip(samples) : samples
        let n = recipe.maxSamples
        if crop == .policy(.windows) && x.count > n {
            let count = (x.count + n - 1) / n
            return (0..<count).map { w in
                let start = w == count - 1 ? x.count - n : w * n
                return SegmentPlan(waveform: Array(x[start..<(start + n)]), kind: .window,
                                   record: .init(start: start, sampleCount: n, longer: false, fusionFrames: nil))
            }
        }
        if x.count <= n {
            // Shorter clips are padded (`repeatpad` by default); exactly 10 s is used as is.
            return [SegmentPlan(waveform: pad(x), kind: .window,
                                record: .init(start: 0, sampleCount: x.count, longer: false, fusionFrames: nil))]
        }
        if !recipe.fusion {
            let start = try waveformStart(count: x.count, crop: crop)
            return [SegmentPlan(waveform: Array(x[start..<(start + n)]), kind: .window,
                                record: .init(start: start, sampleCount: n, longer: true, fusionFrames: nil))]
        }
        // Fusion: the mel of the whole clip. Between 480,000 and 480,479 samples it has exactly one
        // chunk of frames and is used four times with longer = false (data.py:433-441).
        let totalFrames = x.count / recipe.hopLength + 1
        if totalFrames == recipe.chunkFrames {
            return [SegmentPlan(waveform: x, kind: .window,
                                record: .init(start: 0, sampleCount: x.count, longer: false, fusionFrames: nil))]
        }
        let (front, middle, back) = try fusionStarts(totalFrames: totalFrames, crop: crop)
        return [SegmentPlan(waveform: x, kind: .fusionLong(front: front, middle: middle, back: back),
                            record: .init(start: 0, sampleCount: x.count, longer: true,
                                          fusionFrames: .init(front: front, middle: middle, back: back, totalFrames: totalFrames)))]
    }

    /// Log-mel values of one segment in C order: `[1001, 64]` or `[4, 1001, 64]`.
    func mel(for plan: SegmentPlan) throws -> [Float] {
        let mel = logMel(plan.waveform)
        let chunk = recipe.chunkFrames
        switch plan.kind {
        case .window:
            precondition(mel.rows == chunk, "a window of \(plan.waveform.count) samples gave \(mel.rows) frames, expected \(chunk)")
            return recipe.fusion ? Self.repeated(mel.values, times: 4) : mel.values
        case .fusionLong(let front, let middle, let back):
            // mel_fusion = stack([mel_shrink, mel[front:+chunk], mel[middle:+chunk], mel[back:+chunk]])
            let shrunk = Resize.bilinear(mel, rows: chunk, columns: recipe.shrinkColumns, antialias: recipe.shrinkAntialias)
            var out = shrunk.values
            for start in [front, middle, back] { out.append(contentsOf: mel.rows(start..<(start + chunk)).values) }
            return out
        }
    }

    /// `x` concatenated `times` times.
    static func repeated(_ x: [Float], times: Int) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(x.count * times)
        for _ in 0..<times { out.append(contentsOf: x) }
        return out
    }

    /// Pads a clip shorter than 10 s per the recipe's padding mode.
    func pad(_ x: [Float]) -> [Float] {
        let n = recipe.maxSamples
        guard x.count < n else { return x }
        var out: [Float]
        switch recipe.padding {
        case .repeatpad:
            // n_repeat = int(max_len / len); audio.repeat(n_repeat); zero-pad on the right.
            out = Self.repeated(x, times: n / x.count)
        case .repeat:
            // np.tile(waveform, n_repeat + 1)[:max_length]
            out = Array(Self.repeated(x, times: n / x.count + 1)[0..<n])
        case .pad:
            out = x
        }
        out.append(contentsOf: [Float](repeating: 0, count: n - out.count))
        return out
    }

    func checkPlanKind(_ crop: CropPlan) throws {
        switch crop {
        case .explicit(.waveformStart) where recipe.fusion:
            throw CLAPFrontEndError.invalidCrop(profile: recipe.name, detail: "a fusion profile crops mel frames: give front/middle/back frames, not a waveform start")
        case .explicit(.fusionFrames) where !recipe.fusion:
            throw CLAPFrontEndError.invalidCrop(profile: recipe.name, detail: "a rand_trunc profile crops the waveform: give a start sample, not fusion frames")
        default:
            return
        }
    }

    /// The crop start for `rand_trunc` (`overflow = n − 480000`).
    func waveformStart(count: Int, crop: CropPlan) throws -> Int {
        let overflow = count - recipe.maxSamples
        switch crop {
        case .policy(.center): return overflow / 2
        case .policy(.start), .policy(.windows): return 0
        case .explicit(.waveformStart(let s)):
            guard (0...overflow).contains(s) else {
                throw CLAPFrontEndError.invalidCrop(profile: recipe.name, detail: "start sample \(s) is outside 0…\(overflow) for \(count) samples")
            }
            return s
        case .explicit(.fusionFrames):
            preconditionFailure("checked by checkPlanKind")
        }
    }

    /// The three local crop starts for the fusion long-clip path (data.py:443-456):
    /// `ranges = np.array_split(range(0, T − chunk + 1), 3)`, an empty middle or back range
    /// replaced by `[0]`; the reference picks one element of each at random.
    func fusionStarts(totalFrames: Int, crop: CropPlan) throws -> (Int, Int, Int) {
        let last = totalFrames - recipe.chunkFrames
        let ranges = Self.arraySplit(count: last + 1, sections: 3).map { $0.isEmpty ? 0..<1 : $0 }
        switch crop {
        case .policy(.center):
            let picks = ranges.map { $0.lowerBound + $0.count / 2 }
            return (picks[0], picks[1], picks[2])
        case .policy(.start), .policy(.windows):
            return (ranges[0].lowerBound, ranges[1].lowerBound, ranges[2].lowerBound)
        case .explicit(.fusionFrames(let f, let m, let b)):
            for (name, v) in [("front", f), ("middle", m), ("back", b)] where !(0...last).contains(v) {
                throw CLAPFrontEndError.invalidCrop(profile: recipe.name, detail: "\(name) frame \(v) is outside 0…\(last) for a \(totalFrames)-frame mel")
            }
            return (f, m, b)
        case .explicit(.waveformStart):
            preconditionFailure("checked by checkPlanKind")
        }
    }

    /// `np.array_split(range(count), sections)`: the first `count % sections` parts get one extra.
    static func arraySplit(count: Int, sections: Int) -> [Range<Int>] {
        let base = count / sections, extra = count % sections
        var start = 0
        return (0..<sections).map { i in
            let size = base + (i < extra ? 1 : 0)
            defer { start += size }
            return start..<(start + size)
        }
    }
}

// MARK: - Recipes

extension CLAPFrontEnd {
    /// Every number a profile fixes.
    struct Recipe {
        var name: String
        var sampleRate = 48_000
        var fftSize = 1024
        var hopLength = 480
        var melBins = 64
        var maxSamples = 480_000
        var int16RoundTrip: Bool
        var padding: HFFeatureExtractorConfig.Padding = .repeatpad
        var fusion: Bool
        var filterBank: MelFilterBank
        var topDB: Double?
        var shrinkAntialias: Bool
        var shrinkColumns = 64

        /// `max_len // hop + 1`: frames of one 10 s window (the +1 from the centred STFT).
        var chunkFrames: Int { maxSamples / hopLength + 1 }

        init(_ profile: Profile) throws {
            switch profile {
            case .laion:
                // HTSAT-tiny.json audio_cfg: sample_rate 48000, window_size 1024, hop_size 480,
                // mel_bins 64, fmin 50, fmax 14000; htsat.py:667-686.
                name = "laion"
                int16RoundTrip = true
                fusion = false
                filterBank = .librosaSlaney(sampleRate: 48000, fftSize: 1024, melBins: 64, fMin: 50, fMax: 14000)
                shrinkAntialias = true
            case .laionFusion:
                // data.py get_mel: torchaudio MelSpectrogram(norm=None, mel_scale htk) + AmplitudeToDB;
                // shrink: torchvision Resize([chunk, mel_bins]), antialias=True since torchvision 0.17.
                name = "laion-fusion"
                int16RoundTrip = true
                fusion = true
                filterBank = .torchaudioHTK(sampleRate: 48000, frequencyBins: 513, melBins: 64, fMin: 50, fMax: 14000)
                shrinkAntialias = true
            case .hf(let config):
                try config.validate()
                let isFusion = config.truncation == .fusion
                name = isFusion ? "hf-fusion" : "hf-rand_trunc"
                sampleRate = config.samplingRate
                fftSize = config.fftWindowSize
                hopLength = config.hopLength
                melBins = config.featureSize
                maxSamples = config.maxSamples
                int16RoundTrip = false
                padding = config.padding
                fusion = isFusion
                // mel_filters (htk, norm None) for fusion, mel_filters_slaney for rand_trunc.
                filterBank = .transformers(sampleRate: config.samplingRate, frequencyBins: config.fftWindowSize / 2 + 1,
                                           melBins: config.featureSize, fMin: config.frequencyMin, fMax: config.frequencyMax,
                                           scale: isFusion ? .htk : .slaney, norm: isFusion ? .none : .slaney)
                topDB = config.topDB
                // _random_mel_fusion: F.interpolate(size=[chunk_frames, 64], bilinear, no antialias).
                // The 64 is hard-coded there; with any other feature_size transformers' np.stack of
                // the shrunk view and the crops fails, so the shrink keeps feature_size columns.
                shrinkAntialias = false
                shrinkColumns = config.featureSize
            }
        }
    }
}
