@testable import CLAPText
import Testing
import TestSupport

@Suite("RobertaSelfAttention: the sgemm kernel against its slow Double twin")
struct RobertaSelfAttentionTests {
    /// The fast kernel on x: [T, H] → context [T, H].
    private func fast(_ attention: RobertaSelfAttention, _ x: [Float], rows t: Int) -> [Float] {
        let h = attention.hiddenSize
        var qkv = [Float](repeating: 0, count: t * 3 * h), scores = [Float](repeating: 0, count: t * t)
        var context = [Float](repeating: 0, count: t * h)
        x.withUnsafeBufferPointer { xp in
            qkv.withUnsafeMutableBufferPointer { q in
                scores.withUnsafeMutableBufferPointer { s in
                    context.withUnsafeMutableBufferPointer { c in
                        attention.apply(xp.baseAddress!, rows: t, queries: [0..<t], qkv: q.baseAddress!, scores: s.baseAddress!, context: c.baseAddress!)
                    }
                }
            }
        }
        return context
    }

    @Test("random inputs of 1, 7 and 77 tokens: fast equals the twin to 1e-5 relative")
    func matchesTwin() throws {
        let attention = try TextFixture.hfEncoder().encoder.layers[1].attention
        var rng = SeededGenerator(state: 4)
        for t in [1, 7, 77] {
            let x = rng.floats(t * attention.hiddenSize, in: -2...2)
            let slow = attention.reference(x, rows: t, mask: [Int](repeating: 1, count: t))
            #expect(relativeError(fast(attention, x, rows: t), slow) <= 1e-5, "T = \(t)")
        }
    }

    @Test("masked padding keys change nothing: the unpadded kernel equals the twin over a padded sequence at the real rows")
    func paddingMasked() throws {
        let attention = try TextFixture.hfEncoder().encoder.layers[0].attention
        let h = attention.hiddenSize
        var rng = SeededGenerator(state: 9)
        let real = 9, padded = 64
        let x = rng.floats(padded * h, in: -2...2)
        let mask = [Int](repeating: 1, count: real) + [Int](repeating: 0, count: padded - real)
        let slow = Array(attention.reference(x, rows: padded, mask: mask)[0..<(real * h)])
        #expect(relativeError(fast(attention, Array(x[0..<(real * h)]), rows: real), slow) <= 1e-5)
    }
}
