import Catalog
import Foundation
@testable import Pipeline
import Testing
import TestSupport
import VectorIndex

#if canImport(Glibc)
import Glibc
#endif

/// A small corpus in a temporary folder: three committed fixture clips, a byte copy of one (a
/// duplicate under another id) and a file that is not audio, listed in a JSONL manifest.
struct Corpus {
    let folder: URL
    var manifest: URL { folder.appendingPathComponent("clips.jsonl") }
    static let model = Fixtures.url("htsat/hf-tiny").path

    init() throws {
        folder = try Fixtures.temporaryFolder("pipeline-corpus")
        let fm = FileManager.default
        for (name, fixture) in [("dog.wav", "audio/librosa-mono-8000-pcm16.wav"), ("rain.wav", "audio/librosa-stereo-44100-pcm16.wav"),
                                ("bell.wav", "audio/librosa-mono-22050-pcm16-odd.wav"), ("dog-copy.wav", "audio/librosa-mono-8000-pcm16.wav")] {
            try fm.copyItem(at: Fixtures.url(fixture), to: folder.appendingPathComponent(name))
        }
        try Data("RIFF but not really audio".utf8).write(to: folder.appendingPathComponent("broken.wav"))
        let lines = [
            #"{"id": "dog", "path": "dog.wav", "captions": ["a dog barking"], "tags": ["dog", "animal"], "licence": "CC0"}"#,
            #"{"id": "rain", "path": "rain.wav", "captions": ["rain on a tin roof"], "licence": "CC-BY-4.0"}"#,
            #"{"id": "dog-again", "path": "dog-copy.wav", "captions": ["the same dog, uploaded twice"], "licence": "CC0"}"#,
            #"{"id": "broken", "path": "broken.wav", "captions": ["nothing to hear"]}"#,
            #"{"id": "bell", "path": "bell.wav", "captions": ["a church bell"], "licence": "CC-BY-4.0"}"#,
        ]
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: manifest)
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }

    func index(_ name: String) -> String { folder.appendingPathComponent(name).path }

    func build(_ index: String, _ extra: [String] = [], crashAt: String? = nil) throws -> CLI.Result {
        let args = ["build", "--model", Self.model, "--manifest", manifest.path, "--index", index] + extra
        guard let crashAt else { return try CLI.run(args) }
        return try CLI.run(executable: URL(fileURLWithPath: "/usr/bin/env"), ["AUDIO_INDEX_CRASH_AT=\(crashAt)", CLI.executable.path] + args)
    }
}

/// What two builds must agree on (issue 6 item 4): clips with captions, tags, licence, metadata,
/// locator and audio hash; failures; and each id's vector bytes — row numbers, generations and
/// timestamps aside.
struct IndexSnapshot: Equatable, CustomStringConvertible {
    var clips: [ClipRecord]
    var failures: [String]
    var vectors: [String: [UInt32]]

    init(_ path: String) throws {
        let q = try IndexQuery(index: IndexDirectory(path))
        clips = try q.catalog.allClips()
        failures = try q.catalog.failures().map { "\($0.clipID ?? "-") \($0.locator) \($0.stage.rawValue) \($0.error)" }.sorted()
        let live = q.vectors.liveRows()
        let d = q.dimension
        var byRow: [Int64: [UInt32]] = [:]
        for (i, id) in live.ids.enumerated() { byRow[id] = live.vectors[(i * d)..<((i + 1) * d)].map(\.bitPattern) }
        vectors = [:]
        for c in clips { vectors[c.id] = try q.catalog.rows(ofClip: c.id).flatMap { byRow[$0.row] ?? [] } }
    }

    var description: String { "\(clips.map(\.id)) failures \(failures) vectors \(vectors.keys.sorted())" }
}

@Suite("build: manifest in, vectors + catalog out, resumable, deduplicated", .serialized)
struct IndexBuildTests {
    @Test("a duplicate is embedded once and shares its row, a broken file is a recorded failure (exit 1), a rerun is a no-op")
    func buildAndRerun() throws {
        let corpus = try Corpus()
        defer { corpus.remove() }
        let idx = corpus.index("idx")
        let r = try corpus.build(idx)
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stdout.contains("3 embedded, 1 duplicates, 1 failed"), "\(r.stdout)")
        let q = try IndexQuery(index: IndexDirectory(idx))
        #expect(try q.catalog.clipCount() == 4 && q.catalog.rowCount() == 3 && q.vectors.liveCount == 3)
        #expect(try q.catalog.rows(ofClip: "dog").map(\.row) == q.catalog.rows(ofClip: "dog-again").map(\.row))
        let failures = try q.catalog.failures()
        #expect(failures.count == 1 && failures[0].clipID == "broken" && failures[0].stage == .decode)
        #expect(try q.verify().isEmpty)
        let first = try IndexSnapshot(idx), generation = try q.catalog.generation()

        let again = try corpus.build(idx)
        #expect(again.status == 0 && again.stdout.contains("0 embedded, 0 duplicates, 0 failed"), "\(again.stdout)\(again.stderr)")
        #expect(try IndexSnapshot(idx) == first)
        #expect(try IndexQuery(index: IndexDirectory(idx)).catalog.generation() == generation)

        let v = try CLI.run(["verify", "--index", idx])
        #expect(v.status == 0 && v.stdout.contains("consistent"), "\(v.stderr)")
    }

    @Test("killed at a crash point (after the vectors, after the catalog, mid-group) and rerun: the same index as an uninterrupted build",
          arguments: ["after-vectors:1", "after-catalog:1", "after-vectors:2", "after-clip:3"])
    func killAndResume(_ crashAt: String) throws {
        let corpus = try Corpus()
        defer { corpus.remove() }
        let reference = corpus.index("reference"), crashed = corpus.index("crashed")
        _ = try corpus.build(reference, ["--commit-clips", "2"])
        let killed = try corpus.build(crashed, ["--commit-clips", "2"], crashAt: crashAt)
        #expect(killed.signal == SIGKILL, "exit \(killed.status) \(killed.stderr)")
        let resumed = try corpus.build(crashed, ["--commit-clips", "2"])
        #expect([0, 1].contains(resumed.status), "\(resumed.stderr)")
        #expect(try IndexSnapshot(crashed) == IndexSnapshot(reference))
        let q = try IndexQuery(index: IndexDirectory(crashed))
        #expect(try q.verify().isEmpty)
        // nothing newer than the catalog's generation is left behind, and CURRENT agrees with it
        let g = try q.catalog.generation()
        let names = try FileManager.default.contentsOfDirectory(atPath: IndexDirectory(crashed).vectors.path)
        #expect(!names.contains("gen-\(g + 1).json"))
        #expect(try String(contentsOf: IndexDirectory(crashed).vectors.appendingPathComponent("CURRENT"), encoding: .utf8)
                    .hasPrefix("gen-\(g).json"))
    }

    @Test("query --audio finds the clip itself first (score ≥ 0.9999) with its duplicate's id; --where and --match filter inside the scan")
    func queries() throws {
        let corpus = try Corpus()
        defer { corpus.remove() }
        let idx = corpus.index("idx")
        _ = try corpus.build(idx)
        let r = try CLI.run(["query", "--index", idx, "--audio", corpus.folder.appendingPathComponent("dog.wav").path, "-k", "3", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let hits = r.stdout.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(hits.count == 3)
        #expect(hits[0]["ids"] as? [String] == ["dog", "dog-again"])
        #expect((hits[0]["score"] as? Double ?? 0) >= 0.9999)

        let filtered = try CLI.run(["query", "--index", idx, "--like", "dog", "--where", "licence = 'CC-BY-4.0'", "--format", "json"])
        #expect(filtered.status == 0, "\(filtered.stderr)")
        let ids = filtered.stdout.split(separator: "\n").flatMap { (try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["ids"] as! [String] }
        #expect(Set(ids) == ["rain", "bell"])

        let matched = try CLI.run(["query", "--index", idx, "--like", "dog", "--match", "church bell"])
        #expect(matched.status == 0 && matched.stdout.split(separator: "\n").count == 1 && matched.stdout.contains("bell"), "\(matched.stdout)")

        let bad = try CLI.run(["query", "--index", idx, "--like", "dog", "--where", "licence = 'x'; DROP TABLE clips"])
        #expect(bad.status == 2, "\(bad.stderr)")
    }

    @Test("a second writer is refused with exit 8; another --long-clip or model is refused naming the difference (exit 3)")
    func refusals() throws {
        let corpus = try Corpus()
        defer { corpus.remove() }
        let idx = corpus.index("idx")
        _ = try corpus.build(idx)
        let lockPath = IndexDirectory(idx).vectors.appendingPathComponent("LOCK").path
        let fd = open(lockPath, O_RDWR)
        #expect(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
        let second = try CLI.run(["add", "--index", idx, "--model", Corpus.model, "--dir", corpus.folder.path])
        close(fd)
        #expect(second.status == 8, "\(second.stderr)")

        let policy = try corpus.build(idx, ["--long-clip", "start"])
        #expect(policy.status == 3 && policy.stderr.contains("--long-clip was center, now start"), "\(policy.stderr)")
        let other = try CLI.run(["add", "--index", idx, "--model", Fixtures.url("htsat/laion-tiny.pt").path, "--dir", corpus.folder.path])
        #expect(other.status == 3, "\(other.stderr)")
        let inputs = try CLI.run(["build", "--index", idx, "--model", Corpus.model, "--dir", corpus.folder.path])
        #expect(inputs.status == 3 && inputs.stderr.contains("use add"), "\(inputs.stderr)")
    }
}

@Suite("build: other inputs, IVF, retries, threads", .serialized)
struct IndexBuildOptionsTests {
    @Test("--retry-failed embeds a clip whose file was fixed, and clears its failure")
    func retryFailed() throws {
        let corpus = try Corpus()
        defer { corpus.remove() }
        let idx = corpus.index("idx")
        _ = try corpus.build(idx)
        // the broken file now holds other audio (the bell): without --retry-failed the rerun skips it
        let broken = corpus.folder.appendingPathComponent("broken.wav")
        try FileManager.default.removeItem(at: broken)
        try FileManager.default.copyItem(at: Fixtures.url("audio/librosa-mono-22050-pcm16-odd.wav"), to: broken)
        #expect(try corpus.build(idx).status == 0)
        #expect(try IndexQuery(index: IndexDirectory(idx)).catalog.clip(id: "broken") == nil)
        let retried = try corpus.build(idx, ["--retry-failed"])
        #expect(retried.status == 0 && retried.stdout.contains("1 duplicates, 0 failed"), "\(retried.stdout)\(retried.stderr)")
        let q = try IndexQuery(index: IndexDirectory(idx))
        #expect(try q.catalog.failures().isEmpty && q.catalog.clipCount() == 5)
        #expect(try q.catalog.rows(ofClip: "broken").map(\.row) == q.catalog.rows(ofClip: "bell").map(\.row))
        #expect(try q.verify().isEmpty)
    }

    @Test("--threads 2 builds the same index as --threads 1")
    func threads() throws {
        let corpus = try Corpus()
        defer { corpus.remove() }
        _ = try corpus.build(corpus.index("one"))
        _ = try corpus.build(corpus.index("two"), ["--threads", "2"])
        #expect(try IndexSnapshot(corpus.index("two")) == IndexSnapshot(corpus.index("one")))
    }

    @Test("--kind ivf trains and assigns after embedding; queries still find the clip itself; a rerun is a no-op")
    func ivf() throws {
        let corpus = try Corpus()
        defer { corpus.remove() }
        let idx = corpus.index("idx")
        let r = try corpus.build(idx, ["--kind", "ivf", "--nlist", "2"])
        #expect(r.status == 1, "\(r.stderr)")
        let q = try IndexQuery(index: IndexDirectory(idx))
        #expect(q.vectors.kind == .ivf && q.vectors.nlist == 2 && q.vectors.liveCount == 3)
        #expect(try q.verify().isEmpty)
        let hits = try q.search(queries: q.vector(ofClip: "rain"), k: 1, nprobe: 2, allowed: nil)
        #expect(hits[0].first?.ids == ["rain"] && (hits[0].first?.score ?? 0) >= 0.9999)
        let generation = try q.catalog.generation()
        #expect(try corpus.build(idx, ["--kind", "ivf", "--nlist", "2"]).status == 0)
        #expect(try IndexQuery(index: IndexDirectory(idx)).catalog.generation() == generation)
        let info = try CLI.run(["info", "--index", idx])
        #expect(info.stdout.contains("kind: ivf") && info.stdout.contains("nlist: 2") && info.stdout.contains("list_imbalance"))
    }

    @Test("webdataset shards: clips read in place through locators (shard, member, payload offset, size); add then a folder with the same audio shares rows")
    func shardsAndAdd() throws {
        let corpus = try Corpus()
        defer { corpus.remove() }
        let staging = corpus.folder.appendingPathComponent("staging")
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
        for (key, clip, caption) in [("a/dog", "dog.wav", "a dog"), ("a/rain", "rain.wav", "rain")] {
            try FileManager.default.createDirectory(at: staging.appendingPathComponent("a"), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: corpus.folder.appendingPathComponent(clip), to: staging.appendingPathComponent(key + ".wav"))
            try Data(#"{"text": ["\#(caption)"], "tag": ["t"]}"#.utf8).write(to: staging.appendingPathComponent(key + ".json"))
        }
        let shards = corpus.folder.appendingPathComponent("shards")
        try FileManager.default.createDirectory(at: shards, withIntermediateDirectories: true)
        let tar = try CLI.run(executable: URL(fileURLWithPath: "/usr/bin/tar"),
                              ["--format=ustar", "-cf", shards.appendingPathComponent("0.tar").path, "a/dog.wav", "a/dog.json", "a/rain.wav", "a/rain.json"], in: staging)
        #expect(tar.status == 0, "\(tar.stderr)")
        let idx = corpus.index("idx")
        let r = try CLI.run(["build", "--model", Corpus.model, "--shards", shards.path + "/*.tar", "--index", idx])
        #expect(r.status == 0, "\(r.stderr)")
        let q = try IndexQuery(index: IndexDirectory(idx))
        let dog = try #require(try q.catalog.clip(id: "a/dog"))
        guard case .archiveMember(let archive, let member, let offset, let size) = dog.locator else { Issue.record("not a tar locator"); return }
        #expect(archive.hasSuffix("0.tar") && member == "a/dog.wav" && offset > 0)
        #expect(size == Int64(try Data(contentsOf: corpus.folder.appendingPathComponent("dog.wav")).count))
        #expect(dog.captions == ["a dog"] && dog.tags == ["t"])

        // add the folder: dog.wav and dog-copy.wav share the shard clip's row; rain too
        let add = try CLI.run(["add", "--model", Corpus.model, "--dir", corpus.folder.path, "--index", idx])
        #expect(add.status == 1, "\(add.stderr)")  // broken.wav
        let after = try IndexQuery(index: IndexDirectory(idx))
        #expect(try after.catalog.rows(ofClip: "dog.wav").map(\.row) == after.catalog.rows(ofClip: "a/dog").map(\.row))
        #expect(try after.catalog.rows(ofClip: "staging/a/rain.wav").map(\.row) == after.catalog.rows(ofClip: "a/rain").map(\.row))
        #expect(try after.verify().isEmpty)
    }
}
