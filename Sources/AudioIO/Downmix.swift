/// Channel mixing to mono, bit-exact with librosa.
///
/// Reference: librosa 0.11 `core/audio.py` `to_mono`: `np.mean(y, axis=0)` on the float32 array
/// `sf.read(...).T` of shape (channels, frames). numpy reduces the channel axis (stride 4 bytes, so
/// it is the inner loop) starting from the identity +0.0 with its pairwise summation
/// (`numpy/_core/src/umath/loops_utils.h.src` `pairwise_sum`): below 8 channels a plain sequential
/// float32 sum, from 8 to 128 eight interleaved accumulators, above that recursive halves; then one
/// float32 division by the channel count. Checked bit-exact against numpy 2.4.6 for 2–300 channels.
public enum Downmix {
    /// Mono samples of `audio`: the input itself when it already has one channel.
    public static func mono(_ audio: DecodedAudio) -> [Float] {
        mono(interleaved: audio.samples, channels: audio.channels)
    }

    /// Mono mix of interleaved samples. Fast path for fewer than 8 channels (the sequential case);
    /// otherwise the per-frame pairwise sum.
    public static func mono(interleaved x: [Float], channels: Int) -> [Float] {
        precondition(channels > 0 && x.count % channels == 0, "\(x.count) samples do not split into \(channels) channels")
        if channels == 1 { return x }
        let frames = x.count / channels
        let divisor = Float(channels)
        return [Float](unsafeUninitializedCapacity: frames) { out, initialized in
            x.withUnsafeBufferPointer { input in
                if channels < 8 {
                    for f in 0..<frames {
                        let row = f * channels
                        var sum: Float = 0  // numpy's identity: makes -0.0 + -0.0 come out +0.0 as numpy does
                        for c in 0..<channels { sum += input[row + c] }
                        out[f] = sum / divisor
                    }
                } else {
                    for f in 0..<frames {
                        let row = UnsafeBufferPointer(rebasing: input[f * channels ..< (f + 1) * channels])
                        out[f] = (0 + pairwiseSum(row)) / divisor
                    }
                }
            }
            initialized = frames
        }
    }

    /// Slow twin of `mono(interleaved:channels:)`: copies each frame out and applies numpy's
    /// reduction literally, for every channel count. Tests compare the two.
    public static func monoReference(interleaved x: [Float], channels: Int) -> [Float] {
        (0..<(x.count / channels)).map { f in
            let frame = Array(x[f * channels ..< (f + 1) * channels])
            return frame.withUnsafeBufferPointer { (Float(0) + pairwiseSum($0)) / Float(channels) }
        }
    }

    /// numpy's `FLOAT_pairwise_sum` (float32 accumulators throughout).
    static func pairwiseSum(_ a: UnsafeBufferPointer<Float>) -> Float {
        let n = a.count
        if n < 8 {
            var res: Float = -0.0
            for v in a { res += v }
            return res
        } else if n <= 128 {
            var r = (a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7])
            var i = 8
            while i < n - n % 8 {
                r.0 += a[i]; r.1 += a[i + 1]; r.2 += a[i + 2]; r.3 += a[i + 3]
                r.4 += a[i + 4]; r.5 += a[i + 5]; r.6 += a[i + 6]; r.7 += a[i + 7]
                i += 8
            }
            var res = ((r.0 + r.1) + (r.2 + r.3)) + ((r.4 + r.5) + (r.6 + r.7))
            while i < n { res += a[i]; i += 1 }
            return res
        } else {
            var half = n / 2
            half -= half % 8
            return pairwiseSum(UnsafeBufferPointer(rebasing: a[0..<half]))
                + pairwiseSum(UnsafeBufferPointer(rebasing: a[half..<n]))
        }
    }
}

/// Mono samples of `audio` (librosa `to_mono`); see `Downmix`.
public func downmixToMono(_ audio: DecodedAudio) -> [Float] { Downmix.mono(audio) }
