import CLAPText
import Foundation
import Testing
import TestSupport

/// The fast path runs only the real tokens, one query at a time; these prove that equal to the padded
/// computation and independent of batching and threads.
@Suite("unpadded, batch-independent, concurrent")
struct CLAPTextUnpaddedTests {
    @Test("fast unpadded stages equal the slow twin run over the reference's padded ids (77 and 64)")
    func unpaddedEqualsPaddedTwin() throws {
        let encoder = try TextFixture.hfEncoder()
        for ref in ["laion", "hf"] {
            let inputs = try TextFixture.inputs(ref)
            for q in [0, 7, 25, 28] {  // short, longer, empty span, truncated
                let fast = encoder.stages(ids: inputs.real[q])
                let slow = encoder.referenceStages(paddedIDs: inputs.padded[q])
                #expect(inputs.padded[q].count > inputs.real[q].count || q == 28)
                #expect(slow.tokens == fast.tokens)
                #expect(relativeError(fast.embeddings, slow.embeddings) <= 1e-6, "\(ref) q\(q) embeddings")
                for (a, b) in zip(fast.layers, slow.layers) { #expect(relativeError(a, b) <= 1e-5, "\(ref) q\(q) layer") }
                #expect(relativeError(fast.pooler, slow.pooler) <= 1e-5, "\(ref) q\(q) pooler")
                #expect(relativeError(fast.projection, slow.projection) <= 1e-5, "\(ref) q\(q) projection")
                #expect(maxAbsDifference(fast.embedding, slow.embedding) <= 1e-5, "\(ref) q\(q) embedding")
            }
        }
    }

    @Test("the padded twin attends to no padding: changing the padding length leaves it unchanged to rounding")
    func twinIgnoresPaddingLength() throws {
        let encoder = try TextFixture.hfEncoder()
        let ids = try TextFixture.inputs("hf").real[3]
        let short = encoder.referenceStages(paddedIDs: ids + [Int](repeating: 1, count: 3))
        let long = encoder.referenceStages(paddedIDs: ids + [Int](repeating: 1, count: 40))
        #expect(maxAbsDifference(short.embedding, long.embedding) <= 1e-6)
    }

    @Test("a query's embedding is bit-identical alone, in any batch, in any order and on 1 or 3 threads")
    func batchIndependence() throws {
        let encoder = try TextFixture.hfEncoder()
        let texts = try TextFixture.texts()
        let all = try encoder.embed(texts: texts, maxLength: 77)
        let threaded = try encoder.embed(texts: texts, maxLength: 77, threads: 3)
        let reversed = try encoder.embed(texts: texts.reversed(), maxLength: 77)
        #expect(threaded == all)
        #expect(Array(reversed.reversed()) == all)
        for i in [0, 13, 28] { #expect(try encoder.embed(texts: [texts[i]], maxLength: 77) == [all[i]]) }
    }

    @Test("batched dense layers: every query of one batch (one chunk of concatenated rows) is bit-identical to the query run alone, and to chunks split differently")
    func batchedRowsEqualSingleQueries() throws {
        let encoder = try TextFixture.hfEncoder()
        let ids = try TextFixture.texts().map { try encoder.tokenIDs($0, maxLength: 77) }
        #expect(ids.reduce(0) { $0 + $1.count } <= CLAPTextEncoder.rowsPerChunk, "the fixture queries must fit one chunk")
        let batched = encoder.embed(tokenIDs: ids)
        for (i, q) in ids.enumerated() {
            let alone = encoder.embed(tokenIDs: [q])[0]
            #expect(alone.map(\.bitPattern) == batched[i].map(\.bitPattern), "query \(i)")
            #expect(encoder.stages(ids: q).embedding == alone, "query \(i): stages")
        }
        // Many chunks (repeats push the rows past rowsPerChunk) and two workers: the same rows again.
        let repeated = Array(repeating: ids, count: 1 + CLAPTextEncoder.rowsPerChunk / 100).flatMap { $0 }
        let many = encoder.embed(tokenIDs: repeated, threads: 2)
        for (i, row) in many.enumerated() { #expect(row == batched[i % ids.count], "repeat row \(i)") }
    }

    @Test("one loaded encoder serves concurrent calls with the same bits as sequential ones")
    func concurrentCalls() async throws {
        let encoder = try TextFixture.hfEncoder()
        let texts = try TextFixture.texts()
        let expected = try encoder.embed(texts: texts)
        let results = try await withThrowingTaskGroup(of: (Int, [[Float]]).self) { group in
            for k in 0..<6 {
                group.addTask {
                    let rotated = Array(texts[k...] + texts[..<k])
                    return (k, try encoder.embed(texts: rotated))
                }
            }
            var out: [Int: [[Float]]] = [:]
            for try await (k, rows) in group { out[k] = rows }
            return out
        }
        for (k, rows) in results { #expect(Array(rows[(texts.count - k)...] + rows[..<(texts.count - k)]) == expected, "task \(k)") }
    }

    @Test("attention kernel: fast sgemm path equals its slow Double twin on random inputs")
    func attentionKernelTwin() throws {
        let encoder = try TextFixture.hfEncoder()
        // A query of 40 tokens (ids spread over the vocabulary) exercises every head with T ≠ head dim.
        let ids = [0] + (1...38).map { ($0 * 83) % (encoder.config.vocabSize - 10) + 5 } + [2]
        let fast = encoder.stages(ids: ids)
        let slow = encoder.referenceStages(paddedIDs: ids)
        for (a, b) in zip(fast.layers, slow.layers) { #expect(relativeError(a, b) <= 1e-5) }
        #expect(maxAbsDifference(fast.embedding, slow.embedding) <= 1e-5)
    }
}
