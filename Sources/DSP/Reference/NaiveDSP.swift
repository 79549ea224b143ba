import LinearAlgebra

#if canImport(Glibc)
import Glibc
#endif

// Slow, obviously correct twins of the DSP kernels, in double precision and written from the
// textbook definitions rather than from the reference code's operation order. Tests compare the
// fast kernels against them; nothing in the pipeline calls them.

/// Direct O(n²) discrete Fourier transform.
public enum NaiveDFT {
    /// One-sided `X[k] = Σ_t x[t]·e^{−2πi·kt/n}`, `k = 0…n/2`.
    public static func forward(_ x: [Double]) -> [(re: Double, im: Double)] {
        let n = x.count
        return (0...(n / 2)).map { k in
            var re = 0.0, im = 0.0
            for t in 0..<n {
                // Reduce k·t modulo n first so the angle stays small and exact.
                let angle = -2 * Double.pi * Double((k * t) % n) / Double(n)
                re += x[t] * cos(angle)
                im += x[t] * sin(angle)
            }
            return (re, im)
        }
    }
}

/// The centred, reflect-padded, periodic-Hann STFT power by definition.
public enum NaiveSpectrogram {
    /// `np.pad(x, n/2, mode="reflect")`: the signal mirrored about its first and last samples,
    /// the mirror repeated as often as needed.
    public static func reflectPadded(_ x: [Float], pad: Int) -> [Double] {
        var extended = x.map(Double.init)
        if extended.count == 1 { return [Double](repeating: extended[0], count: 1 + 2 * pad) }
        var left = pad, right = pad
        while left > 0 || right > 0 {
            // Mirror at most n − 1 samples per side per round, like NumPy's `_set_reflect_both`.
            let n = extended.count
            let l = min(left, n - 1), r = min(right, n - 1)
            let leftMirror = Array(extended[1..<(1 + l)].reversed())
            let rightMirror = Array(extended[(n - 1 - r)..<(n - 1)].reversed())
            extended = leftMirror + extended + rightMirror
            left -= l
            right -= r
        }
        return extended
    }

    /// `[frames × (n/2 + 1)]` power `|X|²`.
    public static func power(_ x: [Float], fftSize n: Int, hopLength hop: Int) -> Matrix<Double> {
        let padded = reflectPadded(x, pad: n / 2)
        let frames = 1 + (padded.count - n) / hop
        let window = (0..<n).map { 0.5 * (1 - cos(2 * Double.pi * Double($0) / Double(n))) }
        var out = Matrix<Double>(rows: frames, columns: n / 2 + 1)
        for t in 0..<frames {
            let frame = (0..<n).map { padded[t * hop + $0] * window[$0] }
            for (k, bin) in NaiveDFT.forward(frame).enumerated() {
                out[t, k] = bin.re * bin.re + bin.im * bin.im
            }
        }
        return out
    }
}

/// Log-mel by definition: full power spectrum times every row of the filter bank, in double.
public enum NaiveLogMel {
    public static func melPower(_ power: Matrix<Double>, _ bank: MelFilterBank) -> Matrix<Double> {
        let w = bank.doubleWeights
        precondition(power.columns == w.rows)
        var out = Matrix<Double>(rows: power.rows, columns: w.columns)
        for t in 0..<power.rows {
            for m in 0..<w.columns {
                var sum = 0.0
                for k in 0..<w.rows { sum += power[t, k] * w[k, m] }
                out[t, m] = sum
            }
        }
        return out
    }

    public static func decibels(_ power: Matrix<Double>, amin: Double = 1e-10) -> Matrix<Double> {
        Matrix(rows: power.rows, columns: power.columns, values: power.values.map { 10 * log10(max($0, amin)) })
    }
}

/// Bilinear resizing by definition, as a 2-D weighted sum `out[i][j] = Σ_k Σ_l r[i][k]·c[j][l]·x[k][l]`.
public enum NaiveResize {
    /// Row weights for resizing an axis from `input` to `output` samples (pixel centres at
    /// `k + 0.5`, `align_corners=False`).
    /// - `antialias: false`: linear interpolation at `src = (i + 0.5)·in/out − 0.5`, clamped to the
    ///   first and last sample.
    /// - `antialias: true`: the triangle `max(0, 1 − |d|)` of half-width `max(in/out, 1)` centred
    ///   at `(i + 0.5)·in/out`, sampled at every input centre and normalised to sum 1.
    public static func weights(input: Int, output: Int, antialias: Bool) -> Matrix<Double> {
        var w = Matrix<Double>(rows: output, columns: input)
        let scale = Double(input) / Double(output)
        for i in 0..<output {
            if input == output {
                w[i, i] = 1
            } else if antialias {
                let center = (Double(i) + 0.5) * scale
                let halfWidth = max(scale, 1)
                var total = 0.0
                for k in 0..<input {
                    let value = max(0, 1 - abs(Double(k) + 0.5 - center) / halfWidth)
                    w[i, k] = value
                    total += value
                }
                if total > 0 { for k in 0..<input { w[i, k] /= total } }
            } else {
                let src = max((Double(i) + 0.5) * scale - 0.5, 0)
                let i0 = min(Int(src.rounded(.down)), input - 1)
                let i1 = min(i0 + 1, input - 1)
                let lambda = min(src - Double(i0), 1)
                w[i, i0] += 1 - lambda
                w[i, i1] += lambda
            }
        }
        return w
    }

    public static func bilinear(_ x: Matrix<Float>, rows: Int, columns: Int, antialias: Bool) -> Matrix<Double> {
        let r = weights(input: x.rows, output: rows, antialias: antialias)
        let c = weights(input: x.columns, output: columns, antialias: antialias)
        // The nonzero entries of each weight row (the sum over zero weights adds nothing).
        let rowTaps = (0..<rows).map { i in (0..<x.rows).filter { r[i, $0] != 0 } }
        let columnTaps = (0..<columns).map { j in (0..<x.columns).filter { c[j, $0] != 0 } }
        var out = Matrix<Double>(rows: rows, columns: columns)
        for i in 0..<rows {
            for j in 0..<columns {
                var sum = 0.0
                for k in rowTaps[i] {
                    for l in columnTaps[j] { sum += r[i, k] * c[j, l] * Double(x[k, l]) }
                }
                out[i, j] = sum
            }
        }
        return out
    }
}
