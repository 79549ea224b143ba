import Foundation
@testable import Manifest
import TestSupport

/// Writes manifest text into a fresh temporary folder and removes the folder afterwards.
struct ManifestFile {
    let folder: URL
    let url: URL

    init(_ name: String, bytes: [UInt8]) throws {
        folder = try Fixtures.temporaryFolder("manifest-test")
        url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
    }

    init(_ name: String, _ text: String) throws {
        try self.init(name, bytes: Array(text.utf8))
    }

    func read() throws -> [ManifestEntry] {
        try ManifestReader.read(url: url)
    }

    /// The error reading this manifest throws (nil if it reads cleanly).
    func error() -> ManifestError? {
        do {
            _ = try ManifestReader.read(url: url)
            return nil
        } catch let e as ManifestError {
            return e
        } catch {
            return nil
        }
    }

    func remove() {
        try? FileManager.default.removeItem(at: folder)
    }
}

/// Reads `text` as a manifest named `name` and returns the error (nil when it reads cleanly).
func readError(_ name: String, _ text: String) throws -> ManifestError? {
    let file = try ManifestFile(name, text)
    defer { file.remove() }
    return file.error()
}

/// Reads `text` as a manifest named `name`.
func readEntries(_ name: String, _ text: String) throws -> [ManifestEntry] {
    let file = try ManifestFile(name, text)
    defer { file.remove() }
    return try file.read()
}

/// Reads `text` as a JSON Lines manifest.
func readEntries(_ text: String) throws -> [ManifestEntry] {
    try readEntries("m.jsonl", text)
}
