import Foundation
import FuzzSupport
import Tokenizer

// The GPT-2 byte-level BPE (the committed fixture folder) on arbitrary bytes as text: every id is in
// the vocabulary, truncation holds, and without special tokens the ids decode back to the text.
private let tokenizer: ByteLevelBPETokenizer = {
    do {
        return try ByteLevelBPETokenizer(folder: repositoryRoot.appendingPathComponent("Tests/Fixtures/tokenizer/gpt2-roberta"))
    } catch {
        fatalError("FuzzTokenizer needs Tests/Fixtures/tokenizer/gpt2-roberta: \(error)")
    }
}()

private func fuzzOne(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = fuzzBytes(data, count)
    let maxLength = Int(bytes.first ?? 0) % 80
    let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
    do {
        let bounded = try tokenizer.encode(text, maxLength: maxLength)
        precondition(bounded.ids.count <= maxLength, "truncation to \(maxLength) gave \(bounded.ids.count) ids")
    } catch is TokenizerError {
        precondition(maxLength < 2, "maxLength \(maxLength) refused")
    } catch {
        preconditionFailure("untyped error from the tokenizer: \(error)")
    }
    guard let plain = try? tokenizer.encode(text, addSpecialTokens: false) else {
        preconditionFailure("encoding without a length limit failed")
    }
    for id in plain.ids { precondition(tokenizer.token(for: id) != nil, "id \(id) has no piece") }
    if !text.contains("<") {  // added tokens (`<mask>` strips spaces to its left) are not byte round trips
        precondition(tokenizer.decode(plain.ids) == text, "decode(encode(text)) differs for \(Array(text.utf8))")
    }
    return 0
}

@_cdecl("FuzzTokenizer_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { fuzzOne($0, $1) }
}
