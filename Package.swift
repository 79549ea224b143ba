// swift-tools-version:6.0
// audio-index: CLAP audio knowledge indexes. Dependencies point one way:
//   C libraries → leaf modules (NumPyFormat, Diagnostics, AudioIO, LinearAlgebra, DSP, Manifest, Tokenizer,
//   VectorIndex, Weights, NN) → CLAPFrontEnd and the CLAP towers → AudioIndexCLI (executable `audio-index`).
// Each C library sits behind one thin system-library target and is imported by one leaf module only.
import PackageDescription

let package = Package(
    name: "audio-index",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "audio-index", targets: ["AudioIndexCLI"]),
        .library(name: "AudioIndexKit", targets: ["NumPyFormat", "Diagnostics", "FileIO", "AudioIO", "LinearAlgebra", "DSP", "CLAPFrontEnd", "Manifest", "Tokenizer", "VectorIndex", "Weights", "NN", "Shards", "Catalog", "CLAPAudio", "CLAPText", "Pipeline"]),
        // The fuzz targets' bodies (Fuzz/ wraps them in libFuzzer; the readers' tests replay the corpora).
        .library(name: "FuzzEntryPoints", targets: ["FuzzEntryPoints"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // MARK: C libraries from Debian (one thin target each)
        .systemLibrary(name: "CSndfile", pkgConfig: "sndfile", providers: [.apt(["libsndfile1-dev"])]),
        .systemLibrary(name: "CSoxr", pkgConfig: "soxr", providers: [.apt(["libsoxr-dev"])]),
        .systemLibrary(name: "CFFTW3f", pkgConfig: "fftw3f", providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // The vector index's scoring kernels: AVX2+FMA+F16C bodies picked at run time, portable C otherwise.
        .target(name: "CVectorKernels"),

        // MARK: Leaf modules
        .target(name: "Diagnostics"),
        .target(name: "FileIO", dependencies: ["Diagnostics"]),
        .target(name: "NumPyFormat", dependencies: ["Diagnostics", "FileIO"]),
        .target(name: "AudioIO", dependencies: ["CSndfile", "CSoxr", "Diagnostics", "FileIO"]),
        .target(name: "LinearAlgebra", dependencies: ["COpenBLAS"]),
        // Our own C kernels (not a library): the frame-block log-mel, dispatched at run time to AVX-512/AVX2.
        .target(name: "CDSPKernels"),
        .target(name: "DSP", dependencies: ["CFFTW3f", "CDSPKernels", "LinearAlgebra"]),
        .target(name: "Manifest", dependencies: ["Diagnostics", "FileIO"]),
        .target(name: "Tokenizer", dependencies: ["Diagnostics"]),
        .target(name: "VectorIndex", dependencies: ["CVectorKernels", "LinearAlgebra", "FileIO", "Diagnostics", "NumPyFormat"]),
        .target(name: "Weights", dependencies: ["Diagnostics", "FileIO"]),
        // Vectorised HTSAT kernels in C (AVX2+FMA chosen at run time, portable fallback); imported by NN only.
        .target(name: "CNNKernels"),
        .target(name: "NN", dependencies: ["LinearAlgebra", "CNNKernels"]),
        .target(name: "Shards", dependencies: ["Diagnostics", "FileIO", "Manifest", "AudioIO"]),
        .target(name: "Catalog", dependencies: ["Diagnostics", .product(name: "GRDB", package: "GRDB.swift")]),
        .target(name: "CLAPAudio", dependencies: ["NN", "Weights", "LinearAlgebra", "DSP", "Diagnostics"]),

        // MARK: CLAP audio front ends (laion, laion-fusion, hf)
        .target(name: "CLAPFrontEnd", dependencies: ["DSP", "LinearAlgebra", "Diagnostics"]),

        // MARK: CLAP text tower (RoBERTa + text_projection), both checkpoint layouts
        .target(name: "CLAPText", dependencies: ["NN", "Weights", "Tokenizer", "LinearAlgebra", "Diagnostics"]),

        // MARK: Index pipeline: inputs → decode → hash → front end → encoder → vectors + catalog
        .target(name: "Pipeline", dependencies: ["Diagnostics", "FileIO", "NumPyFormat", "AudioIO", "LinearAlgebra", "DSP", "CLAPFrontEnd", "CLAPAudio", "CLAPText", "Weights", "Manifest", "Shards", "Catalog", "VectorIndex"]),

        // MARK: Fuzz targets' bodies: one oracle per reader (issue 7 items 4 and 6)
        .target(name: "FuzzEntryPoints", dependencies: ["AudioIO", "Catalog", "Manifest", "Shards", "Tokenizer", "VectorIndex", "Weights"]),

        // MARK: Thin CLI
        .executableTarget(
            name: "AudioIndexCLI",
            dependencies: [
                "Diagnostics", "FileIO", "NumPyFormat", "AudioIO", "LinearAlgebra", "DSP", "CLAPFrontEnd", "Manifest", "Tokenizer", "VectorIndex", "Weights", "CLAPText", "CLAPAudio", "Catalog", "Pipeline",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: Tests (fixtures live in Tests/Fixtures and are found relative to #filePath)
        .target(name: "TestSupport", dependencies: ["NumPyFormat", "FileIO"], path: "Tests/TestSupport"),
        .testTarget(name: "NumPyFormatTests", dependencies: ["NumPyFormat", "TestSupport"]),
        .testTarget(name: "DiagnosticsTests", dependencies: ["Diagnostics", "FileIO"]),
        .testTarget(name: "AudioIOTests", dependencies: ["FuzzEntryPoints", "AudioIO", "Diagnostics", "NumPyFormat", "TestSupport"]),
        .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra", "TestSupport"]),
        .testTarget(name: "DSPTests", dependencies: ["DSP", "LinearAlgebra", "NumPyFormat", "TestSupport"]),
        .testTarget(name: "CLAPFrontEndTests", dependencies: ["CLAPFrontEnd", "AudioIO", "DSP", "LinearAlgebra", "FileIO", "NumPyFormat", "TestSupport"]),
        .testTarget(name: "ManifestTests", dependencies: ["FuzzEntryPoints", "Manifest", "Diagnostics", "TestSupport"]),
        .testTarget(name: "TokenizerTests", dependencies: ["FuzzEntryPoints", "Tokenizer", "Diagnostics", "TestSupport"]),
        .testTarget(name: "VectorIndexTests", dependencies: ["FuzzEntryPoints", "VectorIndex", "CVectorKernels", "FileIO", "NumPyFormat", "TestSupport"]),
        .testTarget(name: "ShardsTests", dependencies: ["FuzzEntryPoints", "Shards", "Manifest", "Diagnostics", "AudioIO", "TestSupport"]),
        .testTarget(name: "CatalogTests", dependencies: ["FuzzEntryPoints", "Catalog", "Diagnostics", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "WeightsTests", dependencies: ["FuzzEntryPoints", "Weights", "Diagnostics", "NumPyFormat", "TestSupport"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "LinearAlgebra", "TestSupport"]),
        .testTarget(name: "CLAPAudioTests", dependencies: ["CLAPAudio", "CLAPFrontEnd", "AudioIO", "DSP", "Weights", "NN", "LinearAlgebra", "Diagnostics", "TestSupport"]),
        .testTarget(name: "CLAPTextTests", dependencies: ["CLAPText", "NN", "Weights", "Tokenizer", "Diagnostics", "NumPyFormat", "TestSupport"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "CLAPAudio", "CLAPFrontEnd", "Catalog", "VectorIndex", "Weights", "AudioIO", "FileIO", "NumPyFormat", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["NumPyFormat", "AudioIO", "CLAPFrontEnd", "VectorIndex", "Weights", "TestSupport"]),
    ]
)
