import FuzzEntryPoints
import FuzzSupport

// libFuzzer around `FuzzEntry.manifest` (Sources/FuzzEntryPoints: the oracle, shared with the corpus replay tests).
@_cdecl("FuzzManifest_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { FuzzEntry.manifest(fuzzBytes($0, $1)); return 0 }
}
