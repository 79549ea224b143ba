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

/// The same transform in double precision, with the same planning lock and `FFTW_ESTIMATE`
/// determinism as `RealFFT`.
///
/// Why double: a single-precision FFT's rounding error is about 1e-7 of the frame's *total*
/// energy, spread over every bin. When a frame's energy lies mostly outside the mel band (a tone
/// above `fmax`, a DC offset, rumble below `fmin`), in-band bins 70–90 dB below that energy but
/// within 60 dB of the band's maximum carry relative errors of 1e-3 and more (measured on the
/// `exact10s` fixture: 0.0095 dB from float32 FFTW against an exact STFT, 4e-6 dB in double).
///
/// How: the `n` real samples, read as `n/2` complex pairs `z[j] = x[2j] + i·x[2j+1]`, go through
/// FFTW's complex transform of size `n/2`; each requested bin is then assembled from `Z[k]` and
/// `Z[n/2 − k]` (the textbook real-from-half-size-complex split):
/// `X[k] = E[k] + e^{−2πik/n}·O[k]`, `E = (Z[k] + Z̄[n/2−k])/2`, `O = (Z[k] − Z̄[n/2−k])/(2i)`.
/// Here FFTW's complex 512-point transform plus this split for the ~300 bins the mel bank needs
/// costs about 60% of its 1024-point r2c, which spends most of its time in the split for all bins.
public final class RealFFTDouble {
    public let size: Int
    /// `n` real samples to transform; overwrite before each `execute(bins:)`.
    public let input: UnsafeMutableBufferPointer<Double>
    /// `n/2 + 1` complex bins as interleaved `(re, im)` doubles, unnormalised; after
    /// `execute(bins:)` only the requested bins are valid.
    public let output: UnsafeMutableBufferPointer<Double>
    private let half: UnsafeMutableBufferPointer<Double>
    /// `cos(2πk/n)` for `k = 0…n/2`, then `sin(2πk/n)` for the same `k`.
    private let twiddles: UnsafeMutableBufferPointer<Double>
    private let plan: OpaquePointer

    public init(size: Int) {
        precondition(size >= 4 && size % 4 == 0, "RealFFTDouble size must be a multiple of 4, got \(size)")
        self.size = size
        let bins = size / 2 + 1
        guard let inPointer = fftw_alloc_real(size), let outPointer = fftw_alloc_real(2 * bins),
              let halfPointer = fftw_alloc_real(size) else {
            preconditionFailure("fftw_alloc_real failed for n=\(size)")
        }
        input = UnsafeMutableBufferPointer(start: inPointer, count: size)
        output = UnsafeMutableBufferPointer(start: outPointer, count: 2 * bins)
        half = UnsafeMutableBufferPointer(start: halfPointer, count: size)
        input.initialize(repeating: 0)
        output.initialize(repeating: 0)
        half.initialize(repeating: 0)
        twiddles = .allocate(capacity: 2 * bins)
        for k in 0..<bins {
            let angle = 2 * Double.pi * Double(k) / Double(size)
            twiddles[k] = cos(angle)
            twiddles[bins + k] = sin(angle)
        }
        let complexIn = UnsafeMutablePointer<fftw_complex>(OpaquePointer(inPointer))
        let complexOut = UnsafeMutablePointer<fftw_complex>(OpaquePointer(halfPointer))
        plannerLock.lock()
        let made = fftw_plan_dft_1d(Int32(size / 2), complexIn, complexOut, FFTW_FORWARD, FFTW_ESTIMATE)
        plannerLock.unlock()
        guard let made else { preconditionFailure("FFTW could not plan a complex transform of size \(size / 2)") }
        plan = made
    }

    deinit {
        plannerLock.lock()
        fftw_destroy_plan(plan)
        plannerLock.unlock()
        fftw_free(input.baseAddress)
        fftw_free(output.baseAddress)
        fftw_free(half.baseAddress)
        twiddles.deallocate()
    }

    /// Transforms `input` and writes the power `re² + im²` of the bins in `bins` to
    /// `power[0..<bins.count]`, without storing the complex bins: the real split of `execute(bins:)`
    /// and the squares in one pass, so each bin's `(re, im)` stays in registers.
    public func executePower(bins: Range<Int>, into power: UnsafeMutablePointer<Double>) {
        precondition(bins.lowerBound >= 0 && bins.upperBound <= size / 2 + 1, "bins \(bins) outside 0...\(size / 2)")
        fftw_execute(plan)
        let h = size / 2
        let z = UnsafePointer(half.baseAddress!)
        let cosine = UnsafePointer(twiddles.baseAddress!), sine = cosine + (h + 1)
        let lower = bins.lowerBound
        if bins.contains(0) { let r = z[0] + z[1]; power[0 &- lower] = r * r }
        if bins.contains(h) { let r = z[0] - z[1]; power[h &- lower] = r * r }
        let first = max(lower, 1), last = min(bins.upperBound, h)
        guard first < last else { return }
        // As in `execute(bins:)`, with the halves folded into one final factor ¼:
        // 2X = (zr + cr) + c·(zi − ci) + s·(cr − zr) + i·[(zi + ci) + c·(cr − zr) − s·(zi − ci)].
        var zk = z + 2 &* first, zm = z + 2 &* (h &- first), out = power + (first &- lower)
        var c = cosine + first, s = sine + first
        for _ in first..<last {
            let zr = zk[0], zi = zk[1], cr = zm[0], ci = -zm[1]
            let sr = zr + cr, si = zi + ci, dr = zi - ci, di = cr - zr
            let re = sr + c[0] * dr + s[0] * di
            let im = si + c[0] * di - s[0] * dr
            out[0] = 0.25 * (re * re + im * im)
            zk += 2
            zm -= 2
            out += 1
            c += 1
            s += 1
        }
    }

    /// Transforms `input`, writing the bins in `bins` (all `0…n/2` by default) to `output`.
    public func execute(bins: Range<Int>? = nil) {
        let bins = bins ?? 0..<(size / 2 + 1)
        precondition(bins.lowerBound >= 0 && bins.upperBound <= size / 2 + 1, "bins \(bins) outside 0...\(size / 2)")
        fftw_execute(plan)
        let h = size / 2
        let z = UnsafePointer(half.baseAddress!), x = output.baseAddress!
        let cosine = UnsafePointer(twiddles.baseAddress!), sine = cosine + (h + 1)
        // Bins 0 and n/2 both pair Z[0] with itself: X[0] = Re Z0 + Im Z0, X[n/2] = Re Z0 − Im Z0.
        if bins.contains(0) { x[0] = z[0] + z[1]; x[1] = 0 }
        if bins.contains(h) { x[2 &* h] = z[0] - z[1]; x[2 &* h &+ 1] = 0 }
        let first = max(bins.lowerBound, 1), last = min(bins.upperBound, h)
        guard first < last else { return }
        // 0 < k < n/2: Z[k] walks forward, Z[n/2 − k] backward.
        var zk = z + 2 &* first, zm = z + 2 &* (h &- first), out = x + 2 &* first
        var c = cosine + first, s = sine + first
        for _ in first..<last {
            let zr = zk[0], zi = zk[1], cr = zm[0], ci = -zm[1]
            let er = 0.5 * (zr + cr), ei = 0.5 * (zi + ci)
            let or = 0.5 * (zi - ci), oi = 0.5 * (cr - zr)
            out[0] = er + c[0] * or + s[0] * oi
            out[1] = ei + c[0] * oi - s[0] * or
            zk += 2
            zm -= 2
            out += 2
            c += 1
            s += 1
        }
    }
}
