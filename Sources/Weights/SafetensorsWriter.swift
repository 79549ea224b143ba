import FileIO
import Foundation

/// Writes any `TensorSource` as a `.safetensors` file (F32), atomically, one tensor in memory at a time:
/// what `audio-index convert` does to turn a `.pt` checkpoint into a file that maps without a pickle step.
///
/// Format as `SafetensorsFile` reads it (huggingface/safetensors `serialize`): 8-byte little-endian
/// header length, the JSON header padded with spaces to a multiple of 8, then the tensors back to back in
/// key order. Keys are written as the source reports them (already without `module.`); nothing is renamed.
public enum SafetensorsWriter {
    public struct Summary: Equatable, Sendable {
        /// Keys written, sorted.
        public let written: [String]
        /// Integer recomputed buffers left out (`WeightBinder.isRecomputedBuffer`: models rebuild them).
        public let skipped: [String]
        /// Size of the file written.
        public let bytes: Int
    }

    /// Writes every floating-point tensor of `source` to `url` as F32 (F16/BF16 widen exactly; F64 rounds
    /// to nearest). Integer buffers that models recompute are skipped and listed; any other integer or
    /// boolean tensor is refused with `unsupportedDType` (safetensors F32 cannot hold int64 exactly).
    public static func write(_ source: any TensorSource, to url: URL, metadata: [String: String] = [:]) throws -> Summary {
        var written: [String] = [], skipped: [String] = []
        for key in source.keys {
            guard let dtype = source.dtype(key) else { continue }
            if dtype.isFloatingPoint {
                written.append(key)
            } else if WeightBinder.isRecomputedBuffer(key) {
                skipped.append(key)
            } else {
                throw WeightsError.unsupportedDType(file: source.path, key: key, dtype: "\(dtype.rawValue) (only recomputed integer buffers can be left out of a conversion)")
            }
        }
        let header = headerBytes(written.map { ($0, source.shape($0)!) }, metadata: metadata)
        var total = header.count
        try AtomicFile.write(to: url) { fd, path in
            try header.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: path) }
            for key in written {
                let values = try source.float32(key)
                precondition(values.count == source.elementCount(key), "a TensorSource returned \(values.count) values for '\(key)'")
                #if _endian(little)
                try values.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: path) }
                #else
                try values.map { $0.bitPattern.littleEndian }.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: path) }
                #endif
                total += 4 * values.count
            }
        }
        return Summary(written: written, skipped: skipped, bytes: total)
    }

    /// Length prefix + JSON header (F32 entries in the given order, offsets back to back), space-padded to 8.
    static func headerBytes(_ tensors: [(key: String, shape: [Int])], metadata: [String: String]) -> [UInt8] {
        var parts: [String] = []
        if !metadata.isEmpty {
            let m = metadata.sorted { $0.key < $1.key }.map { "\(JSONText.quote($0.key)):\(JSONText.quote($0.value))" }
            parts.append("\"__metadata__\":{\(m.joined(separator: ","))}")
        }
        var offset = 0
        for (key, shape) in tensors {
            let size = 4 * shape.reduce(1, *)
            parts.append("\(JSONText.quote(key)):{\"dtype\":\"F32\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + size)]}")
            offset += size
        }
        var json = Array("{\(parts.joined(separator: ","))}".utf8)
        while json.count % 8 != 0 { json.append(0x20) }
        let n = UInt64(json.count)
        return (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) } + json
    }
}
