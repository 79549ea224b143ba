import AudioIO
import Diagnostics
import Foundation
import Testing

@Suite("AudioDecoder validation: every bad input is a typed, one-line error naming the file")
struct AudioValidationTests {
    /// Decodes `path` expecting failure, and checks the error's one-line report names the file.
    private func failure(_ path: String) -> AudioIOError? {
        do {
            _ = try AudioDecoder.decode(path: path)
            return nil
        } catch {
            let line = ErrorReport.line(for: error)
            #expect(line.hasPrefix(path + ": "), "\(line)")
            #expect(!line.contains("\n"))
            #expect(error.hint != nil)
            return error
        }
    }

    private func failure(bytes: Data, name: String) -> AudioIOError? {
        do {
            _ = try AudioDecoder.decode(bytes: bytes, name: name)
            return nil
        } catch {
            #expect(ErrorReport.line(for: error).hasPrefix(name + ": "))
            return error
        }
    }

    @Test("a missing file, a directory and a device are refused before libsndfile opens them")
    func pathProblems() throws {
        let folder = try TestAudio.Folder()
        #expect(failure(folder.path("nope.wav")) == .fileNotFound(path: folder.path("nope.wav")))
        #expect(failure(folder.path("no-dir/x.wav")) == .fileNotFound(path: folder.path("no-dir/x.wav")))
        #expect(failure(folder.url.path) == .isDirectory(path: folder.url.path))
        #expect(failure("/dev/zero") == .notRegularFile(path: "/dev/zero"))
        #expect(AudioIOError.fileNotFound(path: "x").exitCode == .badInput)
        #expect(AudioIOError.isDirectory(path: "x").exitCode == .badInput)
    }

    @Test("an empty file and empty bytes are .emptyFile")
    func empty() throws {
        let folder = try TestAudio.Folder()
        let path = folder.path("empty.wav")
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        #expect(failure(path) == .emptyFile(path: path))
        #expect(failure(bytes: Data(), name: "member.wav") == .emptyFile(path: "member.wav"))
        #expect(AudioIOError.emptyFile(path: path).exitCode == .badInput)
    }

    @Test("text and random bytes are .notAudio (SF_ERR_UNRECOGNISED_FORMAT), exit code 5")
    func notAudio() throws {
        let folder = try TestAudio.Folder()
        let text = folder.path("notes.wav")
        try Data("these are not samples\n".utf8).write(to: URL(fileURLWithPath: text))
        guard case .notAudio(let p, let detail)? = failure(text) else { Issue.record("not .notAudio"); return }
        #expect(p == text && !detail.isEmpty)
        var random = TestAudio.Random(seed: 9)
        let noise = Data((0..<10_000).map { _ in UInt8(truncatingIfNeeded: random.next()) })
        guard case .notAudio? = failure(bytes: noise, name: "noise.flac") else { Issue.record("not .notAudio"); return }
        #expect(AudioIOError.notAudio(path: "x", detail: "d").exitCode == .badInput)
    }

    @Test("a WAV header over garbage: PCM decodes as noise (nothing to detect); float finds NaN/Inf; FLAC is refused")
    func headerOverGarbage() throws {
        let folder = try TestAudio.Folder()
        var random = TestAudio.Random(seed: 3)
        func overwriteAfterHeader(_ path: String, keep: Int) throws {
            var bytes = try TestAudio.bytes(path)
            for i in keep..<bytes.count { bytes[i] = UInt8(truncatingIfNeeded: random.next()) }
            try bytes.write(to: URL(fileURLWithPath: path))
        }
        let clean = TestAudio.chirps(frames: 8_000, channels: 1, sampleRate: 16_000)
        let pcm = folder.path("pcm.wav"), float = folder.path("float.wav"), flac = folder.path("garbage.flac")
        try AudioFileWriter.write(float: clean, channels: 1, sampleRate: 16_000, container: .wav, encoding: .pcm16, to: pcm)
        try AudioFileWriter.write(float: clean, channels: 1, sampleRate: 16_000, container: .wav, encoding: .float, to: float)
        try AudioFileWriter.write(float: clean, channels: 1, sampleRate: 16_000, container: .flac, encoding: .pcm16, to: flac)
        try overwriteAfterHeader(pcm, keep: 44)
        try overwriteAfterHeader(float, keep: 80)
        try overwriteAfterHeader(flac, keep: 42)  // "fLaC" + STREAMINFO survive
        let noise = try AudioDecoder.decode(path: pcm)
        #expect(noise.frames == 8_000 && TestAudio.snr(reference: clean, decoded: noise.samples, channels: 1) < 1)
        guard case .nonFiniteSample? = failure(float) else { Issue.record("float garbage was accepted"); return }
        // libsndfile fails this at open with one of its internal codes (161, "unknown error in flac
        // decoder", in 1.2.0), which has no public SF_ERR_* class: it stays .undecodable with its code.
        guard case .undecodable(_, let code, _)? = failure(flac) else { Issue.record("FLAC garbage was not refused"); return }
        #expect(code > 4)
    }

    @Test("a file cut in half: WAV and FLAC keep what survives, Vorbis is corrupt; a FLAC cut inside its first frame is corrupt")
    func truncated() throws {
        let folder = try TestAudio.Folder()
        let clean = TestAudio.chirps(frames: 48_000, channels: 2, sampleRate: 48_000)
        func cut(_ container: AudioContainer, _ encoding: AudioEncoding, keeping fraction: Double) throws -> Result<DecodedAudio, AudioIOError> {
            let path = folder.path("whole")
            try AudioFileWriter.write(float: clean, channels: 2, sampleRate: 48_000, container: container, encoding: encoding, to: path)
            let bytes = try TestAudio.bytes(path)
            let kept = bytes.prefix(Int(Double(bytes.count) * fraction))
            return Result { () throws(AudioIOError) in try AudioDecoder.decode(bytes: kept, name: "cut") }
        }
        let wav = try cut(.wav, .pcm16, keeping: 0.5).get()
        #expect(abs(wav.frames - 24_000) < 20)
        #expect(TestAudio.snr(reference: Array(clean.prefix(wav.samples.count)), decoded: wav.samples, channels: 2) > 80)
        let flac = try cut(.flac, .pcm16, keeping: 0.5).get()
        #expect(flac.frames > 10_000 && flac.frames < 30_000)
        #expect(TestAudio.snr(reference: Array(clean.prefix(flac.samples.count)), decoded: flac.samples, channels: 2) > 80)
        #expect(try cut(.ogg, .vorbis, keeping: 0.5).isCorrupt)
        #expect(try cut(.flac, .pcm16, keeping: 0.05).isCorrupt)
        #expect(AudioIOError.corrupt(path: "x", detail: "d").exitCode == .corrupt)
    }

    @Test("a WAV with a header and no frames is .noFrames")
    func zeroFrames() throws {
        let folder = try TestAudio.Folder()
        let path = folder.path("silence-of-nothing.wav")
        try AudioFileWriter.write(float: [], channels: 2, sampleRate: 44_100, container: .wav, encoding: .pcm16, to: path)
        #expect(try TestAudio.bytes(path).count > 0)
        #expect(failure(path) == .noFrames(path: path))
    }

    @Test("NaN and ±Inf samples in a float WAV are refused with their position", arguments: [
        (Float.nan, "NaN"), (Float.infinity, "+Inf"), (-Float.infinity, "-Inf"),
    ])
    func nonFinite(value: Float, label: String) throws {
        let folder = try TestAudio.Folder()
        var samples = [Float](repeating: 0.25, count: 3 * 100)
        samples[3 * 41 + 2] = value
        let path = folder.path("nan.wav")
        try AudioFileWriter.write(float: samples, channels: 3, sampleRate: 16_000, container: .wav, encoding: .float, to: path)
        #expect(failure(path) == .nonFiniteSample(path: path, frame: 41, channel: 2, value: label))
    }

    @Test("native rates of 4 kHz and 200 kHz are out of range; 5 kHz and 192 kHz are in", arguments: [
        (4_000, false), (4_999, false), (5_000, true), (192_000, true), (192_001, false), (200_000, false),
    ])
    func sampleRates(rate: Int, accepted: Bool) throws {
        let folder = try TestAudio.Folder()
        let path = folder.path("rate.wav")
        try AudioFileWriter.write(int16: [5, 6, 7], channels: 1, sampleRate: rate, container: .wav, encoding: .pcm16, to: path)
        if accepted {
            #expect(try AudioDecoder.decode(path: path).sampleRate == rate)
        } else {
            #expect(failure(path) == .sampleRateOutOfRange(path: path, sampleRate: rate))
        }
    }

    @Test("libsndfile codes map to cases and exit codes; unknown codes keep their number")
    func errorLines() {
        let e = AudioIOError.undecodable(path: "a/b.mp3", code: 7, detail: "msg")
        #expect(ErrorReport.line(for: e) == "a/b.mp3: cannot decode (libsndfile error 7: msg) (convert it to WAV PCM or FLAC, or remove it from the input)")
        #expect(e.exitCode == .badInput)
        #expect(AudioIOError.unsupportedEncoding(path: "x", detail: "d").exitCode == .unsupported)
        #expect(AudioIOError.unreadable(path: "x", detail: "d").exitCode == .ioFailure)
        #expect(ErrorReport.line(for: AudioIOError.sampleRateOutOfRange(path: "x.wav", sampleRate: 4_000))
                == "x.wav: sample rate 4000 Hz is outside the supported 5000–192000 Hz (resample it into that range first, e.g. with sox)")
    }

    @Test("an unreadable file is .unreadable (exit 6)", .enabled(if: getuid() != 0, "root reads everything"))
    func permissionDenied() throws {
        let folder = try TestAudio.Folder()
        let path = folder.path("locked.wav")
        try AudioFileWriter.write(int16: [1, 2], channels: 1, sampleRate: 8_000, container: .wav, encoding: .pcm16, to: path)
        chmod(path, 0)
        guard case .unreadable? = failure(path) else { Issue.record("not .unreadable"); return }
    }
}

private extension Result where Failure == AudioIOError {
    var isCorrupt: Bool {
        if case .failure(.corrupt) = self { return true }
        return false
    }
}
