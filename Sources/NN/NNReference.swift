import Foundation

/// Slow, obviously correct twins of the NN kernels: plain loops, Double accumulation, libm's
/// double-precision functions. Tests compare the fast kernels against these.
public enum NNReference {
    public static func linear(_ x: [Float], rows: Int, weight: [Float], bias: [Float]?,
                              inFeatures: Int, outFeatures: Int) -> [Float] {
        precondition(x.count == rows * inFeatures && weight.count == inFeatures * outFeatures)
        var y = [Float](repeating: 0, count: rows * outFeatures)
        for r in 0..<rows {
            for o in 0..<outFeatures {
                var acc = Double(bias?[o] ?? 0)
                for i in 0..<inFeatures { acc += Double(x[r * inFeatures + i]) * Double(weight[o * inFeatures + i]) }
                y[r * outFeatures + o] = Float(acc)
            }
        }
        return y
    }

    public static func layerNorm(_ x: [Float], rows: Int, weight: [Float], bias: [Float], epsilon: Float) -> [Float] {
        let d = weight.count
        precondition(x.count == rows * d && bias.count == d)
        var y = x
        for r in 0..<rows {
            let row = (0..<d).map { Double(x[r * d + $0]) }
            let mean = row.reduce(0, +) / Double(d)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(d)
            let inverse = 1 / (variance + Double(epsilon)).squareRoot()
            for j in 0..<d { y[r * d + j] = Float((row[j] - mean) * inverse * Double(weight[j]) + Double(bias[j])) }
        }
        return y
    }

    public static func geluErf(_ x: [Float]) -> [Float] {
        x.map { v in Float(0.5 * Double(v) * (1 + erf(Double(v) / 2.0.squareRoot()))) }
    }

    public static func softmaxRows(_ x: [Float], rows: Int, columns: Int) -> [Float] {
        precondition(x.count == rows * columns)
        var y = x
        for r in 0..<rows {
            let row = (0..<columns).map { Double(x[r * columns + $0]) }
            let maximum = row.max() ?? 0
            let exps = row.map { Foundation.exp($0 - maximum) }
            let sum = exps.reduce(0, +)
            for j in 0..<columns { y[r * columns + j] = Float(exps[j] / sum) }
        }
        return y
    }

    public static func l2NormalizeRows(_ x: [Float], rows: Int, columns: Int) -> [Float] {
        precondition(x.count == rows * columns)
        var y = x
        for r in 0..<rows {
            let norm = (0..<columns).map { Double(x[r * columns + $0]) * Double(x[r * columns + $0]) }.reduce(0, +).squareRoot()
            let scale = 1 / max(norm, 1e-12)
            for j in 0..<columns { y[r * columns + j] = Float(Double(x[r * columns + j]) * scale) }
        }
        return y
    }
    /// `exp` in Double, rounded once to Float: the twin of `FastKernels.exp`.
    public static func exp(_ x: [Float]) -> [Float] { x.map { Float(Foundation.exp(Double($0))) } }

    /// Twin of `FastKernels.windowAttention`, written out per (window, head, query) in Double:
    /// logits = (q·k)/√d + bias (+ mask), softmax, weighted sum of v.
    public static func windowAttention(qkv: [Float], windows: Int, tokens: Int, heads: Int, headDimension d: Int,
                                       bias: [Float], mask: [Float]?) -> [Float] {
        let c = heads * d, ld = 3 * c
        precondition(qkv.count == windows * tokens * ld && bias.count == heads * tokens * tokens)
        var context = [Float](repeating: 0, count: windows * tokens * c)
        for w in 0..<windows {
            for h in 0..<heads {
                for i in 0..<tokens {
                    var logits = [Double](repeating: 0, count: tokens)
                    for j in 0..<tokens {
                        var dot = 0.0
                        for e in 0..<d { dot += Double(qkv[(w * tokens + i) * ld + h * d + e]) * Double(qkv[(w * tokens + j) * ld + c + h * d + e]) }
                        logits[j] = dot / Double(d).squareRoot() + Double(bias[(h * tokens + i) * tokens + j])
                            + Double(mask?[(w * tokens + i) * tokens + j] ?? 0)
                    }
                    let m = logits.max()!
                    let e = logits.map { Foundation.exp($0 - m) }
                    let z = e.reduce(0, +)
                    for k in 0..<d {
                        var acc = 0.0
                        for j in 0..<tokens { acc += e[j] / z * Double(qkv[(w * tokens + j) * ld + 2 * c + h * d + k]) }
                        context[(w * tokens + i) * c + h * d + k] = Float(acc)
                    }
                }
            }
        }
        return context
    }
}
