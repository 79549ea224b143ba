import Foundation

/// The vocabulary: ids by the token's UTF-8 bytes and tokens by id, kept as one byte arena with an
/// open-addressing index instead of a `[String: Int32]` and a `[String?]`.
///
/// Why: building 50,265 `String`s and hashing them into a dictionary twice (Swift hashes a non-ASCII
/// `String` through Unicode normalisation, and GPT-2's tokens are mostly non-ASCII `Ġ…`) was most of the
/// tokenizer's load time; this table is filled straight from the file's bytes. Keys compare byte for byte,
/// as the reference's `HashMap<String, u32>` does (a `String` key compares by canonical equivalence; the
/// two agree on every byte-level vocabulary, whose alphabet has no combining marks).
/// The hash is Swift's seeded `Hasher` (SipHash) over the bytes, so a hostile vocabulary cannot force
/// collisions.
///
/// Reference: tokenizers `models/bpe/model.rs` (`vocab: HashMap<String, u32>`, `vocab_r: HashMap<u32, String>`;
/// a repeated key keeps its last id, as serde_json fills the map).
public struct TokenTable: Sendable, Equatable {
    /// Every entry's bytes, back to back.
    private var arena: [UInt8] = []
    /// Per entry (in the order first inserted): its bytes in `arena` and its id.
    private var entryStart: [Int32] = []
    private var entryEnd: [Int32] = []
    private var entryID: [Int32] = []
    /// Open-addressing index: entry number, or -1 for an empty slot. Power-of-two size, at most half full.
    private var slots: [Int32]
    /// Per id: its entry, or -1. Filled by `finish()`.
    private var entryOfID: [Int32] = []

    /// Ids above this are refused when loading (the largest real vocabularies have ~250,000 tokens); a
    /// hostile file cannot make the id table allocate gigabytes.
    public static let maximumID: Int32 = (1 << 24) - 1

    init(expectedCount: Int) {
        var size = 16
        while size < 2 * expectedCount { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
        arena.reserveCapacity(expectedCount * 8)
        entryStart.reserveCapacity(expectedCount)
        entryEnd.reserveCapacity(expectedCount)
        entryID.reserveCapacity(expectedCount)
    }

    /// The table of a `[String: Int32]` vocabulary (the slow path's), in id order.
    init(_ vocabulary: [String: Int32]) throws(Problem) {
        self.init(expectedCount: vocabulary.count)
        for (token, id) in vocabulary.sorted(by: { $0.value < $1.value }) {
            var t = token
            t.withUTF8 { insert(UnsafeRawBufferPointer($0), id: id) }
        }
        try finish()
    }

    /// What `finish()` refuses; the caller names the file.
    enum Problem: Error, Equatable {
        case idOutOfRange(id: Int, token: String)
        case duplicateID(id: Int, tokens: [String])
    }

    /// The number of distinct keys inserted (the number of tokens once `finish()` accepted them).
    var entryCount: Int { entryID.count }

    /// One past the largest id.
    public var idCount: Int { entryOfID.count }

    // MARK: Building

    @inline(__always)
    private static func hash(_ key: UnsafeRawBufferPointer) -> Int {
        var h = Hasher()
        h.combine(bytes: key)
        return h.finalize()
    }

    @inline(__always)
    private func bytesEqual(_ entry: Int, _ key: UnsafeRawBufferPointer) -> Bool {
        let start = Int(entryStart[entry]), end = Int(entryEnd[entry])
        guard end - start == key.count else { return false }
        if key.isEmpty { return true }
        return arena.withUnsafeBytes { memcmp($0.baseAddress! + start, key.baseAddress!, key.count) == 0 }
    }

    /// The slot holding `key`, or the empty slot where it would go.
    @inline(__always)
    private func slot(for key: UnsafeRawBufferPointer) -> Int {
        let mask = slots.count - 1
        var i = Self.hash(key) & mask
        while true {
            let e = slots[i]
            if e < 0 || bytesEqual(Int(e), key) { return i }
            i = (i + 1) & mask
        }
    }

    /// Adds `key` → `id`; a key already present takes the new id (the last one wins, as in the reference).
    /// Ids are checked by `finish()`.
    mutating func insert(_ key: UnsafeRawBufferPointer, id: Int32) {
        setID(id, entry: insertKey(key))
    }

    /// The entry of `key`, added (with id -1) if new.
    mutating func insertKey(_ key: UnsafeRawBufferPointer) -> Int {
        let s = slot(for: key)
        if slots[s] >= 0 { return Int(slots[s]) }
        let entry = entryID.count
        entryStart.append(Int32(arena.count))
        arena.append(contentsOf: key)
        entryEnd.append(Int32(arena.count))
        entryID.append(-1)
        slots[s] = Int32(entry)
        if 2 * entryID.count > slots.count { grow() }
        return entry
    }

    mutating func setID(_ id: Int32, entry: Int) {
        entryID[entry] = id
    }

    private mutating func grow() {
        var bigger = [Int32](repeating: -1, count: slots.count * 2)
        let mask = bigger.count - 1
        arena.withUnsafeBytes { a in
            for entry in 0..<entryID.count {
                let key = UnsafeRawBufferPointer(rebasing: a[Int(entryStart[entry])..<Int(entryEnd[entry])])
                var i = Self.hash(key) & mask
                while bigger[i] >= 0 { i = (i + 1) & mask }
                bigger[i] = Int32(entry)
            }
        }
        slots = bigger
    }

    /// Builds the id → token side; refuses ids out of range and two tokens with one id.
    mutating func finish() throws(Problem) {
        var largest: Int32 = -1
        for (entry, id) in entryID.enumerated() {
            guard id >= 0, id <= Self.maximumID else { throw .idOutOfRange(id: Int(id), token: token(entry: entry)) }
            largest = max(largest, id)
        }
        var table = [Int32](repeating: -1, count: Int(largest) + 1)
        for (entry, id) in entryID.enumerated() {
            let other = table[Int(id)]
            if other >= 0 {
                throw .duplicateID(id: Int(id), tokens: [token(entry: Int(other)), token(entry: entry)].sorted())
            }
            table[Int(id)] = Int32(entry)
        }
        entryOfID = table
    }

    // MARK: Lookups

    /// The id of the token with these UTF-8 bytes.
    @inline(__always)
    public func id(utf8 key: UnsafeRawBufferPointer) -> Int32? {
        let e = slots[slot(for: key)]
        return e < 0 ? nil : entryID[Int(e)]
    }

    /// The id of `token`.
    public func id(_ token: String) -> Int32? {
        var t = token
        return t.withUTF8 { id(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// The id of the token with these UTF-8 bytes.
    public func id(utf8 key: [UInt8]) -> Int32? {
        key.withUnsafeBytes { id(utf8: $0) }
    }

    /// The token of `id`, or nil when the vocabulary has none.
    public func token(_ id: Int32) -> String? {
        guard id >= 0, Int(id) < entryOfID.count else { return nil }
        let e = entryOfID[Int(id)]
        return e < 0 ? nil : token(entry: Int(e))
    }

    private func token(entry: Int) -> String {
        String(decoding: arena[Int(entryStart[entry])..<Int(entryEnd[entry])], as: UTF8.self)
    }

    /// Every (token, id), in id order.
    public var entries: [(token: String, id: Int32)] {
        entryOfID.indices.compactMap { id in token(Int32(id)).map { ($0, Int32(id)) } }
    }

    /// Equal when they map the same ids to the same bytes (however they were built).
    public static func == (a: TokenTable, b: TokenTable) -> Bool {
        guard a.entryOfID.count == b.entryOfID.count else { return false }
        for id in a.entryOfID.indices {
            let ea = a.entryOfID[id], eb = b.entryOfID[id]
            if (ea < 0) != (eb < 0) { return false }
            if ea >= 0, a.arena[Int(a.entryStart[Int(ea)])..<Int(a.entryEnd[Int(ea)])]
                != b.arena[Int(b.entryStart[Int(eb)])..<Int(b.entryEnd[Int(eb)])] { return false }
        }
        return true
    }
}

extension TokenTable {
    /// The table of a `[String: Int32]` vocabulary read from `path`.
    static func checked(_ vocabulary: [String: Int32], path: String) throws -> TokenTable {
        do {
            return try TokenTable(vocabulary)
        } catch {
            throw error.tokenizerError(path: path)
        }
    }

    /// `finish()`, with problems reported against `path`.
    mutating func finish(path: String) throws {
        do {
            try finish()
        } catch {
            throw error.tokenizerError(path: path)
        }
    }
}

extension TokenTable.Problem {
    func tokenizerError(path: String) -> TokenizerError {
        switch self {
        case .idOutOfRange(let id, let token):
            return .malformedJSON(path: path, detail: "id \(id) of \(String(reflecting: token)) is out of range")
        case .duplicateID(let id, let tokens):
            return .duplicateID(path: path, id: id, tokens: tokens)
        }
    }
}
