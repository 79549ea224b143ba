import AudioIO
import Foundation
import Testing
import TestSupport

@Suite("audio-index probe")
struct ProbeTests {
    typealias Folder = TemporaryFolder

    private func objects(_ stdout: String) throws -> [[String: Any]] {
        try stdout.split(separator: "\n").map {
            try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    @Test("text: one line per file with format, rate, channels, decoded frames, duration; exit 0")
    func text() throws {
        let folder = try Folder()
        try folder.wav("a.wav", frames: 4_410)
        try folder.wav("b.ogg", frames: 8_000, channels: 1, rate: 16_000, container: .flac)  // a FLAC named .ogg
        let r = try CLI.run(["probe", folder.path("a.wav"), folder.path("b.ogg")])
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty)
        #expect(r.stdout == """
            \(folder.path("a.wav")): WAV PCM_16, 44100 Hz, 2 ch, 4410 frames, 0.100 s
            \(folder.path("b.ogg")): FLAC PCM_16, 16000 Hz, 1 ch, 8000 frames, 0.500 s

            """)
    }

    @Test("json: one object per line with the documented keys in order; frames come from decoding")
    func json() throws {
        let folder = try Folder()
        try folder.wav("whole.wav", frames: 10_000, channels: 1, rate: 8_000)
        // Cut the file: the header still claims 10,000 frames, decoding yields what is left.
        let whole = try Data(contentsOf: URL(fileURLWithPath: folder.path("whole.wav")))
        try folder.bytes("cut.wav", whole.prefix(44 + 2 * 2_500))
        let r = try CLI.run(["probe", "--format", "json", folder.path("whole.wav"), folder.path("cut.wav")])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0] == #"{"path":"\#(folder.path("whole.wav"))","ok":true,"format":"WAV","subtype":"PCM_16","sample_rate":8000,"channels":1,"frames":10000,"duration_s":1.25,"error":null}"#)
        let cut = try objects(r.stdout)[1]
        #expect(cut["frames"] as? Int == 2_500)
        #expect(cut["duration_s"] as? Double == 2_500.0 / 8_000)
    }

    @Test("--recursive over a mixed folder: every file in sorted order, hidden skipped, failures reported, exit 1")
    func mixedFolder() throws {
        let folder = try Folder()
        try folder.wav("b-good.wav", frames: 100)
        try folder.bytes("a-notes.txt", Data("not audio".utf8))
        try folder.bytes("c-empty.wav", Data())
        try folder.bytes("sub/d-text.flac", Data("fLaC but not really".utf8))
        try folder.wav("sub/e-low.wav", frames: 10, channels: 1, rate: 4_000)
        try folder.wav(".hidden.wav", frames: 10)
        try folder.wav("sub/.hidden-too.wav", frames: 10)
        let r = try CLI.run(["probe", "--recursive", "--format", "json", folder.url.path])
        #expect(r.status == 1)
        let rows = try objects(r.stdout)
        let expectedOrder = ["a-notes.txt", "b-good.wav", "c-empty.wav", "sub/d-text.flac", "sub/e-low.wav"]
        #expect(rows.compactMap { $0["path"] as? String } == expectedOrder.map { folder.path($0) })
        #expect(rows.map { $0["ok"] as? Bool } == [false, true, false, false, false])
        #expect((rows[2]["error"] as? String)?.hasPrefix("empty file") == true)
        #expect((rows[4]["error"] as? String)?.contains("4000 Hz") == true)
        #expect(rows[0]["frames"] is NSNull && rows[0]["format"] is NSNull)
        // One stderr line per failure, each naming its file.
        let errors = r.stderr.split(separator: "\n")
        #expect(errors.count == 4)
        #expect(errors.allSatisfy { $0.hasPrefix("audio-index: error: \(folder.url.path)/") })
    }

    @Test("a folder without --recursive is an error naming the flag; the other files are still probed")
    func folderWithoutRecursive() throws {
        let folder = try Folder()
        try folder.wav("ok.wav", frames: 10)
        let r = try CLI.run(["probe", folder.url.path, folder.path("ok.wav")])
        #expect(r.status == 1)
        #expect(r.stdout.hasPrefix(folder.path("ok.wav") + ": WAV PCM_16"))
        #expect(r.stderr == "audio-index: error: \(folder.url.path): is a directory, not an audio file (pass the audio files inside it, or --recursive to walk it)\n")
    }

    @Test("a missing file exits 1 with a one-line reason; no arguments is a usage error (exit 2)")
    func missingAndUsage() throws {
        let missing = try CLI.run(["probe", "/no/such/file.wav"])
        #expect(missing.status == 1)
        #expect(missing.stderr == "audio-index: error: /no/such/file.wav: no such file (check the path)\n")
        let none = try CLI.run(["probe"])
        #expect(none.status == 2)
        #expect(none.stderr.contains("give at least one file"))
    }

    @Test("--help teaches: examples, JSON fields, exit status, defaults")
    func help() throws {
        let r = try CLI.run(["probe", "--help"])
        #expect(r.status == 0)
        for needle in ["EXAMPLES", "audio-index probe --recursive", "duration_s", "EXIT STATUS", "default: text"] {
            #expect(r.stdout.contains(needle), "missing \(needle)")
        }
    }
}

/// Writing generated inputs into a test folder.
private extension TemporaryFolder {
    func wav(_ name: String, frames: Int, channels: Int = 2, rate: Int = 44_100,
             container: AudioContainer = .wav, encoding: AudioEncoding = .pcm16) throws {
        let samples = (0..<(frames * channels)).map { Int16(truncatingIfNeeded: $0 &* 7_919) }
        try AudioFileWriter.write(int16: samples, channels: channels, sampleRate: rate, container: container, encoding: encoding, to: path(name))
    }

    func bytes(_ name: String, _ data: Data) throws {
        try FileManager.default.createDirectory(at: url.appendingPathComponent(name).deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url.appendingPathComponent(name))
    }
}
