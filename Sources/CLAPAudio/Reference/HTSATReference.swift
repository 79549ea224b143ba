import Foundation
import NN

/// Slow, obviously correct twins of the HTSAT kernels: whole tensors, plain loops in the reference's
/// own formulation (explicit roll, window partition and reverse, direct convolution), Double
/// accumulation. Tests compare the fast paths against these.
public enum HTSATReference {
    /// `F.interpolate((frames, bins) → (outFrames, bins), mode='bicubic', align_corners=True)`
    /// (the frequency axis maps onto itself), then `reshape_wav2img`'s fold. Weights in Double from
    /// the reference's float scale `Float(in−1)/Float(out−1)`.
    public static func resizeAndFold(_ input: [Float], frames: Int, bins: Int, outFrames: Int, freqRatio: Int) -> [Float] {
        let a = -0.75
        func cubic(_ x: Double) -> Double {
            let x = abs(x)
            if x <= 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
            return 0
        }
        let scale = Double(Float(frames - 1) / Float(outFrames - 1))
        var resized = [Double](repeating: 0, count: outFrames * bins)
        for t in 0..<outFrames {
            let real = Double(Float(scale) * Float(t))
            let base = Int(real.rounded(.down))
            for f in 0..<bins {
                var acc = 0.0
                for tap in -1...2 {
                    let src = min(max(base + tap, 0), frames - 1)
                    acc += cubic(real - Double(base + tap)) * Double(input[src * bins + f])
                }
                resized[t * bins + f] = frames == outFrames ? Double(input[t * bins + f]) : acc
            }
        }
        // permute (T, F) → (F, T), reshape (F, ratio, T/ratio), permute → (ratio, F, T/ratio), flatten
        let chunk = outFrames / freqRatio
        var image = [Float](repeating: 0, count: freqRatio * bins * chunk)
        for k in 0..<freqRatio { for f in 0..<bins { for c in 0..<chunk {
            image[(k * bins + f) * chunk + c] = Float(resized[(k * chunk + c) * bins + f])
        } } }
        return image
    }

    /// Direct `Conv2d(1 → out, kernel (kh, kw), stride = kernel)` on `image` [height × width],
    /// `weight` [out × kh × kw]; returns tokens [(height/kh)·(width/kw) × out] in `flatten(2).transpose(1,2)` order.
    public static func patchConv(_ image: [Float], height: Int, width: Int, weight: [Float], bias: [Float],
                                 out: Int, kernelHeight kh: Int, kernelWidth kw: Int) -> [Float] {
        let rows = height / kh, cols = width / kw
        var y = [Float](repeating: 0, count: rows * cols * out)
        for r in 0..<rows { for c in 0..<cols { for o in 0..<out {
            var acc = Double(bias[o])
            for i in 0..<kh { for j in 0..<kw {
                acc += Double(weight[(o * kh + i) * kw + j]) * Double(image[(r * kh + i) * width + c * kw + j])
            } }
            y[(r * cols + c) * out + o] = Float(acc)
        } } }
        return y
    }

    /// Parameters of one Swin block, in PyTorch layouts.
    public struct BlockParameters: Sendable {
        public var dim: Int, heads: Int, window: Int, shift: Int, resolution: Int
        public var norm1Weight: [Float], norm1Bias: [Float], norm2Weight: [Float], norm2Bias: [Float]
        public var qkvWeight: [Float], qkvBias: [Float], projWeight: [Float], projBias: [Float]
        /// [(2w−1)² × heads]
        public var table: [Float]
        public var fc1Weight: [Float], fc1Bias: [Float], fc2Weight: [Float], fc2Bias: [Float]

        public init(dim: Int, heads: Int, window: Int, shift: Int, resolution: Int,
                    norm1Weight: [Float], norm1Bias: [Float], norm2Weight: [Float], norm2Bias: [Float],
                    qkvWeight: [Float], qkvBias: [Float], projWeight: [Float], projBias: [Float], table: [Float],
                    fc1Weight: [Float], fc1Bias: [Float], fc2Weight: [Float], fc2Bias: [Float]) {
            (self.dim, self.heads, self.window, self.shift, self.resolution) = (dim, heads, window, shift, resolution)
            (self.norm1Weight, self.norm1Bias, self.norm2Weight, self.norm2Bias) = (norm1Weight, norm1Bias, norm2Weight, norm2Bias)
            (self.qkvWeight, self.qkvBias, self.projWeight, self.projBias, self.table) = (qkvWeight, qkvBias, projWeight, projBias, table)
            (self.fc1Weight, self.fc1Bias, self.fc2Weight, self.fc2Bias) = (fc1Weight, fc1Bias, fc2Weight, fc2Bias)
        }
    }

    /// `SwinTransformerBlock.forward` (htsat.py:438-486) written out: LN1; `torch.roll(−s)`; window
    /// partition; attention with the bias table and the img_mask built by the reference's 3 × 3
    /// slicing; window reverse; `roll(+s)`; residual; LN2, fc1, exact GELU, fc2; residual.
    public static func swinBlock(_ x: [Float], _ p: BlockParameters) -> [Float] {
        let res = p.resolution, c = p.dim, w = p.window, s = p.shift, n = res * res, t = w * w, d = c / p.heads
        let normed = NNReference.layerNorm(x, rows: n, weight: p.norm1Weight, bias: p.norm1Bias, epsilon: 1e-5)
        // roll(−s): shifted[i][j] = x[(i + s) % res][(j + s) % res]
        var shifted = [Float](repeating: 0, count: n * c)
        for i in 0..<res { for j in 0..<res { for k in 0..<c {
            shifted[(i * res + j) * c + k] = normed[(((i + s) % res) * res + (j + s) % res) * c + k]
        } } }
        // img_mask: slices (0, −w), (−w, −s), (−s, None) on both axes, numbered row-major
        var imgMask = [Int](repeating: 0, count: n)
        if s > 0 {
            let slices = [0..<(res - w), (res - w)..<(res - s), (res - s)..<res]
            var cnt = 0
            for hs in slices { for ws in slices { for i in hs { for j in ws { imgMask[i * res + j] = cnt } }; cnt += 1 } }
        }
        var attnOut = [Float](repeating: 0, count: n * c)
        let perRow = res / w
        for wi in 0..<(perRow * perRow) {
            let tokens = (0..<t).map { q in ((wi / perRow) * w + q / w) * res + (wi % perRow) * w + q % w }
            // qkv for the window's tokens
            var qkv = [[Double]](repeating: [Double](repeating: 0, count: 3 * c), count: t)
            for (q, tok) in tokens.enumerated() { for o in 0..<(3 * c) {
                var acc = Double(p.qkvBias[o])
                for k in 0..<c { acc += Double(p.qkvWeight[o * c + k]) * Double(shifted[tok * c + k]) }
                qkv[q][o] = acc
            } }
            var context = [[Double]](repeating: [Double](repeating: 0, count: c), count: t)
            for h in 0..<p.heads {
                for i in 0..<t {
                    var logits = [Double](repeating: 0, count: t)
                    for j in 0..<t {
                        var dot = 0.0
                        for e in 0..<d { dot += qkv[i][h * d + e] * qkv[j][c + h * d + e] }
                        let dr = i / w - j / w + w - 1, dc = i % w - j % w + w - 1
                        logits[j] = dot / Double(d).squareRoot() + Double(p.table[(dr * (2 * w - 1) + dc) * p.heads + h])
                            + (imgMask[tokens[i]] != imgMask[tokens[j]] ? -100 : 0)
                    }
                    let m = logits.max()!
                    let e = logits.map { exp($0 - m) }
                    let z = e.reduce(0, +)
                    for j in 0..<t { for k in 0..<d { context[i][h * d + k] += e[j] / z * qkv[j][2 * c + h * d + k] } }
                }
            }
            for (q, tok) in tokens.enumerated() { for o in 0..<c {
                var acc = Double(p.projBias[o])
                for k in 0..<c { acc += Double(p.projWeight[o * c + k]) * context[q][k] }
                attnOut[tok * c + o] = Float(acc)
            } }
        }
        // roll(+s) back and the residual
        var y = x
        for i in 0..<res { for j in 0..<res { for k in 0..<c {
            y[(((i + s) % res) * res + (j + s) % res) * c + k] += attnOut[(i * res + j) * c + k]
        } } }
        let h2 = NNReference.layerNorm(y, rows: n, weight: p.norm2Weight, bias: p.norm2Bias, epsilon: 1e-5)
        let hidden = p.fc1Bias.count
        let a1 = NNReference.geluErf(NNReference.linear(h2, rows: n, weight: p.fc1Weight, bias: p.fc1Bias, inFeatures: c, outFeatures: hidden))
        let a2 = NNReference.linear(a1, rows: n, weight: p.fc2Weight, bias: p.fc2Bias, inFeatures: hidden, outFeatures: c)
        for i in 0..<(n * c) { y[i] += a2[i] }
        return y
    }
}
