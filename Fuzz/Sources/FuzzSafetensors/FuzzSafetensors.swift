import FuzzSupport
import Weights

// safetensors reader: any bytes give a validated file whose every tensor converts, or a WeightsError.
private func fuzzOne(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let url = fuzzFile("f.safetensors", fuzzBytes(data, count))
    expectOnly(WeightsError.self, from: "safetensors reader") {
        let file = try SafetensorsFile(contentsOf: url)
        for key in file.keys {
            let values = try file.float32(key)
            precondition(values.count == file.tensors[key]!.elementCount, "\(key): element count differs from shape")
        }
    }
    return 0
}

@_cdecl("FuzzSafetensors_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { fuzzOne($0, $1) }
}
