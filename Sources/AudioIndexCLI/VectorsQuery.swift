import ArgumentParser
import Diagnostics
import Foundation
import NumPyFormat
import VectorIndex

struct VectorsSearch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Top-k search of a .npy matrix of queries (exact for flat, --nprobe lists for IVF); results as .npy.",
        discussion: """
            Output: ids '<i8' and scores '<f4', both shape (Q, k), best first (ip descending, l2 \
            squared distance ascending; equal scores by smaller id; non-finite scores after finite \
            ones, NaN last). Fewer than k results pad with id −1 and score NaN. With --allow-ids \
            only those ids are returned: for flat the exact top-k among them; IVF keeps probing lists \
            until k allowed ids were seen, and scans the allowed ids directly when they are under 1 % \
            of the index. IVF scans the --nprobe lists whose centroids score best (more while fewer \
            than k live results were seen).

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

    @Option(help: "IVF: lists scanned per query (ignored for flat).")
    var nprobe: Int = VectorIndex.defaultNProbe

    @Option(name: .customLong("allow-ids"), help: ArgumentHelp("Only return these ids, '<i8' shape (M,).", valueName: "ids.npy"))
    var allowIDs: String?

    @Option(name: .customLong("out-ids"), help: ArgumentHelp("Where to write the result ids (Q, k).", valueName: "ids.npy"))
    var outIDs: String

    @Option(name: .customLong("out-scores"), help: ArgumentHelp("Where to write the scores (Q, k). (default: not written)", valueName: "scores.npy"))
    var outScores: String?

    func validate() throws {
        if k < 1 { throw ValidationError("-k must be at least 1, got \(k)") }
        if nprobe < 1 { throw ValidationError("--nprobe must be at least 1, got \(nprobe)") }
    }

    func run() throws {
        let index = try VectorIndex.open(directory: URL(fileURLWithPath: directory))
        let q = try VectorInput.vectors(queries)
        guard q.dimension == index.dimension else {
            throw VectorIndexError.badInput(path: queries, detail: "queries have dimension \(q.dimension), the index \(index.dimension)")
        }
        let allowed = try allowIDs.map { Set(try VectorInput.ids($0)) }
        let r = index.search(queries: q.values, k: k, allowedIDs: allowed, nprobe: nprobe)
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
        let sizes = index.listSizes
        let listLine = index.kind == .ivf
            ? "\nlists: \(index.nlist), stored rows per list min \(sizes.min() ?? 0) / mean \(String(format: "%.1f", Double(sizes.reduce(0, +)) / Double(max(1, sizes.count)))) / max \(sizes.max() ?? 0), imbalance \(String(format: "%.3f", index.listImbalance)) (1 = even; retrain when it grows well above its value after training)"
            : ""
        switch format {
        case .text:
            print("""
                directory: \(directory)
                kind: \(index.kind.rawValue)\(listLine)
                generation: \(index.generation)
                dimension: \(index.dimension)
                metric: \(index.metric.rawValue)
                vectors: \(index.liveCount) live, \(index.storedCount) stored, \(index.tombstoneCount) removed
                storage: \(index.storage.rawValue)\(index.hasSQ8Lists ? " + SQ8 list codes (single queries re-rank the best \(VectorIndex.sq8Rerank)·k exactly)" : "")
                segments: \(index.segmentCount) (\(index.segmentBytes) bytes)
                format version: \(SegmentFormat.version)
                """)
        case .json:
            var line = JSONLine()
            line.add("directory", directory)
            line.add("kind", index.kind.rawValue)
            if index.kind == .ivf {
                line.add("nlist", index.nlist)
                line.add("list_min", sizes.min() ?? 0)
                line.add("list_max", sizes.max() ?? 0)
                line.add("list_imbalance", index.listImbalance)
            }
            line.add("generation", index.generation)
            line.add("dimension", index.dimension)
            line.add("metric", index.metric.rawValue)
            line.add("live", index.liveCount)
            line.add("stored", index.storedCount)
            line.add("removed", index.tombstoneCount)
            line.add("storage", index.storage.rawValue)
            line.add("sq8_lists", index.hasSQ8Lists)
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

struct VectorsExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the live vectors as a faiss index file or as .npy vectors + ids.",
        discussion: """
            --faiss writes what faiss.read_index loads: IndexIDMap over IndexFlatIP/IndexFlatL2 for a \
            flat index, IndexIVFFlat (same centroids and lists, nprobe 16) for IVF; labels are this \
            index's ids. --npy writes the vectors '<f4' (N, d) and, beside them (--ids-out, default \
            NAME_ids.npy), the ids '<i8' (N,) in the same order. Removed vectors are left out.

            EXAMPLES
              audio-index vectors export idx --faiss idx.faiss
              python -c "import faiss; print(faiss.read_index('idx.faiss').ntotal)"
              audio-index vectors export idx --npy live.npy --ids-out live_ids.npy
            """
    )

    @Argument(help: ArgumentHelp("The index directory.", valueName: "dir"))
    var directory: String

    @Option(help: ArgumentHelp("Write a faiss index file here.", valueName: "file"))
    var faiss: String?

    @Option(help: ArgumentHelp("Write the vectors as .npy here.", valueName: "file.npy"))
    var npy: String?

    @Option(name: .customLong("ids-out"), help: ArgumentHelp("With --npy: where the ids go. (default: NAME_ids.npy beside --npy)", valueName: "file.npy"))
    var idsOut: String?

    func validate() throws {
        if (faiss == nil) == (npy == nil) { throw ValidationError("give exactly one of --faiss FILE or --npy FILE") }
        if idsOut != nil && npy == nil { throw ValidationError("--ids-out needs --npy") }
    }

    func run() throws {
        let index = try VectorIndex.open(directory: URL(fileURLWithPath: directory))
        if let faiss {
            try index.exportFaiss(to: URL(fileURLWithPath: faiss))
            StandardError.writeLine("audio-index: wrote \(faiss): faiss \(index.kind == .ivf ? "IndexIVFFlat (\(index.nlist) lists)" : "IndexIDMap(IndexFlat)"), \(index.liveCount) vectors")
        } else if let npy {
            let ids = idsOut ?? (npy.hasSuffix(".npy") ? String(npy.dropLast(4)) : npy) + "_ids.npy"
            try index.exportNPY(vectors: URL(fileURLWithPath: npy), ids: URL(fileURLWithPath: ids))
            StandardError.writeLine("audio-index: wrote \(npy) and \(ids): \(index.liveCount) vectors")
        }
    }
}
