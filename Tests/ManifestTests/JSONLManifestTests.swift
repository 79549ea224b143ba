import Foundation
@testable import Manifest
import Testing

@Suite("JSON Lines manifests: fields, synonyms, paths, encoding")
struct JSONLManifestTests {
    @Test("every field is read, in file order, with its line number")
    func allFields() throws {
        let text = """
            {"id": "a", "path": "a.flac", "captions": ["a dog barking", "barking"], "tags": ["dog", "animal"], "licence": "CC0", "source": "freesound 123", "extra": {"k": [1, 2]}}
            {"id": "b", "path": "b.wav"}

            """
        let entries = try readEntries(text)
        #expect(entries.count == 2)
        let a = entries[0]
        #expect(a.id == "a")
        #expect(a.path == "a.flac")
        #expect(a.captions == ["a dog barking", "barking"])
        #expect(a.tags == ["dog", "animal"])
        #expect(a.licence == "CC0")
        #expect(a.source == "freesound 123")
        #expect(a.extraJSON == "{\"k\": [1, 2]}")
        #expect(a.line == 1)
        let b = entries[1]
        #expect(b.id == "b")
        #expect(b.captions.isEmpty && b.tags.isEmpty)
        #expect(b.licence == nil && b.source == nil && b.extraJSON == nil)
        #expect(b.line == 2)
    }

    @Test("relative paths resolve against the manifest's folder; absolute paths stay as written")
    func pathResolution() throws {
        let file = try ManifestFile("m.jsonl", """
            {"id": "rel", "path": "sub/x.flac"}
            {"id": "up", "path": "../demo/y.flac"}
            {"id": "abs", "path": "/data/z.wav"}
            """)
        defer { file.remove() }
        let entries = try file.read()
        let folder = file.folder.path
        #expect(entries[0].resolvedURL.path == folder + "/sub/x.flac")
        #expect(entries[1].resolvedURL.path == folder + "/../demo/y.flac")
        #expect(entries[1].resolvedURL.standardizedFileURL.path
                == file.folder.deletingLastPathComponent().path + "/demo/y.flac")
        #expect(entries[2].resolvedURL.path == "/data/z.wav")
        #expect(entries.map(\.path) == ["sub/x.flac", "../demo/y.flac", "/data/z.wav"])
    }

    @Test("a manifest named by a relative URL resolves clips against its folder from the working directory")
    func relativeManifestURL() throws {
        let file = try ManifestFile("m.jsonl", "{\"id\": \"a\", \"path\": \"x.wav\"}\n")
        defer { file.remove() }
        let base = file.folder.deletingLastPathComponent()
        let relative = URL(fileURLWithPath: file.folder.lastPathComponent + "/m.jsonl", relativeTo: base)
        let entry = try ManifestReader.read(url: relative)[0]
        #expect(entry.resolvedURL.path == file.folder.path + "/x.wav")
    }

    @Test("caption and text are one-element caption lists; text may also be a list (LAION JSON)")
    func captionSynonyms() throws {
        let entries = try readEntries("""
            {"id": "1", "path": "p", "caption": "rain on a roof"}
            {"id": "2", "path": "p", "text": "a train passing"}
            {"id": "3", "path": "p", "text": ["first", "second"]}
            {"id": "4", "path": "p", "captions": "a single string"}
            {"id": "5", "path": "p", "caption": ""}
            {"id": "6", "path": "p", "captions": null}
            """)
        #expect(entries.map(\.captions) == [["rain on a roof"], ["a train passing"], ["first", "second"], ["a single string"], [], []])
    }

    @Test("tag is a synonym of tags (LAION JSON), and license of licence")
    func otherSynonyms() throws {
        let entries = try readEntries("""
            {"id": "1", "path": "p", "tag": ["a", "b"], "license": "MIT"}
            {"id": "2", "path": "p", "tags": "single", "licence": "CC0", "license": "CC0"}
            {"id": "3", "path": "p", "licence": "", "source": null}
            """)
        #expect(entries[0].tags == ["a", "b"])
        #expect(entries[0].licence == "MIT")
        #expect(entries[1].tags == ["single"])
        #expect(entries[1].licence == "CC0")
        #expect(entries[2].licence == nil && entries[2].source == nil)
    }

    @Test("two spellings of one field are accepted when they agree (also across string and list forms) or one is empty")
    func agreeingSynonyms() throws {
        let entries = try readEntries(#"{"id": "1", "path": "p", "caption": "x", "captions": ["x"], "text": "x", "licence": null, "license": "MIT", "tag": [], "tags": "t"}"#)
        #expect(entries[0].captions == ["x"])
        #expect(entries[0].licence == "MIT")
        #expect(entries[0].tags == ["t"])
    }

    @Test("extra keeps the original JSON text byte for byte: spacing, key order, escapes, number spelling")
    func extraVerbatim() throws {
        let extras = [
            #"{"z": 1, "a": [true, false, null], "nested": {"deep": [[[]]]}}"#,
            #"{ "spaced" :  1.50e+3 ,"tight":-0.0}"#,
            #""a string with \u00e9 and \" and \\ and \n""#,
            #"[1,2,  3]"#,
            "12345678901234567890123456789",
            "null",
            #"{"ünï": "cödé 🎵", "dup": 1, "dup": 2}"#,
        ]
        let text = extras.enumerated().map { #"{"id": "\#($0.offset)", "path": "p", "extra": \#($0.element)}"# }.joined(separator: "\n")
        let entries = try readEntries(text)
        #expect(entries.map(\.extraJSON) == extras)
    }

    @Test("blank lines, whitespace-only lines and # comment lines are skipped; line numbers still count them")
    func blankAndComments() throws {
        let entries = try readEntries("""
            # demo manifest
               # indented comment

            {"id": "a", "path": "p"}
            \t
            {"id": "b", "path": "p"}
            """)
        #expect(entries.map(\.line) == [4, 6])
    }

    @Test("a UTF-8 byte-order mark is skipped and CRLF line endings are accepted")
    func bomAndCRLF() throws {
        let text = "{\"id\": \"a\", \"path\": \"p\", \"caption\": \"x\"}\r\n{\"id\": \"b\", \"path\": \"q\"}\r\n"
        let file = try ManifestFile("m.jsonl", bytes: [0xEF, 0xBB, 0xBF] + Array(text.utf8))
        defer { file.remove() }
        let entries = try file.read()
        #expect(entries.map(\.id) == ["a", "b"])
        #expect(entries[0].captions == ["x"])
        #expect(entries[1].path == "q")
    }

    @Test("the last line may lack a newline; .ndjson and upper-case extensions are JSON Lines too")
    func extensions() throws {
        #expect(try readEntries("m.ndjson", #"{"id": "a", "path": "p"}"#).count == 1)
        #expect(try readEntries("M.JSONL", #"{"id": "a", "path": "p"}"#).count == 1)
    }

    @Test("non-ASCII text, escapes and surrogate pairs decode to the right strings")
    func unicode() throws {
        let entries = try readEntries(#"{"id": "é-\u00e9-\ud83c\udfb5", "path": "Musique/chœur.flac", "captions": ["tab\there", "quote \" slash \/"]}"#)
        #expect(entries[0].id == "é-é-🎵")
        #expect(entries[0].path == "Musique/chœur.flac")
        #expect(entries[0].captions == ["tab\there", "quote \" slash /"])
    }

    @Test("streaming delivers the same entries as read, in order")
    func streaming() throws {
        let lines = (0..<2500).map { #"{"id": "clip-\#($0)", "path": "a/\#($0).wav", "captions": ["caption \#($0)"]}"# }
        let file = try ManifestFile("m.jsonl", lines.joined(separator: "\n") + "\n")
        defer { file.remove() }
        var streamed: [ManifestEntry] = []
        try ManifestReader.forEach(url: file.url) { streamed.append($0) }
        #expect(streamed == (try file.read()))
        #expect(streamed.count == 2500)
        #expect(streamed.last?.id == "clip-2499")
        #expect(streamed.last?.line == 2500)
    }

    @Test("lines longer than the 1 MiB read chunk are read whole")
    func longLine() throws {
        let caption = String(repeating: "long caption ", count: 200_000)  // 2.6 MB
        let file = try ManifestFile("m.jsonl", #"{"id": "a", "path": "p", "caption": "\#(caption)"}"# + "\n" + #"{"id": "b", "path": "q"}"#)
        defer { file.remove() }
        let entries = try file.read()
        #expect(entries[0].captions == [caption])
        #expect(entries[1].line == 2)
    }
}
