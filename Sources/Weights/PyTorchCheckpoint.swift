import FileIO
import Foundation

/// A `torch.save` checkpoint in the zip format (torch ≥ 1.6): laion_clap releases (`630k-audioset-best.pt`:
/// `{'epoch', 'name', 'optimizer', 'state_dict', …}`) and Hugging Face `pytorch_model.bin` (a bare state
/// dict), read natively and memory-mapped.
///
/// Layout (torch `serialization.py` `_save`, `caffe2/serialize/inline_container.cc`): a zip of stored
/// entries `<archive>/data.pkl` (the pickled object, tensors as persistent ids), `<archive>/data/<key>`
/// (one raw little-endian storage each, 64-byte aligned), `<archive>/byteorder`, `<archive>/version`.
/// At open: the zip directory is validated, `data.pkl`'s CRC-32 checked and unpickled (`Unpickler`:
/// an allow-listed subset, nothing executed), the state dict found (`state_dict` entry or the top-level
/// dict itself), a `module.` prefix stripped (laion_clap's DistributedDataParallel saves; its loader
/// strips it too: `clap_module/factory.py` `load_state_dict`), and every tensor view checked to lie inside
/// its storage. Tensor payloads are neither copied nor checksummed at open; `float32(_:)` reads one
/// tensor on demand, honouring storage offset and strides. Immutable after init, hence `@unchecked Sendable`.
public final class PyTorchCheckpoint: TensorSource, @unchecked Sendable {
    public struct TensorInfo: Equatable, Sendable {
        public let dtype: TensorDType
        public let shape: [Int]
        /// In elements, as torch reports `tensor.stride()`.
        public let stride: [Int]
        /// In elements from the start of the storage (`tensor.storage_offset()`).
        public let storageOffset: Int
        /// The storage's zip entry name (`<archive>/data/<key>`); tensors sharing a storage share it.
        public let storageEntry: String
        /// Byte range of the whole storage within the file.
        let storageBytes: Range<Int>
        public var elementCount: Int { shape.reduce(1, *) }
        /// Row-major contiguous, so the elements are one run of the storage.
        public var isContiguous: Bool {
            var expected = 1
            for (size, step) in zip(shape, stride).reversed() where size != 1 {
                if step != expected { return false }
                expected *= size
            }
            return true
        }
    }

    public let path: String
    public let tensors: [String: TensorInfo]
    /// Tensor keys (after stripping `module.`), sorted.
    public let keys: [String]
    /// The checkpoint's scalar top-level entries other than the state dict (laion_clap: `epoch`, `name`,
    /// NumPy scalars…) in Python `str()` form; empty for a bare state dict.
    public let metadata: [String: String]
    /// Every top-level key of the pickled dict, sorted (`["epoch", "name", "optimizer", "state_dict"]`).
    public let topLevelKeys: [String]
    /// `checkpoint['epoch']` when it is an int (laion_clap releases record it).
    public let epoch: Int?
    /// True when the state dict keys carried a `module.` prefix that was removed.
    public let strippedModulePrefix: Bool
    /// The archive folder inside the zip (torch names it after the file: `archive`, `630k-audioset-best`…).
    public let archiveName: String

    private let file: MappedFile
    /// Where `data.pkl` lies in the file (tests damage it there).
    let pickleBytesRange: Range<Int>

    /// Pickles larger than this are refused: a state dict of a few hundred tensors pickles to ~100 KB.
    public static let maximumPickleLength = 256 << 20

    public convenience init(contentsOf url: URL) throws {
        try self.init(contentsOf: url, verifyPickleChecksum: true)
    }

    /// `verifyPickleChecksum: false` lets tests feed damaged pickles to the unpickler itself.
    init(contentsOf url: URL, verifyPickleChecksum: Bool) throws {
        let path = url.path
        self.path = path
        file = try WeightsError.mapping(path)
        let bytes = file.bytes
        func corrupt(_ d: String) -> WeightsError { .corruptPyTorch(file: path, detail: d) }
        func unsupported(_ d: String) -> WeightsError { .unsupportedPyTorch(file: path, detail: d) }

        try Self.refuseOtherFormats(bytes, path: path)
        let zip: ZipArchive
        do {
            zip = try ZipArchive(bytes)
        } catch .corrupt(let d) {
            throw corrupt(d)
        } catch .unsupported(let d) {
            throw unsupported(d)
        }

        // The archive folder is the one holding data.pkl at depth one.
        let pickles = zip.entries.filter { $0.name.hasSuffix("/data.pkl") && $0.name.split(separator: "/", omittingEmptySubsequences: false).count == 2 }
        guard pickles.count == 1 else {
            if zip.entries.contains(where: { $0.name.hasSuffix("/constants.pkl") || $0.name.contains("/code/") }) {
                throw WeightsError.torchScriptArchive(file: path)
            }
            throw corrupt(pickles.isEmpty ? "no <archive>/data.pkl entry (is this a torch.save file?)" : "\(pickles.count) data.pkl entries")
        }
        let archive = String(pickles[0].name.dropLast("/data.pkl".count))
        archiveName = archive
        if zip.byName["\(archive)/constants.pkl"] != nil { throw WeightsError.torchScriptArchive(file: path) }

        func entryBytes(_ e: ZipArchive.Entry) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[e.data]) }
        func checked(_ e: ZipArchive.Entry) throws -> UnsafeRawBufferPointer {
            try Self.requireStored(e, path: path)
            let raw = entryBytes(e)
            let crc = ZipArchive.crc32(raw)
            guard crc == e.crc32 else {
                throw corrupt("entry '\(e.name)' fails its CRC-32 check (0x\(String(crc, radix: 16)) ≠ recorded 0x\(String(e.crc32, radix: 16)))")
            }
            return raw
        }
        if let order = zip.byName["\(archive)/byteorder"] {
            let text = String(decoding: try checked(order), as: UTF8.self)
            guard text == "little" else {
                throw text == "big" ? unsupported("storages are big-endian (saved on a big-endian machine)") : corrupt("byteorder entry is '\(text)'")
            }
        }
        guard pickles[0].data.count <= Self.maximumPickleLength else {
            throw unsupported("data.pkl is \(pickles[0].data.count) bytes, more than the \(Self.maximumPickleLength)-byte limit")
        }
        pickleBytesRange = pickles[0].data
        try Self.requireStored(pickles[0], path: path)
        let pickleBytes = verifyPickleChecksum ? try checked(pickles[0]) : entryBytes(pickles[0])
        let root: PickleValue
        do {
            root = try Unpickler.load(pickleBytes)
        } catch {
            throw error.unsupported ? unsupported(error.detail) : corrupt(error.detail)
        }

        // Find the state dict.
        guard case .dict(let top) = root else { throw WeightsError.noStateDict(file: path, found: root.kind) }
        var stateDict = top
        var metadata: [String: String] = [:]
        var topKeys: [String] = []
        var epoch: Int?
        for (k, _) in top.items {
            guard case .string(let key) = k else { continue }
            topKeys.append(key)
        }
        if case .dict(let inner)? = top.value(forKey: "state_dict") {
            stateDict = inner
            for (k, v) in top.items {
                guard case .string(let key) = k, let text = Self.scalarText(v) else { continue }
                metadata[key] = text
                if key == "epoch", case .int(let e) = v { epoch = e }
            }
        }
        self.metadata = metadata
        self.epoch = epoch
        self.topLevelKeys = topKeys.sorted()

        var tensors: [String: TensorInfo] = [:]
        var nonTensors: [String] = []
        var stripped = false
        for (k, v) in stateDict.items {
            guard case .string(var key) = k else { throw WeightsError.noStateDict(file: path, found: "a dict with a key that is \(k.kind), not a str") }
            guard case .tensor(let t) = v else { nonTensors.append("'\(key)' (\(v.kind))"); continue }
            if key.hasPrefix("module.") { key.removeFirst("module.".count); stripped = true }
            let info = try Self.tensorInfo(t, key: key, archive: archive, zip: zip, path: path)
            guard tensors.updateValue(info, forKey: key) == nil else {
                throw corrupt("the key '\(key)' appears twice in the state dict (once with a module. prefix?)")
            }
        }
        if !nonTensors.isEmpty {
            let shown = nonTensors.prefix(4).joined(separator: ", ") + (nonTensors.count > 4 ? " and \(nonTensors.count - 4) more" : "")
            throw WeightsError.noStateDict(file: path, found: "a dict whose entries \(shown) are not tensors (top-level keys: \(topKeys.prefix(8).joined(separator: ", ")))")
        }
        self.tensors = tensors
        self.keys = tensors.keys.sorted()
        self.strippedModulePrefix = stripped
    }

    public func shape(_ key: String) -> [Int]? { tensors[key]?.shape }
    public func dtype(_ key: String) -> TensorDType? { tensors[key]?.dtype }

    /// The tensor in row-major order as float32, converted by `ElementDecoding` (F16/BF16 exact, F64 and
    /// integers rounded to nearest like numpy's `astype(float32)`). A contiguous view is read as one run
    /// of its storage; another view is gathered element by element through its strides.
    public func float32(_ key: String) throws -> [Float] {
        guard let t = tensors[key] else { throw WeightsError.missingTensor(key: key, file: path) }
        guard t.elementCount > 0 else { return [] }
        let storage = UnsafeRawBufferPointer(rebasing: file.bytes[t.storageBytes])
        if t.isContiguous {
            let w = t.dtype.byteWidth
            let run = UnsafeRawBufferPointer(rebasing: storage[(t.storageOffset * w)...])
            return ElementDecoding.contiguousFloat32(run, t.dtype, count: t.elementCount)
        }
        return Self.stridedIndices(t).map { ElementDecoding.float(storage, t.dtype, $0) }
    }

    /// Contiguous F32 views are lent in place (torch aligns every storage to 64 bytes in the zip).
    public func mappedFloat32(_ key: String) -> UnsafeBufferPointer<Float>? {
        guard let t = tensors[key], t.dtype == .float32, t.isContiguous, let base = file.bytes.baseAddress else { return nil }
        return alignedFloat32View(base + t.storageBytes.lowerBound + 4 * t.storageOffset, count: t.elementCount)
    }

    /// An integer or boolean buffer (`num_batches_tracked`, `relative_position_index`, `position_ids`)
    /// exactly, in row-major order; floating-point tensors are refused (`unsupportedDType`).
    public func int64(_ key: String) throws -> [Int64] {
        guard let t = tensors[key] else { throw WeightsError.missingTensor(key: key, file: path) }
        guard !t.dtype.isFloatingPoint else {
            throw WeightsError.unsupportedDType(file: path, key: key, dtype: "\(t.dtype.rawValue) (asked for as integers)")
        }
        let storage = UnsafeRawBufferPointer(rebasing: file.bytes[t.storageBytes])
        return Self.stridedIndices(t).map { ElementDecoding.integer(storage, t.dtype, $0) }
    }

    // MARK: Open helpers

    /// Storage element indices of a view in row-major order (the obviously-correct path; contiguous
    /// views take the run above instead).
    static func stridedIndices(_ t: TensorInfo) -> [Int] {
        let n = t.elementCount
        guard n > 0 else { return [] }
        var out = [Int](repeating: 0, count: n)
        var index = [Int](repeating: 0, count: t.shape.count)
        var offset = t.storageOffset
        for i in 0..<n {
            out[i] = offset
            var d = t.shape.count - 1
            while d >= 0 {
                index[d] += 1
                offset += t.stride[d]
                if index[d] < t.shape[d] { break }
                offset -= t.stride[d] * t.shape[d]
                index[d] = 0
                d -= 1
            }
        }
        return out
    }

    /// Checks the view against its storage entry: known dtype, entry present and large enough,
    /// non-negative sizes/strides/offset, every addressed element inside the storage (overflow-checked).
    private static func tensorInfo(_ t: PickleTensor, key: String, archive: String, zip archiveDirectory: ZipArchive, path: String) throws -> TensorInfo {
        func corrupt(_ d: String) -> WeightsError { .corruptPyTorch(file: path, detail: "tensor '\(key)': \(d)") }
        guard let dtype = t.storage.dtype else {
            throw WeightsError.unsupportedDType(file: path, key: key, dtype: t.storage.typeName)
        }
        let name = "\(archive)/data/\(t.storage.key)"
        guard let entry = archiveDirectory.byName[name] else { throw corrupt("its storage entry '\(name)' is missing") }
        try requireStored(entry, path: path)
        let (needed, o1) = t.storage.elementCount.multipliedReportingOverflow(by: dtype.byteWidth)
        guard !o1, needed <= entry.data.count else {
            throw corrupt("storage '\(t.storage.key)' holds \(entry.data.count) bytes, fewer than \(t.storage.elementCount) × \(dtype.byteWidth)")
        }
        guard t.offset >= 0, t.shape.allSatisfy({ $0 >= 0 }), t.stride.allSatisfy({ $0 >= 0 }) else {
            throw corrupt("negative offset, size or stride (offset \(t.offset), size \(t.shape), stride \(t.stride))")
        }
        var count = 1, last = t.offset
        for (size, step) in zip(t.shape, t.stride) {
            let (c, o2) = count.multipliedReportingOverflow(by: size)
            guard !o2 else { throw corrupt("size \(t.shape) overflows") }
            count = c
            if size > 0 {
                let (span, o3) = (size - 1).multipliedReportingOverflow(by: step)
                let (l, o4) = last.addingReportingOverflow(span)
                guard !o3, !o4 else { throw corrupt("stride \(t.stride) overflows") }
                last = l
            }
        }
        if count > 0, last >= t.storage.elementCount {
            throw corrupt("view (offset \(t.offset), size \(t.shape), stride \(t.stride)) reaches element \(last) of a \(t.storage.elementCount)-element storage")
        }
        return TensorInfo(dtype: dtype, shape: t.shape, stride: t.stride, storageOffset: t.offset,
                          storageEntry: name, storageBytes: entry.data.lowerBound..<(entry.data.lowerBound + needed))
    }

    private static func requireStored(_ entry: ZipArchive.Entry, path: String) throws {
        do {
            try ZipArchive.requireStored(entry)
        } catch .corrupt(let d) {
            throw WeightsError.corruptPyTorch(file: path, detail: d)
        } catch .unsupported(let d) {
            throw WeightsError.unsupportedPyTorch(file: path, detail: d)
        }
    }

    /// Legacy torch files and other non-zip inputs get a precise error before the zip parser sees them.
    private static func refuseOtherFormats(_ bytes: UnsafeRawBufferPointer, path: String) throws {
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return }
        // Legacy torch.save: a pickle starting with PROTO 2, LONG1 10 bytes = 0x1950a86a20f9469cfc6c (MAGIC_NUMBER).
        let legacyMagic: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
        if bytes.starts(with: legacyMagic) { throw WeightsError.legacyPyTorchFormat(file: path) }
        // The pre-0.4 tar format ("ustar" at 257) is older still.
        if bytes.count > 262, bytes[257..<262].elementsEqual("ustar".utf8) { throw WeightsError.legacyPyTorchFormat(file: path) }
        if bytes.isEmpty { throw WeightsError.corruptPyTorch(file: path, detail: "the file is empty") }
        throw WeightsError.corruptPyTorch(file: path, detail: "not a zip archive (starts with \(bytes.prefix(4).map { String(format: "%02x", $0) }.joined(separator: " ")))")
    }

    /// Python `str()` of a scalar top-level value; nil for containers, tensors and objects.
    private static func scalarText(_ v: PickleValue) -> String? {
        switch v {
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .float(let d): return "\(d)"
        case .string(let s): return s
        default: return nil
        }
    }
}
