@testable import AudioIO
import Foundation
import Testing
import TestSupport

@Suite("AudioHash")
struct AudioHashTests {
    @Test("hash of known samples equals Python hashlib over '<f4' bytes + struct.pack('<II', rate, channels)")
    func known() {
        // python3 -c "import struct,hashlib; s=[0.0,-0.5,0.25,1.0,-1.0,3.0517578125e-05];
        //   print(hashlib.sha256(struct.pack('<6f',*s)+struct.pack('<II',48000,2)).hexdigest())"
        let samples: [Float] = [0.0, -0.5, 0.25, 1.0, -1.0, 3.0517578125e-05]
        #expect(AudioHash.sha256(samples: samples, sampleRate: 48000, channels: 2)
                == "baf8d0ef7a980ad471c6e733f0b7c24e70a42c6bcfca71c18f6ab183f8b37b4c")
    }

    @Test("the fast hash equals the byte-by-byte twin on random lengths, rates and channel counts")
    func twin() {
        var rng = SeededGenerator(state: 5)
        for count in [0, 1, 15, 16, 17, 63, 64, 1000, 4097] {
            let samples = rng.floats(count)
            let rate = [8000, 44100, 48000][count % 3]
            #expect(AudioHash.sha256(samples: samples, sampleRate: rate, channels: 1 + count % 2)
                    == AudioHash.sha256Reference(samples: samples, sampleRate: rate, channels: 1 + count % 2))
        }
    }

    @Test("the same PCM in WAV and FLAC hashes the same; another rate, channel layout or one sample differs")
    func decodedNotFileBytes() throws {
        let folder = try TemporaryFolder()
        var rng = SeededGenerator(state: 9)
        let pcm = (0..<4000).map { _ in Int16.random(in: -20000...20000, using: &rng) }
        let wav = folder.path("a.wav"), flac = folder.path("a.flac")
        try AudioFileWriter.write(int16: pcm, channels: 2, sampleRate: 22050, container: .wav, encoding: .pcm16, to: wav)
        try AudioFileWriter.write(int16: pcm, channels: 2, sampleRate: 22050, container: .flac, encoding: .pcm16, to: flac)
        let a = try AudioDecoder.decode(path: wav), b = try AudioDecoder.decode(path: flac)
        #expect(try Data(contentsOf: URL(fileURLWithPath: wav)) != Data(contentsOf: URL(fileURLWithPath: flac)))
        #expect(AudioHash.sha256(a) == AudioHash.sha256(b))
        #expect(AudioHash.sha256(a) != AudioHash.sha256(samples: a.samples, sampleRate: 22051, channels: 2))
        #expect(AudioHash.sha256(a) != AudioHash.sha256(samples: a.samples, sampleRate: 22050, channels: 1))
        var changed = a.samples
        changed[1234] = changed[1234].nextUp
        #expect(AudioHash.sha256(a) != AudioHash.sha256(samples: changed, sampleRate: 22050, channels: 2))
    }
}
