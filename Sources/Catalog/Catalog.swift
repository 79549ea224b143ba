import Diagnostics
import Foundation
import GRDB

/// An index's SQLite catalog (`DIR/catalog.sqlite`, Docs/CatalogSchema.md): clips, the vector rows
/// they own, the model, the inputs, failures, the model-hash cache and the generation it records.
///
/// Writes go through `write(_:)`: one transaction, then `PRAGMA wal_checkpoint(TRUNCATE)`, so after
/// every write command the database is one self-contained file a reader can open read-only (and
/// with `immutable=1` in a read-only folder). The catalog knows nothing about vectors beyond their
/// `Int64` row numbers.
public final class Catalog: Sendable {
    public enum Mode: Sendable {
        /// Create the file if it is missing; upgrade an older schema.
        case create
        /// The file must exist; upgrade an older schema.
        case readWrite
        /// The file must exist; nothing is written (an older schema is read as it is only if it is current).
        case readOnly
    }

    /// The newest schema version this build reads and the one it writes.
    public static let schemaVersion = CatalogSchema.version

    /// The file as named in messages.
    public let file: String
    public let mode: Mode
    private let queue: DatabaseQueue

    /// Opens (or creates) the catalog at `url`.
    ///
    /// Checks, before anything is written: the file is an audio-index catalog (`catalog_info.format`)
    /// or, with `.create`, an empty database; its schema version is not newer than
    /// `Catalog.schemaVersion`. Older schemas are migrated in read-write modes.
    public init(url: URL, mode: Mode) throws {
        let file = url.isFileURL ? url.relativePath : url.absoluteString
        self.file = file
        self.mode = mode
        if mode != .create && !FileManager.default.fileExists(atPath: url.path) {
            throw CatalogError.cannotOpen(file: file, detail: "no such file")
        }
        var configuration = Configuration()
        configuration.readonly = mode == .readOnly
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        if mode != .readOnly {
            // AUDIO_INDEX_CATALOG_MAX_PAGES (disk-full tests, RELIABILITY.md): the file may not grow
            // past that many pages, so a write that needs more fails with SQLITE_FULL as on a full disk.
            let maxPages = ProcessInfo.processInfo.environment["AUDIO_INDEX_CATALOG_MAX_PAGES"].flatMap { Int($0) }
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA journal_mode = WAL")
                if let maxPages { try db.execute(sql: "PRAGMA max_page_count = \(maxPages)") }
            }
        }
        do {
            queue = try DatabaseQueue(path: url.path, configuration: configuration)
            try queue.inDatabase { db in
                guard try db.tableExists("catalog_info") else {
                    let tables = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master")!
                    if tables > 0 || mode != .create { throw CatalogError.notACatalog(file: file) }
                    return
                }
                guard let row = try Row.fetchOne(db, sql: "SELECT format, schema_version FROM catalog_info WHERE id = 1"),
                      (row["format"] as String?) == CatalogSchema.format else {
                    throw CatalogError.notACatalog(file: file)
                }
                let version: Int = row["schema_version"]
                if version > CatalogSchema.version {
                    throw CatalogError.newerSchema(file: file, found: version, supported: CatalogSchema.version)
                }
            }
            if mode != .readOnly {
                try CatalogSchema.migrator.migrate(queue)
                try queue.writeWithoutTransaction { db in
                    try db.execute(sql: "UPDATE catalog_info SET schema_version = ?", arguments: [CatalogSchema.version])
                    try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
                }
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw CatalogError.notACatalog(file: file)
        } catch let error as CatalogError {
            throw error
        } catch {
            throw CatalogError.from(error, file: file)
        }
    }

    // MARK: - Writing

    /// Runs `body` in one transaction (all or nothing), then checkpoints the WAL into the main
    /// file with `PRAGMA wal_checkpoint(TRUNCATE)`.
    @discardableResult
    public func write<T>(_ body: (CatalogWriter) throws -> T) throws -> T {
        guard mode != .readOnly else { throw CatalogError.readOnly(file: file) }
        do {
            let result = try queue.write { db in
                let result = try body(CatalogWriter(db: db, file: file))
                CrashPoints.pass("catalog.transaction-body")
                return result
            }
            CrashPoints.pass("catalog.committed")
            try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
            CrashPoints.pass("catalog.checkpointed")
            return result
        } catch let error as CatalogError {
            throw error
        } catch {
            throw CatalogError.from(error, file: file)
        }
    }

    // MARK: - Reading

    /// Runs a read; GRDB errors become `CatalogError`s.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try queue.read(body)
        } catch let error as CatalogError {
            throw error
        } catch {
            throw CatalogError.from(error, file: file)
        }
    }

    /// The index generation the catalog records: readers open this one (Docs/IndexDirectory.md).
    public func generation() throws -> Int64 {
        try read { db in try Int64.fetchOne(db, sql: "SELECT generation FROM catalog_info WHERE id = 1") ?? 0 }
    }

    /// The schema version stored in the file.
    public func storedSchemaVersion() throws -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT schema_version FROM catalog_info WHERE id = 1") ?? 0 }
    }

    public func clip(id: String) throws -> ClipRecord? {
        try read { db in try CatalogWriter.clip(db, id: id) }
    }

    /// Every clip, ordered by id (byte order), for export and comparisons.
    public func allClips() throws -> [ClipRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM clips ORDER BY clip_id COLLATE BINARY").map(CatalogWriter.clipRecord)
        }
    }

    public func clipCount() throws -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM clips")! }
    }

    /// Vector rows the catalog maps (= live rows of the vector index at the recorded generation).
    public func rowCount() throws -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM vector_rows")! }
    }

    /// Every row with its owners, ordered by row then clip id.
    public func owners(ofRows rows: [Int64]) throws -> [Int64: [RowOwner]] {
        try read { db in
            var out: [Int64: [RowOwner]] = [:]
            for chunk in stride(from: 0, to: rows.count, by: 500).map({ Array(rows[$0..<min($0 + 500, rows.count)]) }) {
                let marks = databaseQuestionMarks(count: chunk.count)
                let cursor = try Row.fetchCursor(db, sql: """
                    SELECT r.row, c.clip_id, r.start_seconds FROM vector_rows r
                    JOIN clip_rows cr ON cr.row = r.row JOIN clips c ON c.clip_key = cr.clip_key
                    WHERE r.row IN (\(marks)) ORDER BY r.row, c.clip_id COLLATE BINARY
                    """, arguments: StatementArguments(chunk))
                while let row = try cursor.next() {
                    out[row[0], default: []].append(RowOwner(clipID: row[1], startSeconds: row[2]))
                }
            }
            return out
        }
    }

    /// The rows a clip owns with their window starts, by start.
    public func rows(ofClip id: String) throws -> [(row: Int64, startSeconds: Double)] {
        try read { db in try CatalogWriter.rows(db, ofClip: id) }
    }

    /// Existing rows for decoded audio with this hash (a duplicate shares them), by start.
    public func rows(forAudioHash hash: String) throws -> [(row: Int64, startSeconds: Double)] {
        try read { db in try CatalogWriter.rows(db, forAudioHash: hash) }
    }

    public func model() throws -> ModelFacts? {
        try read { db in try CatalogWriter.model(db) }
    }

    public func inputs() throws -> [RecordedInput] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM inputs ORDER BY position").map { row in
                RecordedInput(kind: RecordedInput.Kind(rawValue: row["kind"]) ?? .manifest, location: row["location"],
                              shardIndex: row["shard_index"], shardCount: row["shard_count"])
            }
        }
    }

    /// Size and mtime recorded for a fully indexed input file (a shard or manifest), if any.
    public func completedFile(path: String) throws -> (size: Int64, mtimeNanoseconds: Int64, clips: Int)? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT size, mtime_ns, clips FROM completed_files WHERE path = ?", arguments: [path])
                .map { ($0["size"], $0["mtime_ns"], $0["clips"]) }
        }
    }

    /// Every vector row with the audio and window it was computed from, by row (`merge` reads a
    /// part's rows this way: a clip owns exactly the rows of its audio hash).
    public func allRows() throws -> [(row: Int64, audioHash: String, startSeconds: Double)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT row, audio_hash, start_seconds FROM vector_rows ORDER BY row").map { ($0[0], $0[1], $0[2]) }
        }
    }

    /// Every fully indexed input file with its recorded size, mtime and clip count, by path.
    public func completedFiles() throws -> [(path: String, size: Int64, mtimeNanoseconds: Int64, clips: Int)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT path, size, mtime_ns, clips FROM completed_files ORDER BY path")
                .map { ($0["path"], $0["size"], $0["mtime_ns"], $0["clips"]) }
        }
    }

    /// Every cached model-file hash with the identity it is valid for, by path.
    public func cachedModelHashes() throws -> [(identity: FileIdentity, sha256: String)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM model_hash_cache ORDER BY path").map {
                (FileIdentity(path: $0["path"], size: $0["size"], mtimeNanoseconds: $0["mtime_ns"], inode: $0["inode"]), $0["sha256"])
            }
        }
    }

    /// Failures in the order they were recorded.
    public func failures() throws -> [FailureRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM failures ORDER BY failure_key").map { row in
                FailureRecord(clipID: row["clip_id"], locator: CatalogWriter.locator(row),
                              stage: FailureRecord.Stage(rawValue: row["stage"]) ?? .read, error: row["error"])
            }
        }
    }

    /// The cached SHA-256 for `identity`, if the cache holds it with the same size, mtime and inode.
    public func cachedModelHash(for identity: FileIdentity) throws -> String? {
        try read { db in
            try String.fetchOne(db, sql: """
                SELECT sha256 FROM model_hash_cache WHERE path = ? AND size = ? AND mtime_ns = ? AND inode = ?
                """, arguments: [identity.path, identity.size, identity.mtimeNanoseconds, identity.inode])
        }
    }

    /// Ids of the clips whose captions or tags contain every word (FTS5, case- and accent-insensitive),
    /// best match first. Words are quoted, so FTS5 operators in them are plain text.
    public func clipIDs(matchingWords words: String) throws -> [String] {
        let terms = words.split(whereSeparator: { $0.isWhitespace }).map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        guard !terms.isEmpty else { return [] }
        return try read { db in
            try String.fetchAll(db, sql: """
                SELECT c.clip_id FROM clips_fts JOIN clips c ON c.clip_key = clips_fts.rowid
                WHERE clips_fts MATCH ? ORDER BY bm25(clips_fts), c.clip_id
                """, arguments: [terms.joined(separator: " ")])
        }
    }

    /// Runs SQLite's integrity check and the catalog's own consistency rules; returns the problems
    /// found (empty when sound).
    public func consistencyProblems() throws -> [String] {
        try read { db in
            var problems = try String.fetchAll(db, sql: "PRAGMA integrity_check").filter { $0 != "ok" }
            problems += try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").map { "foreign key broken in \($0[0] as String)" }
            let orphans = try Int.fetchOne(db, sql: "SELECT count(*) FROM vector_rows WHERE row NOT IN (SELECT row FROM clip_rows)")!
            if orphans > 0 { problems.append("\(orphans) vector rows belong to no clip") }
            let rowless = try Int.fetchOne(db, sql: "SELECT count(*) FROM clips WHERE clip_key NOT IN (SELECT clip_key FROM clip_rows)")!
            if rowless > 0 { problems.append("\(rowless) clips own no vector row") }
            let mismatched = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM clip_rows cr JOIN clips c ON c.clip_key = cr.clip_key
                JOIN vector_rows r ON r.row = cr.row WHERE r.audio_hash <> c.audio_hash
                """)!
            if mismatched > 0 { problems.append("\(mismatched) clip rows point at another audio's vector") }
            return problems
        }
    }
}

extension Catalog {
    /// Ids of the clips that satisfy `filter`, in byte order.
    public func clipIDs(where filter: CatalogFilter) throws -> [String] {
        let (condition, arguments) = filter.sql(clipsAlias: "c")
        return try read { db in
            try String.fetchAll(db, sql: "SELECT c.clip_id FROM clips c WHERE \(condition) ORDER BY c.clip_id COLLATE BINARY",
                                arguments: arguments)
        }
    }

    /// The vector rows owned by at least one clip that satisfies `filter`: the allow-list a filtered
    /// search scans (a row shared by duplicates passes if any owner does).
    public func rows(where filter: CatalogFilter) throws -> Set<Int64> {
        let (condition, arguments) = filter.sql(clipsAlias: "c")
        return try read { db in
            Set(try Int64.fetchAll(db, sql: """
                SELECT DISTINCT cr.row FROM clip_rows cr JOIN clips c ON c.clip_key = cr.clip_key WHERE \(condition)
                """, arguments: arguments))
        }
    }
}
