import Foundation
@testable import Manifest
import Testing

/// `readSkippingBadLines` (what `build` uses): bad records are reported with their line and skipped.
@Suite("Lenient manifest reading: bad records reported by line, the rest read")
struct LenientManifestTests {
    /// The entries read and the (line, kind) of each problem reported.
    static func readLeniently(_ name: String, _ text: String) throws -> (ids: [String], problems: [(line: Int, error: ManifestError)]) {
        let file = try ManifestFile(name, text)
        defer { file.remove() }
        var problems: [(Int, ManifestError)] = []
        let entries = try ManifestReader.readSkippingBadLines(url: file.url) { error in
            guard case let .some(location) = Self.location(of: error) else { Issue.record("no line in \(error)"); return }
            problems.append((location.line, error))
        }
        return (entries.map(\.id), problems)
    }

    static func location(of error: ManifestError) -> ManifestLocation? {
        switch error {
        case .invalidUTF8(let l), .malformedJSON(let l, _, _), .tooDeep(let l, _), .notAnObject(let l, _),
             .missingField(let l, _), .emptyField(let l, _), .wrongType(let l, _, _, _), .unknownKey(let l, _, _),
             .repeatedKey(let l, _), .conflictingSynonyms(let l, _, _), .duplicateID(let l, _, _),
             .unterminatedQuote(let l), .strayQuote(let l, _), .wrongFieldCount(let l, _, _), .badHeader(let l, _):
            return l
        default: return nil
        }
    }

    @Test("CSV: a wrong field count, a stray quote, an empty id, bad extra JSON and a repeated id are each reported with their line; every good record is read")
    func csvBadRecordsSkipped() throws {
        let (ids, problems) = try Self.readLeniently("m.csv", """
            id,path,captions,extra
            a,a.wav,first,
            b,b.wav
            c,c"x.wav,third,
            ,d.wav,no id,
            e,e.wav,fifth,"{not json"
            f,"f.wav","a caption
            over two lines",
            a,a2.wav,same id again,
            g,g.wav,last,{}

            """)
        #expect(ids == ["a", "f", "g"])
        #expect(problems.map(\.line) == [3, 4, 5, 6, 9])
        guard problems.count == 5 else { return }
        if case .wrongFieldCount(_, let expected, let found) = problems[0].error { #expect(expected == 4 && found == 2) } else { Issue.record("\(problems[0].error)") }
        if case .strayQuote = problems[1].error {} else { Issue.record("\(problems[1].error)") }
        if case .emptyField(_, let field) = problems[2].error { #expect(field == "id") } else { Issue.record("\(problems[2].error)") }
        if case .malformedJSON = problems[3].error {} else { Issue.record("\(problems[3].error)") }
        if case .duplicateID(_, let id, let first) = problems[4].error { #expect(id == "a" && first == 2) } else { Issue.record("\(problems[4].error)") }
    }

    @Test("CSV: an unclosed quote is reported at its line and swallows the rest of the file, as in any CSV reader; the records before it are kept")
    func csvUnclosedQuote() throws {
        let (ids, problems) = try Self.readLeniently("m.csv", """
            id,path
            a,a.wav
            "b,b.wav
            c,c.wav

            """)
        #expect(ids == ["a"])
        #expect(problems.map(\.line) == [3])
        if case .unterminatedQuote = problems.first?.error {} else { Issue.record("\(problems)") }
    }

    @Test("CSV: a bad header is a problem of the whole file and is thrown")
    func csvBadHeaderThrows() throws {
        let file = try ManifestFile("m.csv", "id,pth\na,a.wav\n")
        defer { file.remove() }
        #expect(throws: ManifestError.self) { _ = try ManifestReader.readSkippingBadLines(url: file.url) { _ in } }
    }

    @Test("JSONL: a bad line is reported with its number and the rest read (unchanged behaviour)")
    func jsonlBadLineSkipped() throws {
        let (ids, problems) = try Self.readLeniently("m.jsonl", """
            {"id": "a", "path": "a.wav"}
            {"id": "b", "path":
            {"id": "c", "path": 3}
            {"id": "d", "path": "d.wav"}

            """)
        #expect(ids == ["a", "d"])
        #expect(problems.map(\.line) == [2, 3])
    }
}
