import Foundation
@testable import Manifest
import Testing

@Suite("CSV manifests: header, RFC 4180 quoting, | lists, extra JSON")
struct CSVManifestTests {
    @Test("columns map to fields by the header row, in any order")
    func header() throws {
        let entries = try readEntries("m.csv", """
            path,licence,id,captions,tags,source,extra
            audio/a.flac,CC0,a,a dog barking,dog,freesound 1,{}
            audio/b.flac,,b,,,,

            """)
        #expect(entries.count == 2)
        #expect(entries[0].id == "a")
        #expect(entries[0].path == "audio/a.flac")
        #expect(entries[0].captions == ["a dog barking"])
        #expect(entries[0].tags == ["dog"])
        #expect(entries[0].licence == "CC0")
        #expect(entries[0].source == "freesound 1")
        #expect(entries[0].extraJSON == "{}")
        #expect(entries[0].line == 2)
        #expect(entries[1].captions.isEmpty && entries[1].tags.isEmpty)
        #expect(entries[1].licence == nil && entries[1].source == nil && entries[1].extraJSON == nil)
    }

    @Test("several captions and tags share a cell separated by |, with spaces and empty pieces dropped")
    func pipeLists() throws {
        let entries = try readEntries("m.csv", """
            id,path,captions,tags
            a,p,rain on a roof | heavy rain|| ,weather|rain
            """)
        #expect(entries[0].captions == ["rain on a roof", "heavy rain"])
        #expect(entries[0].tags == ["weather", "rain"])
    }

    @Test("quoted fields hold commas, doubled quotes and line breaks; the record keeps its first line number")
    func quoting() throws {
        let entries = try readEntries("m.csv", """
            id,path,caption,source
            "a,1","dir, with comma/x.wav","she said ""hi"", twice","line one
            line two"
            b,p,plain,s

            """)
        #expect(entries[0].id == "a,1")
        #expect(entries[0].path == "dir, with comma/x.wav")
        #expect(entries[0].captions == ["she said \"hi\", twice"])
        #expect(entries[0].source == "line one\nline two")
        #expect(entries[0].line == 2)
        #expect(entries[1].line == 4)
    }

    @Test("CRLF endings and a byte-order mark are accepted; a CRLF inside a quoted field is kept")
    func crlfAndBOM() throws {
        let text = "id,path,source\r\na,p,\"x\r\ny\"\r\nb,q,z\r\n"
        let file = try ManifestFile("m.csv", bytes: [0xEF, 0xBB, 0xBF] + Array(text.utf8))
        defer { file.remove() }
        let entries = try file.read()
        #expect(entries.map(\.id) == ["a", "b"])
        #expect(entries[0].source == "x\r\ny")
        #expect(entries[1].source == "z")
    }

    @Test("spaces around fields are ignored unless quoted; an empty last field after a comma counts")
    func spaces() throws {
        let entries = try readEntries("m.csv", """
            id , path , source, licence
             a , p q ,"  kept  " , 
            """)
        #expect(entries[0].id == "a")
        #expect(entries[0].path == "p q")
        #expect(entries[0].source == "  kept  ")
        #expect(entries[0].licence == nil)
    }

    @Test("the extra column holds JSON text, kept byte for byte")
    func extraColumn() throws {
        let entries = try readEntries("m.csv", """
            id,path,extra
            a,p,"{""k"": [1, 2.50],  ""s"": ""x,y""}"
            b,p,42
            """)
        #expect(entries[0].extraJSON == #"{"k": [1, 2.50],  "s": "x,y"}"#)
        #expect(entries[1].extraJSON == "42")
    }

    @Test("synonym columns (text, tag, license) are accepted; two spellings must agree per row")
    func synonymColumns() throws {
        let entries = try readEntries("m.csv", """
            id,path,text,tag,license,licence
            a,p,x|y,t,MIT,MIT
            b,p,z,,CC0,
            """)
        #expect(entries[0].captions == ["x", "y"])
        #expect(entries[0].tags == ["t"])
        #expect(entries[0].licence == "MIT")
        // An empty cell is no value: the other spelling's value stands.
        #expect(entries[1].licence == "CC0")
        #expect(entries[1].captions == ["z"])
        let error = try readError("m.csv", "id,path,license,licence\na,p,,\nb,p,CC0,MIT\n")
        guard case .conflictingSynonyms(let at, "license", "licence")? = error else {
            Issue.record("expected conflictingSynonyms, got \(String(describing: error))")
            return
        }
        #expect(at.line == 3)
    }
}
