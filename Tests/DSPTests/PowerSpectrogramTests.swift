@testable import DSP
import LinearAlgebra
import NumPyFormat
import Foundation
import Testing
import TestSupport

@Suite("FFT and centred STFT power")
struct PowerSpectrogramTests {
    @Test("FFTW r2c equals the direct DFT to single-precision rounding", arguments: [16, 1024])
    func fftMatchesDFT(size: Int) {
        var rng = SeededGenerator(state: UInt64(size))
        let x = rng.floats(size)
        let fft = RealFFT(size: size)
        for i in 0..<size { fft.input[i] = x[i] }
        fft.execute()
        let exact = NaiveDFT.forward(x.map(Double.init))
        // Error of a float32 FFT: ~ε·log2(n)·‖x‖; ‖x‖ ≈ √(n/3) for uniform [-1, 1].
        let norm = x.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
        let bound = 4 * Double(Float.ulpOfOne) * log2(Double(size)) * norm
        for k in 0...(size / 2) {
            #expect(abs(Double(fft.output[2 * k]) - exact[k].re) <= bound, "re[\(k)]")
            #expect(abs(Double(fft.output[2 * k + 1]) - exact[k].im) <= bound, "im[\(k)]")
        }
    }

    /// A double FFT whose input holds `size` seeded random samples (also returned).
    static func doubleFFT(size: Int, seed: UInt64) -> (fft: RealFFTDouble, input: [Double]) {
        var rng = SeededGenerator(state: seed)
        let x = rng.doubles(size)
        let fft = RealFFTDouble(size: size)
        for i in 0..<size { fft.input[i] = x[i] }
        return (fft, x)
    }

    @Test("the double FFT (half-size complex FFTW + split) equals the direct DFT, for all bins and for a sub-range",
          arguments: [8, 16, 1024])
    func doubleFFTMatchesDFT(size: Int) {
        let (fft, x) = Self.doubleFFT(size: size, seed: UInt64(size) + 1)
        let exact = NaiveDFT.forward(x)
        let norm = x.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let bound = 8 * Double.ulpOfOne * log2(Double(size)) * norm
        fft.execute()
        for k in 0...(size / 2) {
            #expect(abs(fft.output[2 * k] - exact[k].re) <= bound, "re[\(k)]")
            #expect(abs(fft.output[2 * k + 1] - exact[k].im) <= bound, "im[\(k)]")
        }
        for i in 0..<(2 * (size / 2 + 1)) { fft.output[i] = .nan }
        let bins = 1..<(size / 2)
        fft.execute(bins: bins)
        for k in 0...(size / 2) {
            if bins.contains(k) {
                #expect(abs(fft.output[2 * k] - exact[k].re) <= bound && abs(fft.output[2 * k + 1] - exact[k].im) <= bound)
            } else {
                #expect(fft.output[2 * k].isNaN, "bin \(k) outside the range was written")
            }
        }
    }

    @Test("executePower (split and squares fused) is bit-identical to re² + im² of execute(bins:), all bins and a sub-range",
          arguments: [8, 16, 1024])
    func fusedPowerMatchesSplit(size: Int) {
        let fft = Self.doubleFFT(size: size, seed: UInt64(size) + 7).fft
        for bins in [0..<(size / 2 + 1), 2..<(size / 2 - 1)] {
            fft.execute(bins: bins)
            let expected = bins.map { k in fft.output[2 * k] * fft.output[2 * k] + fft.output[2 * k + 1] * fft.output[2 * k + 1] }
            var power = [Double](repeating: .nan, count: bins.count + 1)
            power.withUnsafeMutableBufferPointer { fft.executePower(bins: bins, into: $0.baseAddress!) }
            #expect(Array(power.prefix(bins.count)) == expected, "bins \(bins)")
            #expect(power[bins.count].isNaN, "wrote past bins.count")
        }
    }

    @Test("reflect padding maps indices like numpy.pad(mode='reflect'), including pads longer than the signal")
    func reflect() {
        // np.pad(np.arange(3), 5, mode='reflect') and np.pad(np.arange(5), 7, mode='reflect')
        #expect((-5..<8).map { PowerSpectrogram.reflectIndex($0, count: 3) } == [1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1])
        #expect((-7..<12).map { PowerSpectrogram.reflectIndex($0, count: 5) }
                    == [1, 2, 3, 4, 3, 2, 1, 0, 1, 2, 3, 4, 3, 2, 1, 0, 1, 2, 3])
        #expect((-2..<3).map { PowerSpectrogram.reflectIndex($0, count: 1) } == [0, 0, 0, 0, 0])
        #expect(NaiveSpectrogram.reflectPadded([0, 1, 2], pad: 5) == [1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1])
    }

    static let shapes = [(3000, 256, 100), (700, 64, 30), (40, 64, 16), (1, 8, 4)]

    @Test("STFT power equals the naive definition (reflect pad, periodic Hann, direct DFT), in both precisions",
          arguments: [FFTPrecision.double, .single], 0..<4)
    func matchesNaive(precision: FFTPrecision, shapeIndex: Int) {
        let (length, fftSize, hop) = Self.shapes[shapeIndex]
        var rng = SeededGenerator(state: UInt64(length))
        let x = rng.floats(length, in: -0.5...0.5)
        let spectrogram = PowerSpectrogram(fftSize: fftSize, hopLength: hop, precision: precision)
        let exact = NaiveSpectrogram.power(x, fftSize: fftSize, hopLength: hop)
        // Float32 rounding of the power (6e-8) or of the whole float32 STFT (~1e-7 of the frame energy);
        // in double only the naive DFT's own rounding remains (~1e-13).
        let (floatBound, doubleBound) = precision == .double ? (1e-7, 1e-12) : (1e-6, 1e-6)
        let fast = spectrogram.power(x)
        #expect(fast.rows == length / hop + 1 && fast.rows == exact.rows && fast.columns == fftSize / 2 + 1)
        checkPerFrame(fast.values.map(Double.init), exact, relative: floatBound)
        let bins = 1..<(fftSize / 2)
        let fastDouble = spectrogram.powerDouble(x, bins: bins)
        let exactSlice = Matrix(rows: exact.rows, columns: bins.count,
                                values: (0..<exact.rows).flatMap { t in bins.map { exact[t, $0] } })
        checkPerFrame(fastDouble.values, exactSlice, relative: doubleBound, frameMax: (0..<exact.rows).map { exact.row($0).max()! })
    }

    @Test("STFT power of a chirp with a click matches NumPy float64: to 1e-12 of each frame's peak in double, 1e-6 in single")
    func matchesNumPy() throws {
        let signal = try Fixtures.npy("dsp/stft/signal.npy").float32Values()!
        let reference = try Fixtures.npy("dsp/stft/power_f64.npy")
        let exact = Matrix(rows: reference.shape[0], columns: reference.shape[1], values: reference.float64Values()!)
        let fast = PowerSpectrogram(fftSize: 1024, hopLength: 480).powerDouble(signal)
        #expect(fast.rows == 42 && fast.columns == 513)
        checkPerFrame(fast.values, exact, relative: 1e-12)
        let single = PowerSpectrogram(fftSize: 1024, hopLength: 480, precision: .single).power(signal)
        checkPerFrame(single.values.map(Double.init), exact, relative: 1e-6)
    }

    /// |P − P_exact| ≤ relative × the frame's largest exact power, for every bin.
    func checkPerFrame(_ fast: [Double], _ exact: Matrix<Double>, relative: Double, frameMax: [Double]? = nil,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        var worst = 0.0
        for t in 0..<exact.rows {
            let peak = frameMax?[t] ?? exact.row(t).max()!
            for k in 0..<exact.columns {
                worst = max(worst, abs(fast[t * exact.columns + k] - exact[t, k]) / max(peak, 1e-30))
            }
        }
        #expect(worst <= relative, "worst |ΔP| / frame peak = \(worst)", sourceLocation: sourceLocation)
    }
}
