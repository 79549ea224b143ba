import FuzzEntryPoints
import FuzzSupport

// libFuzzer around `FuzzEntry.tokenizer` (Sources/FuzzEntryPoints: the oracle, shared with the corpus replay tests).
@_cdecl("FuzzTokenizer_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { FuzzEntry.tokenizer(fuzzBytes($0, $1)); return 0 }
}
