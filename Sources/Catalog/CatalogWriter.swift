import Foundation
import GRDB

/// The operations of one write transaction (`Catalog.write`). Valid only inside the closure.
public struct CatalogWriter {
    let db: Database
    let file: String

    /// What `insertClip` did.
    public enum Insertion: Sendable, Equatable {
        case inserted
        /// The id was present with the same audio hash: re-adding the same audio is a no-op.
        case alreadyPresent
    }

    // MARK: Clips and rows

    /// Adds a clip. The same id with the same audio hash is a no-op; with other audio it is refused
    /// naming both locators. A successful insert clears the clip's failure record.
    @discardableResult
    public func insertClip(_ clip: ClipRecord, generation: Int64) throws -> Insertion {
        if let existing = try Self.clip(db, id: clip.id) {
            if existing.audioHash == clip.audioHash { return .alreadyPresent }
            throw CatalogError.conflictingClip(file: file, id: clip.id, existing: existing.locator.description,
                                               new: clip.locator.description)
        }
        var member: String?, offset: Int64?, size: Int64?
        if case .archiveMember(_, let m, let o, let s) = clip.locator { (member, offset, size) = (m, o, s) }
        try db.execute(sql: """
            INSERT INTO clips (clip_id, path, member, member_offset, member_size, captions, tags, licence, source,
                               metadata, duration, sample_rate, channels, audio_hash, generation)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [clip.id, clip.locator.path, member, offset, size, Self.jsonList(clip.captions),
                             Self.jsonList(clip.tags), clip.licence, clip.source, clip.metadataJSON, clip.duration,
                             clip.sampleRate, clip.channels, clip.audioHash.lowercased(), generation])
        try db.execute(sql: "DELETE FROM failures WHERE clip_id = ?", arguments: [clip.id])
        return .inserted
    }

    /// Records vector row `row` (its number in the vector index) for the window of the audio with
    /// `audioHash` that starts at `startSeconds`. Each (audio, start) has one row.
    public func addRow(_ row: Int64, audioHash: String, startSeconds: Double, generation: Int64) throws {
        let hash = audioHash.lowercased()
        if try Bool.fetchOne(db, sql: "SELECT 1 FROM vector_rows WHERE audio_hash = ? AND start_seconds = ?",
                             arguments: [hash, startSeconds]) != nil {
            throw CatalogError.duplicateRow(file: file, row: row, audioHash: hash, startSeconds: startSeconds)
        }
        try db.execute(sql: "INSERT INTO vector_rows (row, audio_hash, start_seconds, generation) VALUES (?, ?, ?, ?)",
                       arguments: [row, hash, startSeconds, generation])
    }

    /// Makes clip `id` an owner of `row` (its own window, or a byte-identical duplicate's).
    public func link(clipID id: String, row: Int64) throws {
        guard let key = try Int64.fetchOne(db, sql: "SELECT clip_key FROM clips WHERE clip_id = ?", arguments: [id]) else {
            throw CatalogError.unknownClip(file: file, id: id)
        }
        try db.execute(sql: "INSERT OR IGNORE INTO clip_rows (clip_key, row) VALUES (?, ?)", arguments: [key, row])
    }

    /// Existing rows for audio with this hash, by window start.
    public func rows(forAudioHash hash: String) throws -> [(row: Int64, startSeconds: Double)] {
        try Self.rows(db, forAudioHash: hash)
    }

    /// Removes clips; returns the rows no clip owns any more (deleted here; tombstone them in the
    /// vector index), ascending. Rows shared with a remaining duplicate stay. Unknown ids are refused
    /// before anything changes.
    public func removeClips(ids: [String]) throws -> [Int64] {
        var keys: [Int64] = []
        for id in ids {
            guard let key = try Int64.fetchOne(db, sql: "SELECT clip_key FROM clips WHERE clip_id = ?", arguments: [id]) else {
                throw CatalogError.unknownClip(file: file, id: id)
            }
            keys.append(key)
        }
        var candidateRows = Set<Int64>()
        for key in keys {
            candidateRows.formUnion(try Int64.fetchAll(db, sql: "SELECT row FROM clip_rows WHERE clip_key = ?", arguments: [key]))
            try db.execute(sql: "DELETE FROM clips WHERE clip_key = ?", arguments: [key])
        }
        var freed: [Int64] = []
        for row in candidateRows.sorted() {
            let owners = try Int.fetchOne(db, sql: "SELECT count(*) FROM clip_rows WHERE row = ?", arguments: [row])!
            if owners == 0 {
                try db.execute(sql: "DELETE FROM vector_rows WHERE row = ?", arguments: [row])
                freed.append(row)
            }
        }
        return freed
    }

    // MARK: Generation, model, inputs

    /// Records the index generation this catalog now describes (step 2 of the commit order).
    public func setGeneration(_ generation: Int64) throws {
        precondition(generation >= 0)
        try db.execute(sql: "UPDATE catalog_info SET generation = ?", arguments: [generation])
    }

    public func generation() throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT generation FROM catalog_info WHERE id = 1") ?? 0
    }

    public func setModel(_ m: ModelFacts) throws {
        try db.execute(sql: """
            INSERT OR REPLACE INTO model (id, fingerprint, architecture, profile, long_clip_policy, dimension, model_path,
                                          text_tower_hash, layer_norm_epsilon, tokenizer_path, tokenizer_hash)
            VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [m.fingerprint, m.architecture, m.profile, m.longClipPolicy, m.dimension, m.modelPath,
                             m.textTowerHash, m.layerNormEpsilon, m.tokenizerPath, m.tokenizerHash])
    }

    public func model() throws -> ModelFacts? { try Self.model(db) }

    /// Replaces the recorded inputs.
    public func setInputs(_ inputs: [RecordedInput]) throws {
        try db.execute(sql: "DELETE FROM inputs")
        for (i, input) in inputs.enumerated() {
            try db.execute(sql: "INSERT INTO inputs (position, kind, location, shard_index, shard_count) VALUES (?, ?, ?, ?, ?)",
                           arguments: [i, input.kind.rawValue, input.location, input.shardIndex, input.shardCount])
        }
    }

    /// Marks an input file (shard, manifest) as fully indexed, so a resumed build skips it while its
    /// size and mtime are unchanged.
    public func markFileCompleted(path: String, size: Int64, mtimeNanoseconds: Int64, clips: Int, generation: Int64) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO completed_files (path, size, mtime_ns, clips, generation) VALUES (?, ?, ?, ?, ?)",
                       arguments: [path, size, mtimeNanoseconds, clips, generation])
    }

    // MARK: Failures and cache

    /// Records (or replaces, for the same clip id) a failure.
    public func recordFailure(_ f: FailureRecord, generation: Int64) throws {
        var member: String?, offset: Int64?, size: Int64?
        if case .archiveMember(_, let m, let o, let s) = f.locator { (member, offset, size) = (m, o, s) }
        if let id = f.clipID { try db.execute(sql: "DELETE FROM failures WHERE clip_id = ?", arguments: [id]) }
        try db.execute(sql: """
            INSERT INTO failures (clip_id, path, member, member_offset, member_size, stage, error, generation)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [f.clipID, f.locator.path, member, offset, size, f.stage.rawValue, f.error, generation])
    }

    /// Forgets the failures `--retry-failed` is about to retry (all, or those of one clip).
    public func clearFailures(clipID: String? = nil) throws {
        if let clipID {
            try db.execute(sql: "DELETE FROM failures WHERE clip_id = ?", arguments: [clipID])
        } else {
            try db.execute(sql: "DELETE FROM failures")
        }
    }

    /// Caches a model file's SHA-256 under its identity (one entry per path).
    public func cacheModelHash(_ sha256: String, for identity: FileIdentity) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO model_hash_cache (path, size, mtime_ns, inode, sha256) VALUES (?, ?, ?, ?, ?)",
                       arguments: [identity.path, identity.size, identity.mtimeNanoseconds, identity.inode, sha256])
    }

    // MARK: Shared row mapping

    static func jsonList(_ strings: [String]) -> String {
        let data = try! JSONSerialization.data(withJSONObject: strings, options: [.withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    static func decodeList(_ text: String?) -> [String] {
        guard let text, let data = text.data(using: .utf8),
              let list = try? JSONSerialization.jsonObject(with: data) as? [String] else { return [] }
        return list
    }

    static func locator(_ row: Row) -> ClipLocator {
        if let member: String = row["member"] {
            return .archiveMember(archive: row["path"], member: member, payloadOffset: row["member_offset"], size: row["member_size"])
        }
        return .file(path: row["path"])
    }

    static func clipRecord(_ row: Row) -> ClipRecord {
        ClipRecord(id: row["clip_id"], locator: locator(row), captions: decodeList(row["captions"]), tags: decodeList(row["tags"]),
                   licence: row["licence"], source: row["source"], metadataJSON: row["metadata"], duration: row["duration"],
                   sampleRate: row["sample_rate"], channels: row["channels"], audioHash: row["audio_hash"])
    }

    static func clip(_ db: Database, id: String) throws -> ClipRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM clips WHERE clip_id = ?", arguments: [id]).map(clipRecord)
    }

    static func rows(_ db: Database, ofClip id: String) throws -> [(row: Int64, startSeconds: Double)] {
        try Row.fetchAll(db, sql: """
            SELECT r.row, r.start_seconds FROM clips c JOIN clip_rows cr ON cr.clip_key = c.clip_key
            JOIN vector_rows r ON r.row = cr.row WHERE c.clip_id = ? ORDER BY r.start_seconds, r.row
            """, arguments: [id]).map { ($0[0], $0[1]) }
    }

    static func rows(_ db: Database, forAudioHash hash: String) throws -> [(row: Int64, startSeconds: Double)] {
        try Row.fetchAll(db, sql: "SELECT row, start_seconds FROM vector_rows WHERE audio_hash = ? ORDER BY start_seconds",
                         arguments: [hash.lowercased()]).map { ($0[0], $0[1]) }
    }

    static func model(_ db: Database) throws -> ModelFacts? {
        try Row.fetchOne(db, sql: "SELECT * FROM model WHERE id = 1").map { r in
            ModelFacts(fingerprint: r["fingerprint"], architecture: r["architecture"], profile: r["profile"],
                       longClipPolicy: r["long_clip_policy"], dimension: r["dimension"], modelPath: r["model_path"],
                       textTowerHash: r["text_tower_hash"], layerNormEpsilon: r["layer_norm_epsilon"],
                       tokenizerPath: r["tokenizer_path"], tokenizerHash: r["tokenizer_hash"])
        }
    }
}
