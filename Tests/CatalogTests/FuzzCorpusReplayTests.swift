import FuzzEntryPoints
import Testing
import TestSupport

/// The committed corpus of the FuzzWhereFilter fuzz target, replayed through the target's own entry point
/// (Sources/FuzzEntryPoints; a failed oracle stops the test process like a fuzz finding). CI runs this
/// suite under AddressSanitizer too (.ci/run).
@Test("every committed FuzzWhereFilter input: a filter with one bound value per placeholder, or a FilterError", arguments: Fixtures.fuzzCorpus("FuzzWhereFilter"))
func replayFuzzWhereFilterCorpus(_ input: FuzzCorpusInput) throws {
    FuzzEntry.whereFilter(try input.bytes())
}
