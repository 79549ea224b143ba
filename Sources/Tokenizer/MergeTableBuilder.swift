import Foundation

/// Resolves merges to ids straight from their UTF-8 bytes, in rank order: the fast path of loading,
/// with no `String` per merge. Its slow twin is the merge loop of `BPEModel`'s `String`-dictionary
/// initialiser; tests compare the resulting maps.
///
/// Reference: tokenizers `models/bpe/model.rs` `BPE::from_builder` (each merge's two symbols and their
/// concatenation must be in the vocabulary; a later duplicate line overrides an earlier one).
struct MergeTableBuilder {
    let vocabulary: TokenTable
    let path: String
    private(set) var merges: [UInt64: BPEModel.Merge] = [:]
    private var rank: Int32 = 0

    init(vocabulary: TokenTable, path: String, expectedCount: Int) {
        self.vocabulary = vocabulary
        self.path = path
        merges.reserveCapacity(expectedCount)
    }

    /// Adds the merge of `left` and `right` with the next rank.
    mutating func add(_ left: UnsafeRawBufferPointer, _ right: UnsafeRawBufferPointer,
                      location: @autoclosure () -> String) throws {
        guard let a = vocabulary.id(utf8: left) else { throw missing(left, location()) }
        guard let b = vocabulary.id(utf8: right) else { throw missing(right, location()) }
        // left + right, on the stack.
        let merged: Int32? = withUnsafeTemporaryAllocation(byteCount: left.count + right.count, alignment: 1) { joined in
            joined.copyMemory(from: left)
            UnsafeMutableRawBufferPointer(rebasing: joined[left.count...]).copyMemory(from: right)
            return vocabulary.id(utf8: UnsafeRawBufferPointer(joined))
        }
        guard let merged else {
            throw TokenizerError.mergeNotInVocabulary(path: path, location: location(),
                                                      token: String(decoding: left, as: UTF8.self) + String(decoding: right, as: UTF8.self))
        }
        merges[BPEModel.key(a, b)] = BPEModel.Merge(rank: rank, newID: merged)
        rank += 1
    }

    private func missing(_ bytes: UnsafeRawBufferPointer, _ location: String) -> TokenizerError {
        .mergeNotInVocabulary(path: path, location: location, token: String(decoding: bytes, as: UTF8.self))
    }
}

/// Why a line of merges.txt (or a string merge of tokenizer.json) is not "left right": both readers
/// describe a bad line with this, so their messages agree.
func mergeLineProblem(_ line: String) -> String {
    if line.isEmpty { return "empty line" }
    let parts = line.unicodeScalars.split(separator: " ", omittingEmptySubsequences: false)
    return "\(parts.count) parts in \(String(reflecting: String(line.prefix(60))))"
}

/// Splits `line` at its one space; nil unless it has exactly one space with bytes on both sides.
@inline(__always)
func splitMergeLine(_ line: UnsafeRawBufferPointer) -> (UnsafeRawBufferPointer, UnsafeRawBufferPointer)? {
    guard let space = line.firstIndex(of: 0x20), space > 0, space + 1 < line.count else { return nil }
    let right = UnsafeRawBufferPointer(rebasing: line[(space + 1)...])
    guard !right.contains(0x20) else { return nil }
    return (UnsafeRawBufferPointer(rebasing: line[..<space]), right)
}

/// merges.txt straight from its bytes into merge ids: the fast twin of `readMerges` + the slow model
/// initialiser. The same rules: an optional `#version` line, one "left right" per line, a final newline
/// ends the last line, a carriage return before the newline is dropped.
func scanMerges(_ url: URL, vocabulary: TokenTable) throws -> [UInt64: BPEModel.Merge] {
    let data = try readFile(url)
    let path = url.path
    return try data.withUnsafeBytes { raw throws -> [UInt64: BPEModel.Merge] in
        guard VocabularyJSONScanner.isValidUTF8(raw) else {
            throw TokenizerError.malformedMerges(path: path, location: "the file", detail: "not UTF-8 text")
        }
        var builder = MergeTableBuilder(vocabulary: vocabulary, path: path, expectedCount: raw.count / 8)
        let n = raw.count
        var start = 0, lineNumber = 0
        let version = Array("#version".utf8)
        while start < n {
            lineNumber += 1
            let newline = raw[start...].firstIndex(of: 0x0A) ?? n
            var end = newline
            if end > start, raw[end - 1] == 0x0D { end -= 1 }
            let line = UnsafeRawBufferPointer(rebasing: raw[start..<end])
            start = newline + 1
            if line.starts(with: version) { continue }
            guard let (left, right) = splitMergeLine(line) else {
                throw TokenizerError.malformedMerges(path: path, location: "line \(lineNumber)",
                                                     detail: mergeLineProblem(String(decoding: line, as: UTF8.self)))
            }
            try builder.add(left, right, location: "line \(lineNumber)")
        }
        return builder.merges
    }
}
