import Diagnostics
import FileIO
import Foundation

/// Reading and writing NumPy `.npy` files (format 1.0; 2.0 and 3.0 are also read).
///
/// Supported element types: little-endian `<f4`, `<f8`, `<i8`, C order. This is what audio-index
/// writes for features and embeddings and what its Python readers load with `numpy.load`.
/// Spec: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
public struct NPYArray: Equatable, Sendable {
    public enum DType: String, Sendable, CaseIterable {
        case float32 = "<f4"
        case float64 = "<f8"
        case int64 = "<i8"

        public var byteWidth: Int { self == .float32 ? 4 : 8 }
    }

    public enum Storage: Equatable, Sendable {
        case float32([Float])
        case float64([Double])
        case int64([Int64])
    }

    public let shape: [Int]
    public let storage: Storage

    public var dtype: DType {
        switch storage {
        case .float32: return .float32
        case .float64: return .float64
        case .int64: return .int64
        }
    }

    public var count: Int { shape.reduce(1, *) }

    public init(shape: [Int], float32 values: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == values.count, "shape \(shape) does not match \(values.count) values")
        self.shape = shape
        storage = .float32(values)
    }

    public init(shape: [Int], float64 values: [Double]) {
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == values.count, "shape \(shape) does not match \(values.count) values")
        self.shape = shape
        storage = .float64(values)
    }

    public init(shape: [Int], int64 values: [Int64]) {
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == values.count, "shape \(shape) does not match \(values.count) values")
        self.shape = shape
        storage = .int64(values)
    }

    /// The values as float32; float64 is rounded, int64 is rejected.
    public func float32Values() -> [Float]? {
        switch storage {
        case .float32(let v): return v
        case .float64(let v): return v.map { Float($0) }
        case .int64: return nil
        }
    }

    public func float64Values() -> [Double]? {
        switch storage {
        case .float32(let v): return v.map { Double($0) }
        case .float64(let v): return v
        case .int64: return nil
        }
    }

    public func int64Values() -> [Int64]? {
        if case .int64(let v) = storage { return v }
        return nil
    }
}

public enum NPYError: UserFacingError, Equatable {
    case notNPY(path: String)
    case truncated(path: String, expectedBytes: Int, actualBytes: Int)
    case malformedHeader(path: String, detail: String)
    case unsupportedDType(path: String, descr: String)
    case fortranOrder(path: String)
    case unsupportedVersion(path: String, major: UInt8, minor: UInt8)

    public var subject: String? {
        switch self {
        case .notNPY(let p), .truncated(let p, _, _), .malformedHeader(let p, _), .unsupportedDType(let p, _),
             .fortranOrder(let p), .unsupportedVersion(let p, _, _):
            return p
        }
    }

    public var reason: String {
        switch self {
        case .notNPY: return "not a NumPy .npy file (no \\x93NUMPY magic)"
        case .truncated(_, let e, let a): return "truncated .npy file: the header promises \(e) bytes of data, the file holds \(a)"
        case .malformedHeader(_, let d): return "malformed .npy header: \(d)"
        case .unsupportedDType(_, let d): return "unsupported .npy dtype '\(d)'"
        case .fortranOrder: return "the .npy array is in Fortran order"
        case .unsupportedVersion(_, let ma, let mi): return "unsupported .npy format version \(ma).\(mi)"
        }
    }

    public var hint: String? {
        switch self {
        case .unsupportedDType: return "save it as little-endian float32 ('<f4'), float64 ('<f8') or int64 ('<i8'), e.g. numpy.save(path, a.astype('<f4'))"
        case .fortranOrder: return "save a C-ordered copy: numpy.save(path, numpy.ascontiguousarray(a))"
        case .unsupportedVersion: return "this build reads versions 1.0, 2.0 and 3.0"
        case .truncated: return "the file was cut short; write it again"
        default: return nil
        }
    }

    public var exitCode: ProcessExitCode {
        switch self {
        case .unsupportedDType, .fortranOrder, .unsupportedVersion: return .unsupported
        case .notNPY, .truncated, .malformedHeader: return .corrupt
        }
    }
}

public enum NPY {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY
    /// Headers larger than this are rejected before any allocation: real ones are ~128 bytes.
    static let maximumHeaderLength = 1 << 20

    // MARK: Reading

    public static func read(contentsOf url: URL) throws -> NPYArray {
        let data = try Data(contentsOf: url, options: .alwaysMapped)
        return try data.withUnsafeBytes { try decode($0, path: url.path) }
    }

    /// Decodes an in-memory `.npy`; `path` names the source in errors.
    public static func decode(_ bytes: UnsafeRawBufferPointer, path: String) throws -> NPYArray {
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw NPYError.notNPY(path: path) }
        let major = bytes[6], minor = bytes[7]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw NPYError.truncated(path: path, expectedBytes: 12, actualBytes: bytes.count) }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw NPYError.unsupportedVersion(path: path, major: major, minor: minor)
        }
        guard minor == 0 else { throw NPYError.unsupportedVersion(path: path, major: major, minor: minor) }
        guard headerLength <= maximumHeaderLength else {
            throw NPYError.malformedHeader(path: path, detail: "header length \(headerLength) exceeds \(maximumHeaderLength) bytes")
        }
        guard bytes.count >= headerStart + headerLength else {
            throw NPYError.truncated(path: path, expectedBytes: headerStart + headerLength, actualBytes: bytes.count)
        }
        let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[headerStart..<(headerStart + headerLength)])
        let header = try parseHeader(String(decoding: headerBytes, as: UTF8.self), path: path)
        guard let dtype = NPYArray.DType(rawValue: header.descr) else { throw NPYError.unsupportedDType(path: path, descr: header.descr) }
        if header.fortranOrder && header.shape.filter({ $0 > 1 }).count > 1 { throw NPYError.fortranOrder(path: path) }

        var count = 1
        for dim in header.shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw NPYError.malformedHeader(path: path, detail: "shape \(header.shape) is too large") }
            count = product
        }
        let dataStart = headerStart + headerLength
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.byteWidth)
        guard !overflow, bytes.count - dataStart >= byteCount else {
            throw NPYError.truncated(path: path, expectedBytes: overflow ? Int.max : dataStart + byteCount, actualBytes: bytes.count)
        }
        let payload = UnsafeRawBufferPointer(rebasing: bytes[dataStart..<(dataStart + byteCount)])
        switch dtype {
        case .float32:
            let values = (0..<count).map { Float(bitPattern: UInt32(littleEndian: payload.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
            return NPYArray(shape: header.shape, float32: values)
        case .float64:
            let values = (0..<count).map { Double(bitPattern: UInt64(littleEndian: payload.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self))) }
            return NPYArray(shape: header.shape, float64: values)
        case .int64:
            let values = (0..<count).map { Int64(littleEndian: payload.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) }
            return NPYArray(shape: header.shape, int64: values)
        }
    }

    struct Header: Equatable {
        var descr: String
        var fortranOrder: Bool
        var shape: [Int]
    }

    /// Parses the Python-literal dict NumPy writes: `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
    /// Only this flat form is accepted; anything else is reported, never evaluated.
    static func parseHeader(_ text: String, path: String) throws -> Header {
        var scanner = LiteralScanner(Array(text.utf8))
        var descr: String?
        var fortran: Bool?
        var shape: [Int]?
        func fail(_ detail: String) -> NPYError { .malformedHeader(path: path, detail: detail) }

        scanner.skipSpace()
        guard scanner.consume(UInt8(ascii: "{")) else { throw fail("expected '{'") }
        while true {
            scanner.skipSpace()
            if scanner.consume(UInt8(ascii: "}")) { break }
            guard let key = scanner.quotedString() else { throw fail("expected a quoted key") }
            scanner.skipSpace()
            guard scanner.consume(UInt8(ascii: ":")) else { throw fail("expected ':' after '\(key)'") }
            scanner.skipSpace()
            switch key {
            case "descr":
                guard let value = scanner.quotedString() else { throw fail("'descr' must be a string") }
                descr = value
            case "fortran_order":
                if scanner.consumeWord("True") { fortran = true } else if scanner.consumeWord("False") { fortran = false } else { throw fail("'fortran_order' must be True or False") }
            case "shape":
                guard scanner.consume(UInt8(ascii: "(")) else { throw fail("'shape' must be a tuple") }
                var dims: [Int] = []
                while true {
                    scanner.skipSpace()
                    if scanner.consume(UInt8(ascii: ")")) { break }
                    guard let dim = scanner.integer(), dim >= 0 else { throw fail("'shape' holds a non-integer or negative dimension") }
                    dims.append(dim)
                    scanner.skipSpace()
                    if scanner.consume(UInt8(ascii: ",")) { continue }
                    guard scanner.consume(UInt8(ascii: ")")) else { throw fail("unterminated 'shape' tuple") }
                    break
                }
                shape = dims
            default:
                throw fail("unexpected key '\(key)'")
            }
            scanner.skipSpace()
            if scanner.consume(UInt8(ascii: ",")) { continue }
            guard scanner.consume(UInt8(ascii: "}")) else { throw fail("expected ',' or '}'") }
            break
        }
        guard let d = descr, let f = fortran, let s = shape else { throw fail("missing 'descr', 'fortran_order' or 'shape'") }
        return Header(descr: d, fortranOrder: f, shape: s)
    }

    // MARK: Writing

    /// The magic, version and padded header dict that precede the data of an array of `dtype` and
    /// `shape`; its length is a multiple of 64. Formats that embed `.npy` images (the vector index's
    /// segment files) compare against these bytes to validate a section without parsing it.
    public static func headerBytes(dtype: NPYArray.DType, shape: [Int]) -> [UInt8] {
        headerBytes(descr: dtype.rawValue, shape: shape)
    }

    /// The same for any dtype string NumPy understands (e.g. `<f2`, `|u1`): for files whose
    /// payload this module does not decode but NumPy must read (vector index float16 and SQ8 sections).
    public static func headerBytes(descr: String, shape: [Int]) -> [UInt8] {
        let shapeText: String
        switch shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(shape[0]),)"
        default: shapeText = "(" + shape.map(String.init).joined(separator: ", ") + ")"
        }
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = magic.count + 4 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        let headerLength = header.utf8.count
        precondition(headerLength <= Int(UInt16.max), "npy 1.0 header too long")
        return magic + [1, 0, UInt8(headerLength & 0xff), UInt8(headerLength >> 8)] + Array(header.utf8)
    }

    /// The complete file bytes: version 1.0 header padded with spaces so the data starts on a
    /// 64-byte boundary (what NumPy itself does, and what lets readers memory-map the payload).
    public static func encode(_ array: NPYArray) -> [UInt8] {
        var out = headerBytes(dtype: array.dtype, shape: array.shape)
        out.reserveCapacity(out.count + array.count * array.dtype.byteWidth)
        switch array.storage {
        case .float32(let v): for x in v { appendLittleEndian(x.bitPattern, to: &out) }
        case .float64(let v): for x in v { appendLittleEndian(x.bitPattern, to: &out) }
        case .int64(let v): for x in v { appendLittleEndian(UInt64(bitPattern: x), to: &out) }
        }
        return out
    }

    /// Writes atomically (temp file, fsync, rename): an existing file is replaced only by a complete one.
    public static func write(_ array: NPYArray, to url: URL) throws {
        try AtomicFile.write(encode(array), to: url)
    }

    private static func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }
}

/// A tiny scanner for the Python literal subset in `.npy` headers.
struct LiteralScanner {
    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func skipSpace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x09 || bytes[index] == 0x0D { index += 1 }
    }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    mutating func consumeWord(_ word: String) -> Bool {
        let w = Array(word.utf8)
        guard index + w.count <= bytes.count, Array(bytes[index..<(index + w.count)]) == w else { return false }
        index += w.count
        return true
    }

    mutating func quotedString() -> String? {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "'") || bytes[index] == UInt8(ascii: "\"") else { return nil }
        let quote = bytes[index]
        let start = index + 1
        var end = start
        while end < bytes.count, bytes[end] != quote { end += 1 }
        guard end < bytes.count else { return nil }
        index = end + 1
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    mutating func integer() -> Int? {
        let start = index
        while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
        // Python 2 era files may write `3L`.
        let digits = String(decoding: bytes[start..<index], as: UTF8.self)
        if index < bytes.count, bytes[index] == UInt8(ascii: "L") { index += 1 }
        return digits.isEmpty ? nil : Int(digits)
    }
}
