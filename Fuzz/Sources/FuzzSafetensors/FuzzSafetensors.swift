import FuzzEntryPoints
import FuzzSupport

// libFuzzer around `FuzzEntry.safetensors` (Sources/FuzzEntryPoints: the oracle, shared with the corpus replay tests).
@_cdecl("FuzzSafetensors_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { FuzzEntry.safetensors(fuzzBytes($0, $1)); return 0 }
}
