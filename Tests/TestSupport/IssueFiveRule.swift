/// The correctness rule of issue 5 (flat, IVF, faiss exports) on plain result arrays, so the
/// library tests and the CLI tests check search output the same way.
public enum IssueFiveRule {
    /// Scores within 1e-6·max(1, |score|) (scaled for scores beyond unit size: damaged bytes can
    /// produce 1e30); ids may differ from the twin's only between rows whose twin scores lie within
    /// that tolerance of each other (near-ties, including the k-th/(k+1)-th); padding (id −1)
    /// where the twin pads. `ids`/`scores` are `queries × k` row-major; `allScores[q]` holds the
    /// twin's scores for every candidate id of query q (several if the stored ids repeat).
    /// Returns nil when the rule holds, else what broke it.
    public static func problem(ids: [Int64], scores: [Float], twinIDs: [Int64], twinScores: [Float], k: Int,
                               allScores: [[Int64: [Float]]]) -> String? {
        guard k > 0 else { return ids.isEmpty && twinIDs.isEmpty ? nil : "k is 0 but results exist" }
        guard ids.count == twinIDs.count, scores.count == ids.count, twinScores.count == ids.count, ids.count % k == 0,
              allScores.count == ids.count / k else { return "shape differs: \(ids.count) vs \(twinIDs.count) results" }
        func tol(_ s: Float) -> Float { 1e-6 * max(1, abs(s)) }
        func close(_ a: Float, _ b: Float) -> Bool {
            if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
            if a.isInfinite || b.isInfinite { return a == b }
            return abs(a - b) <= tol(max(abs(a), abs(b)))
        }
        for q in 0..<(ids.count / k) {
            let range = (q * k)..<((q + 1) * k)
            let fi = Array(ids[range]), ti = Array(twinIDs[range]), fs = Array(scores[range]), ts = Array(twinScores[range])
            // Repeated ids only where the bytes on disk repeat them (damaged id sections in the fuzz test).
            let real = fi.filter { $0 != -1 }
            if Set(real).count != real.count && allScores[q].values.allSatisfy({ $0.count == 1 }) { return "query \(q): repeated ids \(fi)" }
            for j in 0..<k {
                if ti[j] == -1 || fi[j] == -1 {
                    if ti[j] != fi[j] { return "query \(q) rank \(j): padding differs \(fi) vs \(ti)" }
                    continue
                }
                guard close(fs[j], ts[j]) else { return "query \(q) rank \(j): score \(fs[j]) vs twin \(ts[j])" }
                if fi[j] != ti[j] {
                    guard let s = allScores[q][fi[j]], s.contains(where: { close($0, ts[j]) }) else {
                        return "query \(q) rank \(j): id \(fi[j]) vs twin \(ti[j]) without a near-tie (\(fs[j]) vs \(ts[j]))"
                    }
                }
            }
        }
        return nil
    }
}
