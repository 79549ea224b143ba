import FuzzEntryPoints
import Testing
import TestSupport

/// The committed corpus of the FuzzManifest fuzz target, replayed through the target's own entry point
/// (Sources/FuzzEntryPoints; a failed oracle stops the test process like a fuzz finding). CI runs this
/// suite under AddressSanitizer too (.ci/run).
@Test("every committed FuzzManifest input: entries or a ManifestError, no empty id", arguments: Fixtures.fuzzCorpus("FuzzManifest"))
func replayFuzzManifestCorpus(_ input: FuzzCorpusInput) throws {
    FuzzEntry.manifest(try input.bytes())
}

@Test("every fuzz target has a committed corpus folder with inputs, and every corpus folder a target")
func everyFuzzTargetHasACorpus() {
    #expect(Fixtures.fuzzCorpusTargets == FuzzEntry.targets.keys.sorted())
    for target in FuzzEntry.targets.keys.sorted() {
        #expect(!Fixtures.fuzzCorpus(target).isEmpty, "Fuzz/corpus/\(target) is empty")
    }
}
