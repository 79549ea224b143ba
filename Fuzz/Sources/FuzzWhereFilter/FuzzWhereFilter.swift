import FuzzEntryPoints
import FuzzSupport

// libFuzzer around `FuzzEntry.whereFilter` (Sources/FuzzEntryPoints: the oracle, shared with the corpus replay tests).
@_cdecl("FuzzWhereFilter_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { FuzzEntry.whereFilter(fuzzBytes($0, $1)); return 0 }
}
