import Foundation

/// Element-wise activations and row-wise normalisations the CLAP towers use, on Float32 buffers.
public enum Activation {
    /// Exact-erf GELU, `0.5·x·(1 + erf(x/√2))` (`torch.nn.GELU()` default, `approximate='none'`).
    ///
    /// erf comes from `fastErf`, a rational approximation with absolute error below 4e-7 over all
    /// floats (checked against libm's double `erf` in NNTests), eight lanes at a time: a libm call
    /// per element would cost more than the surrounding matrix products in the Swin MLPs.
    public static func geluErf(_ x: UnsafeMutablePointer<Float>, count: Int) {
        let invSqrt2 = SIMD8<Float>(repeating: 0.707_106_781_186_547_5)
        var i = 0
        while i + 8 <= count {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            let g = 0.5 * v * (1 + fastErf(v * invSqrt2))
            UnsafeMutableRawPointer(x + i).storeBytes(of: g, as: SIMD8<Float>.self)
            i += 8
        }
        if i < count {
            var tail = SIMD8<Float>.zero
            for j in i..<count { tail[j - i] = x[j] }
            let g = 0.5 * tail * (1 + fastErf(tail * invSqrt2))
            for j in i..<count { x[j] = g[j - i] }
        }
    }

    /// erf over eight lanes: `x·P(x²)/Q(x²)` on x clamped to [−4, 4] (beyond which erf rounds to
    /// ±1 in Float32). The minimax coefficients are the widely published single-precision set
    /// (as in Eigen's `generic_fast_erf_float`); plain multiply–adds, no libm call.
    @inline(__always)
    public static func fastErf(_ input: SIMD8<Float>) -> SIMD8<Float> {
        let x = input.clamped(lowerBound: SIMD8(repeating: -4), upperBound: SIMD8(repeating: 4))
        let x2 = x * x
        var p = SIMD8<Float>(repeating: -2.726_142_258_013_06e-10)
        p = p * x2 + 2.770_681_424_959_02e-08
        p = p * x2 - 2.101_024_020_825_08e-06
        p = p * x2 - 5.692_506_394_623_46e-05
        p = p * x2 - 7.349_906_303_268_55e-04
        p = p * x2 - 2.954_599_808_540_25e-03
        p = p * x2 - 1.609_603_332_624_15e-02
        p = p * x
        var q = SIMD8<Float>(repeating: -1.456_607_184_649_96e-05)
        q = q * x2 - 2.133_740_552_789_05e-04
        q = q * x2 - 1.682_826_974_382_03e-03
        q = q * x2 - 7.373_329_167_204_68e-03
        q = q * x2 - 1.426_473_905_141_89e-02
        return p / q
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
