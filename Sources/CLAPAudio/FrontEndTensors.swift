import DSP
import Foundation
import Weights

/// laion_clap checkpoints carry their front end's frozen tensors: torchlibrosa's STFT as two Conv1d
/// weights (`audio_branch.spectrogram_extractor.stft.conv_{real,imag}.weight` [513, 1, 1024]) and the
/// mel filter bank (`audio_branch.logmel_extractor.melW` [513, 64]). The `laion` front end computes the
/// STFT with FFTW and a periodic Hann window, so the checkpoint's bases are checked against that
/// transform here (a checkpoint whose STFT differs is refused, naming the key), and melW is handed to
/// the front end (`CLAPAudioEncoder.laionMelFilterBank`).
enum LaionFrontEndTensors {
    static let stftReal = "audio_branch.spectrogram_extractor.stft.conv_real.weight"
    static let stftImaginary = "audio_branch.spectrogram_extractor.stft.conv_imag.weight"
    static let melW = "audio_branch.logmel_extractor.melW"

    /// torchlibrosa `STFT.__init__` (stft.py): `W = exp(−2πi/n)^(x·y)`, `conv_real.weight[k, 0, t] =
    /// Re(W[t, k])·window[t]`, `conv_imag = Im(…)`, window = `get_window('hann', n, fftbins=True)`
    /// (periodic). In Double, reducing t·k mod n first so the angle is exact: row `k`, `n` values.
    static func basisRow(_ k: Int, fftSize n: Int, window: [Double], imaginary: Bool) -> [Double] {
        (0..<n).map { t in
            let angle = 2 * Double.pi * Double((t * k) % n) / Double(n)
            return (imaginary ? -sin(angle) : cos(angle)) * window[t]
        }
    }

    /// Largest |Δ| the check tolerates: the bases are float32 roundings of values in [−1, 1] (half an
    /// ulp ≤ 3e-8) computed by numpy in complex128; 1e-6 leaves room for that and nothing else (a
    /// symmetric Hann instead of the periodic one differs by ~1.5e-3, another n_fft by far more).
    static let tolerance = 1e-6

    /// Checks both STFT bases when the file has them (released `.pt` files do; the committed test
    /// fixtures leave them out for size). Throws `WeightsError.shapeMismatch` for another shape and
    /// `CLAPAudioError.frontEndTensorMismatch` naming the key and the worst element otherwise.
    static func checkSTFT(_ source: any TensorSource, prefix: String, fftSize n: Int = 1024) throws {
        let window = Window.hann(length: n, periodic: true)
        for (name, imaginary) in [(stftReal, false), (stftImaginary, true)] {
            let key = prefix + name
            guard let shape = source.shape(key) else { continue }
            let expected = [n / 2 + 1, 1, n]
            guard shape == expected else {
                throw WeightsError.shapeMismatch(key: key, expected: expected, actual: shape, file: source.path)
            }
            let values = try source.float32(key)
            if let (k, t, delta) = worstDeviation(values, fftSize: n, window: window, imaginary: imaginary) {
                throw CLAPAudioError.frontEndTensorMismatch(
                    file: source.path, key: key,
                    detail: String(format: "element [%d, 0, %d] differs from the periodic Hann DFT basis by %.3g (tolerance %.0e)",
                                   k, t, delta, tolerance))
            }
        }
    }

    /// The worst element (row, column, |Δ|) beyond `tolerance`, or nil when every element is within it.
    static func worstDeviation(_ values: [Float], fftSize n: Int, window: [Double], imaginary: Bool) -> (Int, Int, Double)? {
        var worst: (Int, Int, Double)?
        for k in 0...(n / 2) {
            let row = basisRow(k, fftSize: n, window: window, imaginary: imaginary)
            for t in 0..<n {
                let delta = abs(Double(values[k * n + t]) - row[t])
                if delta > tolerance, delta > (worst?.2 ?? 0) { worst = (k, t, delta) }
            }
        }
        return worst
    }
}
