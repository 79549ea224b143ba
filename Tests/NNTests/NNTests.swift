import Foundation
import NN
import Testing
import TestSupport

/// Largest |a − b| / max(1, |b|) over paired elements.
private func maxRelativeError(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    return zip(a, b).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
}

@Suite("NN kernels against their slow twins")
struct NNTests {
    @Test("Linear with and without bias equals the Double-accumulating loop, for 1 row and many")
    func linearMatchesReference() {
        var rng = SeededGenerator(state: 11)
        for (rows, inF, outF) in [(1, 7, 5), (37, 96, 288), (4, 513, 3)] {
            let x = rng.floats(rows * inF)
            let w = rng.floats(inF * outF, in: -0.2...0.2)
            let b = rng.floats(outF)
            for bias in [b, nil] as [[Float]?] {
                let layer = Linear(weight: w, bias: bias, inFeatures: inF, outFeatures: outF)
                let fast = layer.apply(x, rows: rows)
                let slow = NNReference.linear(x, rows: rows, weight: w, bias: bias, inFeatures: inF, outFeatures: outF)
                #expect(maxRelativeError(fast, slow) <= 2e-6, "rows \(rows) in \(inF) out \(outF) bias \(bias != nil)")
            }
        }
    }

    @Test("Linear applies the bias exactly once: zero weights give the bias in every row")
    func linearBiasOnce() {
        let layer = Linear(weight: [Float](repeating: 0, count: 6), bias: [1.5, -2], inFeatures: 3, outFeatures: 2)
        #expect(layer.apply([1, 2, 3, 4, 5, 6], rows: 2) == [1.5, -2, 1.5, -2])
    }

    @Test("LayerNorm equals the Double twin, including rows with a large common offset")
    func layerNormMatchesReference() {
        var rng = SeededGenerator(state: 12)
        for d in [5, 64, 96, 768] {
            let rows = 9
            var x = rng.floats(rows * d, in: -3...3)
            for j in 0..<d { x[j] += 1000 }  // first row: offset that a one-pass variance would lose
            let w = rng.floats(d, in: 0.5...1.5), b = rng.floats(d)
            for eps: Float in [1e-5, 1e-12] {
                let fast = LayerNorm(weight: w, bias: b, epsilon: eps).apply(x, rows: rows)
                let slow = NNReference.layerNorm(x, rows: rows, weight: w, bias: b, epsilon: eps)
                #expect(maxRelativeError(fast, slow) <= 1e-6, "d \(d) eps \(eps)")
            }
        }
    }

    @Test("GELU (erf) equals 0.5·x·(1+erf(x/√2)) in double within 1e-6 relative, for counts not multiple of 8")
    func geluMatchesReference() {
        var rng = SeededGenerator(state: 13)
        for count in [1, 7, 8, 13, 1000] {
            var x = rng.floats(count, in: -8...8)
            let slow = NNReference.geluErf(x)
            x.withUnsafeMutableBufferPointer { Activation.geluErf($0.baseAddress!, count: count) }
            #expect(maxRelativeError(x, slow) <= 1e-6, "count \(count)")
        }
    }

    @Test("softmax rows sum to one and equal the double twin, with −100 mask values and large logits")
    func softmaxMatchesReference() {
        var rng = SeededGenerator(state: 14)
        var x = rng.floats(6 * 64, in: -10...10)
        for j in stride(from: 0, to: 64, by: 3) { x[j] -= 100 }   // Swin's shifted-window mask
        for j in 64..<128 { x[j] += 80 }                         // exp overflows without max-subtraction
        let slow = NNReference.softmaxRows(x, rows: 6, columns: 64)
        x.withUnsafeMutableBufferPointer { Activation.softmaxRows($0.baseAddress!, rows: 6, columns: 64) }
        #expect(maxRelativeError(x, slow) <= 1e-6)
        for r in 0..<6 { #expect(abs(x[(r * 64)..<(r * 64 + 64)].reduce(0, +) - 1) <= 1e-5) }
    }

    @Test("L2 normalisation gives unit rows, leaves a zero row zero, and matches the twin")
    func l2Normalize() {
        var rng = SeededGenerator(state: 15)
        var x = rng.floats(3 * 512)
        for j in 512..<1024 { x[j] = 0 }
        let slow = NNReference.l2NormalizeRows(x, rows: 3, columns: 512)
        x.withUnsafeMutableBufferPointer { Activation.l2NormalizeRows($0.baseAddress!, rows: 3, columns: 512) }
        #expect(maxRelativeError(x, slow) <= 1e-6)
        #expect(x[512..<1024].allSatisfy { $0 == 0 })
        let norm = x[0..<512].map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
        #expect(abs(norm - 1) <= 1e-6)
    }

    @Test("ReLU zeroes negatives only; tanh matches libm")
    func reluAndTanh() {
        var x: [Float] = [-2, -0.5, 0, 0.5, 3, .nan]
        x.withUnsafeMutableBufferPointer { Activation.relu($0.baseAddress!, count: 6) }
        #expect(Array(x[0..<5]) == [0, 0, 0, 0.5, 3] && x[5].isNaN)
        var t: [Float] = [-20, -1, 0, 0.3, 20]
        let expected = t.map { Float(Foundation.tanh(Double($0))) }
        t.withUnsafeMutableBufferPointer { Activation.tanh($0.baseAddress!, count: 5) }
        #expect(maxRelativeError(t, expected) <= 1e-6)
    }
}
