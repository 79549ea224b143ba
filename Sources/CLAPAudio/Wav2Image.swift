import Foundation

/// laion_clap `reshape_wav2img` (htsat.py:833-849; transformers `reshape_mel2img` is identical):
/// time is resized `frames → specSize·freqRatio` (1001 → 1024) with
/// `F.interpolate(mode='bicubic', align_corners=True)`, then the 1024 × 64 map is folded into a
/// 256 × 256 image, `image[k·64 + f][t'] = resized[256·k + t'][f]`.
///
/// The frequency axis maps 64 → 64 at scale 1, so its cubic weights are exactly [0, 1, 0, 0] and the
/// resize is 1-D along time. The weights reproduce ATen's float arithmetic
/// (aten/src/ATen/native/UpSample.h `area_pixel_compute_scale`, `get_cubic_upsample_coefficients`,
/// A = −0.75): `scale = Float(in−1)/Float(out−1)`, `x = scale·i`, `t = x − floor(x)`, taps at
/// floor(x)−1 … floor(x)+2 clamped to [0, in−1], summed left to right.
public struct BicubicTimeResize: Sendable {
    public let inputFrames: Int
    public let outputFrames: Int
    /// Per output frame: the four clamped source frames and their weights.
    let taps: [(index: SIMD4<Int32>, weight: SIMD4<Float>)]

    public init(inputFrames: Int, outputFrames: Int) {
        precondition(inputFrames > 0 && outputFrames > 0)
        self.inputFrames = inputFrames
        self.outputFrames = outputFrames
        let scale: Float = outputFrames > 1 ? Float(inputFrames - 1) / Float(outputFrames - 1) : 0
        let a: Float = -0.75
        func conv1(_ x: Float) -> Float { ((a + 2) * x - (a + 3)) * x * x + 1 }
        func conv2(_ x: Float) -> Float { ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
        taps = (0..<outputFrames).map { i in
            let real = scale * Float(i)
            let base = real.rounded(.down)
            let t = real - base
            let b = Int(base)
            let x2 = 1 - t
            let w = SIMD4<Float>(conv2(t + 1), conv1(t), conv1(x2), conv2(x2 + 1))
            let idx = SIMD4<Int32>((0..<4).map { Int32(min(max(b - 1 + $0, 0), inputFrames - 1)) })
            return (idx, w)
        }
    }

    /// `input` [inputFrames × bins] → `image` [(outputFrames/chunk)·bins × chunk] with the fold above,
    /// `chunk = outputFrames / freqRatio`. When `inputFrames == outputFrames` the reference skips
    /// the interpolation; so does this (the weights would be [0,1,0,0] anyway).
    public func resizeAndFold(_ input: UnsafePointer<Float>, bins: Int, freqRatio: Int, into image: UnsafeMutablePointer<Float>) {
        let chunk = outputFrames / freqRatio
        for t in 0..<outputFrames {
            let k = t / chunk, col = t % chunk
            let out = image + (k * bins) * chunk + col
            if inputFrames == outputFrames {
                let row = input + t * bins
                for f in 0..<bins { out[f * chunk] = row[f] }
                continue
            }
            let (idx, w) = taps[t]
            let r0 = input + Int(idx[0]) * bins, r1 = input + Int(idx[1]) * bins
            let r2 = input + Int(idx[2]) * bins, r3 = input + Int(idx[3]) * bins
            for f in 0..<bins {
                out[f * chunk] = r0[f] * w[0] + r1[f] * w[1] + r2[f] * w[2] + r3[f] * w[3]
            }
        }
    }
}
