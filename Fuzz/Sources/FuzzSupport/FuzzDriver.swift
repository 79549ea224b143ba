import Foundation

// libFuzzer's driver entry point (compiler-rt's FuzzerDriver.cpp). SwiftPM renames an executable's
// `main` to `<Module>_main` and points the `main` symbol at it, so libFuzzer's own `main` cannot be
// used; each fuzz target's `<Module>_main` calls this driver instead.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// One fuzz input: the bytes libFuzzer chose.
public typealias FuzzBody = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

/// Runs libFuzzer with the process's arguments (`-runs=N`, `-max_total_time=S`, corpus folders…).
public func runFuzzer(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
                      _ body: FuzzBody) -> CInt {
    var count = argc
    var vector = argv
    return LLVMFuzzerRunDriver(&count, &vector, body)
}

/// The input as Swift bytes.
public func fuzzBytes(_ data: UnsafePointer<UInt8>?, _ count: Int) -> [UInt8] {
    guard let data, count > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: count))
}

/// A per-process scratch folder in memory-backed /dev/shm (readers under test take file paths).
public let fuzzScratch: URL = {
    let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    let url = URL(fileURLWithPath: base).appendingPathComponent("audio-index-fuzz-\(getpid())")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(at: fuzzScratch) }
    return url
}()

/// Writes `bytes` to `name` in the scratch folder (replacing it) and returns its URL.
public func fuzzFile(_ name: String, _ bytes: [UInt8]) -> URL {
    let url = fuzzScratch.appendingPathComponent(name)
    _ = FileManager.default.createFile(atPath: url.path, contents: Data(bytes))
    return url
}

/// The repository root (Fuzz/ is one level below it), for fixture files a target needs.
public let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Runs `body`; an error of the reader's own typed error `E` is an accepted outcome, any other error is
/// a finding (the CLI could not map it to an exit code and a message naming the file).
public func expectOnly<E: Error>(_ errorType: E.Type, from reader: String, _ body: () throws -> Void) {
    do {
        try body()
    } catch is E {
    } catch {
        preconditionFailure("untyped error from the \(reader): \(error)")
    }
}
