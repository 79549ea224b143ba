import FuzzEntryPoints
import Testing
import TestSupport

/// The committed corpus of the FuzzShard fuzz target, replayed through the target's own entry point
/// (Sources/FuzzEntryPoints; a failed oracle stops the test process like a fuzz finding). CI runs this
/// suite under AddressSanitizer too (.ci/run).
@Test("every committed FuzzShard input: clips whose locators lie inside the file and read back, or a ShardError", arguments: Fixtures.fuzzCorpus("FuzzShard"))
func replayFuzzShardCorpus(_ input: FuzzCorpusInput) throws {
    FuzzEntry.shard(try input.bytes())
}
