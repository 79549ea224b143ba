/// `torch.nn.LayerNorm(dimension, eps)` over the last dimension, with affine weight and bias.
///
/// Mean and centred variance are accumulated in Double (two passes), and each value is normalised
/// in Double before the one rounding to Float: a row whose values share a large offset would
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

    /// Normalises `rows` rows of `dimension` values in place.
    public func apply(_ x: UnsafeMutablePointer<Float>, rows: Int) {
        let d = dimension
        weight.withUnsafeBufferPointer { w in
            bias.withUnsafeBufferPointer { b in
                for r in 0..<rows {
                    let row = x + r * d
                    var total = 0.0
                    for j in 0..<d { total += Double(row[j]) }
                    let mean = total / Double(d)
                    var variance = 0.0
                    for j in 0..<d { let c = Double(row[j]) - mean; variance += c * c }
                    variance /= Double(d)  // biased, as torch.nn.LayerNorm
                    let inverse = 1 / (variance + Double(epsilon)).squareRoot()
                    for j in 0..<d {
                        row[j] = Float((Double(row[j]) - mean) * inverse * Double(w[j]) + Double(b[j]))
                    }
                }
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
