import Foundation

/// Logs and progress go to stderr; results go to stdout. This is the only writer of stderr.
public enum StandardError {
    fileprivate static let lock = NSLock()

    /// Writes `text` followed by a newline, atomically with respect to other threads.
    public static func writeLine(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// `audio-index: error: <one line>`.
    public static func report(_ error: any Error) {
        writeLine("audio-index: error: " + ErrorReport.line(for: error))
    }

    public static func warn(_ text: String) {
        writeLine("audio-index: warning: " + text)
    }
}

extension StandardError {
    /// Writes `text` with no newline (a carriage-return progress line on a terminal).
    public static func writeRaw(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Whether stderr is a terminal (progress redraws one line) or a log file (progress prints lines).
    public static var isTerminal: Bool { isatty(STDERR_FILENO) == 1 }
}
