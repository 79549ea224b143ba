/// A token matched in the raw text before pre-tokenisation, such as `<s>` or `<mask>`.
///
/// Reference: tokenizers `tokenizers/src/tokenizer/added_vocabulary.rs` `AddedToken`.
public struct AddedToken: Sendable, Equatable {
    public var content: String
    public var id: Int32
    /// Special tokens are dropped by `decode(skipSpecialTokens: true)`.
    public var special: Bool
    /// Also swallow the white space to the left of a match (roberta-base's `<mask>`).
    public var lstrip: Bool
    /// Also swallow the white space to the right of a match.
    public var rstrip: Bool
    /// Matched after normalisation (a second pass; with no normaliser, on the text left between the
    /// non-normalised matches).
    public var normalized: Bool

    public init(content: String, id: Int32, special: Bool, lstrip: Bool = false, rstrip: Bool = false,
                normalized: Bool = false) {
        self.content = content
        self.id = id
        self.special = special
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.normalized = normalized
    }
}

/// Finds added tokens in the text and leaves the rest for the pre-tokenizer.
///
/// Matching is leftmost-longest over UTF-8 bytes and resumes after each match, as the reference's
/// Aho-Corasick automaton (`MatchKind::LeftmostLongest`) does. Non-normalised tokens are matched first over
/// the whole text, normalised ones afterwards in the gaps (`AddedVocabulary::extract_and_normalize`).
/// `lstrip` takes the white space before the match (not reaching into a previous match), `rstrip` the white
/// space after it (`find_matches`); white space is the Unicode White_Space property, as in Rust's `\s`.
/// `single_word` tokens are rejected when loading (none of the supported models uses them). One deliberate
/// difference: after an `rstrip` match the search resumes after the swallowed white space, where the reference
/// resumes at the end of the token itself; the two differ only for an added token that starts with white space.
public struct AddedVocabulary: Sendable {
    public let tokens: [AddedToken]
    private let byID: [Int32: AddedToken]

    public init(_ tokens: [AddedToken]) {
        self.tokens = tokens.filter { !$0.content.isEmpty }
        byID = Dictionary(self.tokens.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
    }

    public func token(for id: Int32) -> AddedToken? { byID[id] }

    public func isSpecial(_ id: Int32) -> Bool { byID[id]?.special ?? false }

    /// A part of the text: either a stretch for the pre-tokenizer (UTF-8 byte range) or an added token.
    public enum Segment: Equatable, Sendable {
        case text(Range<Int>)
        case token(Int32)
    }

    /// The segments of `utf8`, covering it in order.
    public func split(_ utf8: [UInt8]) -> [Segment] {
        let first = tokens.filter { !$0.normalized }
        let second = tokens.filter { $0.normalized }
        var result: [Segment] = []
        for segment in Self.find(first, in: utf8, range: 0..<utf8.count) {
            if case .text(let range) = segment, !second.isEmpty {
                result += Self.find(second, in: utf8, range: range)
            } else {
                result.append(segment)
            }
        }
        return result
    }

    private static func find(_ candidates: [AddedToken], in utf8: [UInt8], range: Range<Int>) -> [Segment] {
        if candidates.isEmpty || range.isEmpty { return range.isEmpty ? [] : [.text(range)] }
        let patterns = candidates.map { Array($0.content.utf8) }
        var startsAPattern = [Bool](repeating: false, count: 256)
        for p in patterns { startsAPattern[Int(p[0])] = true }
        var segments: [Segment] = []
        var taken = range.lowerBound        // end of the last split
        var position = range.lowerBound     // where the search resumes
        while position < range.upperBound {
            guard startsAPattern[Int(utf8[position])] else {
                position += 1
                continue
            }
            var best: Int?
            for (k, pattern) in patterns.enumerated()
            where pattern.count <= range.upperBound - position
                && (best == nil || pattern.count > patterns[best!].count)
                && utf8[position..<(position + pattern.count)].elementsEqual(pattern) {
                best = k
            }
            guard let k = best else {
                position += 1
                continue
            }
            let token = candidates[k]
            var start = position
            var stop = position + patterns[k].count
            position = stop
            if token.lstrip { start = max(whitespaceStart(utf8, before: start, from: range.lowerBound), taken) }
            if token.rstrip { stop = whitespaceEnd(utf8, after: stop, to: range.upperBound) }
            if taken < start { segments.append(.text(taken..<start)) }
            segments.append(.token(token.id))
            taken = stop
            position = max(position, stop)
        }
        if taken < range.upperBound { segments.append(.text(taken..<range.upperBound)) }
        return segments
    }

    /// The start of the white space that ends at byte `end` (`\s*$` over `utf8[lower..<end]`).
    private static func whitespaceStart(_ utf8: [UInt8], before end: Int, from lower: Int) -> Int {
        let scalars = String(decoding: utf8[lower..<end], as: UTF8.self).unicodeScalars
        var start = end
        for s in scalars.reversed() {
            guard s.properties.isWhitespace else { break }
            start -= s.utf8.count
        }
        return start
    }

    /// The end of the white space that starts at byte `start` (`^\s*` over `utf8[start..<upper]`).
    private static func whitespaceEnd(_ utf8: [UInt8], after start: Int, to upper: Int) -> Int {
        var end = start
        for s in String(decoding: utf8[start..<upper], as: UTF8.self).unicodeScalars {
            guard s.properties.isWhitespace else { break }
            end += s.utf8.count
        }
        return end
    }
}
