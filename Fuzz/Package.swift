// swift-tools-version:6.0
// Coverage-guided fuzzing of audio-index's readers with libFuzzer (Swift's `-sanitize=fuzzer,address`).
// A separate package so the main build never carries sanitizer flags. Build and run: Scripts/fuzz.sh.
// Each executable only wraps one `FuzzEntry` body of the main package's FuzzEntryPoints product (the
// readers it exercises and their dependencies; not the CLAP towers), which the readers' test suites
// also run over every committed corpus file (FuzzCorpusReplayTests).
import PackageDescription

let entries = Target.Dependency.product(name: "FuzzEntryPoints", package: "audio-index")

let package = Package(
    name: "audio-index-fuzz",
    dependencies: [.package(name: "audio-index", path: "..")],
    targets: [
        .target(name: "FuzzSupport"),
        // One executable per reader; each is libFuzzer's driver around one `FuzzEntry` function.
        .executableTarget(name: "FuzzManifest", dependencies: ["FuzzSupport", entries]),
        .executableTarget(name: "FuzzSafetensors", dependencies: ["FuzzSupport", entries]),
        .executableTarget(name: "FuzzPyTorch", dependencies: ["FuzzSupport", entries]),
        .executableTarget(name: "FuzzTokenizer", dependencies: ["FuzzSupport", entries]),
        .executableTarget(name: "FuzzVectorSegment", dependencies: ["FuzzSupport", entries]),
        .executableTarget(name: "FuzzShard", dependencies: ["FuzzSupport", entries]),
        .executableTarget(name: "FuzzWhereFilter", dependencies: ["FuzzSupport", entries]),
        .executableTarget(name: "FuzzAudioDecode", dependencies: ["FuzzSupport", entries]),
    ]
)
