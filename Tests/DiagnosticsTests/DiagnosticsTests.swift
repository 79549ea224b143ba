import Foundation
import Testing
@testable import Diagnostics
@testable import FileIO

@Suite("Errors, exit codes and hashing")
struct DiagnosticsTests {
    struct SampleError: UserFacingError {
        var subject: String? { "clips/dog.wav" }
        var reason: String { "not an audio file\nsecond line" }
        var hint: String? { "check the file" }
        var exitCode: ProcessExitCode { .badInput }
    }

    @Test("an error prints as one line naming the file, the reason and what to do")
    func oneLine() {
        #expect(ErrorReport.line(for: SampleError()) == "clips/dog.wav: not an audio file second line (check the file)")
        #expect(ErrorReport.exitCode(for: SampleError()) == .badInput)
    }

    @Test("Foundation file errors map to documented codes, unknown errors to internal")
    func mapping() {
        let missing = CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: "/x/y.wav"])
        #expect(ErrorReport.exitCode(for: missing) == .badInput)
        #expect(ErrorReport.line(for: missing).hasPrefix("/x/y.wav"))
        struct Other: Error {}
        #expect(ErrorReport.exitCode(for: Other()) == .internalError)
    }

    @Test("exit codes are distinct and fixed")
    func codes() {
        #expect(Set(ProcessExitCode.allCases.map(\.rawValue)).count == ProcessExitCode.allCases.count)
        #expect(ProcessExitCode.ok.rawValue == 0 && ProcessExitCode.someInputsFailed.rawValue == 1 && ProcessExitCode.usage.rawValue == 2)
        #expect(ProcessExitCode.inconsistent.rawValue == 3 && ProcessExitCode.corrupt.rawValue == 4)
    }

    @Test("SHA-256 matches the FIPS 180-4 test vectors at every block boundary")
    func sha256() {
        #expect(SHA256.hexDigest(Array("".utf8)) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hexDigest(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hexDigest(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hexDigest([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
            == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // Streaming in odd chunk sizes gives the one-shot digest.
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        for chunk in [1, 7, 55, 56, 63, 64, 65, 129] {
            var h = SHA256()
            var i = 0
            while i < data.count { h.update(data[i..<min(i + chunk, data.count)]); i += chunk }
            #expect(SHA256.hex(h.finalize()) == SHA256.hexDigest(data))
        }
    }

    @Test("atomic write replaces the file whole and leaves no temp files; errors name the destination")
    func atomicWrite() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("f.bin")
        try AtomicFile.write([1, 2, 3], to: url)
        try AtomicFile.write([4, 5], to: url)
        #expect(try Data(contentsOf: url) == Data([4, 5]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["f.bin"])
        struct Boom: Error {}
        #expect(throws: Boom.self) { try AtomicFile.write(to: url) { _, _ in throw Boom() } }
        #expect(try Data(contentsOf: url) == Data([4, 5]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["f.bin"])
        let missing = folder.appendingPathComponent("no/such/dir/f.bin")
        do {
            try AtomicFile.write([1], to: missing)
            Issue.record("expected an error")
        } catch let e as FileWriteError {
            #expect(e.subject == missing.path)
            #expect(e.exitCode == .ioFailure)
        }
    }
}
