import FuzzEntryPoints
import Testing
import TestSupport

/// The committed corpus of the FuzzAudioDecode fuzz target, replayed through the target's own entry point
/// (Sources/FuzzEntryPoints; a failed oracle stops the test process like a fuzz finding). CI runs this
/// suite under AddressSanitizer too (.ci/run).
@Test("every committed FuzzAudioDecode input: validated, finite audio or an AudioIOError", arguments: Fixtures.fuzzCorpus("FuzzAudioDecode"))
func replayFuzzAudioDecodeCorpus(_ input: FuzzCorpusInput) throws {
    FuzzEntry.audioDecode(try input.bytes())
}
