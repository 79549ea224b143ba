import Foundation

/// One clip of a manifest (Docs/ManifestFormat.md, "Fields").
public struct ManifestEntry: Sendable, Equatable {
    /// Unique within its manifest; never empty.
    public var id: String
    /// The audio file's path exactly as the manifest wrote it.
    public var path: String
    /// `path` resolved: absolute paths as they are, relative ones against the manifest's folder.
    /// Not checked for existence (that is the caller's business, e.g. `build`).
    public var resolvedURL: URL
    /// Zero or more captions, in manifest order, each non-empty.
    public var captions: [String]
    /// Zero or more tags, in manifest order, each non-empty.
    public var tags: [String]
    public var licence: String?
    public var source: String?
    /// The `extra` value's JSON text exactly as it stood in the manifest (byte for byte), or nil.
    public var extraJSON: String?
    /// The line the record starts on (1-based); 0 for entries made in code.
    public var line: Int
    /// For a clip stored inside an uncompressed tar (a webdataset shard): where its audio bytes are.
    /// Then `path`/`resolvedURL` name the tar. Nil for a plain audio file, and always nil in
    /// manifests (the format has no field for it).
    public var archiveMember: ArchiveMember?

    public init(id: String, path: String, resolvedURL: URL? = nil, captions: [String] = [], tags: [String] = [],
                licence: String? = nil, source: String? = nil, extraJSON: String? = nil, line: Int = 0,
                archiveMember: ArchiveMember? = nil) {
        self.id = id
        self.path = path
        self.resolvedURL = resolvedURL ?? URL(fileURLWithPath: path, isDirectory: false)
        self.captions = captions
        self.tags = tags
        self.licence = licence
        self.source = source
        self.extraJSON = extraJSON
        self.line = line
        self.archiveMember = archiveMember
    }

    /// Resolves a path as written in a manifest against the manifest's folder.
    ///
    /// Lexical `..` components are kept (not collapsed), so a path through a symbolic link means
    /// what the operating system would make of it.
    public static func resolve(_ path: String, relativeTo folder: URL) -> URL {
        if path.hasPrefix("/") { return URL(fileURLWithPath: path, isDirectory: false) }
        return folder.appendingPathComponent(path, isDirectory: false)
    }
}

/// A member of an uncompressed tar holding a clip's audio: enough to read it back without
/// scanning the archive (`pread` of `size` bytes at `payloadOffset`).
public struct ArchiveMember: Sendable, Equatable, Hashable {
    /// The member's name inside the archive.
    public var name: String
    /// Byte offset of the member's payload in the archive file.
    public var payloadOffset: Int64
    /// Payload length in bytes.
    public var size: Int64

    public init(name: String, payloadOffset: Int64, size: Int64) {
        self.name = name
        self.payloadOffset = payloadOffset
        self.size = size
    }
}

/// The fields of a clip record and their accepted spellings.
enum Field: String, CaseIterable {
    case id, path, captions, tags, licence, source, extra

    /// Every spelling the reader accepts, canonical first. `caption`/`text` and `tag` follow the
    /// LAION-Audio-630K JSON files (`text`, `tag`); `license` is the American spelling.
    static let spellings: [(String, Field)] = [
        ("id", .id), ("path", .path),
        ("captions", .captions), ("caption", .captions), ("text", .captions),
        ("tags", .tags), ("tag", .tags),
        ("licence", .licence), ("license", .licence),
        ("source", .source), ("extra", .extra),
    ]

    static func named(_ key: String) -> Field? {
        spellings.first { $0.0 == key }?.1
    }

    /// The accepted spelling closest to a mistyped `key` (at most two edits, or a case change),
    /// e.g. "captoin" → "caption".
    static func suggestion(for key: String) -> String? {
        let lowered = key.lowercased()
        if let exact = spellings.first(where: { $0.0 == lowered }) { return exact.0 }
        let candidates = spellings.map { ($0.0, editDistance(lowered, $0.0)) }.filter { $0.1 <= 2 }
        return candidates.min { $0.1 < $1.1 }?.0
    }
}

/// Optimal-string-alignment distance (Levenshtein plus adjacent transpositions), so a swapped pair
/// of letters costs one edit.
func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var d = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
    for i in 0...x.count { d[i][0] = i }
    for j in 0...y.count { d[0][j] = j }
    for i in 1...x.count {
        for j in 1...y.count {
            let cost = x[i - 1] == y[j - 1] ? 0 : 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1] {
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
            }
        }
    }
    return d[x.count][y.count]
}

/// Collects one record's fields from either format, applies the shared rules (required fields,
/// synonyms that must agree, repeated keys) and builds the entry.
struct RecordAssembler {
    /// A field's value after the format-specific type rules: lists normalised, empty optional strings
    /// and nulls made `.absent`.
    enum Value: Equatable {
        case text(String)
        case list([String])
        case json(String)
        case absent

        var isEmpty: Bool { self == .absent || self == .list([]) }
    }

    let location: ManifestLocation
    private var values: [Field: (spelling: String, value: Value)] = [:]

    init(location: ManifestLocation) {
        self.location = location
    }

    /// Records `value` for the field spelled `spelling`. A second spelling of the same field is
    /// accepted when either is empty (null, "", [], an empty CSV cell) or both are equal; the same
    /// spelling twice is always an error.
    mutating func set(_ field: Field, spelling: String, value: Value, at location: ManifestLocation) throws {
        if let earlier = values[field] {
            if earlier.spelling == spelling { throw ManifestError.repeatedKey(location, key: spelling) }
            if value.isEmpty { return }
            if !earlier.value.isEmpty && earlier.value != value {
                throw ManifestError.conflictingSynonyms(location, first: earlier.spelling, second: spelling)
            }
        }
        values[field] = (spelling, value)
    }

    func entry(manifestFolder: URL) throws -> ManifestEntry {
        let id = try required(.id)
        let path = try required(.path)
        return ManifestEntry(
            id: id, path: path, resolvedURL: ManifestEntry.resolve(path, relativeTo: manifestFolder),
            captions: list(.captions), tags: list(.tags),
            licence: text(.licence), source: text(.source), extraJSON: json(.extra), line: location.line)
    }

    private func required(_ field: Field) throws -> String {
        guard case .text(let s)? = values[field]?.value else {
            throw ManifestError.missingField(location, field: field.rawValue)
        }
        return s
    }

    private func list(_ field: Field) -> [String] {
        if case .list(let l)? = values[field]?.value { return l }
        return []
    }

    private func text(_ field: Field) -> String? {
        if case .text(let s)? = values[field]?.value { return s }
        return nil
    }

    private func json(_ field: Field) -> String? {
        if case .json(let s)? = values[field]?.value { return s }
        return nil
    }
}
