import FuzzEntryPoints
import FuzzSupport

// libFuzzer around `FuzzEntry.pyTorch` (Sources/FuzzEntryPoints: the oracle, shared with the corpus replay tests).
@_cdecl("FuzzPyTorch_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { FuzzEntry.pyTorch(fuzzBytes($0, $1)); return 0 }
}
