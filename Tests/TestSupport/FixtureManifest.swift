import FileIO
import Foundation

extension Fixtures {
    /// Checks a fixture folder against the SHA-256s its generator recorded in `MANIFEST.json`
    /// (`"files": {relative path: sha256 or {"sha256": …}}`). Returns the relative paths whose bytes
    /// differ or that are missing; throws if the manifest itself cannot be read or lists no files.
    public static func filesNotMatchingManifest(_ manifestPath: String) throws -> [String] {
        let data = try Data(contentsOf: url(manifestPath))
        guard let manifest = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let files = manifest["files"] as? [String: Any], !files.isEmpty else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: url(manifestPath).path])
        }
        let folder = (manifestPath as NSString).deletingLastPathComponent
        return files.keys.sorted().filter { relative in
            let recorded = (files[relative] as? [String: Any])?["sha256"] as? String ?? files[relative] as? String
            guard let bytes = try? Data(contentsOf: url("\(folder)/\(relative)")) else { return true }
            return bytes.withUnsafeBytes { SHA256.hexDigest($0) } != recorded
        }
    }
}
