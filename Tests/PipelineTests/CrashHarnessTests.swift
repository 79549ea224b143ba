import Catalog
import Foundation
@testable import Pipeline
import Testing
import TestSupport
import VectorIndex

#if canImport(Glibc)
import Glibc
#endif

/// The crash harness (issue 7 item 1, RELIABILITY.md "Crash anywhere"). Each scenario is one write
/// command started from a prepared index. An uninterrupted run, traced with
/// `AUDIO_INDEX_CRASH_TRACE`, gives the reference index and the crash points the command passes
/// (and how often). Then, for each point and chosen occurrence, a fresh copy of the starting index
/// is written by the same command killed there with SIGKILL (`AUDIO_INDEX_CRASH_AT`), the command
/// is run again, and the result must: pass `verify`; hold the same (clip id → vector bytes) set,
/// catalog content and multiset of live vectors as the reference (so no vector was doubled); and
/// keep no file that neither of the two newest generations lists (no orphan segment, tombstone,
/// generation or temp file), with `CURRENT` naming the catalog's generation.
///
/// `swift test` kills every point each scenario passes at its first occurrence (a new write path
/// must add its points to `CrashPoints.all` and a scenario here, or the coverage test fails);
/// `Scripts/crash-harness.sh` (`AUDIO_INDEX_CRASH_HARNESS=all`) also kills at the middle and last
/// occurrence and kills each rerun once more during its rollback.
struct CrashScenario: Sendable, CustomStringConvertible {
    let name: String
    /// Makes the starting index in `index` (a path that does not exist yet); `corpus` is shared.
    let prepare: @Sendable (_ corpus: HarnessCorpus, _ index: String) throws -> Void
    let arguments: @Sendable (_ corpus: HarnessCorpus, _ index: String) -> [String]
    /// What a rerun after the kill may answer besides exit 0.
    let rerunAccepts: @Sendable (CLI.Result) -> Bool
    var description: String { name }

    /// Every command the harness kills. merge: add its scenario here (its points are listed under
    /// the `merge` stage of `CrashPoints.all`).
    static let all: [CrashScenario] = [
        CrashScenario(name: "build", prepare: { _, _ in }, arguments: { c, idx in
            ["build", "--model", c.model, "--manifest", c.path("all.jsonl"), "--index", idx, "--commit-clips", "2"]
        }, rerunAccepts: { $0.status == 1 && $0.stderr.contains("failed") }),
        CrashScenario(name: "build-ivf", prepare: { _, _ in }, arguments: { c, idx in
            ["build", "--model", c.model, "--manifest", c.path("all.jsonl"), "--index", idx, "--commit-clips", "3", "--kind", "ivf", "--nlist", "2"]
        }, rerunAccepts: { $0.status == 1 && $0.stderr.contains("failed") }),
        CrashScenario(name: "build-shards", prepare: { _, _ in }, arguments: { c, idx in
            ["build", "--model", c.model, "--shards", c.path("shards") + "/*.tar", "--index", idx]
        }, rerunAccepts: { $0.status == 1 && $0.stderr.contains("failed") }),
        CrashScenario(name: "add", prepare: { c, idx in
            try c.mustRun(["build", "--model", c.model, "--manifest", c.path("first.jsonl"), "--index", idx])
        }, arguments: { c, idx in
            ["add", "--model", c.model, "--manifest", c.path("more.jsonl"), "--index", idx, "--commit-clips", "2"]
        }, rerunAccepts: { $0.status == 1 && $0.stderr.contains("failed") }),
        CrashScenario(name: "merge", prepare: { c, idx in
            for i in 0..<2 {
                try c.mustRun(["build", "--model", c.model, "--manifest", c.path("all.jsonl"), "--index", c.part(idx, i), "--shard", "\(i)/2"],
                              allowFailedClips: true)
            }
        }, arguments: { c, idx in
            ["merge", "--out", idx, c.part(c.baseIndex("merge"), 0), c.part(c.baseIndex("merge"), 1)]
        }, rerunAccepts: { $0.status == 1 }),
        CrashScenario(name: "merge-ivf", prepare: { c, idx in
            for i in 0..<2 {
                try c.mustRun(["build", "--model", c.model, "--manifest", c.path("all.jsonl"), "--index", c.part(idx, i), "--shard", "\(i)/2"],
                              allowFailedClips: true)
            }
        }, arguments: { c, idx in
            ["merge", "--out", idx, "--kind", "ivf", "--nlist", "2", c.part(c.baseIndex("merge-ivf"), 0), c.part(c.baseIndex("merge-ivf"), 1)]
        }, rerunAccepts: { $0.status == 1 }),
        CrashScenario(name: "remove", prepare: { c, idx in
            try c.mustRun(["build", "--model", c.model, "--manifest", c.path("all.jsonl"), "--index", idx], allowFailedClips: true)
        }, arguments: { _, idx in
            ["remove", "--index", idx, "--id", "rain", "--id", "dog-again"]
        }, rerunAccepts: { $0.status == 2 && $0.stderr.contains("no clip with id") }),  // the kill came after the commit
        CrashScenario(name: "compact", prepare: { c, idx in
            try c.mustRun(["build", "--model", c.model, "--manifest", c.path("all.jsonl"), "--index", idx], allowFailedClips: true)
            try c.mustRun(["remove", "--index", idx, "--id", "rain"])
        }, arguments: { _, idx in ["compact", "--index", idx] }, rerunAccepts: { _ in false }),
        CrashScenario(name: "retrain", prepare: { c, idx in
            try c.mustRun(["build", "--model", c.model, "--manifest", c.path("all.jsonl"), "--index", idx], allowFailedClips: true)
            try c.mustRun(["remove", "--index", idx, "--id", "rain"])
        }, arguments: { _, idx in ["retrain", "--index", idx, "--nlist", "2"] }, rerunAccepts: { _ in false }),
    ]
}

/// The clips every scenario reads: the pipeline corpus (three clips, a byte copy under another
/// id, a file that is not audio) as three manifests, and the two committed LAION-style shards.
final class HarnessCorpus: @unchecked Sendable {
    let folder: URL
    let model = Corpus.model
    /// Each scenario's starting index, made once.
    let bases: URL
    /// Each scenario's uninterrupted, traced run: the points it passed and the index it made.
    private(set) var references: [String: (trace: CrashTrace, state: HarnessState, status: Int32, index: String)] = [:]
    /// Which scenario kills which point in the quick pass: the first in `quickOrder` that passes it.
    private(set) var quickAssignment: [String: String] = [:]
    /// Cheapest first: the maintenance commands embed nothing.
    static let quickOrder = ["remove", "compact", "retrain", "add", "merge", "merge-ivf", "build-shards", "build-ivf", "build"]

    init() throws {
        let corpus = try Corpus()
        folder = corpus.folder
        let lines = try String(contentsOf: corpus.manifest, encoding: .utf8).split(separator: "\n").map(String.init)
        try (lines.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("all.jsonl"), atomically: true, encoding: .utf8)
        try (lines[0...1].joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("first.jsonl"), atomically: true, encoding: .utf8)
        try (lines[2...4].joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("more.jsonl"), atomically: true, encoding: .utf8)
        let shards = folder.appendingPathComponent("shards")
        try FileManager.default.createDirectory(at: shards, withIntermediateDirectories: true)
        for name in ["0.tar", "1.tar", "sizes.json"] {
            try FileManager.default.copyItem(at: Fixtures.url("shards/train/\(name)"), to: shards.appendingPathComponent(name))
        }
        bases = folder.appendingPathComponent("bases")
    }

    /// Makes every scenario's starting index and runs each scenario once, traced.
    func prepareHarness() throws {
        for scenario in CrashScenario.all {
            let base = bases.appendingPathComponent(scenario.name)
            try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
            try scenario.prepare(self, base.appendingPathComponent("idx").path)
        }
        for scenario in CrashScenario.all {
            let work = try workCopy(scenario, label: "reference")
            let index = work.appendingPathComponent("idx").path
            let traceFile = work.appendingPathComponent("trace.txt")
            let r = try run(scenario.arguments(self, index), environment: ["AUDIO_INDEX_CRASH_TRACE=\(traceFile.path)"])
            references[scenario.name] = (try CrashTrace(file: traceFile), try HarnessState(index), r.status, index)
        }
        for name in Self.quickOrder + CrashScenario.all.map(\.name) where references[name] != nil {
            for point in references[name]!.trace.order where quickAssignment[point] == nil { quickAssignment[point] = name }
        }
    }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// merge scenarios: the parts live beside the starting index (which merge creates), never copied.
    func part(_ index: String, _ i: Int) -> String { index + "-part\(i)" }
    func baseIndex(_ scenario: String) -> String { bases.appendingPathComponent(scenario).appendingPathComponent("idx").path }

    func mustRun(_ arguments: [String], allowFailedClips: Bool = false) throws {
        let r = try CLI.run(arguments)
        guard r.status == 0 || (allowFailedClips && r.status == 1) else {
            throw HarnessError("\(arguments.joined(separator: " ")) → exit \(r.status): \(r.stderr)")
        }
    }

    /// A fresh working folder holding a copy of `scenario`'s starting index at `work/idx`.
    func workCopy(_ scenario: CrashScenario, label: String) throws -> URL {
        let work = folder.appendingPathComponent("runs/\(scenario.name)-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let base = bases.appendingPathComponent(scenario.name).appendingPathComponent("idx")
        if FileManager.default.fileExists(atPath: base.path) {
            try FileManager.default.copyItem(at: base, to: work.appendingPathComponent("idx"))
        }
        return work
    }

    /// Runs the CLI with extra environment variables.
    func run(_ arguments: [String], environment: [String] = []) throws -> CLI.Result {
        if environment.isEmpty { return try CLI.run(arguments) }
        return try CLI.run(executable: URL(fileURLWithPath: "/usr/bin/env"), environment + [CLI.executable.path] + arguments)
    }

    /// The clips and manifests, made once per test process.
    static let shared: Result<HarnessCorpus, HarnessErrorBox> = {
        do { return .success(try HarnessCorpus()) } catch { return .failure(HarnessErrorBox(message: "\(error)")) }
    }()

    /// With the harness's starting indexes and reference runs, made once; nobody writes into `bases`.
    static let harness: Result<HarnessCorpus, HarnessErrorBox> = {
        do {
            let corpus = try HarnessCorpus()
            try corpus.prepareHarness()
            return .success(corpus)
        } catch { return .failure(HarnessErrorBox(message: "\(error)")) }
    }()
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

struct HarnessErrorBox: Error, Sendable { let message: String }

/// What an index must equal after a kill and a rerun: the snapshot of issue 6 item 4 plus the
/// multiset of live vectors (a doubled vector changes it even when every clip still finds its own).
struct HarnessState: Equatable {
    var snapshot: IndexSnapshot
    var liveVectors: [[UInt32]]

    init(_ index: String) throws {
        snapshot = try IndexSnapshot(index)
        let q = try IndexQuery(index: IndexDirectory(index))
        let live = q.vectors.liveRows(), d = q.dimension
        liveVectors = live.ids.indices.map { i in live.vectors[(i * d)..<((i + 1) * d)].map(\.bitPattern) }
            .sorted { $0.lexicographicallyPrecedes($1) }
    }
}

enum HarnessChecks {
    /// Everything wrong with `index` after a rerun, compared with `reference`; empty when sound.
    static func problems(_ index: String, reference: HarnessState) -> [String] {
        var problems: [String] = []
        do {
            let q = try IndexQuery(index: IndexDirectory(index))
            let issues = try q.verify()
            if !issues.isEmpty { problems.append("verify: \(issues)") }
            let live = q.vectors.liveRows()
            if Set(live.ids).count != live.ids.count { problems.append("a row id is live twice") }
            if try q.catalog.rowCount() != live.ids.count { problems.append("catalog maps \(try q.catalog.rowCount()) rows, \(live.ids.count) are live") }
            let state = try HarnessState(index)
            if state.snapshot != reference.snapshot { problems.append("content differs: \(state.snapshot) vs \(reference.snapshot)") }
            if state.liveVectors != reference.liveVectors { problems.append("live vectors: \(state.liveVectors.count), reference \(reference.liveVectors.count)") }
            problems += try orphans(index, generation: Int(q.catalog.generation()))
        } catch {
            problems.append("cannot open: \(error)")
        }
        return problems
    }

    /// Files in `vectors/` that neither the live generation nor its predecessor lists; a
    /// `CURRENT` that does not name the live generation; a non-empty catalog WAL.
    static func orphans(_ index: String, generation g: Int) throws -> [String] {
        let dir = IndexDirectory(index).vectors
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        var problems: [String] = []
        let current = try String(contentsOf: dir.appendingPathComponent("CURRENT"), encoding: .utf8)
        if current != "gen-\(g).json\n" { problems.append("CURRENT is \(current.debugDescription), the catalog records \(g)") }
        let gens = names.compactMap { n -> Int? in
            guard n.hasPrefix("gen-"), n.hasSuffix(".json") else { return nil }
            return Int(n.dropFirst(4).dropLast(5))
        }
        var allowed: Set<String> = ["CURRENT", "LOCK"]
        allowed.formUnion(try files(dir, g))
        if let previous = gens.filter({ $0 < g }).max() { allowed.formUnion(try files(dir, previous)) }
        for name in names.sorted() where !allowed.contains(name) { problems.append("orphan vectors/\(name)") }
        let wal = IndexDirectory(index).url.appendingPathComponent("catalog.sqlite-wal")
        if let size = (try? FileManager.default.attributesOfItem(atPath: wal.path))?[.size] as? Int, size > 0 {
            problems.append("catalog.sqlite-wal holds \(size) bytes after the writer ended")
        }
        return problems
    }

    static func files(_ dir: URL, _ generation: Int) throws -> Set<String> {
        let name = "gen-\(generation).json"
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent(name))) as? [String: Any] ?? [:]
        let listed = ((object["segments"] as? [[String: Any]] ?? []) + (object["tombstones"] as? [[String: Any]] ?? [])).compactMap { $0["file"] as? String }
        return Set(listed + [name])
    }
}

/// The points a traced, uninterrupted run passed, in order, with counts.
struct CrashTrace {
    var order: [String] = []
    var counts: [String: Int] = [:]
    var unregistered: [String] = []

    init(file: URL) throws {
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n").map(String.init) {
            if line.hasPrefix("UNREGISTERED ") { unregistered.append(String(line.dropFirst(13))); continue }
            if counts[line] == nil { order.append(line) }
            counts[line, default: 0] += 1
        }
    }
}

/// The registry as the CLI lists it (`audio-index crash-points`).
func registeredCrashPoints() throws -> [(name: String, stage: String)] {
    let r = try CLI.run(["crash-points"])
    guard r.status == 0 else { throw HarnessError("crash-points: exit \(r.status) \(r.stderr)") }
    return r.stdout.split(separator: "\n").map { line in
        let parts = line.split(separator: "\t", omittingEmptySubsequences: false)
        return (String(parts[0]), String(parts[1]))
    }
}

/// Which occurrences of a point passed `count` times the harness kills at.
func killOccurrences(count: Int, full: Bool) -> [Int] {
    guard full else { return [1] }
    var out = [1]
    if count > 2 { out.append((count + 1) / 2) }
    if count > 1 { out.append(count) }
    return out
}

let fullHarness = ProcessInfo.processInfo.environment["AUDIO_INDEX_CRASH_HARNESS"] == "all"

/// One line per kill for the harness log (Scripts/crash-harness.sh collects them for RELIABILITY.md).
func harnessLog(_ line: String) {
    guard let path = ProcessInfo.processInfo.environment["AUDIO_INDEX_CRASH_HARNESS_LOG"] else { return }
    let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
    guard fd >= 0 else { return }
    _ = (line + "\n").withCString { write(fd, $0, strlen($0)) }
    close(fd)
}

@Suite("crash harness: SIGKILL at every named crash point of every write command, then rerun")
struct CrashHarnessTests {
    @Test("kill at each crash point the command passes, rerun: verify passes, same ids → vector bytes, nothing doubled, no orphan file",
          arguments: CrashScenario.all)
    func killEverywhere(_ scenario: CrashScenario) throws {
        let corpus = try HarnessCorpus.harness.get()
        let (trace, reference, status, referenceIndex) = try #require(corpus.references[scenario.name])
        // the build and add inputs hold a file that is not audio: exit 1, recorded in the failures table
        #expect(status == 0 || status == 1 && ["build", "build-ivf", "build-shards", "add", "merge", "merge-ivf"].contains(scenario.name),
                "\(scenario) reference run: exit \(status)")
        #expect(trace.unregistered.isEmpty, "points passed but not in CrashPoints.all: \(trace.unregistered)")
        #expect(!trace.order.isEmpty, "the reference run passed no crash point")
        let referenceGeneration = Int(try IndexQuery(index: IndexDirectory(referenceIndex)).catalog.generation())
        #expect(try HarnessChecks.orphans(referenceIndex, generation: referenceGeneration).isEmpty, "the uninterrupted run leaves orphans")
        var kills = 0
        for point in trace.order where fullHarness || corpus.quickAssignment[point] == scenario.name {
            for occurrence in killOccurrences(count: trace.counts[point]!, full: fullHarness) {
                let work = try corpus.workCopy(scenario, label: point)
                defer { try? FileManager.default.removeItem(at: work) }
                let index = work.appendingPathComponent("idx").path
                let arguments = scenario.arguments(corpus, index)
                let killed = try corpus.run(arguments, environment: ["AUDIO_INDEX_CRASH_AT=\(point):\(occurrence)"])
                #expect(killed.signal == SIGKILL, "\(scenario) \(point):\(occurrence) was not killed: exit \(killed.status) \(killed.stderr)")
                if fullHarness && occurrence == 1 {
                    // Killed again while the rerun rolls back (files of the unfinished generation
                    // deleted, CURRENT not yet repointed), then run a third time.
                    let twice = try corpus.run(arguments, environment: ["AUDIO_INDEX_CRASH_AT=rollback.files-deleted:1"])
                    #expect(twice.signal == SIGKILL, "\(scenario) \(point): the rerun was not killed in its rollback: exit \(twice.status) \(twice.stderr)")
                }
                let rerun = try corpus.run(arguments)
                #expect(rerun.status == 0 || scenario.rerunAccepts(rerun), "\(scenario) \(point):\(occurrence) rerun: exit \(rerun.status) \(rerun.stderr)")
                let problems = HarnessChecks.problems(index, reference: reference)
                #expect(problems.isEmpty, "\(scenario) killed at \(point):\(occurrence): \(problems)")
                harnessLog("\(scenario)\t\(point)\t\(occurrence)/\(trace.counts[point]!)\t\(problems.isEmpty && killed.signal == SIGKILL ? "ok" : "FAIL \(problems)")")
                kills += 1
            }
        }
        harnessLog("\(scenario)\t-\t\(kills) kills\t\(trace.order.count) points")
    }

    @Test("every registered crash point is passed by some scenario, and the registry has no duplicates")
    func coverage() throws {
        let corpus = try HarnessCorpus.harness.get()
        let registry = try registeredCrashPoints()
        #expect(Set(registry.map(\.name)).count == registry.count)
        var reached = Set<String>()
        for scenario in CrashScenario.all { reached.formUnion(try #require(corpus.references[scenario.name]).trace.order) }
        // merge points belong to the merge command; they count once a merge scenario exists.
        let expected = registry.filter { $0.stage != "merge" || CrashScenario.all.contains { $0.name.hasPrefix("merge") } }.map(\.name)
        let never = expected.filter { !reached.contains($0) }
        #expect(never.isEmpty, "registered crash points no scenario reaches: \(never)")
        #expect(reached.count >= 50, "\(reached.count) distinct crash points reached")
    }

    @Test("AUDIO_INDEX_CRASH_AT naming no registered point is refused before anything is written (exit 70)")
    func unknownPoint() throws {
        let corpus = try HarnessCorpus.shared.get()
        let work = try corpus.workCopy(CrashScenario.all[0], label: "unknown")
        defer { try? FileManager.default.removeItem(at: work) }
        let index = work.appendingPathComponent("idx").path
        let r = try corpus.run(CrashScenario.all[0].arguments(corpus, index), environment: ["AUDIO_INDEX_CRASH_AT=no-such-point:1"])
        #expect(r.status == 70 && r.stderr.contains("crash-points"), "\(r.status) \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: index))
    }
}
