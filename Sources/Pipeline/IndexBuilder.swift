import AudioIO
import Catalog
import CLAPFrontEnd
import Diagnostics
import Foundation
import LinearAlgebra
import Manifest
import Shards
import VectorIndex

/// Where a build's clips come from.
public enum IndexInput: Sendable, Equatable {
    case manifest(String)
    case shards(String)
    case dir(String)

    var kind: RecordedInput.Kind {
        switch self { case .manifest: return .manifest; case .shards: return .shards; case .dir: return .dir }
    }
    var location: String {
        switch self { case .manifest(let p), .shards(let p), .dir(let p): return p }
    }
}

/// Everything `build` and `add` take.
public struct BuildOptions: Sendable {
    public enum Mode: String, Sendable { case build, add }
    public var mode: Mode = .build
    public var modelPath: String
    public var tokenizerPath: String?
    public var input: IndexInput
    public var index: IndexDirectory
    public var ivfLists: Int?
    public var wantsIVF = false
    public var profile: ProfileFamily?
    public var longClip: IndexLongClipPolicy = .center
    public var shard: (index: Int, count: Int)?
    public var retryFailed = false
    public var threads = 1
    /// A commit after this many clips or seconds, whichever comes first.
    public var commitClips = 256
    /// Decode in worker processes (the CLI's default), or in this process when nil.
    public var decodeIsolation: DecodeIsolation?
    public var commitSeconds: Double = 60

    public init(modelPath: String, input: IndexInput, index: IndexDirectory) {
        self.modelPath = modelPath
        self.input = input
        self.index = index
    }
}

/// What a run did.
public struct BuildSummary: Sendable, Equatable {
    public var embedded = 0
    public var duplicates = 0
    public var failed = 0
    public var skipped = 0
    public var vectors = 0
    public var seconds: Double = 0
    public var generation: Int64 = 0
    public var clipsInIndex = 0
    /// Thread-seconds per stage (decode, hash, resample, features, encoder, index, catalog).
    public var stageSeconds: [(stage: StageTimes.Stage, seconds: Double)] = []

    public static func == (a: BuildSummary, b: BuildSummary) -> Bool {
        a.embedded == b.embedded && a.duplicates == b.duplicates && a.failed == b.failed && a.skipped == b.skipped
            && a.vectors == b.vectors && a.seconds == b.seconds && a.generation == b.generation && a.clipsInIndex == b.clipsInIndex
            && a.stageSeconds.map(\.stage) == b.stageSeconds.map(\.stage) && a.stageSeconds.map(\.seconds) == b.stageSeconds.map(\.seconds)
    }
}

/// `build` / `add`: inputs → decode → audio hash → dedupe → front end → encoder → vectors + catalog,
/// committed in groups in the order of Docs/IndexDirectory.md, resumable after a kill at any point.
public final class IndexBuilder {
    let options: BuildOptions
    let model: AudioModel
    let catalog: Catalog
    let writer: VectorIndexWriter
    let fingerprintFacts: ModelFacts
    var summary = BuildSummary()
    let times = StageTimes()

    // The group being accumulated for the next commit.
    var pendingVectors: [Float] = []
    var pendingRows: [(hash: String, start: Double)] = []        // one per pending vector
    var pendingRowOfHash: [String: [Int]] = [:]                  // hash → indices into pendingRows
    var pendingClips: [(ClipRecord, existingRows: [Int64], newRows: [Int])] = []
    var pendingIDs: Set<String> = []
    var pendingFailures: [FailureRecord] = []
    var pendingCompleted: [(path: String, size: Int64, mtime: Int64, clips: Int)] = []
    var groupStart = ProcessInfo.processInfo.systemUptime
    /// One decode worker per thread, started on first use (`options.decodeIsolation`).
    lazy var decodeWorkers: [DecodeWorkerClient] = options.decodeIsolation.map { settings in
        (0..<max(1, options.threads)).map { _ in DecodeWorkerClient(settings: settings) }
    } ?? []

    public init(options: BuildOptions) throws {
        self.options = options
        let fm = FileManager.default
        try fm.createDirectory(at: options.index.url, withIntermediateDirectories: true)
        let lock = try options.index.takeWriterLock()
        let catalog = try Catalog(url: options.index.catalogURL, mode: .create)
        self.catalog = catalog
        let recorded = try catalog.model()
        if options.mode == .add && recorded == nil {
            throw PipelineError.notAnIndex(path: options.index.url.path, detail: "add needs an index made by build")
        }
        // The model: --model, its fingerprint against the recorded one (cache keyed by file identity).
        model = try AudioModel.load(path: options.modelPath, profile: options.profile)
        if model.encoder.configuration.enableFusion && ![.center, .segments].contains(options.longClip) {
            throw PipelineError.unsupported(detail: "a fusion model takes --long-clip center or segments")
        }
        let identity = try fileIdentity(model.checkpoint.tensors.path)
        // Hashed here, cached only below once the writer lock is held (a refused second writer writes nothing).
        let digest: String
        var digestToCache: String?
        if let cached = try catalog.cachedModelHash(for: identity) { digest = cached } else {
            digest = try model.tensorDigest()
            digestToCache = digest
        }
        var facts = ModelFacts(fingerprint: model.fingerprint(tensorDigest: digest, longClipPolicy: options.longClip.rawValue),
                               architecture: model.architecture, profile: model.profileName,
                               longClipPolicy: options.longClip.rawValue, dimension: model.dimension,
                               modelPath: Self.absolute(options.modelPath), tokenizerPath: options.tokenizerPath.map(Self.absolute))
        if recorded == nil, let text = TextFacts.compute(model: model, tokenizer: options.tokenizerPath) {
            facts.textTowerHash = text.textTowerHash
            facts.layerNormEpsilon = text.layerNormEpsilon
            facts.tokenizerPath = text.tokenizerPath
            facts.tokenizerHash = text.tokenizerHash
        }
        fingerprintFacts = facts
        CrashPoints.pass("build.catalog-opened")
        let recordedInput = RecordedInput(kind: options.input.kind, location: options.input.location,
                                          shardIndex: options.shard?.index, shardCount: options.shard?.count)
        if let recorded {
            try Self.compare(recorded, facts, index: options.index.url.path)
            let inputs = try catalog.inputs()
            if options.mode == .build, !inputs.isEmpty, !inputs.contains(recordedInput) {
                let was = inputs.map { "\($0.kind.rawValue) \($0.location)" + ($0.shardIndex.map { " --shard \($0)/\(inputs[0].shardCount ?? 0)" } ?? "") }
                throw PipelineError.indexMismatch(index: options.index.url.path, detail:
                    "it was built from \(was.joined(separator: ", ")), not \(recordedInput.kind.rawValue) \(recordedInput.location)"
                    + (recordedInput.shardIndex.map { " --shard \($0)/\(recordedInput.shardCount!)" } ?? "")
                    + " (use add to index more inputs)")
            }
        }
        // The vectors: created on the first build, else opened at the catalog's generation (rolling back).
        writer = try options.index.openWriter(catalog: catalog, dimension: model.dimension, lock: lock)
        let inputs = try catalog.inputs()
        try catalog.write { w in
            if let digestToCache { try w.cacheModelHash(digestToCache, for: identity) }
            if try w.generation() == 0 { try w.setGeneration(1) }
            if recorded == nil { try w.setModel(facts) }
            if !inputs.contains(recordedInput) { try w.setInputs(inputs + [recordedInput]) }
        }
        CrashPoints.pass("build.catalog-initialised")
    }

    /// Recorded paths are absolute, so `query` finds the model from any working directory.
    static func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }

    /// Names the first recorded fact that differs.
    static func compare(_ recorded: ModelFacts, _ now: ModelFacts, index: String) throws {
        guard let (name, was, isNow) = recorded.firstDifference(from: now) else { return }
        if name == "fingerprint" {
            throw PipelineError.indexMismatch(index: index, detail: "the model's audio-tower weights differ from those of \(recorded.modelPath) (fingerprint \(was.prefix(12))…, now \(isNow.prefix(12))…)")
        }
        throw PipelineError.indexMismatch(index: index, detail: "\(name) was \(was), now \(isNow)")
    }

    // MARK: - Running

    public func run() throws -> BuildSummary {
        let started = ProcessInfo.processInfo.systemUptime
        BLAS.setThreadCount(1)  // workers run whole clips; see --threads
        let units = try enumerateUnits()
        // Unknown when a shard has no sizes.json count (streamed tars).
        let counts = units.map { $0.entries?.count ?? $0.shard?.expectedCount }
        let total: Int? = counts.contains(where: { $0 == nil }) ? nil : counts.reduce(0) { $0 + $1! }
        let progress = ProgressReporter(label: options.mode.rawValue, total: total)
        let failures = try catalog.failures()
        let failedIDs = Set(failures.compactMap(\.clipID))
        for unit in units {
            if let key = unit.completionKey, !options.retryFailed || failures.isEmpty,
               let done = try catalog.completedFile(path: key), let id = try? fileIdentity(key),
               done.size == id.size, done.mtimeNanoseconds == id.mtimeNanoseconds {
                summary.skipped += unit.entries?.count ?? done.clips
                progress.advance(by: unit.entries?.count ?? done.clips)
                continue
            }
            var entries = unit.entries ?? []
            var problems = unit.problems
            if unit.entries == nil, let shard = unit.shard {
                do {
                    let r = try LAIONShardReader().read(shard: shard.url, expectedCount: shard.expectedCount)
                    entries = r.clips
                    problems += r.problems.map { FailureRecord(clipID: nil, locator: .file(path: shard.url.path), stage: .read, error: $0.description) }
                } catch {
                    problems.append(FailureRecord(clipID: nil, locator: .file(path: shard.url.path), stage: .read, error: ErrorReport.line(for: error)))
                }
            }
            // Already indexed (same id and locator) or failed before (unless --retry-failed): no work.
            var todo: [ManifestEntry] = []
            for e in entries {
                if let existing = try catalog.clip(id: e.id), existing.locator == locator(e) { summary.skipped += 1; progress.advance(); continue }
                if failedIDs.contains(e.id) && !options.retryFailed { summary.skipped += 1; progress.advance(); continue }
                todo.append(e)
            }
            // Input-level problems (bad manifest lines, damaged shards) have no clip id: recorded once.
            let known = Set(try catalog.failures().filter { $0.clipID == nil }.map { "\($0.locator)|\($0.stage.rawValue)|\($0.error)" })
            let fresh = problems.filter { !known.contains("\($0.locator)|\($0.stage.rawValue)|\($0.error)") }
            pendingFailures += fresh
            summary.failed += fresh.count
            let batch = max(1, options.threads) * 4
            for start in stride(from: 0, to: todo.count, by: batch) {
                let chunk = Array(todo[start..<min(start + batch, todo.count)])
                try process(chunk)
                progress.advance(by: chunk.count)
                if pendingClips.count + pendingFailures.count >= options.commitClips
                    || ProcessInfo.processInfo.systemUptime - groupStart >= options.commitSeconds {
                    try commit()
                }
            }
            if let key = unit.completionKey, let id = try? fileIdentity(key) {
                pendingCompleted.append((key, id.size, id.mtimeNanoseconds, entries.count))
            }
            try commit()
        }
        if options.wantsIVF { try trainIVFIfFlat(writer: writer, catalog: catalog, lists: options.ivfLists, seed: 1) }
        progress.finish()
        summary.seconds = ProcessInfo.processInfo.systemUptime - started
        summary.generation = try catalog.generation()
        summary.clipsInIndex = try catalog.clipCount()
        summary.vectors = try catalog.rowCount()
        summary.stageSeconds = times.snapshot
        return summary
    }

    struct Unit {
        var completionKey: String?
        var entries: [ManifestEntry]?
        var shard: ShardSet.Shard?
        var problems: [FailureRecord] = []
    }

    func enumerateUnits() throws -> [Unit] {
        switch options.input {
        case .manifest(let path):
            var problems: [FailureRecord] = []
            var entries = try ManifestReader.readSkippingBadLines(url: URL(fileURLWithPath: path)) { error in
                StandardError.warn(ErrorReport.line(for: error))
                problems.append(FailureRecord(clipID: nil, locator: .file(path: path), stage: .read, error: ErrorReport.line(for: error)))
            }
            if let s = options.shard { entries = entries.enumerated().filter { $0.offset % s.count == s.index }.map(\.element) }
            return [Unit(completionKey: options.shard == nil ? path : nil, entries: entries, problems: problems)]
        case .dir(let path):
            var (entries, failures) = try AudioFolderReader.entries(folder: URL(fileURLWithPath: path))
            if let s = options.shard { entries = entries.enumerated().filter { $0.offset % s.count == s.index }.map(\.element) }
            let problems = failures.map { FailureRecord(clipID: nil, locator: .file(path: path), stage: .read, error: ErrorReport.line(for: $0)) }
            return [Unit(completionKey: nil, entries: entries, problems: problems)]
        case .shards(let pattern):
            var set = try ShardSet.matching(pattern)
            if let s = options.shard { set = set.part(s.index, of: s.count) }
            return set.shards.map { Unit(completionKey: $0.url.path, entries: nil, shard: $0) }
        }
    }

    func locator(_ e: ManifestEntry) -> ClipLocator {
        if let m = e.archiveMember {
            return .archiveMember(archive: e.path, member: m.name, payloadOffset: m.payloadOffset, size: m.size)
        }
        return .file(path: e.resolvedURL.standardizedFileURL.path)
    }

    struct Decoded {
        var audio: DecodedAudio
        var hash: String
    }

    /// Decode + hash in parallel, dedupe serially, embed the new audio in parallel, queue for commit.
    func process(_ entries: [ManifestEntry]) throws {
        let times = self.times
        var nextWorker = 0
        let workers = decodeWorkers
        let decoded: [Result<Decoded, PipelineFailure>] = try parallelMap(count: entries.count, threads: options.threads, makeWorker: { () -> DecodeWorkerClient? in
            defer { nextWorker += 1 }
            return workers.isEmpty ? nil : workers[nextWorker % workers.count]
        }) { i, worker in
            let e = entries[i]
            CrashPoints.pass("decode.started")
            do {
                let audio: DecodedAudio = try times.measure(.decode) {
                    if let m = e.archiveMember {
                        let bytes = try ArchiveMemberReader.payload(archive: URL(fileURLWithPath: e.path), member: m)
                        CrashPoints.pass("decode.member-read")
                        return try worker.map { try $0.decode(bytes: bytes, name: m.name).get() } ?? AudioDecoder.decode(bytes: bytes, name: m.name)
                    }
                    return try worker.map { try $0.decode(path: e.resolvedURL.path).get() } ?? AudioDecoder.decode(path: e.resolvedURL.path)
                }
                let decoded = Decoded(audio: audio, hash: times.measure(.hash) { AudioHash.sha256(audio) })
                CrashPoints.pass("decode.hashed")
                return .success(decoded)
            } catch let failure as PipelineFailure {
                return .failure(failure)
            } catch {
                return .failure(PipelineFailure(stage: .decode, message: ErrorReport.line(for: error)))
            }
        }
        // Which audio needs embedding: not in the catalog, not earlier in this group.
        var toEmbed: [Int] = []
        var embedFor: [String: Int] = [:]
        var plan: [(entry: ManifestEntry, decoded: Decoded, existing: [Int64])?] = Array(repeating: nil, count: entries.count)
        for (i, r) in decoded.enumerated() {
            let e = entries[i]
            switch r {
            case .failure(let f):
                pendingFailures.append(FailureRecord(clipID: e.id, locator: locator(e), stage: .decode, error: f.message))
                summary.failed += 1
            case .success(let d):
                if let existing = try times.measure(.catalog, { try catalog.clip(id: e.id) }) {
                    if existing.audioHash == d.hash { summary.skipped += 1; continue }
                    pendingFailures.append(FailureRecord(clipID: e.id, locator: locator(e), stage: .index, error:
                        "id \(e.id) is already in the index with other audio (\(existing.locator)); this one is \(locator(e))"))
                    summary.failed += 1
                    continue
                }
                if pendingIDs.contains(e.id) {
                    pendingFailures.append(FailureRecord(clipID: e.id, locator: locator(e), stage: .index, error: "id \(e.id) appears twice in the inputs"))
                    summary.failed += 1
                    continue
                }
                let existing = try times.measure(.catalog) { try catalog.rows(forAudioHash: d.hash).map(\.row) }
                plan[i] = (e, d, existing)
                if existing.isEmpty && pendingRowOfHash[d.hash] == nil && embedFor[d.hash] == nil {
                    embedFor[d.hash] = i
                    toEmbed.append(i)
                }
            }
        }
        CrashPoints.pass("dedupe.planned")
        let policy = options.longClip
        let model = self.model
        let vectors: [Result<[ClipVector], PipelineFailure>] = try parallelMap(count: toEmbed.count, threads: options.threads,
                                                                               makeWorker: {
            let embedder = try ClipEmbedder(model: model, policy: policy)
            embedder.times = times
            return embedder
        }) { k, embedder in
            let result = embedder.embed(decoded: decoded[toEmbed[k]].value!.audio)
            CrashPoints.pass("embed.done")
            return result
        }
        var failedHashes: [String: PipelineFailure] = [:]
        for (k, i) in toEmbed.enumerated() {
            let hash = plan[i]!.decoded.hash
            switch vectors[k] {
            case .failure(let f): failedHashes[hash] = f
            case .success(let vs):
                pendingRowOfHash[hash] = vs.map { v in
                    pendingVectors += v.vector
                    pendingRows.append((hash, v.startSeconds))
                    return pendingRows.count - 1
                }
            }
        }
        for case let (e, d, existing)? in plan {
            if let f = failedHashes[d.hash] {
                pendingFailures.append(FailureRecord(clipID: e.id, locator: locator(e), stage: f.stage == .resample ? .resample : .encode, error: f.message))
                summary.failed += 1
                continue
            }
            let record = ClipRecord(id: e.id, locator: locator(e), captions: e.captions, tags: e.tags, licence: e.licence,
                                    source: e.source, metadataJSON: e.extraJSON, duration: d.audio.duration,
                                    sampleRate: d.audio.sampleRate, channels: d.audio.channels, audioHash: d.hash)
            let newRows = existing.isEmpty ? (pendingRowOfHash[d.hash] ?? []) : []
            if embedFor[d.hash] == entries.firstIndex(of: e) && !newRows.isEmpty { summary.embedded += 1 } else { summary.duplicates += 1 }
            pendingClips.append((record, existing, newRows))
            pendingIDs.insert(e.id)
            CrashPoints.pass("after-clip")
        }
    }

    /// One commit in the order of Docs/IndexDirectory.md: vectors (staged), catalog, CURRENT.
    func commit() throws {
        defer { groupStart = ProcessInfo.processInfo.systemUptime }
        let group = CommitGroup(vectors: pendingVectors, rows: pendingRows, clips: pendingClips, failures: pendingFailures, completed: pendingCompleted)
        guard !group.isEmpty else { return }
        try group.commit(writer: writer, catalog: catalog, times: times)
        pendingVectors = []; pendingRows = []; pendingRowOfHash = [:]; pendingClips = []; pendingIDs = []
        pendingFailures = []; pendingCompleted = []
    }
}

/// Path, size, mtime (ns) and inode of a file.
func fileIdentity(_ path: String) throws -> FileIdentity {
    var st = stat()
    guard stat(path, &st) == 0 else { throw PipelineError.notAnIndex(path: path, detail: "cannot stat (errno \(errno))") }
    return FileIdentity(path: path, size: Int64(st.st_size),
                        mtimeNanoseconds: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec), inode: Int64(st.st_ino))
}

extension Result {
    var value: Success? { if case .success(let v) = self { return v }; return nil }
}
