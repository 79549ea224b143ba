import FileIO
import Foundation

/// One immutable `gen-<n>.json`: the segments and tombstone files that make up generation n
/// (Docs/IndexFormat.md §2). A tombstone hides its ids in segments of older generations only, so
/// an id removed and later added again is live in the newer segment.
struct GenerationFile: Equatable {
    struct SegmentEntry: Equatable { var file: String; var generation: Int; var count: Int }
    struct TombstoneEntry: Equatable { var file: String; var generation: Int; var count: Int; var crc32c: UInt32 }

    static let formatName = "audio-index-vectors"
    static let formatVersion = 1

    var generation: Int
    var dimension: Int
    var metric: Metric
    var segments: [SegmentEntry]
    var tombstones: [TombstoneEntry]
    /// The smallest id `add` may assign by default: one past the largest id ever added, kept across
    /// remove + compact so an id is never handed out twice. Absent in older files (then computed
    /// from the stored ids).
    var nextID: Int64? = nil

    static func fileName(_ n: Int) -> String { "gen-\(n).json" }
    static func segmentName(_ n: Int) -> String { "seg-\(n).vseg" }
    static func tombstoneName(_ n: Int) -> String { "tomb-\(n).npy" }

    /// Every file this generation needs, its own JSON included.
    var files: Set<String> {
        Set(segments.map(\.file) + tombstones.map(\.file) + [GenerationFile.fileName(generation)])
    }

    func encode() -> String {
        let segs = segments.map { "{\"file\":\(JSONText.quote($0.file)),\"generation\":\($0.generation),\"count\":\($0.count)}" }
        let tombs = tombstones.map {
            "{\"file\":\(JSONText.quote($0.file)),\"generation\":\($0.generation),\"count\":\($0.count),\"crc32c\":\($0.crc32c)}"
        }
        return "{\"format\":\"\(Self.formatName)\",\"format_version\":\(Self.formatVersion),\"generation\":\(generation),"
            + "\"dimension\":\(dimension),\"metric\":\"\(metric.rawValue)\"," + (nextID.map { "\"next_id\":\($0)," } ?? "")
            + "\n \"segments\":[" + segs.joined(separator: ",\n  ")
            + "],\n \"tombstones\":[" + tombs.joined(separator: ",\n  ") + "]}\n"
    }

    static func decode(_ data: Data, path: String) throws -> GenerationFile {
        func fail(_ d: String) -> VectorIndexError { .corrupt(path: path, detail: d) }
        guard let object = try? JSONSerialization.jsonObject(with: data), let root = object as? [String: Any] else {
            throw fail("not a JSON object")
        }
        guard root["format"] as? String == formatName else { throw fail("'format' is not \"\(formatName)\"") }
        guard let version = root["format_version"] as? Int else { throw fail("missing 'format_version'") }
        guard version <= formatVersion else { throw VectorIndexError.newerVersion(path: path, version: version) }
        guard let generation = root["generation"] as? Int, generation >= 1,
              let dimension = root["dimension"] as? Int, (1...SegmentFormat.maximumDimension).contains(dimension),
              let metric = (root["metric"] as? String).flatMap(Metric.init(rawValue:)),
              let segs = root["segments"] as? [[String: Any]], let tombs = root["tombstones"] as? [[String: Any]]
        else { throw fail("missing or invalid 'generation', 'dimension', 'metric', 'segments' or 'tombstones'") }
        func name(_ e: [String: Any], prefix: String, suffix: String) throws -> String {
            // Only plain names of our own pattern: a damaged or hostile file must not point outside the folder.
            guard let f = e["file"] as? String, f.hasPrefix(prefix), f.hasSuffix(suffix), !f.contains("/"),
                  Int(f.dropFirst(prefix.count).dropLast(suffix.count)) != nil else { throw fail("invalid file name in \(prefix)… entry") }
            return f
        }
        func int(_ e: [String: Any], _ key: String) throws -> Int {
            guard let v = e[key] as? Int, v >= 0 else { throw fail("invalid '\(key)'") }
            return v
        }
        // A file is written in the generation its name carries, so the entry's generation must
        // match it and not lie in the future: a damaged number cannot re-aim a tombstone.
        func check(_ file: String, _ prefix: String, _ suffix: String, _ g: Int) throws {
            guard Int(file.dropFirst(prefix.count).dropLast(suffix.count)) == g, g <= generation else {
                throw fail("\(file) is listed with generation \(g)")
            }
        }
        let segments = try segs.map { SegmentEntry(file: try name($0, prefix: "seg-", suffix: ".vseg"), generation: try int($0, "generation"), count: try int($0, "count")) }
        let tombstones = try tombs.map {
            let crc = try int($0, "crc32c")
            guard crc <= Int(UInt32.max) else { throw fail("invalid 'crc32c'") }
            return TombstoneEntry(file: try name($0, prefix: "tomb-", suffix: ".npy"), generation: try int($0, "generation"),
                                  count: try int($0, "count"), crc32c: UInt32(crc))
        }
        for e in segments { try check(e.file, "seg-", ".vseg", e.generation) }
        for e in tombstones { try check(e.file, "tomb-", ".npy", e.generation) }
        var nextID: Int64?
        if let raw = root["next_id"] {
            guard let v = raw as? Int, v >= 0 else { throw fail("invalid 'next_id'") }
            nextID = Int64(v)
        }
        return GenerationFile(generation: generation, dimension: dimension, metric: metric, segments: segments, tombstones: tombstones, nextID: nextID)
    }
}

/// Reading and replacing `CURRENT`, which holds the live generation's file name and a newline.
enum CurrentFile {
    static let name = "CURRENT"
    static let lockName = "LOCK"

    static func read(directory: URL) throws -> Int {
        let url = directory.appendingPathComponent(name)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            var isDir: ObjCBool = false
            if !FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDir) || !isDir.boolValue {
                throw VectorIndexError.notAnIndex(path: directory.path)
            }
            throw VectorIndexError.notAnIndex(path: directory.path)
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("gen-"), text.hasSuffix(".json"), let n = Int(text.dropFirst(4).dropLast(5)), n >= 1 else {
            throw VectorIndexError.corrupt(path: url.path, detail: "CURRENT does not name a gen-<n>.json file")
        }
        return n
    }

    static func write(directory: URL, generation: Int) throws {
        try AtomicFile.write(Array((GenerationFile.fileName(generation) + "\n").utf8), to: directory.appendingPathComponent(name), crashLabel: "current")
    }
}
