import CFFTW3f
import Foundation

// The only file that imports CFFTW3f.

/// FFTW's planner is not thread-safe (only `fftwf_execute*` is), so every plan is created and
/// destroyed under this lock; executing plans needs no lock.
private let plannerLock = NSLock()

/// A real-to-complex FFT of one fixed size, single precision (FFTW `r2c`).
///
/// The plan works on its own input and output buffers, allocated by FFTW with its SIMD alignment
/// (32 bytes for the AVX codelets). Executing the plan on other arrays is what crashed in the
/// stack check (frame outputs at a 513-complex stride break that alignment,
/// swift-native-stack.md §3), so callers copy a frame into `input`, call `execute()`, and read
/// `output`.
///
/// Plans are made with `FFTW_ESTIMATE`: the algorithm is then chosen without timing, so the same
/// input gives bit-identical output in every run and process (FFTW_MEASURE picks algorithms by
/// timing, which changes the rounding from run to run and gave no speed-up here).
///
/// Not thread-safe: the buffers are shared state. Give each thread its own instance.
public final class RealFFT {
    /// Transform length `n`.
    public let size: Int
    /// `n` real samples to transform; overwrite before each `execute()`.
    public let input: UnsafeMutableBufferPointer<Float>
    /// `n/2 + 1` complex bins as interleaved `(re, im)` floats, unnormalised
    /// (`X[k] = Σ x[t]·e^{-2πi·kt/n}`, like `numpy.fft.rfft`).
    public let output: UnsafeMutableBufferPointer<Float>
    private let plan: OpaquePointer

    public init(size: Int) {
        precondition(size >= 2 && size % 2 == 0, "RealFFT size must be even and at least 2, got \(size)")
        self.size = size
        let bins = size / 2 + 1
        guard let inPointer = fftwf_alloc_real(size), let outPointer = fftwf_alloc_real(2 * bins) else {
            preconditionFailure("fftwf_alloc_real failed for n=\(size)")
        }
        input = UnsafeMutableBufferPointer(start: inPointer, count: size)
        output = UnsafeMutableBufferPointer(start: outPointer, count: 2 * bins)
        input.initialize(repeating: 0)
        output.initialize(repeating: 0)
        let complexOut = UnsafeMutablePointer<fftwf_complex>(OpaquePointer(outPointer))
        plannerLock.lock()
        let made = fftwf_plan_dft_r2c_1d(Int32(size), inPointer, complexOut, FFTW_ESTIMATE)
        plannerLock.unlock()
        guard let made else { preconditionFailure("FFTW could not plan an r2c transform of size \(size)") }
        plan = made
    }

    deinit {
        plannerLock.lock()
        fftwf_destroy_plan(plan)
        plannerLock.unlock()
        fftwf_free(input.baseAddress)
        fftwf_free(output.baseAddress)
    }

    /// Transforms `input` into `output`.
    @inline(__always)
    public func execute() {
        fftwf_execute(plan)
    }

    /// FFTW's version string, e.g. "fftw-3.3.10-sse2-avx", for benchmark reports.
    public static var libraryVersion: String { String(cString: cfftw3f_version()) }
}

/// The same transform in double precision (FFTW `fftw_plan_dft_r2c_1d`), with the same buffer
/// discipline, planning lock and `FFTW_ESTIMATE` determinism as `RealFFT`.
///
/// Why double: a single-precision FFT's rounding error is about 1e-7 of the frame's *total*
/// energy, spread over every bin. When a frame's energy lies mostly outside the mel band (a tone
/// above `fmax`, a DC offset, rumble below `fmin`), in-band bins 70–90 dB below that energy but
/// within 60 dB of the band's maximum carry relative errors of 1e-3 and more (measured on the
/// `exact10s` fixture: 0.0095 dB from float32 FFTW against an exact STFT, 4e-6 dB in double).
public final class RealFFTDouble {
    public let size: Int
    /// `n` real samples to transform; overwrite before each `execute()`.
    public let input: UnsafeMutableBufferPointer<Double>
    /// `n/2 + 1` complex bins as interleaved `(re, im)` doubles, unnormalised.
    public let output: UnsafeMutableBufferPointer<Double>
    private let plan: OpaquePointer

    public init(size: Int) {
        precondition(size >= 2 && size % 2 == 0, "RealFFTDouble size must be even and at least 2, got \(size)")
        self.size = size
        let bins = size / 2 + 1
        guard let inPointer = fftw_alloc_real(size), let outPointer = fftw_alloc_real(2 * bins) else {
            preconditionFailure("fftw_alloc_real failed for n=\(size)")
        }
        input = UnsafeMutableBufferPointer(start: inPointer, count: size)
        output = UnsafeMutableBufferPointer(start: outPointer, count: 2 * bins)
        input.initialize(repeating: 0)
        output.initialize(repeating: 0)
        let complexOut = UnsafeMutablePointer<fftw_complex>(OpaquePointer(outPointer))
        plannerLock.lock()
        let made = fftw_plan_dft_r2c_1d(Int32(size), inPointer, complexOut, FFTW_ESTIMATE)
        plannerLock.unlock()
        guard let made else { preconditionFailure("FFTW could not plan a double r2c transform of size \(size)") }
        plan = made
    }

    deinit {
        plannerLock.lock()
        fftw_destroy_plan(plan)
        plannerLock.unlock()
        fftw_free(input.baseAddress)
        fftw_free(output.baseAddress)
    }

    /// Transforms `input` into `output`.
    @inline(__always)
    public func execute() {
        fftw_execute(plan)
    }
}
