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
/// With the default double-precision STFT (`FFTPrecision.double`) and engine (`LogMelEngine.automatic`)
/// the whole chain up to the mel power runs in the C frame-block kernel (`FrameBlockLogMel`); with
/// `.fftw` (its twin) the mel product is computed frame by frame from the double power, each band summing only its own run of nonzero bins
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
    /// The frame-block kernel, when the engine and FFT size allow it (double precision only).
    private let kernel: FrameBlockLogMel?

    /// `engine` chooses who computes the double-precision STFT and band sums: the C frame-block
    /// kernel (`.automatic`, the default) or FFTW + Swift (`.fftw`, its slow twin). Ignored for
    /// `FFTPrecision.single`.
    public init(fftSize: Int, hopLength: Int, filterBank: MelFilterBank, amin: Double = 1e-10, topDB: Double? = nil,
                precision: FFTPrecision = .double, engine: LogMelEngine = .automatic) {
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
        let instructionSet: KernelInstructionSet?
        switch engine {
        // The portable (2-lane) kernel is not faster than FFTW: without AVX2, keep the FFTW path.
        case .automatic: instructionSet = KernelInstructionSet.best >= .avx2 ? .best : nil
        case .fftw: instructionSet = nil
        case .frameBlocks(let requested): instructionSet = requested
        }
        if let instructionSet, precision == .double, !filterBank.activeBins.isEmpty {
            kernel = FrameBlockLogMel(fftSize: fftSize, hopLength: hopLength, window: spectrogram.window,
                                      activeBins: filterBank.activeBins, bands: bands, instructionSet: instructionSet)
        } else {
            kernel = nil
        }
    }

    /// What computes the log-mel, for reports: "frame blocks (avx512, 8 lanes)", "FFTW double" or
    /// "FFTW single".
    public var engineDescription: String {
        if let kernel { return "frame blocks (\(kernel.instructionSet), \(kernel.lanes) lanes)" }
        return spectrogram.precision == .double ? "FFTW double" : "FFTW single"
    }

    public var melBins: Int { filterBank.melBins }

    /// `[frames × melBins]` log-mel in dB.
    public func callAsFunction(_ samples: [Float]) -> Matrix<Float> {
        if let kernel, case .float32 = filterBank.weights {
            // Mel power rounded to float32 and `Decibels.powerToDB` in one pass, in the kernel.
            var mel = kernel.decibelsFloat(samples, amin: Float(amin))
            if let topDB { Decibels.clip(&mel.values, topDB: Float(topDB)) }
            return mel
        }
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
        if let kernel {
            // The kernel does the same sums (its own order within a band, also in double) and rounds once.
            if T.self == Float.self { return kernel.melPowerFloat(samples) as! Matrix<T> }
            if T.self == Double.self { return kernel.melPower(samples) as! Matrix<T> }
        }
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
                            let p = UnsafeRawPointer(power + span.firstBin)
                            let w = UnsafeRawPointer(weights + span.offset)
                            // Runs are padded with zero weights to whole SIMD4 blocks, so the loop
                            // has no scalar tail; the four lanes are four interleaved partial sums
                            // (one chain of dependent additions would wait on the adder's latency).
                            var sum = SIMD4<Double>()
                            var byte = 0
                            let end = span.paddedCount &* MemoryLayout<Double>.stride
                            while byte < end {
                                let wv = w.loadUnaligned(fromByteOffset: byte, as: SIMD4<Double>.self)
                                let pv = p.loadUnaligned(fromByteOffset: byte, as: SIMD4<Double>.self)
                                sum += wv * pv  // not addProduct: baseline x86-64 has no FMA, it would call libm fma
                                byte &+= 4 &* MemoryLayout<Double>.stride
                            }
                            row[m] = T((sum[0] + sum[1]) + (sum[2] + sum[3]))
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
        /// `count` rounded up to a multiple of `blockSize`; the extra weights are zeros.
        var paddedCount: Int
    }

    /// The band product reads runs in blocks of this many bins (`SIMD4<Double>`), so it may read
    /// up to `blockSize − 1` power values past the active bins: the power buffer must have that
    /// much zeroed slack (`PowerSpectrogram.forEachFramePower` allocates it).
    static let blockSize = 4

    let spans: [Span]
    let weights: [Double]

    init(_ bank: MelFilterBank) {
        let w = bank.doubleWeights, active = bank.activeBins
        var spans: [Span] = [], weights: [Double] = []
        for m in 0..<w.columns {
            let nonzero = active.filter { w[$0, m] != 0 }
            guard let first = nonzero.first, let last = nonzero.last else {
                spans.append(Span(firstBin: 0, count: 0, offset: weights.count, paddedCount: 0))
                continue
            }
            let count = last - first + 1
            let padded = (count + Self.blockSize - 1) / Self.blockSize * Self.blockSize
            spans.append(Span(firstBin: first - active.lowerBound, count: count, offset: weights.count, paddedCount: padded))
            weights += (first...last).map { w[$0, m] }
            weights += repeatElement(0, count: padded - count)
        }
        self.spans = spans
        self.weights = weights
    }
}
