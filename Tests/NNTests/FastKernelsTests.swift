import Foundation
import NN
import Testing
import TestSupport

/// Units in the last place between two finite Floats of the same sign.
private func ulps(_ a: Float, _ b: Float) -> Int { Int((Int64(a.bitPattern) - Int64(b.bitPattern)).magnitude) }

/// Runs `body` with the AVX2+FMA build (when the CPU has it) and with the portable build.
private func onBothBuilds(_ body: (FastKernels.Build, String) -> Void) {
    body(.fastest, FastKernels.hasAVX2 ? "avx2" : "portable")
    body(.portable, "portable")
}

@Suite("C kernels (both builds) against their slow twins")
struct FastKernelsTests {
    @Test("GELU's erf is within 4e-7 of libm's double erf: |Δ| ≤ 0.5·|x|·4e-7 plus the result's rounding over [-9, 9]; extremes and NaN")
    func geluErfAccuracy() {
        // dense sweep across the clamp at |x/√2| = 4 and the polynomial's whole range
        var x = (0..<180_001).map { -9 + 18 * Float($0) / 180_000 }
        x += [0, -0.0, 1e-30, -1e-30, 1e30, -1e30, .infinity, .nan]
        let slow = NNReference.geluErf(x)
        onBothBuilds { kind, build in
            var fast = x
            fast.withUnsafeMutableBufferPointer { FastKernels.geluErf($0.baseAddress!, count: x.count, build: kind) }
            var worstExcess: Float = 0
            var worstAt: Float = 0
            for (i, v) in x.enumerated() {
                if v.isNaN { #expect(fast[i].isNaN, "\(build)"); continue }
                if !v.isFinite { continue }
                // erf's 4e-7 scaled by 0.5·|x|, plus one rounding of the result and of x/√2's product
                let bound = 0.5 * abs(v) * 4e-7 + 2 * slow[i].magnitude.ulp + 1e-30
                let excess = abs(fast[i] - slow[i]) / bound
                if excess > worstExcess { worstExcess = excess; worstAt = v }
            }
            #expect(worstExcess <= 1, "\(build): worst |Δ|/bound \(worstExcess) at x = \(worstAt)")
            #expect(fast[x.count - 4] == 1e30 && fast[x.count - 3] == 0, "\(build): GELU(±1e30)")
            #expect(fast[x.count - 2] == .infinity, "\(build): GELU(+inf)")
        }
    }

    @Test("GELU gives the same bits for a buffer and for any split of it (tails of 1...7 handled as lanes)")
    func geluErfSplitInvariance() {
        var rng = SeededGenerator(state: 21)
        let x = rng.floats(1003, in: -6...6)
        onBothBuilds { kind, build in
            var whole = x
            whole.withUnsafeMutableBufferPointer { FastKernels.geluErf($0.baseAddress!, count: x.count, build: kind) }
            for split in [1, 5, 8, 13, 500] {
                var parts = x
                parts.withUnsafeMutableBufferPointer { p in
                    FastKernels.geluErf(p.baseAddress!, count: split, build: kind)
                    FastKernels.geluErf(p.baseAddress! + split, count: x.count - split, build: kind)
                }
                #expect(parts == whole, "\(build) split \(split)")
            }
        }
    }

    @Test("exp is within 1 ulp of Foundation's double exp for every normal result; 0 below, +inf above, NaN stays NaN")
    func expAccuracy() {
        // a dense sweep of the whole normal range plus the boundaries and special values
        var x = (0..<400_003).map { -87.3 + 176.0 * Float($0) / 400_000 }
        x += [0, -0.0, 1, -1, 1e-30, -1e-30, .leastNormalMagnitude, 88.72283, -87.33654, 88.8, -87.34, -100, -1000, 1000,
              .infinity, -.infinity, .nan]
        let slow = NNReference.exp(x)
        onBothBuilds { kind, build in
            var fast = [Float](repeating: 0, count: x.count)
            x.withUnsafeBufferPointer { xp in fast.withUnsafeMutableBufferPointer { FastKernels.exp(xp.baseAddress!, into: $0.baseAddress!, count: x.count, build: kind) } }
            var worst = 0
            for (i, v) in x.enumerated() {
                let want = slow[i]
                if v.isNaN { #expect(fast[i].isNaN, "\(build)"); continue }
                if want.isInfinite { #expect(fast[i] == .infinity, "\(build) exp(\(v))"); continue }
                if want < .leastNormalMagnitude { #expect(fast[i] == 0, "\(build) exp(\(v)) = \(fast[i])"); continue }
                worst = max(worst, ulps(fast[i], want))
                if ulps(fast[i], want) > 1 { Issue.record("\(build): exp(\(v)) = \(fast[i]), want \(want)"); break }
            }
            #expect(worst <= 1, "\(build): worst \(worst) ulp")
        }
    }

    @Test("exp handles counts that are not a multiple of 8 and works in place")
    func expTails() {
        for n in [1, 7, 9, 17] {
            let x = (0..<n).map { Float($0) * 0.37 - 2 }
            var y = x
            y.withUnsafeMutableBufferPointer { FastKernels.exp($0.baseAddress!, into: $0.baseAddress!, count: n) }
            for i in 0..<n { #expect(ulps(y[i], NNReference.exp([x[i]])[0]) <= 1, "n \(n) i \(i)") }
        }
    }

    @Test("softmax of x + add + mask (−100 entries, any width) equals the double twin within 1e-6")
    func softmaxWithAddAndMask() {
        var rng = SeededGenerator(state: 31)
        for columns in [3, 8, 64, 70] {
            let rows = 5
            let x = rng.floats(rows * columns, in: -8...8), add = rng.floats(rows * columns, in: -2...2)
            let mask = (0..<(rows * columns)).map { Float($0 % 3 == 0 ? -100 : 0) }
            let summed = (0..<x.count).map { (x[$0] + add[$0]) + mask[$0] }
            let slow = NNReference.softmaxRows(summed, rows: rows, columns: columns)
            onBothBuilds { kind, build in
                var fast = x
                add.withUnsafeBufferPointer { a in mask.withUnsafeBufferPointer { m in fast.withUnsafeMutableBufferPointer {
                    FastKernels.softmaxRows($0.baseAddress!, rows: rows, columns: columns, add: a.baseAddress, mask: m.baseAddress, build: kind)
                } } }
                let worst = zip(fast, slow).map { abs($0 - $1) }.max()!
                #expect(worst <= 1e-6, "\(build) columns \(columns): \(worst)")
            }
        }
    }

    @Test("window attention equals the double twin within 5e-6 (relative to max(1, max|ref|)) for the tiled shapes (64×24, 64×32, 64×8) and odd ones, with and without the mask",
          arguments: [(64, 24, 2, 2), (64, 32, 2, 1), (64, 8, 3, 2), (16, 6, 2, 3), (4, 5, 1, 2)])
    func windowAttention(tokens: Int, headDimension d: Int, heads: Int, windows: Int) {
        var rng = SeededGenerator(state: UInt64(tokens * 100 + d))
        let c = heads * d
        let qkv = rng.floats(windows * tokens * 3 * c, in: -2...2)
        let bias = rng.floats(heads * tokens * tokens, in: -1...1)
        let mask = (0..<(windows * tokens * tokens)).map { Float(($0 / 7) % 4 == 0 ? -100 : 0) }
        for useMask in [false, true] {
            let slow = NNReference.windowAttention(qkv: qkv, windows: windows, tokens: tokens, heads: heads, headDimension: d,
                                                   bias: bias, mask: useMask ? mask : nil)
            onBothBuilds { kind, build in
                var fast = [Float](repeating: .nan, count: windows * tokens * c)
                var scratch = [Float](repeating: 0, count: FastKernels.windowAttentionScratchCount(tokens: tokens, headDimension: d))
                qkv.withUnsafeBufferPointer { q in bias.withUnsafeBufferPointer { b in mask.withUnsafeBufferPointer { m in
                    fast.withUnsafeMutableBufferPointer { o in scratch.withUnsafeMutableBufferPointer { s in
                        FastKernels.windowAttention(qkv: q.baseAddress!, windows: windows, tokens: tokens, heads: heads, headDimension: d,
                                                    bias: b.baseAddress!, mask: useMask ? m.baseAddress : nil,
                                                    scale: 1 / Float(d).squareRoot(), context: o.baseAddress!, scratch: s.baseAddress!, build: kind)
                    } }
                } } }
                // Relative to the output's scale. Float32 scores of |q·k|/√d up to ~9 carry ~1e-6 absolute error,
                // which exp turns into relative weight error; over 2000 random draws of this test's smallest shape
                // (4 tokens, d 5, |qkv| ≤ 2) the worst was 3.9e-6 (measured with the C kernels directly).
                let worst = zip(fast, slow).map { abs($0 - $1) }.max()! / max(1, slow.map(abs).max()!)
                #expect(worst <= 5e-6, "\(build) \(tokens)×\(d) mask \(useMask): \(worst)")
            }
        }
    }

    @Test("LayerNorm (both builds) equals the Double twin too (rows with a large common offset, odd widths)")
    func layerNormPortable() {
        var rng = SeededGenerator(state: 13)
        onBothBuilds { kind, build in
            for d in [3, 5, 96, 768] {
                var x = rng.floats(4 * d, in: -3...3)
                for j in 0..<d { x[j] += 1000 }
                let w = rng.floats(d, in: 0.5...1.5), b = rng.floats(d)
                var fast = x
                w.withUnsafeBufferPointer { wp in b.withUnsafeBufferPointer { bp in fast.withUnsafeMutableBufferPointer {
                    FastKernels.layerNorm($0.baseAddress!, rows: 4, dimension: d, weight: wp.baseAddress!, bias: bp.baseAddress!,
                                          epsilon: 1e-5, build: kind)
                } } }
                let slow = NNReference.layerNorm(x, rows: 4, weight: w, bias: b, epsilon: 1e-5)
                let worst = zip(fast, slow).map { abs($0 - $1) / max(1, abs($1)) }.max()!
                #expect(worst <= 1e-6, "\(build) d \(d): \(worst)")
            }
        }
    }
}
