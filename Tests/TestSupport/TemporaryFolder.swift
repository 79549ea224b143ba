import Foundation

/// A fresh temporary folder that is deleted when the value is released (end of the test).
public final class TemporaryFolder {
    public let url: URL

    public init(_ label: String = "audio-index-test") throws {
        url = try Fixtures.temporaryFolder(label)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// The path of `name` inside the folder (not created).
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}
