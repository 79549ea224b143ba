import CDSPKernels
import LinearAlgebra

// The only file that imports CDSPKernels.

/// Instruction sets the frame-block kernel (`Sources/CDSPKernels`) is compiled for. The package
/// is built for baseline x86-64; the kernel's AVX2 and AVX-512 functions are chosen at run time
/// from the CPU's features, so the binary still runs on any x86-64 (or other) CPU.
public enum KernelInstructionSet: Int, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    /// Generic 2-lane vectors (SSE2 on x86-64).
    case portable = 0
    /// 4 frames per block.
    case avx2 = 1
    /// 8 frames per block (AVX-512F).
    case avx512 = 2

    /// The best one this CPU and OS support.
    public static var best: KernelInstructionSet { KernelInstructionSet(rawValue: Int(cdsp_best_isa().rawValue)) ?? .portable }

    /// The ones this CPU can run (what tests compare).
    public static var supported: [KernelInstructionSet] { allCases.filter { $0 <= best } }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .portable: "portable"
        case .avx2: "avx2"
        case .avx512: "avx512"
        }
    }
}

/// Which implementation computes the double-precision log-mel (`FFTPrecision.double`).
public enum LogMelEngine: Sendable, Equatable {
    /// The frame-block kernel at `KernelInstructionSet.best` where it applies (AVX2 or AVX-512
    /// present, FFT size a power of two from 64 to 65,536), else FFTW. What the front ends use.
    case automatic
    /// FFTW's complex transform frame by frame plus the Swift real split and band sums: the slow,
    /// obviously-correct twin the kernel is tested against.
    case fftw
    /// The frame-block kernel at this instruction set, lowered to what the CPU supports (tests).
    case frameBlocks(KernelInstructionSet)
}

/// The mel power of a centred STFT computed by `cdsp_logmel` (Sources/CDSPKernels): several
/// frames per call of SIMD code, one frame per lane, the whole chain (window → double FFT →
/// real split → power → per-band sums) in double precision without fused multiply-adds, so every
/// instruction set gives the same bits. Same conventions as `PowerSpectrogram` and
/// `LogMelSpectrogram`'s band product: periodic Hann window in double, reflect padding of
/// fftSize/2 (frames reaching past the signal are copied with `PowerSpectrogram.reflectIndex`),
/// the real split of `RealFFTDouble.executePower`, each band's own run of weights.
///
/// Not thread-safe (the plan owns scratch memory); one instance per `LogMelSpectrogram`.
final class FrameBlockLogMel {
    let fftSize: Int
    let hopLength: Int
    let melBins: Int
    let instructionSet: KernelInstructionSet
    /// Frames per kernel block.
    let lanes: Int
    private let plan: OpaquePointer

    /// nil when the kernel does not handle this FFT size.
    init?(fftSize: Int, hopLength: Int, window: [Double], activeBins: Range<Int>, bands: MelBandRanges,
          instructionSet: KernelInstructionSet) {
        precondition(window.count == fftSize, "window has \(window.count) values, the FFT \(fftSize)")
        let spans = bands.spans
        let made = window.withUnsafeBufferPointer { w in
            bands.weights.withUnsafeBufferPointer { weights in
                cdsp_logmel_create(Int32(fftSize), w.baseAddress, Int32(activeBins.lowerBound), Int32(activeBins.count),
                                   Int32(spans.count), spans.map { Int32($0.firstBin) }, spans.map { Int32($0.count) },
                                   spans.map { Int32($0.offset) }, weights.baseAddress, Int32(weights.count),
                                   cdsp_isa(rawValue: UInt32(instructionSet.rawValue)))
            }
        }
        guard let made else { return nil }
        plan = made
        self.fftSize = fftSize
        self.hopLength = hopLength
        melBins = spans.count
        self.instructionSet = KernelInstructionSet(rawValue: Int(cdsp_logmel_isa(made).rawValue)) ?? .portable
        lanes = Int(cdsp_logmel_lanes(made))
    }

    deinit { cdsp_logmel_destroy(plan) }

    /// `[frames × melBins]` mel power in double precision.
    func melPower(_ samples: [Float]) -> Matrix<Double> {
        var out = Matrix<Double>(rows: PowerSpectrogram.frameCount(sampleCount: samples.count, hopLength: hopLength), columns: melBins)
        out.values.withUnsafeMutableBufferPointer { o in run(samples) { cdsp_logmel_run(plan, $0, $1, o.baseAddress, nil, 0, 0, 0) } }
        return out
    }

    /// `[frames × melBins]` mel power computed in double precision, rounded once to float32.
    func melPowerFloat(_ samples: [Float]) -> Matrix<Float> {
        var out = Matrix<Float>(rows: PowerSpectrogram.frameCount(sampleCount: samples.count, hopLength: hopLength), columns: melBins)
        out.values.withUnsafeMutableBufferPointer { o in run(samples) { cdsp_logmel_run(plan, $0, $1, nil, o.baseAddress, 0, 0, 0) } }
        return out
    }

    /// `[frames × melBins]` log-mel: the float32 mel power of `melPowerFloat` through
    /// `Decibels.powerToDB(_:amin:)`, computed in the kernel with the same float operations (the
    /// same bits, tested), so the dB pass costs no extra trip through memory.
    func decibelsFloat(_ samples: [Float], amin: Float) -> Matrix<Float> {
        var out = Matrix<Float>(rows: PowerSpectrogram.frameCount(sampleCount: samples.count, hopLength: hopLength), columns: melBins)
        let scale = Float(Decibels.dbPerOctave)
        out.values.withUnsafeMutableBufferPointer { o in run(samples) { cdsp_logmel_run(plan, $0, $1, nil, o.baseAddress, 1, amin, scale) } }
        return out
    }

    /// Hands the kernel one pointer per frame: into `samples` for interior frames, into reflect-padded
    /// copies for the few frames that reach past either end.
    private func run(_ samples: [Float], _ kernel: (UnsafePointer<UnsafePointer<Float>?>, Int) -> Void) {
        precondition(!samples.isEmpty, "cannot take the STFT of an empty signal")
        let n = fftSize, count = samples.count
        let frames = PowerSpectrogram.frameCount(sampleCount: count, hopLength: hopLength)
        let start = { (t: Int) in t * self.hopLength - n / 2 }
        let edge = (0..<frames).filter { start($0) < 0 || start($0) + n > count }
        var padded = [Float](repeating: 0, count: edge.count * n)
        for (e, t) in edge.enumerated() {
            for i in 0..<n { padded[e * n + i] = samples[PowerSpectrogram.reflectIndex(start(t) + i, count: count)] }
        }
        samples.withUnsafeBufferPointer { x in
            padded.withUnsafeBufferPointer { p in
                var pointers = [UnsafePointer<Float>?](repeating: nil, count: frames)
                var e = 0
                for t in 0..<frames {
                    if e < edge.count && edge[e] == t {
                        pointers[t] = p.baseAddress! + e * n
                        e += 1
                    } else {
                        pointers[t] = x.baseAddress! + start(t)
                    }
                }
                pointers.withUnsafeBufferPointer { kernel($0.baseAddress!, frames) }
            }
        }
    }
}
