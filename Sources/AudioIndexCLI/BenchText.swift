import ArgumentParser
import CLAPText
import Diagnostics
import Foundation
import LinearAlgebra
import Tokenizer

/// `audio-index bench text`: load time, single-query latency and throughput of the CLAP text tower,
/// with the two physical floors of a short query measured in the same run.
struct BenchText: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "text",
        abstract: "Benchmark the CLAP text encoder: model load, one short query, many queries (1 thread).",
        discussion: """
            Times, on one thread (BLAS included):
              load      CLAPTextEncoder.load(model:) — open and map model.safetensors, bind every tensor
                        strictly (copying it into the layers), read the tokenizer (median of --runs;
                        the tokenizer alone is reported too)
              single    one query of --tokens ids (<s> … </s>), unpadded (median of --runs)
              batch     --queries queries of --tokens ids each, embed(tokenIDs:) (one timed run)
            and the floors of one query, measured in the same run:
              bandwidth streaming every weight the query reads once (a SIMD sum; median of --runs):
                        weight bytes ÷ memory bandwidth
              compute   the query's FLOPs ÷ the sgemm rate at its shapes (m = --tokens; n, k from the
                        model), each product repeated on cache-warm matrices
            floor = max(bandwidth, compute); the issue's target is single ≤ 1.25 × floor.

            Scripts/bench/bench_text.py writes a full-size random roberta-base CLAP text tower, runs \
            this and PyTorch transformers (padded to 77 and 64, and unpadded) in the same invocation \
            and prints the ratios.

            EXAMPLES
              swift build -c release
              .build/release/audio-index bench text --model /tmp/audio-index-bench-text/model
            """
    )

    @Option(help: ArgumentHelp("A Hugging Face ClapModel folder (or a checkpoint file with --tokenizer).", valueName: "path"))
    var model: String

    @Option(help: ArgumentHelp("Tokenizer folder for checkpoints without one.", valueName: "dir"))
    var tokenizer: String?

    @Option(help: "Ids per query, <s> and </s> included.")
    var tokens = 10

    @Option(help: "Queries in the throughput case.")
    var queries = 1000

    @Option(help: "Timed runs of the load, single-query and floor cases; the median is reported.")
    var runs = 7

    @Option(help: "Output format: text (lines) or json (one object per case and line).")
    var format: OutputFormat = .text

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        guard tokens >= 2 else { throw ValidationError("--tokens must be at least 2 (<s> and </s>)") }
        guard queries >= 1 else { throw ValidationError("--queries must be at least 1") }
    }

    func run() throws {
        BLAS.setThreadCount(1)
        let url = URL(fileURLWithPath: model), tok = tokenizer.map { URL(fileURLWithPath: $0) }
        var encoder = try CLAPTextEncoder.load(model: url, tokenizer: tok)
        let load = try BenchTiming.medianSeconds(runs: runs) { encoder = try CLAPTextEncoder.load(model: url, tokenizer: tok) }
        let tokenizerFolder = tok ?? url
        let tokenizerLoad = try BenchTiming.medianSeconds(runs: runs) { _ = try ByteLevelBPETokenizer(folder: tokenizerFolder) }
        let c = encoder.config
        guard tokens <= c.maxTokens else { throw ValidationError("--tokens \(tokens) exceeds the model's \(c.maxTokens) positions") }
        StandardError.writeLine("bench text: \(encoder.fingerprint); \(BLAS.configuration); 1 thread")

        // Queries: <s>, distinct ordinary ids, </s>.
        func query(_ q: Int) -> [Int] { [0] + (0..<(tokens - 2)).map { 4 + (q * 7919 + $0 * 104_729) % (c.vocabSize - 8) } + [2] }
        var sink: Float = 0
        let single = try BenchTiming.medianSeconds(runs: runs) { sink += encoder.embed(tokenIDs: [query(0)])[0][0] }
        let batchIDs = (0..<queries).map(query)
        let batch = try BenchTiming.times(runs: 1) { sink += encoder.embed(tokenIDs: batchIDs).last![0] }[0]

        let bandwidthTime = try BenchTiming.medianSeconds(runs: runs) { sink += encoder.streamWeights() }
        let bytes = encoder.streamedWeightBytes
        let flops = c.queryFLOPs(tokens: tokens)
        let rate = try Self.sgemmRate(tokens: tokens, hidden: c.hiddenSize, intermediate: c.intermediateSize, runs: runs)
        let computeTime = flops / rate
        let floor = max(bandwidthTime, computeTime)
        if sink.isNaN { StandardError.writeLine("bench text: NaN in the outputs") }

        switch format {
        case .text:
            func ms(_ s: Double) -> String { String(format: "%.2f ms", s * 1e3) }
            print("load (map + bind + tokenizer): \(ms(load)), of which the tokenizer \(ms(tokenizerLoad))")
            print("single \(tokens)-token query: \(ms(single)) = \(String(format: "%.2f", single / floor)) × floor")
            print("\(queries) queries: \(String(format: "%.2f s", batch)), \(String(format: "%.1f", Double(queries) / batch)) queries/s")
            print("floor: bandwidth \(ms(bandwidthTime)) (\(String(format: "%.1f", Double(bytes) / 1e6)) MB at "
                  + "\(String(format: "%.1f", Double(bytes) / bandwidthTime / 1e9)) GB/s), compute \(ms(computeTime)) "
                  + "(\(String(format: "%.2f", flops / 1e9)) GFLOP at \(String(format: "%.1f", rate / 1e9)) GFLOP/s)")
        case .json:
            var a = JSONLine(); a.add("case", "load"); a.add("median_s", load); a.add("tokenizer_s", tokenizerLoad); print(a.text)
            var b = JSONLine(); b.add("case", "single"); b.add("tokens", tokens); b.add("median_s", single); b.add("floor_ratio", single / floor); print(b.text)
            var d = JSONLine(); d.add("case", "batch"); d.add("queries", queries); d.add("tokens", tokens); d.add("seconds", batch)
            d.add("queries_per_s", Double(queries) / batch); print(d.text)
            var f = JSONLine(); f.add("case", "floor"); f.add("weight_bytes", bytes); f.add("bandwidth_s", bandwidthTime)
            f.add("bandwidth_gb_per_s", Double(bytes) / bandwidthTime / 1e9); f.add("flops", flops); f.add("sgemm_flops_per_s", rate)
            f.add("compute_s", computeTime); f.add("floor_s", floor); print(f.text)
        }
    }

    /// FLOP/s of sgemm (x·Wᵀ, x of `tokens` rows) over the products one layer makes, each repeated on
    /// the same cache-warm matrices: QKV [3H, H], output [H, H], intermediate [I, H], output [H, I].
    static func sgemmRate(tokens t: Int, hidden h: Int, intermediate i: Int, runs: Int) throws -> Double {
        let shapes = [(3 * h, h), (h, h), (i, h), (h, i)]
        var total = 0.0, flops = 0.0
        for (n, k) in shapes {
            let w = [Float](repeating: 0.001, count: n * k), x = [Float](repeating: 0.5, count: t * k)
            var y = [Float](repeating: 0, count: t * n)
            let repeats = 20
            let seconds = try BenchTiming.medianSeconds(runs: runs) {
                for _ in 0..<repeats {
                    BLAS.sgemm(transA: false, transB: true, m: t, n: n, k: k, a: x, lda: k, b: w, ldb: k, c: &y, ldc: n)
                }
            }
            total += seconds / Double(repeats)
            flops += 2 * Double(t * n * k)
        }
        return flops / total
    }
}
