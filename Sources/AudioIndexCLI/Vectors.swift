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
            '<i8', shape (N,), unique and ≥ 0. Search is exact (flat): inner product (ip, larger is \
            better; for L2-normalised embeddings this is cosine similarity) or squared L2 distance (l2, \
            smaller is better).

            EXAMPLES
              audio-index vectors build emb.npy --out idx --metric ip
              audio-index vectors add idx more.npy --ids more_ids.npy
              audio-index vectors remove idx --ids gone.npy
              audio-index vectors search idx --queries q.npy -k 10 --out-ids I.npy --out-scores S.npy
              audio-index vectors info idx --format json
              audio-index vectors verify idx
              audio-index vectors compact idx
            """,
        subcommands: [VectorsBuild.self, VectorsAdd.self, VectorsRemove.self, VectorsCompact.self,
                      VectorsSearch.self, VectorsInfo.self, VectorsVerify.self]
    )
}

extension Metric: ExpressibleByArgument {}

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
            The folder must not exist or be empty. Ids default to 0…N−1.

            EXAMPLE
              audio-index vectors build emb.npy --out idx --ids ids.npy --metric l2
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

    func run() throws {
        let v = try VectorInput.vectors(vectors)
        let idValues = try ids.map(VectorInput.ids)
        let w = try VectorIndexWriter.build(directory: URL(fileURLWithPath: out), dimension: v.dimension, metric: metric, vectors: v.values, ids: idValues)
        StandardError.writeLine("audio-index: built \(out): \(v.rows) vectors of dimension \(v.dimension), metric \(metric.rawValue), generation \(w.index.generation)")
    }
}

struct VectorsAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add vectors to an index as a new segment.",
        discussion: """
            Ids default to the index's largest stored id + 1 onwards. An id already in the index is \
            an error and nothing is written.

            EXAMPLE
              audio-index vectors add idx more.npy --ids more_ids.npy
            """
    )

    @Argument(help: ArgumentHelp("The index directory.", valueName: "dir"))
    var directory: String

    @Argument(help: ArgumentHelp("The vectors, shape (N, d) with the index's d, '<f4' or '<f8'.", valueName: "vectors.npy"))
    var vectors: String

    @Option(help: ArgumentHelp("Ids for the vectors, '<i8' shape (N,). (default: after the largest stored id)", valueName: "ids.npy"))
    var ids: String?

    func run() throws {
        let writer = try VectorIndexWriter(directory: URL(fileURLWithPath: directory))
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
        let writer = try VectorIndexWriter(directory: URL(fileURLWithPath: directory))
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
        let writer = try VectorIndexWriter(directory: URL(fileURLWithPath: directory))
        let g = try writer.compact()
        StandardError.writeLine("audio-index: compacted \(directory) into one segment (generation \(g), \(writer.index.liveCount) live)")
    }
}
