import CVectorKernels
import Foundation
import Testing
import TestSupport
@testable import VectorIndex

/// The textbook bound on a float32 sum of d products in any order (Higham, Accuracy and Stability
/// of Numerical Algorithms, §3.1): |computed − exact| ≤ γ_d · Σ|terms|, γ_d = d·u / (1 − d·u), u = 2⁻²⁴.
/// FMA only tightens it. Terms here are the exact products (float64 of float32 operands is exact).
func sumBound(_ terms: [Double]) -> Double {
    let u = 1.0 / Double(1 << 24), d = Double(terms.count + 2)
    return d * u / (1 - d * u) * terms.reduce(0) { $0 + abs($1) }
}

@Suite("C scoring kernels against their slow twins (SIMD and portable bodies)", .serialized)
struct KernelTests {
    /// Runs `body` with the portable bodies forced, then with the run-time choice.
    func bothBodies(_ body: (String) throws -> Void) rethrows {
        KernelDispatch.forcePortable(true)
        defer { KernelDispatch.forcePortable(false) }
        try body("portable")
        KernelDispatch.forcePortable(false)
        try body(KernelDispatch.simd ? "avx2" : "portable (no AVX2 here)")
    }

    @Test("dot, l2 and row scores (float32 and float16 rows) are within the float32 summation bound of float64", arguments: [1, 7, 37, 64, 512])
    func scores(d: Int) throws {
        var rng = SeededGenerator(state: UInt64(d))
        let n = 9
        let q = rng.floats(d), x = rng.floats(n * d).map { $0 * 3 }
        let halves = x.map { Float16($0).bitPattern }
        let xh = halves.map { Float(Float16(bitPattern: $0)) }
        try bothBodies { body in
            for l2 in [false, true] {
                var out = [Float](repeating: .nan, count: n), out16 = [Float](repeating: .nan, count: n)
                avk_score_f32(q, x, n, d, l2 ? 1 : 0, &out)
                avk_score_f16(q, halves, n, d, l2 ? 1 : 0, &out16)
                for r in 0..<n {
                    for (rows, got, what) in [(x, out[r], "f32"), (xh, out16[r], "f16")] {
                        var terms: [Double] = []
                        for j in 0..<d {
                            let a = Double(q[j]), b = Double(rows[r * d + j])
                            terms.append(l2 ? (a - b) * (a - b) : a * b)
                        }
                        // l2: each difference is rounded once to float32 first (relative u), squared terms then summed.
                        let exact = terms.reduce(0, +)
                        let magnitude: Double = terms.reduce(0) { $0 + abs($1) }
                        let bound: Double = sumBound(terms) + (l2 ? 3 / Double(1 << 24) * magnitude : 0)
                        #expect(abs(Double(got) - exact) <= bound, "\(body) \(what) l2 \(l2) row \(r): \(got) vs \(exact)")
                    }
                    let one = l2 ? FlatKernel.l2(q, Array(x[(r * d)..<((r + 1) * d)]), d) : FlatKernel.dot(q, Array(x[(r * d)..<((r + 1) * d)]), d)
                    #expect(one == out[r], "\(body): the one-row and many-row kernels sum in the same order")
                }
            }
        }
    }

    @Test("float16 → float32 is exact for all 65,536 bit patterns (Swift's Float16 conversion is the twin)")
    func halfConversion() throws {
        let all = (0...UInt16.max).map { $0 }
        try bothBodies { body in
            var out = [Float](repeating: 0, count: all.count)
            avk_f16_to_f32(all, &out, all.count)
            for h in all {
                let want = Float(Float16(bitPattern: h))
                let got = out[Int(h)]
                #expect(want.isNaN ? got.isNaN : want.bitPattern == got.bitPattern, "\(body) \(String(h, radix: 16))")
            }
        }
    }

    @Test("SQ8 approximate scores equal the decoded rows' scores in float64 within the summation bound", arguments: [Metric.ip, .l2])
    func sq8Scores(metric: Metric) throws {
        var rng = SeededGenerator(state: 8)
        let d = 45, n = 11
        let x = rng.unitVectors(40, d), q = rng.unitVectors(1, d)
        let params = x.withUnsafeBufferPointer { SQ8Params.train($0, dimension: d) }
        let codes = x.withUnsafeBufferPointer { params.encode($0, dimension: d) }
        // Encoding is within half a step of every input inside the trained range.
        for i in 0..<(n * d) {
            let j = i % d
            #expect(abs(params.vmin[j] + Float(codes[i]) * params.step[j] - x[i]) <= params.step[j] * 0.5001 + 1e-7)
        }
        try bothBodies { body in
            let prepared = q.withUnsafeBufferPointer { SQ8Kernel.Query($0.baseAddress!, params: params, metric: metric) }
            var out = [Float](repeating: .nan, count: n)
            avk_score_sq8(prepared.w, prepared.step, prepared.bias, codes, n, d, metric == .l2 ? 1 : 0, &out)
            for r in 0..<n {
                var terms: [Double] = [], offsets = 0.0
                for j in 0..<d {
                    let decoded: Double = Double(params.vmin[j]) + Double(codes[r * d + j]) * Double(params.step[j])
                    let qj = Double(q[j])
                    let diff: Double = qj - decoded
                    terms.append(metric == .ip ? qj * decoded : diff * diff)
                    offsets += abs(qj * Double(params.vmin[j]))
                }
                let exact = terms.reduce(0, +)
                let magnitude: Double = terms.reduce(0) { $0 + abs($1) } + offsets
                // Preparation rounds w = q·step (or q − vmin) and the bias once each: a few more u per term.
                let bound: Double = sumBound(terms) + 4 / Double(1 << 24) * magnitude
                #expect(abs(Double(out[r]) - exact) <= bound, "\(body) row \(r): \(out[r]) vs \(exact)")
            }
        }
    }

    @Test("the candidate filter passes exactly the scores that are not worse than the k-th, plus every non-finite one")
    func candidates() throws {
        var rng = SeededGenerator(state: 3)
        var s = rng.floats(301)
        s[5] = .nan; s[17] = .infinity; s[18] = -.infinity; s[40] = 0.25; s[41] = 0.25
        try bothBodies { body in
            for l2 in [false, true] {
                for worst: Float in [0.25, -2, 2, .nan] {
                    var idx = [UInt32](repeating: 0, count: s.count)
                    let m = avk_candidates(s, s.count, worst, l2 ? 1 : 0, &idx)
                    let want = s.indices.filter { i in !s[i].isFinite || (l2 ? !(s[i] > worst) : !(s[i] < worst)) }.map(UInt32.init)
                    #expect(Array(idx[0..<m]) == want, "\(body) l2 \(l2) worst \(worst)")
                }
            }
        }
    }

    @Test("arg-best per row equals the scalar rule: NaN never wins, ties to the smaller column, all-NaN to 0", arguments: [Metric.ip, .l2])
    func argbest(metric: Metric) throws {
        var rng = SeededGenerator(state: 4)
        let rows = 12, k = 21
        var s = (0..<(rows * k)).map { _ in Float(Int.random(in: -3...3, using: &rng)) }  // many exact ties
        for c in 0..<k { s[0 * k + c] = .nan }                         // all NaN
        s[1 * k + 3] = .infinity; s[2 * k + 20] = .nan; s[3 * k] = -.infinity
        for c in 0..<k { s[4 * k + c] = c == 9 ? .nan : (metric == .ip ? -.infinity : .infinity) }  // only ±inf and NaN
        let bias = (0..<k).map { _ in Float(Int.random(in: 0...2, using: &rng)) }
        func twin(_ r: Int) -> Int32 {
            var best = 0, bestScore = Float.nan
            for c in 0..<k {
                let v = metric == .ip ? s[r * k + c] : bias[c] - 2 * s[r * k + c]
                if v.isNaN { continue }
                if bestScore.isNaN || (metric == .ip ? v > bestScore : v < bestScore) { best = c; bestScore = v }
            }
            return Int32(best)
        }
        try bothBodies { body in
            var out = [Int32](repeating: -7, count: rows)
            avk_argbest(s, rows, k, k, bias, metric == .l2 ? 1 : 0, &out)
            #expect(out == (0..<rows).map(twin), "\(body)")
        }
    }

    @Test("the bandwidth sum is within the float32 summation bound of float64")
    func sum() throws {
        var rng = SeededGenerator(state: 6)
        let x = rng.floats(1003)
        try bothBodies { body in
            let got = avk_sum_f32(x, x.count)
            let terms = x.map(Double.init)
            #expect(abs(Double(got) - terms.reduce(0, +)) <= sumBound(terms), "\(body)")
        }
    }
}
