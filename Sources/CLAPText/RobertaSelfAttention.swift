import Foundation
import LinearAlgebra
import NN

/// Reference: transformers `ClapTextSelfAttention` (RoBERTa's; modeling_clap.py): per head,
/// `softmax(Q·Kᵀ / sqrt(headDim) + mask) · V`, heads side by side in `[T, H]` (head `h` in columns
/// `h·d ..< (h+1)·d`), dropout off.
///
/// The three projections `query`, `key`, `value` write side by side into one `[T, 3H]` scratch (three
/// sgemms on the weights as the file stores them, so a memory-mapped checkpoint is read in place rather
/// than stacked into a copy at load). No mask: only real tokens are passed in, and a padded key's weight in
/// the reference is `exp(finfo.min − max) = 0` exactly, so leaving padding out changes nothing but rounding
/// (clap-reference-facts.md §6).
struct RobertaSelfAttention: Sendable {
    let hiddenSize: Int
    let numHeads: Int
    let query: Linear        // "attention.self.query" [H, H]
    let key: Linear          // "attention.self.key"   [H, H]
    let value: Linear        // "attention.self.value" [H, H]

    init(_ w: inout TextWeightBinding, prefix: String, _ c: RobertaTextConfig) throws {
        hiddenSize = c.hiddenSize
        numHeads = c.numAttentionHeads
        let h = c.hiddenSize
        query = try w.linear("\(prefix).attention.self.query", in: h, out: h)
        key = try w.linear("\(prefix).attention.self.key", in: h, out: h)
        value = try w.linear("\(prefix).attention.self.value", in: h, out: h)
    }

    var headDim: Int { hiddenSize / numHeads }

    /// x: [T, H] → context: [T, H], where the T rows are the runs `queries`, each attending only to its
    /// own rows. `qkv`: [T, 3H] and `scores`: [longest query², ] are scratch.
    func apply(_ x: UnsafePointer<Float>, rows t: Int, queries: [Range<Int>], qkv out: UnsafeMutablePointer<Float>,
               scores: UnsafeMutablePointer<Float>, context: UnsafeMutablePointer<Float>) {
        let h = hiddenSize, d = headDim
        query.apply(x, rows: t, into: out, outputStride: 3 * h)
        key.apply(x, rows: t, into: out + h, outputStride: 3 * h)
        value.apply(x, rows: t, into: out + 2 * h, outputStride: 3 * h)
        let scale = 1 / Float(d).squareRoot()
        for q in queries {
            let n = q.count, rows = out + q.lowerBound * 3 * h
            for head in 0..<numHeads {
                // scores = scale · Q_h · K_hᵀ
                BLAS.sgemm(transA: false, transB: true, m: n, n: n, k: d, alpha: scale,
                           a: rows + head * d, lda: 3 * h, b: rows + h + head * d, ldb: 3 * h,
                           beta: 0, c: scores, ldc: n)
                Activation.softmaxRows(scores, rows: n, columns: n)
                // context_h = P · V_h
                BLAS.sgemm(transA: false, transB: false, m: n, n: d, k: n, alpha: 1,
                           a: scores, lda: n, b: rows + 2 * h + head * d, ldb: 3 * h,
                           beta: 0, c: context + q.lowerBound * h + head * d, ldc: h)
            }
        }
    }

    /// Slow twin: the same attention over a PADDED sequence, the way the reference computes it, with
    /// Double sums; keys whose `mask` is 0 get weight 0 (the reference adds `finfo(float32).min`).
    /// x: [T, H] → context: [T, H].
    func reference(_ x: [Float], rows t: Int, mask: [Int]) -> [Float] {
        let h = hiddenSize, d = headDim
        let parts = [query, key, value].map {
            NNReference.linear(x, rows: t, weight: $0.weight.array, bias: $0.bias, inFeatures: h, outFeatures: h)
        }
        // p: [T, 3H], query | key | value per row.
        var p = [Float](repeating: 0, count: t * 3 * h)
        for r in 0..<t { for (k, part) in parts.enumerated() { p[(r * 3 * h + k * h)..<(r * 3 * h + k * h + h)] = part[(r * h)..<(r * h + h)] } }
        var context = [Float](repeating: 0, count: t * h)
        let scale = 1 / Double(d).squareRoot()
        for head in 0..<numHeads {
            for i in 0..<t {
                var logits = [Double](repeating: -.infinity, count: t)
                for j in 0..<t where mask[j] != 0 {
                    var s = 0.0
                    for c in 0..<d { s += Double(p[i * 3 * h + head * d + c]) * Double(p[j * 3 * h + h + head * d + c]) }
                    logits[j] = s * scale
                }
                let m = logits.max()!
                let e = logits.map { $0 == -.infinity ? 0 : Foundation.exp($0 - m) }
                let z = e.reduce(0, +)
                for c in 0..<d {
                    var s = 0.0
                    for j in 0..<t { s += e[j] / z * Double(p[j * 3 * h + 2 * h + head * d + c]) }
                    context[i * h + head * d + c] = Float(s)
                }
            }
        }
        return context
    }
}
