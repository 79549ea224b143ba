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

    /// A frame whose energy lies above the mel band: a 15.5 kHz tone at 0.4 plus noise at 1e-4 (the
    /// end of the `exact10s` fixture). In-band bins sit 80–90 dB below the frame's energy but within
    /// 60 dB of the band's maximum.
    @Test("out-of-band energy: the double-precision STFT meets the bound where a float32 STFT cannot")
    func outOfBandEnergy() {
        var rng = SeededGenerator(state: 11)
        let x = (0..<24_000).map { i in
            Float(0.4 * sin(2 * Double.pi * 15_500 * Double(i) / 48_000)) + 1e-4 * Float.random(in: -1.7...1.7, using: &rng)
        }
        let bank = MelFilterBank.librosaSlaney(sampleRate: 48000, fftSize: 1024, melBins: 64, fMin: 50, fMax: 14000)
        let exact = NaiveLogMel.decibels(NaiveLogMel.melPower(NaiveSpectrogram.power(x, fftSize: 1024, hopLength: 480), bank))
            .values.map { Float($0) }
        let double = LogMelComparison(LogMelSpectrogram(fftSize: 1024, hopLength: 480, filterBank: bank)(x).values, exact, columns: 64)
        #expect(double.passes(), "\(double)")
        let single = LogMelComparison(LogMelSpectrogram(fftSize: 1024, hopLength: 480, filterBank: bank, precision: .single)(x).values,
                                      exact, columns: 64)
        #expect(!single.passes(), "float32 STFT unexpectedly within the bound: \(single)")
    }

    /// Error budget: the division for s (½ ulp), the series products (~1 ulp of the small part), the
    /// final float addition (½ ulp), and near log2 x = ½ the cancellation of e = 1 against −0.5
    /// keeps the small part's few ulps. Bound 3 ulps (measured 2.75); in dB that is ≤ 3 ulps of the
    /// float32 dB value, ≤ 2.3e-5 dB down to −100 dB, 40× inside the 1e-3 dB fixture bound.
    @Test("fastLog2 is within 3 float ulps of log2 over the whole positive normal range")
    func fastLog2() {
        var rng = SeededGenerator(state: 5)
        var worst = 0.0
        // Every binade from 2^-126 to 2^127, 512 random mantissas each, plus the powers of two.
        for exponent in -126...127 {
            for k in 0..<513 {
                let mantissa = k == 0 ? 1 : Float.random(in: 1..<2, using: &rng)
                let x = mantissa * Float(sign: .plus, exponent: exponent, significand: 1)
                let exact = Foundation.log2(Double(x))
                let error = abs(Double(Decibels.fastLog2(x)) - exact) / Double(Float(exact).ulp.magnitude == 0 ? Float.leastNormalMagnitude : Float(exact).ulp)
                worst = max(worst, exact == 0 ? abs(Double(Decibels.fastLog2(x))) / 1e-7 : error)
            }
        }
        #expect(worst <= 3, "worst error \(worst) ulps")
    }

    @Test("decibels: 10·log10(max(x, 1e-10)), in float32 and float64, with the top_db floor")
    func decibels() {
        var single: [Float] = [0, 1e-12, 1e-10, 1, 10, 2.5e6, 3e-7]
        Decibels.powerToDB(&single)
        let expected = [-100, -100, -100, 0, 10, 10 * log10(2.5e6), 10 * log10(3e-7)]
        for (a, b) in zip(single, expected) { #expect(abs(Double(a) - b) <= 2e-5, "\(a) vs \(b)") }
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
