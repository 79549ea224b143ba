import FileIO
import Foundation
import NumPyFormat

/// Writing the live contents of an index in other tools' formats (issue 5 §6). The faiss layout
/// is faiss's `write_index` serialisation as `faiss/impl/index_write.cpp` states it (facts only):
/// little-endian; a four-character code as its four bytes; the index header is `int32 d`,
/// `int64 ntotal`, two `int64` placeholders (2^20), `uint8 is_trained`, `int32 metric` (0 = inner
/// product, 1 = L2); a flat index's vectors are `uint64 count of floats` then the floats; a vector
/// field is `uint64 count` then the elements.
extension VectorIndex {
    /// faiss `IndexIDMap(IndexFlatIP | IndexFlatL2)` for a flat index, `IndexIVFFlat` (same
    /// centroids and lists, nprobe 16) for IVF; labels are our ids; tombstoned rows are left out.
    public func exportFaiss(to url: URL) throws {
        let live = liveRows()
        let n = live.ids.count, d = dimension
        let metricCode: Int32 = metric == .ip ? 0 : 1
        let flatCode = metric == .ip ? "IxFI" : "IxF2"
        var head: [UInt8] = []
        func fourcc(_ s: String) { head += Array(s.utf8) }
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { head += $0 } }
        func indexHeader(total: Int) {
            put(Int32(d)); put(Int64(total)); put(Int64(1 << 20)); put(Int64(1 << 20)); head.append(1); put(metricCode)
        }
        try AtomicFile.write(to: url) { fd, path in
            func flush() throws { try head.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: path) }; head.removeAll(keepingCapacity: true) }
            func floats(_ v: ArraySlice<Float>) throws {
                try v.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: path) }
            }
            func int64s(_ v: ArraySlice<Int64>) throws {
                let little = v.map(\.littleEndian)
                try little.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: path) }
            }
            if kind == .flat {
                fourcc("IxMp"); indexHeader(total: n)
                fourcc(flatCode); indexHeader(total: n); put(UInt64(n * d))
                try flush(); try floats(live.vectors[...])
                put(UInt64(n)); try flush(); try int64s(live.ids[...])
            } else {
                let c = centroids
                fourcc("IwFl"); indexHeader(total: n); put(UInt64(nlist)); put(UInt64(Self.defaultNProbe))
                fourcc(flatCode); indexHeader(total: nlist); put(UInt64(nlist * d))
                try flush(); try floats(c[...])
                head.append(0); put(UInt64(0))                   // direct map: none, empty array
                fourcc("ilar"); put(UInt64(nlist)); put(UInt64(4 * d))
                fourcc("full"); put(UInt64(nlist))
                let offsets = live.listOffsets.map { Int($0) }
                for l in 0..<nlist { put(UInt64(offsets[l + 1] - offsets[l])) }
                try flush()
                for l in 0..<nlist where offsets[l + 1] > offsets[l] {
                    try floats(live.vectors[(offsets[l] * d)..<(offsets[l + 1] * d)])
                    try int64s(live.ids[offsets[l]..<offsets[l + 1]])
                }
            }
        }
    }

    /// The live vectors as `.npy` `<f4` `(N, d)` and their ids as `<i8` `(N,)`, in the same order.
    public func exportNPY(vectors vectorsURL: URL, ids idsURL: URL) throws {
        let live = liveRows()
        try NPY.write(NPYArray(shape: [live.ids.count, dimension], float32: live.vectors), to: vectorsURL)
        try NPY.write(NPYArray(shape: [live.ids.count], int64: live.ids), to: idsURL)
    }
}
