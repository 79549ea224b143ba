import Foundation

/// Byte-pair encoding of one word: start from one symbol per byte, then merge adjacent pairs by rank.
///
/// The fast path (`merge`) reproduces `Word::merge_all` of the reference: a min-heap of candidate merges
/// ordered by (rank, position) over a doubly linked list of symbols, with stale heap entries skipped. Its
/// slow, obviously-correct twin is `mergeNaive` (Reference/NaiveBPE.swift): repeatedly merge the
/// lowest-rank adjacent pair, leftmost on ties. Tests compare the two.
///
/// Reference: tokenizers `tokenizers/src/models/bpe/model.rs` (`BPE::merge_word`, `tokenize_with_cache`,
/// the merge map built with later duplicate lines overriding earlier ones) and `models/bpe/word.rs`
/// (`Word::merge_all`).
public struct BPEModel: Sendable {
    struct Merge: Sendable {
        let rank: Int32
        let newID: Int32
    }

    /// Vocabulary entries in byte-level text ("Ġdog") and their ids.
    public let vocabulary: TokenTable
    /// The id of each byte's character, or -1 when the vocabulary lacks it.
    let byteIDs: [Int32]
    /// (left id, right id) → rank and merged id.
    let merges: [UInt64: Merge]
    let unknownID: Int32?
    let fuseUnknown: Bool
    let ignoreMerges: Bool
    private let cache = WordCache()

    /// The number of ids (one past the largest).
    public var idCount: Int { vocabulary.idCount }

    /// Whether every non-empty word gives at least one id: every byte has an id, or bytes without one become
    /// the unknown token (`initialSymbols`; merging never empties a word). Truncated encoding relies on it.
    var everyWordGivesAnID: Bool { unknownID != nil || byteIDs.allSatisfy { $0 >= 0 } }

    /// The fast path's model: a vocabulary and merges already resolved to ids (`MergeTableBuilder`).
    init(vocabulary: TokenTable, merges: [UInt64: Merge], unknownToken: String?, fuseUnknown: Bool,
         ignoreMerges: Bool, vocabularyPath: String) throws {
        self.vocabulary = vocabulary
        byteIDs = ByteEncoder.scalars.map { vocabulary.id(String($0)) ?? -1 }
        self.merges = merges
        if let unknownToken {
            guard let id = vocabulary.id(unknownToken) else {
                throw TokenizerError.missingSpecialToken(path: vocabularyPath, token: unknownToken)
            }
            unknownID = id
        } else {
            unknownID = nil
        }
        self.fuseUnknown = fuseUnknown
        self.ignoreMerges = ignoreMerges
    }

    /// The slow, obviously-correct twin of the fast path's loading: `String` dictionaries, one lookup of each
    /// merge's two symbols and their concatenation. Tests compare the two models.
    ///
    /// - Parameters:
    ///   - merges: (left, right) in rank order.
    ///   - mergeLocation: where merge `rank` is in `mergesPath`, for messages ("line 12").
    init(vocabulary: [String: Int32], merges mergeList: [(String, String)], unknownToken: String?,
         fuseUnknown: Bool, ignoreMerges: Bool, vocabularyPath: String, mergesPath: String,
         mergeLocation: (Int) -> String) throws {
        let table = try TokenTable.checked(vocabulary, path: vocabularyPath)
        var map: [UInt64: Merge] = [:]
        map.reserveCapacity(mergeList.count)
        for (rank, (left, right)) in mergeList.enumerated() {
            guard let a = vocabulary[left] else {
                throw TokenizerError.mergeNotInVocabulary(path: mergesPath, location: mergeLocation(rank), token: left)
            }
            guard let b = vocabulary[right] else {
                throw TokenizerError.mergeNotInVocabulary(path: mergesPath, location: mergeLocation(rank), token: right)
            }
            guard let merged = vocabulary[left + right] else {
                throw TokenizerError.mergeNotInVocabulary(path: mergesPath, location: mergeLocation(rank), token: left + right)
            }
            map[Self.key(a, b)] = Merge(rank: Int32(rank), newID: merged)
        }
        try self.init(vocabulary: table, merges: map,
                      unknownToken: unknownToken, fuseUnknown: fuseUnknown, ignoreMerges: ignoreMerges,
                      vocabularyPath: vocabularyPath)
    }

    @inline(__always)
    static func key(_ a: Int32, _ b: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
    }

    /// The ids of one word given as UTF-8 bytes.
    public func encode(word: [UInt8]) -> [Int32] {
        if word.isEmpty { return [] }
        if ignoreMerges, let id = vocabulary.id(ByteEncoder.encode(word)) { return [id] }
        if let hit = cache.get(word) { return hit }
        let ids = merge(initialSymbols(word))
        cache.set(word, ids)
        return ids
    }

    /// One symbol per byte; bytes missing from the vocabulary become the unknown token (fused when
    /// `fuse_unk`), or are dropped when there is none, as `merge_word` does.
    func initialSymbols(_ word: [UInt8]) -> [Int32] {
        var symbols: [Int32] = []
        symbols.reserveCapacity(word.count)
        var previousWasUnknown = false
        for b in word {
            let id = byteIDs[Int(b)]
            if id >= 0 {
                symbols.append(id)
                previousWasUnknown = false
            } else if let unknownID {
                if !(fuseUnknown && previousWasUnknown) { symbols.append(unknownID) }
                previousWasUnknown = true
            }
        }
        return symbols
    }

    /// Applies the merges to `symbols` (fast path; see the type's documentation).
    func merge(_ symbols: [Int32]) -> [Int32] {
        let n = symbols.count
        if n < 2 { return symbols }
        var ids = symbols
        var previous = Array(-1..<(n - 1))
        var next = Array(1...n)          // n means "none"
        var removed = [Bool](repeating: false, count: n)
        var heap = MergeHeap()
        heap.reserve(n)
        for i in 0..<(n - 1) {
            if let m = merges[Self.key(ids[i], ids[i + 1])] {
                heap.push(.init(rank: m.rank, position: Int32(i), newID: m.newID))
            }
        }
        while let top = heap.pop() {
            let p = Int(top.position)
            if removed[p] { continue }
            let q = next[p]
            if q >= n { continue }
            // Skip stale entries: the pair at p changed since this entry was pushed. Like the reference,
            // only the merged id is compared.
            guard let current = merges[Self.key(ids[p], ids[q])], current.newID == top.newID else { continue }
            ids[p] = top.newID
            removed[q] = true
            let after = next[q]
            next[p] = after
            if after < n { previous[after] = p }
            let before = previous[p]
            if before >= 0, let m = merges[Self.key(ids[before], ids[p])] {
                heap.push(.init(rank: m.rank, position: Int32(before), newID: m.newID))
            }
            if after < n, let m = merges[Self.key(ids[p], ids[after])] {
                heap.push(.init(rank: m.rank, position: Int32(p), newID: m.newID))
            }
        }
        var out: [Int32] = []
        out.reserveCapacity(n)
        var i = 0
        while i < n {
            out.append(ids[i])
            i = next[i]
        }
        return out
    }
}

/// A binary min-heap of candidate merges ordered by (rank, position).
struct MergeHeap {
    struct Entry {
        let rank: Int32
        let position: Int32
        let newID: Int32

        @inline(__always)
        static func < (a: Entry, b: Entry) -> Bool {
            a.rank != b.rank ? a.rank < b.rank : a.position < b.position
        }
    }

    private var items: [Entry] = []

    mutating func reserve(_ n: Int) { items.reserveCapacity(n) }

    mutating func push(_ e: Entry) {
        items.append(e)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Entry? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            let count = items.count
            while true {
                let left = 2 * parent + 1
                if left >= count { break }
                var smallest = left
                if left + 1 < count, items[left + 1] < items[left] { smallest = left + 1 }
                guard items[smallest] < items[parent] else { break }
                items.swapAt(smallest, parent)
                parent = smallest
            }
        }
        return top
    }
}

/// Results per word, shared by all threads (the reference keeps the same kind of cache, 10,000 words).
final class WordCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [[UInt8]: [Int32]] = [:]
    private let capacity = 10_000

    func get(_ word: [UInt8]) -> [Int32]? {
        lock.lock()
        defer { lock.unlock() }
        return entries[word]
    }

    /// Full caches stop growing (as the reference's does) rather than evicting.
    func set(_ word: [UInt8], _ ids: [Int32]) {
        guard word.count < 256 else { return }
        lock.lock()
        defer { lock.unlock() }
        if entries.count < capacity { entries[word] = ids }
    }
}
