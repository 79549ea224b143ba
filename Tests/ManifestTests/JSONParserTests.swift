import Foundation
@testable import Manifest
import Testing
import TestSupport

@Suite("JSON parser: agrees with JSONSerialization, bounded depth, never crashes")
struct JSONParserTests {
    /// Random JSON built from a grammar, with a few random byte edits so that roughly half is
    /// invalid. Kept to forms where RFC 8259 and Foundation agree (no huge exponents).
    static func randomJSON(_ rng: inout SeededGenerator, depth: Int = 0) -> String {
        let pick = depth > 4 ? Int.random(in: 0..<5, using: &rng) : Int.random(in: 0..<8, using: &rng)
        switch pick {
        case 0: return "null"
        case 1: return Bool.random(using: &rng) ? "true" : "false"
        case 2: return ["0", "-1", "12.5", "3e2", "-0.25E-3", "1234567"].randomElement(using: &rng)!
        case 3, 4:
            let pieces = ["a", "é", "🎵", "\\n", "\\\"", "\\u00e9", "\\ud83c\\udfb5", " ", "\\/", "\\\\"]
            return "\"" + (0..<Int.random(in: 0..<4, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined() + "\""
        case 5:
            return "[" + (0..<Int.random(in: 0..<4, using: &rng)).map { _ in randomJSON(&rng, depth: depth + 1) }.joined(separator: ", ") + "]"
        default:
            let members = (0..<Int.random(in: 0..<4, using: &rng)).map { k in "\"k\(k)\": " + randomJSON(&rng, depth: depth + 1) }
            return "{" + members.joined(separator: ",") + "}"
        }
    }

    static func mutate(_ text: String, _ rng: inout SeededGenerator) -> [UInt8] {
        var bytes = Array(text.utf8)
        // No "e" and no digit but "0": they could make exponents past Double's range (3e992), which
        // RFC 8259 allows and Foundation refuses (the reader keeps them in extra verbatim, as
        // Python's json does).
        let alphabet = Array("{}[]\",:\\ -0.tnfu'".utf8)
        for _ in 0..<Int.random(in: 0...2, using: &rng) where !bytes.isEmpty {
            let i = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: bytes.remove(at: i)
            case 1: bytes.insert(alphabet.randomElement(using: &rng)!, at: i)
            default: bytes[i] = alphabet.randomElement(using: &rng)!
            }
        }
        return bytes
    }

    @Test("accepts exactly what JSONSerialization accepts on 3,000 random valid and mutated texts")
    func agreesWithFoundation() {
        var rng = SeededGenerator(state: 42)
        var disagreements: [String] = []
        var accepted = 0
        for _ in 0..<3000 {
            let bytes = Self.mutate(Self.randomJSON(&rng), &rng)
            // Foundation only sees valid UTF-8; the reader checks UTF-8 before parsing too.
            guard firstInvalidUTF8Offset(bytes) == nil else { continue }
            let ours = (try? JSONParser.parse(bytes)) != nil
            let theirs = (try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) != nil
            if ours { accepted += 1 }
            if ours != theirs { disagreements.append(String(decoding: bytes, as: UTF8.self)) }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(5))")
        #expect(accepted > 500 && accepted < 2500)  // both valid and invalid inputs were exercised
    }

    @Test("512 levels of nesting are accepted; 513 are refused with the tooDeep flag")
    func depthLimit() throws {
        let ok = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(throws: Never.self) { try JSONParser.parse(Array(ok.utf8)) }
        let deep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        do {
            _ = try JSONParser.parse(Array(deep.utf8))
            Issue.record("513 levels were accepted")
        } catch let e as JSONSyntaxError {
            #expect(e.tooDeep)
            #expect(e.offset == 512)
        }
    }

    @Test("a million nested brackets in a manifest are refused without exhausting the stack")
    func pathologicalDepth() throws {
        let open = String(repeating: "[{\"a\":", count: 500_000)
        let jsonl = try readError("m.jsonl", "{\"id\": \"a\", \"path\": \"p\", \"extra\": " + open + "\n")
        guard case .tooDeep(let at, 512)? = jsonl else {
            Issue.record("expected tooDeep, got \(String(describing: jsonl))")
            return
        }
        #expect(at.line == 1)
        let csv = try readError("m.csv", "id,path,extra\na,p," + String(repeating: "[", count: 1_000_000) + "\n")
        guard case .tooDeep(let csvAt, 512)? = csv else {
            Issue.record("expected tooDeep, got \(String(describing: csv))")
            return
        }
        #expect(csvAt.line == 2)
    }

    @Test("the UTF-8 check finds the first bad byte and agrees with String(validating:)")
    func utf8Validation() {
        #expect(firstInvalidUTF8Offset(Array("aé🎵".utf8)) == nil)
        #expect(firstInvalidUTF8Offset([0x61, 0xC0, 0x80]) == 1)        // overlong
        #expect(firstInvalidUTF8Offset([0xED, 0xA0, 0x80]) == 0)        // surrogate
        #expect(firstInvalidUTF8Offset([0xF4, 0x90, 0x80, 0x80]) == 0)  // above U+10FFFF
        #expect(firstInvalidUTF8Offset([0x61, 0x62, 0xE2, 0x82]) == 2)  // truncated
        var rng = SeededGenerator(state: 7)
        for _ in 0..<5000 {
            let bytes = (0..<Int.random(in: 0..<8, using: &rng)).map { _ in
                [UInt8.random(in: 0...0xFF, using: &rng), 0x80, 0xBF, 0xE0, 0xF0, 0x61].randomElement(using: &rng)!
            }
            let valid = String(validating: bytes, as: UTF8.self) != nil
            #expect((firstInvalidUTF8Offset(bytes) == nil) == valid, "\(bytes)")
        }
    }
}

@Suite("Manifest reading never crashes: any bytes give entries or a ManifestError")
struct ManifestRobustnessTests {
    @Test("random bytes and mutated manifests, as JSONL and as CSV", arguments: ["m.jsonl", "m.csv"])
    func fuzz(_ name: String) throws {
        var rng = SeededGenerator(state: name.hasSuffix("csv") ? 2 : 1)
        let seeds = [
            "{\"id\": \"a\", \"path\": \"p\", \"captions\": [\"x\", \"y\"], \"extra\": {\"k\": [1, null]}}\n{\"id\": \"b\", \"path\": \"q\"}\n",
            "id,path,captions,extra\na,p,\"x|y\",\"{\"\"k\"\": 1}\"\r\nb,q,,\n",
        ]
        let folder = try ManifestFile(name, "")
        defer { folder.remove() }
        for round in 0..<1500 {
            var bytes: [UInt8]
            if round % 3 == 0 {
                bytes = (0..<Int.random(in: 0..<64, using: &rng)).map { _ in UInt8.random(in: 0...0xFF, using: &rng) }
            } else {
                bytes = Array(seeds.randomElement(using: &rng)!.utf8)
                for _ in 0..<Int.random(in: 1...4, using: &rng) where !bytes.isEmpty {
                    let i = Int.random(in: 0..<bytes.count, using: &rng)
                    let b = Array("{}[]\",:\\|\n\r #xé".utf8).randomElement(using: &rng)!
                    if Bool.random(using: &rng) { bytes[i] = b } else { bytes.insert(b, at: i) }
                }
            }
            try Data(bytes).write(to: folder.url)
            do {
                let entries = try ManifestReader.read(url: folder.url)
                #expect(!entries.isEmpty)
                #expect(entries.allSatisfy { !$0.id.isEmpty && !$0.path.isEmpty })
            } catch is ManifestError {
                // Expected for most inputs.
            } catch {
                Issue.record("not a ManifestError: \(error) for bytes \(bytes)")
            }
        }
    }
}
