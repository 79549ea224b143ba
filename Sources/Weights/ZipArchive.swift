/// The central directory of a ZIP archive whose entries are stored (not compressed), read in place
/// from a memory map: the container `torch.save` writes (PyTorch `caffe2/serialize/inline_container.cc`,
/// miniz), including the zip64 records it uses past 4 GiB. Every offset and length is checked against
/// the file before it is used; failures are `ZipArchive.Failure` with a detail the caller wraps.
///
/// Reference: PKWARE APPNOTE.TXT 6.3.9, §4.3.7 (local header), §4.3.12 (central directory header),
/// §4.3.14–4.3.16 (zip64 end of central directory record/locator, end of central directory record),
/// §4.5.3 (zip64 extended information extra field).
struct ZipArchive {
    struct Entry: Equatable {
        let name: String
        /// Byte range of the stored data within the file (compressed bytes when `method` ≠ 0).
        let data: Range<Int>
        let crc32: UInt32
        /// 0 = stored. Compressed and encrypted entries are listed (a TorchScript archive compresses its
        /// code) but only `storedBytes(of:)` reads entries, and it refuses them.
        let method: Int
        let encrypted: Bool
    }

    enum Failure: Error, Equatable {
        case corrupt(String)
        case unsupported(String)
    }

    /// Entries in central-directory order.
    let entries: [Entry]
    let byName: [String: Entry]

    /// More entries than this is not a checkpoint (a 600 MB laion_clap file has about 500).
    static let maximumEntryCount = 1_000_000

    init(_ bytes: UnsafeRawBufferPointer) throws(Failure) {
        let reader = ByteReader(bytes)
        let eocd = try Self.findEndOfCentralDirectory(reader)
        var count = Int(try reader.u16(eocd + 10))
        var cdSize = Int(try reader.u32(eocd + 12))
        var cdOffset = Int(try reader.u32(eocd + 16))
        if count == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF {
            // zip64: the locator sits just before the classic record and points at the zip64 record.
            let locator = eocd - 20
            guard locator >= 0, try reader.u32(locator) == 0x0706_4b50 else {
                throw .corrupt("the end-of-central-directory record asks for zip64 but has no zip64 locator before it")
            }
            let record = try reader.offset(try reader.u64(locator + 8), "zip64 end-of-central-directory offset")
            guard try reader.u32(record) == 0x0606_4b50 else {
                throw .corrupt("no zip64 end-of-central-directory record at byte \(record)")
            }
            count = try reader.offset(try reader.u64(record + 32), "zip64 entry count")
            cdSize = try reader.offset(try reader.u64(record + 40), "zip64 central directory size")
            cdOffset = try reader.offset(try reader.u64(record + 48), "zip64 central directory offset")
        }
        guard count <= Self.maximumEntryCount else { throw .corrupt("\(count) entries, more than the \(Self.maximumEntryCount) limit") }
        guard cdOffset <= bytes.count, cdSize <= bytes.count - cdOffset else {
            throw .corrupt("the central directory (\(cdSize) bytes at \(cdOffset)) runs past the end of the \(bytes.count)-byte file (truncated?)")
        }
        var entries: [Entry] = []
        entries.reserveCapacity(count)
        var byName: [String: Entry] = [:]
        var at = cdOffset
        for index in 0..<count {
            guard try reader.u32(at) == 0x0201_4b50 else {
                throw .corrupt("central directory entry \(index) at byte \(at) has no signature")
            }
            let flags = try reader.u16(at + 8)
            let method = try reader.u16(at + 10)
            let crc = try reader.u32(at + 16)
            var compressed = UInt64(try reader.u32(at + 20))
            var size = UInt64(try reader.u32(at + 24))
            let nameLength = Int(try reader.u16(at + 28))
            let extraLength = Int(try reader.u16(at + 30))
            let commentLength = Int(try reader.u16(at + 32))
            var localOffset = UInt64(try reader.u32(at + 42))
            let nameBytes = try reader.slice(at + 46, nameLength)
            let name = String(decoding: nameBytes, as: UTF8.self)
            // zip64 extended information: present fields are exactly those saturated in the fixed header, in this order.
            var extra = at + 46 + nameLength
            let extraEnd = extra + extraLength
            _ = try reader.slice(extra, extraLength)
            while extra + 4 <= extraEnd {
                let id = try reader.u16(extra), length = Int(try reader.u16(extra + 2))
                guard extra + 4 + length <= extraEnd else { throw .corrupt("entry '\(name)': an extra field runs past its area") }
                if id == 0x0001 {
                    var field = extra + 4
                    func next() throws(Failure) -> UInt64 {
                        guard field + 8 <= extra + 4 + length else { throw .corrupt("entry '\(name)': zip64 extra field too short") }
                        defer { field += 8 }
                        return try reader.u64(field)
                    }
                    if size == 0xFFFF_FFFF { size = try next() }
                    if compressed == 0xFFFF_FFFF { compressed = try next() }
                    if localOffset == 0xFFFF_FFFF { localOffset = try next() }
                }
                extra += 4 + length
            }
            guard method != 0 || compressed == size else { throw .corrupt("stored entry '\(name)' has compressed size \(compressed) ≠ size \(size)") }
            // Local header: its own name and extra lengths (torch pads the extra field to align the data to 64 bytes).
            let local = try reader.offset(localOffset, "entry '\(name)' local header offset")
            guard try reader.u32(local) == 0x0403_4b50 else { throw .corrupt("entry '\(name)': no local header at byte \(local)") }
            let localName = try reader.slice(local + 30, Int(try reader.u16(local + 26)))
            guard localName.elementsEqual(nameBytes) else { throw .corrupt("entry '\(name)': the local header names another file") }
            let start = local + 30 + localName.count + Int(try reader.u16(local + 28))
            let length = try reader.offset(compressed, "entry '\(name)' size")
            guard start <= bytes.count, length <= bytes.count - start else {
                throw .corrupt("entry '\(name)' (\(length) bytes at \(start)) runs past the end of the \(bytes.count)-byte file (truncated?)")
            }
            let entry = Entry(name: name, data: start..<(start + length), crc32: crc, method: Int(method), encrypted: flags & 0x1 != 0)
            guard byName.updateValue(entry, forKey: name) == nil else { throw .corrupt("entry '\(name)' appears twice") }
            entries.append(entry)
            at = extraEnd + commentLength
            guard at <= cdOffset + cdSize else { throw .corrupt("central directory entry \(index) runs past the directory") }
        }
        self.entries = entries
        self.byName = byName
    }

    /// Throws unless `entry` can be read in place: stored, not encrypted.
    static func requireStored(_ entry: Entry) throws(Failure) {
        guard !entry.encrypted else { throw .unsupported("entry '\(entry.name)' is encrypted") }
        guard entry.method == 0 else {
            throw .unsupported("entry '\(entry.name)' is compressed (method \(entry.method)); torch.save stores entries uncompressed")
        }
    }

    /// The classic end-of-central-directory record, searched backwards over the at most 65,535-byte comment.
    private static func findEndOfCentralDirectory(_ reader: ByteReader) throws(Failure) -> Int {
        let n = reader.bytes.count
        guard n >= 22 else { throw .corrupt("\(n) bytes, too short for a zip archive") }
        var at = n - 22
        let lowest = max(0, n - 22 - 0xFFFF)
        while at >= lowest {
            if try reader.u32(at) == 0x0605_4b50, at + 22 + Int(try reader.u16(at + 20)) == n { return at }
            at -= 1
        }
        throw .corrupt("no end-of-central-directory record (truncated?)")
    }

    /// CRC-32 (ISO-HDLC, reflected polynomial 0xEDB88320), the checksum zip stores per entry.
    static func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes { crc = crcTable[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
        return ~crc
    }

    private static let crcTable: [UInt32] = (0..<256).map { i in
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }
}

/// Little-endian reads at absolute offsets, each checked against the buffer.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    func slice(_ at: Int, _ length: Int) throws(ZipArchive.Failure) -> UnsafeRawBufferPointer {
        guard at >= 0, length >= 0, at <= bytes.count, length <= bytes.count - at else {
            throw .corrupt("\(length) bytes at \(at) run past the end of the \(bytes.count)-byte file (truncated?)")
        }
        return UnsafeRawBufferPointer(rebasing: bytes[at..<(at + length)])
    }
    func u16(_ at: Int) throws(ZipArchive.Failure) -> UInt16 { UInt16(littleEndian: try slice(at, 2).loadUnaligned(as: UInt16.self)) }
    func u32(_ at: Int) throws(ZipArchive.Failure) -> UInt32 { UInt32(littleEndian: try slice(at, 4).loadUnaligned(as: UInt32.self)) }
    func u64(_ at: Int) throws(ZipArchive.Failure) -> UInt64 { UInt64(littleEndian: try slice(at, 8).loadUnaligned(as: UInt64.self)) }
    /// A 64-bit offset or size that must also fit the file.
    func offset(_ v: UInt64, _ what: String) throws(ZipArchive.Failure) -> Int {
        guard v <= UInt64(bytes.count) else { throw .corrupt("\(what) \(v) is beyond the end of the \(bytes.count)-byte file (truncated?)") }
        return Int(v)
    }
}
