/// Binds a checkpoint to a model strictly: every tensor the model asks for must be present with
/// exactly the expected shape, and every tensor in the file must be consumed (or explicitly ignored).
///
/// This is `load_state_dict(strict=True)` (torch/nn/modules/module.py) made explicit, so a checkpoint
/// for another variant fails loudly at load instead of producing plausible wrong embeddings.
public struct WeightBinder {
    /// Buffers the model recomputes itself (index tables, BatchNorm counters, position ids, RoBERTa's
    /// all-zero `token_type_ids`, which transformers' ClapModel state dicts carry as int64): accepted
    /// when present and never required, matched on the last dotted component of the key.
    public static let recomputedBuffers: Set<String> = ["relative_position_index", "num_batches_tracked", "position_ids", "token_type_ids"]

    /// Any checkpoint format: `SafetensorsFile`, `PyTorchCheckpoint`, `ShardedSafetensors`.
    public let file: any TensorSource
    public private(set) var consumed: Set<String> = []

    public init(_ file: any TensorSource) { self.file = file }

    public static func isRecomputedBuffer(_ key: String) -> Bool {
        recomputedBuffers.contains(String(key.split(separator: ".").last ?? Substring(key)))
    }

    /// The tensor `key` as float32, after checking its shape is exactly `shape`.
    public mutating func take(_ key: String, shape: [Int]) throws -> [Float] {
        guard let actual = file.shape(key) else { throw WeightsError.missingTensor(key: key, file: file.path) }
        guard actual == shape else {
            throw WeightsError.shapeMismatch(key: key, expected: shape, actual: actual, file: file.path)
        }
        let values = try file.float32(key)
        consumed.insert(key)
        return values
    }

    /// A float32 tensor as `takeInPlace` returns it: lent by the source, or converted into an array.
    public enum Float32Tensor {
        /// Read in place; valid as long as `owner` (the source) lives.
        case mapped(UnsafeBufferPointer<Float>, owner: any TensorSource)
        /// Converted once (F16/BF16, strided, misaligned, or a source that cannot lend).
        case converted([Float])
    }

    /// `take` without the copy where possible: the same strict shape check and bookkeeping, then the
    /// source's `mappedFloat32(_:)` view, else `float32(_:)`. Layers keep the view (and the source alive),
    /// so binding a memory-mapped checkpoint costs no copy of its F32 weights.
    public mutating func takeInPlace(_ key: String, shape: [Int]) throws -> Float32Tensor {
        guard let actual = file.shape(key) else { throw WeightsError.missingTensor(key: key, file: file.path) }
        guard actual == shape else {
            throw WeightsError.shapeMismatch(key: key, expected: shape, actual: actual, file: file.path)
        }
        let tensor: Float32Tensor
        if let view = file.mappedFloat32(key) {
            tensor = .mapped(view, owner: file)
        } else {
            tensor = .converted(try file.float32(key))
        }
        consumed.insert(key)
        return tensor
    }

    /// Throws `unexpectedTensors` listing (sorted) every key neither taken, nor a recomputed buffer,
    /// nor accepted by `ignoring`.
    public func finish(ignoring: (String) -> Bool = { _ in false }) throws {
        let left = file.keys.filter { !consumed.contains($0) && !Self.isRecomputedBuffer($0) && !ignoring($0) }
        if !left.isEmpty { throw WeightsError.unexpectedTensors(keys: left, file: file.path) }
    }
}
