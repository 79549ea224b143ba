import COpenBLAS

// The only file that imports COpenBLAS. Everything else multiplies matrices through these
// wrappers, so the C types (`blasint`, CBLAS enums) never leak out of this module.
// Layout: row-major (see Matrix.swift). Each wrapper has a slow twin in Reference/NaiveBLAS.swift.

/// Scalars BLAS can multiply: `Float` (sgemm/sgemv) and `Double` (dgemm/dgemv).
public protocol BLASScalar: BinaryFloatingPoint, Sendable {
    /// `C[m×n] = alpha · op(A) · op(B) + beta · C`, row-major; `op(A)` is `[m×k]`, `op(B)` is `[k×n]`.
    static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                     alpha: Self, a: UnsafePointer<Self>, lda: Int,
                     b: UnsafePointer<Self>, ldb: Int,
                     beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// `y = alpha · op(A) · x + beta · y`, row-major `A` of `m×n`; `op(A)` is `A` or `Aᵀ`.
    static func gemv(trans: Bool, m: Int, n: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
                     x: UnsafePointer<Self>, beta: Self, y: UnsafeMutablePointer<Self>)
}

extension Float: BLASScalar {
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                            alpha: Float, a: UnsafePointer<Float>, lda: Int,
                            b: UnsafePointer<Float>, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        BLAS.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                   b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
    public static func gemv(trans: Bool, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
                            x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>) {
        BLAS.sgemv(trans: trans, m: m, n: n, alpha: alpha, a: a, lda: lda, x: x, beta: beta, y: y)
    }
}

extension Double: BLASScalar {
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                            alpha: Double, a: UnsafePointer<Double>, lda: Int,
                            b: UnsafePointer<Double>, ldb: Int,
                            beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        BLAS.dgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                   b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
    public static func gemv(trans: Bool, m: Int, n: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
                            x: UnsafePointer<Double>, beta: Double, y: UnsafeMutablePointer<Double>) {
        BLAS.dgemv(trans: trans, m: m, n: n, alpha: alpha, a: a, lda: lda, x: x, beta: beta, y: y)
    }
}

/// Thin wrappers over OpenBLAS's CBLAS interface (row-major only).
public enum BLAS {
    /// Single-precision `C = alpha·op(A)·op(B) + beta·C` (`cblas_sgemm`, row-major).
    /// `lda`, `ldb`, `ldc` are the row strides of the matrices as stored (before `op`).
    public static func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                             alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        checkGemm(transA: transA, transB: transB, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc)
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
                    beta, c, blasint(ldc))
    }

    /// Double-precision twin of `sgemm` (`cblas_dgemm`); used where the reference computes in
    /// float64 (Hugging Face's NumPy mel spectrogram).
    public static func dgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                             alpha: Double = 1, a: UnsafePointer<Double>, lda: Int,
                             b: UnsafePointer<Double>, ldb: Int,
                             beta: Double = 0, c: UnsafeMutablePointer<Double>, ldc: Int) {
        checkGemm(transA: transA, transB: transB, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc)
        cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
                    beta, c, blasint(ldc))
    }

    /// Single-precision `y = alpha·op(A)·x + beta·y` for a row-major `m×n` matrix `A`
    /// (`cblas_sgemv`, unit strides). `x` has `n` elements (`m` if `trans`), `y` has `m` (`n` if `trans`).
    public static func sgemv(trans: Bool = false, m: Int, n: Int, alpha: Float = 1,
                             a: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>,
                             beta: Float = 0, y: UnsafeMutablePointer<Float>) {
        precondition(m >= 0 && n >= 0 && lda >= max(1, n), "sgemv: bad shape m=\(m) n=\(n) lda=\(lda)")
        cblas_sgemv(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, blasint(m), blasint(n), alpha,
                    a, blasint(lda), x, 1, beta, y, 1)
    }

    /// Double-precision twin of `sgemv` (`cblas_dgemv`).
    public static func dgemv(trans: Bool = false, m: Int, n: Int, alpha: Double = 1,
                             a: UnsafePointer<Double>, lda: Int, x: UnsafePointer<Double>,
                             beta: Double = 0, y: UnsafeMutablePointer<Double>) {
        precondition(m >= 0 && n >= 0 && lda >= max(1, n), "dgemv: bad shape m=\(m) n=\(n) lda=\(lda)")
        cblas_dgemv(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, blasint(m), blasint(n), alpha,
                    a, blasint(lda), x, 1, beta, y, 1)
    }

    /// Sets OpenBLAS's thread count for this process. Use 1 for small products or when the
    /// caller already runs work in parallel: with oversubscribed cores OpenBLAS threads
    /// spin-wait and collapse throughput (swift-native-stack.md §2a).
    public static func setThreadCount(_ count: Int) {
        precondition(count >= 1, "thread count must be at least 1")
        openblas_set_num_threads(Int32(count))
    }

    /// OpenBLAS's current thread count.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// Build configuration and the core OpenBLAS picked at run time, for benchmark reports,
    /// e.g. "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64 (core Zen)".
    public static var configuration: String {
        let config = openblas_get_config().map { String(cString: $0) } ?? "OpenBLAS"
        let core = openblas_get_corename().map { String(cString: $0) } ?? "unknown"
        return "\(config) (core \(core))"
    }

    private static func checkGemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, lda: Int, ldb: Int, ldc: Int) {
        precondition(m >= 0 && n >= 0 && k >= 0, "gemm: negative dimension m=\(m) n=\(n) k=\(k)")
        precondition(lda >= max(1, transA ? m : k), "gemm: lda \(lda) too small")
        precondition(ldb >= max(1, transB ? k : n), "gemm: ldb \(ldb) too small")
        precondition(ldc >= max(1, n), "gemm: ldc \(ldc) too small")
    }
}
