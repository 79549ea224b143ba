import FuzzEntryPoints
import FuzzSupport

// libFuzzer around `FuzzEntry.shard` (Sources/FuzzEntryPoints: the oracle, shared with the corpus replay tests).
@_cdecl("FuzzShard_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { FuzzEntry.shard(fuzzBytes($0, $1)); return 0 }
}
