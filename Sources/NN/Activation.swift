import Foundation

/// Element-wise activations and row-wise normalisations the CLAP towers use, on Float32 buffers.
public enum Activation {
    /// Exact-erf GELU, `0.5·x·(1 + erf(x/√2))` (`torch.nn.GELU()` default, `approximate='none'`), in place.
    ///
    /// Runs `FastKernels.geluErf` (a C kernel, eight lanes, AVX2+FMA when the CPU has both): erf is a
    /// rational approximation with absolute error below 4e-7, since a libm call per element would
    /// cost more than the surrounding matrix products in the Swin MLPs. Its slow twin is
    /// `NNReference.geluErf` (libm's double `erf`).
    public static func geluErf(_ x: UnsafeMutablePointer<Float>, count: Int) {
        FastKernels.geluErf(x, count: count)
    }

    public static func relu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count where x[i] < 0 { x[i] = 0 }  // NaN stays NaN, as torch.relu
    }

    public static func tanh(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { x[i] = Foundation.tanh(x[i]) }
    }

    /// Row-wise softmax, `exp(x − max)/Σ`, as `torch.softmax(dim=-1)`.
    /// A row of all −∞ (fully masked) becomes NaN, as in PyTorch; the CLAP masks never produce one.
    public static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        for r in 0..<rows {
            let row = x + r * columns
            var maximum = -Float.infinity
            for j in 0..<columns { maximum = Swift.max(maximum, row[j]) }
            var sum: Float = 0
            for j in 0..<columns {
                let e = expf(row[j] - maximum)
                row[j] = e
                sum += e
            }
            let inverse = 1 / sum
            for j in 0..<columns { row[j] *= inverse }
        }
    }

    /// `F.normalize(x, dim=-1)`: `x / max(‖x‖₂, 1e-12)` per row.
    public static func l2NormalizeRows(_ x: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        for r in 0..<rows {
            let row = x + r * columns
            var squares: Float = 0
            for j in 0..<columns { squares += row[j] * row[j] }
            let scale = 1 / Swift.max(squares.squareRoot(), 1e-12)
            for j in 0..<columns { row[j] *= scale }
        }
    }
}
