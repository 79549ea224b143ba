import LinearAlgebra

/// `torch.nn.Linear`: `y = x·Wᵀ + b` over every row of `x` at once, through one sgemm.
///
/// The weight stays in the checkpoint's `[out, in]` layout; sgemm reads it transposed, so
/// loading never reorders bytes: a float32 tensor is read in place from the memory-mapped file
/// (`WeightStorage`), and the bound tensor can be compared with the file directly.
///
/// Each output row depends on its own input row only, with the same operations for any row count
/// (`minimumRows`; `RowIndependenceTests` proves the rows bit-identical for every m at the CLAP text
/// shapes), which is what lets the text encoder batch the dense layers of many queries without a
/// query's embedding depending on its batch.
public struct Linear: Sendable {
    public let inFeatures: Int
    public let outFeatures: Int
    /// `[out, in]`, row-major, exactly as PyTorch stores it (owned, or borrowed from a mapped file).
    public let weight: WeightStorage
    /// `[out]`, or nil for `bias=False` layers.
    public let bias: [Float]?

    public init(weight: [Float], bias: [Float]?, inFeatures: Int, outFeatures: Int) {
        self.init(weight: WeightStorage(weight), bias: bias, inFeatures: inFeatures, outFeatures: outFeatures)
    }

    public init(weight: WeightStorage, bias: [Float]?, inFeatures: Int, outFeatures: Int) {
        precondition(inFeatures > 0 && outFeatures > 0, "Linear: empty shape \(outFeatures)×\(inFeatures)")
        precondition(weight.count == inFeatures * outFeatures,
                     "Linear: weight has \(weight.count) values, expected \(outFeatures)×\(inFeatures)")
        precondition(bias == nil || bias!.count == outFeatures,
                     "Linear: bias has \(bias!.count) values, expected \(outFeatures)")
        self.weight = weight
        self.bias = bias
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
    }

    /// `y[rows × out] = x[rows × in] · Wᵀ + b`. `x` and `y` must not overlap.
    public func apply(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        apply(x, rows: rows, into: y, outputStride: outFeatures)
    }

    /// The same with output rows `outputStride` floats apart (≥ `outFeatures`), so several layers can
    /// write side by side into one wider matrix (RoBERTa's query, key and value into `[T, 3H]`).
    public func apply(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>, outputStride: Int) {
        precondition(rows >= 0, "Linear: negative row count")
        precondition(outputStride >= outFeatures, "Linear: output stride \(outputStride) < \(outFeatures)")
        guard rows > 0 else { return }
        if rows < minimumRows {
            // Pad with zero rows so sgemm takes its blocked kernel (see `minimumRows`).
            let m = minimumRows, k = inFeatures, n = outFeatures
            withUnsafeTemporaryAllocation(of: Float.self, capacity: m * (k + n)) { buffer in
                let xp = buffer.baseAddress!, yp = xp + m * k
                xp.update(from: x, count: rows * k)
                (xp + rows * k).initialize(repeating: 0, count: (m - rows) * k)
                product(xp, rows: m, into: yp, outputStride: n)
                for r in 0..<rows { (y + r * outputStride).update(from: yp + r * n, count: n) }
            }
            return
        }
        product(x, rows: rows, into: y, outputStride: outputStride)
    }

    /// The fewest rows one sgemm call gets. OpenBLAS (0.3.21, SkylakeX kernels, built with
    /// SMALL_MATRIX_OPT: `sgemm_small_kernel_permit`) computes a row-major `x·Wᵀ` with m·n ≤ 1200 with
    /// its small-matrix kernel, which sums in another order than the blocked kernel larger products get,
    /// so one row would round differently alone than in a batch. Padding such calls with zero rows up to
    /// ⌊1200 / n⌋ + 1 keeps every call on the blocked kernel, where a row's bits depend on nothing but
    /// its own input row (`RowIndependenceTests`, for every m up to 512 at the CLAP text shapes, 1 and 2
    /// threads). Costs at most a few extra rows of a small layer (2 for 768 outputs, 3 for 512).
    public var minimumRows: Int { 1200 / outFeatures + 1 }

    private func product(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>, outputStride: Int) {
        let n = outFeatures
        if let bias {
            // Pre-fill y with the bias and accumulate (beta = 1): the same single rounding of
            // x·Wᵀ + b per element as PyTorch's addmm, and no second pass over y.
            bias.withUnsafeBufferPointer { b in
                for r in 0..<rows { (y + r * outputStride).update(from: b.baseAddress!, count: n) }
            }
        }
        weight.withUnsafeBufferPointer { w in
            BLAS.sgemm(transA: false, transB: true, m: rows, n: n, k: inFeatures,
                       alpha: 1, a: x, lda: inFeatures, b: w.baseAddress!, ldb: inFeatures,
                       beta: bias == nil ? 0 : 1, c: y, ldc: outputStride)
        }
    }

    /// Array convenience for tests and small inputs.
    public func apply(_ x: [Float], rows: Int) -> [Float] {
        precondition(x.count == rows * inFeatures, "Linear: input has \(x.count) values, expected \(rows)×\(inFeatures)")
        var y = [Float](repeating: 0, count: rows * outFeatures)
        x.withUnsafeBufferPointer { xb in
            y.withUnsafeMutableBufferPointer { yb in
                guard let xp = xb.baseAddress, let yp = yb.baseAddress else { return }
                apply(xp, rows: rows, into: yp)
            }
        }
        return y
    }
}
