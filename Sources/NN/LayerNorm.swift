/// `torch.nn.LayerNorm(dimension, eps)` over the last dimension, with affine weight and bias.
///
/// Mean and centred variance are accumulated in Double (two passes, four lanes), and each value is
/// normalised in Double before the one rounding to Float: a row whose values share a large offset would
/// otherwise lose ~1e-4 of its relative precision to the rounded mean. The cost is small next to
/// the matrix products around every LayerNorm.
public struct LayerNorm: Sendable {
    public let dimension: Int
    public let epsilon: Float
    public let weight: [Float]
    public let bias: [Float]

    public init(weight: [Float], bias: [Float], epsilon: Float) {
        precondition(!weight.isEmpty && weight.count == bias.count,
                     "LayerNorm: weight \(weight.count) and bias \(bias.count) values must match and be non-empty")
        precondition(epsilon > 0, "LayerNorm: epsilon must be positive")
        self.dimension = weight.count
        self.epsilon = epsilon
        self.weight = weight
        self.bias = bias
    }

    /// Normalises `rows` rows of `dimension` values in place (`FastKernels.layerNorm`: the same
    /// Double arithmetic in vector lanes; twin `NNReference.layerNorm`).
    public func apply(_ x: UnsafeMutablePointer<Float>, rows: Int) {
        weight.withUnsafeBufferPointer { w in
            bias.withUnsafeBufferPointer { b in
                FastKernels.layerNorm(x, rows: rows, dimension: dimension, weight: w.baseAddress!, bias: b.baseAddress!, epsilon: epsilon)
            }
        }
    }

    /// Array convenience for tests and small inputs.
    public func apply(_ x: [Float], rows: Int) -> [Float] {
        precondition(x.count == rows * dimension, "LayerNorm: input has \(x.count) values, expected \(rows)×\(dimension)")
        var y = x
        y.withUnsafeMutableBufferPointer { if let p = $0.baseAddress { apply(p, rows: rows) } }
        return y
    }
}
