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
public enum Decibels {
    /// Single precision in and out: `Float(10) · log10(x)` where the log is evaluated in double
    /// and rounded once (torch's float32 `log10` is within one ulp of that).
    public static func powerToDB(_ values: inout [Float], amin: Float = 1e-10) {
        values.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices {
                let x = max(buffer[i], amin)
                buffer[i] = 10 * Float(log10(Double(x)))
            }
        }
    }

    /// Double precision in, single precision out (NumPy's float64 dB, then `astype(float32)`):
    /// `10·log10(max(x, amin))`, clipped at `max − topDB` when `topDB` is given.
    public static func powerToDB(_ values: [Double], amin: Double = 1e-10, topDB: Double? = nil) -> [Float] {
        var db = values.map { 10 * log10(max($0, amin)) }
        if let topDB, let peak = db.max() {
            let floor = peak - topDB
            for i in db.indices where db[i] < floor { db[i] = floor }
        }
        return db.map { Float($0) }
    }

    /// `max(x, floor)` over single-precision values, clipping from below at `max − topDB` in
    /// place (single-precision `top_db`).
    public static func clip(_ values: inout [Float], topDB: Float) {
        guard let peak = values.max() else { return }
        let floor = peak - topDB
        for i in values.indices where values[i] < floor { values[i] = floor }
    }
}
