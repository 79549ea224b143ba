@testable import AudioIO
import Foundation
import Testing

@Suite("AudioLoader: decode → mono → 48 kHz")
struct AudioLoaderTests {
    @Test("a 48 kHz mono file comes back sample for sample")
    func untouched() throws {
        let folder = try TestAudio.Folder()
        var random = TestAudio.Random(seed: 48)
        let ints = (0..<1_000).map { _ in random.int16() }
        let path = folder.path("mono48k.flac")
        try AudioFileWriter.write(int16: ints, channels: 1, sampleRate: 48_000, container: .flac, encoding: .pcm16, to: path)
        let clip = try AudioLoader.load48kMono(path: path)
        #expect(clip.samples == ints.map { Float($0) / 32_768 })
        #expect(clip.nativeSampleRate == 48_000 && clip.nativeChannels == 1 && clip.nativeFrames == 1_000 && clip.sampleRate == 48_000)
        #expect(clip.format == AudioFormatInfo(.flac, .pcm16))
    }

    @Test("stereo 48 kHz is only mixed: each sample is (left + right) / 2")
    func mixedOnly() throws {
        let folder = try TestAudio.Folder()
        let ints: [Int16] = [100, 300, -32768, 32767, 7, 8]
        let path = folder.path("stereo.wav")
        try AudioFileWriter.write(int16: ints, channels: 2, sampleRate: 48_000, container: .wav, encoding: .pcm16, to: path)
        let clip = try AudioLoader.load48kMono(path: path)
        #expect(clip.samples == [200, -0.5, 7.5].map { Float($0) / 32_768 })
    }

    @Test("loading from memory equals loading from the path, for every format", arguments: [
        (AudioContainer.wav, AudioEncoding.msADPCM, 22_050), (.aiff, .pcm24, 44_100), (.flac, .pcm16, 16_000),
        (.ogg, .vorbis, 32_000), (.ogg, .opus, 24_000), (.mp3, .mpegLayerIII, 44_100), (.rf64, .float, 96_000),
    ])
    func memoryEqualsPath(container: AudioContainer, encoding: AudioEncoding, rate: Int) throws {
        let folder = try TestAudio.Folder()
        let path = folder.path("clip")
        try AudioFileWriter.write(float: TestAudio.chirps(frames: rate / 4, channels: 2, sampleRate: rate), channels: 2,
                                  sampleRate: rate, container: container, encoding: encoding, to: path)
        let fromPath = try AudioLoader.load48kMono(path: path)
        let fromMemory = try AudioLoader.load48kMono(bytes: [UInt8](TestAudio.bytes(path)), name: "tar:clip")
        #expect(fromMemory == fromPath)
        #expect(fromPath.samples.count == Resampler.outputLength(inputLength: fromPath.nativeFrames, from: rate, to: 48_000))
        #expect(fromPath.format == AudioFormatInfo(container, encoding))
    }

    @Test("validation applies to loading too: a 4 kHz file is refused")
    func validated() throws {
        let folder = try TestAudio.Folder()
        let path = folder.path("low.wav")
        try AudioFileWriter.write(int16: [1, 2, 3], channels: 1, sampleRate: 4_000, container: .wav, encoding: .pcm16, to: path)
        #expect(throws: AudioIOError.sampleRateOutOfRange(path: path, sampleRate: 4_000)) { try AudioLoader.load48kMono(path: path) }
    }
}

@Suite("SoundFileReader: the header's frame count is only a hint")
struct SoundFileReaderTests {
    @Test("reading with a far too small or too large reservation gives the same samples", arguments: [Int64(0), 1, 20_000, 1 << 40])
    func growth(reserving: Int64) throws {
        let folder = try TestAudio.Folder()
        let path = folder.path("long.flac")
        var random = TestAudio.Random(seed: 77)
        let ints = (0..<(3 * 50_000)).map { _ in random.int16() }  // 50,000 frames: several chunks
        try AudioFileWriter.write(int16: ints, channels: 3, sampleRate: 32_000, container: .flac, encoding: .pcm16, to: path)
        let samples = try SoundFileReader(path: path).readAllFrames(reservingFrames: reserving)
        #expect(samples == ints.map { Float($0) / 32_768 })
    }
}

@Suite("AudioDecoder from several threads at once")
struct ConcurrentDecodeTests {
    @Test("parallel decodes of every codec, good and bad files mixed, equal the serial results")
    func parallel() throws {
        let folder = try TestAudio.Folder()
        let signal = TestAudio.chirps(frames: 24_000, channels: 2, sampleRate: 48_000)
        let formats: [(AudioContainer, AudioEncoding)] = [(.wav, .pcm16), (.flac, .pcm24), (.ogg, .vorbis), (.ogg, .opus), (.mp3, .mpegLayerIII)]
        var paths: [String] = []
        for (i, (container, encoding)) in formats.enumerated() {
            let path = folder.path("clip\(i)")
            try AudioFileWriter.write(float: signal, channels: 2, sampleRate: 48_000, container: container, encoding: encoding, to: path)
            paths.append(path)
        }
        let notAudio = folder.path("notes")
        try Data("plain text".utf8).write(to: URL(fileURLWithPath: notAudio))
        paths += [notAudio, folder.path("missing")]
        let serial = paths.map { path in Result { () throws(AudioIOError) in try AudioDecoder.decode(path: path) } }
        let jobs = Array(repeating: paths, count: 4).flatMap { $0 }
        nonisolated(unsafe) var parallel = [Result<DecodedAudio, AudioIOError>?](repeating: nil, count: jobs.count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: jobs.count) { i in
            let result = Result { () throws(AudioIOError) in try AudioDecoder.decode(path: jobs[i]) }
            lock.withLock { parallel[i] = result }
        }
        for (i, result) in parallel.enumerated() {
            #expect(result == serial[i % paths.count], "job \(i): \(jobs[i])")
        }
    }
}
