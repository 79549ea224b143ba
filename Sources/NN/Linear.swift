import LinearAlgebra

/// `torch.nn.Linear`: `y = x·Wᵀ + b` over every row of `x` at once, through one sgemm.
///
/// The weight stays in the checkpoint's `[out, in]` layout; sgemm reads it transposed, so
/// loading never reorders bytes and the bound tensor can be compared with the file directly.
public struct Linear: Sendable {
    public let inFeatures: Int
    public let outFeatures: Int
    /// `[out, in]`, row-major, exactly as PyTorch stores it.
    public let weight: [Float]
    /// `[out]`, or nil for `bias=False` layers.
    public let bias: [Float]?

    public init(weight: [Float], bias: [Float]?, inFeatures: Int, outFeatures: Int) {
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
        precondition(rows >= 0, "Linear: negative row count")
        guard rows > 0 else { return }
        let n = outFeatures
        if let bias {
            // Pre-fill y with the bias and accumulate (beta = 1): the same single rounding of
            // x·Wᵀ + b per element as PyTorch's addmm, and no second pass over y.
            bias.withUnsafeBufferPointer { b in
                for r in 0..<rows { (y + r * n).update(from: b.baseAddress!, count: n) }
            }
        }
        weight.withUnsafeBufferPointer { w in
            BLAS.sgemm(transA: false, transB: true, m: rows, n: n, k: inFeatures,
                       alpha: 1, a: x, lda: inFeatures, b: w.baseAddress!, ldb: inFeatures,
                       beta: bias == nil ? 0 : 1, c: y, ldc: n)
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
