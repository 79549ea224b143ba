import LinearAlgebra

/// Log-mel spectrogram: centred STFT power → mel filter bank → decibels.
///
/// The output precision follows the filter bank (see `MelFilterBank`):
/// - single-precision bank (laion_clap, torch): mel power rounded to float32, `10·log10` in float32
///   — torchlibrosa `Spectrogram` + `LogmelFilterBank` and torchaudio `MelSpectrogram` +
///   `AmplitudeToDB` end in float32;
/// - double-precision bank (transformers): mel power in float64, `max(1e-10, ·)`, dB in float64,
///   optional `top_db` clip, then rounded to float32 — `audio_utils.spectrogram(..., mel_filters,
///   log_mel="dB")`, which returns float32.
///
/// With the default double-precision STFT (`FFTPrecision.double`) the mel product is computed
/// frame by frame from the double power, each band summing only its own run of nonzero bins
/// (`MelBandRanges`) in double precision and rounding once — closer to exact arithmetic than the
/// torch references' float32 product, and about 30× fewer multiply-adds than a dense product over
/// the active bins. With `FFTPrecision.single` the power is rounded to the bank's precision and
/// multiplied by `gemm` over the bank's nonzero rows (`activeBins`).
/// The slow twin (`NaiveLogMel`) multiplies all bins in double precision.
///
/// Output: `[frames × melBins]` float32, frames = `samples / hop + 1`.
/// Not thread-safe (owns an FFT plan); use one instance per thread.
public final class LogMelSpectrogram {
    public let spectrogram: PowerSpectrogram
    public let filterBank: MelFilterBank
    /// `amin` of the dB conversion (the mel floor).
    public let amin: Double
    /// transformers' `db_range` (`top_db` in `preprocessor_config.json`); `nil` means no clipping,
    /// which is what every CLAP reference uses by default.
    public let topDB: Double?

    private let activeWeightsFloat: Matrix<Float>?
    private let activeWeightsDouble: Matrix<Double>?
    private let bands: MelBandRanges

    public init(fftSize: Int, hopLength: Int, filterBank: MelFilterBank, amin: Double = 1e-10, topDB: Double? = nil,
                precision: FFTPrecision = .double) {
        precondition(filterBank.frequencyBins == fftSize / 2 + 1,
                     "filter bank has \(filterBank.frequencyBins) frequency rows, an FFT of \(fftSize) gives \(fftSize / 2 + 1)")
        spectrogram = PowerSpectrogram(fftSize: fftSize, hopLength: hopLength, precision: precision)
        self.filterBank = filterBank
        self.amin = amin
        self.topDB = topDB
        switch filterBank.weights {
        case .float32(let w):
            activeWeightsFloat = w.rows(filterBank.activeBins)
            activeWeightsDouble = nil
        case .float64(let w):
            activeWeightsFloat = nil
            activeWeightsDouble = w.rows(filterBank.activeBins)
        }
        bands = MelBandRanges(filterBank)
    }

    public var melBins: Int { filterBank.melBins }

    /// `[frames × melBins]` log-mel in dB.
    public func callAsFunction(_ samples: [Float]) -> Matrix<Float> {
        switch melPower(samples) {
        case .float32(var mel):
            Decibels.powerToDB(&mel.values, amin: Float(amin))
            if let topDB { Decibels.clip(&mel.values, topDB: Float(topDB)) }
            return mel
        case .float64(let mel):
            return Matrix(rows: mel.rows, columns: mel.columns,
                          values: Decibels.powerToDB(mel.values, amin: amin, topDB: topDB))
        }
    }

    /// Mel power before the dB conversion, in the filter bank's precision.
    public enum MelPower {
        case float32(Matrix<Float>)
        case float64(Matrix<Double>)
    }

    public func melPower(_ samples: [Float]) -> MelPower {
        let bins = filterBank.activeBins
        if let w = activeWeightsFloat {
            if bins.isEmpty { return .float32(Matrix(rows: frames(samples), columns: melBins)) }
            if spectrogram.precision == .double { return .float32(bandProduct(samples)) }
            return .float32(spectrogram.power(samples, bins: bins).multiplied(by: w))
        }
        let w = activeWeightsDouble!
        if bins.isEmpty { return .float64(Matrix(rows: frames(samples), columns: melBins)) }
        if spectrogram.precision == .double { return .float64(bandProduct(samples)) }
        return .float64(spectrogram.powerDouble(samples, bins: bins).multiplied(by: w))
    }

    /// The mel product frame by frame, straight from the STFT's double-precision power: each mel
    /// band sums only its own nonzero bins (`MelBandRanges`, about two weights per bin for
    /// triangular banks instead of the 64 of a dense product), in double precision, rounded once
    /// to `T`. Same values as `power(…) · W` up to that rounding (float32 banks are widened
    /// exactly); the dense `gemm` path remains for `FFTPrecision.single`.
    private func bandProduct<T: BinaryFloatingPoint & Sendable>(_ samples: [Float]) -> Matrix<T> {
        var out = Matrix<T>(rows: frames(samples), columns: melBins)
        let mels = melBins
        out.values.withUnsafeMutableBufferPointer { result in
            bands.weights.withUnsafeBufferPointer { weightBuffer in
                bands.spans.withUnsafeBufferPointer { spanBuffer in
                    let base = result.baseAddress!, weights = weightBuffer.baseAddress!, spans = spanBuffer.baseAddress!
                    spectrogram.forEachFramePower(samples, bins: filterBank.activeBins) { t, power in
                        let row = base + t &* mels
                        for m in 0..<mels {
                            let span = spans[m]
                            let p = power + span.firstBin, w = weights + span.offset
                            // Four interleaved partial sums: one chain of dependent additions
                            // would wait on the adder's latency at every bin.
                            var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, j = 0
                            while j &+ 4 <= span.count {
                                s0 += w[j] * p[j]
                                s1 += w[j &+ 1] * p[j &+ 1]
                                s2 += w[j &+ 2] * p[j &+ 2]
                                s3 += w[j &+ 3] * p[j &+ 3]
                                j &+= 4
                            }
                            while j < span.count { s0 += w[j] * p[j]; j &+= 1 }
                            row[m] = T((s0 + s1) + (s2 + s3))
                        }
                    }
                }
            }
        }
        return out
    }

    private func frames(_ samples: [Float]) -> Int {
        PowerSpectrogram.frameCount(sampleCount: samples.count, hopLength: spectrogram.hopLength)
    }
}

/// Each mel band's nonzero weights as one contiguous run of bins (first to last nonzero bin, zeros
/// in between kept), relative to the bank's `activeBins`, in double precision.
struct MelBandRanges {
    struct Span {
        /// First bin of the run, counted from `activeBins.lowerBound`.
        var firstBin: Int
        var count: Int
        /// Index of the run's first weight in `weights`.
        var offset: Int
    }

    let spans: [Span]
    let weights: [Double]

    init(_ bank: MelFilterBank) {
        let w = bank.doubleWeights, active = bank.activeBins
        var spans: [Span] = [], weights: [Double] = []
        for m in 0..<w.columns {
            let nonzero = active.filter { w[$0, m] != 0 }
            guard let first = nonzero.first, let last = nonzero.last else {
                spans.append(Span(firstBin: 0, count: 0, offset: weights.count))
                continue
            }
            spans.append(Span(firstBin: first - active.lowerBound, count: last - first + 1, offset: weights.count))
            weights += (first...last).map { w[$0, m] }
        }
        self.spans = spans
        self.weights = weights
    }
}
