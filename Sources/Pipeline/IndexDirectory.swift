import Catalog
import Foundation
import VectorIndex

#if canImport(Glibc)
import Glibc
#endif

/// An index directory (Docs/IndexDirectory.md): `DIR/vectors/` and `DIR/catalog.sqlite`.
public struct IndexDirectory: Sendable {
    public let url: URL
    public init(_ path: String) { url = URL(fileURLWithPath: path) }
    public var vectors: URL { url.appendingPathComponent("vectors") }
    public var catalogURL: URL { url.appendingPathComponent("catalog.sqlite") }

    /// Opens the catalog read-only and the vector generation it records (never `CURRENT`).
    public func openForReading() throws -> (catalog: Catalog, vectors: VectorIndex) {
        guard FileManager.default.fileExists(atPath: catalogURL.path) else {
            throw PipelineError.notAnIndex(path: url.path, detail: "no catalog.sqlite")
        }
        let catalog = try Catalog(url: catalogURL, mode: .readOnly)
        let g = try catalog.generation()
        guard g > 0 else { throw PipelineError.notAnIndex(path: url.path, detail: "the first build never committed") }
        return (catalog, try VectorIndex(directory: vectors, generation: Int(g)))
    }
}

/// Deterministic crash points for the kill-and-resume tests: `AUDIO_INDEX_CRASH_AT=<name>:<count>`
/// ends the process with `_exit(137)` (as SIGKILL would, nothing flushed or cleaned) the
/// `count`-th time the writer passes point `name` (`after-vectors`, `after-catalog`, `after-clip`;
/// `merge` also `after-part`).
enum CrashPoint {
    nonisolated(unsafe) static var passes: [String: Int] = [:]
    static let target: (name: String, count: Int)? = {
        guard let spec = ProcessInfo.processInfo.environment["AUDIO_INDEX_CRASH_AT"] else { return nil }
        let parts = spec.split(separator: ":")
        guard parts.count == 2, let n = Int(parts[1]) else { return nil }
        return (String(parts[0]), n)
    }()

    static func pass(_ name: String) {
        guard let target, target.name == name else { return }
        passes[name, default: 0] += 1
        if passes[name] == target.count { _exit(137) }
    }
}
