import GRDB

/// The catalog's tables, created and upgraded through GRDB's `DatabaseMigrator`
/// (Docs/CatalogSchema.md is the specification; keep the two in step).
enum CatalogSchema {
    /// The version this build writes and the newest it reads. Stored in `catalog_info.schema_version`.
    static let version = 1
    static let format = "audio-index-catalog"

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: v1)
        }
        return migrator
    }

    static let v1 = """
        CREATE TABLE catalog_info (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            format TEXT NOT NULL,
            schema_version INTEGER NOT NULL,
            generation INTEGER NOT NULL DEFAULT 0 CHECK (generation >= 0)
        );
        INSERT INTO catalog_info (id, format, schema_version, generation) VALUES (1, '\(format)', 1, 0);

        CREATE TABLE clips (
            clip_key INTEGER PRIMARY KEY,
            clip_id TEXT NOT NULL UNIQUE CHECK (clip_id <> ''),
            path TEXT NOT NULL CHECK (path <> ''),
            member TEXT,
            member_offset INTEGER,
            member_size INTEGER,
            captions TEXT NOT NULL DEFAULT '[]' CHECK (json_type(captions) = 'array'),
            tags TEXT NOT NULL DEFAULT '[]' CHECK (json_type(tags) = 'array'),
            licence TEXT,
            source TEXT,
            metadata TEXT,
            duration REAL NOT NULL CHECK (duration >= 0),
            sample_rate INTEGER NOT NULL CHECK (sample_rate > 0),
            channels INTEGER NOT NULL CHECK (channels > 0),
            audio_hash TEXT NOT NULL CHECK (length(audio_hash) = 64),
            generation INTEGER NOT NULL,
            CHECK ((member IS NULL AND member_offset IS NULL AND member_size IS NULL)
                OR (member IS NOT NULL AND member_offset >= 0 AND member_size >= 0))
        );
        CREATE INDEX clips_audio_hash ON clips (audio_hash);

        CREATE TABLE vector_rows (
            row INTEGER PRIMARY KEY CHECK (row >= 0),
            audio_hash TEXT NOT NULL,
            start_seconds REAL NOT NULL CHECK (start_seconds >= 0),
            generation INTEGER NOT NULL,
            UNIQUE (audio_hash, start_seconds)
        );

        CREATE TABLE clip_rows (
            clip_key INTEGER NOT NULL REFERENCES clips (clip_key) ON DELETE CASCADE,
            row INTEGER NOT NULL REFERENCES vector_rows (row) ON DELETE RESTRICT,
            PRIMARY KEY (clip_key, row)
        ) WITHOUT ROWID;
        CREATE INDEX clip_rows_row ON clip_rows (row);

        CREATE TABLE model (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            fingerprint TEXT NOT NULL,
            architecture TEXT NOT NULL,
            profile TEXT NOT NULL,
            long_clip_policy TEXT NOT NULL,
            dimension INTEGER NOT NULL CHECK (dimension > 0),
            model_path TEXT NOT NULL,
            text_tower_hash TEXT,
            layer_norm_epsilon REAL,
            tokenizer_path TEXT,
            tokenizer_hash TEXT
        );

        CREATE TABLE inputs (
            position INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('manifest', 'shards', 'dir')),
            location TEXT NOT NULL,
            shard_index INTEGER,
            shard_count INTEGER,
            CHECK ((shard_index IS NULL) = (shard_count IS NULL)),
            CHECK (shard_count IS NULL OR (shard_count > 0 AND shard_index >= 0 AND shard_index < shard_count))
        );

        CREATE TABLE completed_files (
            path TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            clips INTEGER NOT NULL,
            generation INTEGER NOT NULL
        );

        CREATE TABLE model_hash_cache (
            path TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            inode INTEGER NOT NULL,
            sha256 TEXT NOT NULL
        );

        CREATE TABLE failures (
            failure_key INTEGER PRIMARY KEY,
            clip_id TEXT UNIQUE,
            path TEXT NOT NULL,
            member TEXT,
            member_offset INTEGER,
            member_size INTEGER,
            stage TEXT NOT NULL CHECK (stage IN ('read', 'decode', 'resample', 'features', 'encode', 'index')),
            error TEXT NOT NULL,
            generation INTEGER NOT NULL
        );

        CREATE VIRTUAL TABLE clips_fts USING fts5 (captions, tags, tokenize = 'unicode61 remove_diacritics 2');
        CREATE TRIGGER clips_fts_insert AFTER INSERT ON clips BEGIN
            INSERT INTO clips_fts (rowid, captions, tags) VALUES (new.clip_key,
                (SELECT group_concat(value, char(10)) FROM json_each(new.captions)),
                (SELECT group_concat(value, char(10)) FROM json_each(new.tags)));
        END;
        CREATE TRIGGER clips_fts_delete AFTER DELETE ON clips BEGIN
            DELETE FROM clips_fts WHERE rowid = old.clip_key;
        END;
        CREATE TRIGGER clips_fts_update AFTER UPDATE OF captions, tags ON clips BEGIN
            DELETE FROM clips_fts WHERE rowid = old.clip_key;
            INSERT INTO clips_fts (rowid, captions, tags) VALUES (new.clip_key,
                (SELECT group_concat(value, char(10)) FROM json_each(new.captions)),
                (SELECT group_concat(value, char(10)) FROM json_each(new.tags)));
        END;
        """
}
