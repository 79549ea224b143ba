import Foundation
import Manifest

/// Reads LAION-Audio-630K webdataset shards: `.flac` + `.json` pairs inside uncompressed tars
/// (shared/reference/laion630k-and-audiobert.md §1.2–1.3).
///
/// Each pair becomes a `ManifestEntry` whose `path` is the shard and whose `archiveMember` locates
/// the audio payload. The JSON's `text` (a string or a list of strings) gives the captions, `tag`
/// (optional, string or list) the tags, `original_data.license` (or `licence`) the licence when it
/// is a string; the whole `.json` text is kept verbatim in `extraJSON`. Anything else in the JSON is
/// kept there and not interpreted.
public struct LAIONShardReader {
    /// Audio extensions paired with `.json` (LAION's processed shards hold FLAC only).
    public static let audioExtensions = ["flac", "wav", "ogg", "mp3"]
    /// A sample's `.json` larger than this is refused (real ones are a few kilobytes).
    public static let maximumMetadataBytes = 4 << 20

    /// Prefixed to every sample key to form the clip id (`prefix + key`); empty by default, so the id
    /// is the webdataset key itself, directory prefix included: stable whichever shard holds it.
    public var idPrefix: String

    public init(idPrefix: String = "") {
        self.idPrefix = idPrefix
    }

    /// Streams the clips of one shard to `clip`, reporting per-sample problems to `problem`.
    ///
    /// - Parameters:
    ///   - shard: the tar file. `path` of every entry is `shard.path` as given.
    ///   - expectedCount: from `sizes.json`; a different number of samples is reported at the end.
    /// - Returns: the number of samples (complete pairs or not) the shard held.
    /// - Throws: `ShardError` for a damaged archive, after delivering every clip completed before
    ///   the damage; errors thrown by `clip` are rethrown as they are.
    @discardableResult
    public func forEachClip(shard: URL, displayName: String? = nil, expectedCount: Int? = nil,
                            clip: (ManifestEntry) throws -> Void,
                            problem: (ShardProblem) -> Void) throws -> Int {
        let reader = try TarReader(url: shard, displayName: displayName)
        let name = reader.displayName
        var grouper = WebDatasetGrouper()
        var samples = 0
        func report(_ kind: ShardProblem.Kind) { problem(ShardProblem(shard: name, kind: kind)) }
        func deliver(_ sample: WebDatasetSample) throws {
            samples += 1
            if let entry = try self.entry(for: sample, shard: shard, reader: reader, report: report) {
                try clip(entry)
            }
        }
        while true {
            let event: TarEvent?
            do {
                event = try reader.next()
            } catch let error as ShardError {
                // The sample being read when the damage was found is delivered only if its audio and
                // JSON are both whole. (Errors thrown by `clip` are not caught here: they pass as they are.)
                if let last = grouper.finish(), pair(in: last) != nil { try deliver(last) }
                throw error
            }
            guard let event else { break }
            switch event {
            case .skipped(let s):
                report(.skippedMember(s))
            case .member(let m):
                if let done = grouper.add(m, problem: report) { try deliver(done) }
            }
        }
        if let last = grouper.finish() { try deliver(last) }
        if let expectedCount, expectedCount != samples { report(.countMismatch(expected: expectedCount, found: samples)) }
        return samples
    }

    /// All clips of one shard plus its problems (tests and small shards).
    public func read(shard: URL, expectedCount: Int? = nil) throws -> (clips: [ManifestEntry], problems: [ShardProblem]) {
        var clips: [ManifestEntry] = []
        var problems: [ShardProblem] = []
        try forEachClip(shard: shard, expectedCount: expectedCount, clip: { clips.append($0) }, problem: { problems.append($0) })
        return (clips, problems)
    }

    private func pair(in sample: WebDatasetSample) -> (audio: TarMember, ext: String, json: TarMember)? {
        guard let json = sample.members["json"],
              let ext = Self.audioExtensions.first(where: { sample.members[$0] != nil }) else { return nil }
        return (sample.members[ext]!, ext, json)
    }

    private func entry(for sample: WebDatasetSample, shard: URL, reader: TarReader,
                       report: (ShardProblem.Kind) -> Void) throws -> ManifestEntry? {
        guard let (audio, _, jsonMember) = pair(in: sample) else {
            if sample.members["json"] != nil {
                report(.missingPartner(key: sample.key, present: "json", missing: "flac"))
            } else if let ext = Self.audioExtensions.first(where: { sample.members[$0] != nil }) {
                report(.missingPartner(key: sample.key, present: ext, missing: "json"))
            } else {
                let present = sample.members.keys.sorted().joined(separator: ", .")
                report(.missingPartner(key: sample.key, present: present, missing: "flac and .json"))
            }
            return nil
        }
        let bytes = try reader.payload(of: jsonMember, maximumBytes: Self.maximumMetadataBytes)
        switch LAIONMetadata.parse(bytes) {
        case .failure(let why):
            report(.badMetadata(key: sample.key, member: jsonMember.name, problem: why.text))
            return nil
        case .success(let meta):
            return ManifestEntry(
                id: idPrefix + sample.key, path: shard.relativePath, resolvedURL: shard,
                captions: meta.captions, tags: meta.tags, licence: meta.licence, source: nil,
                extraJSON: meta.json, line: 0,
                archiveMember: ArchiveMember(name: audio.name, payloadOffset: audio.payloadOffset, size: audio.size))
        }
    }
}

/// The fields of a LAION sample's `.json` that the catalog uses.
public struct LAIONMetadata: Sendable, Equatable {
    public var captions: [String]
    public var tags: [String]
    public var licence: String?
    /// The whole JSON text, verbatim, surrounding whitespace removed.
    public var json: String

    public struct Problem: Error, Equatable {
        public let text: String
        public init(text: String) { self.text = text }
    }

    public init(captions: [String], tags: [String], licence: String?, json: String) {
        self.captions = captions
        self.tags = tags
        self.licence = licence
        self.json = json
    }

    /// Parses a `.json` payload. `text` may be a string or a list of strings (BBC uses a string,
    /// Freesound a list); `tag` is optional and may be a string or a list; `original_data` is
    /// optional and any JSON. Empty strings are dropped; null means absent. Anything else is a
    /// problem naming the field and the type found.
    public static func parse(_ bytes: [UInt8]) -> Result<LAIONMetadata, Problem> {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return .failure(Problem(text: "not UTF-8"))
        }
        let root: JSONNode
        do {
            root = try JSONParser.parse(bytes)
        } catch let e as JSONSyntaxError {
            return .failure(Problem(text: "not valid JSON at byte \(e.offset): \(e.detail)"))
        } catch {
            return .failure(Problem(text: "not valid JSON"))
        }
        guard case .object(let fields) = root.value else {
            return .failure(Problem(text: "must be a JSON object, found \(root.typeName)"))
        }
        var seen = Set<String>()
        for f in fields where !seen.insert(f.key).inserted {
            return .failure(Problem(text: "\"\(f.key)\" appears twice"))
        }
        func field(_ key: String) -> JSONNode? { fields.first { $0.key == key }?.value }
        func strings(_ key: String) -> Result<[String], Problem> {
            guard let node = field(key) else { return .success([]) }
            switch node.value {
            case .null: return .success([])
            case .string(let s): return .success(s.isEmpty ? [] : [s])
            case .array(let items):
                var out: [String] = []
                for (i, item) in items.enumerated() {
                    guard case .string(let s) = item.value else {
                        return .failure(Problem(text: "\"\(key)[\(i)]\" must be a string, found \(item.typeName)"))
                    }
                    if !s.isEmpty { out.append(s) }
                }
                return .success(out)
            default:
                return .failure(Problem(text: "\"\(key)\" must be a string or a list of strings, found \(node.typeName)"))
            }
        }
        let captions: [String]
        switch strings("text") {
        case .failure(let p): return .failure(p)
        case .success(let c): captions = c
        }
        let tags: [String]
        switch strings("tag") {
        case .failure(let p): return .failure(p)
        case .success(let t): tags = t
        }
        var licence: String?
        if let original = field("original_data") {
            switch original.value {
            case .object(let inner):
                for key in ["license", "licence"] {
                    if let node = inner.first(where: { $0.key == key })?.value, case .string(let s) = node.value, !s.isEmpty {
                        licence = s
                        break
                    }
                }
            case .null: break
            default:
                return .failure(Problem(text: "\"original_data\" must be an object, found \(original.typeName)"))
            }
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return .success(LAIONMetadata(captions: captions, tags: tags, licence: licence, json: trimmed))
    }
}
