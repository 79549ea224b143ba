import Foundation

/// Expands the paths given on a command line into the files to read, in a stable order.
///
/// Files are passed through as given (decoding reports what is wrong with them). A folder is an
/// error unless `recursive`; then it is walked depth-first with the entries of each folder sorted by
/// the bytes of their names (the same order on every machine and locale), skipping hidden entries
/// (names starting with "."), and not following symbolic links to folders (no cycles).
public enum AudioInputs {
    public enum Entry: Sendable, Equatable {
        /// A path to decode (not necessarily an existing or regular file).
        case file(String)
        /// A folder given without `recursive`, or one that could not be listed.
        case failure(AudioIOError)
    }

    public static func expand(_ paths: [String], recursive: Bool) -> [Entry] {
        var entries: [Entry] = []
        for path in paths {
            guard isDirectory(path, followingLinks: true) else {
                entries.append(.file(path))
                continue
            }
            if recursive {
                walk(path, into: &entries)
            } else {
                entries.append(.failure(.isDirectory(path: path)))
            }
        }
        return entries
    }

    private static func walk(_ folder: String, into entries: inout [Entry]) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            let detail = (error as NSError).localizedDescription
            entries.append(.failure(.unreadable(path: folder, detail: detail)))
            return
        }
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        for name in names.filter({ !$0.hasPrefix(".") }).sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            let path = prefix + name
            if isDirectory(path, followingLinks: false) {
                walk(path, into: &entries)
            } else {
                entries.append(.file(path))
            }
        }
    }

    private static func isDirectory(_ path: String, followingLinks: Bool) -> Bool {
        var info = stat()
        let status = followingLinks ? stat(path, &info) : lstat(path, &info)
        return status == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }
}
