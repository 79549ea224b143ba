import LinearAlgebra
import NN
import Testing
import TestSupport

/// The property the text encoder's batching rests on: a row of `Linear`'s output is the same bits
/// whether it is computed alone or among any number of other rows, at any position in the batch, with
/// one BLAS thread or two. Checked at the full-size CLAP text shapes (roberta-base 768 / 3072, pooler,
/// projection 768→512→512), because OpenBLAS picks kernels and blockings by shape.
@Suite("Linear rows do not depend on the batch (OpenBLAS sgemm, CLAP text shapes)", .serialized)
struct RowIndependenceTests {
    /// (out, in) of every dense layer of the CLAP text tower at roberta-base size, and of the small
    /// random tower of the CLAPText fixtures (hidden 48, FFN 128, projection 32), where OpenBLAS's
    /// small-matrix kernel would otherwise take most calls.
    static let shapes = [(768, 768), (3072, 768), (768, 3072), (512, 768), (512, 512), (48, 48), (128, 48), (48, 128), (32, 48), (32, 32)]

    @Test("every row of a batch of m rows equals the row computed alone, for m = 1…12, 16, 17, 32, 64, 77, 128, 300, 512, at two offsets, 1 and 2 BLAS threads")
    func rowsAreBitIdenticalForAnyBatchSize() {
        var rng = SeededGenerator(state: 41)
        let total = 515
        let sizes = Array(1...12) + [16, 17, 32, 64, 77, 128, 300, 512]
        let previousThreads = BLAS.threadCount
        defer { BLAS.setThreadCount(previousThreads) }
        for (n, k) in Self.shapes {
            let layer = Linear(weight: rng.floats(n * k, in: -0.05...0.05), bias: rng.floats(n), inFeatures: k, outFeatures: n)
            let x = rng.floats(total * k, in: -2...2)
            BLAS.setThreadCount(1)
            // Each row alone (m = 1).
            var alone = [Float](repeating: 0, count: total * n)
            x.withUnsafeBufferPointer { xb in
                alone.withUnsafeMutableBufferPointer { yb in
                    for r in 0..<total { layer.apply(xb.baseAddress! + r * k, rows: 1, into: yb.baseAddress! + r * n) }
                }
            }
            for threads in [1, 2] {
                BLAS.setThreadCount(threads)
                var mismatches: [String] = []
                for m in sizes {
                    for start in [0, 3] where start + m <= total {
                        var y = [Float](repeating: .nan, count: m * n)
                        x.withUnsafeBufferPointer { xb in
                            y.withUnsafeMutableBufferPointer { yb in layer.apply(xb.baseAddress! + start * k, rows: m, into: yb.baseAddress!) }
                        }
                        for r in 0..<m where !Self.sameBits(y[(r * n)..<(r * n + n)], alone[((start + r) * n)..<((start + r + 1) * n)]) {
                            mismatches.append("m \(m) start \(start) row \(r)")
                        }
                    }
                }
                #expect(mismatches.isEmpty, "\(n)×\(k), \(threads) thread(s): \(mismatches.count) rows differ, first \(mismatches.prefix(5))")
            }
        }
    }

    @Test("the reason for minimumRows: below it the rows are padded, and a padded call equals the same rows inside a large batch")
    func paddingBelowMinimumRows() {
        var rng = SeededGenerator(state: 43)
        let layer = Linear(weight: rng.floats(512 * 512, in: -0.05...0.05), bias: rng.floats(512), inFeatures: 512, outFeatures: 512)
        #expect(layer.minimumRows == 3)
        #expect(Linear(weight: [Float](repeating: 0, count: 3072 * 768), bias: nil, inFeatures: 768, outFeatures: 3072).minimumRows == 1)
        let x = rng.floats(40 * 512)
        let big = layer.apply(x, rows: 40)
        for m in 1...2 {
            let small = layer.apply(Array(x[0..<(m * 512)]), rows: m)
            #expect(Self.sameBits(small[...], big[0..<(m * 512)]), "m \(m)")
        }
    }

    @Test("writing into a wider matrix (output stride) gives the same bits as a compact output")
    func outputStrideKeepsBits() {
        var rng = SeededGenerator(state: 42)
        let layer = Linear(weight: rng.floats(768 * 768, in: -0.05...0.05), bias: rng.floats(768), inFeatures: 768, outFeatures: 768)
        let x = rng.floats(10 * 768)
        let compact = layer.apply(x, rows: 10)
        var wide = [Float](repeating: .nan, count: 10 * 3 * 768)
        x.withUnsafeBufferPointer { xb in
            wide.withUnsafeMutableBufferPointer { layer.apply(xb.baseAddress!, rows: 10, into: $0.baseAddress! + 768, outputStride: 3 * 768) }
        }
        for r in 0..<10 {
            #expect(Self.sameBits(wide[(r * 2304 + 768)..<(r * 2304 + 1536)], compact[(r * 768)..<(r * 768 + 768)]), "row \(r)")
            let untouched = wide[(r * 2304)..<(r * 2304 + 768)].allSatisfy { $0.isNaN }
            #expect(untouched, "row \(r): columns outside the layer were written")
        }
    }

    static func sameBits(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
    }
}
