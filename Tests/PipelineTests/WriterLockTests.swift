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
}
