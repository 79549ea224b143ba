@testable import AudioIO
import Testing

@Suite("Downmix: librosa to_mono (np.mean over channels in float32), bit-exact")
struct DownmixTests {
    @Test("one channel is returned unchanged")
    func monoPassThrough() {
        let x: [Float] = [0.25, -1.5, 3, .leastNonzeroMagnitude]
        #expect(Downmix.mono(interleaved: x, channels: 1) == x)
    }

    /// Expected values come from numpy 2.4.6: `np.mean(np.array([row], np.float32).T, axis=(0,))`.
    /// Each row is chosen so that other summation orders give other answers (shown in the comment).
    static let numpyMeans: [([Float], UInt32)] = [
        // sequential ((1 + 1e8) - 1e8) = 0; grouping 1 + (1e8 - 1e8) would give 1/3
        ([1, 1e8, -1e8], 0x0000_0000),
        // sequential 6+1e8 rounds to 1e8+8: (8 + 1 + 1) / 5 = 2; exact arithmetic would give 1.6
        ([6, 1e8, -1e8, 1, 1], 0x4000_0000),
        // 8 channels switch numpy to 8 accumulators: ((1+1)+(1+1)) + ((1+1)+(1e8-1e8)) = 6 → 0.75;
        // a sequential sum would give (1e8+8 - 1e8) / 8 = 1.0
        ([1, 1, 1, 1, 1, 1, 1e8, -1e8], 0x3F40_0000),
        // 9 channels: the 8-accumulator block, then the ninth added: (6 + 0.5) / 9
        ([1, 1, 1, 1, 1, 1, 1e8, -1e8, 0.5], 0x3F38_E38E),
        // numpy starts from +0.0, so two negative zeros average to +0.0
        ([-0.0, -0.0], 0x0000_0000),
    ]

    @Test("order-sensitive frames match numpy's result bit for bit", arguments: numpyMeans)
    func numpyGoldens(row: [Float], expectedBits: UInt32) {
        let fast = Downmix.mono(interleaved: row, channels: row.count)
        let twin = Downmix.monoReference(interleaved: row, channels: row.count)
        #expect(fast.map(\.bitPattern) == [expectedBits])
        #expect(twin.map(\.bitPattern) == [expectedBits])
    }

    @Test("fast kernel equals the numpy-literal twin bit for bit", arguments: [2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 64, 127, 128, 129, 300])
    func fastEqualsTwin(channels: Int) {
        var random = TestAudio.Random(seed: UInt64(channels))
        let frames = 2_000
        let x = (0..<(frames * channels)).map { _ in random.wide() }
        let fast = Downmix.mono(interleaved: x, channels: channels)
        let twin = Downmix.monoReference(interleaved: x, channels: channels)
        #expect(fast.count == frames)
        #expect(fast.map(\.bitPattern) == twin.map(\.bitPattern))
    }

    @Test("the twin is a mean: constant channels average to their value; stereo (a, b) gives (a+b)/2")
    func twinIsMean() {
        #expect(Downmix.monoReference(interleaved: [0.5, 0.5, 0.5, -2, -2, -2], channels: 3) == [0.5, -2])
        #expect(Downmix.monoReference(interleaved: [1, 0, 0.25, 0.75], channels: 2) == [0.5, 0.5])
    }

    @Test("downmixToMono of decoded audio uses its channel count")
    func decodedAudio() {
        let audio = DecodedAudio(samples: [1, 1e8, -1e8, 3, 3, 3], channels: 3, sampleRate: 8_000,
                                 format: AudioFormatInfo(.wav, .float))
        #expect(downmixToMono(audio) == [0, 3])
    }
}

@Suite("FiniteCheck: blockwise exponent scan equals the obvious scan")
struct FiniteCheckTests {
    @Test("first NaN/±Inf found at any position, across block edges; none in finite data", arguments: [
        0, 1, 4_095, 4_096, 4_097, 8_191, 12_345, 19_999,
    ])
    func positions(position: Int) {
        var random = TestAudio.Random(seed: UInt64(position))
        var x = (0..<20_000).map { _ in random.wide() * 1e30 }  // large finite values near the top exponents
        x[5] = .greatestFiniteMagnitude
        #expect(FiniteCheck.firstNonFinite(x) == nil && FiniteCheck.firstNonFiniteReference(x) == nil)
        for bad in [Float.nan, .infinity, -.infinity, Float(bitPattern: 0xFFC0_0001)] {
            var y = x
            y[position] = bad
            if position + 3 < y.count { y[position + 3] = .nan }
            #expect(FiniteCheck.firstNonFinite(y) == position)
            #expect(FiniteCheck.firstNonFiniteReference(y) == position)
        }
    }

    @Test("empty input has no non-finite value")
    func empty() {
        #expect(FiniteCheck.firstNonFinite([]) == nil)
    }
}
