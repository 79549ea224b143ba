import AudioIO
import Foundation
import Manifest

/// A folder of audio files as an input: every audio file below it, recursively, in a fixed order,
/// each with one caption made from its file name.
public enum AudioFolderReader {
    /// Extensions read (case-insensitive): what AudioIO's libsndfile decodes.
    public static let audioExtensions: Set<String> = ["wav", "flac", "ogg", "oga", "opus", "mp3", "aif", "aiff", "aifc", "au", "w64", "caf"]

    /// The clips below `folder`, walked by `AudioInputs.expand(recursive: true)`: depth-first, each
    /// folder's entries in byte order of their names, hidden entries skipped, symbolic links to
    /// folders not entered. Ids are paths relative to `folder` with the extension kept (so `a.wav`
    /// and `a.flac` stay distinct). Sub-folders that cannot be listed come back as `failures`.
    public static func entries(folder: URL) throws -> (entries: [ManifestEntry], failures: [AudioIOError]) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory) else {
            throw ShardError.cannotRead(file: folder.relativePath, errno: ENOENT)
        }
        guard isDirectory.boolValue else { throw ShardError.noInputs(pattern: folder.relativePath, what: "folder") }
        let root = folder.path.hasSuffix("/") ? folder.path : folder.path + "/"
        var entries: [ManifestEntry] = []
        var failures: [AudioIOError] = []
        for item in AudioInputs.expand([root], recursive: true) {
            switch item {
            case .failure(let e):
                failures.append(e)
            case .file(let path):
                let name = (path as NSString).lastPathComponent
                guard audioExtensions.contains((name as NSString).pathExtension.lowercased()) else { continue }
                let relative = String(path.dropFirst(root.count))
                let caption = caption(forFileName: name)
                entries.append(ManifestEntry(id: relative, path: path, resolvedURL: URL(fileURLWithPath: path),
                                             captions: caption.isEmpty ? [] : [caption]))
            }
        }
        return (entries, failures)
    }

    /// `dog_barking-loud.wav` → `dog barking loud`: the name without its extension, with `_` and
    /// `-` as spaces and runs of spaces collapsed.
    public static func caption(forFileName name: String) -> String {
        let stem = (name as NSString).deletingPathExtension
        let spaced = stem.map { $0 == "_" || $0 == "-" ? " " : $0 }
        return String(spaced).split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }
}
