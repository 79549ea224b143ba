import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Named, enumerable crash points for the crash harness (issue 7 item 1, Docs/IndexDirectory.md
/// "Testing crash safety"). Writers call `CrashPoints.pass(name)` at each place where a kill would
/// leave a distinct state on disk; the harness lists `CrashPoints.all`, records which points a
/// command passes (`AUDIO_INDEX_CRASH_TRACE=FILE`: one name per line, appended as it happens) and
/// then kills the command at each of them (`AUDIO_INDEX_CRASH_AT=name:count`: the process sends
/// itself SIGKILL the count-th time it passes `name` — nothing flushed, nothing cleaned up).
///
/// `AUDIO_INDEX_STOP_AT=name:count` stops the process (SIGSTOP) there instead, so a test can look
/// at the index mid-change, start a second writer or a reader, then let it go on with SIGCONT.
///
/// With none of these set, `pass` is one load and a branch. A name missing from `all` is a bug
/// in the caller: with tracing on it is written as `UNREGISTERED name` so the harness fails, and
/// `AUDIO_INDEX_CRASH_AT` naming an unregistered point ends the process with exit 70 at once.
public enum CrashPoints {
    /// Where in the write path a point sits (RELIABILITY.md groups its figures by these).
    public enum Stage: String, CaseIterable, Sendable {
        case open, rollback, decode, embed, commit, segment, tombstone, generation, catalog, current, cleanup, merge
    }

    public struct Point: Sendable, Hashable {
        public let name: String
        public let stage: Stage
        /// What is on disk when a kill happens here.
        public let state: String
        public init(_ name: String, _ stage: Stage, _ state: String) {
            self.name = name
            self.stage = stage
            self.state = state
        }
    }

    /// Every crash point in the code. A new `pass(_:)` call site needs its name here; a merge or
    /// other new writer adds its points under its own stage and the harness picks them up.
    public static let all: [Point] = [
        // Opening a writer: lock, rollback (Docs/IndexDirectory.md "Who rolls back"), first build.
        Point("rollback.locked", .rollback, "writer lock held, nothing examined or changed yet"),
        Point("rollback.files-deleted", .rollback, "files newer than the catalog's generation deleted, CURRENT not yet repointed"),
        Point("rollback.current-fixed", .rollback, "CURRENT names the catalog's generation, leftover files not yet collected"),
        Point("build.catalog-opened", .open, "catalog created or opened, model fingerprinted; no vectors for a first build"),
        Point("build.vectors-created", .open, "first build: an empty gen-1 vector index exists, the catalog records generation 0"),
        Point("build.catalog-initialised", .open, "catalog records generation ≥ 1, the model and the inputs; no clip yet"),
        // Decoding.
        Point("decode.started", .decode, "a clip is about to be read and decoded"),
        Point("decode.member-read", .decode, "a tar member's bytes were read (streamed shard input)"),
        Point("decode.hashed", .decode, "a clip is decoded and its audio hash computed"),
        Point("dedupe.planned", .decode, "a group's clips are matched against the catalog; nothing embedded yet"),
        // Embedding.
        Point("embed.resampled", .embed, "a clip is mono at 48 kHz"),
        Point("embed.features", .embed, "a clip's log-mel features are computed"),
        Point("embed.window", .embed, "one 10 s window of a clip is encoded"),
        Point("embed.done", .embed, "every vector of a clip is computed, none written"),
        Point("after-clip", .embed, "a clip is queued for the next commit, nothing of it written"),
        // One pipeline commit (Docs/IndexDirectory.md "Commit order").
        Point("commit.started", .commit, "a group is about to be committed, nothing written"),
        Point("ivf.started", .commit, "build --kind ivf: every clip committed flat, training not started"),
        Point("remove.planned", .commit, "remove: the rows to free are known, nothing written"),
        Point("after-vectors", .commit, "step 1 done: segment/tombstone and gen-<g+1>.json written, catalog not committed"),
        Point("after-catalog", .commit, "step 2 done: catalog committed at g+1, CURRENT not moved"),
        Point("after-publish", .commit, "step 3 done: CURRENT moved, old files collected"),
        // Segment files (seg-<n>.vseg), written through a temp file.
        Point("vectors.kmeans-trained", .segment, "new IVF centroids computed in memory, nothing written"),
        Point("segment.temp-created", .segment, "an empty temp segment file exists"),
        Point("segment.header-written", .segment, "a temp segment holds its header only"),
        Point("segment.vectors-written", .segment, "a temp segment holds header and vectors, no ids or trailer"),
        Point("segment.written", .segment, "a temp segment is complete, not fsynced"),
        Point("segment.synced", .segment, "a temp segment is complete and fsynced, not renamed"),
        Point("segment.renamed", .segment, "seg-<n>.vseg is in place, its folder not fsynced"),
        // Tombstone files (tomb-<n>.npy).
        Point("tombstone.temp-created", .tombstone, "an empty temp tombstone file exists"),
        Point("tombstone.written", .tombstone, "a temp tombstone is complete, not fsynced"),
        Point("tombstone.synced", .tombstone, "a temp tombstone is fsynced, not renamed"),
        Point("tombstone.renamed", .tombstone, "tomb-<n>.npy is in place"),
        // Generation files (gen-<n>.json).
        Point("generation.temp-created", .generation, "an empty temp generation file exists"),
        Point("generation.written", .generation, "a temp generation file is complete, not fsynced"),
        Point("generation.synced", .generation, "a temp generation file is fsynced, not renamed"),
        Point("generation.renamed", .generation, "gen-<n>.json is in place, not yet staged"),
        Point("generation.staged", .generation, "gen-<n>.json written and staged; CURRENT untouched"),
        // The catalog transaction.
        Point("catalog.rows-inserted", .catalog, "inside the commit transaction: vector rows inserted, no clips"),
        Point("catalog.clips-inserted", .catalog, "inside the commit transaction: clips and links inserted"),
        Point("catalog.clips-removed", .catalog, "inside the remove transaction: clips deleted"),
        Point("catalog.transaction-body", .catalog, "a catalog transaction's statements ran, COMMIT not issued"),
        Point("catalog.committed", .catalog, "a catalog transaction committed to the WAL, not checkpointed"),
        Point("catalog.checkpointed", .catalog, "a catalog write checkpointed into catalog.sqlite"),
        // CURRENT.
        Point("current.temp-created", .current, "an empty temp CURRENT exists"),
        Point("current.written", .current, "a temp CURRENT is complete, not fsynced"),
        Point("current.synced", .current, "a temp CURRENT is fsynced, not renamed"),
        Point("current.renamed", .current, "CURRENT names the new generation, its folder not fsynced"),
        Point("current.reopened", .current, "the writer reopened the new generation; nothing collected"),
        // Garbage collection of files neither of the two newest generations lists.
        Point("gc.first-unlink", .cleanup, "the first unreferenced file was deleted, others remain"),
        Point("gc.done", .cleanup, "unreferenced files deleted"),
        // merge (IndexMerger): its commits pass the commit, catalog and file points above too.
        Point("after-part", .merge, "merge: one part's clips committed and published, the next part not begun"),
    ]

    public static let names: Set<String> = Set(all.map(\.name))

    /// Reads the fault-injection variables now, so a bad `AUDIO_INDEX_CRASH_AT` stops the
    /// process before it writes anything (the CLI calls this first).
    public static func checkEnvironment() { _ = Config.shared }

    /// Called by writers at each named point; see the type's documentation.
    public static func pass(_ name: String) {
        guard let config = Config.shared else { return }
        config.pass(name)
    }

    /// The fault-injection settings read once from the environment.
    final class Config: @unchecked Sendable {
        static let shared: Config? = {
            let env = ProcessInfo.processInfo.environment
            let trace = env["AUDIO_INDEX_CRASH_TRACE"]
            func parse(_ variable: String) -> (String, Int)? {
                guard let spec = env[variable] else { return nil }
                let parts = spec.split(separator: ":")
                guard parts.count == 2, let n = Int(parts[1]), n >= 1, names.contains(String(parts[0])) else {
                    let message = "audio-index: error: \(variable)=\(spec): expected <name>:<count ≥ 1> with a name from `audio-index crash-points`\n"
                    _ = message.withCString { Glibc.write(2, $0, strlen($0)) }
                    _exit(70)
                }
                return (String(parts[0]), n)
            }
            let target = parse("AUDIO_INDEX_CRASH_AT"), stop = parse("AUDIO_INDEX_STOP_AT")
            guard trace != nil || target != nil || stop != nil else { return nil }
            return Config(trace: trace, target: target, stop: stop)
        }()

        private let lock = NSLock()
        private var passes: [String: Int] = [:]
        private let target: (name: String, count: Int)?
        private let stop: (name: String, count: Int)?
        private let traceFD: Int32

        init(trace: String?, target: (String, Int)?, stop: (String, Int)?) {
            self.target = target
            self.stop = stop
            traceFD = trace.map { open($0, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644) } ?? -1
        }

        func pass(_ name: String) {
            lock.lock()
            defer { lock.unlock() }
            if traceFD >= 0 {
                let line = (names.contains(name) ? name : "UNREGISTERED " + name) + "\n"
                _ = line.withCString { Glibc.write(traceFD, $0, strlen($0)) }
            }
            guard target?.name == name || stop?.name == name else { return }
            passes[name, default: 0] += 1
            if let stop, stop.name == name, passes[name] == stop.count { kill(getpid(), SIGSTOP) }
            if let target, target.name == name, passes[name] == target.count {
                kill(getpid(), SIGKILL)
                while true { pause() }  // SIGKILL cannot be caught; nothing after this runs
            }
        }
    }
}
