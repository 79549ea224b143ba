/// Element types a checkpoint can store. Models read floating-point tensors (`float32(_:)` widens or
/// narrows them to Float); integer and boolean tensors are buffers such as `num_batches_tracked` or
/// `relative_position_index`, which `float32(_:)` converts exactly up to 2^24 and a binder normally skips
/// (`WeightBinder.isRecomputedBuffer`).
public enum TensorDType: String, Sendable, CaseIterable {
    case float32, float16, bfloat16, float64, int64, int32, int16, int8, uint8, bool

    public var byteWidth: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16, .int16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }

    public var isFloatingPoint: Bool { [.float32, .float16, .bfloat16, .float64].contains(self) }
}

/// A read-only set of named tensors: a `.safetensors` file (`SafetensorsFile`), a PyTorch zip
/// checkpoint (`PyTorchCheckpoint`) or a sharded safetensors model (`ShardedSafetensors`).
/// Models bind to it through `WeightBinder`, so they do not care which file format the user has.
///
/// Conformers are immutable after init (hence `Sendable`): one open source can feed several loads.
public protocol TensorSource: AnyObject, Sendable {
    /// The file (or index file) the tensors come from; errors name it.
    var path: String { get }
    /// Tensor keys, sorted.
    var keys: [String] { get }
    /// Free-form string metadata: safetensors `__metadata__`, or a PyTorch checkpoint's scalar
    /// top-level entries (`epoch`, `name`, …) in their Python `str()` form.
    var metadata: [String: String] { get }
    /// The shape of `key` (`[]` for a 0-d scalar), nil when absent.
    func shape(_ key: String) -> [Int]?
    /// The stored element type of `key`, nil when absent.
    func dtype(_ key: String) -> TensorDType?
    /// The tensor as row-major float32 (converted from the stored dtype); throws `missingTensor` if absent.
    func float32(_ key: String) throws -> [Float]
    /// The tensor's values **in place** when the file stores them as contiguous little-endian float32 at a
    /// 4-byte-aligned address of its memory map; nil otherwise (absent, F16/BF16/integer, strided, or at an
    /// offset safetensors does not force to be aligned), and the caller converts with `float32(_:)`.
    /// The buffer is valid, and never changes, as long as this source lives.
    func mappedFloat32(_ key: String) -> UnsafeBufferPointer<Float>?
}

extension TensorSource {
    /// Sources that cannot lend their bytes (none so far) read every tensor through `float32(_:)`.
    public func mappedFloat32(_ key: String) -> UnsafeBufferPointer<Float>? { nil }

    /// The number of elements of `key` (1 for a 0-d scalar), nil when absent.
    public func elementCount(_ key: String) -> Int? { shape(key).map { $0.reduce(1, *) } }
}

/// A float32 view of `count` elements at `address` when that is allowed in place: little-endian host and a
/// 4-byte-aligned address (safetensors data offsets are only multiples of each tensor's own element size
/// after an F16/BF16 tensor of odd length, so F32 tensors there may be misaligned; those are copied).
func alignedFloat32View(_ address: UnsafeRawPointer, count: Int) -> UnsafeBufferPointer<Float>? {
    #if _endian(little)
    guard Int(bitPattern: address) % MemoryLayout<Float>.alignment == 0 else { return nil }
    return UnsafeBufferPointer(start: address.bindMemory(to: Float.self, capacity: count), count: count)
    #else
    return nil
    #endif
}

/// Widening of stored element bits to float32, shared by every reader so all formats convert alike.
enum ElementDecoding {
    /// Element `index` of `raw` (little-endian, `dtype`) as Float. F16 through `Float16(bitPattern:)`
    /// (exact, numpy's cast, NaN payloads kept); BF16 by placing its bits in the high half of a float32
    /// (ml_dtypes and torch); F64 and integers rounded to nearest like numpy's `astype(float32)`.
    @inline(__always)
    static func float(_ raw: UnsafeRawBufferPointer, _ dtype: TensorDType, _ index: Int) -> Float {
        let w = dtype.byteWidth
        switch dtype {
        case .float32: return Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: w * index, as: UInt32.self)))
        case .float16: return Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: w * index, as: UInt16.self))))
        case .bfloat16: return Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: w * index, as: UInt16.self))) << 16)
        case .float64: return Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: w * index, as: UInt64.self))))
        case .bool, .uint8: return Float(raw[index])
        default: return Float(integer(raw, dtype, index))
        }
    }

    /// Element `index` of an integer or boolean buffer; floating-point dtypes are refused by the caller.
    @inline(__always)
    static func integer(_ raw: UnsafeRawBufferPointer, _ dtype: TensorDType, _ index: Int) -> Int64 {
        let w = dtype.byteWidth
        switch dtype {
        case .int64: return Int64(littleEndian: raw.loadUnaligned(fromByteOffset: w * index, as: Int64.self))
        case .int32: return Int64(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: w * index, as: Int32.self)))
        case .int16: return Int64(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: w * index, as: Int16.self)))
        case .int8: return Int64(Int8(bitPattern: raw[index]))
        case .uint8, .bool: return Int64(raw[index])
        default: preconditionFailure("integer(_:) called on \(dtype)")
        }
    }

    /// `count` consecutive elements from the start of `raw`: F32 is one copy (little-endian host), the
    /// others one conversion loop; `float(_:_:_:)` is the element-by-element twin tests compare against.
    static func contiguousFloat32(_ raw: UnsafeRawBufferPointer, _ dtype: TensorDType, count: Int) -> [Float] {
        precondition(raw.count >= count * dtype.byteWidth, "tensor view past its storage")
        guard count > 0, let base = raw.baseAddress else { return [] }
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            switch dtype {
            case .float32:
                #if _endian(little)
                UnsafeMutableRawPointer(out.baseAddress!).copyMemory(from: base, byteCount: 4 * count)
                #else
                for i in 0..<count { out[i] = float(raw, .float32, i) }
                #endif
            case .float16:
                for i in 0..<count { out[i] = Float(Float16(bitPattern: UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))) }
            case .bfloat16:
                for i in 0..<count { out[i] = Float(bitPattern: UInt32(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16) }
            default:
                for i in 0..<count { out[i] = float(raw, dtype, i) }
            }
            initialized = count
        }
    }
}
