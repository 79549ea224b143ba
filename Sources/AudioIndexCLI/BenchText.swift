import ArgumentParser
import CLAPText
import Diagnostics
import FileIO
import Foundation
import LinearAlgebra
import Tokenizer
#if canImport(Glibc)
import Glibc
#endif

/// `audio-index bench text`: load time, single-query latency and throughput of the CLAP text tower,
/// with the two physical floors of a short query measured in the same run.
struct BenchText: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "text",
        abstract: "Benchmark the CLAP text encoder: model load, one short query, many queries (1 thread).",
        discussion: """
            Times, on one BLAS thread:
              load      CLAPTextEncoder.load(model:) — map model.safetensors, bind every tensor strictly
                        (F32 weights borrowed from the map, nothing copied), read the tokenizer (median
                        of --runs; the tokenizer alone is reported too), beside a same-run baseline:
                        reading every page of the weight file once (a SIMD sum over the mapped bytes).
                        With --cold the pages of the model's files (weights, config, tokenizer files)
                        are dropped from the page cache before each run (posix_fadvise DONTNEED, these
                        files only) and the first query after the load, which pages the weights in, is
                        timed too. The tokenizer's slow twin (JSONDecoder, String dictionaries) is timed
                        once beside it.
              single    one query of --tokens ids (<s> … </s>), unpadded (median of --runs)
              batch     --queries queries of --tokens ids each through embed(tokenIDs:threads:), which
                        runs the dense layers of many queries as one sgemm (median of --batch-runs),
                        with the CPU time / wall time of the process over those runs
              one-by-one  the first min(--queries, 100) queries, one embed call each (median of 3)
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
              .build/release/audio-index bench text --model /tmp/audio-index-bench-text/model --cold --threads 2
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

    @Option(help: "Timed runs of the throughput case; the median is reported.")
    var batchRuns = 3

    @Option(help: "Workers in the throughput case (BLAS stays at 1 thread; each worker takes whole chunks of queries).")
    var threads = 1

    @Flag(help: "Drop the model's files from the page cache before each load run (posix_fadvise; needs no privileges).")
    var cold = false

    @Option(help: "Output format: text (lines) or json (one object per case and line).")
    var format: OutputFormat = .text

    func validate() throws {
        guard runs >= 1, batchRuns >= 1 else { throw ValidationError("--runs and --batch-runs must be at least 1") }
        guard tokens >= 2 else { throw ValidationError("--tokens must be at least 2 (<s> and </s>)") }
        guard queries >= 1 else { throw ValidationError("--queries must be at least 1") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        BLAS.setThreadCount(1)
        let url = URL(fileURLWithPath: model), tok = tokenizer.map { URL(fileURLWithPath: $0) }
        var loaded: CLAPTextEncoder? = try CLAPTextEncoder.load(model: url, tokenizer: tok)
        let weightFile = loaded!.weightsPath
        let c = loaded!.config
        guard tokens <= c.maxTokens else { throw ValidationError("--tokens \(tokens) exceeds the model's \(c.maxTokens) positions") }
        StandardError.writeLine("bench text: \(loaded!.fingerprint); \(BLAS.configuration); weights borrowed from the map: \(loaded!.weightsAreBorrowed)")
        func query(_ q: Int) -> [Int] { [0] + (0..<(tokens - 2)).map { 4 + (q * 7919 + $0 * 104_729) % (c.vocabSize - 8) } + [2] }
        var sink: Float = 0

        // Load, warm or cold, beside reading the file's pages once. Nothing may map the file while its
        // pages are dropped (the kernel keeps mapped pages), hence the release of the previous encoder.
        var firstQuery: [Double] = [], loads: [Double] = [], pageReads: [Double] = []
        let clock = ContinuousClock()
        func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
        let tokenizerFolder = tok ?? url
        // Every file the load reads: the weights, the model folder's small files, the tokenizer's files.
        let modelFiles = [weightFile] + Self.regularFiles(in: tokenizerFolder) + (tok == nil ? [] : Self.regularFiles(in: url))
        var tokenizerLoads: [Double] = []
        for _ in 0..<runs {
            loaded = nil
            if cold { modelFiles.forEach(Self.dropFromPageCache) }
            tokenizerLoads.append(seconds(try clock.measure { _ = try ByteLevelBPETokenizer(folder: tokenizerFolder) }))
            do {
                let mapped = try MappedFile(path: weightFile)
                pageReads.append(seconds(clock.measure { sink += Self.sumBytes(mapped.bytes) }))
            }
            if cold { modelFiles.forEach(Self.dropFromPageCache) }
            loads.append(seconds(try clock.measure { loaded = try CLAPTextEncoder.load(model: url, tokenizer: tok) }))
            if cold, let e = loaded { firstQuery.append(seconds(clock.measure { sink += e.embed(tokenIDs: [query(0)])[0][0] })) }
        }
        let encoder = loaded!
        let load = BenchTiming.median(loads), pageRead = BenchTiming.median(pageReads)
        let fileBytes = (try? FileManager.default.attributesOfItem(atPath: weightFile)[.size] as? Int) ?? 0
        let tokenizerLoad = BenchTiming.median(tokenizerLoads)
        let slowTokenizerLoad = seconds(try clock.measure {
            _ = try ByteLevelBPETokenizer(folder: tokenizerFolder, choice: .automatic, reader: .slow)
        })

        let single = try BenchTiming.medianSeconds(runs: runs) { sink += encoder.embed(tokenIDs: [query(0)])[0][0] }
        let batchIDs = (0..<queries).map(query)
        let cpuBefore = Self.cpuSeconds()
        let batchTimes = try BenchTiming.times(runs: batchRuns) { sink += encoder.embed(tokenIDs: batchIDs, threads: threads).last![0] }
        let cpuAfter = Self.cpuSeconds()
        let batch = BenchTiming.median(batchTimes)
        // CPU over wall for the timed runs and the warm-up (all run the same work).
        let utilisation = (cpuAfter - cpuBefore) / (batchTimes.reduce(0, +) * Double(batchRuns + 1) / Double(batchRuns))
        let oneByOneCount = min(queries, 100)
        let oneByOne = try BenchTiming.medianSeconds(runs: 3) {
            for q in batchIDs.prefix(oneByOneCount) { sink += encoder.embed(tokenIDs: [q])[0][0] }
        }

        let bandwidthTime = try BenchTiming.medianSeconds(runs: runs) { sink += encoder.streamWeights() }
        let bytes = encoder.streamedWeightBytes
        let flops = c.queryFLOPs(tokens: tokens)
        let rate = try Self.sgemmRate(tokens: tokens, hidden: c.hiddenSize, intermediate: c.intermediateSize, runs: runs)
        let computeTime = flops / rate
        let floor = max(bandwidthTime, computeTime)
        if sink.isNaN { StandardError.writeLine("bench text: NaN in the outputs") }

        let coldFirst = firstQuery.isEmpty ? nil : BenchTiming.median(firstQuery)
        switch format {
        case .text:
            func ms(_ s: Double) -> String { String(format: "%.2f ms", s * 1e3) }
            print("load\(cold ? " (cold page cache)" : "") (map + bind + tokenizer): \(ms(load)), of which the tokenizer \(ms(tokenizerLoad)) "
                  + "(its slow twin: \(ms(slowTokenizerLoad)), warm); "
                  + "baseline: reading the \(String(format: "%.1f", Double(fileBytes) / 1e6)) MB weight file's pages once \(ms(pageRead))"
                  + (coldFirst.map { "; first query after the cold load \(ms($0))" } ?? ""))
            print("single \(tokens)-token query: \(ms(single)) = \(String(format: "%.2f", single / floor)) × floor")
            print("\(queries) queries, batched, \(threads) worker(s): \(String(format: "%.3f s", batch)), \(String(format: "%.1f", Double(queries) / batch)) queries/s, "
                  + "CPU \(String(format: "%.0f", utilisation * 100))% of one core")
            print("\(oneByOneCount) queries one call each: \(String(format: "%.1f", Double(oneByOneCount) / oneByOne)) queries/s")
            print("floor: bandwidth \(ms(bandwidthTime)) (\(String(format: "%.1f", Double(bytes) / 1e6)) MB at "
                  + "\(String(format: "%.1f", Double(bytes) / bandwidthTime / 1e9)) GB/s), compute \(ms(computeTime)) "
                  + "(\(String(format: "%.2f", flops / 1e9)) GFLOP at \(String(format: "%.1f", rate / 1e9)) GFLOP/s)")
        case .json:
            var a = JSONLine(); a.add("case", "load"); a.add("median_s", load); a.add("tokenizer_s", tokenizerLoad); a.add("tokenizer_slow_twin_s", slowTokenizerLoad); a.add("cold", cold)
            a.add("file_bytes", fileBytes); a.add("page_read_s", pageRead)
            if let coldFirst { a.add("first_query_s", coldFirst) }
            print(a.text)
            var b = JSONLine(); b.add("case", "single"); b.add("tokens", tokens); b.add("median_s", single); b.add("floor_ratio", single / floor); print(b.text)
            var d = JSONLine(); d.add("case", "batch"); d.add("queries", queries); d.add("tokens", tokens); d.add("seconds", batch)
            d.add("queries_per_s", Double(queries) / batch); d.add("threads", threads); d.add("cpu_utilisation", utilisation); print(d.text)
            var e = JSONLine(); e.add("case", "one_by_one"); e.add("queries", oneByOneCount); e.add("queries_per_s", Double(oneByOneCount) / oneByOne); print(e.text)
            var f = JSONLine(); f.add("case", "floor"); f.add("weight_bytes", bytes); f.add("bandwidth_s", bandwidthTime)
            f.add("bandwidth_gb_per_s", Double(bytes) / bandwidthTime / 1e9); f.add("flops", flops); f.add("sgemm_flops_per_s", rate)
            f.add("compute_s", computeTime); f.add("floor_s", floor); print(f.text)
        }
    }

    /// Drops the clean cached pages of `path` (the kernel skips pages some process still maps).
    static func dropFromPageCache(_ path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
    }

    /// The regular files of a folder (or the path itself when it is a file).
    static func regularFiles(in folder: URL) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [folder.path] }
        return names.map { folder.appendingPathComponent($0).path }.filter {
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: $0, isDirectory: &isFolder) && !isFolder.boolValue
        }
    }

    /// A wrapping sum of every byte, 64 at a time: touches every page of a mapping once.
    static func sumBytes(_ bytes: UnsafeRawBufferPointer) -> Float {
        guard let base = bytes.baseAddress else { return 0 }
        var acc = SIMD64<UInt8>(), k = 0
        while k + 64 <= bytes.count {
            acc &+= base.loadUnaligned(fromByteOffset: k, as: SIMD64<UInt8>.self)
            k += 64
        }
        return Float(acc.wrappedSum())
    }

    /// User + system CPU seconds of this process so far.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
        return s(usage.ru_utime) + s(usage.ru_stime)
    }

    /// FLOP/s of sgemm (x·Wᵀ, x of `tokens` rows) over the products one layer makes, each repeated on
    /// the same cache-warm matrices: query, key, value and output [H, H], intermediate [I, H], output [H, I].
    static func sgemmRate(tokens t: Int, hidden h: Int, intermediate i: Int, runs: Int) throws -> Double {
        let shapes = [(h, h), (h, h), (h, h), (h, h), (i, h), (h, i)]
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
