import Diagnostics
import Foundation
@testable import Manifest
import Testing
import TestSupport

@Suite("ManifestWriter: JSON Lines that read back to the same clips")
struct ManifestWriterTests {
    static let sample: [ManifestEntry] = [
        ManifestEntry(id: "a", path: "../demo/a.flac", captions: ["ambient choir", "quote \" and \\ and \t"],
                      tags: ["sonic-pi-samples", "ambi"], licence: "CC0", source: "sonic-pi-samples 3.2.2",
                      extraJSON: #"{"freesound_id": 207809,  "odd spacing": [1.50, -0.0e+1]}"#),
        ManifestEntry(id: "é 🎵", path: "/abs/b.wav"),
        ManifestEntry(id: "c", path: "c.wav", captions: ["control \u{01} char"], extraJSON: "null"),
    ]

    @Test("the layout matches Python's json.dumps(ensure_ascii=False): key order, separators, escapes")
    func layout() throws {
        let text = String(decoding: try ManifestWriter.data(for: Self.sample), as: UTF8.self)
        let expected = """
            {"id": "a", "path": "../demo/a.flac", "captions": ["ambient choir", "quote \\" and \\\\ and \\t"], "tags": ["sonic-pi-samples", "ambi"], "licence": "CC0", "source": "sonic-pi-samples 3.2.2", "extra": {"freesound_id": 207809,  "odd spacing": [1.50, -0.0e+1]}}
            {"id": "é 🎵", "path": "/abs/b.wav"}
            {"id": "c", "path": "c.wav", "captions": ["control \\u0001 char"], "extra": null}

            """
        #expect(text == expected)
    }

    @Test("written manifests read back to equal entries, with extra byte for byte")
    func roundTrip() throws {
        let folder = try Fixtures.temporaryFolder("manifest-writer")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("out.jsonl")
        try ManifestWriter.write(Self.sample, to: url)
        let back = try ManifestReader.read(url: url)
        #expect(back.map(\.id) == Self.sample.map(\.id))
        #expect(back.map(\.path) == Self.sample.map(\.path))
        #expect(back.map(\.captions) == Self.sample.map(\.captions))
        #expect(back.map(\.tags) == Self.sample.map(\.tags))
        #expect(back.map(\.licence) == Self.sample.map(\.licence))
        #expect(back.map(\.source) == Self.sample.map(\.source))
        #expect(back.map(\.extraJSON) == Self.sample.map(\.extraJSON))
        #expect(back[0].resolvedURL.path == folder.path + "/../demo/a.flac")
        #expect(back.map(\.line) == [1, 2, 3])
    }

    @Test("reading a manifest and writing it again reproduces the file exactly")
    func rewriteIsIdentity() throws {
        let text = """
            {"id": "x", "path": "p.wav", "captions": ["rain"], "tags": ["weather"], "licence": "CC-BY-4.0", "source": "s", "extra": {"b": 1, "a": [true]}}
            {"id": "y", "path": "q.wav", "extra": "text"}

            """
        let file = try ManifestFile("m.jsonl", text)
        defer { file.remove() }
        let rewritten = try ManifestWriter.data(for: try file.read())
        #expect(String(decoding: rewritten, as: UTF8.self) == text)
    }

    @Test("the committed demo manifest is in the writer's exact layout (the Python tool and the writer agree)")
    func demoManifestLayout() throws {
        let url = Fixtures.packageRoot.appendingPathComponent("manifests/demo.jsonl")
        let original = try Data(contentsOf: url)
        let entries = try ManifestReader.read(url: url)
        #expect(entries.count > 40)
        #expect(try ManifestWriter.data(for: entries) == original)
    }

    @Test("extra read from CSV with line breaks is written on one line and still parses")
    func multilineExtra() throws {
        let entries = try readEntries("m.csv", "id,path,extra\na,p,\"{\n  \"\"k\"\": [1,\r\n 2]\n}\"\n")
        #expect(entries[0].extraJSON == "{\n  \"k\": [1,\r\n 2]\n}")
        let line = try ManifestWriter.line(for: entries[0])
        #expect(line == "{\"id\": \"a\", \"path\": \"p\", \"extra\": {   \"k\": [1,  2] }}")
    }

    @Test("entries the reader would refuse are not written, and the old file stays")
    func refusals() throws {
        let folder = try Fixtures.temporaryFolder("manifest-writer")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("out.jsonl")
        try ManifestWriter.write([ManifestEntry(id: "keep", path: "k.wav")], to: url)
        let before = try Data(contentsOf: url)

        let bad: [([ManifestEntry], String)] = [
            ([ManifestEntry(id: "", path: "p")], "cannot write clip \"\": the id is empty"),
            ([ManifestEntry(id: "a", path: "")], "cannot write clip \"a\": the path is empty"),
            ([ManifestEntry(id: "a", path: "p"), ManifestEntry(id: "a", path: "q")], "cannot write clip \"a\": the id is used twice"),
            ([ManifestEntry(id: "a", path: "p", captions: [""])], "cannot write clip \"a\": a caption is empty"),
            ([ManifestEntry(id: "a", path: "p", tags: ["x", ""])], "cannot write clip \"a\": a tag is empty"),
            ([ManifestEntry(id: "a", path: "p", extraJSON: "{'k': 1}")],
             "cannot write clip \"a\": extraJSON is not valid JSON: expected a key in double quotes, found \"'\""),
        ]
        for (entries, message) in bad {
            let error = try #require(catching { try ManifestWriter.write(entries, to: url) })
            #expect(ErrorReport.line(for: error) == url.path + ": " + message)
            #expect(error.exitCode == .badInput)
        }
        #expect(try Data(contentsOf: url) == before)

        let csv = folder.appendingPathComponent("out.csv")
        let error = try #require(catching { try ManifestWriter.write([ManifestEntry(id: "a", path: "p")], to: csv) })
        #expect(ErrorReport.line(for: error) == csv.path + ": manifests are written as JSON Lines only (name the output .jsonl or .ndjson)")
        #expect(!FileManager.default.fileExists(atPath: csv.path))
    }
}
