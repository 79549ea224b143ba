import Foundation

/// Turns one JSON Lines line into a clip (Docs/ManifestFormat.md, "JSON Lines").
struct JSONLRecordDecoder {
    let file: String
    let manifestFolder: URL

    /// The entry on `line`, or nil for a blank or `#` comment line.
    func decode(_ line: LineReader.Line) throws -> ManifestEntry? {
        let bytes = line.bytes
        guard let first = bytes.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }) else { return nil }
        if bytes[first] == UInt8(ascii: "#") { return nil }
        if let bad = firstInvalidUTF8Offset(bytes) {
            throw ManifestError.invalidUTF8(location(line, bad))
        }
        let root: JSONNode
        do {
            root = try JSONParser.parse(bytes)
        } catch let e as JSONSyntaxError {
            if e.tooDeep { throw ManifestError.tooDeep(location(line, e.offset), limit: JSONParser.maximumDepth) }
            throw ManifestError.malformedJSON(location(line, e.offset), detail: e.detail, advice: e.advice)
        }
        guard case .object(let members) = root.value else {
            throw ManifestError.notAnObject(location(line, root.start), found: root.typeName)
        }
        var record = RecordAssembler(location: ManifestLocation(file: file, line: line.number))
        for member in members {
            let at = location(line, member.keyOffset)
            guard let field = Field.named(member.key) else {
                throw ManifestError.unknownKey(at, key: member.key, suggestion: Field.suggestion(for: member.key))
            }
            let value = try self.value(of: member.value, field: field, spelling: member.key, line: line)
            try record.set(field, spelling: member.key, value: value, at: at)
        }
        return try record.entry(manifestFolder: manifestFolder)
    }

    /// Applies the JSONL type rules of one field.
    private func value(of node: JSONNode, field: Field, spelling: String, line: LineReader.Line) throws -> RecordAssembler.Value {
        let at = location(line, node.start)
        switch field {
        case .id, .path:
            switch node.value {
            case .string(let s):
                if s.isEmpty { throw ManifestError.emptyField(at, field: spelling) }
                return .text(s)
            case .null:
                throw ManifestError.missingField(at, field: spelling)
            default:
                throw ManifestError.wrongType(at, field: spelling, expected: "a string", found: node.typeName)
            }
        case .captions, .tags:
            switch node.value {
            case .string(let s):
                return .list(s.isEmpty ? [] : [s])
            case .null:
                return .list([])
            case .array(let elements):
                var strings: [String] = []
                for (k, element) in elements.enumerated() {
                    let name = "\(spelling)[\(k)]"
                    guard case .string(let s) = element.value else {
                        throw ManifestError.wrongType(location(line, element.start), field: name, expected: "a string", found: element.typeName)
                    }
                    if s.isEmpty { throw ManifestError.emptyField(location(line, element.start), field: name) }
                    strings.append(s)
                }
                return .list(strings)
            default:
                throw ManifestError.wrongType(at, field: spelling, expected: "a string or a list of strings", found: node.typeName)
            }
        case .licence, .source:
            switch node.value {
            case .string(let s): return s.isEmpty ? .absent : .text(s)
            case .null: return .absent
            default: throw ManifestError.wrongType(at, field: spelling, expected: "a string", found: node.typeName)
            }
        case .extra:
            return .json(String(decoding: line.bytes[node.start..<node.end], as: UTF8.self))
        }
    }

    private func location(_ line: LineReader.Line, _ offset: Int) -> ManifestLocation {
        ManifestLocation(file: file, line: line.number, column: column(ofByte: offset, in: line.bytes))
    }
}
