import FuzzSupport
import Manifest

// Manifest reader (JSONL and CSV, our own JSON parser): any bytes give entries or a ManifestError.
// The first input byte picks the encoding so one corpus covers both.
private func fuzzOne(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = fuzzBytes(data, count)
    let name = (bytes.first ?? 0) & 1 == 0 ? "m.jsonl" : "m.csv"
    let url = fuzzFile(name, Array(bytes.dropFirst()))
    expectOnly(ManifestError.self, from: "manifest reader") {
        try ManifestReader.forEach(url: url) { entry in
            precondition(!entry.id.isEmpty, "a manifest entry with an empty id was accepted")
        }
    }
    return 0
}

@_cdecl("FuzzManifest_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { fuzzOne($0, $1) }
}
