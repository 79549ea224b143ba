import AudioIO
import Foundation
import TestSupport

/// Deterministic test signals and files written with libsndfile at test time.
enum TestAudio {
    typealias Folder = TemporaryFolder

    /// Interleaved sines, channel c at `frequency * (c + 1)`, amplitude `amplitude`.
    static func sines(frames: Int, channels: Int, sampleRate: Int, frequency: Double = 440, amplitude: Double = 0.5) -> [Float] {
        var out = [Float](repeating: 0, count: frames * channels)
        for f in 0..<frames {
            for c in 0..<channels {
                let phase = 2 * Double.pi * frequency * Double(c + 1) * Double(f) / Double(sampleRate)
                out[f * channels + c] = Float(amplitude * sin(phase))
            }
        }
        return out
    }

    /// Interleaved linear chirps from `low` to `high` Hz (channel c sweeps `c`·50 Hz higher): not
    /// periodic, so a codec's delay shows as one clear best lag.
    static func chirps(frames: Int, channels: Int, sampleRate: Int, low: Double = 200, high: Double = 3_000, amplitude: Double = 0.4) -> [Float] {
        var out = [Float](repeating: 0, count: frames * channels)
        let seconds = Double(frames) / Double(sampleRate)
        for f in 0..<frames {
            let t = Double(f) / Double(sampleRate)
            for c in 0..<channels {
                let start = low + 50 * Double(c)
                let phase = 2 * Double.pi * (start * t + 0.5 * (high - start) * t * t / seconds)
                out[f * channels + c] = Float(amplitude * sin(phase))
            }
        }
        return out
    }

    /// Reproducible pseudo-random integers (64-bit LCG, top bits).
    struct Random {
        var state: UInt64
        init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 16
        }
        mutating func int16() -> Int16 { Int16(truncatingIfNeeded: next()) }
        /// Uniform in [-1, 1).
        mutating func unit() -> Float { Float(Int32(truncatingIfNeeded: next() >> 8)) / 2_147_483_648 }
        /// Values whose float32 sums depend on the order they are added in: magnitudes spread over 2^±12.
        mutating func wide() -> Float { unit() * Float(pow(2.0, Double(Int(next() % 25) - 12))) }
    }

    static func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    /// Signal-to-noise ratio of `decoded` against `reference` in dB over the middle 80% of the frames
    /// (codecs ramp in and out at the ends). No lag search: libsndfile already removes the Opus
    /// pre-skip and the MP3 encoder delay, so a delayed decode shows as a low SNR.
    static func snr(reference: [Float], decoded: [Float], channels: Int) -> Double {
        var signal = 0.0, noise = 0.0
        let frames = min(reference.count, decoded.count) / channels
        for i in (frames / 10 * channels)..<(frames * 9 / 10 * channels) {
            let r = Double(reference[i]), d = Double(decoded[i])
            signal += r * r
            noise += (r - d) * (r - d)
        }
        return 10 * log10(signal / max(noise, 1e-30))
    }

    /// Root-mean-square of one channel.
    static func rms(_ x: [Float], channel: Int = 0, channels: Int = 1) -> Double {
        let frames = x.count / channels
        var sum = 0.0
        for f in 0..<frames { sum += Double(x[f * channels + channel]) * Double(x[f * channels + channel]) }
        return (sum / Double(frames)).squareRoot()
    }
}
