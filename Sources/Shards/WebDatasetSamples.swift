/// A webdataset sample: consecutive tar members sharing one key.
public struct WebDatasetSample: Sendable, Equatable {
    /// Path up to the first dot of the basename, directory prefix kept: `a/b/123` for `a/b/123.flac`.
    public var key: String
    /// Members by extension (everything after the basename's first dot: `flac`, `json`, `seg.flac`).
    public var members: [String: TarMember]
}

/// Splits a member name into webdataset's (key, extension).
///
/// Reference: webdataset `tariterators.base_plus_ext`, regex `^((?:.*/|)[^.]+)[.]([^/]*)$`: the key is
/// the directory part plus the basename up to its first dot, the extension the rest. A basename
/// without a dot, or starting with one, has no key (webdataset drops such members).
public func webDatasetKey(_ name: String) -> (key: String, extension: String)? {
    let slash = name.lastIndex(of: "/")
    let baseStart = slash.map { name.index(after: $0) } ?? name.startIndex
    guard let dot = name[baseStart...].firstIndex(of: "."), dot > baseStart else { return nil }
    let ext = name[name.index(after: dot)...]
    return (String(name[..<dot]), String(ext))
}

/// Groups a tar's members into webdataset samples, as webdataset's `group_by_keys` does: a sample is
/// a run of consecutive members with the same key.
///
/// Differences from webdataset, all reported as problems rather than raised or silently merged: a
/// member without a key is skipped; a second member with the same extension in one sample is
/// skipped (the first is kept); a key that comes back after other keys starts a new sample and is
/// reported, because its two halves would otherwise claim one id twice. Memory: the current
/// sample plus the set of keys seen in this shard (512 per LAION shard).
public struct WebDatasetGrouper {
    private var current: WebDatasetSample?
    private var seenKeys: Set<String> = []

    public init() {}

    /// Feeds one member; returns the sample it completed, if any.
    public mutating func add(_ member: TarMember, problem: (ShardProblem.Kind) -> Void) -> WebDatasetSample? {
        guard let (key, ext) = webDatasetKey(member.name) else {
            problem(.memberWithoutKey(member: member.name))
            return nil
        }
        if var sample = current, sample.key == key {
            if sample.members[ext] != nil {
                problem(.duplicateMember(member: member.name))
            } else {
                sample.members[ext] = member
            }
            current = sample
            return nil
        }
        let finished = current
        if !seenKeys.insert(key).inserted { problem(.keyRepeated(key: key)) }
        current = WebDatasetSample(key: key, members: [ext: member])
        return finished
    }

    /// The last sample, at the end of the archive.
    public mutating func finish() -> WebDatasetSample? {
        defer { current = nil }
        return current
    }
}

/// Something wrong with one sample or member; reading goes on.
public struct ShardProblem: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// A link, device, FIFO or unsafe name that was not read.
        case skippedMember(TarSkippedMember)
        case memberWithoutKey(member: String)
        case duplicateMember(member: String)
        case keyRepeated(key: String)
        /// An audio member without its `.json`, or a `.json` without audio.
        case missingPartner(key: String, present: String, missing: String)
        /// The `.json` is not valid JSON, not an object, or has a field of an unexpected type.
        case badMetadata(key: String, member: String, problem: String)
        /// `sizes.json` gives another sample count for this shard.
        case countMismatch(expected: Int, found: Int)
    }

    /// The shard as named in messages.
    public var shard: String
    public var kind: Kind

    public init(shard: String, kind: Kind) {
        self.shard = shard
        self.kind = kind
    }

    /// One line: `shard: what (what happens)`.
    public var description: String {
        switch kind {
        case .skippedMember(let s):
            return "\(shard): member \"\(s.name)\" at byte \(s.headerOffset) is \(s.reason) (skipped)"
        case .memberWithoutKey(let m):
            return "\(shard): member \"\(m)\" has no extension, so it belongs to no sample (skipped)"
        case .duplicateMember(let m):
            return "\(shard): member \"\(m)\" repeats an extension within its sample (skipped; the first is kept)"
        case .keyRepeated(let k):
            return "\(shard): sample \"\(k)\" appears twice, not consecutively (webdataset reads two samples)"
        case .missingPartner(let k, let present, let missing):
            return "\(shard): sample \"\(k)\" has .\(present) but no .\(missing) (skipped)"
        case .badMetadata(let k, let m, let problem):
            return "\(shard): sample \"\(k)\": \(m): \(problem) (skipped)"
        case .countMismatch(let expected, let found):
            return "\(shard): sizes.json says \(expected) samples, the shard holds \(found)"
        }
    }
}
