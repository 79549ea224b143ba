import FuzzEntryPoints
import FuzzSupport

// libFuzzer around `FuzzEntry.audioDecode` (Sources/FuzzEntryPoints: the oracle, shared with the corpus replay tests).
@_cdecl("FuzzAudioDecode_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { FuzzEntry.audioDecode(fuzzBytes($0, $1)); return 0 }
}
