import Foundation
import Manifest

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The shard files named by a `--shards` pattern, in a fixed order, with their expected sample
/// counts from `sizes.json` when their folder has one.
public struct ShardSet: Sendable, Equatable {
    public struct Shard: Sendable, Equatable {
        public var url: URL
        /// From the `sizes.json` beside the shard, keyed by the shard's file name; nil when absent.
        public var expectedCount: Int?
    }

    /// Sorted by path (byte order), so every machine partitions the same list the same way.
    public var shards: [Shard]

    public init(shards: [Shard]) {
        self.shards = shards
    }

    /// Expands a shell glob (`data/train/*.tar`, quoted so the shell leaves it alone) with glob(3),
    /// keeps regular files, sorts them, and reads each folder's `sizes.json` once.
    public static func matching(_ pattern: String) throws -> ShardSet {
        var result = glob_t()
        defer { globfree(&result) }
        let status = glob(pattern, 0, nil, &result)
        var paths: [String] = []
        if status == 0 {
            for i in 0..<Int(result.gl_pathc) {
                if let p = result.gl_pathv[i] { paths.append(String(cString: p)) }
            }
        }
        paths = paths.filter { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
        guard !paths.isEmpty else { throw ShardError.noInputs(pattern: pattern, what: "shard file") }
        return try ShardSet(urls: paths.map { URL(fileURLWithPath: $0) })
    }

    /// The given shard files, sorted, with counts from any `sizes.json` in their folders.
    public init(urls: [URL]) throws {
        var sizesByFolder: [String: [String: Int]] = [:]
        var shards: [Shard] = []
        for url in urls.sorted(by: { Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) }) {
            let folder = url.deletingLastPathComponent().path
            if sizesByFolder[folder] == nil {
                let sizesURL = url.deletingLastPathComponent().appendingPathComponent("sizes.json")
                sizesByFolder[folder] = FileManager.default.fileExists(atPath: sizesURL.path)
                    ? try Self.readSizes(sizesURL) : [:]
            }
            shards.append(Shard(url: url, expectedCount: sizesByFolder[folder]?[url.lastPathComponent]))
        }
        self.shards = shards
    }

    /// Shard part `index` of `count` (0-based): every shard whose position modulo `count` is `index`.
    public func part(_ index: Int, of count: Int) -> ShardSet {
        precondition(count > 0 && (0..<count).contains(index), "part \(index) of \(count)")
        return ShardSet(shards: shards.enumerated().filter { $0.offset % count == index }.map(\.element))
    }

    /// Total expected samples when every shard has a `sizes.json` count (for progress and ETA).
    public var expectedTotal: Int? {
        var total = 0
        for s in shards {
            guard let n = s.expectedCount else { return nil }
            total += n
        }
        return total
    }

    /// Reads `sizes.json`: a JSON object mapping shard file names to non-negative integer counts,
    /// as LAION's `make_tar.py` writes it.
    public static func readSizes(_ url: URL) throws -> [String: Int] {
        let file = url.relativePath
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ShardError.cannotRead(file: file, errno: errno == 0 ? EACCES : errno)
        }
        let bytes = [UInt8](data)
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw ShardError.badSizesFile(file: file, problem: "not UTF-8")
        }
        let root: JSONNode
        do {
            root = try JSONParser.parse(bytes)
        } catch let e as JSONSyntaxError {
            throw ShardError.badSizesFile(file: file, problem: "at byte \(e.offset): \(e.detail)")
        }
        guard case .object(let fields) = root.value else {
            throw ShardError.badSizesFile(file: file, problem: "expected an object, found \(root.typeName)")
        }
        var sizes: [String: Int] = [:]
        for f in fields {
            let text = String(decoding: bytes[f.value.start..<f.value.end], as: UTF8.self)
            guard case .number = f.value.value, let n = Int(text), n >= 0 else {
                throw ShardError.badSizesFile(file: file, problem: "\"\(f.key)\" must be a non-negative whole number, found \(text)")
            }
            guard sizes.updateValue(n, forKey: f.key) == nil else {
                throw ShardError.badSizesFile(file: file, problem: "\"\(f.key)\" appears twice")
            }
        }
        return sizes
    }
}
