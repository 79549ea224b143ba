import ArgumentParser
import Diagnostics
import Foundation
import NumPyFormat
import VectorIndex

struct VectorsSearch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Exact top-k search of a .npy matrix of queries; results are written as .npy.",
        discussion: """
            Output: ids '<i8' and scores '<f4', both shape (Q, k), best first (ip descending, l2 \
            squared distance ascending; equal scores by smaller id; non-finite scores after finite \
            ones, NaN last). Fewer than k results pad with id −1 and score NaN. With --allow-ids \
            only those ids are returned: the exact top-k among them.

            EXAMPLE
              audio-index vectors search idx --queries q.npy -k 10 --out-ids I.npy --out-scores S.npy
            """
    )

    @Argument(help: ArgumentHelp("The index directory.", valueName: "dir"))
    var directory: String

    @Option(help: ArgumentHelp("Queries, shape (Q, d) or (d,), '<f4' or '<f8'.", valueName: "q.npy"))
    var queries: String

    @Option(name: .short, help: "Results per query.")
    var k: Int = 10

    @Option(name: .customLong("allow-ids"), help: ArgumentHelp("Only return these ids, '<i8' shape (M,).", valueName: "ids.npy"))
    var allowIDs: String?

    @Option(name: .customLong("out-ids"), help: ArgumentHelp("Where to write the result ids (Q, k).", valueName: "ids.npy"))
    var outIDs: String

    @Option(name: .customLong("out-scores"), help: ArgumentHelp("Where to write the scores (Q, k). (default: not written)", valueName: "scores.npy"))
    var outScores: String?

    func validate() throws {
        if k < 1 { throw ValidationError("-k must be at least 1, got \(k)") }
    }

    func run() throws {
        let index = try VectorIndex.open(directory: URL(fileURLWithPath: directory))
        let q = try VectorInput.vectors(queries)
        guard q.dimension == index.dimension else {
            throw VectorIndexError.badInput(path: queries, detail: "queries have dimension \(q.dimension), the index \(index.dimension)")
        }
        let allowed = try allowIDs.map { Set(try VectorInput.ids($0)) }
        let r = index.search(queries: q.values, k: k, allowedIDs: allowed)
        try NPY.write(NPYArray(shape: [r.queryCount, k], int64: r.ids), to: URL(fileURLWithPath: outIDs))
        if let outScores {
            try NPY.write(NPYArray(shape: [r.queryCount, k], float32: r.scores), to: URL(fileURLWithPath: outScores))
        }
        StandardError.writeLine("audio-index: searched \(r.queryCount) queries, k \(k), over \(index.liveCount) vectors (generation \(index.generation))")
    }
}

struct VectorsInfo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Describe an index: generation, dimension, metric, counts, files.",
        discussion: """
            Opening reads headers only (no vectors), so this is instant at any size.

            EXAMPLE
              audio-index vectors info idx --format json
            """
    )

    @Argument(help: ArgumentHelp("The index directory.", valueName: "dir"))
    var directory: String

    @Option(help: "Output format: text or json (one object on one line).")
    var format: OutputFormat = .text

    func run() throws {
        let index = try VectorIndex.open(directory: URL(fileURLWithPath: directory))
        switch format {
        case .text:
            print("""
                directory: \(directory)
                kind: flat
                generation: \(index.generation)
                dimension: \(index.dimension)
                metric: \(index.metric.rawValue)
                vectors: \(index.liveCount) live, \(index.storedCount) stored, \(index.tombstoneCount) removed
                segments: \(index.segmentCount) (\(index.segmentBytes) bytes)
                format version: \(SegmentFormat.version)
                """)
        case .json:
            var line = JSONLine()
            line.add("directory", directory)
            line.add("kind", "flat")
            line.add("generation", index.generation)
            line.add("dimension", index.dimension)
            line.add("metric", index.metric.rawValue)
            line.add("live", index.liveCount)
            line.add("stored", index.storedCount)
            line.add("removed", index.tombstoneCount)
            line.add("segments", index.segmentCount)
            line.add("segment_bytes", index.segmentBytes)
            line.add("format_version", SegmentFormat.version)
            print(line.text)
        }
    }
}

struct VectorsVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Read every byte of an index and check all checksums.",
        discussion: """
            Opening checks structure only; verify also checks each section's CRC-32C and the \
            padding. Prints "ok" and the figures on success; a damaged file is an error naming it (exit 4).

            EXAMPLE
              audio-index vectors verify idx
            """
    )

    @Argument(help: ArgumentHelp("The index directory.", valueName: "dir"))
    var directory: String

    func run() throws {
        let index = try VectorIndex.open(directory: URL(fileURLWithPath: directory))
        try index.verify()
        print("ok: generation \(index.generation), \(index.segmentCount) segment(s), \(index.segmentBytes) bytes checked")
    }
}
