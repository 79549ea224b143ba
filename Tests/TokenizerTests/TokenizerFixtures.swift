import Foundation
import TestSupport
@testable import Tokenizer

/// The committed reference outputs (Tests/Fixtures/tokenizer, written by
/// Scripts/reference/make_tokenizer_fixtures.py from Hugging Face `tokenizers`).
enum TokenizerFixtures {
    static let folder = Fixtures.url("tokenizer")

    /// The two committed vocabularies (folder names, also the keys in cases.jsonl).
    static let vocabularies = ["gpt2-roberta", "trained-bpe"]

    struct Expected: Decodable, Sendable {
        let ids: [Int]
        let pieces: String
        let ids77: [Int]?
        let ids64: [Int]?
        let decoded: String?
        let decodedSkipSpecial: String?

        enum CodingKeys: String, CodingKey {
            case ids, pieces, ids77, ids64, decoded
            case decodedSkipSpecial = "decoded_skip_special"
        }

        /// The reference's ids at `maxLength` before padding (stored only when they differ from `ids`).
        func truncated(_ maxLength: Int) -> [Int] {
            switch maxLength {
            case 77: return ids77 ?? ids
            case 64: return ids64 ?? ids
            default: preconditionFailure("no fixture for max length \(maxLength)")
            }
        }
    }

    struct Case: Decodable, Sendable {
        let id: Int
        let recipe: String
        let text: String
        let gpt2Roberta: Expected
        let trainedBPE: Expected

        enum CodingKeys: String, CodingKey {
            case id, recipe, text
            case gpt2Roberta = "gpt2-roberta"
            case trainedBPE = "trained-bpe"
        }

        func expected(_ vocabulary: String) -> Expected {
            vocabulary == "gpt2-roberta" ? gpt2Roberta : trainedBPE
        }
    }

    static let cases: [Case] = {
        let data = try! Data(contentsOf: folder.appendingPathComponent("cases.jsonl"))
        let decoder = JSONDecoder()
        return data.split(separator: UInt8(ascii: "\n")).map { try! decoder.decode(Case.self, from: Data($0)) }
    }()

    struct DecodeCase: Decodable, Sendable {
        let ids: [Int]
        let text: String
        let skipSpecial: String
        enum CodingKeys: String, CodingKey {
            case ids, text
            case skipSpecial = "skip_special"
        }
    }

    static let decodeCases: [String: [DecodeCase]] = {
        let data = try! Data(contentsOf: folder.appendingPathComponent("decode.json"))
        return try! JSONDecoder().decode([String: [DecodeCase]].self, from: data)
    }()

    /// The reference pre-tokenizer's class of every code point, from categories.json ("X" for surrogates).
    static let referenceClasses: [Character] = {
        struct File: Decodable { let ranges: [[Range]] }
        enum Range: Decodable {
            case number(Int), text(String)
            init(from decoder: Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let n = try? c.decode(Int.self) { self = .number(n) } else { self = .text(try c.decode(String.self)) }
            }
        }
        let data = try! Data(contentsOf: folder.appendingPathComponent("categories.json"))
        var classes = [Character](repeating: "?", count: 0x110000)
        for range in try! JSONDecoder().decode(File.self, from: data).ranges {
            guard case .number(let first) = range[0], case .number(let last) = range[1],
                  case .text(let cls) = range[2] else { preconditionFailure("bad range \(range)") }
            for cp in first...last { classes[cp] = Character(cls) }
        }
        return classes
    }()

    /// Tokenizers loaded once per (vocabulary, files) and shared by the tests.
    static let fromVocabularyAndMerges: [String: ByteLevelBPETokenizer] = load(.vocabularyAndMerges)
    static let fromTokenizerJSON: [String: ByteLevelBPETokenizer] = load(.tokenizerJSON)

    private static func load(_ choice: ByteLevelBPETokenizer.FileChoice) -> [String: ByteLevelBPETokenizer] {
        Dictionary(uniqueKeysWithValues: vocabularies.map {
            ($0, try! ByteLevelBPETokenizer(folder: folder.appendingPathComponent($0), choice: choice))
        })
    }

    static func tokenizer(_ vocabulary: String, _ choice: ByteLevelBPETokenizer.FileChoice) -> ByteLevelBPETokenizer {
        (choice == .tokenizerJSON ? fromTokenizerJSON : fromVocabularyAndMerges)[vocabulary]!
    }

    /// A readable form of a text for failure messages.
    static func show(_ text: String) -> String {
        let shown = String(reflecting: String(text.prefix(80)))
        return text.count > 80 ? shown + "… (\(text.count) characters)" : shown
    }
}

extension TokenizerFixtures {
    struct VariantCase: Decodable, Sendable {
        let text: String
        let ids: [Int]
    }

    /// variant.jsonl: trained-bpe-variant (add_prefix_space, <mask> lstrip + rstrip) and the reference's ids.
    static let variantCases: [VariantCase] = {
        let data = try! Data(contentsOf: folder.appendingPathComponent("variant.jsonl"))
        let decoder = JSONDecoder()
        return data.split(separator: UInt8(ascii: "\n")).map { try! decoder.decode(VariantCase.self, from: Data($0)) }
    }()
}
