/// Slow, obviously correct twins of the BLAS wrappers: textbook triple loops accumulating in
/// `Double`. Tests compare the fast kernels against these on random and awkward shapes
/// (house rule: every fast kernel keeps a naive twin, as llm.c's `matmul_forward_naive`).
public enum NaiveBLAS {
    /// `C = alpha·op(A)·op(B) + beta·C`, row-major, same argument meaning as `BLAS.sgemm`.
    public static func gemm<T: BinaryFloatingPoint>(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                                                    alpha: T = 1, a: [T], lda: Int, b: [T], ldb: Int,
                                                    beta: T = 0, c: inout [T], ldc: Int) {
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let aip = transA ? a[p * lda + i] : a[i * lda + p]
                    let bpj = transB ? b[j * ldb + p] : b[p * ldb + j]
                    sum += Double(aip) * Double(bpj)
                }
                let old = beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])
                c[i * ldc + j] = T(Double(alpha) * sum + old)
            }
        }
    }

    /// `y = alpha·op(A)·x + beta·y` for a row-major `m×n` `A`, same meaning as `BLAS.sgemv`.
    public static func gemv<T: BinaryFloatingPoint>(trans: Bool = false, m: Int, n: Int, alpha: T = 1,
                                                    a: [T], lda: Int, x: [T], beta: T = 0, y: inout [T]) {
        let outCount = trans ? n : m
        let inCount = trans ? m : n
        for i in 0..<outCount {
            var sum = 0.0
            for p in 0..<inCount {
                let aip = trans ? a[p * lda + i] : a[i * lda + p]
                sum += Double(aip) * Double(x[p])
            }
            let old = beta == 0 ? 0 : Double(beta) * Double(y[i])
            y[i] = T(Double(alpha) * sum + old)
        }
    }
}
