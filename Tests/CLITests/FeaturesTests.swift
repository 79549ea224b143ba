import AudioIO
import CLAPFrontEnd
import Foundation
import NumPyFormat
import Testing
import TestSupport

@Suite("audio-index features and bench mel")
struct FeaturesTests {
    static let clips = Fixtures.url("frontend/clips")

    @Test("writes the laion log-mel of a clip as <f4 1001×64, matching laion_clap within the fixture bound")
    func laion() throws {
        let folder = try TemporaryFolder()
        let out = folder.path("mel.npy")
        let r = try CLI.run(["features", Self.clips.appendingPathComponent("chirp_noise_7s.flac").path, "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains("profile laion, shape 1001×64, longer false, long-clip center"))
        let mel = try NPY.read(contentsOf: URL(fileURLWithPath: out))
        #expect(mel.shape == [1001, 64] && mel.dtype == .float32)
        let reference = try Fixtures.npy("frontend/expected/chirp_noise_7s.laion.logmel.npy").float32Values()!
        let comparison = LogMelComparison(mel.float32Values()!, reference, columns: 64)
        #expect(comparison.passes(), "\(comparison)")
    }

    @Test("--long-clip windows writes W×1001×64 (fusion W×4×1001×64): consecutive 10 s windows, the last aligned to the end")
    func windows() throws {
        let folder = try TemporaryFolder()
        let clip = Self.clips.appendingPathComponent("long25s.flac").path
        let samples = try AudioLoader.load48kMono(path: clip).samples
        for (profile, perWindow) in [("laion", [1001, 64]), ("laion-fusion", [4, 1001, 64])] {
            let out = folder.path("\(profile).npy")
            let r = try CLI.run(["features", clip, "--profile", profile, "--long-clip", "windows", "--out", out])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr.contains("longer false,false,false, long-clip windows"))
            let mel = try NPY.read(contentsOf: URL(fileURLWithPath: out))
            #expect(mel.shape == [3] + perWindow)
            // 25 s → windows at 0, 10 s and 15 s (aligned to the end); each equals the 10 s clip alone.
            let frontEnd = try CLAPFrontEnd(profile: profile == "laion" ? .laion : .laionFusion)
            let count = perWindow.reduce(1, *)
            for (w, start) in [0, 480_000, 720_000].enumerated() {
                let alone = try frontEnd.features(Array(samples[start..<(start + 480_000)]))
                #expect(Array(mel.float32Values()![(w * count)..<((w + 1) * count)]) == alone.values, "\(profile) window \(w)")
            }
        }
    }

    @Test("--model with a Hugging Face folder selects hf with its preprocessor_config.json")
    func hfModel() throws {
        let folder = try TemporaryFolder()
        let out = folder.path("mel.npy")
        let r = try CLI.run(["features", Self.clips.appendingPathComponent("tone440_3s.flac").path,
                             "--model", Fixtures.url("frontend/hf-rand_trunc").path, "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("profile hf-rand_trunc, shape 1001×64"))
        let reference = try Fixtures.npy("frontend/expected/tone440_3s.hf-rand_trunc.logmel.npy").float32Values()!
        let comparison = LogMelComparison(try NPY.read(contentsOf: URL(fileURLWithPath: out)).float32Values()!, reference, columns: 64)
        #expect(comparison.passes(), "\(comparison)")
    }

    @Test("model errors: a .pt checkpoint is unsupported (exit 7), a folder without config is bad input (exit 5), a conflicting --profile is a usage error (exit 2)")
    func modelErrors() throws {
        let folder = try TemporaryFolder()
        let clip = Self.clips.appendingPathComponent("click37.wav").path
        let checkpoint = folder.path("630k-audioset-best.pt")
        #expect(FileManager.default.createFile(atPath: checkpoint, contents: Data([0x80, 0x02])))
        let pt = try CLI.run(["features", clip, "--model", checkpoint, "--out", folder.path("x.npy")])
        #expect(pt.status == 7)
        #expect(pt.stderr.contains("checkpoints (.pt) are not supported yet") && pt.stderr.contains("--profile laion"))
        let noConfig = try CLI.run(["features", clip, "--model", folder.url.path, "--out", folder.path("x.npy")])
        #expect(noConfig.status == 5)
        #expect(noConfig.stderr.contains("no preprocessor_config.json"))
        let mismatch = try CLI.run(["features", clip, "--model", Fixtures.url("frontend/hf-fusion").path,
                                    "--profile", "laion-fusion", "--out", folder.path("x.npy")])
        #expect(mismatch.status == 2)
        #expect(mismatch.stderr.contains("front end is hf, not laion-fusion"))
        #expect(!FileManager.default.fileExists(atPath: folder.path("x.npy")))
        let badPolicy = try CLI.run(["features", clip, "--long-clip", "random", "--out", folder.path("x.npy")])
        #expect(badPolicy.status == 2 && badPolicy.stderr.contains("'center', 'start' or 'windows'"))
    }

    @Test("--manifest writes one <id>.npy per clip and summary.jsonl, keeps going after a failure and exits 1")
    func manifest() throws {
        let folder = try TemporaryFolder()
        let manifest = folder.path("m.jsonl")
        let lines = [
            #"{"id": "tones/a440", "path": "\#(Self.clips.appendingPathComponent("tone440_3s.flac").path)"}"#,
            #"{"id": "missing", "path": "\#(folder.path("nothing.wav"))"}"#,
            #"{"id": "../click", "path": "\#(Self.clips.appendingPathComponent("click37.wav").path)"}"#,
        ]
        try (lines.joined(separator: "\n") + "\n").write(toFile: manifest, atomically: true, encoding: .utf8)
        let out = folder.path("features")
        let r = try CLI.run(["features", "--manifest", manifest, "--out-dir", out, "--format", "json"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("missing: ") && r.stderr.contains("2 of 3 clips"))
        let stdout = r.stdout.split(separator: "\n")
        #expect(stdout.count == 3)
        #expect(stdout.first?.hasPrefix(#"{"id":"tones/a440","path":"#) == true)
        #expect(stdout.first?.contains(#""npy":"tones%2Fa440.npy","profile":"laion","shape":[1001,64],"longer":false"#) == true)
        #expect(stdout[1].contains(#""ok""#) == false && stdout[1].contains(#""npy":null,"profile":null,"shape":null,"longer":null"#))
        let summary = try String(contentsOfFile: out + "/summary.jsonl", encoding: .utf8)
        #expect(summary == stdout.map { $0 + "\n" }.joined())
        let tone = try NPY.read(contentsOf: URL(fileURLWithPath: out + "/tones%2Fa440.npy"))
        #expect(tone.shape == [1001, 64])
        let reference = try Fixtures.npy("frontend/expected/tone440_3s.laion.logmel.npy").float32Values()!
        #expect(LogMelComparison(tone.float32Values()!, reference, columns: 64).passes())
        // "../click" stays inside the folder.
        #expect(FileManager.default.fileExists(atPath: out + "/%2E.%2Fclick.npy"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == ["%2E.%2Fclick.npy", "summary.jsonl", "tones%2Fa440.npy"])
    }

    @Test("a file needs --out, a manifest needs --out-dir, not both at once (usage errors)")
    func usage() throws {
        let clip = Self.clips.appendingPathComponent("click37.wav").path
        for arguments in [["features", clip], ["features", "--manifest", "m.jsonl"], ["features", clip, "--manifest", "m.jsonl", "--out", "x"],
                          ["features", clip, "--out", "x.npy", "--out-dir", "d"], ["features"]] {
            let r = try CLI.run(arguments)
            #expect(r.status == 2, "\(arguments)")
            #expect(r.stderr.contains("--out") || r.stderr.contains("--manifest"), "\(arguments): \(r.stderr)")
        }
    }

    @Test("--help explains profiles, policies, shapes and defaults")
    func help() throws {
        let r = try CLI.run(["features", "--help"])
        #expect(r.status == 0)
        // Help text is wrapped to the terminal width; compare with whitespace runs folded.
        let help = r.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for text in ["laion-fusion", "preprocessor_config.json", "laion/clap-htsat-fused", "W×4×1001×64",
                     "default: center", "not supported yet"] {
            #expect(help.contains(text), "missing \(text)")
        }
    }

    @Test("bench mel runs both cases and reports them as JSON lines")
    func benchMel() throws {
        let r = try CLI.run(["bench", "mel", "--runs", "1", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.hasPrefix(#"{"case":"logmel","profile":"laion","precision":"double","samples":480000"#) == true)
        #expect(r.stderr.contains("1 thread"))
    }
}
