import ArgumentParser

/// `audio-index bench`: rerunnable per-stage benchmarks (BENCHMARKS.md records their figures).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure one pipeline stage on generated input (one thread; median of several runs).",
        discussion: """
            Each stage prints its throughput; Scripts/bench/ holds the matching Python reference \
            runs, which call these commands and print the ratio in the same invocation.
            """,
        subcommands: [BenchDecode.self, BenchMel.self, BenchTokenizer.self, BenchText.self, BenchSearch.self, BenchVectors.self, BenchEncoder.self, BenchLoad.self]
    )
}
