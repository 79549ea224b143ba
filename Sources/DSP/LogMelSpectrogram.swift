import LinearAlgebra

/// Log-mel spectrogram: centred STFT power → mel filter bank → decibels.
///
/// The precision follows the filter bank (see `MelFilterBank`):
/// - single-precision bank (laion_clap, torch): power rounded to float32, mel product by `sgemm`,
///   `10·log10` in float32 — torchlibrosa `Spectrogram` + `LogmelFilterBank` and torchaudio
///   `MelSpectrogram` + `AmplitudeToDB` compute all of this in float32;
/// - double-precision bank (transformers): power in float64, mel by `dgemm`, `max(1e-10, ·)`, dB in float64, optional `top_db` clip, then rounded to float32 —
///   `audio_utils.spectrogram(..., mel_filters, log_mel="dB")`, which returns float32.
///
/// The STFT itself runs in double precision by default (`FFTPrecision`).
/// Only the filter bank's nonzero rows (`activeBins`) enter the product: the other bins multiply
/// zeros. The slow twin (`NaiveLogMel`) multiplies all bins in double precision.
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
            return .float32(spectrogram.power(samples, bins: bins).multiplied(by: w))
        }
        let w = activeWeightsDouble!
        if bins.isEmpty { return .float64(Matrix(rows: frames(samples), columns: melBins)) }
        return .float64(spectrogram.powerDouble(samples, bins: bins).multiplied(by: w))
    }

    private func frames(_ samples: [Float]) -> Int {
        PowerSpectrogram.frameCount(sampleCount: samples.count, hopLength: spectrogram.hopLength)
    }
}
