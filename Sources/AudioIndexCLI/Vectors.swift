import ArgumentParser
import Diagnostics
import Foundation
import NumPyFormat
import VectorIndex

/// `audio-index vectors`: raw-vector index directories (any embedding), Docs/IndexFormat.md.
struct Vectors: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vectors",
        abstract: "Build, change and search a vector index directory of float32 vectors with int64 ids.",
        discussion: """
            An index is a directory of immutable segment files plus generation files; every change \
            (add, remove, compact) writes new files and then switches CURRENT atomically, so readers \
            never see a half-written state and a crash leaves the previous state intact. One writer at \
            a time: a second one is refused (exit 8). Format: Docs/IndexFormat.md.

            Inputs are .npy files: vectors '<f4' or '<f8' (converted to float32), shape (N, d); ids \
            '<i8', shape (N,), unique and ≥ 0. Metrics: inner product (ip, larger is better; for \
            L2-normalised embeddings this is cosine similarity) or squared L2 distance (l2, smaller is \
            better). Kinds: flat (exact search) or ivf (k-means inverted lists; a search scans the \
            --nprobe best lists, default 16).

            The write commands (add, remove, compact, retrain) refuse the vectors/ folder of a \
            pipeline index directory (one next to a catalog.sqlite): use the pipeline's commands there.

            EXAMPLES
              audio-index vectors build emb.npy --out idx --metric ip
              audio-index vectors build emb.npy --out idx-ivf --kind ivf --nlist 1024 --seed 7
              audio-index vectors train shard-base sample.npy --nlist 1024
              audio-index vectors retrain idx-ivf --nlist 2048
              audio-index vectors add idx more.npy --ids more_ids.npy
              audio-index vectors remove idx --ids gone.npy
              audio-index vectors search idx --queries q.npy -k 10 --out-ids I.npy --out-scores S.npy
              audio-index vectors info idx --format json
              audio-index vectors verify idx
              audio-index vectors compact idx
            """,
        subcommands: [VectorsBuild.self, VectorsTrain.self, VectorsAdd.self, VectorsRemove.self, VectorsCompact.self,
                      VectorsRetrain.self, VectorsSearch.self, VectorsInfo.self, VectorsVerify.self, VectorsExport.self]
    )
}

extension Metric: ExpressibleByArgument {}
extension VectorIndex.Kind: ExpressibleByArgument {}

/// The k-means options shared by build, train and retrain.
struct KMeansOptions: ParsableArguments {
    @Option(help: "Seed of the k-means sample and initial centroids (same seed, data and threads: same lists).")
    var seed: UInt64 = 1

    @Option(help: "Lloyd iterations of k-means.")
    var iterations: Int = 10

    @Option(name: .customLong("max-points-per-list"), help: "Train on at most this many sampled vectors per list.")
    var maxPointsPerList: Int = 256

    var options: KMeans.Options { .init(iterations: iterations, maxPointsPerCentroid: maxPointsPerList, seed: seed) }

    func validate() throws {
        guard iterations >= 0, maxPointsPerList >= 1 else { throw ValidationError("--iterations must be ≥ 0 and --max-points-per-list ≥ 1") }
    }
}

/// Opens `directory` for writing unless it belongs to a pipeline index directory.
func openWriter(_ directory: String, pipelineCommand: String) throws -> VectorIndexWriter {
    let url = URL(fileURLWithPath: directory)
    try VectorIndexWriter.refuseIfPipelineOwned(url, pipelineCommand: pipelineCommand)
    return try VectorIndexWriter(directory: url)
}

/// Reading the .npy inputs of the vectors commands.
enum VectorInput {
    /// Row-major float32 rows of a 2-D '<f4'/'<f8' array (a 1-D array is one row).
    static func vectors(_ path: String) throws -> (values: [Float], rows: Int, dimension: Int) {
        let array = try NPY.read(contentsOf: URL(fileURLWithPath: path))
        guard let values = array.float32Values() else {
            throw VectorIndexError.badInput(path: path, detail: "vectors must be float32 or float64 ('<f4' or '<f8'), not int64")
        }
        switch array.shape.count {
        case 1: return (values, 1, array.shape[0])
        case 2: return (values, array.shape[0], array.shape[1])
        default: throw VectorIndexError.badInput(path: path, detail: "vectors must be a 2-D array (N, d), got shape \(array.shape)")
        }
    }

    static func ids(_ path: String) throws -> [Int64] {
        let array = try NPY.read(contentsOf: URL(fileURLWithPath: path))
        guard let ids = array.int64Values(), array.shape.count == 1 else {
            throw VectorIndexError.badInput(path: path, detail: "ids must be a 1-D int64 ('<i8') array, got \(array.dtype.rawValue) of shape \(array.shape)")
        }
        return ids
    }
}

struct VectorsBuild: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Create a new index directory from a .npy matrix of vectors.",
        discussion: """
            The folder must not exist or be empty. Ids default to 0…N−1. With --kind ivf, k-means \
            (seeded, on at most 256 sampled vectors per list, 10 iterations) trains --nlist centroids \
            and every vector is stored in its nearest list.

            --fp16 stores the vectors as float16 (half the bytes per scan; searches are exact over \
            the stored halves, which differ from the float32 input by at most 2^-11 relative per \
            component). --sq8 (ivf only) adds one byte per component per vector: single queries scan \
            those codes and re-score the best 4·k rows exactly against the stored vectors, so the \
            reported scores are exact. Either makes a version 3 segment (Docs/IndexFormat.md §3.2), \
            which audio-index builds before it cannot open. add, compact and retrain keep the storage.

            EXAMPLES
              audio-index vectors build emb.npy --out idx --ids ids.npy --metric l2
              audio-index vectors build emb.npy --out idx --kind ivf --nlist 1024 --seed 7
              audio-index vectors build emb.npy --out idx16 --fp16
              audio-index vectors build emb.npy --out idx-sq8 --kind ivf --sq8
            """
    )

    @Argument(help: ArgumentHelp("The vectors, shape (N, d), '<f4' or '<f8'.", valueName: "vectors.npy"))
    var vectors: String

    @Option(help: ArgumentHelp("The index directory to create.", valueName: "dir"))
    var out: String

    @Option(help: ArgumentHelp("Ids for the vectors, '<i8' shape (N,). (default: 0…N−1)", valueName: "ids.npy"))
    var ids: String?

    @Option(help: "Metric: ip (inner product, descending) or l2 (squared distance, ascending).")
    var metric: Metric = .ip

    @Option(help: "Index kind: flat (exact) or ivf (inverted lists).")
    var kind: VectorIndex.Kind = .flat

    @Option(help: "IVF lists. (default: about 4·√N)")
    var nlist: Int?

    @OptionGroup var kmeans: KMeansOptions

    @Flag(help: "Store the vectors as float16 (default: float32).")
    var fp16 = false

    @Flag(help: "Add SQ8 codes to the inverted lists (ivf only; single queries scan them and re-rank exactly).")
    var sq8 = false

    func validate() throws {
        if let nlist, nlist < 1 { throw ValidationError("--nlist must be at least 1") }
        if nlist != nil && kind != .ivf { throw ValidationError("--nlist needs --kind ivf") }
        if sq8 && kind != .ivf { throw ValidationError("--sq8 needs --kind ivf") }
    }

    func run() throws {
        let v = try VectorInput.vectors(vectors)
        let idValues = try ids.map(VectorInput.ids)
        let start = Date()
        let w = try VectorIndexWriter.build(directory: URL(fileURLWithPath: out), dimension: v.dimension, metric: metric, vectors: v.values, ids: idValues,
                                            kind: kind == .ivf ? .ivf(nlist: nlist, options: kmeans.options) : .flat,
                                            storage: fp16 ? .float16 : .float32, sq8Lists: sq8)
        let lists = w.index.kind == .ivf ? ", \(w.index.nlist) lists" : ""
        StandardError.writeLine("audio-index: built \(out): \(v.rows) vectors of dimension \(v.dimension), metric \(metric.rawValue), \(kind.rawValue)\(lists), generation \(w.index.generation) in \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
    }
}

struct VectorsAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add vectors to an index as a new segment.",
        discussion: """
            Ids default to one past the largest id the index ever held (a removed id is never handed \
            out again). An id already in the index is an error and nothing is written. In an IVF index \
            each vector goes to its nearest list without retraining; `vectors info` shows the list \
            imbalance, and `vectors retrain` rebuilds the lists when it grows.

            EXAMPLE
              audio-index vectors add idx more.npy --ids more_ids.npy
            """
    )

    @Argument(help: ArgumentHelp("The index directory.", valueName: "dir"))
    var directory: String

    @Argument(help: ArgumentHelp("The vectors, shape (N, d) with the index's d, '<f4' or '<f8'.", valueName: "vectors.npy"))
    var vectors: String

    @Option(help: ArgumentHelp("Ids for the vectors, '<i8' shape (N,). (default: after the largest id ever held)", valueName: "ids.npy"))
    var ids: String?

    func run() throws {
        let writer = try openWriter(directory, pipelineCommand: "add")
        let v = try VectorInput.vectors(vectors)
        guard v.dimension == writer.index.dimension else {
            throw VectorIndexError.badInput(path: vectors, detail: "vectors have dimension \(v.dimension), the index \(writer.index.dimension)")
        }
        let g = try writer.add(vectors: v.values, ids: try ids.map(VectorInput.ids))
        StandardError.writeLine("audio-index: added \(v.rows) vectors to \(directory) (generation \(g), \(writer.index.liveCount) live)")
    }
}

struct VectorsRemove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Remove vectors by id (a tombstone file; compact reclaims the space).",
        discussion: """
            Ids not in the index are an error listing them, and nothing is written.

            EXAMPLE
              audio-index vectors remove idx --ids gone.npy
            """
    )

    @Argument(help: ArgumentHelp("The index directory.", valueName: "dir"))
    var directory: String

    @Option(help: ArgumentHelp("The ids to remove, '<i8' shape (M,).", valueName: "ids.npy"))
    var ids: String

    func run() throws {
        let writer = try openWriter(directory, pipelineCommand: "remove")
        let g = try writer.remove(ids: try VectorInput.ids(ids))
        StandardError.writeLine("audio-index: removed ids from \(directory) (generation \(g), \(writer.index.liveCount) live)")
    }
}

struct VectorsCompact: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Rewrite the live vectors into one segment and drop all tombstones.",
        discussion: """
            Old segment files are deleted once neither of the two newest generations lists them.

            EXAMPLE
              audio-index vectors compact idx
            """
    )

    @Argument(help: ArgumentHelp("The index directory.", valueName: "dir"))
    var directory: String

    func run() throws {
        let writer = try openWriter(directory, pipelineCommand: "compact")
        let g = try writer.compact()
        StandardError.writeLine("audio-index: compacted \(directory) into one segment (generation \(g), \(writer.index.liveCount) live)")
    }
}

struct VectorsTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Create a trained, empty IVF index from a sample of vectors.",
        discussion: """
            k-means on SAMPLE.npy (seeded; at most 256 sampled vectors per list) gives the centroids; \
            the new index holds no vectors. Copies of it can be filled by `vectors add` in parallel \
            (a sharded build): every copy shares the same lists.

            EXAMPLE
              audio-index vectors train base sample.npy --nlist 1024 --seed 7
              audio-index vectors add base part0.npy --ids part0_ids.npy
            """
    )

    @Argument(help: ArgumentHelp("The index directory to create.", valueName: "dir"))
    var directory: String

    @Argument(help: ArgumentHelp("Training vectors, shape (N, d), '<f4' or '<f8'.", valueName: "sample.npy"))
    var sample: String

    @Option(help: "IVF lists (at most the sample size).")
    var nlist: Int

    @Option(help: "Metric: ip (inner product, descending) or l2 (squared distance, ascending).")
    var metric: Metric = .ip

    @OptionGroup var kmeans: KMeansOptions

    @Flag(help: "Store added vectors as float16 (default: float32).")
    var fp16 = false

    @Flag(help: "Add SQ8 codes to the lists (parameters from the sample).")
    var sq8 = false

    func validate() throws {
        if nlist < 1 { throw ValidationError("--nlist must be at least 1") }
    }

    func run() throws {
        let v = try VectorInput.vectors(sample)
        let w = try VectorIndexWriter.train(directory: URL(fileURLWithPath: directory), dimension: v.dimension, metric: metric,
                                            sample: v.values, nlist: nlist, options: kmeans.options,
                                            storage: fp16 ? .float16 : .float32, sq8Lists: sq8)
        StandardError.writeLine("audio-index: trained \(directory): \(w.index.nlist) lists of dimension \(v.dimension) from \(v.rows) vectors, metric \(metric.rawValue), empty")
    }
}

struct VectorsRetrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retrain",
        abstract: "Re-run k-means on the live vectors and rebuild the inverted lists.",
        discussion: """
            Writes one new IVF segment with every live vector in its nearest new list and drops the \
            tombstones. A flat index becomes an IVF index. Run it when `vectors info` shows a list \
            imbalance well above the one after training (adds go to the nearest existing list).

            EXAMPLE
              audio-index vectors retrain idx --nlist 2048 --seed 3
            """
    )

    @Argument(help: ArgumentHelp("The index directory.", valueName: "dir"))
    var directory: String

    @Option(help: "IVF lists. (default: the current count; for a flat index about 4·√N)")
    var nlist: Int?

    @OptionGroup var kmeans: KMeansOptions

    func validate() throws {
        if let nlist, nlist < 1 { throw ValidationError("--nlist must be at least 1") }
    }

    func run() throws {
        let writer = try openWriter(directory, pipelineCommand: "retrain")
        let g = try writer.retrain(nlist: nlist, options: kmeans.options)
        StandardError.writeLine("audio-index: retrained \(directory): \(writer.index.nlist) lists, imbalance \(String(format: "%.2f", writer.index.listImbalance)) (generation \(g), \(writer.index.liveCount) live)")
    }
}
