import ArgumentParser
import Diagnostics
import Foundation
import Tokenizer

/// `audio-index bench tokenizer`: load time and encoding throughput of the byte-level BPE tokenizer.
struct BenchTokenizer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Benchmark loading the tokenizer and encoding texts as laion_clap does (77 ids, padded).",
        discussion: """
            Times ByteLevelBPETokenizer(folder:) (reading tokenizer.json, or vocab.json + merges.txt), \
            and encode(text, maxLength: 77, padToMaxLength: true) over every text of --input. \
            Throughput is texts and real (unpadded) tokens per second, from the median of --runs \
            timed runs after one warm-up run (so the per-word cache is warm, as the reference's is). \
            Everything runs on the calling thread. ids_sum lets a caller check that both sides \
            produced the same ids.

            Scripts/bench/bench_tokenizer.py runs this and Hugging Face tokenizers on the same texts \
            and prints the ratio.

            EXAMPLES
              swift build -c release
              .build/release/audio-index bench tokenizer --model Tests/Fixtures/tokenizer/gpt2-roberta \\
                --input Tests/Fixtures/tokenizer/cases.jsonl
            """
    )

    @Option(help: ArgumentHelp("A folder with tokenizer.json, or vocab.json + merges.txt.", valueName: "dir"))
    var model: String

    @Option(help: ArgumentHelp("JSON Lines, one object with a \"text\" field per line (e.g. Tests/Fixtures/tokenizer/cases.jsonl).", valueName: "file"))
    var input: String

    @Option(help: "Timed runs per case; the median is reported.")
    var runs = 7

    @Option(help: "Ids per text, <s> and </s> included.")
    var maxLength = 77

    @Option(help: "Output format: text (a table) or json (one object per case and line).")
    var format: OutputFormat = .text

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        guard maxLength >= 2 else { throw ValidationError("--max-length must be at least 2") }
    }

    private struct Line: Decodable { let text: String }

    func run() throws {
        let folder = URL(fileURLWithPath: model)
        let decoder = JSONDecoder()
        let texts = try Data(contentsOf: URL(fileURLWithPath: input))
            .split(separator: UInt8(ascii: "\n"))
            .map { try decoder.decode(Line.self, from: Data($0)).text }
        StandardError.writeLine("bench tokenizer: \(texts.count) texts from \(input), \(runs) runs, 1 thread")

        var tokenizer = try ByteLevelBPETokenizer(folder: folder)
        let load = try BenchTiming.medianSeconds(runs: runs) { tokenizer = try ByteLevelBPETokenizer(folder: folder) }
        var tokens = 0, idsSum = 0
        let encode = try BenchTiming.medianSeconds(runs: runs) {
            tokens = 0
            idsSum = 0
            for text in texts {
                let e = try tokenizer.encode(text, maxLength: maxLength, padToMaxLength: true)
                tokens += e.attentionMask.reduce(0, +)
                idsSum += e.ids.reduce(0, +)
            }
        }
        let files = tokenizer.files.map(\.lastPathComponent).joined(separator: "+")
        switch format {
        case .text:
            print("load \(files): \(String(format: "%.1f", load * 1e3)) ms")
            print("encode \(texts.count) texts (max \(maxLength), padded): \(String(format: "%.1f", encode * 1e3)) ms, "
                  + "\(String(format: "%.0f", Double(texts.count) / encode)) texts/s, "
                  + "\(String(format: "%.0f", Double(tokens) / encode)) tokens/s")
        case .json:
            var a = JSONLine()
            a.add("case", "load")
            a.add("files", files)
            a.add("median_s", load)
            print(a.text)
            var b = JSONLine()
            b.add("case", "encode")
            b.add("texts", texts.count)
            b.add("tokens", tokens)
            b.add("ids_sum", idsSum)
            b.add("runs", runs)
            b.add("median_s", encode)
            b.add("texts_per_s", Double(texts.count) / encode)
            b.add("tokens_per_s", Double(tokens) / encode)
            print(b.text)
        }
    }
}
