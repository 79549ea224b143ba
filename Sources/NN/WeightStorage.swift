/// The float32 values of one weight tensor as a layer reads them: either owned (`[Float]`, e.g. converted
/// from F16/BF16, or made by a test) or **borrowed in place** from a memory-mapped checkpoint, kept valid
/// by a reference to the object that owns the mapping.
///
/// Why: binding a 500 MB checkpoint by copying every tensor into arrays costs seconds; borrowing the
/// mapped F32 bytes costs nothing at load (pages are read when a query first touches them), which is what
/// makes the text encoder's ≤ 100 ms load possible. The owner (a `Weights.SafetensorsFile`,
/// `PyTorchCheckpoint`…) must be immutable and keep the memory mapped and unchanged for its lifetime.
/// As with any memory map, a checkpoint file truncated or rewritten in place while loaded is undefined
/// behaviour (replace files by rename, as `AtomicFile` does).
///
/// A `RandomAccessCollection` of `Float`, so reading code (`count`, indexing, `Array(storage)`, `map`)
/// works for both kinds; the pointer is only handed out inside `withUnsafeBufferPointer`.
public struct WeightStorage: RandomAccessCollection, @unchecked Sendable {
    // @unchecked: the borrowed pointer is read-only and its owner is immutable (documented contract above).
    private enum Backing {
        case owned([Float])
        case borrowed(UnsafeBufferPointer<Float>, owner: AnyObject)
    }

    private let backing: Backing

    /// Owned values (no copy: the array is kept).
    public init(_ values: [Float]) { backing = .owned(values) }

    /// Values read in place from `buffer`, which stays valid and unchanged as long as `owner` lives.
    /// `buffer` must be aligned for `Float` (the caller copies misaligned tensors instead).
    public init(borrowing buffer: UnsafeBufferPointer<Float>, keepingAlive owner: AnyObject) {
        precondition(buffer.isEmpty || Int(bitPattern: buffer.baseAddress!) % MemoryLayout<Float>.alignment == 0,
                     "WeightStorage: borrowed floats must be 4-byte aligned")
        backing = .borrowed(buffer, owner: owner)
    }

    /// True when the values are read in place from someone else's memory (a mapped checkpoint).
    public var isBorrowed: Bool {
        if case .borrowed = backing { return true }
        return false
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int {
        switch backing {
        case .owned(let a): return a.count
        case .borrowed(let b, _): return b.count
        }
    }

    public subscript(position: Int) -> Float {
        switch backing {
        case .owned(let a): return a[position]
        case .borrowed(let b, let owner): return withExtendedLifetime(owner) { b[position] }
        }
    }

    /// Calls `body` with the contiguous values; the pointer must not escape `body`.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        switch backing {
        case .owned(let a): return try a.withUnsafeBufferPointer(body)
        case .borrowed(let b, let owner): return try withExtendedLifetime(owner) { try body(b) }
        }
    }

    public func withContiguousStorageIfAvailable<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R? {
        try withUnsafeBufferPointer(body)
    }

    /// The values as an array (a copy when borrowed).
    public var array: [Float] {
        switch backing {
        case .owned(let a): return a
        case .borrowed(let b, let owner): return withExtendedLifetime(owner) { Array(b) }
        }
    }
}

extension WeightStorage: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: Float...) { self.init(elements) }
}
