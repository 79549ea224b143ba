import FileIO
import Foundation

/// A CLAP checkpoint as the user names it: a Hugging Face model folder or a single weights file,
/// opened into one `TensorSource` plus what is known about its naming scheme and config.
///
/// - Folder (`laion/clap-htsat-unfused` etc.): `model.safetensors`, else `model.safetensors.index.json`
///   (sharded), else `pytorch_model.bin`; `config.json` beside it is read when present.
/// - File: `.pt`, `.bin`, `.safetensors`… recognised by content, not extension (a zip or legacy pickle is
///   a PyTorch checkpoint; 8 bytes then `{` is safetensors), so a renamed file still opens.
/// The layout comes from the key prefixes (`audio_branch.`/`text_branch.` for laion_clap,
/// `audio_model.`/`text_model.` for transformers' `ClapModel`), not from the file name.
public struct ModelCheckpoint: Sendable {
    public enum Layout: String, Sendable, CaseIterable {
        /// transformers `ClapModel` names: `audio_model.audio_encoder.layers.0…`, `audio_projection.linear1…`.
        case huggingFace
        /// laion_clap `CLAP` names: `audio_branch.layers.0…`, `audio_projection.0…` (`module.` already stripped).
        case laionClap
    }

    /// The path as given (folder or file).
    public let path: String
    public let layout: Layout
    /// The weights; `tensors.path` is the file actually read.
    public let tensors: any TensorSource
    /// `config.json` of a model folder, verbatim (nil for a single file or a folder without one).
    public let configJSON: Data?
    /// `configJSON` parsed; guaranteed to be a JSON object when present (checked at open).
    public var config: [String: Any]? {
        configJSON.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
    }

    public static func open(_ path: String) throws -> ModelCheckpoint {
        let (tensors, configJSON) = try openSource(path)
        return ModelCheckpoint(path: path, layout: try layout(of: tensors), tensors: tensors, configJSON: configJSON)
    }

    /// The tensors and config.json of a folder or file, without deciding the layout (for tools such as
    /// `convert` that accept any checkpoint).
    public static func openSource(_ path: String) throws -> (tensors: any TensorSource, configJSON: Data?) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw WeightsError.cannotOpen(file: path, errno: ENOENT)
        }
        guard isDirectory.boolValue else { return (try openFile(URL(fileURLWithPath: path)), nil) }
        let folder = URL(fileURLWithPath: path)
        let fm = FileManager.default
        let configURL = folder.appendingPathComponent("config.json")
        let configJSON = fm.fileExists(atPath: configURL.path) ? try readJSON(configURL) : nil
        let single = folder.appendingPathComponent("model.safetensors")
        let index = folder.appendingPathComponent("model.safetensors.index.json")
        let bin = folder.appendingPathComponent("pytorch_model.bin")
        if fm.fileExists(atPath: single.path) { return (try SafetensorsFile(contentsOf: single), configJSON) }
        if fm.fileExists(atPath: index.path) { return (try ShardedSafetensors(indexAt: index), configJSON) }
        if fm.fileExists(atPath: bin.path) { return (try PyTorchCheckpoint(contentsOf: bin), configJSON) }
        throw WeightsError.noWeightsInFolder(folder: path)
    }

    /// One weights file, recognised by its first bytes.
    public static func openFile(_ url: URL) throws -> any TensorSource {
        let file = try WeightsError.mapping(url.path)  // maps, reads one page
        let b = withExtendedLifetime(file) { Array(file.bytes.prefix(16)) }
        if b.starts(with: [0x50, 0x4B, 0x03, 0x04]) || b.first == 0x80 {
            return try PyTorchCheckpoint(contentsOf: url)
        }
        if b.count >= 9, b[8] == UInt8(ascii: "{") {
            return try SafetensorsFile(contentsOf: url)
        }
        throw WeightsError.unrecognizedFile(file: url.path)
    }

    /// laion_clap or Hugging Face naming, from the key prefixes.
    public static func layout(of tensors: any TensorSource) throws -> Layout {
        let keys = tensors.keys
        if keys.contains(where: { $0.hasPrefix("audio_branch.") || $0.hasPrefix("text_branch.") }) { return .laionClap }
        if keys.contains(where: { $0.hasPrefix("audio_model.") || $0.hasPrefix("text_model.") }) { return .huggingFace }
        throw WeightsError.unknownLayout(file: tensors.path, sampleKeys: Array(keys.prefix(4)))
    }

    /// A JSON file that must hold an object.
    static func readJSON(_ url: URL) throws -> Data {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw WeightsError.badModelJSON(file: url.path, detail: "cannot be read (\(error.localizedDescription))")
        }
        guard (try? JSONSerialization.jsonObject(with: data)) is [String: Any] else {
            throw WeightsError.badModelJSON(file: url.path, detail: "not a JSON object")
        }
        return data
    }
}

/// A safetensors model split into shards by `model.safetensors.index.json`
/// (`{"metadata": {...}, "weight_map": {key: "model-00001-of-00002.safetensors"}}`, transformers
/// `modeling_utils.py` `load_sharded_checkpoint`). Every shard is memory-mapped; the index must list
/// exactly the keys the shards hold, each in the shard that holds it.
public final class ShardedSafetensors: TensorSource, @unchecked Sendable {
    public let path: String
    public let keys: [String]
    public let metadata: [String: String]
    public let shards: [SafetensorsFile]
    private let shardOf: [String: Int]

    public init(indexAt url: URL) throws {
        path = url.path
        func bad(_ d: String) -> WeightsError { .badModelJSON(file: url.path, detail: d) }
        let json = try JSONSerialization.jsonObject(with: ModelCheckpoint.readJSON(url)) as? [String: Any] ?? [:]
        guard let map = json["weight_map"] as? [String: String] else { throw bad("no \"weight_map\" object of strings") }
        let names = Set(map.values).sorted()
        var shards: [SafetensorsFile] = []
        for name in names {
            guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else { throw bad("shard name '\(name)' is not a file name in the folder") }
            shards.append(try SafetensorsFile(contentsOf: url.deletingLastPathComponent().appendingPathComponent(name)))
        }
        var shardOf: [String: Int] = [:]
        for (i, shard) in shards.enumerated() {
            for key in shard.keys {
                guard map[key] == names[i] else {
                    throw bad("tensor '\(key)' is in \(names[i]) but the index \(map[key].map { "puts it in \($0)" } ?? "does not list it")")
                }
                shardOf[key] = i
            }
        }
        if let missing = map.keys.sorted().first(where: { shardOf[$0] == nil }) {
            throw bad("the index puts '\(missing)' in \(map[missing]!), which does not hold it")
        }
        var metadata: [String: String] = [:]
        for (k, v) in json["metadata"] as? [String: Any] ?? [:] { metadata[k] = "\(v)" }
        self.metadata = metadata
        self.shards = shards
        self.shardOf = shardOf
        self.keys = shardOf.keys.sorted()
    }

    public func shape(_ key: String) -> [Int]? { shardOf[key].flatMap { shards[$0].shape(key) } }
    public func dtype(_ key: String) -> TensorDType? { shardOf[key].flatMap { shards[$0].dtype(key) } }
    public func float32(_ key: String) throws -> [Float] {
        guard let i = shardOf[key] else { throw WeightsError.missingTensor(key: key, file: path) }
        return try shards[i].float32(key)
    }
    public func mappedFloat32(_ key: String) -> UnsafeBufferPointer<Float>? { shardOf[key].flatMap { shards[$0].mappedFloat32(key) } }
}
