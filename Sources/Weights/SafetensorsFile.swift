import Diagnostics
import FileIO
import Foundation

/// A `.safetensors` checkpoint, memory-mapped read-only and fully validated at open.
///
/// Layout (huggingface/safetensors, `safetensors/src/tensor.rs` `Metadata::validate`): 8 bytes
/// little-endian header length N, N bytes of JSON `{key: {dtype, shape, data_offsets: [begin, end]},
/// "__metadata__": {String: String}}`, then the data section. Offsets are relative to the data section.
/// Like the reference we require the tensors, sorted by offset, to tile the data section exactly
/// (no gap, no overlap, nothing after the last one), so a truncated file is always caught here.
///
/// The payload is never copied at open: only the header is read; `float32(_:)` converts one tensor
/// on demand, and `mappedFloat32(_:)` lends an aligned F32 tensor without copying it. The mapping is immutable after `init`, hence `@unchecked Sendable`.
public final class SafetensorsFile: TensorSource, @unchecked Sendable {
    public enum DType: String, Sendable, CaseIterable {
        /// I64 is accepted because every Hugging Face ClapModel file stores its index buffers
        /// (`relative_position_index`, `position_ids`, `num_batches_tracked`) as int64; models
        /// recompute those, and `float32(_:)` converts them exactly up to 2^24.
        case f32 = "F32", f16 = "F16", bf16 = "BF16", i64 = "I64"
        public var byteWidth: Int { tensorDType.byteWidth }
        public var tensorDType: TensorDType {
            switch self {
            case .f32: return .float32
            case .f16: return .float16
            case .bf16: return .bfloat16
            case .i64: return .int64
            }
        }
    }

    public struct TensorInfo: Equatable, Sendable {
        public let dtype: DType
        public let shape: [Int]
        /// Byte range within the data section.
        public let dataRange: Range<Int>
        public var elementCount: Int { shape.reduce(1, *) }
    }

    /// Headers longer than this are refused before any allocation (the reference's `MAX_HEADER_SIZE`).
    public static let maximumHeaderLength = 100_000_000

    public let path: String
    public let metadata: [String: String]
    public let tensors: [String: TensorInfo]
    /// Tensor keys, sorted.
    public var keys: [String] { tensors.keys.sorted() }

    private let file: MappedFile
    /// Offset of the data section from the start of the file (8 + N).
    private let dataStart: Int

    public init(contentsOf url: URL) throws {
        let path = url.path
        self.path = path
        file = try WeightsError.mapping(path)
        let bytes = file.bytes
        guard bytes.count >= 8 else {
            throw WeightsError.corrupt(file: path, detail: "\(bytes.count) bytes, shorter than the 8-byte header length")
        }
        let header = try Self.parseHeader(bytes, path: path)
        self.metadata = header.metadata
        self.tensors = header.tensors
        self.dataStart = header.dataStart
    }

    public func shape(_ key: String) -> [Int]? { tensors[key]?.shape }

    public func dtype(_ key: String) -> TensorDType? { tensors[key]?.dtype.tensorDType }

    /// The tensor widened to float32 in row-major order (`ElementDecoding`: F16 exact, BF16 bits in the
    /// high half, NaN payloads kept, matching numpy's float16 cast).
    public func float32(_ key: String) throws -> [Float] {
        guard let t = tensors[key] else { throw WeightsError.missingTensor(key: key, file: path) }
        let raw = UnsafeRawBufferPointer(rebasing: file.bytes[(dataStart + t.dataRange.lowerBound)..<(dataStart + t.dataRange.upperBound)])
        return ElementDecoding.contiguousFloat32(raw, t.dtype.tensorDType, count: t.elementCount)
    }

    /// F32 tensors at a 4-byte-aligned address are lent in place (see `TensorSource.mappedFloat32`).
    public func mappedFloat32(_ key: String) -> UnsafeBufferPointer<Float>? {
        guard let t = tensors[key], t.dtype == .f32, let base = file.bytes.baseAddress else { return nil }
        return alignedFloat32View(base + dataStart + t.dataRange.lowerBound, count: t.elementCount)
    }

    // MARK: Header

    struct Header {
        var metadata: [String: String]
        var tensors: [String: TensorInfo]
        var dataStart: Int
    }

    static func parseHeader(_ bytes: UnsafeRawBufferPointer, path: String) throws -> Header {
        func corrupt(_ detail: String) -> WeightsError { .corrupt(file: path, detail: detail) }
        let n64 = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        guard n64 <= UInt64(maximumHeaderLength) else {
            throw corrupt("header length \(n64) is larger than the \(maximumHeaderLength)-byte limit")
        }
        let n = Int(n64)
        guard n <= bytes.count - 8 else {
            throw corrupt("header length \(n) runs past the end of the file (\(bytes.count) bytes)")
        }
        guard n >= 2 else { throw corrupt("header length \(n) is too short for a JSON object") }
        let json = Data(bytes[8..<(8 + n)])
        let entries: [String: RawEntry]
        let metadata: [String: String]
        do {
            let decoded = try JSONDecoder().decode(RawHeader.self, from: json)
            entries = decoded.entries
            metadata = decoded.metadata
        } catch let e as WeightsError {
            throw e
        } catch {
            throw corrupt("the JSON header cannot be parsed (\(Self.describe(error)))")
        }
        let dataStart = 8 + n
        let dataLength = bytes.count - dataStart
        var tensors: [String: TensorInfo] = [:]
        for (key, e) in entries.sorted(by: { $0.key < $1.key }) {
            guard let dtype = DType(rawValue: e.dtype) else {
                throw WeightsError.unsupportedDType(file: path, key: key, dtype: e.dtype)
            }
            guard e.data_offsets.count == 2 else {
                throw corrupt("tensor '\(key)': data_offsets must hold 2 numbers, found \(e.data_offsets.count)")
            }
            let (begin, end) = (e.data_offsets[0], e.data_offsets[1])
            guard begin >= 0, end >= begin else {
                throw corrupt("tensor '\(key)': data_offsets [\(begin), \(end)] are not an increasing pair")
            }
            guard end <= dataLength else {
                throw corrupt("tensor '\(key)': data_offsets [\(begin), \(end)] run past the \(dataLength)-byte data section (truncated?)")
            }
            var count = 1
            for d in e.shape {
                guard d >= 0 else { throw corrupt("tensor '\(key)': negative dimension in shape \(WeightsError.text(e.shape))") }
                let (p, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow else { throw corrupt("tensor '\(key)': shape \(WeightsError.text(e.shape)) overflows") }
                count = p
            }
            let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.byteWidth)
            guard !overflow, byteCount == end - begin else {
                throw corrupt("tensor '\(key)': \(dtype.rawValue) shape \(WeightsError.text(e.shape)) needs \(overflow ? "too many" : String(byteCount)) bytes, data_offsets give \(end - begin)")
            }
            tensors[key] = TensorInfo(dtype: dtype, shape: e.shape, dataRange: begin..<end)
        }
        // Tile the data section exactly (reference: Metadata::validate, "InvalidOffset"/"MetadataIncompleteBuffer").
        var cursor = 0
        for (key, t) in tensors.sorted(by: { ($0.value.dataRange.lowerBound, $0.value.dataRange.upperBound, $0.key) < ($1.value.dataRange.lowerBound, $1.value.dataRange.upperBound, $1.key) }) {
            if t.dataRange.lowerBound < cursor {
                throw corrupt("tensor '\(key)' at bytes \(t.dataRange.lowerBound)..<\(t.dataRange.upperBound) overlaps the tensor before it (which ends at \(cursor))")
            }
            if t.dataRange.lowerBound > cursor {
                throw corrupt("gap in the data section: bytes \(cursor)..<\(t.dataRange.lowerBound) belong to no tensor (before '\(key)')")
            }
            cursor = t.dataRange.upperBound
        }
        guard cursor == dataLength else {
            throw corrupt("the tensors cover \(cursor) bytes but the data section holds \(dataLength)")
        }
        return Header(metadata: metadata, tensors: tensors, dataStart: dataStart)
    }

    private static func describe(_ error: any Error) -> String {
        if let e = error as? DecodingError {
            switch e {
            case .dataCorrupted(let c), .keyNotFound(_, let c), .typeMismatch(_, let c), .valueNotFound(_, let c):
                let at = c.codingPath.map(\.stringValue).joined(separator: ".")
                return (at.isEmpty ? "" : "at \(at): ") + c.debugDescription
            @unknown default: break
            }
        }
        return String(describing: error)
    }
}

// MARK: JSON shape of the header

private struct RawEntry: Decodable {
    let dtype: String
    let shape: [Int]
    let data_offsets: [Int]
}

private struct AnyKey: CodingKey {
    let stringValue: String
    init(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}

private struct RawHeader: Decodable {
    var entries: [String: RawEntry] = [:]
    var metadata: [String: String] = [:]

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        for key in c.allKeys {
            if key.stringValue == "__metadata__" {
                metadata = try c.decode([String: String].self, forKey: key)
            } else {
                entries[key.stringValue] = try c.decode(RawEntry.self, forKey: key)
            }
        }
    }
}
