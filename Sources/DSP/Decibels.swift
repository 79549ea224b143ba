#if canImport(Glibc)
import Glibc
#endif

/// Power to decibels, `10·log10(max(x, amin))` with reference 1 (so no offset).
///
/// - laion_clap non-fusion: torchlibrosa `LogmelFilterBank.power_to_db` with `ref=1.0, amin=1e-10,
///   top_db=None`: `10·log10(clamp(x, amin)) − 10·log10(max(amin, 1))`, the second term being 0.
/// - laion_clap fusion: torchaudio `AmplitudeToDB(stype="power", top_db=None)`, the same formula.
/// - transformers: `audio_utils.power_to_db(x, reference=1.0, min_value=1e-10, db_range=top_db)`
///   in float64; with `db_range` the result is also clipped from below at `max − db_range`.
///
/// `10·log10(x)` is evaluated as `log2(x) · 10·log10(2)`. In double precision `log2` is glibc's
/// (its fast modern implementation). In single precision `log2` is computed here, branch-free so
/// the loop vectorises (a libm call per value cost more than the whole mel product): see `fastLog2`.
public enum Decibels {
    @usableFromInline static let dbPerOctave: Double = 10 * log10(2.0)

    /// Single precision in and out, like torch's float32 `10 * log10(clamp(x, amin))`; within a few
    /// float ulps of the exact dB value (≤ 2.3e-5 dB down to −100 dB; see `fastLog2`).
    public static func powerToDB(_ values: inout [Float], amin: Float = 1e-10) {
        let scale = Float(dbPerOctave)
        values.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices {
                buffer[i] = fastLog2(max(buffer[i], amin)) * scale
            }
        }
    }

    /// `log2(x)` for positive, finite, normal `x`: with `x = m·2^e`, `m ∈ [√½, √2)`,
    /// `log2 x = e + (2/ln 2)·atanh(s)`, `s = (m − 1)/(m + 1)`, `|s| ≤ 0.1716`, and
    /// `atanh(s) = s + s³/3 + s⁵/5 + s⁷/7 + s⁹/9 + …`; the series is cut after s⁹ (the next term
    /// is < 3e-10 of the result). Float arithmetic throughout: the error is at most 3 float ulps of
    /// `log2 x` (tested over every binade), like a float32 libm `log10` followed by a multiply.
    @inlinable @inline(__always)
    public static func fastLog2(_ x: Float) -> Float {
        var bits = x.bitPattern
        var e = Int32(bitPattern: (bits >> 23) & 0xFF) - 127
        // Move the mantissa into [√½, √2): if it is ≥ √2 (0x3FB504F3), halve it and bump e.
        let mantissa = bits & 0x007F_FFFF
        let high: UInt32 = mantissa >= 0x0035_04F3 ? 1 : 0
        e += Int32(high)
        bits = mantissa | ((127 - high) << 23)
        let m = Float(bitPattern: bits)
        let s = (m - 1) / (m + 1)
        let s2 = s * s
        let series: Float = 1 + s2 * (1.0 / 3 + s2 * (1.0 / 5 + s2 * (1.0 / 7 + s2 * (1.0 / 9))))
        return Float(e) + s * series * 2.885_390_081_777_926_8  // 2 / ln 2
    }

    /// Double precision in, single precision out (NumPy's float64 dB, then `astype(float32)`):
    /// `10·log10(max(x, amin))`, clipped at `max − topDB` when `topDB` is given.
    public static func powerToDB(_ values: [Double], amin: Double = 1e-10, topDB: Double? = nil) -> [Float] {
        var db = values.map { log2(max($0, amin)) * dbPerOctave }
        if let topDB, let peak = db.max() {
            let floor = peak - topDB
            for i in db.indices where db[i] < floor { db[i] = floor }
        }
        return db.map { Float($0) }
    }

    /// Raises every value below `max − topDB` to that floor, in place (single-precision `top_db`).
    public static func clip(_ values: inout [Float], topDB: Float) {
        guard let peak = values.max() else { return }
        let floor = peak - topDB
        for i in values.indices where values[i] < floor { values[i] = floor }
    }
}
