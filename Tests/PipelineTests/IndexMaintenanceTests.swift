import Foundation
import NumPyFormat
@testable import Pipeline
import Testing
import TestSupport

@Suite("remove, compact, retrain, export; --help", .serialized)
struct IndexMaintenanceTests {
    @Test("remove keeps a vector while a duplicate owns it; compact and retrain keep every clip's vector; export lists one line per row")
    func maintenance() throws {
        let corpus = try Corpus()
        defer { corpus.remove() }
        let idx = corpus.index("idx")
        _ = try corpus.build(idx)
        let before = try IndexSnapshot(idx)

        let unknown = try CLI.run(["remove", "--index", idx, "--id", "dog", "--id", "no-such-clip"])
        #expect(unknown.status == 2 && unknown.stderr.contains("no-such-clip"), "\(unknown.stderr)")
        #expect(try IndexSnapshot(idx) == before)

        let r1 = try CLI.run(["remove", "--index", idx, "--id", "dog"])
        #expect(r1.status == 0 && r1.stdout.contains("0 vectors freed"), "\(r1.stdout)\(r1.stderr)")
        var q = try IndexQuery(index: IndexDirectory(idx))
        #expect(try q.vectors.liveCount == 3 && q.catalog.clipCount() == 3)
        let r2 = try CLI.run(["remove", "--index", idx, "--id", "dog-again"])
        #expect(r2.status == 0 && r2.stdout.contains("1 vector freed"), "\(r2.stdout)\(r2.stderr)")
        q = try IndexQuery(index: IndexDirectory(idx))
        #expect(try q.vectors.liveCount == 2 && q.verify().isEmpty)

        let kept = try IndexSnapshot(idx)
        #expect(kept.vectors["rain"] == before.vectors["rain"] && kept.vectors["bell"] == before.vectors["bell"])
        #expect(try CLI.run(["compact", "--index", idx]).status == 0)
        #expect(try IndexSnapshot(idx) == kept)
        #expect(try CLI.run(["retrain", "--index", idx, "--nlist", "2"]).status == 0)
        q = try IndexQuery(index: IndexDirectory(idx))
        #expect(try q.vectors.kind == .ivf && q.verify().isEmpty)
        #expect(try IndexSnapshot(idx) == kept)

        let out = corpus.folder.appendingPathComponent("export")
        #expect(try CLI.run(["export", "--index", idx, "--out", out.path]).status == 0)
        let vectors = try NPY.read(contentsOf: out.appendingPathComponent("vectors.npy"))
        #expect(vectors.shape == [2, 16])
        let lines = try String(contentsOf: out.appendingPathComponent("clips.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        let values = try #require(vectors.float32Values())
        for (i, line) in lines.enumerated() {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let id = try #require((object["ids"] as? [String])?.first)
            #expect(values[(i * 16)..<((i + 1) * 16)].map(\.bitPattern) == kept.vectors[id], "line \(i) is the row of \(id)")
        }
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("index.faiss").path))
    }

    @Test("--help of every index command teaches: abstract, examples, defaults")
    func help() throws {
        for command in ["build", "add", "query", "info", "verify", "remove", "compact", "retrain", "export"] {
            let r = try CLI.run([command, "--help"])
            #expect(r.status == 0 && r.stdout.contains("EXAMPLES") && r.stdout.contains("audio-index \(command)"), "\(command)")
        }
        // help text is wrapped at 80 columns: compare with whitespace runs collapsed
        let build = try CLI.run(["build", "--help"]).stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(build.contains("default: center") && build.contains("default: flat") && build.contains("each. (default: 1)"))
        let query = try CLI.run(["query", "--help"]).stdout
        #expect(query.contains("default: 10") && query.contains("--where"))
    }
}

@Suite("--long-clip segments")
struct SegmentsTests {
    @Test("segments stores one vector per 10 s window with its start (the last ends at the clip's end); query reports the best window")
    func segments() throws {
        let folder = try Fixtures.temporaryFolder("pipeline-segments")
        defer { try? FileManager.default.removeItem(at: folder) }
        let clips = folder.appendingPathComponent("clips")
        try FileManager.default.createDirectory(at: clips, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Fixtures.url("frontend/clips/long25s.flac"), to: clips.appendingPathComponent("long25s.flac"))
        try FileManager.default.copyItem(at: Fixtures.url("frontend/clips/tone440_3s.flac"), to: clips.appendingPathComponent("tone.flac"))
        let idx = folder.appendingPathComponent("idx").path
        let r = try CLI.run(["build", "--model", Corpus.model, "--dir", clips.path, "--index", idx, "--long-clip", "segments"])
        #expect(r.status == 0, "\(r.stderr)")
        let q = try IndexQuery(index: IndexDirectory(idx))
        #expect(try q.catalog.rows(ofClip: "long25s.flac").map(\.startSeconds) == [0, 10, 15])
        #expect(try q.catalog.rows(ofClip: "tone.flac").map(\.startSeconds) == [0])
        #expect(q.vectors.liveCount == 4)
        // the clip's own first window finds that window; the hit is one clip even though three rows match it
        let hits = try q.search(queries: q.vector(ofClip: "long25s.flac"), k: 2, nprobe: nil, allowed: nil)[0]
        #expect(hits.count == 2 && hits[0].ids == ["long25s.flac"] && hits[0].startSeconds == 0 && hits[0].score >= 0.9999)
        #expect(hits[1].ids == ["tone.flac"])
    }
}

@Suite("--shard i/N and query inputs")
struct ShardPartTests {
    @Test("--shard i/N takes the manifest lines whose position modulo N is i; the parts together hold every clip with the same vectors")
    func manifestParts() throws {
        let corpus = try Corpus()
        defer { corpus.remove() }
        _ = try corpus.build(corpus.index("whole"))
        _ = try corpus.build(corpus.index("part0"), ["--shard", "0/2"])
        _ = try corpus.build(corpus.index("part1"), ["--shard", "1/2"])
        let whole = try IndexSnapshot(corpus.index("whole"))
        let p0 = try IndexSnapshot(corpus.index("part0")), p1 = try IndexSnapshot(corpus.index("part1"))
        // manifest lines 0-4: dog, rain, dog-again, broken, bell → part 0 = dog, dog-again, bell; part 1 = rain, broken (fails)
        #expect(p0.clips.map(\.id) == ["bell", "dog", "dog-again"])
        #expect(p1.clips.map(\.id) == ["rain"])
        #expect(p0.failures.isEmpty && p1.failures.count == 1 && p1.failures[0].hasPrefix("broken "))
        var merged = p0.vectors
        merged.merge(p1.vectors) { a, _ in a }
        #expect(merged == whole.vectors)
        let refused = try corpus.build(corpus.index("ivfpart"), ["--shard", "0/2", "--kind", "ivf"])
        #expect(refused.status == 2 && refused.stderr.contains("merge"))
        let badPart = try corpus.build(corpus.index("bad"), ["--shard", "2/2"])
        #expect(badPart.status == 2)
    }

    @Test("query --vector takes (D,) or (Q, D); the wrong width is refused (exit 2), a text tower of another width too (exit 3); verify catches a damaged segment")
    func vectorQueries() throws {
        let corpus = try Corpus()
        defer { corpus.remove() }
        let idx = corpus.index("idx")
        _ = try corpus.build(idx)
        let q = try IndexQuery(index: IndexDirectory(idx))
        let rain = try q.vector(ofClip: "rain"), bell = try q.vector(ofClip: "bell")
        let two = corpus.folder.appendingPathComponent("two.npy")
        try NPY.write(NPYArray(shape: [2, 16], float32: rain + bell), to: two)
        let r = try CLI.run(["query", "--index", idx, "--vector", two.path, "-k", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines[0].hasPrefix("q0 1\t1.0000\train") && lines[1].hasPrefix("q1 1\t1.0000\tbell"), "\(r.stdout)")
        let wrong = corpus.folder.appendingPathComponent("wrong.npy")
        try NPY.write(NPYArray(shape: [8], float32: [Float](repeating: 0.1, count: 8)), to: wrong)
        let w = try CLI.run(["query", "--index", idx, "--vector", wrong.path])
        #expect(w.status == 2 && w.stderr.contains("(16,)"), "\(w.stderr)")
        // a text tower of another width than the index is refused naming both (exit 3)
        let text = try CLI.run(["query", "--index", idx, "--text", "dog", "--model", Fixtures.url("text/hf-model").path])
        #expect(text.status == 3 && text.stderr.contains("32-d") && text.stderr.contains("16-d"), "\(text.stderr)")
        // a damaged vector segment fails verify
        let vectors = IndexDirectory(idx).vectors
        let segment = try #require(try FileManager.default.contentsOfDirectory(atPath: vectors.path).first { $0.hasPrefix("seg-") && $0 != "seg-1.vseg" })
        var bytes = try Data(contentsOf: vectors.appendingPathComponent(segment))
        bytes[bytes.count - 5] ^= 0x40
        try bytes.write(to: vectors.appendingPathComponent(segment))
        let v = try CLI.run(["verify", "--index", idx])
        #expect([3, 4].contains(v.status), "\(v.stdout)\(v.stderr)")
    }
}

@Suite("bad manifest lines")
struct BadManifestLineTests {
    @Test("malformed JSONL lines are reported with their line numbers and recorded once; the other clips are indexed")
    func badLines() throws {
        let corpus = try Corpus()
        defer { corpus.remove() }
        var text = try String(contentsOf: corpus.manifest, encoding: .utf8)
        text += #"{"id": "oops", "path": 5}"# + "\nnot json at all\n" + #"{"id": "rain", "path": "rain.wav"}"# + "\n"
        try Data(text.utf8).write(to: corpus.manifest)
        let idx = corpus.index("idx")
        let r = try corpus.build(idx)
        #expect(r.status == 1)
        #expect(r.stderr.contains("clips.jsonl:6:") && r.stderr.contains("clips.jsonl:7:") && r.stderr.contains("clips.jsonl:8:"), "\(r.stderr)")
        let q = try IndexQuery(index: IndexDirectory(idx))
        #expect(try q.catalog.clipCount() == 4)
        let failures = try q.catalog.failures()
        #expect(failures.filter { $0.clipID == nil && $0.stage == .read }.count == 3)
        _ = try corpus.build(idx)
        #expect(try IndexQuery(index: IndexDirectory(idx)).catalog.failures().count == failures.count)
    }
}
