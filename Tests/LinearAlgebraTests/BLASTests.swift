import LinearAlgebra
import Testing
import TestSupport

@Suite("BLAS wrappers agree with their naive twins")
struct BLASTests {
    /// (m, n, k, transA, transB, padding of the leading dimensions)
    static let gemmShapes: [(Int, Int, Int, Bool, Bool, Int)] = [
        (1, 1, 1, false, false, 0), (7, 13, 5, false, false, 0), (13, 7, 5, true, false, 0),
        (5, 9, 17, false, true, 0), (16, 3, 33, true, true, 0), (64, 64, 513, false, false, 3),
        (31, 64, 297, false, false, 0), (2, 100, 1, true, true, 5),
    ]

    @Test("sgemm matches the double-accumulating triple loop on awkward shapes, transposes and strides",
          arguments: 0..<8)
    func sgemm(caseIndex: Int) {
        let (m, n, k, tA, tB, pad) = Self.gemmShapes[caseIndex]
        var rng = SeededGenerator(state: UInt64(100 + caseIndex))
        let lda = (tA ? m : k) + pad, ldb = (tB ? k : n) + pad, ldc = n + pad
        let a = rng.floats((tA ? k : m) * lda), b = rng.floats((tB ? n : k) * ldb)
        var c = rng.floats(m * ldc)
        var expected = c
        NaiveBLAS.gemm(transA: tA, transB: tB, m: m, n: n, k: k, alpha: 0.75, a: a, lda: lda, b: b, ldb: ldb,
                       beta: -0.5, c: &expected, ldc: ldc)
        BLAS.sgemm(transA: tA, transB: tB, m: m, n: n, k: k, alpha: 0.75, a: a, lda: lda, b: b, ldb: ldb,
                   beta: -0.5, c: &c, ldc: ldc)
        // Each product sums k terms of magnitude ≤ 1: float32 error ≤ k·2⁻²³ in the worst case.
        let bound = Float(k + 2) * Float.ulpOfOne
        for i in 0..<m {
            for j in 0..<n {
                #expect(abs(c[i * ldc + j] - expected[i * ldc + j]) <= bound, "C[\(i),\(j)] of case \(caseIndex)")
            }
            // Padding columns are outside C and must be untouched: both sides started equal.
            for j in n..<ldc { #expect(c[i * ldc + j] == expected[i * ldc + j]) }
        }
    }

    @Test("dgemm matches the triple loop to double rounding", arguments: 0..<8)
    func dgemm(caseIndex: Int) {
        let (m, n, k, tA, tB, pad) = Self.gemmShapes[caseIndex]
        var rng = SeededGenerator(state: UInt64(200 + caseIndex))
        let lda = (tA ? m : k) + pad, ldb = (tB ? k : n) + pad, ldc = n + pad
        let a = rng.doubles((tA ? k : m) * lda), b = rng.doubles((tB ? n : k) * ldb)
        var c = rng.doubles(m * ldc)
        var expected = c
        NaiveBLAS.gemm(transA: tA, transB: tB, m: m, n: n, k: k, alpha: 2, a: a, lda: lda, b: b, ldb: ldb,
                       beta: 1, c: &expected, ldc: ldc)
        BLAS.dgemm(transA: tA, transB: tB, m: m, n: n, k: k, alpha: 2, a: a, lda: lda, b: b, ldb: ldb,
                   beta: 1, c: &c, ldc: ldc)
        let bound = Double(2 * k + 4) * Double.ulpOfOne
        for i in 0..<m {
            for j in 0..<n { #expect(abs(c[i * ldc + j] - expected[i * ldc + j]) <= bound) }
        }
    }

    @Test("sgemv and dgemv match the naive loop, plain and transposed", arguments: [false, true])
    func gemv(transposed: Bool) {
        var rng = SeededGenerator(state: transposed ? 7 : 8)
        let m = 37, n = 129, lda = 131
        let a = rng.floats(m * lda)
        let x = rng.floats(transposed ? m : n)
        var y = rng.floats(transposed ? n : m)
        var expected = y
        NaiveBLAS.gemv(trans: transposed, m: m, n: n, alpha: 1.5, a: a, lda: lda, x: x, beta: 0.25, y: &expected)
        BLAS.sgemv(trans: transposed, m: m, n: n, alpha: 1.5, a: a, lda: lda, x: x, beta: 0.25, y: &y)
        for i in y.indices { #expect(abs(y[i] - expected[i]) <= Float(n + 2) * Float.ulpOfOne * 1.5) }

        let ad = a.map(Double.init), xd = x.map(Double.init)
        var yd = [Double](repeating: 1, count: y.count), expectedD = yd
        NaiveBLAS.gemv(trans: transposed, m: m, n: n, alpha: -1, a: ad, lda: lda, x: xd, beta: 2, y: &expectedD)
        BLAS.dgemv(trans: transposed, m: m, n: n, alpha: -1, a: ad, lda: lda, x: xd, beta: 2, y: &yd)
        for i in yd.indices { #expect(abs(yd[i] - expectedD[i]) <= Double(n + 4) * Double.ulpOfOne) }
    }

    @Test("Matrix.multiplied(by:) is row-major A·B")
    func matrixProduct() {
        let a = Matrix<Float>(rows: 2, columns: 3, values: [1, 2, 3, 4, 5, 6])
        let b = Matrix<Float>(rows: 3, columns: 2, values: [7, 8, 9, 10, 11, 12])
        #expect(a.multiplied(by: b) == Matrix(rows: 2, columns: 2, values: [58, 64, 139, 154]))
        #expect(a.transposed == Matrix(rows: 3, columns: 2, values: [1, 4, 2, 5, 3, 6]))
    }

    @Test("thread count can be set to 1 and read back")
    func threads() {
        let before = BLAS.threadCount
        BLAS.setThreadCount(1)
        #expect(BLAS.threadCount == 1)
        BLAS.setThreadCount(before)
        #expect(BLAS.configuration.contains("OpenBLAS"))
    }
}
