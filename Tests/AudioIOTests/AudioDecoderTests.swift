import AudioIO
import Foundation
import Testing

@Suite("AudioDecoder: every libsndfile format, from a path and from memory")
struct AudioDecoderTests {
    @Test("PCM_16 decodes to exactly k/32768 (WAV, AIFF, RF64, FLAC), path and memory alike", arguments: [
        (AudioContainer.wav, "wav"), (.aiff, "aiff"), (.rf64, "rf64"), (.flac, "flac"),
    ])
    func pcm16Exact(container: AudioContainer, ext: String) throws {
        let folder = try TestAudio.Folder()
        var random = TestAudio.Random(seed: 16)
        var ints = (0..<4_000).map { _ in random.int16() }
        ints[0] = .min; ints[1] = .max; ints[2] = 0; ints[3] = -1
        let path = folder.path("pcm16.\(ext)")
        try AudioFileWriter.write(int16: ints, channels: 2, sampleRate: 44_100, container: container, encoding: .pcm16, to: path)
        let audio = try AudioDecoder.decode(path: path)
        #expect(audio.format == AudioFormatInfo(container, .pcm16))
        #expect(audio.sampleRate == 44_100 && audio.channels == 2 && audio.frames == 2_000)
        #expect(audio.samples == ints.map { Float($0) / 32_768 })
        #expect(audio.samples.first == -1.0)
        #expect(try AudioDecoder.decode(bytes: TestAudio.bytes(path), name: "memory") == audio)
    }

    @Test("FLAC PCM_24 decodes to exactly k/8388608")
    func flac24Exact() throws {
        let folder = try TestAudio.Folder()
        var random = TestAudio.Random(seed: 24)
        var values = (0..<3_000).map { _ in Int32(truncatingIfNeeded: random.next()) >> 8 }  // 24-bit range
        values[0] = -(1 << 23); values[1] = (1 << 23) - 1
        let path = folder.path("pcm24.flac")
        try AudioFileWriter.write(int32: values.map { $0 << 8 }, channels: 1, sampleRate: 96_000, container: .flac, encoding: .pcm24, to: path)
        let audio = try AudioDecoder.decode(path: path)
        #expect(audio.format == AudioFormatInfo(.flac, .pcm24) && audio.sampleRate == 96_000 && audio.frames == 3_000)
        #expect(audio.samples == values.map { Float($0) / 8_388_608 })
    }

    @Test("8-bit unsigned WAV decodes to exactly k/128")
    func pcmU8Exact() throws {
        let folder = try TestAudio.Folder()
        let steps = (-128...127).map { Int16($0) }
        let path = folder.path("u8.wav")
        try AudioFileWriter.write(int16: steps.map { $0 << 8 }, channels: 1, sampleRate: 8_000, container: .wav, encoding: .pcmU8, to: path)
        let audio = try AudioDecoder.decode(path: path)
        #expect(audio.format == AudioFormatInfo(.wav, .pcmU8))
        #expect(audio.samples == steps.map { Float($0) / 128 })
    }

    @Test("float WAV keeps values as written, including beyond ±1 and subnormals")
    func floatUnchanged() throws {
        let folder = try TestAudio.Folder()
        let values: [Float] = [0, 1.5, -3.25, .leastNonzeroMagnitude, 1e-20, -0.0, 0.1, 1e4]
        let path = folder.path("float.wav")
        try AudioFileWriter.write(float: values, channels: 2, sampleRate: 22_050, container: .wav, encoding: .float, to: path)
        let audio = try AudioDecoder.decode(path: path)
        #expect(audio.format == AudioFormatInfo(.wav, .float))
        #expect(audio.samples.map(\.bitPattern) == values.map(\.bitPattern))
    }

    /// Lossy and companded encodings: the decoded signal must match what was written, in time and
    /// within the codec's noise. On these stereo chirps (up to rate/6) libsndfile 1.2.0 measured
    /// µ-law 38 dB, MS-ADPCM 26, Vorbis (default quality) 17, Opus 27, MP3 (LAME default) 21 dB;
    /// the thresholds sit 5–8 dB below, so a delayed, wrong-channel or wrong-rate decode fails.
    @Test("lossy and companded encodings decode close to what was written", arguments: [
        LossyCase(.wav, .ulaw, 8_000, "ulaw.wav", minSNR: 30),
        LossyCase(.wav, .msADPCM, 22_050, "adpcm.wav", minSNR: 20, padding: 2_048),
        LossyCase(.ogg, .vorbis, 44_100, "vorbis.ogg", minSNR: 12),
        LossyCase(.ogg, .opus, 48_000, "opus.opus", minSNR: 20),
        LossyCase(.mp3, .mpegLayerIII, 44_100, "lame.mp3", minSNR: 15),
    ])
    func lossy(_ c: LossyCase) throws {
        let folder = try TestAudio.Folder()
        let frames = c.sampleRate / 2
        let written = TestAudio.chirps(frames: frames, channels: 2, sampleRate: c.sampleRate, high: Double(c.sampleRate) / 6)
        let path = folder.path(c.fileName)
        try AudioFileWriter.write(float: written, channels: 2, sampleRate: c.sampleRate, container: c.container, encoding: c.encoding, to: path)
        let audio = try AudioDecoder.decode(path: path)
        #expect(audio.format == AudioFormatInfo(c.container, c.encoding))
        #expect(audio.sampleRate == c.sampleRate && audio.channels == 2)
        // Exactly what was written, except MS-ADPCM, which pads its last block with silence.
        #expect(audio.frames >= frames && audio.frames - frames <= c.padding, "decoded \(audio.frames) of \(frames) frames")
        let snr = TestAudio.snr(reference: written, decoded: audio.samples, channels: 2)
        #expect(snr >= c.minSNR, "SNR \(snr) dB")
        #expect(try AudioDecoder.decode(bytes: TestAudio.bytes(path), name: "memory") == audio)
    }

    @Test("Vorbis output is not clipped: a full-scale square wave decodes beyond ±1.0")
    func vorbisNotClipped() throws {
        let folder = try TestAudio.Folder()
        let square = (0..<44_100).map { f -> Float in (f / 50) % 2 == 0 ? 1.0 : -1.0 }
        let path = folder.path("square.ogg")
        try AudioFileWriter.write(float: square, channels: 1, sampleRate: 44_100, container: .ogg, encoding: .vorbis, to: path)
        let audio = try AudioDecoder.decode(path: path)
        let peak = audio.samples.map(abs).max() ?? 0
        #expect(peak > 1.0, "peak \(peak)")
    }

    @Test("format is detected from content: a WAV named .ogg and a FLAC named .wav decode as what they are")
    func extensionLies() throws {
        let folder = try TestAudio.Folder()
        let ints: [Int16] = [1, -2, 300, -32768, 32767, 0]
        try AudioFileWriter.write(int16: ints, channels: 1, sampleRate: 16_000, container: .wav, encoding: .pcm16, to: folder.path("wav.ogg"))
        try AudioFileWriter.write(int16: ints, channels: 2, sampleRate: 16_000, container: .flac, encoding: .pcm16, to: folder.path("flac.wav"))
        let wav = try AudioDecoder.decode(path: folder.path("wav.ogg"))
        let flac = try AudioDecoder.decode(path: folder.path("flac.wav"))
        #expect(wav.format == AudioFormatInfo(.wav, .pcm16) && wav.samples == ints.map { Float($0) / 32_768 })
        #expect(flac.format == AudioFormatInfo(.flac, .pcm16) && flac.channels == 2 && flac.samples == wav.samples)
    }

    @Test("3, 4 and 5 channels keep their interleaving", arguments: [3, 4, 5])
    func multichannel(channels: Int) throws {
        let folder = try TestAudio.Folder()
        // Sample (frame f, channel c) holds 1000·c + f: any channel swap or shift shows.
        let ints = (0..<(100 * channels)).map { Int16(1_000 * ($0 % channels) + $0 / channels) }
        let path = folder.path("\(channels)ch.wav")
        try AudioFileWriter.write(int16: ints, channels: channels, sampleRate: 8_000, container: .wav, encoding: .pcm16, to: path)
        let audio = try AudioDecoder.decode(path: path)
        #expect(audio.channels == channels && audio.frames == 100)
        #expect(audio.samples == ints.map { Float($0) / 32_768 })
    }

    @Test("the extreme accepted rates, 5 kHz and 192 kHz, decode", arguments: [5_000, 192_000])
    func extremeRates(rate: Int) throws {
        let folder = try TestAudio.Folder()
        let path = folder.path("rate.flac")
        try AudioFileWriter.write(int16: [1, 2, 3, 4], channels: 1, sampleRate: rate, container: .flac, encoding: .pcm16, to: path)
        let audio = try AudioDecoder.decode(path: path)
        #expect(audio.sampleRate == rate && audio.samples == [1, 2, 3, 4].map { Float($0) / 32_768 })
        #expect(audio.duration == 4 / Double(rate))
    }

    @Test("clips of a few samples decode, down to a single frame", arguments: [1, 2, 3, 7])
    func fewSamples(frames: Int) throws {
        let folder = try TestAudio.Folder()
        let ints = (0..<(frames * 2)).map { Int16($0 * 1_000 - 3_000) }
        for (container, ext) in [(AudioContainer.wav, "wav"), (.flac, "flac")] {
            let path = folder.path("short.\(ext)")
            try AudioFileWriter.write(int16: ints, channels: 2, sampleRate: 16_000, container: container, encoding: .pcm16, to: path)
            let audio = try AudioDecoder.decode(path: path)
            #expect(audio.frames == frames && audio.samples == ints.map { Float($0) / 32_768 })
        }
    }
}

struct LossyCase: Sendable, CustomTestStringConvertible {
    let container: AudioContainer, encoding: AudioEncoding, sampleRate: Int, fileName: String, minSNR: Double, padding: Int
    init(_ container: AudioContainer, _ encoding: AudioEncoding, _ sampleRate: Int, _ fileName: String, minSNR: Double, padding: Int = 0) {
        (self.container, self.encoding, self.sampleRate, self.fileName, self.minSNR, self.padding) = (container, encoding, sampleRate, fileName, minSNR, padding)
    }
    var testDescription: String { "\(container.rawValue) \(encoding.rawValue)" }
}
