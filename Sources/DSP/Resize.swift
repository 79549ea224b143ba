import LinearAlgebra

/// Bilinear resizing of a one-channel image (a `[rows × columns]` matrix), as PyTorch's CPU
/// kernels compute it for float32 (ATen `UpSampleKernel.cpp`, separable generic path).
///
/// The CLAP fusion front ends shrink the whole-clip mel `[T × 64]` to `[1001 × 64]`:
/// - laion_clap (`training/data.py:462`): `torchvision.transforms.Resize([1001, 64])(mel[None])`,
///   which on tensors in torchvision ≥ 0.17 is `F.interpolate(mode="bilinear",
///   align_corners=False, antialias=True)`, i.e. `torch._C._nn._upsample_bilinear2d_aa`:
///   `antialias: true`.
/// - transformers (`ClapFeatureExtractor._random_mel_fusion`): `F.interpolate(mode="bilinear",
///   align_corners=False)` without antialiasing: `antialias: false`.
///
/// Both are separable: the last axis (columns) is resized first, then the rows; an axis whose
/// size does not change is skipped, exactly as ATen does, so shrinking `[T × 64]` to `[1001 × 64]`
/// only filters along time. Weights are computed in float32 with ATen's formulas and applied as
/// float32 sums in tap order. Slow twins: `NaiveResize`.
public enum Resize {
    public static func bilinear(_ x: Matrix<Float>, rows: Int, columns: Int, antialias: Bool) -> Matrix<Float> {
        precondition(x.rows >= 1 && x.columns >= 1 && rows >= 1 && columns >= 1, "cannot resize \(x.rows)×\(x.columns) to \(rows)×\(columns)")
        var out = x
        if columns != x.columns {
            let taps = antialias ? Taps.antialiased(input: x.columns, output: columns) : Taps.linear(input: x.columns, output: columns)
            out = resizeColumns(out, taps)
        }
        if rows != x.rows {
            let taps = antialias ? Taps.antialiased(input: x.rows, output: rows) : Taps.linear(input: x.rows, output: rows)
            out = resizeRows(out, taps)
        }
        return out
    }

    /// For each output index `i`, `count[i]` taps: input indices `indices[i·width + j]` with
    /// weights `weights[i·width + j]`, `j < count[i]`.
    struct Taps {
        var indices: [Int] = []
        var weights: [Float] = []
        var count: [Int] = []
        let width: Int

        var outputCount: Int { count.count }

        /// ATen `HelperInterpLinear::compute_indices_weights` + `compute_source_index_and_lambda`
        /// (`align_corners=False`): `src = scale·(i + 0.5) − 0.5` in float32, clamped at 0; taps
        /// `i0 = min(⌊src⌋, in − 1)` and `i0 + 1` (or `i0` again at the last row) with weights
        /// `1 − λ`, `λ = clamp(src − i0, 0, 1)`.
        static func linear(input: Int, output: Int) -> Taps {
            let scale: Float = Float(input) / Float(output)
            var taps = Taps(width: 2)
            for i in 0..<output {
                var src: Float = Float(-0.5).addingProduct(scale, Float(i) + 0.5)
                if src < 0 { src = 0 }
                let i0 = min(Int(src.rounded(.down)), input - 1)
                let lambda1 = min(max(src - Float(i0), 0), 1)
                let lambda0: Float = 1 - lambda1
                let offset = i0 < input - 1 ? 1 : 0
                // Two taps even when both read index i0 (offset 0): ATen computes x·λ0 + x·λ1.
                taps.indices.append(contentsOf: [i0, i0 + offset])
                taps.weights.append(contentsOf: [lambda0, lambda1])
                taps.count.append(2)
            }
            return taps
        }

        /// ATen `HelperInterpBase::_compute_indices_min_size_weights_aa` with the triangle filter
        /// `aa_filter(x) = max(0, 1 − |x|)`: the filter is stretched by `scale = in/out` when
        /// shrinking (`support = scale`), `center = scale·(i + 0.5)`, taps
        /// `[trunc(center − support + 0.5), trunc(center + support + 0.5))` clipped to the input,
        /// weights `aa_filter((j + xmin − center + 0.5)·(1/scale))` normalised to sum 1. The
        /// `+ 0.5` terms are C++ double literals, so those sums happen in double and are rounded
        /// back to float where ATen stores them.
        static func antialiased(input: Int, output: Int) -> Taps {
            let scale: Float = Float(input) / Float(output)
            let support: Float = scale >= 1 ? Float(1.0 * Double(scale)) : 1
            let invscale: Float = scale >= 1 ? Float(1.0 / Double(scale)) : 1
            let maxTaps = Int(Double(support).rounded(.up)) * 2 + 1
            var taps = Taps(width: maxTaps)
            for i in 0..<output {
                let center = Float(Double(scale) * (Double(i) + 0.5))
                let xmin = max(Int(Double(center - support) + 0.5), 0)
                var xsize = min(Int(Double(center + support) + 0.5), input) - xmin
                xsize = min(max(xsize, 0), maxTaps)
                var w = [Float](repeating: 0, count: maxTaps)
                var total: Float = 0
                for j in 0..<xsize {
                    let arg = Float((Double(Float(j + xmin) - center) + 0.5) * Double(invscale))
                    let a = abs(arg)
                    let value: Float = a < 1 ? 1 - a : 0
                    w[j] = value
                    total += value
                }
                if total != 0 {
                    for j in 0..<xsize { w[j] /= total }
                }
                taps.indices.append(contentsOf: (0..<maxTaps).map { xmin + $0 })
                taps.weights.append(contentsOf: w)
                taps.count.append(xsize)
            }
            return taps
        }
    }

    /// `out[i, :] = Σ_j w[i][j] · x[index_ij, :]`, accumulated in tap order (whole rows at a time,
    /// which keeps each element's operation order).
    static func resizeRows(_ x: Matrix<Float>, _ taps: Taps) -> Matrix<Float> {
        let cols = x.columns
        var out = Matrix<Float>(rows: taps.outputCount, columns: cols)
        x.values.withUnsafeBufferPointer { xb in
            out.values.withUnsafeMutableBufferPointer { ob in
                let src = xb.baseAddress!, dst = ob.baseAddress!
                for i in 0..<taps.outputCount where taps.count[i] > 0 {
                    let row = dst + i * cols
                    let base = i * taps.width
                    let first = src + taps.indices[base] * cols, w0 = taps.weights[base]
                    for c in 0..<cols { row[c] = first[c] * w0 }
                    for j in 1..<taps.count[i] {
                        let next = src + taps.indices[base + j] * cols, wj = taps.weights[base + j]
                        for c in 0..<cols { row[c] += next[c] * wj }
                    }
                }
            }
        }
        return out
    }

    /// `out[:, i] = Σ_j w[i][j] · x[:, index_ij]`, accumulated in tap order.
    static func resizeColumns(_ x: Matrix<Float>, _ taps: Taps) -> Matrix<Float> {
        let outCols = taps.outputCount, inCols = x.columns
        var out = Matrix<Float>(rows: x.rows, columns: outCols)
        for r in 0..<x.rows {
            for i in 0..<outCols where taps.count[i] > 0 {
                let base = i * taps.width
                var acc = x.values[r * inCols + taps.indices[base]] * taps.weights[base]
                for j in 1..<taps.count[i] {
                    acc += x.values[r * inCols + taps.indices[base + j]] * taps.weights[base + j]
                }
                out.values[r * outCols + i] = acc
            }
        }
        return out
    }
}
