import DSP
import Foundation
import LinearAlgebra
import NumPyFormat
import Testing
import TestSupport

@Suite("Log-mel spectrogram: fast path against its naive twin")
struct LogMelSpectrogramTests {
    static let banks: [(String, MelFilterBank)] = [
        ("librosa float32", .librosaSlaney(sampleRate: 48000, fftSize: 1024, melBins: 64, fMin: 50, fMax: 14000)),
        ("torchaudio float32", .torchaudioHTK(sampleRate: 48000, frequencyBins: 513, melBins: 64, fMin: 50, fMax: 14000)),
        ("transformers float64", .transformers(sampleRate: 48000, frequencyBins: 513, melBins: 64, fMin: 50, fMax: 14000,
                                               scale: .slaney, norm: .slaney)),
    ]

    @Test("active-bin gemm + dB equals full-spectrum product by definition, within the fixture bound",
          arguments: 0..<3)
    func matchesNaive(bankIndex: Int) throws {
        let (name, bank) = Self.banks[bankIndex]
        let signal = try Fixtures.npy("dsp/stft/signal.npy").float32Values()!
        let fast = LogMelSpectrogram(fftSize: 1024, hopLength: 480, filterBank: bank)(signal)
        let exactPower = NaiveSpectrogram.power(signal, fftSize: 1024, hopLength: 480)
        let exact = NaiveLogMel.decibels(NaiveLogMel.melPower(exactPower, bank))
        #expect(fast.rows == 42 && fast.columns == 64)
        let comparison = LogMelComparison(fast.values, exact.values.map { Float($0) }, columns: 64)
        #expect(comparison.passes(), "\(name): \(comparison)")
    }

    @Test("decibels: 10·log10(max(x, 1e-10)), in float32 and float64, with the top_db floor")
    func decibels() {
        var single: [Float] = [0, 1e-12, 1e-10, 1, 10, 2.5e6]
        Decibels.powerToDB(&single)
        #expect(single == [-100, -100, -100, 0, 10, Float(10 * log10(2.5e6))])
        let double = Decibels.powerToDB([0, 1, 1000, 1e-3], topDB: 50)
        #expect(double == [-20, 0, 30, -20])
        #expect(Decibels.powerToDB([1e-20, 100]) == [-100, 20])
    }

    @Test("a signal of zeros gives the -100 dB floor everywhere")
    func silence() {
        let bank = MelFilterBank.librosaSlaney(sampleRate: 48000, fftSize: 1024, melBins: 64, fMin: 50, fMax: 14000)
        let mel = LogMelSpectrogram(fftSize: 1024, hopLength: 480, filterBank: bank)([Float](repeating: 0, count: 4800))
        #expect(mel.rows == 11 && mel.values.allSatisfy { $0 == -100 })
    }
}
