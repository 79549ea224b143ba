import CLAPAudio
import Foundation
import LinearAlgebra
import Testing
import TestSupport

@Suite("an embedding's bits do not depend on the batch or the thread count", .serialized)
struct InvarianceTests {
    /// A model wide enough (embed 48) that OpenBLAS splits stage 0's products across 2 threads.
    @Test("the same clips at batch 1, 3 and 8, with 1 and 2 BLAS threads, compare ==")
    func invariance() throws {
        let folder = try Fixtures.temporaryFolder("clapaudio")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("wide.safetensors")
        try RandomModel.write(HTSATConfiguration(embedDim: 48, depths: [2, 2, 2, 2], numHeads: [2, 4, 8, 16], projectionDim: 32, enableFusion: false),
                              seed: 21, to: url)
        let encoder = try CLAPAudioEncoder(contentsOf: url)
        let a = try HTSATFixture.tensor("chirp_noise_7s.rand_trunc.features")
        let b = try HTSATFixture.tensor("long25s.rand_trunc.features")
        // eight distinct clips: the two fixtures and blends of them
        let clips = (0..<8).map { i -> EncoderInput in
            let t = Float(i) / 7
            return EncoderInput(features: zip(a, b).map { t * $0 + (1 - t) * $1 + Float(i % 3) })
        }
        let saved = BLAS.threadCount
        defer { BLAS.setThreadCount(saved) }
        BLAS.setThreadCount(1)
        let alone = try clips.map { try encoder.embed($0) }
        #expect(Set(alone.map { $0.map(\.bitPattern) }).count == 8)
        for threads in [1, 2] {
            BLAS.setThreadCount(threads)
            #expect(try encoder.embed(batch: clips) == alone, "batch 8, \(threads) threads")
            let order = [5, 0, 7, 2, 6, 1, 4, 3]
            #expect(try encoder.embed(batch: order.map { clips[$0] }) == order.map { alone[$0] }, "batch 8 permuted, \(threads) threads")
            for start in [0, 3, 5] {
                let idx = (start..<start + 3).map { $0 % 8 }
                #expect(try encoder.embed(batch: idx.map { clips[$0] }) == idx.map { alone[$0] }, "batch 3 from \(start), \(threads) threads")
            }
        }
    }
}
