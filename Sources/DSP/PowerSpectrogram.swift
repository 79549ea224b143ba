import LinearAlgebra

/// Precision of the STFT's windowing and FFT.
public enum FFTPrecision: String, Sendable, CaseIterable {
    /// FFTW float32. About twice as fast, and within 1e-4 dB of an exact STFT on ordinary frames,
    /// but its error is relative to the frame's whole energy, so bins far below out-of-band
    /// content lose accuracy (see `RealFFTDouble`).
    case single
    /// FFTW float64, window applied in float64: within 1e-5 dB of an exact STFT everywhere. The
    /// front ends use this.
    case double
}

/// Power spectrogram of a centred short-time Fourier transform: periodic Hann window, reflect
/// padding of `fftSize/2` samples on each side, `|X|² = re² + im²` per bin.
///
/// This is the STFT all three CLAP front ends share:
/// - torchlibrosa `Spectrogram(n_fft, hop, window='hann', center=True, pad_mode='reflect', power=2.0)`
///   (laion_clap `htsat.py:667-686`), a conv1d with the windowed DFT basis;
/// - torchaudio `MelSpectrogram(..., center=True, pad_mode="reflect", power=2.0)` (laion_clap
///   `training/data.py:363-399`, fusion), `torch.stft` then `abs().pow(2)`;
/// - transformers `audio_utils.spectrogram(..., center=True, pad_mode="reflect", power=2.0)`
///   (`ClapFeatureExtractor._np_extract_fbank_features`), `np.fft.rfft` per frame in float64
///   stored as complex64, then `np.abs(..., dtype=float64) ** 2`.
///
/// The torch references compute in float32; their rounding noise is ~1e-7 of each frame's energy.
/// Computing in double precision (the default) removes ours, so the difference from a reference
/// is the reference's own rounding. `power` returns the power rounded to float32 (the torch
/// pipelines continue in float32), `powerDouble` keeps it in double (NumPy's pipeline).
///
/// Frame `t` covers padded samples `[t·hop, t·hop + fftSize)`, i.e. it is centred on sample
/// `t·hop`; there are `sampleCount / hop + 1` frames.
///
/// Not thread-safe (it owns an FFT plan and its buffers); use one instance per thread.
public final class PowerSpectrogram {
    public let fftSize: Int
    public let hopLength: Int
    public let precision: FFTPrecision
    /// The periodic Hann window.
    public let window: [Double]
    private let windowSingle: [Float]
    private let fftSingle: RealFFT?
    private let fftDouble: RealFFTDouble?

    public init(fftSize: Int, hopLength: Int, precision: FFTPrecision = .double) {
        precondition(fftSize >= 2 && fftSize % 2 == 0, "fftSize must be even, got \(fftSize)")
        precondition(hopLength >= 1, "hopLength must be positive, got \(hopLength)")
        self.fftSize = fftSize
        self.hopLength = hopLength
        self.precision = precision
        window = Window.hann(length: fftSize, periodic: true)
        windowSingle = window.map { Float($0) }
        fftSingle = precision == .single ? RealFFT(size: fftSize) : nil
        fftDouble = precision == .double ? RealFFTDouble(size: fftSize) : nil
    }

    /// Number of one-sided frequency bins, `fftSize/2 + 1`.
    public var binCount: Int { fftSize / 2 + 1 }

    /// Number of centred frames for `sampleCount` samples: `sampleCount / hop + 1`.
    public static func frameCount(sampleCount: Int, hopLength: Int) -> Int { sampleCount / hopLength + 1 }

    /// Power `re² + im²` rounded to float32, for the bins in `bins`: a `[frames × bins.count]` matrix.
    public func power(_ samples: [Float], bins: Range<Int>? = nil) -> Matrix<Float> {
        powerMatrix(samples, bins: checked(bins))
    }

    /// Power `re² + im²` in double precision (in float32 for `.single`, then widened), for the bins
    /// in `bins`: a `[frames × bins.count]` matrix.
    public func powerDouble(_ samples: [Float], bins: Range<Int>? = nil) -> Matrix<Double> {
        powerMatrix(samples, bins: checked(bins))
    }

    /// `re² + im²` computed in the STFT's precision and stored as `T`.
    private func powerMatrix<T: BinaryFloatingPoint & Sendable>(_ samples: [Float], bins: Range<Int>) -> Matrix<T> {
        var out = Matrix<T>(rows: Self.frameCount(sampleCount: samples.count, hopLength: hopLength), columns: bins.count)
        out.values.withUnsafeMutableBufferPointer { result in
            let base = result.baseAddress!
            switch precision {
            case .double:
                forEachFramePower(samples, bins: bins) { t, power in
                    let row = base + t * bins.count
                    for j in 0..<bins.count { row[j] = T(power[j]) }
                }
            case .single:
                forEachFrameSingle(samples) { t, spectrum in
                    let row = base + t * bins.count, bin = spectrum + 2 * bins.lowerBound
                    for j in 0..<bins.count {
                        let re = bin[2 * j], im = bin[2 * j + 1]
                        row[j] = T(re * re + im * im)
                    }
                }
            }
        }
        return out
    }

    private func checked(_ bins: Range<Int>?) -> Range<Int> {
        let bins = bins ?? 0..<binCount
        precondition(bins.lowerBound >= 0 && bins.upperBound <= binCount, "bins \(bins) outside 0..<\(binCount)")
        return bins
    }

    /// Start sample of frame `t` in the unpadded signal (negative for the first frames).
    @inline(__always)
    private func frameStart(_ t: Int) -> Int { t * hopLength - fftSize / 2 }

    /// Windows each centred frame into the double FFT's input, transforms it and hands the
    /// double-precision power `re² + im²` of the bins in `bins` (`bins.count` values) to `body`.
    /// Interior frames read `samples` directly; the few frames that reach into the padding read
    /// through `reflectIndex`. Requires `precision == .double`.
    func forEachFramePower(_ samples: [Float], bins: Range<Int>,
                           _ body: (_ frame: Int, _ power: UnsafePointer<Double>) -> Void) {
        precondition(precision == .double, "forEachFramePower needs the double-precision STFT")
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: max(bins.count, 1))
        defer { scratch.deallocate() }
        let fft = fftDouble!
        forEachWindowedFrame(samples, input: fft.input.baseAddress!) { t in
            fft.executePower(bins: bins, into: scratch)
            body(t, UnsafePointer(scratch))
        }
    }

    /// Writes each centred frame, windowed in double precision, into `input` and calls `body`.
    private func forEachWindowedFrame(_ samples: [Float], input: UnsafeMutablePointer<Double>,
                                      _ body: (_ frame: Int) -> Void) {
        precondition(!samples.isEmpty, "cannot take the STFT of an empty signal")
        let n = fftSize, count = samples.count
        samples.withUnsafeBufferPointer { xBuffer in
            window.withUnsafeBufferPointer { wBuffer in
                let x = xBuffer.baseAddress!, w = wBuffer.baseAddress!
                for t in 0..<Self.frameCount(sampleCount: count, hopLength: hopLength) {
                    let start = frameStart(t)
                    if start >= 0 && start + n <= count {
                        let frame = x + start
                        for i in 0..<n { input[i] = Double(frame[i]) * w[i] }
                    } else {
                        for i in 0..<n { input[i] = Double(x[Self.reflectIndex(start + i, count: count)]) * w[i] }
                    }
                    body(t)
                }
            }
        }
    }

    /// `forEachWindowedFrame` + the FFT in single precision (window product rounded to float32).
    private func forEachFrameSingle(_ samples: [Float], _ body: (_ frame: Int, _ spectrum: UnsafePointer<Float>) -> Void) {
        precondition(!samples.isEmpty, "cannot take the STFT of an empty signal")
        let fft = fftSingle!
        let n = fftSize, count = samples.count
        let input = fft.input.baseAddress!, spectrum = UnsafePointer(fft.output.baseAddress!)
        samples.withUnsafeBufferPointer { xBuffer in
            windowSingle.withUnsafeBufferPointer { wBuffer in
                let x = xBuffer.baseAddress!, w = wBuffer.baseAddress!
                for t in 0..<Self.frameCount(sampleCount: count, hopLength: hopLength) {
                    let start = frameStart(t)
                    if start >= 0 && start + n <= count {
                        let frame = x + start
                        for i in 0..<n { input[i] = frame[i] * w[i] }
                    } else {
                        for i in 0..<n { input[i] = x[Self.reflectIndex(start + i, count: count)] * w[i] }
                    }
                    fft.execute()
                    body(t, spectrum)
                }
            }
        }
    }

    /// NumPy `np.pad(mode="reflect")` index mapping (mirror without repeating the edge sample),
    /// applied repeatedly when the padding is longer than the signal; `torch` `F.pad(mode='reflect')`
    /// agrees wherever it is defined (padding shorter than the signal).
    @inline(__always)
    static func reflectIndex(_ i: Int, count: Int) -> Int {
        if i >= 0 && i < count { return i }
        if count == 1 { return 0 }
        let period = 2 * (count - 1)
        var j = i % period
        if j < 0 { j += period }
        return j < count ? j : period - j
    }
}
