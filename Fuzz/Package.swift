// swift-tools-version:6.0
// Coverage-guided fuzzing of audio-index's readers with libFuzzer (Swift's `-sanitize=fuzzer,address`).
// A separate package so the main build never carries sanitizer flags. Build and run: Scripts/fuzz.sh.
import PackageDescription

let kit = Target.Dependency.product(name: "AudioIndexKit", package: "audio-index")

let package = Package(
    name: "audio-index-fuzz",
    dependencies: [.package(name: "audio-index", path: "..")],
    targets: [
        .target(name: "FuzzSupport"),
        // One executable per reader; each is libFuzzer's driver around one `fuzzOne` function.
        .executableTarget(name: "FuzzManifest", dependencies: ["FuzzSupport", kit]),
        .executableTarget(name: "FuzzSafetensors", dependencies: ["FuzzSupport", kit]),
        .executableTarget(name: "FuzzPyTorch", dependencies: ["FuzzSupport", kit]),
        .executableTarget(name: "FuzzTokenizer", dependencies: ["FuzzSupport", kit]),
        .executableTarget(name: "FuzzVectorSegment", dependencies: ["FuzzSupport", kit]),
        .executableTarget(name: "FuzzShard", dependencies: ["FuzzSupport", kit]),
        .executableTarget(name: "FuzzWhereFilter", dependencies: ["FuzzSupport", kit]),
    ]
)
