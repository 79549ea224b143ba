/// The slow, obviously-correct twin of `BPEModel.merge`: find the adjacent pair with the lowest merge rank
/// (the leftmost if several), merge it, repeat until no adjacent pair has a merge. Quadratic; used by tests.
///
/// Reference: the rule `Word::merge_all` implements (tokenizers `models/bpe/word.rs`); the original GPT-2
/// `encoder.py` `bpe` reaches the same result when every merge creates a distinct token.
extension BPEModel {
    func mergeNaive(_ symbols: [Int32]) -> [Int32] {
        var word = symbols
        while word.count > 1 {
            var best: (rank: Int32, index: Int, newID: Int32)?
            for i in 0..<(word.count - 1) {
                if let m = merges[Self.key(word[i], word[i + 1])], best == nil || m.rank < best!.rank {
                    best = (m.rank, i, m.newID)
                }
            }
            guard let best else { break }
            word[best.index] = best.newID
            word.remove(at: best.index + 1)
        }
        return word
    }
}
