import FuzzSupport
import Weights

// PyTorch zip checkpoints (.pt, pytorch_model.bin): any bytes give a checkpoint whose every tensor
// converts to the element count of its shape, or a WeightsError; the pickle is never executed.
private func fuzzOne(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let url = fuzzFile("f.pt", fuzzBytes(data, count))
    expectOnly(WeightsError.self, from: "PyTorch checkpoint reader") {
        let checkpoint = try PyTorchCheckpoint(contentsOf: url)
        for key in checkpoint.keys {
            guard let info = checkpoint.tensors[key] else { preconditionFailure("\(key) listed without a tensor") }
            let count = info.dtype.isFloatingPoint ? try checkpoint.float32(key).count : try checkpoint.int64(key).count
            precondition(count == info.elementCount, "\(key): \(count) values for shape \(info.shape)")
        }
    }
    return 0
}

@_cdecl("FuzzPyTorch_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { fuzzOne($0, $1) }
}
