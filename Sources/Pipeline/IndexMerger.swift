import Catalog
import Diagnostics
import Foundation
import VectorIndex

#if canImport(Glibc)
import Glibc
#endif

/// Everything `merge` takes.
public struct MergeOptions: Sendable {
    /// The merged index (created, or resumed after a kill).
    public var output: IndexDirectory
    /// The part directories written by `build --shard i/N`, every i of one N.
    public var parts: [IndexDirectory]
    public var wantsIVF = false
    public var ivfLists: Int?
    /// The k-means seed of `--kind ivf` (build uses 1).
    public var seed: UInt64 = 1
    /// A commit after this many clips, and at the end of every part.
    public var commitClips = 65_536

    public init(output: IndexDirectory, parts: [IndexDirectory]) {
        self.output = output
        self.parts = parts
    }
}

/// What a merge did.
public struct MergeSummary: Sendable, Equatable {
    public var parts = 0
    /// Clips added to the merged index.
    public var clips = 0
    /// Of those, clips whose decoded audio another clip already had: they share its vector.
    public var shared = 0
    /// Vectors copied from the parts.
    public var vectors = 0
    /// Failure records carried over.
    public var failures = 0
    /// Clips the merged index held already (a rerun), or repeated with the same audio in a later part.
    public var skipped = 0
    public var clipsInIndex = 0
    public var vectorsInIndex = 0
    public var generation: Int64 = 0
    public var seconds: Double = 0
}

/// `merge`: joins the parts of a sharded build (`build --shard i/N`, each its own flat index
/// directory) into one index holding what a single-process build of the same inputs holds.
///
/// Parts are opened read-only at the generation their catalogs record, each under a shared lock
/// on its `vectors/LOCK` (a part still being built is refused, exit 8). Before anything is written
/// the parts are checked against each other: the same model facts and fingerprint, parts of one
/// `--shard i/N` run with every i present once, and no clip id with different audio in two parts.
/// Then each part is copied in commits (vectors, catalog transaction, `CURRENT`) under the merged
/// index's writer lock: a clip already in the merged index is skipped, audio already there
/// (byte-identical, by audio hash) shares its rows instead of copying the vector again, as in a
/// single-process build. So a merge killed at any moment and run again ends in the same state.
/// `--kind ivf` then trains and assigns once, the same step `build --kind ivf` takes.
public final class IndexMerger {
    let options: MergeOptions
    let parts: [Part]
    let catalog: Catalog
    let writer: VectorIndexWriter
    /// Clip id → the first part holding it (the one whose record the merged index keeps).
    let ownerPart: [String: Int]
    var summary = MergeSummary()
    var group = CommitGroup()
    /// Hash → indices into `group.rows` of audio copied in the open group.
    var groupRowsOfHash: [String: [Int]] = [:]

    struct Part {
        let index: IndexDirectory
        let catalog: Catalog
        let vectors: VectorIndex
        let facts: ModelFacts
        /// Its `--shard i/N` input.
        let shard: RecordedInput
        /// Inputs it was given later with `add`, if any.
        let otherInputs: [RecordedInput]
        var name: String { index.url.path }
    }

    private var partLocks: [Int32] = []

    public init(options: MergeOptions) throws {
        precondition(!options.parts.isEmpty, "merge needs parts")
        self.options = options
        let out = options.output.url.standardizedFileURL.path
        if let same = options.parts.first(where: { $0.url.standardizedFileURL.path == out }) {
            throw PipelineError.unsupported(detail: "--out \(same.url.path) is one of the parts; merge into a new folder")
        }
        var locks: [Int32] = []
        var parts: [Part] = []
        do {
            for dir in options.parts {
                let (part, fd) = try Self.open(part: dir)
                parts.append(part)
                if fd >= 0 { locks.append(fd) }
            }
        } catch {
            locks.forEach { close($0) }
            throw error
        }
        partLocks = locks
        self.parts = parts
        try Self.checkAgreement(parts)
        ownerPart = try Self.checkClipIDs(parts)

        // The merged index: created, or resumed if it records the same model and these parts' input.
        let first = parts[0]
        try FileManager.default.createDirectory(at: options.output.url, withIntermediateDirectories: true)
        let lock = try options.output.takeWriterLock()
        let catalog = try Catalog(url: options.output.catalogURL, mode: .create)
        self.catalog = catalog
        let recorded = try catalog.model()
        if let recorded {
            try IndexBuilder.compare(recorded, first.facts, index: out)
        }
        let input = RecordedInput(kind: first.shard.kind, location: first.shard.location)
        var inputs = try catalog.inputs()
        if !inputs.isEmpty && !inputs.contains(input) {
            throw PipelineError.indexMismatch(index: out, detail: "it holds \(inputs.map { "\($0.kind.rawValue) \($0.location)" }.joined(separator: ", ")), "
                + "not the parts of \(input.kind.rawValue) \(input.location) (merge into a new folder)")
        }
        for extra in [input] + parts.flatMap(\.otherInputs) where !inputs.contains(extra) { inputs.append(extra) }
        writer = try options.output.openWriter(catalog: catalog, dimension: first.facts.dimension, lock: lock)
        let recordedInputs = try catalog.inputs()
        try catalog.write { w in
            if try w.generation() == 0 { try w.setGeneration(1) }
            if recorded == nil { try w.setModel(first.facts) }
            if recordedInputs != inputs { try w.setInputs(inputs) }
        }
    }

    deinit { partLocks.forEach { close($0) } }

    /// Opens a part at its catalog's generation, holding a shared lock on its `vectors/LOCK`.
    static func open(part dir: IndexDirectory) throws -> (Part, Int32) {
        guard FileManager.default.fileExists(atPath: dir.catalogURL.path) else {
            throw PipelineError.notAnIndex(path: dir.url.path, detail: "no catalog.sqlite (give the folders build --shard i/N --index wrote)")
        }
        let fd = try sharedLock(dir)
        do {
            let (catalog, vectors) = try dir.openForReading()
            guard let facts = try catalog.model() else { throw PipelineError.notAnIndex(path: dir.url.path, detail: "no model recorded") }
            let inputs = try catalog.inputs()
            guard let shard = inputs.first(where: { $0.shardIndex != nil }) else {
                throw PipelineError.partsDisagree(part: dir.url.path, detail: "it was not built with --shard i/N (it holds "
                    + "\(inputs.map { "\($0.kind.rawValue) \($0.location)" }.joined(separator: ", "))); merge joins the parts of one sharded build")
            }
            return (Part(index: dir, catalog: catalog, vectors: vectors, facts: facts, shard: shard,
                         otherInputs: inputs.filter { $0.shardIndex == nil }), fd)
        } catch {
            if fd >= 0 { close(fd) }
            throw error
        }
    }

    /// A shared `flock` on the part's `vectors/LOCK`: refused (exit 8) while a build writes the
    /// part, and keeps one from starting during the merge. A part without a lock file (a read-only
    /// copy) is read without one: -1.
    static func sharedLock(_ dir: IndexDirectory) throws -> Int32 {
        let path = dir.vectors.appendingPathComponent("LOCK").path
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return -1 }
        guard flock(fd, LOCK_SH | LOCK_NB) == 0 else {
            let e = errno
            close(fd)
            if e == EWOULDBLOCK { throw VectorIndexError.locked(path: dir.vectors.path) }
            return -1
        }
        return fd
    }

    static func describe(_ i: RecordedInput) -> String {
        "\(i.shardIndex ?? 0)/\(i.shardCount ?? 0) of \(i.kind.rawValue) \(i.location)"
    }

    /// The parts must share the model facts (fingerprint, architecture, profile, --long-clip,
    /// dimension) and be the parts 0…N−1 of one `--shard i/N` run, each once.
    static func checkAgreement(_ parts: [Part]) throws {
        let first = parts[0]
        let n = first.shard.shardCount ?? 0
        for p in parts.dropFirst() {
            if let (name, a, b) = first.facts.firstDifference(from: p.facts) {
                let what = name == "fingerprint"
                    ? "its model's audio-tower weights differ from those of part \(first.name) (fingerprint \(b.prefix(12))…, there \(a.prefix(12))…)"
                    : "its \(name) is \(b), part \(first.name)'s is \(a)"
                throw PipelineError.partsDisagree(part: p.name, detail: what)
            }
            if p.shard.kind != first.shard.kind || p.shard.shardCount != n {
                throw PipelineError.partsDisagree(part: p.name, detail: "it is part \(describe(p.shard)), \(first.name) is part \(describe(first.shard)): not one sharded build")
            }
            if p.shard.location != first.shard.location {
                StandardError.warn("part \(p.name) was built from \(p.shard.location), part \(first.name) from \(first.shard.location); merging them as one build's parts")
            }
        }
        var seen: [Int: String] = [:]
        for p in parts {
            let i = p.shard.shardIndex ?? 0
            if let other = seen[i] { throw PipelineError.partsDisagree(part: p.name, detail: "it is part \(i)/\(n), and so is \(other)") }
            seen[i] = p.name
        }
        let missing = (0..<n).filter { seen[$0] == nil }.map { "\($0)/\(n)" }
        if !missing.isEmpty {
            throw PipelineError.partsDisagree(part: first.name, detail: "part\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")) of its build "
                + "(\(first.shard.kind.rawValue) \(first.shard.location)) \(missing.count == 1 ? "is" : "are") not among the parts given")
        }
    }

    /// Refuses a clip id with different audio in two parts, naming both parts and locators, before
    /// anything is written. Returns each id's first part (same id, same audio: that part's record).
    static func checkClipIDs(_ parts: [Part]) throws -> [String: Int] {
        var first: [String: (part: Int, hash: String, locator: ClipLocator)] = [:]
        for (k, p) in parts.enumerated() {
            for c in try p.catalog.allClips() {
                if let was = first[c.id] {
                    if was.hash != c.audioHash {
                        throw PipelineError.conflictingParts(id: c.id, first: parts[was.part].name, firstLocator: was.locator.description,
                                                             second: p.name, secondLocator: c.locator.description)
                    }
                } else {
                    first[c.id] = (k, c.audioHash, c.locator)
                }
            }
        }
        return first.mapValues(\.part)
    }

    // MARK: - Running

    public func run() throws -> MergeSummary {
        let started = ProcessInfo.processInfo.systemUptime
        summary.parts = parts.count
        // What the merged index holds already (a rerun): failures and the failed ids seen so far.
        var knownFailures = Set(try catalog.failures().map(Self.key))
        var failedIDs = Set<String>()
        let progress = ProgressReporter(label: "merge", total: ownerPart.count)
        for (k, part) in parts.enumerated() {
            try copyClips(of: part, number: k, progress: progress)
            for f in try part.catalog.failures() {
                // a clip that some part indexed is not a failure; one id's failure comes from its first part
                if let id = f.clipID, ownerPart[id] != nil || !failedIDs.insert(id).inserted { continue }
                guard knownFailures.insert(Self.key(f)).inserted else { continue }
                group.failures.append(f)
                summary.failures += 1
            }
            for c in try part.catalog.completedFiles() {
                if let was = try catalog.completedFile(path: c.path), was.size == c.size, was.mtimeNanoseconds == c.mtimeNanoseconds, was.clips == c.clips { continue }
                group.completed.append((c.path, c.size, c.mtimeNanoseconds, c.clips))
            }
            for h in try part.catalog.cachedModelHashes() where try catalog.cachedModelHash(for: h.identity) != h.sha256 {
                group.modelHashes.append(h)
            }
            try commit()
            CrashPoints.pass("after-part")
        }
        if options.wantsIVF { try trainIVFIfFlat(writer: writer, catalog: catalog, lists: options.ivfLists, seed: options.seed) }
        progress.finish()
        summary.seconds = ProcessInfo.processInfo.systemUptime - started
        summary.generation = try catalog.generation()
        summary.clipsInIndex = try catalog.clipCount()
        summary.vectorsInIndex = try catalog.rowCount()
        return summary
    }

    static func key(_ f: FailureRecord) -> String { "\(f.clipID ?? "")\u{0}\(f.locator)\u{0}\(f.stage.rawValue)\u{0}\(f.error)" }

    /// Copies the clips part `k` is the first to hold; their audio's vectors unless the merged
    /// index (or the open group) has that audio already, in which case the clip shares those rows.
    /// A clip owns exactly the rows of its audio hash (Docs/CatalogSchema.md), one per window.
    func copyClips(of part: Part, number k: Int, progress: ProgressReporter) throws {
        var rowsOfHash: [String: [(row: Int64, start: Double)]] = [:]
        for r in try part.catalog.allRows() { rowsOfHash[r.audioHash, default: []].append((r.row, r.startSeconds)) }
        let live = part.vectors.liveRows()
        var position: [Int64: Int] = [:]
        for (i, id) in live.ids.enumerated() { position[id] = i }
        let d = part.vectors.dimension
        for clip in try part.catalog.allClips() {
            guard ownerPart[clip.id] == k else { continue }  // counted with its first part
            progress.advance()
            if let existing = try catalog.clip(id: clip.id) {
                guard existing.audioHash == clip.audioHash else {
                    throw PipelineError.conflictingParts(id: clip.id, first: options.output.url.path, firstLocator: existing.locator.description,
                                                         second: part.name, secondLocator: clip.locator.description)
                }
                summary.skipped += 1
                continue
            }
            let existingRows = try catalog.rows(forAudioHash: clip.audioHash).map(\.row)
            var newRows: [Int] = []
            if !existingRows.isEmpty {
                summary.shared += 1
            } else if let pending = groupRowsOfHash[clip.audioHash] {
                newRows = pending
                summary.shared += 1
            } else {
                guard let own = rowsOfHash[clip.audioHash], !own.isEmpty else {
                    throw PipelineError.inconsistent(index: part.name, problems: ["clip \(clip.id) owns no vector row (audio-index verify --index \(part.name))"])
                }
                for r in own.sorted(by: { $0.start < $1.start }) {
                    guard let i = position[r.row] else {
                        throw PipelineError.inconsistent(index: part.name, problems: ["row \(r.row) of clip \(clip.id) is not a live vector (audio-index verify --index \(part.name))"])
                    }
                    group.vectors += live.vectors[(i * d)..<((i + 1) * d)]
                    group.rows.append((clip.audioHash, r.start))
                    newRows.append(group.rows.count - 1)
                }
                groupRowsOfHash[clip.audioHash] = newRows
                summary.vectors += newRows.count
            }
            group.clips.append((clip, existingRows, newRows))
            summary.clips += 1
            if group.clips.count >= options.commitClips { try commit() }
        }
    }

    func commit() throws {
        try group.commit(writer: writer, catalog: catalog)
        group = CommitGroup()
        groupRowsOfHash = [:]
    }
}
