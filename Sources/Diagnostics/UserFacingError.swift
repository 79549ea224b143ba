import Foundation

/// An error caused by the user's input or environment, not by a bug.
///
/// Every module's error enum conforms, so the CLI can print one line that names the file, says what
/// went wrong and what to do, and exit with the documented code. Internal invariants use
/// `precondition` instead.
public protocol UserFacingError: Error, CustomStringConvertible, Sendable {
    /// The file (or other resource) the error is about, if any.
    var subject: String? { get }
    /// What went wrong, without the subject: "not an audio file (libsndfile: ...)".
    var reason: String { get }
    /// What the user can do about it, if there is something useful to say.
    var hint: String? { get }
    /// The documented exit code.
    var exitCode: ProcessExitCode { get }
}

extension UserFacingError {
    public var hint: String? { nil }
    public var description: String { ErrorReport.line(for: self) }
}

/// The one way errors are turned into text and exit codes.
public enum ErrorReport {
    /// One line: `<subject>: <reason> (<hint>)`. Newlines inside messages are flattened, so each
    /// failure stays one line in logs that are grepped.
    public static func line(for error: any Error) -> String {
        var text: String
        if let e = error as? any UserFacingError {
            text = e.subject.map { "\($0): \(e.reason)" } ?? e.reason
            if let hint = e.hint, !hint.isEmpty { text += " (\(hint))" }
        } else if let e = error as? CocoaError {
            let path = (e.userInfo[NSFilePathErrorKey] as? String) ?? e.filePath
            let underlying = (e.userInfo[NSUnderlyingErrorKey] as? NSError)?.localizedDescription
            text = [path, underlying ?? e.localizedDescription].compactMap { $0 }.joined(separator: ": ")
        } else {
            text = String(describing: error)
        }
        return text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    /// The exit code for any error: typed errors carry their own; Foundation file errors are mapped
    /// by their code; anything else is a bug.
    public static func exitCode(for error: any Error) -> ProcessExitCode {
        if let e = error as? any UserFacingError { return e.exitCode }
        if let e = error as? CocoaError {
            switch e.code {
            case .fileNoSuchFile, .fileReadNoSuchFile, .fileReadInvalidFileName, .fileReadCorruptFile,
                 .fileReadUnknownStringEncoding, .fileReadInapplicableStringEncoding:
                return .badInput
            case .fileReadNoPermission, .fileWriteNoPermission, .fileWriteOutOfSpace, .fileWriteVolumeReadOnly,
                 .fileWriteFileExists, .fileWriteUnknown, .fileReadUnknown, .fileLocking:
                return .ioFailure
            default:
                return .ioFailure
            }
        }
        if error is POSIXError { return .ioFailure }
        return .internalError
    }
}

private extension CocoaError {
    var filePath: String? { (userInfo[NSURLErrorKey] as? URL)?.path }
}
