import FuzzEntryPoints
import Testing
import TestSupport

/// The committed corpora of the FuzzSafetensors and FuzzPyTorch fuzz targets, replayed through the targets' own entry points
/// (Sources/FuzzEntryPoints; a failed oracle stops the test process like a fuzz finding). CI runs this
/// suite under AddressSanitizer too (.ci/run).
@Test("every committed FuzzSafetensors input: every tensor converts to its shape's element count, or a WeightsError", arguments: Fixtures.fuzzCorpus("FuzzSafetensors"))
func replayFuzzSafetensorsCorpus(_ input: FuzzCorpusInput) throws {
    FuzzEntry.safetensors(try input.bytes())
}

@Test("every committed FuzzPyTorch input: every tensor converts to its shape's element count, or a WeightsError; nothing executed",
      arguments: Fixtures.fuzzCorpus("FuzzPyTorch"))
func replayFuzzPyTorchCorpus(_ input: FuzzCorpusInput) throws {
    FuzzEntry.pyTorch(try input.bytes())
}
