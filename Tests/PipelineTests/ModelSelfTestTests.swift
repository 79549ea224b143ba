import Foundation
import NumPyFormat
import Testing
import TestSupport

/// `verify --model` (re-embeds clips, warns on collapsed text embeddings) and `query --text` end
/// to end, on `Tests/Fixtures/text/hf-model`: a tiny random `ClapModel` folder with both towers,
/// equal projection widths (32) and its tokenizer files.
@Suite("verify --model self-test and query --text, end to end on a two-tower fixture model", .serialized)
struct ModelSelfTestTests {
    static let model = Fixtures.url("text/hf-model").path

    /// The corpus indexed with the two-tower model (exit 1: one clip is broken on purpose).
    static func build(_ corpus: Corpus) throws -> String {
        let idx = corpus.index("idx")
        let r = try CLI.run(["build", "--model", model, "--manifest", corpus.manifest.path, "--index", idx])
        #expect(r.status == 1 && r.stdout.contains("3 embedded, 1 duplicates, 1 failed"), "\(r.stdout) \(r.stderr)")
        return idx
    }

    @Test("verify --model re-embeds every sampled clip to its stored vector (max |difference| 0 on this machine) and reports the text tower's mean pairwise cosine without a collapse warning")
    func selfTestPasses() throws {
        let corpus = try Corpus()
        defer { corpus.remove() }
        let idx = try Self.build(corpus)
        let r = try CLI.run(["verify", "--index", idx, "--model", Self.model, "--clips", "10"])
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        let lines = r.stdout.split(separator: "\n").filter { $0.hasPrefix("self-test: ") && !$0.hasPrefix("self-test: text") }
        // Four clips are indexed (dog, dog-again, rain, bell); the broken one has no vector.
        #expect(lines.count == 4, "\(r.stdout)")
        #expect(lines.allSatisfy { $0.hasSuffix("max |difference| 0.0") }, "\(r.stdout)")
        #expect(r.stdout.contains("self-test: text: 4 texts, mean pairwise cosine"), "\(r.stdout)")
        #expect(!r.stderr.contains("collapse"), "\(r.stderr)")
    }

    @Test("a text projection that maps every text to one direction (as larger_clap_music's does) is warned about; the audio check still passes")
    func collapsedTextWarned() throws {
        let corpus = try Corpus()
        defer { corpus.remove() }
        let idx = try Self.build(corpus)
        // A copy of the model whose text_projection.linear2 weight is zero: every text → its bias.
        let broken = corpus.folder.appendingPathComponent("collapsed-model")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: Self.model), to: broken)
        try Self.zeroTensor("text_projection.linear2.weight", in: broken.appendingPathComponent("model.safetensors"))
        let r = try CLI.run(["verify", "--index", idx, "--model", broken.path])
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("mean pairwise cosine 1.0000"), "\(r.stdout)")
        #expect(r.stderr.contains("text embeddings collapse: the mean pairwise cosine of 4 different texts is 1.0000"), "\(r.stderr)")
    }

    @Test("verify --model refuses another audio model (exit 3) and reports a clip whose audio changed since it was indexed (exit 3)")
    func selfTestFindsProblems() throws {
        let corpus = try Corpus()
        defer { corpus.remove() }
        let idx = try Self.build(corpus)
        let other = try CLI.run(["verify", "--index", idx, "--model", Corpus.model])
        #expect(other.status == 3 && other.stderr.contains("is not the one the index was built with"), "\(other.stderr)")
        // Different audio at the indexed path: the self-test notices before comparing vectors.
        let rain = corpus.folder.appendingPathComponent("rain.wav")
        try FileManager.default.removeItem(at: rain)
        try FileManager.default.copyItem(at: Fixtures.url("audio/librosa-mono-22050-pcm16-odd.wav"), to: rain)
        let changed = try CLI.run(["verify", "--index", idx, "--model", Self.model, "--clips", "10"])
        #expect(changed.status == 3, "\(changed.stdout) \(changed.stderr)")
        #expect(changed.stderr.contains("clip rain: the audio at") && changed.stderr.contains("changed since it was indexed"), "\(changed.stderr)")
    }

    @Test("query --text: each hit's score is the dot product of embed --text's vector and the hit's stored vector, best first")
    func textQuery() throws {
        let corpus = try Corpus()
        defer { corpus.remove() }
        let idx = try Self.build(corpus)
        let text = "a dog barking"
        let out = corpus.folder.appendingPathComponent("t.npy")
        let e = try CLI.run(["embed", "--model", Self.model, "--text", text, "--out", out.path])
        #expect(e.status == 0, "\(e.stderr)")
        let q = try NPY.read(contentsOf: out).float32Values() ?? []
        let r = try CLI.run(["query", "--index", idx, "--text", text, "-k", "10", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let hits = PythonReaderTests.hits(r.stdout)
        #expect(hits.count == 3, "3 distinct audio rows: \(r.stdout)")
        let snapshot = try IndexSnapshot(idx)
        var dots: [String: Double] = [:]
        for (id, v) in snapshot.vectors {
            dots[id] = zip(q, v.map(Float.init(bitPattern:))).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        for h in hits {
            let dot = dots[h.ids[0]] ?? .nan
            #expect(abs(h.score - dot) <= 1e-5, "\(h): dot \(dot)")
        }
        #expect(hits.map(\.score) == hits.map(\.score).sorted(by: >), "\(hits)")
        let best = dots.max { $0.value < $1.value }!.key
        #expect(hits.first?.ids.contains(best) == true, "\(hits) best \(best)")
    }

    /// Zeroes one float tensor's bytes in a safetensors file (header: u64 length + JSON).
    static func zeroTensor(_ name: String, in url: URL) throws {
        var data = try Data(contentsOf: url)
        let n = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + n))) as? [String: Any]
        let offsets = (header?[name] as? [String: Any])?["data_offsets"] as? [Int] ?? []
        try #require(offsets.count == 2, "no tensor \(name)")
        data.replaceSubrange((8 + n + offsets[0])..<(8 + n + offsets[1]), with: Data(count: offsets[1] - offsets[0]))
        try data.write(to: url)
    }
}
