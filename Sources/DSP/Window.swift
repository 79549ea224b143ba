/// Analysis windows.
public enum Window {
    /// The Hann window `0.5 − 0.5·cos(2πn/N)`, computed in double precision.
    ///
    /// `periodic: true` (N = length) is the "fftbins" window every CLAP reference uses:
    /// `scipy.signal.get_window('hann', n, fftbins=True)` (torchlibrosa `STFT`), `torch.hann_window(n)`
    /// (torchaudio `MelSpectrogram`) and `np.hanning(n + 1)[:-1]` (transformers
    /// `window_function(n, "hann")`). They differ from this only in the last bits of float64, far
    /// below the single-precision rounding every front end applies afterwards.
    /// `periodic: false` gives the symmetric window (N = length − 1).
    public static func hann(length: Int, periodic: Bool = true) -> [Double] {
        precondition(length >= 1, "window length must be positive")
        if length == 1 { return [1] }
        let denominator = Double(periodic ? length : length - 1)
        return (0..<length).map { 0.5 - 0.5 * cos(2 * Double.pi * Double($0) / denominator) }
    }
}

#if canImport(Glibc)
import Glibc
#endif
