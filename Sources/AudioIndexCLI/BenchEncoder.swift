import ArgumentParser
import CLAPAudio
import CLAPFrontEnd
import Diagnostics
import DSP
import Foundation
import LinearAlgebra
import NumPyFormat

/// `audio-index bench encoder`: the whole audio path, waveform → front end → HTSAT → embedding.
struct BenchEncoder: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encoder",
        abstract: "Benchmark the CLAP audio encoder, waveform to embedding (median of several runs).",
        discussion: """
            Times embedding --batch clips end to end: the laion front end (int16 round trip, \
            repeat-pad, log-mel; the fusion front end for fused models) and the encoder (bn0, resize, \
            Swin stages, projection, normalisation). The clips are the first --batch rows of --input \
            (a float32 .npy of shape [N, samples], as Scripts/bench/bench_encoder.py writes it) or, \
            without it, generated 10 s signals. One untimed warm-up, then --runs timed runs.

            Reported: clips/s, seconds per batch, CPU utilisation of the timed runs (process CPU time ÷ \
            wall; 2.0 = two cores busy), the encoder's GFLOP/s (analytic multiply-adds × 2 per \
            clip, clap-reference-facts.md §6), OpenBLAS sgemm GFLOP/s measured in the same run on a \
            4096×288×96 product (stage 0's qkv shape), and the peak resident memory (VmHWM).

            EXAMPLES
              swift build -c release
              .build/release/audio-index bench encoder --model /path/to/clap-htsat-unfused
              .build/release/audio-index bench encoder --model m.safetensors --batch 8 --threads 1 --format json
              /work/refenv/bin/python Scripts/bench/bench_encoder.py   # this command and PyTorch side by side
            """
    )

    @Option(help: ArgumentHelp("A Hugging Face CLAP folder, a laion_clap .pt, a pytorch_model.bin or a .safetensors checkpoint.", valueName: "path"))
    var model: String

    @Option(help: "A float32 .npy [N, samples] of 48 kHz clips; default: generated 10 s signals.")
    var input: String?

    @Option(help: "Clips per timed batch.")
    var batch = 1

    @Option(help: "Timed runs; the median is reported.")
    var runs = 3

    @Option(help: "OpenBLAS threads.")
    var threads = 1

    @Option(help: "Output format: text or json (one object per line).")
    var format: OutputFormat = .text

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        BLAS.setThreadCount(threads)
        let encoder = try CLAPAudioEncoder(contentsOf: URL(fileURLWithPath: model))
        let clips = try loadClips()
        // The laion profile uses the checkpoint's own melW when it has one (as `embed` does).
        let bank = encoder.laionMelFilterBank.map { MelFilterBank(float32: Matrix(rows: 513, columns: encoder.configuration.melBins, values: $0)) }
        let frontEnd = encoder.configuration.enableFusion
            ? try CLAPFrontEnd(profile: .laionFusion) : try CLAPFrontEnd(profile: .laion, filterBank: bank)
        StandardError.writeLine("bench encoder: \(encoder.configuration), batch \(batch), \(runs) runs, \(threads) thread(s); \(BLAS.configuration)")
        let (times, utilisation) = try BenchTiming.timesAndCPU(runs: runs) {
            let inputs = try clips.map { samples -> EncoderInput in
                let f = try frontEnd.features(samples)
                return EncoderInput(features: f.values, frames: frontEnd.chunkFrames, longer: f.longer)
            }
            _ = try encoder.embed(batch: inputs)
        }
        let seconds = BenchTiming.median(times)
        let flops = 2 * Self.multiplyAdds(encoder.configuration) * Double(batch)
        let sgemm = Self.sgemmGFLOPS()
        let peak = Self.peakRSSMiB()
        switch format {
        case .text:
            print(String(format: "batch %d: %.3f s median, %.2f clips/s, %.1f GFLOP/s (sgemm %.1f GFLOP/s), CPU %.2f, peak %.0f MiB",
                         batch, seconds, Double(batch) / seconds, flops / seconds / 1e9, sgemm, utilisation, peak))
        case .json:
            var json = JSONLine()
            json.add("batch", batch)
            json.add("threads", threads)
            json.add("runs", runs)
            json.add("median_seconds", seconds)
            json.add("min_seconds", times.min()!)
            json.add("clips_per_second", Double(batch) / seconds)
            json.add("gflops", flops / seconds / 1e9)
            json.add("sgemm_gflops", sgemm)
            json.add("cpu_utilisation", utilisation)
            json.add("peak_rss_mib", peak)
            print(json.text)
        }
    }

    func loadClips() throws -> [[Float]] {
        guard let input else { return (0..<batch).map { i in BenchMel.signal(count: 480_000 + i) } }
        let array = try NPY.read(contentsOf: URL(fileURLWithPath: input))
        guard let values = array.float32Values(), array.shape.count == 2, array.shape[0] >= batch else {
            throw ValidationError("\(input): expected a float32 array of shape [N ≥ \(batch), samples]")
        }
        let n = array.shape[1]
        return (0..<batch).map { Array(values[($0 * n)..<(($0 + 1) * n)]) }
    }

    /// Multiply-adds of the Swin stages, merging, patch embedding and projection for one clip
    /// (12·N·C² + 2·N·w²·C per block; 2·N·C² per merging; clap-reference-facts.md §6).
    static func multiplyAdds(_ c: HTSATConfiguration) -> Double {
        var total = Double(c.gridSize * c.gridSize * c.embedDim * c.patchSize * c.patchSize)
        var side = c.gridSize
        for (i, depth) in c.depths.enumerated() {
            let n = Double(side * side), ch = Double(c.embedDim << i)
            let window = Double(min(side, c.windowSize) * min(side, c.windowSize))
            total += Double(depth) * (4 * n * ch * ch + 2 * Double(c.mlpRatio) * n * ch * ch + 2 * n * window * ch)
            if i < c.depths.count - 1 {
                total += (n / 4) * 4 * ch * 2 * ch
                side /= 2
            }
        }
        return total + Double(c.finalDim * c.projectionDim + c.projectionDim * c.projectionDim)
    }

    /// sgemm throughput on stage 0's qkv product, best of 5.
    static func sgemmGFLOPS() -> Double {
        let m = 4096, n = 288, k = 96
        let a = [Float](repeating: 0.5, count: m * k), b = [Float](repeating: 0.25, count: n * k)
        var c = [Float](repeating: 0, count: m * n)
        let clock = ContinuousClock()
        var best = Double.infinity
        for _ in 0..<5 {
            let d = clock.measure {
                a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                    BLAS.sgemm(transA: false, transB: true, m: m, n: n, k: k, a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: k, c: cp.baseAddress!, ldc: n)
                } } }
            }
            best = min(best, Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
        }
        return 2 * Double(m * n * k) / best / 1e9
    }

    /// VmHWM of this process in MiB (Linux), NaN elsewhere.
    static func peakRSSMiB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return .nan }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? .nan
            return kb / 1024
        }
        return .nan
    }
}
