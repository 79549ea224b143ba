import Foundation
import Testing
import TestSupport

@Suite("CLI basics: help, usage errors and exit codes")
struct CLIBasicsTests {
    @Test("--help goes to stdout with exit 0 and lists the exit codes")
    func help() throws {
        let r = try CLI.run(["--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("USAGE: audio-index"))
        #expect(r.stdout.contains("EXIT CODES"))
        #expect(r.stdout.contains("some inputs failed"))
    }

    @Test("an unknown option is a usage error: exit 2 (not the parser's 64), message on stderr")
    func unknownOption() throws {
        let r = try CLI.run(["--no-such-option"])
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains("no-such-option"))
    }
}

@Suite("probe --manifest")
struct ProbeManifestTests {
    @Test("probe --manifest decodes every clip a manifest lists, resolving paths against its folder; a bad clip makes exit 1")
    func manifest() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let clips = Fixtures.url("frontend/clips")
        let manifest = folder.appendingPathComponent("m.jsonl")
        try """
            {"id": "a", "path": "\(clips.path)/click37.wav", "captions": ["a click"]}
            {"id": "b", "path": "missing.wav"}
            """.write(to: manifest, atomically: true, encoding: .utf8)
        let r = try CLI.run(["probe", "--manifest", manifest.path, "--format", "json"])
        #expect(r.status == 1)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].contains("\"frames\":37"))
        #expect(lines[1].contains("\"ok\":false") && lines[1].contains(folder.appendingPathComponent("missing.wav").path))
        let missing = try CLI.run(["probe", "--manifest", folder.appendingPathComponent("none.jsonl").path])
        #expect(missing.status == 5)
        #expect(missing.stderr.contains("none.jsonl"))
    }
}
