import Foundation
import NumPyFormat
import Testing
import TestSupport

@Suite("audio-index embed --text: N×D .npy rows in input order, one-line errors with exit codes")
struct EmbedCommandTests {
    let model = Fixtures.url("text/hf-model").path

    struct Queries: Decodable { let spans: [String]; let texts: [String] }

    @Test("--text … --template \"{} sound\" --max-length 64 writes the reference's embeddings in input order")
    func embedsTexts() throws {
        let dir = try Fixtures.temporaryFolder("embed-cli")
        defer { try? FileManager.default.removeItem(at: dir) }
        let queries = try JSONDecoder().decode(Queries.self, from: Data(contentsOf: Fixtures.url("text/queries.json")))
        let expected = try #require(try NPY.read(contentsOf: Fixtures.url("text/hf.embedding.npy")).float32Values())
        let picked = [4, 0, 28]  // out of fixture order; 28 is truncated at 64 tokens
        let out = dir.appendingPathComponent("emb.npy")
        var args = ["embed", "--model", model, "--template", "{} sound", "--max-length", "64", "--out", out.path]
        for i in picked { args += ["--text", queries.spans[i]] }
        let r = try CLI.run(args)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("3×32 float32") && r.stderr.contains("eps1e-12"))
        let npy = try NPY.read(contentsOf: out)
        #expect(npy.shape == [3, 32])
        let rows = try #require(npy.float32Values())
        for (k, i) in picked.enumerated() {
            let diff = zip(rows[(k * 32)..<((k + 1) * 32)], expected[(i * 32)..<((i + 1) * 32)]).map { abs($0 - $1) }.max()!
            #expect(diff <= 1e-4, "row \(k) (query \(i))")
        }

        let threaded = dir.appendingPathComponent("emb2.npy")
        let r2 = try CLI.run(args.map { $0 == out.path ? threaded.path : $0 } + ["--threads", "2"])
        #expect(r2.status == 0, "\(r2.stderr)")
        #expect(try Data(contentsOf: threaded) == Data(contentsOf: out), "--threads 2 writes the same bytes")
    }

    @Test("no --text, a template without {} and --threads 0 are usage errors (exit 2)")
    func usageErrors() throws {
        let out = "/tmp/never-written.npy"
        let none = try CLI.run(["embed", "--model", model, "--out", out])
        #expect(none.status == 2 && none.stderr.contains("--text"))
        let template = try CLI.run(["embed", "--model", model, "--text", "a", "--template", "sound", "--out", out])
        #expect(template.status == 2 && template.stderr.contains("{}"))
        let threads = try CLI.run(["embed", "--model", model, "--text", "a", "--threads", "0", "--out", out])
        #expect(threads.status == 2)
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test("a checkpoint file without --tokenizer is exit 5 naming the file and the fix; a missing model is exit 5")
    func modelErrors() throws {
        let file = Fixtures.url("text/queries.json").path
        let r = try CLI.run(["embed", "--model", file, "--text", "a", "--out", "/tmp/never-written.npy"])
        #expect(r.status == 5)
        #expect(r.stderr.contains(file) && r.stderr.contains("--tokenizer"))
        #expect(r.stderr.split(separator: "\n").count == 1)
        let missing = try CLI.run(["embed", "--model", "/nonexistent/model", "--text", "a", "--out", "/tmp/never-written.npy"])
        #expect(missing.status == 5 && missing.stderr.contains("/nonexistent/model"))
    }

    @Test("--help teaches: abstract, examples, every default")
    func help() throws {
        let r = try CLI.run(["embed", "--help"])
        #expect(r.status == 0)
        for s in ["--model", "--text", "--template", "--tokenizer", "--max-length", "(default: 77)", "--threads", "EXAMPLES", "{} sound"] {
            #expect(r.stdout.contains(s), "\(s)")
        }
    }
}
