import Foundation
import Manifest

/// A folder of audio files as an input: every audio file below it, recursively, in a fixed order,
/// each with one caption made from its file name.
public enum AudioFolderReader {
    /// Extensions read (case-insensitive): what AudioIO's libsndfile decodes.
    public static let audioExtensions: Set<String> = ["wav", "flac", "ogg", "oga", "opus", "mp3", "aif", "aiff", "aifc", "au", "w64", "caf"]

    /// The clips below `folder`: ids are paths relative to `folder` (extension kept, so `a.wav` and
    /// `a.flac` stay distinct), sorted by those paths in byte order.
    ///
    /// Hidden files and folders (name starting with `.`) are skipped. Symbolic links to files are
    /// read; links to folders are not entered (no cycles, nothing outside the folder by surprise).
    public static func entries(folder: URL) throws -> [ManifestEntry] {
        let root = folder.standardizedFileURL
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory) else {
            throw ShardError.cannotRead(file: folder.relativePath, errno: ENOENT)
        }
        guard isDirectory.boolValue else { throw ShardError.noInputs(pattern: folder.relativePath, what: "folder") }
        var relativePaths: [String] = []
        try collect(root, relative: "", into: &relativePaths)
        relativePaths.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        return relativePaths.map { rel in
            let url = root.appendingPathComponent(rel, isDirectory: false)
            let caption = caption(forFileName: (rel as NSString).lastPathComponent)
            return ManifestEntry(id: rel, path: url.path, resolvedURL: url, captions: caption.isEmpty ? [] : [caption])
        }
    }

    /// `dog_barking-loud.wav` → `dog barking loud`: the name without its extension, with `_` and
    /// `-` as spaces and runs of spaces collapsed.
    public static func caption(forFileName name: String) -> String {
        let stem = (name as NSString).deletingPathExtension
        let spaced = stem.map { $0 == "_" || $0 == "-" ? " " : $0 }
        return String(spaced).split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    private static func collect(_ folder: URL, relative: String, into paths: inout [String]) throws {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        } catch {
            throw ShardError.cannotRead(file: folder.path, errno: EACCES)
        }
        for name in names where !name.hasPrefix(".") {
            let url = folder.appendingPathComponent(name)
            let rel = relative.isEmpty ? name : relative + "/" + name
            let values = try? url.resourceValues(forKeys: [.isDirectoryKey, .isSymbolicLinkKey, .isRegularFileKey])
            if values?.isSymbolicLink == true {
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), !isDir.boolValue else { continue }
            } else if values?.isDirectory == true {
                try collect(url, relative: rel, into: &paths)
                continue
            }
            if audioExtensions.contains((name as NSString).pathExtension.lowercased()) { paths.append(rel) }
        }
    }
}
