import FuzzEntryPoints
import Testing
import TestSupport

/// The committed corpus of the FuzzVectorSegment fuzz target, replayed through the target's own entry point
/// (Sources/FuzzEntryPoints; a failed oracle stops the test process like a fuzz finding). CI runs this
/// suite under AddressSanitizer too (.ci/run).
@Test("every committed FuzzVectorSegment input: open, search and verify answer or throw a VectorIndexError", arguments: Fixtures.fuzzCorpus("FuzzVectorSegment"))
func replayFuzzVectorSegmentCorpus(_ input: FuzzCorpusInput) throws {
    FuzzEntry.vectorSegment(try input.bytes())
}
