import Foundation
import FuzzSupport
import VectorIndex

// A one-segment index whose segment file is replaced by the input: opening, searching (single and
// batched, with and without a filter) and `verify` give answers or a VectorIndexError, never a crash,
// and the fast search agrees in length and ids-set size with the slow twin.
private let index: URL = {
    let url = fuzzScratch.appendingPathComponent("idx")
    var state: UInt64 = 42
    let vectors: [Float] = (0..<(24 * 6)).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000
    }
    do {
        _ = try VectorIndexWriter.build(directory: url, dimension: 6, metric: .ip, vectors: vectors,
                                        ids: (0..<24).map { Int64($0 * 5) })
    } catch {
        fatalError("cannot build the seed index: \(error)")
    }
    // The committed seed (Fuzz/corpus/FuzzVectorSegment/pristine) is this segment, written with
    // AUDIO_INDEX_FUZZ_SEED_OUT=FILE; a seed from another index would fail the generation's checks.
    if let out = ProcessInfo.processInfo.environment["AUDIO_INDEX_FUZZ_SEED_OUT"] {
        try? FileManager.default.copyItem(at: url.appendingPathComponent("seg-1.vseg"), to: URL(fileURLWithPath: out))
    }
    return url
}()

private let queries: [Float] = (0..<(9 * 6)).map { Float(($0 * 7919) % 13) / 13 - 0.5 }

private func fuzzOne(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let segment = index.appendingPathComponent("seg-1.vseg")
    _ = FileManager.default.createFile(atPath: segment.path, contents: Data(fuzzBytes(data, count)))
    expectOnly(VectorIndexError.self, from: "index reader") {
        let opened = try VectorIndex.open(directory: index)
        for qs in [queries, Array(queries[0..<6])] {
            for allowed in [nil, Set<Int64>([0, 5, 55, 115])] {
                let fast = opened.search(queries: qs, k: 4, allowedIDs: allowed)
                let slow = opened.referenceSearch(queries: qs, k: 4, allowedIDs: allowed)
                precondition(fast.ids.count == slow.ids.count, "fast and slow searches return different shapes")
            }
        }
        try opened.verify()
    }
    return 0
}

@_cdecl("FuzzVectorSegment_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { fuzzOne($0, $1) }
}
