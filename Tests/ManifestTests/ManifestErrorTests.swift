import Diagnostics
import Foundation
@testable import Manifest
import Testing

/// One bad manifest and the exact one-line report it must produce (`FILE` stands for its path).
struct BadManifest: Sendable, CustomTestStringConvertible {
    let name: String
    let file: String
    let text: String
    let message: String
    var exitCode: ProcessExitCode = .badInput

    var testDescription: String { name }
}

@Suite("Manifest errors: each names the file, line and column, says what to do, and exits 5")
struct ManifestErrorTests {
    static let cases: [BadManifest] = [
        // JSON syntax
        BadManifest(name: "trailing comma", file: "m.jsonl", text: "{\"id\": \"a\", \"path\": \"p\",}\n",
                    message: "FILE:1:25: not valid JSON: a comma before \"}\" (remove the trailing comma)"),
        BadManifest(name: "single quotes", file: "m.jsonl", text: "{\"id\": \"a\", \"path\": 'p'}\n",
                    message: "FILE:1:21: not valid JSON: expected a value, found \"'\" (JSON strings use double quotes)"),
        BadManifest(name: "unquoted key", file: "m.jsonl", text: "{\"id\": \"a\", path: \"p\"}\n",
                    message: "FILE:1:13: not valid JSON: expected a key in double quotes, found \"p\" (keys need double quotes: \"path\")"),
        BadManifest(name: "Python literal", file: "m.jsonl", text: "{\"id\": \"a\", \"path\": \"p\", \"extra\": None}\n",
                    message: "FILE:1:35: not valid JSON: expected a value, found \"N\" (JSON spells these true, false and null, and has no NaN or Infinity)"),
        BadManifest(name: "pretty-printed object", file: "m.jsonl", text: "{\n  \"id\": \"a\",\n  \"path\": \"p\"\n}\n",
                    message: "FILE:1:2: not valid JSON: the line ends inside an object (JSON Lines needs each clip's whole object on one line)"),
        BadManifest(name: "two objects on a line", file: "m.jsonl", text: "{\"id\": \"a\", \"path\": \"p\"} {\"id\": \"b\", \"path\": \"p\"}\n",
                    message: "FILE:1:26: not valid JSON: unexpected \"{\" after the end of the value (each line holds exactly one JSON object)"),
        BadManifest(name: "unterminated string", file: "m.jsonl", text: "{\"id\": \"a\", \"path\": \"p}\n",
                    message: "FILE:1:21: not valid JSON: a string that is never closed (close it with a double quote; JSON Lines needs each clip's whole object on one line)"),
        BadManifest(name: "raw tab in a string", file: "m.jsonl", text: "{\"id\": \"a\tb\", \"path\": \"p\"}\n",
                    message: "FILE:1:10: not valid JSON: a control character (U+0009) inside a string (write it as an escape such as \\n or \\t)"),
        BadManifest(name: "bad escape", file: "m.jsonl", text: "{\"id\": \"a\", \"path\": \"C:\\data\"}\n",
                    message: "FILE:1:24: not valid JSON: an unknown escape \\d (write a backslash as \\\\)"),
        BadManifest(name: "lone surrogate", file: "m.jsonl", text: "{\"id\": \"\\ud800\", \"path\": \"p\"}\n",
                    message: "FILE:1:9: not valid JSON: \\uD800 is half of a surrogate pair with no second half"),
        BadManifest(name: "leading zero", file: "m.jsonl", text: "{\"id\": \"a\", \"path\": \"p\", \"extra\": 007}\n",
                    message: "FILE:1:35: not valid JSON: a number with a leading zero (remove the leading zero, or quote the value if it is an id)"),
        BadManifest(name: "error column counts characters, not bytes", file: "m.jsonl", text: "{\"id\": \"é🎵\", \"path\": 'p'}\n",
                    message: "FILE:1:22: not valid JSON: expected a value, found \"'\" (JSON strings use double quotes)"),
        BadManifest(name: "not an object", file: "m.jsonl", text: "[\"a\", \"p\"]\n",
                    message: "FILE:1:1: each line must be a JSON object, found an array (write {\"id\": ..., \"path\": ...} on each line)"),
        BadManifest(name: "too deep", file: "m.jsonl",
                    text: "{\"id\": \"a\", \"path\": \"p\", \"extra\": " + String(repeating: "[", count: 600) + String(repeating: "]", count: 600) + "}\n",
                    message: "FILE:1:546: JSON nested deeper than 512 levels (flatten the value; nothing useful needs this depth)"),
        // Fields
        BadManifest(name: "missing id", file: "m.jsonl", text: "{\"id\": \"a\", \"path\": \"p\"}\n{\"path\": \"q\"}\n",
                    message: "FILE:2: missing \"id\" (give every clip a unique \"id\" string)"),
        BadManifest(name: "missing path", file: "m.jsonl", text: "{\"id\": \"a\"}\n",
                    message: "FILE:1: missing \"path\" (give every clip the \"path\" of its audio file)"),
        BadManifest(name: "null path", file: "m.jsonl", text: "{\"id\": \"a\", \"path\": null}\n",
                    message: "FILE:1:21: missing \"path\" (give every clip the \"path\" of its audio file)"),
        BadManifest(name: "empty id", file: "m.jsonl", text: "{\"id\": \"\", \"path\": \"p\"}\n",
                    message: "FILE:1:8: \"id\" is empty (give it a value)"),
        BadManifest(name: "numeric id", file: "m.jsonl", text: "{\"id\": 17, \"path\": \"p\"}\n",
                    message: "FILE:1:8: \"id\" must be a string, found a number (write the id in quotes, e.g. \"id\": \"123\")"),
        BadManifest(name: "path as a list", file: "m.jsonl", text: "{\"id\": \"a\", \"path\": [\"p\"]}\n",
                    message: "FILE:1:21: \"path\" must be a string, found an array"),
        BadManifest(name: "caption list with a number", file: "m.jsonl", text: "{\"id\": \"a\", \"path\": \"p\", \"captions\": [\"x\", 2]}\n",
                    message: "FILE:1:44: \"captions[1]\" must be a string, found a number"),
        BadManifest(name: "caption list with an empty string", file: "m.jsonl", text: "{\"id\": \"a\", \"path\": \"p\", \"text\": [\"\"]}\n",
                    message: "FILE:1:35: \"text[0]\" is empty (remove the empty string from the list)"),
        BadManifest(name: "tags as an object", file: "m.jsonl", text: "{\"id\": \"a\", \"path\": \"p\", \"tags\": {}}\n",
                    message: "FILE:1:34: \"tags\" must be a string or a list of strings, found an object"),
        BadManifest(name: "licence as a number", file: "m.jsonl", text: "{\"id\": \"a\", \"path\": \"p\", \"license\": 3}\n",
                    message: "FILE:1:37: \"license\" must be a string, found a number"),
        BadManifest(name: "typo with a suggestion", file: "m.jsonl", text: "{\"id\": \"a\", \"path\": \"p\", \"captoin\": \"x\"}\n",
                    message: "FILE:1:26: unknown field \"captoin\" (did you mean \"caption\"? put other metadata under \"extra\"; the fields are id, path, captions (caption, text), tags (tag), licence (license), source, extra)"),
        BadManifest(name: "case slip with a suggestion", file: "m.jsonl", text: "{\"ID\": \"a\", \"path\": \"p\"}\n",
                    message: "FILE:1:2: unknown field \"ID\" (did you mean \"id\"? put other metadata under \"extra\"; the fields are id, path, captions (caption, text), tags (tag), licence (license), source, extra)"),
        BadManifest(name: "unknown field without a suggestion", file: "m.jsonl", text: "{\"id\": \"a\", \"path\": \"p\", \"original_data\": {}}\n",
                    message: "FILE:1:26: unknown field \"original_data\" (put other metadata under \"extra\"; the fields are id, path, captions (caption, text), tags (tag), licence (license), source, extra)"),
        BadManifest(name: "repeated key", file: "m.jsonl", text: "{\"id\": \"a\", \"path\": \"p\", \"path\": \"q\"}\n",
                    message: "FILE:1:26: \"path\" appears twice (keep one of them)"),
        BadManifest(name: "conflicting synonyms", file: "m.jsonl", text: "{\"id\": \"a\", \"path\": \"p\", \"licence\": \"MIT\", \"license\": \"CC0\"}\n",
                    message: "FILE:1:44: \"licence\" and \"license\" are the same field but have different values (keep one of them)"),
        BadManifest(name: "duplicate id names both lines", file: "m.jsonl", text: "{\"id\": \"a\", \"path\": \"p\"}\n\n{\"id\": \"b\", \"path\": \"p\"}\n{\"id\": \"a\", \"path\": \"q\"}\n",
                    message: "FILE:4: duplicate id \"a\" (first used on line 1) (ids must be unique within a manifest)"),
        // Whole-file problems
        BadManifest(name: "empty file", file: "m.jsonl", text: "",
                    message: "FILE: the manifest lists no clips (add one clip per line; see Docs/ManifestFormat.md)"),
        BadManifest(name: "only comments and blank lines", file: "m.jsonl", text: "# nothing yet\n\n   \n",
                    message: "FILE: the manifest lists no clips (add one clip per line; see Docs/ManifestFormat.md)"),
        BadManifest(name: "unsupported extension", file: "m.json", text: "{\"id\": \"a\", \"path\": \"p\"}\n",
                    message: "FILE: unknown manifest format (name it .jsonl or .ndjson (one JSON object per line) or .csv (with a header row); see Docs/ManifestFormat.md)"),
        BadManifest(name: "invalid UTF-8", file: "m.jsonl", text: "{\"id\": \"a\", \"path\": \"p\"}\n{\"id\": \"b\u{FFFD}\", \"path\": \"p\"}\n",
                    message: "FILE:2:10: bytes that are not UTF-8 (save the file as UTF-8)"),
        // CSV
        BadManifest(name: "CSV header only", file: "m.csv", text: "id,path\n",
                    message: "FILE: the manifest lists no clips (add one clip per line; see Docs/ManifestFormat.md)"),
        BadManifest(name: "CSV unterminated quote", file: "m.csv", text: "id,path,caption\na,p,x\nb,q,\"never closed\nc,r,z\n",
                    message: "FILE:3:5: a quoted field that is never closed (close the quote; a quote inside a quoted field is written twice (\"\"))"),
        BadManifest(name: "CSV too many fields", file: "m.csv", text: "id,path,caption\na,p,rain, heavy\n",
                    message: "FILE:2: 4 fields where the header has 3 (quote fields that contain commas)"),
        BadManifest(name: "CSV too few fields", file: "m.csv", text: "id,path,caption\r\na,p\r\n",
                    message: "FILE:2: 2 fields where the header has 3 (quote fields that contain commas)"),
        BadManifest(name: "CSV quote inside an unquoted field", file: "m.csv", text: "id,path,caption\na,p,the \"big\" one\n",
                    message: "FILE:2:9: a stray quote in field \"caption\" (put the whole field in quotes and write each quote inside it twice (\"\"))"),
        BadManifest(name: "CSV text after a closing quote", file: "m.csv", text: "id,path,caption\na,p,\"the\" big one\n",
                    message: "FILE:2:11: a stray quote in field \"caption\" (put the whole field in quotes and write each quote inside it twice (\"\"))"),
        BadManifest(name: "CSV header without path", file: "m.csv", text: "id,caption\na,x\n",
                    message: "FILE:1: bad header: no \"path\" column (the first line names the columns, e.g. id,path,captions,tags,licence,source,extra)"),
        BadManifest(name: "CSV unnamed column", file: "m.csv", text: "id,path,\na,p,\n",
                    message: "FILE:1: bad header: column 3 has no name (the first line names the columns, e.g. id,path,captions,tags,licence,source,extra)"),
        BadManifest(name: "CSV misspelled column", file: "m.csv", text: "id,path,captoins\na,p,x\n",
                    message: "FILE:1: unknown field \"captoins\" (did you mean \"captions\"? put other metadata under \"extra\"; the fields are id, path, captions (caption, text), tags (tag), licence (license), source, extra)"),
        BadManifest(name: "CSV repeated column", file: "m.csv", text: "id,path,id\na,p,b\n",
                    message: "FILE:1: \"id\" appears twice (keep one of them)"),
        BadManifest(name: "CSV empty id cell", file: "m.csv", text: "id,path\n,p\n",
                    message: "FILE:2: \"id\" is empty (give it a value)"),
        BadManifest(name: "CSV extra that is not JSON", file: "m.csv", text: "id,path,extra\na,p,{'k': 1}\n",
                    message: "FILE:2: not valid JSON: in \"extra\": expected a key in double quotes, found \"'\" (JSON strings use double quotes)"),
        BadManifest(name: "CSV duplicate id", file: "m.csv", text: "id,path\na,p\n\"multi\nline\",q\na,r\n",
                    message: "FILE:5: duplicate id \"a\" (first used on line 2) (ids must be unique within a manifest)"),
    ]

    @Test("the one-line report names file:line[:column], the problem and the fix; exit code 5", arguments: cases)
    func report(_ bad: BadManifest) throws {
        var bytes = Array(bad.text.utf8)
        // "\u{FFFD}" stands for one invalid byte in the test table.
        if let i = bytes.firstRange(of: Array("\u{FFFD}".utf8)) {
            bytes.replaceSubrange(i, with: [0xFF])
        }
        let file = try ManifestFile(bad.file, bytes: bytes)
        defer { file.remove() }
        let error = try #require(file.error())
        #expect(ErrorReport.line(for: error) == bad.message.replacingOccurrences(of: "FILE", with: file.url.path))
        #expect(ErrorReport.exitCode(for: error) == bad.exitCode)
    }

    @Test("a UTF-16 file (with byte-order mark) is refused as not UTF-8")
    func utf16() throws {
        var bytes: [UInt8] = [0xFF, 0xFE]
        for unit in "{\"id\": \"a\", \"path\": \"p\"}\n".utf16 { bytes += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        let file = try ManifestFile("m.jsonl", bytes: bytes)
        defer { file.remove() }
        let error = try #require(file.error())
        #expect(ErrorReport.line(for: error) == file.url.path + ": the manifest is UTF-16, not UTF-8 (save it as UTF-8)")
        #expect(error.exitCode == .badInput)
    }

    @Test("a missing file and a folder are bad input (exit 5) with a hint")
    func missingAndFolder() throws {
        let folder = try ManifestFile("m.jsonl", "")
        defer { folder.remove() }
        let missing = folder.folder.appendingPathComponent("absent.jsonl")
        #expect(throws: ManifestError.cannotRead(file: missing.path, errno: ENOENT)) { _ = try ManifestReader.read(url: missing) }
        let missingError = ManifestError.cannotRead(file: missing.path, errno: ENOENT)
        #expect(ErrorReport.line(for: missingError) == missing.path + ": cannot read the manifest: No such file or directory (check the path)")
        #expect(missingError.exitCode == .badInput)

        let dir = folder.folder.appendingPathComponent("looks-like.jsonl")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let dirError = try #require(catching { _ = try ManifestReader.read(url: dir) })
        #expect(ErrorReport.line(for: dirError) == dir.path + ": is a folder, not a manifest file (name the .jsonl or .csv file inside it)")
        #expect(dirError.exitCode == .badInput)
    }

    @Test("a manifest the system refuses to read is an I/O failure (exit 6)")
    func permission() {
        #expect(ManifestError.cannotRead(file: "m.jsonl", errno: EACCES).exitCode == .ioFailure)
        #expect(ManifestError.cannotRead(file: "m.jsonl", errno: EIO).exitCode == .ioFailure)
    }

    @Test("a file named by a relative path is reported by that relative path")
    func relativeName() throws {
        let file = try ManifestFile("m.jsonl", "{\"id\": 1, \"path\": \"p\"}\n")
        defer { file.remove() }
        let relative = URL(fileURLWithPath: "m.jsonl", relativeTo: URL(fileURLWithPath: file.folder.path, isDirectory: true))
        let error = try #require(catching { _ = try ManifestReader.read(url: relative) })
        #expect(ErrorReport.line(for: error).hasPrefix("m.jsonl:1:8: \"id\" must be a string"))
    }

    @Test("typo suggestions: transpositions, case slips and near misses; nothing for unrelated words")
    func suggestions() {
        #expect(Field.suggestion(for: "captoin") == "caption")
        #expect(Field.suggestion(for: "captoins") == "captions")
        #expect(Field.suggestion(for: "Path") == "path")
        #expect(Field.suggestion(for: "licens") == "license")
        #expect(Field.suggestion(for: "sorce") == "source")
        #expect(Field.suggestion(for: "duration") == nil)
        #expect(editDistance("ab", "ba") == 1)
        #expect(editDistance("kitten", "sitting") == 3)
    }
}

/// The `ManifestError` thrown by `body`, or nil.
func catching(_ body: () throws -> Void) -> ManifestError? {
    do {
        try body()
        return nil
    } catch {
        return error as? ManifestError
    }
}
