// Standalone release timing of DSP's LogMelSpectrogram (laion's librosa Slaney bank), kernel and FFTW twin,
// for when `swift build -c release` of the whole package is not available (BENCHMARKS.md, Log-mel round 4).
// Build (from the package root; B is a scratch folder holding a module map for CDSPKernels:
//   module CDSPKernels { header "<root>/Sources/CDSPKernels/include/CDSPKernels.h" export * }):
//   clang -O2 -c Sources/CDSPKernels/logmel.c -I Sources/CDSPKernels/include -o $B/logmel.o
//   swiftc -O -wmo -parse-as-library -module-name LinearAlgebra -emit-module -emit-module-path $B/LinearAlgebra.swiftmodule \
//     -I Sources/COpenBLAS Sources/LinearAlgebra/*.swift Sources/LinearAlgebra/*/*.swift -c -o $B/la.o
//   swiftc -O -wmo -parse-as-library -module-name DSP -emit-module -emit-module-path $B/DSP.swiftmodule -I $B \
//     -I Sources/COpenBLAS -I Sources/CFFTW3f -I $B/cdsp Sources/DSP/*.swift Sources/DSP/*/*.swift -c -o $B/dsp.o
//   swiftc -O -I $B -I Sources/COpenBLAS -I Sources/CFFTW3f -I $B/cdsp Scripts/bench/logmel_standalone.swift \
//     $B/dsp.o $B/la.o $B/logmel.o -lfftw3f -lfftw3 -lopenblas -o $B/bench
// Run: $B/bench SIGNAL.npy [runs]   (SIGNAL.npy: float32, e.g. bench_frontend.py's signal()); one JSON line per engine.
import DSP
import LinearAlgebra
import Foundation

// Standalone release timing of LogMelSpectrogram (laion bank) on the bench_frontend.py signal.
func threadCPU(_ body: () -> Void) -> Double {
    var a = timespec(), b = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a); body(); clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b)
    return Double(b.tv_sec - a.tv_sec) + Double(b.tv_nsec - a.tv_nsec) * 1e-9
}
let args = CommandLine.arguments
let data = try! Data(contentsOf: URL(fileURLWithPath: args[1]))
let header = Int(data[8]) | Int(data[9]) << 8
let samples: [Float] = data.subdata(in: (10 + header)..<data.count).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
let runs = Int(args[2]) ?? 21
let bank = MelFilterBank.librosaSlaney(sampleRate: 48000, fftSize: 1024, melBins: 64, fMin: 50, fMax: 14000)
for engine in [LogMelEngine.automatic, .fftw] {
    let lm = LogMelSpectrogram(fftSize: 1024, hopLength: 480, filterBank: bank, engine: engine)
    _ = lm(samples)
    var wall: [Double] = [], cpu: [Double] = []
    for _ in 0..<runs {
        let t = Date()
        cpu.append(threadCPU { _ = lm(samples) })
        wall.append(Date().timeIntervalSince(t))
    }
    wall.sort(); cpu.sort()
    print("{\"engine\": \"\(lm.engineDescription)\", \"median_ms\": \(wall[runs / 2] * 1e3), \"min_ms\": \(wall[0] * 1e3), \"cpu_median_ms\": \(cpu[runs / 2] * 1e3), \"cpu_min_ms\": \(cpu[0] * 1e3)}")
}
