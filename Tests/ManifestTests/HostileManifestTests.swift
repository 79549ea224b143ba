import Foundation
import Manifest
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A manifest path that names something endless or blocking (issue 7 item 5): refused before any
/// read, with an error naming the file, instead of reading /dev/zero forever or waiting on a FIFO
/// that no one writes.
@Suite("hostile manifest paths")
struct HostileManifestTests {
    @Test("a .jsonl that is a symlink to /dev/zero, a FIFO and a character device are refused as not regular files (exit 5)")
    func specialFiles() throws {
        let folder = try Fixtures.temporaryFolder("hostile-manifest")
        defer { try? FileManager.default.removeItem(at: folder) }
        let zero = folder.appendingPathComponent("zero.jsonl")
        try FileManager.default.createSymbolicLink(atPath: zero.path, withDestinationPath: "/dev/zero")
        let fifo = folder.appendingPathComponent("fifo.csv")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        for (url, kind) in [(zero, "device"), (fifo, "FIFO (named pipe)")] {
            #expect(throws: ManifestError.notRegularFile(file: url.path, kind: kind)) { try ManifestReader.read(url: url) }
            #expect(throws: ManifestError.self) { try ManifestReader.readSkippingBadLines(url: url) { _ in } }
            let error = ManifestError.notRegularFile(file: url.path, kind: kind)
            #expect(error.exitCode == .badInput && error.hint?.contains("regular files") == true)
        }
    }
}
