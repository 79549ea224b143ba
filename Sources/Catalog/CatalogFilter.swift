import GRDB

/// A `--where` filter over catalog columns (grammar: Docs/CatalogSchema.md, "The --where filter").
///
/// The text is parsed into a `FilterExpression` before any SQL exists; anything outside the grammar
/// is a `FilterError` naming the column (character position) where it went wrong. Rendering emits
/// only column names from `FilterColumn.all` and operators from the grammar; every literal becomes a
/// bound parameter, so no input text ever reaches SQLite as SQL.
public struct CatalogFilter: Sendable, Equatable {
    /// Longer filters are refused (nothing useful needs more).
    public static let maximumLength = 10_000
    /// Deeper nesting of parentheses and NOTs is refused (bounded recursion).
    public static let maximumDepth = 64

    public let text: String
    public let expression: FilterExpression

    /// Parses `text`; throws `FilterError` for anything outside the grammar.
    public init(_ text: String) throws {
        self.text = text
        guard text.unicodeScalars.count <= Self.maximumLength else {
            throw FilterError.tooLong(limit: Self.maximumLength)
        }
        var parser = FilterParser(tokens: try FilterLexer.tokens(text), endPosition: text.unicodeScalars.count + 1)
        expression = try parser.parseFilter()
    }

    /// A boolean SQL expression over the `clips` table under `alias`, and its parameters in order.
    public func sql(clipsAlias alias: String = "clips") -> (sql: String, arguments: StatementArguments) {
        let (sql, values) = sqlAndValues(clipsAlias: alias)
        return (sql, StatementArguments(values))
    }

    /// The same, with the bound values as a plain list (one per `?`, in order).
    public func sqlAndValues(clipsAlias alias: String = "clips") -> (sql: String, values: [DatabaseValue]) {
        var values: [DatabaseValue] = []
        let sql = Self.render(expression, alias: alias, values: &values)
        return (sql, values)
    }

    private static func render(_ e: FilterExpression, alias: String, values: inout [DatabaseValue]) -> String {
        switch e {
        case .and(let l, let r):
            return "(\(render(l, alias: alias, values: &values)) AND \(render(r, alias: alias, values: &values)))"
        case .or(let l, let r):
            return "(\(render(l, alias: alias, values: &values)) OR \(render(r, alias: alias, values: &values)))"
        case .not(let x):
            return "(NOT \(render(x, alias: alias, values: &values)))"
        case .compare(let column, let op, let value):
            values.append(value.databaseValue)
            let c = "\(alias).\(column.sqlName)"
            // Two-valued logic: a missing value (NULL) is unequal to every literal and satisfies no
            // ordering, so NOT behaves as people expect (`NOT licence = 'CC0'` includes unlicensed clips).
            switch op {
            case .equal: return "(\(c) IS ?)"
            case .notEqual: return "(\(c) IS NOT ?)"
            default: return "coalesce(\(c) \(op.rawValue) ?, 0)"
            }
        case .like(let column, let pattern, let negated):
            values.append(pattern.databaseValue)
            let inner = "coalesce(\(alias).\(column.sqlName) LIKE ?, 0)"
            return negated ? "(NOT \(inner))" : inner
        case .isIn(let column, let list, let negated):
            values.append(contentsOf: list.map(\.databaseValue))
            let inner = "coalesce(\(alias).\(column.sqlName) IN (\(databaseQuestionMarks(count: list.count))), 0)"
            return negated ? "(NOT \(inner))" : inner
        }
    }
}

/// The filter's syntax tree.
public indirect enum FilterExpression: Sendable, Equatable {
    case and(FilterExpression, FilterExpression)
    case or(FilterExpression, FilterExpression)
    case not(FilterExpression)
    case compare(FilterColumn, ComparisonOperator, FilterValue)
    /// SQLite LIKE: `%` any run, `_` one character, ASCII case-insensitive.
    case like(FilterColumn, String, negated: Bool)
    case isIn(FilterColumn, [FilterValue], negated: Bool)
}

public enum ComparisonOperator: String, Sendable, CaseIterable {
    case equal = "=", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
}

public enum FilterValue: Sendable, Equatable {
    case text(String)
    case integer(Int64)
    case real(Double)

    var databaseValue: DatabaseValue {
        switch self {
        case .text(let s): return s.databaseValue
        case .integer(let i): return i.databaseValue
        case .real(let d): return d.databaseValue
        }
    }

    var isNumber: Bool { if case .text = self { return false } else { return true } }
}

/// A catalog column a filter may name.
public struct FilterColumn: Sendable, Equatable {
    public enum Kind: String, Sendable { case text, number }
    /// The name in filters.
    public let name: String
    /// The `clips` column it reads.
    public let sqlName: String
    public let kind: Kind

    /// Every column a filter may name (Docs/CatalogSchema.md lists them with their meaning).
    public static let all: [FilterColumn] = [
        FilterColumn(name: "id", sqlName: "clip_id", kind: .text),
        FilterColumn(name: "path", sqlName: "path", kind: .text),
        FilterColumn(name: "member", sqlName: "member", kind: .text),
        FilterColumn(name: "member_offset", sqlName: "member_offset", kind: .number),
        FilterColumn(name: "member_size", sqlName: "member_size", kind: .number),
        FilterColumn(name: "captions", sqlName: "captions", kind: .text),
        FilterColumn(name: "tags", sqlName: "tags", kind: .text),
        FilterColumn(name: "licence", sqlName: "licence", kind: .text),
        FilterColumn(name: "license", sqlName: "licence", kind: .text),
        FilterColumn(name: "source", sqlName: "source", kind: .text),
        FilterColumn(name: "metadata", sqlName: "metadata", kind: .text),
        FilterColumn(name: "duration", sqlName: "duration", kind: .number),
        FilterColumn(name: "sample_rate", sqlName: "sample_rate", kind: .number),
        FilterColumn(name: "channels", sqlName: "channels", kind: .number),
        FilterColumn(name: "audio_hash", sqlName: "audio_hash", kind: .text),
        FilterColumn(name: "generation", sqlName: "generation", kind: .number),
    ]

    static func named(_ name: String) -> FilterColumn? {
        all.first { $0.name == name.lowercased() }
    }
}

// MARK: - Lexer

struct FilterToken: Equatable {
    enum Kind: Equatable {
        case identifier(String)
        case keyword(String)  // AND OR NOT LIKE IN, upper-cased
        case op(ComparisonOperator)
        case string(String)
        case number(FilterValue)
        case open, close, comma
    }

    let kind: Kind
    /// 1-based character (Unicode scalar) position of the token's first character.
    let position: Int
    /// The token as written, for messages.
    let spelling: String
}

enum FilterLexer {
    static let keywords: Set<String> = ["AND", "OR", "NOT", "LIKE", "IN"]

    static func tokens(_ text: String) throws -> [FilterToken] {
        let s = Array(text.unicodeScalars)
        var tokens: [FilterToken] = []
        var i = 0
        func spelling(_ from: Int, _ to: Int) -> String {
            var out = ""
            out.unicodeScalars.append(contentsOf: s[from..<to])
            return out
        }
        while i < s.count {
            let c = s[i]
            let start = i
            if c == " " || c == "\t" || c == "\n" || c == "\r" { i += 1; continue }
            if c == "_" || ("a"..."z").contains(c) || ("A"..."Z").contains(c) {
                while i < s.count, s[i] == "_" || ("a"..."z").contains(s[i]) || ("A"..."Z").contains(s[i]) || ("0"..."9").contains(s[i]) { i += 1 }
                let word = spelling(start, i)
                let upper = word.uppercased()
                tokens.append(FilterToken(kind: keywords.contains(upper) ? .keyword(upper) : .identifier(word), position: start + 1, spelling: word))
                continue
            }
            if ("0"..."9").contains(c) || (c == "-" && i + 1 < s.count && (("0"..."9").contains(s[i + 1]) || s[i + 1] == ".")) || c == "." {
                i += 1
                var isReal = c == "."
                while i < s.count, ("0"..."9").contains(s[i]) { i += 1 }
                if i < s.count, s[i] == "." { isReal = true; i += 1; while i < s.count, ("0"..."9").contains(s[i]) { i += 1 } }
                if i < s.count, s[i] == "e" || s[i] == "E" {
                    var j = i + 1
                    if j < s.count, s[j] == "+" || s[j] == "-" { j += 1 }
                    if j < s.count, ("0"..."9").contains(s[j]) {
                        isReal = true
                        i = j
                        while i < s.count, ("0"..."9").contains(s[i]) { i += 1 }
                    }
                }
                let word = spelling(start, i)
                if i < s.count, s[i] == "_" || ("a"..."z").contains(s[i]) || ("A"..."Z").contains(s[i]) {
                    throw FilterError.syntax(position: i + 1, problem: "a letter right after the number \(word)")
                }
                let value: FilterValue?
                if isReal { value = Double(word).flatMap { $0.isFinite ? FilterValue.real($0) : nil } }
                else { value = Int64(word).map(FilterValue.integer) ?? Double(word).flatMap { $0.isFinite ? .real($0) : nil } }
                guard let value else { throw FilterError.syntax(position: start + 1, problem: "\"\(word)\" is not a number") }
                tokens.append(FilterToken(kind: .number(value), position: start + 1, spelling: word))
                continue
            }
            if c == "'" {
                var value = ""
                i += 1
                while true {
                    guard i < s.count else { throw FilterError.unterminatedString(position: start + 1) }
                    if s[i] == "'" {
                        if i + 1 < s.count, s[i + 1] == "'" { value.unicodeScalars.append("'"); i += 2; continue }
                        i += 1
                        break
                    }
                    value.unicodeScalars.append(s[i])
                    i += 1
                }
                tokens.append(FilterToken(kind: .string(value), position: start + 1, spelling: spelling(start, i)))
                continue
            }
            let two = i + 1 < s.count ? spelling(i, i + 2) : ""
            let kind: FilterToken.Kind
            var length = 1
            switch (two, c) {
            case ("!=", _), ("<>", _): kind = .op(.notEqual); length = 2
            case ("<=", _): kind = .op(.lessOrEqual); length = 2
            case (">=", _): kind = .op(.greaterOrEqual); length = 2
            case ("==", _):
                throw FilterError.syntax(position: start + 1, problem: "\"==\" is not an operator (write =)")
            case (_, "="): kind = .op(.equal)
            case (_, "<"): kind = .op(.less)
            case (_, ">"): kind = .op(.greater)
            case (_, "("): kind = .open
            case (_, ")"): kind = .close
            case (_, ","): kind = .comma
            case (_, "\""):
                throw FilterError.syntax(position: start + 1, problem: "a double quote (write strings in single quotes: licence = 'CC0')")
            default:
                throw FilterError.syntax(position: start + 1, problem: "unexpected character \"\(spelling(i, i + 1))\"")
            }
            i += length
            tokens.append(FilterToken(kind: kind, position: start + 1, spelling: spelling(start, i)))
        }
        return tokens
    }
}

// MARK: - Parser

/// Recursive descent over the grammar in Docs/CatalogSchema.md; depth is counted and capped.
struct FilterParser {
    let tokens: [FilterToken]
    let endPosition: Int
    var index = 0
    var depth = 0

    init(tokens: [FilterToken], endPosition: Int) {
        self.tokens = tokens
        self.endPosition = endPosition
    }

    var current: FilterToken? { index < tokens.count ? tokens[index] : nil }

    func found() -> String { current.map { "\"\($0.spelling)\"" } ?? "the end of the filter" }
    var position: Int { current?.position ?? endPosition }

    func fail(_ expected: String) -> FilterError {
        .syntax(position: position, problem: "expected \(expected), found \(found())")
    }

    mutating func parseFilter() throws -> FilterExpression {
        guard !tokens.isEmpty else { throw FilterError.empty }
        let e = try parseOr()
        guard current == nil else { throw fail("AND, OR or the end of the filter") }
        return e
    }

    mutating func keyword(_ k: String) -> Bool {
        if case .keyword(k)? = current?.kind { index += 1; return true }
        return false
    }

    mutating func parseOr() throws -> FilterExpression {
        var e = try parseAnd()
        while keyword("OR") { e = .or(e, try parseAnd()) }
        return e
    }

    mutating func parseAnd() throws -> FilterExpression {
        var e = try parseNot()
        while keyword("AND") { e = .and(e, try parseNot()) }
        return e
    }

    mutating func parseNot() throws -> FilterExpression {
        depth += 1
        defer { depth -= 1 }
        guard depth <= CatalogFilter.maximumDepth else { throw FilterError.tooDeep(position: position, limit: CatalogFilter.maximumDepth) }
        if keyword("NOT") { return .not(try parseNot()) }
        if current?.kind == .open {
            index += 1
            let e = try parseOr()
            guard current?.kind == .close else { throw fail("\")\"") }
            index += 1
            return e
        }
        return try parseComparison()
    }

    mutating func parseComparison() throws -> FilterExpression {
        guard let token = current, case .identifier(let name) = token.kind else {
            throw fail("a column name (\(FilterColumn.all.map(\.name).joined(separator: ", "))) or \"(\"")
        }
        guard let column = FilterColumn.named(name) else {
            throw FilterError.unknownColumn(position: token.position, name: name, suggestion: Self.suggestion(for: name))
        }
        index += 1
        if case .op(let op)? = current?.kind {
            index += 1
            // Orderings on text compare bytes (BINARY collation), so only text against text.
            return .compare(column, op, try parseValue(for: column))
        }
        let negated = keyword("NOT")
        if keyword("LIKE") {
            guard column.kind == .text else {
                throw FilterError.typeMismatch(position: tokens[index - 1].position, column: column.name,
                                               problem: "LIKE matches text, and \(column.name) is a number")
            }
            guard case .string(let pattern)? = current?.kind else { throw fail("a pattern in single quotes, e.g. '%rain%'") }
            index += 1
            return .like(column, pattern, negated: negated)
        }
        if keyword("IN") {
            guard current?.kind == .open else { throw fail("\"(\" to start the list") }
            index += 1
            var list = [try parseValue(for: column)]
            while current?.kind == .comma {
                index += 1
                list.append(try parseValue(for: column))
            }
            guard current?.kind == .close else { throw fail("\",\" or \")\"") }
            index += 1
            return .isIn(column, list, negated: negated)
        }
        throw fail(negated ? "LIKE or IN after NOT" : "an operator (= != < <= > >= LIKE IN) after \(column.name)")
    }

    mutating func parseValue(for column: FilterColumn) throws -> FilterValue {
        guard let token = current else { throw fail(column.kind == .text ? "a string in single quotes" : "a number") }
        let value: FilterValue
        switch token.kind {
        case .string(let s): value = .text(s)
        case .number(let n): value = n
        case .identifier(let w):
            throw FilterError.syntax(position: token.position,
                                     problem: "expected a value, found \"\(w)\" (columns cannot be compared with columns; quote text: '\(w)')")
        default: throw fail(column.kind == .text ? "a string in single quotes" : "a number")
        }
        if value.isNumber != (column.kind == .number) {
            throw FilterError.typeMismatch(position: token.position, column: column.name,
                                           problem: column.kind == .number
                                               ? "\(column.name) is a number; compare it with a number, e.g. \(column.name) > 10"
                                               : "\(column.name) is text; compare it with a string in single quotes, e.g. \(column.name) = '\(token.spelling)'")
        }
        index += 1
        return value
    }

    static func suggestion(for name: String) -> String? {
        let lowered = name.lowercased()
        let scored = FilterColumn.all.map { ($0.name, distance(lowered, $0.name)) }.filter { $0.1 <= 2 }
        return scored.min { $0.1 < $1.1 }?.0
    }

    /// Levenshtein distance, one row at a time (column names are short).
    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        var row = Array(0...y.count)
        for i in x.indices {
            var diagonal = row[0]
            row[0] = i + 1
            for j in y.indices {
                let above = row[j + 1]
                row[j + 1] = min(above + 1, row[j] + 1, diagonal + (x[i] == y[j] ? 0 : 1))
                diagonal = above
            }
        }
        return row[y.count]
    }
}
