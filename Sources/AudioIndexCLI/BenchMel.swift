import ArgumentParser
import CLAPFrontEnd
import DSP
import Diagnostics
import Foundation
import LinearAlgebra
import NumPyFormat

/// `audio-index bench mel`: the log-mel front end on a 10 s, 48 kHz array, one thread.
struct BenchMel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mel",
        abstract: "Benchmark the log-mel front end on one 48 kHz array (one thread; median of several runs).",
        discussion: """
            Times, on the calling thread with OpenBLAS set to one thread and the FFT planned once:
              logmel     the log-mel spectrogram of the array (STFT → mel → dB), the work
                         librosa.feature.melspectrogram + power_to_db does;
              front-end  the whole CLAP profile (int16 round trip and padding where the profile
                         has them, log-mel, fusion stacking) via CLAPFrontEnd.features.
            Each is run once untimed, then --runs times; the median and the minimum wall time are
            reported, and the median CPU time of the thread (less affected by other processes
            sharing the machine).

            --engine fftw times the FFTW + Swift twin of the double-precision log-mel instead of the
            frame-block C kernel (automatic: AVX-512, AVX2 or portable, chosen at run time).

            The array is --input (a float32 .npy, as Scripts/bench/bench_frontend.py writes it, so
            Python and Swift time the same samples) or, without it, a generated 10 s signal.

            EXAMPLES
              swift build -c release
              .build/release/audio-index bench mel
              .build/release/audio-index bench mel --profile hf --runs 51 --format json
              .build/release/audio-index bench mel --engine fftw
              python3 Scripts/bench/bench_frontend.py     # runs this command and librosa side by side
            """
    )

    enum Profile: String, ExpressibleByArgument, CaseIterable {
        case laion
        case laionFusion = "laion-fusion"
        case hf
    }

    @Option(help: "Front end: laion (librosa Slaney bank, float32 mel), laion-fusion (torchaudio HTK bank), hf (transformers float64, laion/clap-htsat-fused config).")
    var profile: Profile = .laion

    @Option(help: "STFT precision: double (what the front ends use) or single (FFTW float32, for comparison).")
    var precision: FFTPrecision = .double

    enum Engine: String, ExpressibleByArgument, CaseIterable {
        case automatic
        case fftw
        case avx2
        case avx512
        case portable

        var logMelEngine: LogMelEngine {
            switch self {
            case .automatic: .automatic
            case .fftw: .fftw
            case .avx2: .frameBlocks(.avx2)
            case .avx512: .frameBlocks(.avx512)
            case .portable: .frameBlocks(.portable)
            }
        }
    }

    @Option(help: """
        Log-mel engine: automatic (the frame-block C kernel at the best instruction set), fftw (its FFTW + Swift \
        twin), or the kernel forced to avx2, avx512 or portable (lowered to what the CPU has; all give the same bits).
        """)
    var engine: Engine = .automatic

    @Option(help: "A float32 .npy array of 48 kHz samples to use instead of the generated signal.")
    var input: String?

    @Option(help: "Timed runs; the median is reported.")
    var runs = 31

    @Option(help: "Output format: text or json (one object per line).")
    var format: OutputFormat = .text

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
    }

    func run() throws {
        BLAS.setThreadCount(1)
        let samples: [Float]
        if let input {
            guard let values = try NPY.read(contentsOf: URL(fileURLWithPath: input)).float32Values() else {
                throw ValidationError("\(input): expected a float32 array")
            }
            samples = values
        } else {
            samples = Self.signal(count: 480_000)
        }
        let frontEndProfile: CLAPFrontEnd.Profile
        switch profile {
        case .laion: frontEndProfile = .laion
        case .laionFusion: frontEndProfile = .laionFusion
        case .hf: frontEndProfile = .hf(.clapHTSATFused)
        }
        let frontEnd = try CLAPFrontEnd(profile: frontEndProfile)
        let logMel = LogMelSpectrogram(fftSize: 1024, hopLength: 480, filterBank: frontEnd.filterBank, precision: precision,
                                       engine: engine.logMelEngine)
        StandardError.writeLine("bench mel: \(samples.count) samples, profile \(frontEnd.profileName), \(precision.rawValue) STFT, "
                                + "log-mel by \(logMel.engineDescription), front end by \(frontEnd.logMelEngineDescription), "
                                + "\(runs) runs, 1 thread; \(RealFFT.libraryVersion), \(BLAS.configuration)")

        var cases: [(name: String, times: [Double], cpu: [Double])] = []
        var cpu: [Double] = []
        let logMelTimes = try BenchTiming.times(runs: runs) { cpu.append(Self.threadCPU { _ = logMel(samples) }) }
        cases.append(("logmel", logMelTimes, Array(cpu.dropFirst())))
        cpu = []
        let frontEndTimes = try BenchTiming.times(runs: runs) { cpu.append(try Self.threadCPU { _ = try frontEnd.features(samples) }) }
        cases.append(("front-end", frontEndTimes, Array(cpu.dropFirst())))

        for c in cases {
            let median = BenchTiming.median(c.times), best = c.times.min()!, cpuMedian = BenchTiming.median(c.cpu)
            switch format {
            case .text:
                print(String(format: "%-10@ median %8.3f ms   min %8.3f ms   cpu %8.3f ms   %7.0f× realtime", c.name as NSString,
                             median * 1e3, best * 1e3, cpuMedian * 1e3, Double(samples.count) / 48_000 / median))
            case .json:
                var json = JSONLine()
                json.add("case", c.name)
                json.add("profile", frontEnd.profileName)
                json.add("precision", precision.rawValue)
                json.add("samples", samples.count)
                json.add("runs", runs)
                json.add("median_ms", median * 1e3)
                json.add("min_ms", best * 1e3)
                json.add("cpu_median_ms", cpuMedian * 1e3)
                json.add("engine", c.name == "logmel" ? logMel.engineDescription : frontEnd.logMelEngineDescription)
                print(json.text)
            }
        }
    }

    /// CPU time of the calling thread spent in `body`, in seconds (CLOCK_THREAD_CPUTIME_ID).
    static func threadCPU(_ body: () throws -> Void) rethrows -> Double {
        var start = timespec(), end = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start)
        try body()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end)
        return Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) * 1e-9
    }

    /// 10 s of a chirp (100 Hz → 12 kHz) plus low-passed noise, peak below 0.7; deterministic.
    static func signal(count: Int) -> [Float] {
        var state: UInt32 = 0x2545_F491
        var smooth: Float = 0
        return (0..<count).map { i in
            let t = Double(i) / 48_000
            let chirp = 0.4 * sin(2 * Double.pi * 100 * (pow(120, t / 10) - 1) * 10 / log(120))
            state = state &* 1_664_525 &+ 1_013_904_223
            smooth = 0.9 * smooth + 0.1 * Float(Int32(bitPattern: state)) / Float(Int32.max)
            return Float(chirp) + 0.2 * smooth
        }
    }
}

extension FFTPrecision: ExpressibleByArgument {}
