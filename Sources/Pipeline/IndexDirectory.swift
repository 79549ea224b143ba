import Catalog
import Foundation
import VectorIndex


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
        return (catalog, try openVectors(recordedBy: catalog))
    }

    /// The vector generation `catalog` records now. A writer may commit twice between reading the
    /// generation and opening its files and so collect them: then the catalog has moved on and the
    /// newer generation is opened instead (the concurrency tests reach this).
    func openVectors(recordedBy catalog: Catalog) throws -> VectorIndex {
        var attempt = 0
        while true {
            let g = try catalog.generation()
            guard g > 0 else { throw PipelineError.notAnIndex(path: url.path, detail: "the first build never committed") }
            do {
                return try VectorIndex(directory: vectors, generation: Int(g))
            } catch VectorIndexError.missingFile(let path) {
                guard attempt < 20, try catalog.generation() != g else { throw VectorIndexError.missingFile(path: path) }
                attempt += 1
            }
        }
    }
}
