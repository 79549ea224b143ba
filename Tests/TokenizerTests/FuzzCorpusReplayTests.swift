import FuzzEntryPoints
import Testing
import TestSupport

/// The committed corpus of the FuzzTokenizer fuzz target, replayed through the target's own entry point
/// (Sources/FuzzEntryPoints; a failed oracle stops the test process like a fuzz finding). CI runs this
/// suite under AddressSanitizer too (.ci/run).
@Test("every committed FuzzTokenizer input: ids with pieces, truncation holds, decode(encode(t)) == t", arguments: Fixtures.fuzzCorpus("FuzzTokenizer"))
func replayFuzzTokenizerCorpus(_ input: FuzzCorpusInput) throws {
    FuzzEntry.tokenizer(try input.bytes())
}
