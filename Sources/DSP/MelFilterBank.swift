import LinearAlgebra

#if canImport(Glibc)
import Glibc
#endif

/// A mel filter bank as a `[frequencyBins × melBins]` matrix (librosa's `melW` = `filters.mel(...).T`,
/// torchaudio's `fb`, transformers' `mel_filters`): `mel = power · weights`.
///
/// The precision of the weights is part of the recipe. A single-precision bank (librosa, torchaudio,
/// a checkpoint's `melW`) makes `LogMelSpectrogram` compute the mel product and the decibels in
/// single precision, like the torch references; a double-precision bank (transformers) makes it
/// compute them in double precision, like NumPy.
///
/// Each constructor repeats its reference's arithmetic operation by operation (the same formulas,
/// the same order, the same precision), so the weights agree with the reference to the last bit or,
/// where the reference calls a vectorised `pow`, to about one unit in the last place.
public struct MelFilterBank: Sendable, Equatable {
    public enum Weights: Sendable, Equatable {
        case float32(Matrix<Float>)
        case float64(Matrix<Double>)
    }

    public let weights: Weights
    /// Rows (frequency bins) holding at least one nonzero weight. The mel product only needs these:
    /// for 50–14,000 Hz at 48 kHz that is bins 2…298 of 513.
    public let activeBins: Range<Int>

    public var frequencyBins: Int {
        switch weights {
        case .float32(let m): return m.rows
        case .float64(let m): return m.rows
        }
    }

    public var melBins: Int {
        switch weights {
        case .float32(let m): return m.columns
        case .float64(let m): return m.columns
        }
    }

    /// A single-precision bank, e.g. a checkpoint's `audio_branch.logmel_extractor.melW` [513×64].
    public init(float32 weights: Matrix<Float>) {
        self.weights = .float32(weights)
        activeBins = Self.nonzeroRows(weights)
    }

    /// A double-precision bank.
    public init(float64 weights: Matrix<Double>) {
        self.weights = .float64(weights)
        activeBins = Self.nonzeroRows(weights)
    }

    /// The weights as double-precision values (exact for either precision).
    public var doubleWeights: Matrix<Double> {
        switch weights {
        case .float32(let m): return Matrix(rows: m.rows, columns: m.columns, values: m.values.map(Double.init))
        case .float64(let m): return m
        }
    }

    private static func nonzeroRows<T>(_ m: Matrix<T>) -> Range<Int> {
        var first = m.rows, last = -1
        for r in 0..<m.rows {
            for c in 0..<m.columns where m[r, c] != 0 {
                first = min(first, r)
                last = max(last, r)
                break
            }
        }
        return last < first ? 0..<0 : first..<(last + 1)
    }
}

// MARK: - librosa (laion_clap non-fusion: torchlibrosa LogmelFilterBank)

extension MelFilterBank {
    /// `librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax).T` with librosa's defaults: Slaney mel
    /// scale (`htk=False`), Slaney area normalisation (`norm='slaney'`), `dtype=float32`.
    ///
    /// This is what torchlibrosa's `LogmelFilterBank` stores as `melW` (laion_clap `htsat.py:679`,
    /// librosa 0.11 `filters.py` `mel`). The triangles are computed in float64 and stored in
    /// float32; the normalisation multiplies the float32 weights by float64 `enorm` and rounds again.
    public static func librosaSlaney(sampleRate: Double, fftSize: Int, melBins: Int,
                                     fMin: Double, fMax: Double) -> MelFilterBank {
        let bins = fftSize / 2 + 1
        // fft_frequencies = np.fft.rfftfreq(n_fft, d=1/sr) = arange(N) * (1 / (n * d))
        let val = 1.0 / (Double(fftSize) * (1.0 / sampleRate))
        let fftFreqs = (0..<bins).map { Double($0) * val }
        // mel_frequencies(n_mels + 2, fmin, fmax, htk=False)
        let melF = NumPy.linspace(librosaHzToMel(fMin), librosaHzToMel(fMax), count: melBins + 2).map(librosaMelToHz)
        var w = Matrix<Float>(rows: bins, columns: melBins)
        for i in 0..<melBins {
            let lowerDiff = melF[i + 1] - melF[i], upperDiff = melF[i + 2] - melF[i + 1]
            // enorm = 2.0 / (mel_f[2 : n_mels + 2] - mel_f[:n_mels])
            let enorm = 2.0 / (melF[i + 2] - melF[i])
            for k in 0..<bins {
                let lower = -(melF[i] - fftFreqs[k]) / lowerDiff
                let upper = (melF[i + 2] - fftFreqs[k]) / upperDiff
                let triangle = Float(NumPy.maximum(0, NumPy.minimum(lower, upper)))
                w[k, i] = Float(Double(triangle) * enorm)
            }
        }
        return MelFilterBank(float32: w)
    }

    /// librosa `hz_to_mel(f, htk=False)` (Slaney: linear below 1 kHz, logarithmic above).
    static func librosaHzToMel(_ f: Double) -> Double {
        let fSp = 200.0 / 3
        let minLogHz = 1000.0, minLogMel = (minLogHz - 0.0) / fSp
        let logstep = log(6.4) / 27.0
        if f >= minLogHz { return minLogMel + log(f / minLogHz) / logstep }
        return (f - 0.0) / fSp
    }

    /// librosa `mel_to_hz(m, htk=False)`.
    static func librosaMelToHz(_ m: Double) -> Double {
        let fSp = 200.0 / 3
        let minLogHz = 1000.0, minLogMel = (minLogHz - 0.0) / fSp
        let logstep = log(6.4) / 27.0
        if m >= minLogMel { return minLogHz * exp(logstep * (m - minLogMel)) }
        return 0.0 + fSp * m
    }
}

// MARK: - torchaudio (laion_clap fusion: torchaudio.transforms.MelSpectrogram)

extension MelFilterBank {
    /// `torchaudio.functional.melscale_fbanks(n_freqs, f_min, f_max, n_mels, sample_rate,
    /// norm=None, mel_scale="htk")`, the bank `torchaudio.transforms.MelSpectrogram` builds with its
    /// defaults (laion_clap `training/data.py:363-399`). Everything is float32 tensor arithmetic:
    /// `torch.linspace` (see `TorchCPU.linspace`), `700·(10^(m/2595) − 1)` (torch's vectorised
    /// `pow`; `powf` here, identical on these 66 points), and the triangles of
    /// `_create_triangular_filterbank`. Only the edges `f_min`, `f_max` are converted in float64
    /// (Python `math.log10`).
    public static func torchaudioHTK(sampleRate: Int, frequencyBins: Int, melBins: Int,
                                     fMin: Double, fMax: Double) -> MelFilterBank {
        let allFreqs = TorchCPU.linspace(Float(0), Float(sampleRate / 2), count: frequencyBins)
        let mMin = 2595.0 * log10(1.0 + (fMin / 700.0))
        let mMax = 2595.0 * log10(1.0 + (fMax / 700.0))
        let mPts = TorchCPU.linspace(Float(mMin), Float(mMax), count: melBins + 2)
        let fPts: [Float] = mPts.map { m in
            let e: Float = m / 2595.0
            let p: Float = powf(10.0, e)
            return 700.0 * (p - 1.0)
        }
        var w = Matrix<Float>(rows: frequencyBins, columns: melBins)
        for i in 0..<melBins {
            let lowerDiff = fPts[i + 1] - fPts[i], upperDiff = fPts[i + 2] - fPts[i + 1]
            for k in 0..<frequencyBins {
                let down = (-1.0 * (fPts[i] - allFreqs[k])) / lowerDiff
                let up = (fPts[i + 2] - allFreqs[k]) / upperDiff
                w[k, i] = NumPy.maximum(0, NumPy.minimum(down, up))
            }
        }
        return MelFilterBank(float32: w)
    }
}

// MARK: - transformers (Hugging Face ClapFeatureExtractor)

extension MelFilterBank {
    public enum Scale: String, Sendable { case htk, slaney }
    public enum Norm: String, Sendable { case none, slaney }

    /// transformers `audio_utils.mel_filter_bank(num_frequency_bins, num_mel_filters, min_frequency,
    /// max_frequency, sampling_rate, norm, mel_scale)` in float64: `ClapFeatureExtractor.mel_filters`
    /// is `(htk, none)` (fusion) and `mel_filters_slaney` is `(slaney, slaney)` (rand_trunc).
    /// Note its Slaney conversion multiplies by `27/ln 6.4` where librosa divides by `ln 6.4/27`.
    public static func transformers(sampleRate: Int, frequencyBins: Int, melBins: Int,
                                    fMin: Double, fMax: Double, scale: Scale, norm: Norm) -> MelFilterBank {
        let melFreqs = NumPy.linspace(hfHertzToMel(fMin, scale), hfHertzToMel(fMax, scale), count: melBins + 2)
        let filterFreqs = melFreqs.map { hfMelToHertz($0, scale) }
        let fftFreqs = NumPy.linspace(0, Double(sampleRate / 2), count: frequencyBins)
        var w = Matrix<Double>(rows: frequencyBins, columns: melBins)
        for i in 0..<melBins {
            let lowerDiff = filterFreqs[i + 1] - filterFreqs[i], upperDiff = filterFreqs[i + 2] - filterFreqs[i + 1]
            let enorm = 2.0 / (filterFreqs[i + 2] - filterFreqs[i])
            for k in 0..<frequencyBins {
                let down = -(filterFreqs[i] - fftFreqs[k]) / lowerDiff
                let up = (filterFreqs[i + 2] - fftFreqs[k]) / upperDiff
                let triangle = NumPy.maximum(0, NumPy.minimum(down, up))
                w[k, i] = norm == .slaney ? triangle * enorm : triangle
            }
        }
        return MelFilterBank(float64: w)
    }

    /// transformers `hertz_to_mel`.
    static func hfHertzToMel(_ f: Double, _ scale: Scale) -> Double {
        switch scale {
        case .htk:
            return 2595.0 * log10(1.0 + (f / 700.0))
        case .slaney:
            let logstep = 27.0 / log(6.4)
            if f >= 1000.0 { return 15.0 + log(f / 1000.0) * logstep }
            return 3.0 * f / 200.0
        }
    }

    /// transformers `mel_to_hertz`.
    static func hfMelToHertz(_ m: Double, _ scale: Scale) -> Double {
        switch scale {
        case .htk:
            return 700.0 * (pow(10.0, m / 2595.0) - 1.0)
        case .slaney:
            let logstep = log(6.4) / 27.0
            if m >= 15.0 { return 1000.0 * exp(logstep * (m - 15.0)) }
            return 200.0 * m / 3.0
        }
    }
}

// MARK: - Reference arithmetic helpers

/// NumPy's arithmetic where it matters for bit-exactness.
enum NumPy {
    /// `np.linspace(start, stop, num)` for float64: `arange(num) * step + start`, last element `stop`.
    static func linspace(_ start: Double, _ stop: Double, count: Int) -> [Double] {
        precondition(count >= 2)
        let step = (stop - start) / Double(count - 1)
        var y = (0..<count).map { Double($0) * step + start }
        y[count - 1] = stop
        return y
    }

    /// `np.maximum`/`torch.max` and `np.minimum`/`torch.min` propagate NaN; the triangles never
    /// produce NaN for valid edges, so plain comparisons suffice.
    @inline(__always) static func maximum<T: FloatingPoint>(_ a: T, _ b: T) -> T { a >= b ? a : b }
    @inline(__always) static func minimum<T: FloatingPoint>(_ a: T, _ b: T) -> T { a <= b ? a : b }
}

/// PyTorch CPU kernels whose float32 arithmetic the torchaudio bank depends on.
enum TorchCPU {
    /// `torch.linspace(start, end, steps)` for float32 on CPU (ATen `RangeFactoriesKernel.cpp`
    /// `linspace_kernel`, scalar loop): `step = (end − start) / (steps − 1)` in float32; index
    /// `i < steps/2` is `start + step·i`, later ones `end − step·(steps − 1 − i)`. The kernel is
    /// compiled for AVX2/AVX512 with FMA contraction, so each of those is one fused multiply-add
    /// (checked against torch 2.13: all 66 mel points bit-identical, 12 differ without fusing).
    static func linspace(_ start: Float, _ end: Float, count: Int) -> [Float] {
        precondition(count >= 2)
        let step: Float = (end - start) / Float(count - 1)
        let halfway = count / 2
        return (0..<count).map { i in
            i < halfway ? start.addingProduct(step, Float(i)) : end.addingProduct(-step, Float(count - i - 1))
        }
    }
}
