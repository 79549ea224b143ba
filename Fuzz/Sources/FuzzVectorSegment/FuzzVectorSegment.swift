import FuzzEntryPoints
import FuzzSupport

// libFuzzer around `FuzzEntry.vectorSegment` (Sources/FuzzEntryPoints: the oracle, shared with the corpus replay tests).
@_cdecl("FuzzVectorSegment_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { FuzzEntry.vectorSegment(fuzzBytes($0, $1)); return 0 }
}
