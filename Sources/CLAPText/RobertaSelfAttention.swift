import Foundation
import LinearAlgebra
import NN

/// Reference: transformers `ClapTextSelfAttention` (RoBERTa's; modeling_clap.py): per head,
/// `softmax(Q·Kᵀ / sqrt(headDim) + mask) · V`, heads side by side in `[T, H]` (head `h` in columns
/// `h·d ..< (h+1)·d`), dropout off.
///
/// The three projections `query`, `key`, `value` run as one sgemm over a `[3H, H]` weight made by
/// stacking theirs at load. No mask: only real tokens are passed in, and a padded key's weight in the
/// reference is `exp(finfo.min − max) = 0` exactly, so leaving padding out changes nothing but rounding
/// (clap-reference-facts.md §6).
struct RobertaSelfAttention: Sendable {
    let hiddenSize: Int
    let numHeads: Int
    let qkv: Linear          // "attention.self.{query,key,value}.{weight,bias}", stacked [3H, H]

    init(_ w: inout TextWeightBinding, prefix: String, _ c: RobertaTextConfig) throws {
        hiddenSize = c.hiddenSize
        numHeads = c.numAttentionHeads
        let h = c.hiddenSize
        var weight: [Float] = [], bias: [Float] = []
        weight.reserveCapacity(3 * h * h)
        for name in ["query", "key", "value"] {
            weight += try w.take("\(prefix).attention.self.\(name).weight", [h, h])
            bias += try w.take("\(prefix).attention.self.\(name).bias", [h])
        }
        qkv = Linear(weight: weight, bias: bias, inFeatures: h, outFeatures: 3 * h)
    }

    var headDim: Int { hiddenSize / numHeads }

    /// x: [T, H] → context: [T, H]. `qkv`: [T, 3H] and `scores`: [T, T] are scratch.
    func apply(_ x: UnsafePointer<Float>, rows t: Int, qkv out: UnsafeMutablePointer<Float>,
               scores: UnsafeMutablePointer<Float>, context: UnsafeMutablePointer<Float>) {
        let h = hiddenSize, d = headDim
        qkv.apply(x, rows: t, into: out)
        let scale = 1 / Float(d).squareRoot()
        for head in 0..<numHeads {
            // scores = scale · Q_h · K_hᵀ
            BLAS.sgemm(transA: false, transB: true, m: t, n: t, k: d, alpha: scale,
                       a: out + head * d, lda: 3 * h, b: out + h + head * d, ldb: 3 * h,
                       beta: 0, c: scores, ldc: t)
            Activation.softmaxRows(scores, rows: t, columns: t)
            // context_h = P · V_h
            BLAS.sgemm(transA: false, transB: false, m: t, n: d, k: t, alpha: 1,
                       a: scores, lda: t, b: out + 2 * h + head * d, ldb: 3 * h,
                       beta: 0, c: context + head * d, ldc: h)
        }
    }

    /// Slow twin: the same attention over a PADDED sequence, the way the reference computes it, with
    /// Double sums; keys whose `mask` is 0 get weight 0 (the reference adds `finfo(float32).min`).
    /// x: [T, H] → context: [T, H].
    func reference(_ x: [Float], rows t: Int, mask: [Int]) -> [Float] {
        let h = hiddenSize, d = headDim
        let p = NNReference.linear(x, rows: t, weight: qkv.weight, bias: qkv.bias, inFeatures: h, outFeatures: 3 * h)
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
