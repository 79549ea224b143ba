import Catalog
import Foundation
@testable import Pipeline
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

@Suite("build/add write nothing before they hold the writers' lock", .serialized)
struct WriterLockTests {
    @Test("a refused second writer (exit 8) leaves no model-hash cache entry; the same add without the lock caches the hash")
    func modelHashCachedUnderLock() throws {
        let corpus = try Corpus()
        defer { corpus.remove() }
        let idx = corpus.index("idx")
        _ = try corpus.build(idx)
        // The same weights at another path: a cache miss, so add hashes the model and would cache it.
        let copy = corpus.folder.appendingPathComponent("model-copy")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: Corpus.model), to: copy)
        let weights = copy.appendingPathComponent("model.safetensors").path
        func cached() throws -> String? {
            try Catalog(url: IndexDirectory(idx).catalogURL, mode: .readOnly).cachedModelHash(for: try fileIdentity(weights))
        }
        let fd = open(IndexDirectory(idx).vectors.appendingPathComponent("LOCK").path, O_RDWR)
        #expect(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
        let refused = try CLI.run(["add", "--index", idx, "--model", copy.path, "--manifest", corpus.manifest.path])
        close(fd)
        #expect(refused.status == 8, "\(refused.stderr)")
        #expect(try cached() == nil)
        let added = try CLI.run(["add", "--index", idx, "--model", copy.path, "--manifest", corpus.manifest.path])
        #expect(added.status == 0, "\(added.stderr)")
        #expect(try cached()?.count == 64)
    }

    @Test("build into a new folder whose lock another writer holds is refused (exit 8) before it creates or migrates the catalog: no catalog.sqlite appears")
    func buildRefusedBeforeCatalog() throws {
        let corpus = try Corpus()
        defer { corpus.remove() }
        let idx = IndexDirectory(corpus.index("idx"))
        try FileManager.default.createDirectory(at: idx.vectors, withIntermediateDirectories: true)
        let fd = open(idx.vectors.appendingPathComponent("LOCK").path, O_RDWR | O_CREAT, 0o644)
        #expect(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
        let refused = try CLI.run(["build", "--index", idx.url.path, "--model", Corpus.model, "--manifest", corpus.manifest.path])
        close(fd)
        #expect(refused.status == 8 && refused.stderr.contains("another process is writing this index"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: idx.catalogURL.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: idx.vectors.path) == ["LOCK"])
        // The lock released, the same build runs (the LOCK file left behind does not count as an index).
        let built = try CLI.run(["build", "--index", idx.url.path, "--model", Corpus.model, "--manifest", corpus.manifest.path])
        #expect([0, 1].contains(built.status), "\(built.stderr)")
        #expect(try IndexQuery(index: idx).verify().isEmpty)
    }
}
