import Diagnostics
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Every way a vector index, its inputs or a concurrent writer can refuse an operation. Each case
/// names the file and says what to do (house style; usearch's "please rebuild" messages, anchors §4b).
public enum VectorIndexError: UserFacingError, Equatable {
    /// The folder has no `CURRENT` file.
    case notAnIndex(path: String)
    /// `build --out` names a folder that already holds files.
    case indexExists(path: String)
    /// A structural check failed at open: magic, header checksum, offsets, counts, generation JSON.
    case corrupt(path: String, detail: String)
    /// The file is shorter or longer than its header says.
    case wrongSize(path: String, expected: Int, actual: Int)
    /// A section's CRC-32C differs from the header's (found by `verify`).
    case checksumMismatch(path: String, section: String)
    /// Written by a newer audio-index.
    case newerVersion(path: String, version: Int)
    /// A file the generation lists is gone, even after re-reading `CURRENT`.
    case missingFile(path: String)
    /// Another writer holds `LOCK`.
    case locked(path: String)
    /// Input vectors or ids cannot be used (wrong shape, dtype, dimension, duplicates).
    case badInput(path: String, detail: String)
    /// `add` with ids the index already holds; nothing was written.
    case duplicateIDs(path: String, ids: [Int64], total: Int)
    /// `remove` with ids the index does not hold; nothing was written.
    case unknownIDs(path: String, ids: [Int64], total: Int)
    /// The system refused a file operation.
    case io(path: String, errno: Int32)
    /// A raw `vectors` write command on the vector folder of a pipeline index directory (one whose
    /// parent holds `catalog.sqlite`): the catalog would no longer match the vectors.
    case pipelineIndex(path: String, pipeline: String, command: String)

    public var subject: String? {
        switch self {
        case .notAnIndex(let p), .indexExists(let p), .corrupt(let p, _), .wrongSize(let p, _, _),
             .checksumMismatch(let p, _), .newerVersion(let p, _), .missingFile(let p), .locked(let p),
             .badInput(let p, _), .duplicateIDs(let p, _, _), .unknownIDs(let p, _, _), .io(let p, _), .pipelineIndex(let p, _, _):
            return p
        }
    }

    public var reason: String {
        switch self {
        case .notAnIndex: return "not a vector index (no CURRENT file)"
        case .indexExists: return "the folder already exists and is not empty"
        case .corrupt(_, let d): return "corrupt vector index file: \(d)"
        case .wrongSize(_, let e, let a): return "the file holds \(a) bytes but its header describes \(e) (truncated or damaged)"
        case .checksumMismatch(_, let s): return "the \(s) section's CRC-32C does not match the header (the bytes were damaged on disk)"
        case .newerVersion(_, let v): return "written by a newer audio-index (segment format version \(v); this build reads version \(SegmentFormat.version))"
        case .missingFile: return "a file listed by the index's current generation is missing"
        case .locked: return "another process is writing this index (it holds LOCK)"
        case .badInput(_, let d): return d
        case .duplicateIDs(_, let ids, let total): return "\(total) id(s) are already in the index: \(Self.list(ids, total))"
        case .unknownIDs(_, let ids, let total): return "\(total) id(s) are not in the index: \(Self.list(ids, total))"
        case .io(_, let e): return String(cString: strerror(e))
        case .pipelineIndex(_, let pipeline, _): return "this vector index belongs to the pipeline index \(pipeline) (it has a catalog.sqlite); changing it here would leave the catalog out of step"
        }
    }

    public var hint: String? {
        switch self {
        case .notAnIndex: return "create one with: audio-index vectors build VECTORS.npy --out DIR"
        case .indexExists: return "choose a new folder, or add to the existing index with: audio-index vectors add"
        case .corrupt, .wrongSize, .checksumMismatch, .missingFile:
            return "run `audio-index vectors verify DIR` for details, then rebuild the index from its vectors or restore it from a backup"
        case .newerVersion: return "upgrade audio-index to read it, or rebuild the index with this version"
        case .locked: return "wait for the other add/remove/compact to finish and run again; nothing was changed"
        case .duplicateIDs: return "nothing was written; remove those ids first or pass other --ids"
        case .unknownIDs: return "nothing was written; check the ids with `audio-index vectors info`"
        case .io(_, let e): return e == ENOSPC ? "the disk is full: free space and run again" : nil
        case .badInput: return nil
        case .pipelineIndex(_, let pipeline, let command): return "nothing was changed; use `audio-index \(command) --index \(pipeline)` instead"
        }
    }

    public var exitCode: ProcessExitCode {
        switch self {
        case .notAnIndex, .indexExists, .badInput, .duplicateIDs, .unknownIDs, .pipelineIndex: return .badInput
        case .corrupt, .wrongSize, .checksumMismatch, .missingFile: return .corrupt
        case .newerVersion: return .unsupported
        case .locked: return .locked
        case .io: return .ioFailure
        }
    }

    private static func list(_ ids: [Int64], _ total: Int) -> String {
        ids.map(String.init).joined(separator: ", ") + (total > ids.count ? ", … (\(total - ids.count) more)" : "")
    }
}
