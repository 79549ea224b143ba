@testable import CLAPAudio
import Foundation
import NN
import Testing
import TestSupport

@Suite("fast HTSAT kernels agree with their slow twins")
struct KernelTwinTests {
    static func random(_ n: Int, _ g: inout SeededGenerator, scale: Float = 1) -> [Float] {
        (0..<n).map { _ in Float.random(in: -1...1, using: &g) * scale }
    }

    @Test("bicubic 1001→1024 resize and fold equals the Double twin to 1e-6 (relative)")
    func bicubic() {
        var g = SeededGenerator(state: 3)
        let input = (0..<(1001 * 64)).map { _ in Float.random(in: -90...5, using: &g) }
        let resize = BicubicTimeResize(inputFrames: 1001, outputFrames: 1024)
        var fast = [Float](repeating: 0, count: 256 * 256)
        input.withUnsafeBufferPointer { i in fast.withUnsafeMutableBufferPointer { resize.resizeAndFold(i.baseAddress!, bins: 64, freqRatio: 4, into: $0.baseAddress!) } }
        let slow = HTSATReference.resizeAndFold(input, frames: 1001, bins: 64, outFrames: 1024, freqRatio: 4)
        #expect(Compare.relative(fast, slow) <= 1e-6, "\(Compare.relative(fast, slow))")
        // the first and last frames are copied exactly (align_corners), and the fold puts frame 256k + t' at row 64k + f
        #expect(fast[0] == input[0])
        #expect(fast[(3 * 64 + 5) * 256 + 255] == input[1000 * 64 + 5])
    }

    @Test("an input already 1024 frames long is folded without interpolation")
    func noResize() {
        var g = SeededGenerator(state: 4)
        let input = Self.random(1024 * 64, &g)
        let resize = BicubicTimeResize(inputFrames: 1024, outputFrames: 1024)
        var fast = [Float](repeating: 0, count: 256 * 256)
        input.withUnsafeBufferPointer { i in fast.withUnsafeMutableBufferPointer { resize.resizeAndFold(i.baseAddress!, bins: 64, freqRatio: 4, into: $0.baseAddress!) } }
        #expect(fast == HTSATReference.resizeAndFold(input, frames: 1024, bins: 64, outFrames: 1024, freqRatio: 4))
    }

    @Test("patch embedding (im2col + sgemm) equals the direct convolution", arguments: [(4, 4), (4, 12)])
    func patchConv(_ kernel: (Int, Int)) {
        var g = SeededGenerator(state: 5)
        let (kh, kw) = kernel, out = 7, side = 64
        let image = Self.random(side * side, &g, scale: 3)
        let weight = Self.random(out * kh * kw, &g), bias = Self.random(out, &g)
        let conv = PatchConv(linear: Linear(weight: weight, bias: bias, inFeatures: kh * kw, outFeatures: out), kernelHeight: kh, kernelWidth: kw)
        let (rows, cols) = conv.outputSize(height: side, width: side)
        var columns = [Float](repeating: 0, count: rows * cols * kh * kw)
        var fast = [Float](repeating: 0, count: rows * cols * out)
        image.withUnsafeBufferPointer { i in columns.withUnsafeMutableBufferPointer { c in fast.withUnsafeMutableBufferPointer {
            conv.apply(i.baseAddress!, height: side, width: side, columns: c.baseAddress!, into: $0.baseAddress!)
        } } }
        let slow = HTSATReference.patchConv(image, height: side, width: side, weight: weight, bias: bias, out: out, kernelHeight: kh, kernelWidth: kw)
        #expect(Compare.relative(fast, slow) <= 1e-6, "\(Compare.relative(fast, slow))")
    }

    /// (shift, width, heads): head dimension 4 takes the attention kernel's general path, 24 and 32
    /// (HTSAT-tiny's and -base's) its register-tiled one.
    @Test("Swin block (shifted windows, −100 mask, relative bias, GELU MLP) equals the written-out reference",
          arguments: [(0, 12, 3), (4, 12, 3), (4, 48, 2), (0, 64, 2)])
    func swinBlock(shift: Int, c: Int, heads: Int) {
        var g = SeededGenerator(state: UInt64(10 + shift + c))
        let res = 16, w = 8, n = res * res
        func affine(_ k: Int) -> [Float] { (0..<k).map { _ in 1 + 0.1 * Float.random(in: -1...1, using: &g) } }
        let p = HTSATReference.BlockParameters(
            dim: c, heads: heads, window: w, shift: shift, resolution: res,
            norm1Weight: affine(c), norm1Bias: Self.random(c, &g, scale: 0.1), norm2Weight: affine(c), norm2Bias: Self.random(c, &g, scale: 0.1),
            qkvWeight: Self.random(3 * c * c, &g, scale: 0.5), qkvBias: Self.random(3 * c, &g, scale: 0.1),
            projWeight: Self.random(c * c, &g, scale: 0.3), projBias: Self.random(c, &g, scale: 0.1),
            table: Self.random(225 * heads, &g, scale: 1),
            fc1Weight: Self.random(4 * c * c, &g, scale: 0.3), fc1Bias: Self.random(4 * c, &g, scale: 0.1),
            fc2Weight: Self.random(4 * c * c, &g, scale: 0.2), fc2Bias: Self.random(c, &g, scale: 0.1))
        let x = Self.random(n * c, &g, scale: 2)
        let block = SwinTransformerBlock(p)
        var config = HTSATConfiguration(embedDim: c, depths: [2], numHeads: [heads], projectionDim: 4, enableFusion: false)
        config.specSize = res * config.patchSize
        config.melBins = config.specSize / 4
        let scratch = HTSATScratch(config, channels: 1, frames: 1)
        scratch.x.update(from: x, count: n * c)
        block.apply(scratch)
        let fast = Array(UnsafeBufferPointer(start: scratch.x, count: n * c))
        let slow = HTSATReference.swinBlock(x, p)
        #expect(Compare.relative(fast, slow) <= 1e-6, "shift \(shift) width \(c): \(Compare.relative(fast, slow))")
        if shift > 0 {
            // the mask matters: the same block without it differs
            var unmasked = p
            unmasked.shift = 0
            #expect(Compare.relative(HTSATReference.swinBlock(x, unmasked), slow) > 1e-3)
        }
    }

    @Test("the shifted-window mask has −100 exactly between different regions")
    func mask() {
        let m = shiftedWindowMask(height: 16, width: 16, window: 8, shift: 4)
        #expect(m.count == 4 * 64 * 64)
        // window 0 holds one region only; the last window mixes four
        #expect(m[0..<(64 * 64)].allSatisfy { $0 == 0 })
        let last = Array(m[(3 * 64 * 64)...])
        #expect(Set(last) == [0, -100])
        #expect(last[0 * 64 + 4] == -100 && last[0 * 64 + 3] == 0 && last[0 * 64 + 32] == -100 && last[36 * 64 + 63] == 0)
    }

    @Test("relative_position_index equals the reference formula on a 2×2 window")
    func relativeIndex() {
        // coords (0,0) (0,1) (1,0) (1,1); index = (Δr + 1)·3 + (Δc + 1)
        #expect(WindowAttention.relativePositionIndex(window: 2) == [4, 3, 1, 0, 5, 4, 2, 1, 7, 6, 4, 3, 8, 7, 5, 4])
    }
}
