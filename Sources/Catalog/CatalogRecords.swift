/// Where a clip's audio is: a file, or a member of an uncompressed tar (Docs/CatalogSchema.md, `clips`).
public enum ClipLocator: Sendable, Equatable, Hashable, CustomStringConvertible {
    case file(path: String)
    /// `size` bytes at `payloadOffset` in `archive` hold the audio file that was `member`.
    case archiveMember(archive: String, member: String, payloadOffset: Int64, size: Int64)

    /// The file to open: the audio file or the tar.
    public var path: String {
        switch self {
        case .file(let p): return p
        case .archiveMember(let a, _, _, _): return a
        }
    }

    /// `path` or `archive:member@offset+size`, for messages.
    public var description: String {
        switch self {
        case .file(let p): return p
        case .archiveMember(let a, let m, let o, let s): return "\(a):\(m)@\(o)+\(s)"
        }
    }
}

/// One clip as the catalog holds it.
public struct ClipRecord: Sendable, Equatable {
    /// Stable, unique id (a manifest id, a webdataset key, a path below a folder input).
    public var id: String
    public var locator: ClipLocator
    public var captions: [String]
    public var tags: [String]
    public var licence: String?
    public var source: String?
    /// The input's own metadata, JSON text kept verbatim (a manifest's `extra`, a LAION `.json`).
    public var metadataJSON: String?
    /// Seconds, at the native rate.
    public var duration: Double
    public var sampleRate: Int
    public var channels: Int
    /// Lower-case hex SHA-256 of the decoded audio (Docs/IndexDirectory.md, "Audio hash").
    public var audioHash: String

    public init(id: String, locator: ClipLocator, captions: [String] = [], tags: [String] = [], licence: String? = nil,
                source: String? = nil, metadataJSON: String? = nil, duration: Double, sampleRate: Int, channels: Int,
                audioHash: String) {
        self.id = id
        self.locator = locator
        self.captions = captions
        self.tags = tags
        self.licence = licence
        self.source = source
        self.metadataJSON = metadataJSON
        self.duration = duration
        self.sampleRate = sampleRate
        self.channels = channels
        self.audioHash = audioHash
    }
}

/// A vector row's owners: every clip that shares it, with the window's start.
public struct RowOwner: Sendable, Equatable {
    public var clipID: String
    public var startSeconds: Double

    public init(clipID: String, startSeconds: Double) {
        self.clipID = clipID
        self.startSeconds = startSeconds
    }
}

/// The model an index was built with (Docs/CatalogSchema.md, `model`).
public struct ModelFacts: Sendable, Equatable {
    /// SHA-256 over the bound audio-tower tensors plus architecture, profile, policy and dimension:
    /// compared on `add` and `merge`.
    public var fingerprint: String
    public var architecture: String
    public var profile: String
    public var longClipPolicy: String
    public var dimension: Int
    /// Recorded, shown by `info`, used as `query`'s default; never compared.
    public var modelPath: String
    public var textTowerHash: String?
    public var layerNormEpsilon: Double?
    public var tokenizerPath: String?
    public var tokenizerHash: String?

    public init(fingerprint: String, architecture: String, profile: String, longClipPolicy: String, dimension: Int,
                modelPath: String, textTowerHash: String? = nil, layerNormEpsilon: Double? = nil,
                tokenizerPath: String? = nil, tokenizerHash: String? = nil) {
        self.fingerprint = fingerprint
        self.architecture = architecture
        self.profile = profile
        self.longClipPolicy = longClipPolicy
        self.dimension = dimension
        self.modelPath = modelPath
        self.textTowerHash = textTowerHash
        self.layerNormEpsilon = layerNormEpsilon
        self.tokenizerPath = tokenizerPath
        self.tokenizerHash = tokenizerHash
    }
}

/// One input of a build, as given on its command line (compared on resume).
public struct RecordedInput: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable { case manifest, shards, dir }
    public var kind: Kind
    /// The manifest path, shard glob or folder, as given.
    public var location: String
    /// `--shard i/N`: nil when the build is not a part.
    public var shardIndex: Int?
    public var shardCount: Int?

    public init(kind: Kind, location: String, shardIndex: Int? = nil, shardCount: Int? = nil) {
        self.kind = kind
        self.location = location
        self.shardIndex = shardIndex
        self.shardCount = shardCount
    }
}

/// A clip (or a whole shard) that could not be indexed.
public struct FailureRecord: Sendable, Equatable {
    public enum Stage: String, Sendable, CaseIterable { case read, decode, resample, features, encode, index }
    /// Nil when the failure is not one clip's (a damaged shard).
    public var clipID: String?
    public var locator: ClipLocator
    public var stage: Stage
    public var error: String

    public init(clipID: String?, locator: ClipLocator, stage: Stage, error: String) {
        self.clipID = clipID
        self.locator = locator
        self.stage = stage
        self.error = error
    }
}

/// The key under which a model file's hash is cached: it changes whenever the file may have.
public struct FileIdentity: Sendable, Equatable, Hashable {
    public var path: String
    public var size: Int64
    /// Modification time in nanoseconds since the epoch.
    public var mtimeNanoseconds: Int64
    public var inode: Int64

    public init(path: String, size: Int64, mtimeNanoseconds: Int64, inode: Int64) {
        self.path = path
        self.size = size
        self.mtimeNanoseconds = mtimeNanoseconds
        self.inode = inode
    }
}
