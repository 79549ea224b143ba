import Catalog
import Foundation
import GRDB
import Testing
import TestSupport

func hash(_ c: Character) -> String { String(repeating: c, count: 64) }

func clip(_ id: String, _ h: Character, locator: ClipLocator? = nil, captions: [String] = []) -> ClipRecord {
    ClipRecord(id: id, locator: locator ?? .file(path: "/audio/\(id).flac"), captions: captions, duration: 2.5,
               sampleRate: 48000, channels: 1, audioHash: hash(h))
}

/// Runs SQL on a database file directly (GRDB, no catalog checks): for setting up states the
/// Catalog API refuses to create.
func sqlite3(_ path: String, _ sql: String) throws {
    let queue = try DatabaseQueue(path: path)
    try queue.writeWithoutTransaction { try $0.execute(sql: sql) }
}

@Suite("Catalog")
struct CatalogTests {
    @Test("a new catalog stores its schema version and generation 0, in WAL mode, and reopens read-only")
    func create() throws {
        let folder = try TemporaryFolder()
        let url = folder.url.appendingPathComponent("catalog.sqlite")
        let catalog = try Catalog(url: url, mode: .create)
        #expect(try catalog.storedSchemaVersion() == Catalog.schemaVersion)
        #expect(try catalog.generation() == 0)
        try catalog.write { try $0.setGeneration(3) }
        // The WAL was checkpointed into the main file and truncated.
        let wal = folder.url.appendingPathComponent("catalog.sqlite-wal").path
        let walSize = (try? FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int) ?? 0
        #expect(walSize == 0)
        let reader = try Catalog(url: url, mode: .readOnly)
        #expect(try reader.generation() == 3)
        #expect(throws: CatalogError.readOnly(file: url.relativePath)) { try reader.write { try $0.setGeneration(4) } }
        #expect(throws: CatalogError.cannotOpen(file: folder.url.appendingPathComponent("none.sqlite").relativePath, detail: "no such file")) {
            try Catalog(url: folder.url.appendingPathComponent("none.sqlite"), mode: .readOnly)
        }
    }

    @Test("a catalog from a newer audio-index is refused with a clear message before anything is written")
    func newerSchema() throws {
        let folder = try TemporaryFolder()
        let url = folder.url.appendingPathComponent("catalog.sqlite")
        _ = try Catalog(url: url, mode: .create)
        try sqlite3(url.path, "UPDATE catalog_info SET schema_version = 99")
        let expected = CatalogError.newerSchema(file: url.relativePath, found: 99, supported: Catalog.schemaVersion)
        #expect(throws: expected) { try Catalog(url: url, mode: .readWrite) }
        #expect(throws: expected) { try Catalog(url: url, mode: .readOnly) }
        #expect(expected.description == "\(url.relativePath): catalog schema version 99 was written by a newer audio-index (this one reads up to 1) (upgrade audio-index)")
        #expect(expected.exitCode == .unsupported)
    }

    @Test("other SQLite databases and non-database files are not catalogs")
    func notACatalog() throws {
        let folder = try TemporaryFolder()
        let other = folder.url.appendingPathComponent("other.sqlite")
        try sqlite3(other.path, "CREATE TABLE t (x)")
        #expect(throws: CatalogError.notACatalog(file: other.relativePath)) { try Catalog(url: other, mode: .create) }
        let junk = folder.url.appendingPathComponent("junk.sqlite")
        try Data(repeating: 0x41, count: 4096).write(to: junk)
        #expect(throws: CatalogError.notACatalog(file: junk.relativePath)) { try Catalog(url: junk, mode: .readWrite) }
    }

    @Test("clips round-trip: file and tar-member locators, captions, tags, licence, metadata JSON verbatim, audio facts")
    func clips() throws {
        let folder = try TemporaryFolder()
        let catalog = try Catalog(url: folder.url.appendingPathComponent("c.sqlite"), mode: .create)
        let a = ClipRecord(id: "scratch/x/282776", locator: .archiveMember(archive: "shards/0.tar", member: "scratch/x/282776.flac",
                                                                         payloadOffset: 1536, size: 99_000),
                           captions: ["DSI Tetra – B4", "naïve café"], tags: ["synth"], licence: "CC0", source: "freesound",
                           metadataJSON: "{\n    \"text\": [\"a\"],  \"n\": 1.50e3\n}", duration: 10.25, sampleRate: 48000, channels: 1,
                           audioHash: hash("a"))
        let b = clip("rain", "b")
        let outcomes = try catalog.write { w in [try w.insertClip(a, generation: 1), try w.insertClip(b, generation: 1)] }
        #expect(outcomes == [.inserted, .inserted])
        #expect(try catalog.clip(id: a.id) == a)
        #expect(try catalog.clip(id: "rain") == b)
        #expect(try catalog.clip(id: "none") == nil)
        #expect(try catalog.allClips().map(\.id) == ["rain", "scratch/x/282776"])
    }

    @Test("duplicates share vector rows; removing clips frees a row only when its last owner goes")
    func sharing() throws {
        let folder = try TemporaryFolder()
        let catalog = try Catalog(url: folder.url.appendingPathComponent("c.sqlite"), mode: .create)
        try catalog.write { w in
            try w.insertClip(clip("long", "a"), generation: 1)
            try w.addRow(0, audioHash: hash("a"), startSeconds: 0, generation: 1)
            try w.addRow(1, audioHash: hash("a"), startSeconds: 10, generation: 1)
            try w.link(clipID: "long", row: 0)
            try w.link(clipID: "long", row: 1)
            // A byte-identical duplicate under another id shares both rows.
            try w.insertClip(clip("copy", "a"), generation: 1)
            for r in try w.rows(forAudioHash: hash("a")) { try w.link(clipID: "copy", row: r.row) }
            try w.insertClip(clip("other", "c"), generation: 1)
            try w.addRow(2, audioHash: hash("c"), startSeconds: 0, generation: 1)
            try w.link(clipID: "other", row: 2)
        }
        #expect(try catalog.rowCount() == 3)
        #expect(try catalog.owners(ofRows: [0, 1, 2]) == [
            0: [RowOwner(clipID: "copy", startSeconds: 0), RowOwner(clipID: "long", startSeconds: 0)],
            1: [RowOwner(clipID: "copy", startSeconds: 10), RowOwner(clipID: "long", startSeconds: 10)],
            2: [RowOwner(clipID: "other", startSeconds: 0)],
        ])
        #expect(try catalog.rows(ofClip: "copy").map(\.row) == [0, 1])
        #expect(try catalog.consistencyProblems() == [])
        #expect(try catalog.write { try $0.removeClips(ids: ["long"]) } == [])
        #expect(try catalog.rowCount() == 3)
        #expect(try catalog.write { try $0.removeClips(ids: ["copy", "other"]) } == [0, 1, 2])
        #expect(try catalog.rowCount() == 0 && catalog.clipCount() == 0)
        #expect(throws: CatalogError.unknownClip(file: catalog.file, id: "gone")) { try catalog.write { try $0.removeClips(ids: ["gone"]) } }
        #expect(throws: CatalogError.duplicateRow(file: catalog.file, row: 9, audioHash: hash("d"), startSeconds: 0)) {
            try catalog.write { w in
                try w.addRow(8, audioHash: hash("d"), startSeconds: 0, generation: 2)
                try w.addRow(9, audioHash: hash("d"), startSeconds: 0, generation: 2)
            }
        }
    }

    @Test("re-adding the same audio is a no-op; the same id with other audio is refused naming both locators")
    func conflicts() throws {
        let folder = try TemporaryFolder()
        let catalog = try Catalog(url: folder.url.appendingPathComponent("c.sqlite"), mode: .create)
        try catalog.write { try $0.insertClip(clip("x", "a"), generation: 1) }
        #expect(try catalog.write { try $0.insertClip(clip("x", "a", locator: .file(path: "/elsewhere.wav")), generation: 2) } == .alreadyPresent)
        let other = clip("x", "b", locator: .archiveMember(archive: "s/1.tar", member: "x.flac", payloadOffset: 512, size: 7))
        let error = CatalogError.conflictingClip(file: catalog.file, id: "x", existing: "/audio/x.flac", new: "s/1.tar:x.flac@512+7")
        #expect(throws: error) { _ = try catalog.write { try $0.insertClip(other, generation: 2) } }
        #expect(error.reason == "clip \"x\" is already indexed with different audio (at /audio/x.flac); refused the one at s/1.tar:x.flac@512+7")
    }

    @Test("a write that throws leaves nothing behind (one transaction)")
    func atomic() throws {
        struct Stop: Error {}
        let folder = try TemporaryFolder()
        let catalog = try Catalog(url: folder.url.appendingPathComponent("c.sqlite"), mode: .create)
        #expect(throws: Stop.self) {
            try catalog.write { w in
                try w.insertClip(clip("x", "a"), generation: 1)
                try w.setGeneration(1)
                throw Stop()
            }
        }
        #expect(try catalog.clipCount() == 0)
        #expect(try catalog.generation() == 0)
    }

    @Test("model facts, recorded inputs, completed files, failures and the model-hash cache round-trip")
    func facts() throws {
        let folder = try TemporaryFolder()
        let url = folder.url.appendingPathComponent("c.sqlite")
        let catalog = try Catalog(url: url, mode: .create)
        let model = ModelFacts(fingerprint: hash("f"), architecture: "HTSAT-tiny", profile: "laion", longClipPolicy: "segments",
                               dimension: 512, modelPath: "/m/630k.pt", textTowerHash: hash("t"), layerNormEpsilon: 1e-5,
                               tokenizerPath: "/m/tok", tokenizerHash: hash("k"))
        let inputs = [RecordedInput(kind: .shards, location: "data/*.tar", shardIndex: 1, shardCount: 4)]
        let identity = FileIdentity(path: "/m/630k.pt", size: 100, mtimeNanoseconds: 1_700_000_000_123_456_789, inode: 42)
        let failure = FailureRecord(clipID: "bad", locator: .archiveMember(archive: "0.tar", member: "bad.flac", payloadOffset: 512, size: 3),
                                    stage: .decode, error: "not an audio file")
        try catalog.write { w in
            try w.setModel(model)
            try w.setInputs(inputs)
            try w.markFileCompleted(path: "data/0.tar", size: 10240, mtimeNanoseconds: 5, clips: 512, generation: 1)
            try w.recordFailure(failure, generation: 1)
            try w.recordFailure(FailureRecord(clipID: nil, locator: .file(path: "data/1.tar"), stage: .read, error: "truncated"), generation: 1)
            try w.cacheModelHash(hash("f"), for: identity)
        }
        let reopened = try Catalog(url: url, mode: .readOnly)
        #expect(try reopened.model() == model)
        #expect(try reopened.inputs() == inputs)
        #expect(try reopened.completedFile(path: "data/0.tar")! == (10240, 5, 512))
        #expect(try reopened.failures().map(\.clipID) == ["bad", nil])
        #expect(try reopened.failures().first == failure)
        #expect(try reopened.cachedModelHash(for: identity) == hash("f"))
        var touched = identity
        touched.mtimeNanoseconds += 1
        #expect(try reopened.cachedModelHash(for: touched) == nil)
        touched = identity
        touched.inode = 43
        #expect(try reopened.cachedModelHash(for: touched) == nil)
        // Indexing the failed clip later clears its failure.
        try catalog.write { try $0.insertClip(clip("bad", "b"), generation: 2) }
        #expect(try catalog.failures().map(\.clipID) == [nil])
    }

    @Test("--match words find clips by caption and tag, case- and accent-insensitively; operators are plain words")
    func fullText() throws {
        let folder = try TemporaryFolder()
        let catalog = try Catalog(url: folder.url.appendingPathComponent("c.sqlite"), mode: .create)
        try catalog.write { w in
            try w.insertClip(clip("1", "a", captions: ["Rain on a tin roof", "heavy RAIN"]), generation: 1)
            try w.insertClip(clip("2", "b", captions: ["Café ambience"]), generation: 1)
            var dog = clip("3", "c", captions: ["dog barks NOT loudly"])
            dog.tags = ["animal"]
            try w.insertClip(dog, generation: 1)
        }
        #expect(try catalog.clipIDs(matchingWords: "rain") == ["1"])
        #expect(try catalog.clipIDs(matchingWords: "cafe") == ["2"])
        #expect(try catalog.clipIDs(matchingWords: "tin  roof") == ["1"])
        #expect(try catalog.clipIDs(matchingWords: "animal") == ["3"])
        #expect(try catalog.clipIDs(matchingWords: "NOT") == ["3"])
        #expect(try catalog.clipIDs(matchingWords: "rain dog") == [])
        #expect(try catalog.clipIDs(matchingWords: "\"unbalanced") == [])
        try catalog.write { _ = try $0.removeClips(ids: ["1"]) }
        #expect(try catalog.clipIDs(matchingWords: "rain") == [])
    }
}
