import Foundation
import NumPyFormat
import Testing
import TestSupport

@Suite("audio-index embed --audio: rows in input order, NaN rows for failed clips, profiles checked against the model")
struct EmbedAudioCommandTests {
    let hfTiny = Fixtures.url("htsat/hf-tiny").path
    let clipA = Fixtures.url("audio/librosa-mono-8000-pcm16.wav").path
    let clipB = Fixtures.url("audio/librosa-stereo-44100-pcm16.wav").path

    @Test("a broken file gets a NaN row, a failures.jsonl line and exit 1; the other rows equal their single-clip runs, at any --threads and --batch")
    func rowsAndFailures() throws {
        let dir = try Fixtures.temporaryFolder("embed-audio")
        defer { try? FileManager.default.removeItem(at: dir) }
        let broken = dir.appendingPathComponent("broken.wav")
        try Data("not audio".utf8).write(to: broken)
        let out = dir.appendingPathComponent("e.npy")
        let r = try CLI.run(["embed", "--model", hfTiny, "--audio", clipA, broken.path, clipB, "--threads", "2", "--batch", "2", "--out", out.path])
        #expect(r.status == 1, "\(r.stderr)")
        let npy = try NPY.read(contentsOf: out)
        #expect(npy.shape == [3, 16])
        let rows = try #require(npy.float32Values())
        #expect(rows[16..<32].allSatisfy { $0.isNaN })
        let failures = try String(contentsOf: URL(fileURLWithPath: out.path + ".failures.jsonl"), encoding: .utf8)
        #expect(failures.split(separator: "\n").count == 1 && failures.contains("\"index\":1") && failures.contains("\"stage\":\"decode\""))

        for (row, clip) in [(0, clipA), (2, clipB)] {
            let single = dir.appendingPathComponent("s\(row).npy")
            let s = try CLI.run(["embed", "--model", hfTiny, "--audio", clip, "--out", single.path])
            #expect(s.status == 0, "\(s.stderr)")
            let v = try #require(try NPY.read(contentsOf: single).float32Values())
            #expect(Array(rows[(row * 16)..<((row + 1) * 16)]) == v, "row \(row) is bit-identical to the clip alone")
            let norm = v.reduce(0) { $0 + $1 * $1 }
            #expect(abs(norm - 1) < 1e-5)
            #expect(!FileManager.default.fileExists(atPath: single.path + ".failures.jsonl"))
        }
    }

    @Test("the default profile follows the model (.pt → laion, fused .pt → laion-fusion); a profile that does not fit is refused (exit 2) with the reason")
    func profiles() throws {
        let dir = try Fixtures.temporaryFolder("embed-audio")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("e.npy").path
        let pt = try CLI.run(["embed", "--model", Fixtures.url("htsat/laion-tiny.pt").path, "--audio", clipA, "--out", out])
        #expect(pt.status == 0 && pt.stderr.contains("profile laion,"), "\(pt.stderr)")
        let fused = try CLI.run(["embed", "--model", Fixtures.url("htsat/laion-fused.pt").path, "--audio", clipA, "--out", out])
        #expect(fused.status == 0 && fused.stderr.contains("profile laion-fusion"), "\(fused.stderr)")
        let wrong = try CLI.run(["embed", "--model", Fixtures.url("htsat/laion-tiny.pt").path, "--profile", "laion-fusion", "--audio", clipA, "--out", out])
        #expect(wrong.status == 2 && wrong.stderr.contains("not fused"), "\(wrong.stderr)")
        let hfOnFile = try CLI.run(["embed", "--model", Fixtures.url("htsat/laion-tiny.pt").path, "--profile", "hf", "--audio", clipA, "--out", out])
        #expect(hfOnFile.status == 2 && hfOnFile.stderr.contains("preprocessor_config.json"), "\(hfOnFile.stderr)")
        let both = try CLI.run(["embed", "--model", hfTiny, "--audio", clipA, "--text", "dog", "--out", out])
        #expect(both.status == 2)
        let segments = try CLI.run(["embed", "--model", hfTiny, "--audio", clipA, "--long-clip", "segments", "--out", out])
        #expect(segments.status == 2 && segments.stderr.contains("build"))
    }
}
