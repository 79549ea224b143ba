/// One 512-byte tar header block, decoded and checked.
///
/// Reference: POSIX.1-2017 `pax`, "ustar Interchange Format" (field offsets, octal numbers, the
/// checksum taken with the checksum field as spaces, `prefix` + "/" + `name`); GNU tar manual,
/// "Basic Tar Format" (base-256 numbers with the high bit of the first byte set; the old GNU magic
/// `ustar  \0`, whose bytes 345… hold times, not a prefix).
struct TarHeader {
    /// `prefix/name` for ustar, `name` otherwise; raw bytes (names need not be UTF-8).
    let name: [UInt8]
    let linkName: [UInt8]
    let size: Int64
    let type: UInt8

    init(block: [UInt8], offset: Int64, file: String) throws {
        precondition(block.count == 512)
        let rawName = Self.cString(block[0..<100])
        func bad(_ problem: String) -> ShardError {
            .badHeader(file: file, member: lossy(rawName), offset: offset, problem: problem)
        }
        guard let stored = Self.number(block[148..<156]) else { throw bad("the checksum field is not an octal number") }
        var unsignedSum: Int64 = 0
        var signedSum: Int64 = 0
        for (i, b) in block.enumerated() {
            let v: UInt8 = (148..<156).contains(i) ? 0x20 : b
            unsignedSum += Int64(v)
            signedSum += Int64(Int8(bitPattern: v))
        }
        // Some old writers summed signed chars; POSIX says unsigned. Accept either, as GNU tar does.
        guard stored == unsignedSum || stored == signedSum else {
            throw ShardError.badChecksum(file: file, member: lossy(rawName), offset: offset)
        }
        guard let size = Self.number(block[124..<136]), size >= 0 else { throw bad("the size field is not a number") }
        type = block[156]
        linkName = Self.cString(block[157..<257])
        let isUstar = Array(block[257..<263]) == Array("ustar\0".utf8)
        let prefix = isUstar ? Self.cString(block[345..<500]) : []
        name = prefix.isEmpty ? rawName : prefix + [UInt8(ascii: "/")] + rawName
        // Links, directories, devices and FIFOs have no payload whatever the size field says.
        switch type {
        case UInt8(ascii: "1"), UInt8(ascii: "2"), UInt8(ascii: "3"), UInt8(ascii: "4"), UInt8(ascii: "5"), UInt8(ascii: "6"):
            self.size = 0
        default:
            self.size = size
        }
    }

    /// The bytes up to the first NUL.
    static func cString(_ field: ArraySlice<UInt8>) -> [UInt8] {
        Array(field.prefix { $0 != 0 })
    }

    /// An octal field (leading spaces allowed, ended by NUL or space) or a GNU base-256 field;
    /// nil for anything else. An all-NUL or all-space field is 0.
    static func number(_ field: ArraySlice<UInt8>) -> Int64? {
        guard let first = field.first else { return nil }
        if first & 0x80 != 0 {
            // Base-256, big-endian two's complement; 0xFF marks a negative number.
            if first == 0xFF { return nil }
            var value: Int64 = Int64(first & 0x7F)
            for b in field.dropFirst() {
                let (shifted, o1) = value.multipliedReportingOverflow(by: 256)
                if o1 { return nil }
                value = shifted + Int64(b)
            }
            return value
        }
        var i = field.startIndex
        while i < field.endIndex && field[i] == 0x20 { i += 1 }
        var value: Int64 = 0
        var digits = 0
        while i < field.endIndex, field[i] >= 0x30, field[i] <= 0x37 {
            let (shifted, o) = value.multipliedReportingOverflow(by: 8)
            if o { return nil }
            value = shifted + Int64(field[i] - 0x30)
            digits += 1
            i += 1
        }
        // What follows the digits must be terminators only.
        while i < field.endIndex {
            if field[i] != 0 && field[i] != 0x20 { return nil }
            i += 1
        }
        return value
    }
}

/// pax extended header records: `"%d %s=%s\n"`, the length counting the whole record.
enum PaxRecords {
    static func apply(_ bytes: [UInt8], to path: inout [UInt8]?, linkPath: inout [UInt8]?, size: inout Int64?,
                      file: String, offset: Int64) throws {
        func bad(_ problem: String) -> ShardError {
            .badHeader(file: file, member: path.map(lossy), offset: offset, problem: "a malformed pax record: \(problem)")
        }
        var i = 0
        while i < bytes.count {
            // Python's tarfile pads nothing, but some writers end with NULs; accept trailing NULs only.
            if bytes[i...].allSatisfy({ $0 == 0 }) { break }
            var length = 0
            var j = i
            while j < bytes.count, bytes[j] >= 0x30, bytes[j] <= 0x39 {
                length = length * 10 + Int(bytes[j] - 0x30)
                if length > bytes.count { throw bad("a record longer than the header") }
                j += 1
            }
            guard j > i, j < bytes.count, bytes[j] == 0x20 else { throw bad("a record that does not start with its length") }
            let end = i + length
            guard end <= bytes.count, end > j + 1, bytes[end - 1] == 0x0A else {
                throw bad("a record whose length does not end at a line break")
            }
            let body = bytes[(j + 1)..<(end - 1)]
            guard let eq = body.firstIndex(of: UInt8(ascii: "=")), eq > body.startIndex else {
                throw bad("a record without \"key=value\"")
            }
            let key = String(decoding: body[body.startIndex..<eq], as: UTF8.self)
            let value = Array(body[(eq + 1)...])
            switch key {
            case "path": path = value
            case "linkpath": linkPath = value
            case "size":
                guard !value.isEmpty, value.count <= 18, value.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                      let n = Int64(String(decoding: value, as: UTF8.self)) else {
                    throw bad("size \"\(lossy(value))\" is not a decimal number")
                }
                size = n
            default: break  // mtime, uid, charset, vendor keys: not needed to locate payloads
            }
            i = end
        }
    }
}
