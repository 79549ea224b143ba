@testable import AudioIO
import Foundation
import NumPyFormat
import Testing
import TestSupport

@Suite("Resampler: libsoxr HQ as python-soxr calls it, librosa's output length")
struct ResamplerTests {
    @Test("48 kHz input is returned untouched")
    func identity() throws {
        let x: [Float] = [1, -2, .nan, 3e9]
        #expect(try Resampler.resample(x, from: 48_000).map(\.bitPattern) == x.map(\.bitPattern))
    }

    /// (rate, input length, python-soxr 1.1.0 `len(soxr.resample(x, rate, 48000, 'HQ'))`) for the
    /// cases where that length is one short of librosa's ⌈n·48000/rate⌉ (librosa zero-pads one sample),
    /// plus cases where they agree.
    static let soxrLengths: [(Int, Int, Int)] = [
        (5_000, 2, 19), (5_000, 7, 67), (11_025, 1, 4), (11_025, 3, 13), (11_025, 1_001, 4_358),
        (11_025, 44_101, 192_004), (22_050, 1, 2), (22_050, 1_001, 2_179), (44_100, 1, 1), (44_100, 3, 3),
        (44_100, 44_101, 48_001), (192_000, 1, 0), (192_000, 1_001, 250), (192_000, 44_101, 11_025),
        (7_919, 100, 606), (7_919, 1_001, 6_067),
        (8_000, 1_001, 6_006), (16_000, 4_410, 13_230), (44_100, 4_410, 4_800), (96_000, 1_001, 501),
        (44_100, 44_100, 48_000), (22_050, 22_050, 48_000),
    ]

    @Test("libsoxr's own output length equals python-soxr's; the result has librosa's length", arguments: soxrLengths)
    func lengths(rate: Int, n: Int, soxrLength: Int) throws {
        var random = TestAudio.Random(seed: UInt64(n))
        let x = (0..<n).map { _ in random.unit() }
        let raw = try Resampler.soxrSplitChannel(x, from: Double(rate), to: 48_000)
        #expect(raw.count == soxrLength)
        let out = try Resampler.resample(x, from: rate)
        let librosaLength = Int((Double(n) * (48_000.0 / Double(rate))).rounded(.up))
        #expect(out.count == librosaLength)
        #expect(Array(out.prefix(raw.count)) == raw)
        #expect(out.dropFirst(raw.count).allSatisfy { $0 == 0 })
    }

    /// One second at 44.1 kHz becomes 48,001 samples in librosa: 44100 · (48000/44100) is
    /// 48000.00000000001 in float64, and numpy's ceil takes it up (checked with librosa 0.11).
    @Test("librosa's length is ⌈n·(48000/rate)⌉ in float64, rounding quirk included")
    func lengthFormula() {
        #expect(Resampler.outputLength(inputLength: 44_100, from: 44_100, to: 48_000) == 48_001)
        #expect(Resampler.outputLength(inputLength: 22_050, from: 22_050, to: 48_000) == 48_001)
        #expect(Resampler.outputLength(inputLength: 16_000, from: 16_000, to: 48_000) == 48_000)
        #expect(Resampler.outputLength(inputLength: 1, from: 44_100, to: 48_000) == 2)
        #expect(Resampler.outputLength(inputLength: 3, from: 7_919, to: 48_000) == 19)
        #expect(Resampler.outputLength(inputLength: 1_001, from: 192_000, to: 48_000) == 251)
    }

    /// Amplitude and frequency of the steady middle of a resampled 1 kHz sine: HQ's passband is flat
    /// (the amplitude within 0.1%) and the tone stays at 1 kHz (the phase advance per sample, from a
    /// least-squares fit, within 0.01 Hz); the image a poor filter would leave at rate−1 kHz stays
    /// below −100 dB.
    @Test("a 1 kHz sine keeps its frequency and amplitude and leaves no image", arguments: [44_100, 8_000, 16_000, 22_050, 96_000])
    func sine(rate: Int) throws {
        let x = TestAudio.sines(frames: rate, channels: 1, sampleRate: rate, frequency: 1_000, amplitude: 0.5)
        let y = try Resampler.resample(x, from: rate)
        #expect(y.count == Resampler.outputLength(inputLength: rate, from: rate, to: 48_000))
        let middle = Array(y[12_000..<36_000])
        let (amplitude, frequency) = ToneFit.fit(middle, sampleRate: 48_000, near: 1_000)
        #expect(abs(amplitude - 0.5) < 0.0005, "amplitude \(amplitude)")
        #expect(abs(frequency - 1_000) < 0.01, "frequency \(frequency)")
        if rate < 48_000 {
            let image = ToneFit.magnitude(middle, sampleRate: 48_000, frequency: Double(rate - 1_000))
            #expect(20 * log10(image / 0.5) < -100, "image at \(rate - 1_000) Hz: \(20 * log10(image / 0.5)) dB")
        }
    }

    /// The whole of `librosa.load(path, sr=48000, mono=True)` against ours on the committed inputs
    /// (Scripts/fixtures/make_audioio_fixtures.py). Bit-exact although python-soxr bundles its own
    /// libsoxr build (0.1.3-14-ga66f3ee) and python-soundfile its own libsndfile (1.2.2), while ours
    /// are Debian's 0.1.3 and 1.2.0.
    @Test("AudioLoader.load48kMono reproduces librosa.load(sr=48000, mono=True)", arguments: [
        "librosa-stereo-44100-pcm16", "librosa-3ch-16000-float", "librosa-mono-8000-pcm16",
        "librosa-mono-22050-pcm16-odd", "librosa-5ch-11025-pcm16-odd",
    ])
    func librosaGolden(name: String) throws {
        let expected = try #require(try NPY.read(contentsOf: Fixtures.url("audio/\(name).librosa48k.npy")).float32Values())
        let clip = try AudioLoader.load48kMono(path: Fixtures.url("audio/\(name).wav").path)
        #expect(clip.samples.count == expected.count)
        // Bit for bit: same mono rule, same soxr configuration, same chunking, same length fix.
        #expect(clip.samples.map(\.bitPattern) == expected.map(\.bitPattern))
    }
}

/// Least-squares tone measurements for the sine tests.
enum ToneFit {
    /// |DFT| at `frequency` scaled so a sine of amplitude A gives A (Hann window, any length).
    static func magnitude(_ x: [Float], sampleRate: Int, frequency: Double) -> Double {
        var re = 0.0, im = 0.0, windowSum = 0.0
        let n = x.count
        for i in 0..<n {
            let w = 0.5 - 0.5 * cos(2 * Double.pi * Double(i) / Double(n - 1))
            let phase = 2 * Double.pi * frequency * Double(i) / Double(sampleRate)
            re += w * Double(x[i]) * cos(phase)
            im -= w * Double(x[i]) * sin(phase)
            windowSum += w
        }
        return 2 * (re * re + im * im).squareRoot() / windowSum
    }

    /// Amplitude and frequency of the dominant tone near `near` Hz: the frequency from the analytic
    /// phase slope (linear fit of the unwrapped phase of x·e^{-iωt} over blocks), the amplitude from
    /// the Hann-windowed DFT at that frequency.
    static func fit(_ x: [Float], sampleRate: Int, near: Double) -> (amplitude: Double, frequency: Double) {
        let block = 480  // 10 ms blocks: 10 cycles of 1 kHz
        var phases: [Double] = []
        var start = 0
        while start + block <= x.count {
            var re = 0.0, im = 0.0
            for i in start..<(start + block) {
                let phase = 2 * Double.pi * near * Double(i) / Double(sampleRate)
                re += Double(x[i]) * cos(phase)
                im -= Double(x[i]) * sin(phase)
            }
            phases.append(atan2(im, re))
            start += block
        }
        for i in 1..<phases.count {  // unwrap
            while phases[i] - phases[i - 1] > Double.pi { phases[i] -= 2 * Double.pi }
            while phases[i] - phases[i - 1] < -Double.pi { phases[i] += 2 * Double.pi }
        }
        let m = Double(phases.count)
        let meanI = (m - 1) / 2, meanP = phases.reduce(0, +) / m
        var num = 0.0, den = 0.0
        for (i, p) in phases.enumerated() { num += (Double(i) - meanI) * (p - meanP); den += (Double(i) - meanI) * (Double(i) - meanI) }
        let slope = num / den  // radians per block
        // x·e^{-iω0 t} of a tone at ω rotates by (ω − ω0) per sample; the sign flips with the conjugate above.
        let frequency = near - slope / (2 * Double.pi) * Double(sampleRate) / Double(block)
        return (magnitude(x, sampleRate: sampleRate, frequency: frequency), frequency)
    }
}
