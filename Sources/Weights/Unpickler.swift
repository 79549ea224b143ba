/// The subset of Python's pickle that `torch.save` emits (protocol 2 by default, opcodes of protocols
/// 2–5 accepted), evaluated without executing anything: globals are only names, and a call (REDUCE,
/// NEWOBJ) builds a value only for an allow-list of reconstructors (`Unpickler.call`); any other call
/// yields an opaque `.object` that nothing ever runs.
///
/// Reference: CPython `Lib/pickle.py` (`_Unpickler.load_*`, opcode table) and `Lib/pickletools.py`
/// (argument encodings); torch `torch/serialization.py` (`_load`, `persistent_load`) and
/// `torch/_utils.py` (`_rebuild_tensor_v2`, `_rebuild_parameter`).
///
/// Safety: every read is bounds-checked; containers may not be changed once stored inside another
/// (this forbids cycles, which torch state dicts never have) and nest at most `maximumDepth` deep, so
/// values are finite trees that release without deep recursion.

/// A pickled Python value, as far as a checkpoint reader needs to know it.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer too wide for Int (LONG1/LONG4 over 8 bytes); only its size is kept.
    case bigInt(byteCount: Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple(PickleTuple)
    case list(PickleList)
    case dict(PickleDict)
    /// `module.name` named by GLOBAL/STACK_GLOBAL; never imported.
    case global(module: String, name: String)
    /// A typed storage from a BINPERSID `('storage', torch.XStorage, key, location, numel)`.
    case storage(PickleStorage)
    case tensor(PickleTensor)
    /// `numpy.dtype(...)`, finished by BUILD with its byte order.
    case numpyDType(NumpyDType)
    /// Anything else a call produced; `what` says which constructor, for messages.
    case object(what: String)

    var depth: Int {
        switch self {
        case .tuple(let t): return t.depth
        case .list(let l): return l.depth
        case .dict(let d): return d.depth
        default: return 0
        }
    }

    /// Short description for error messages ("a list", "torch.nn.Module instance"…).
    var kind: String {
        switch self {
        case .none: return "None"
        case .bool: return "a bool"
        case .int, .bigInt: return "an int"
        case .float: return "a float"
        case .string: return "a str"
        case .bytes: return "bytes"
        case .tuple: return "a tuple"
        case .list: return "a list"
        case .dict: return "a dict"
        case .global(let m, let n): return "the global \(m).\(n)"
        case .storage: return "a storage"
        case .tensor: return "a tensor"
        case .numpyDType: return "a numpy dtype"
        case .object(let what): return what
        }
    }
}

final class PickleTuple {
    let items: [PickleValue]
    let depth: Int
    init(_ items: [PickleValue]) {
        self.items = items
        depth = 1 + (items.map(\.depth).max() ?? 0)
    }
}

final class PickleList {
    var items: [PickleValue] = []
    var depth = 1
    /// Set once the list is stored inside another container; further appends are refused.
    var sealed = false
}

final class PickleDict {
    /// In insertion order (OrderedDict and dict alike); keys as pickled.
    var items: [(key: PickleValue, value: PickleValue)] = []
    var depth = 1
    var sealed = false

    func value(forKey key: String) -> PickleValue? {
        for item in items { if case .string(key) = item.key { return item.value } }
        return nil
    }
}

final class NumpyDType {
    /// The type string given to `numpy.dtype`, e.g. "f8", "i8", "b1".
    let code: String
    /// "<", ">", "|" or "=" from the BUILD state; "" until then.
    var byteOrder = ""
    init(code: String) { self.code = code }
}

struct PickleStorage {
    let key: String
    /// `torch.FloatStorage` → .float32 …; nil for storages this reader does not decode (complex, quantized).
    let dtype: TensorDType?
    let typeName: String
    let elementCount: Int
}

struct PickleTensor {
    let storage: PickleStorage
    let offset: Int
    let shape: [Int]
    let stride: [Int]
}

struct Unpickler {
    struct Failure: Error, Equatable {
        let detail: String
        /// True when the bytes are valid pickle this reader does not implement (not corruption).
        let unsupported: Bool
    }

    static let maximumDepth = 100

    private let bytes: UnsafeRawBufferPointer
    private var at = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]

    /// Decodes the single pickled object in `bytes` (which must end at STOP; trailing bytes are ignored,
    /// as pickle.loads does).
    static func load(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> PickleValue {
        var u = Unpickler(bytes: bytes)
        return try u.run()
    }

    private init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    private func corrupt(_ detail: String) -> Failure { Failure(detail: "pickle byte \(at): \(detail)", unsupported: false) }
    private func unsupported(_ detail: String) -> Failure { Failure(detail: "pickle byte \(at): \(detail)", unsupported: true) }

    // MARK: Reading arguments

    private mutating func take(_ n: Int) throws(Failure) -> UnsafeRawBufferPointer {
        guard n >= 0, n <= bytes.count - at else { throw corrupt("\(n)-byte argument runs past the end of data.pkl (\(bytes.count) bytes)") }
        defer { at += n }
        return UnsafeRawBufferPointer(rebasing: bytes[at..<(at + n)])
    }
    private mutating func u8() throws(Failure) -> Int { Int(try take(1)[0]) }
    private mutating func u16() throws(Failure) -> Int { Int(UInt16(littleEndian: try take(2).loadUnaligned(as: UInt16.self))) }
    private mutating func u32() throws(Failure) -> Int { Int(UInt32(littleEndian: try take(4).loadUnaligned(as: UInt32.self))) }
    private mutating func i32() throws(Failure) -> Int { Int(Int32(littleEndian: try take(4).loadUnaligned(as: Int32.self))) }
    private mutating func length64() throws(Failure) -> Int {
        let v = UInt64(littleEndian: try take(8).loadUnaligned(as: UInt64.self))
        guard v <= UInt64(bytes.count) else { throw corrupt("length \(v) is beyond the end of data.pkl") }
        return Int(v)
    }
    private mutating func utf8(_ n: Int) throws(Failure) -> String {
        let raw = try take(n)
        guard let s = String(validating: raw, as: UTF8.self) else { throw corrupt("a string is not valid UTF-8") }
        return s
    }
    /// A newline-terminated ASCII line (GLOBAL's arguments).
    private mutating func line() throws(Failure) -> String {
        guard let end = bytes[at...].firstIndex(of: 0x0A) else { throw corrupt("GLOBAL name has no newline") }
        let s = try utf8(end - at)
        at += 1
        return s
    }
    /// LONG1/LONG4 payload: little-endian two's complement.
    private mutating func long(_ n: Int) throws(Failure) -> PickleValue {
        let raw = try take(n)
        guard n <= 8 else { return .bigInt(byteCount: n) }
        guard n > 0 else { return .int(0) }
        var v: UInt64 = 0
        for i in 0..<n { v |= UInt64(raw[i]) << (8 * UInt64(i)) }
        if n < 8, raw[n - 1] & 0x80 != 0 { v |= ~0 << (8 * UInt64(n)) }  // sign-extend
        return .int(Int(Int64(bitPattern: v)))
    }

    // MARK: Stack

    private mutating func pop() throws(Failure) -> PickleValue {
        guard let v = stack.popLast() else { throw corrupt("stack underflow") }
        if let m = marks.last, stack.count < m { throw corrupt("an opcode reached below the current MARK") }
        return v
    }
    private mutating func popMark() throws(Failure) -> [PickleValue] {
        guard let m = marks.popLast() else { throw corrupt("no MARK to pop to") }
        guard m <= stack.count else { throw corrupt("MARK below the stack") }
        defer { stack.removeSubrange(m...) }
        return Array(stack[m...])
    }
    /// The top of the stack above the current MARK (Python keeps a separate stack per MARK).
    private func top(_ opcode: String) throws(Failure) -> PickleValue {
        guard let v = stack.last, stack.count > (marks.last ?? 0) else { throw corrupt("\(opcode) with nothing on the stack") }
        return v
    }
    private mutating func push(_ v: PickleValue) throws(Failure) {
        guard v.depth <= Self.maximumDepth else { throw unsupported("values nest deeper than \(Self.maximumDepth) levels") }
        stack.append(v)
    }

    /// Marks `child` as stored inside `parent` and grows the parent's depth (checked on push of parents).
    private func seal(_ child: PickleValue) {
        switch child {
        case .list(let l): l.sealed = true
        case .dict(let d): d.sealed = true
        default: break
        }
    }
    private func checkDepth(_ d: Int) throws(Failure) {
        guard d <= Self.maximumDepth else { throw unsupported("values nest deeper than \(Self.maximumDepth) levels") }
    }
    private mutating func append(_ items: [PickleValue], to target: PickleValue) throws(Failure) {
        guard case .list(let l) = target else {
            if case .object = target { return }  // an opaque object's own append protocol: ignored, never run
            throw unsupported("APPEND to \(target.kind)")
        }
        guard !l.sealed else { throw unsupported("a list is changed after being stored elsewhere (recursive data)") }
        for v in items { seal(v); l.depth = max(l.depth, v.depth + 1) }
        try checkDepth(l.depth)
        l.items += items
    }
    private mutating func setItems(_ flat: [PickleValue], in target: PickleValue) throws(Failure) {
        guard flat.count % 2 == 0 else { throw corrupt("SETITEMS with an odd number of items") }
        guard case .dict(let d) = target else {
            if case .object = target { return }
            throw unsupported("SETITEM on \(target.kind)")
        }
        guard !d.sealed else { throw unsupported("a dict is changed after being stored elsewhere (recursive data)") }
        for i in stride(from: 0, to: flat.count, by: 2) {
            seal(flat[i]); seal(flat[i + 1])
            d.depth = max(d.depth, flat[i].depth + 1, flat[i + 1].depth + 1)
            d.items.append((flat[i], flat[i + 1]))
        }
        try checkDepth(d.depth)
    }
    private func tuple(_ items: [PickleValue]) -> PickleValue {
        items.forEach(seal)
        return .tuple(PickleTuple(items))
    }

    // MARK: Main loop

    private mutating func run() throws(Failure) -> PickleValue {
        while true {
            let op = try u8()
            switch op {
            case 0x80:  // PROTO
                let p = try u8()
                guard (2...5).contains(p) else { throw unsupported("pickle protocol \(p); torch.save writes 2") }
            case 0x95: _ = try length64()  // FRAME: framing only, the opcodes follow inline
            case 0x2E:  // STOP
                guard marks.isEmpty else { throw corrupt("STOP inside a MARK") }
                guard stack.count == 1 else { throw corrupt("STOP with \(stack.count) values on the stack") }
                return stack[0]
            case 0x28: marks.append(stack.count)  // MARK
            case 0x7D: try push(.dict(PickleDict()))  // EMPTY_DICT
            case 0x5D, 0x8F: try push(.list(PickleList()))  // EMPTY_LIST, EMPTY_SET (a set is read as a list)
            case 0x29: try push(tuple([]))  // EMPTY_TUPLE
            case 0x85: let a = try pop(); try push(tuple([a]))  // TUPLE1
            case 0x86: let b = try pop(), a = try pop(); try push(tuple([a, b]))  // TUPLE2
            case 0x87: let c = try pop(), b = try pop(), a = try pop(); try push(tuple([a, b, c]))  // TUPLE3
            case 0x74: try push(tuple(try popMark()))  // TUPLE
            case 0x91: try push(tuple(try popMark()))  // FROZENSET (as a tuple)
            case 0x6C:  // LIST
                let items = try popMark(), l = PickleList()
                try append(items, to: .list(l)); try push(.list(l))
            case 0x64:  // DICT
                let items = try popMark(), d = PickleDict()
                try setItems(items, in: .dict(d)); try push(.dict(d))
            case 0x4E: try push(.none)  // NONE
            case 0x88: try push(.bool(true))  // NEWTRUE
            case 0x89: try push(.bool(false))  // NEWFALSE
            case 0x4B: try push(.int(try u8()))  // BININT1
            case 0x4D: try push(.int(try u16()))  // BININT2
            case 0x4A: try push(.int(try i32()))  // BININT
            case 0x8A: try push(try long(try u8()))  // LONG1
            case 0x8B:  // LONG4
                let n = try i32()
                guard n >= 0 else { throw corrupt("LONG4 with negative length") }
                try push(try long(n))
            case 0x47:  // BINFLOAT: big-endian IEEE double
                try push(.float(Double(bitPattern: UInt64(bigEndian: try take(8).loadUnaligned(as: UInt64.self)))))
            case 0x58: try push(.string(try utf8(try u32())))  // BINUNICODE
            case 0x8C: try push(.string(try utf8(try u8())))  // SHORT_BINUNICODE
            case 0x8D: try push(.string(try utf8(try length64())))  // BINUNICODE8
            case 0x43: try push(.bytes(Array(try take(try u8()))))  // SHORT_BINBYTES
            case 0x42: try push(.bytes(Array(try take(try u32()))))  // BINBYTES
            case 0x8E: try push(.bytes(Array(try take(try length64()))))  // BINBYTES8
            case 0x55: try push(.bytes(Array(try take(try u8()))))  // SHORT_BINSTRING (Python 2 str)
            case 0x54:  // BINSTRING
                let n = try i32()
                guard n >= 0 else { throw corrupt("BINSTRING with negative length") }
                try push(.bytes(Array(try take(n))))
            case 0x63:  // GLOBAL "module\nname\n"
                let module = try line(), name = try line()
                try push(.global(module: module, name: name))
            case 0x93:  // STACK_GLOBAL
                let n = try pop(), m = try pop()
                guard case .string(let module) = m, case .string(let name) = n else { throw corrupt("STACK_GLOBAL needs two strings") }
                try push(.global(module: module, name: name))
            case 0x52:  // REDUCE
                let args = try pop(), callable = try pop()
                try push(try call(callable, args))
            case 0x81:  // NEWOBJ: cls.__new__(cls, *args) — never run
                let args = try pop(), cls = try pop()
                seal(args)
                try push(.object(what: Self.instanceName(cls)))
            case 0x92:  // NEWOBJ_EX
                let kwargs = try pop(), args = try pop(), cls = try pop()
                seal(kwargs); seal(args)
                try push(.object(what: Self.instanceName(cls)))
            case 0x51:  // BINPERSID
                try push(try persistentLoad(try pop()))
            case 0x62:  // BUILD: obj.__setstate__(state); only a numpy dtype's byte order matters
                let state = try pop()
                let target = try top("BUILD")
                seal(state)
                if case .numpyDType(let d) = target, case .tuple(let t) = state, t.items.count > 1, case .string(let order) = t.items[1] {
                    d.byteOrder = order
                }
            case 0x73:  // SETITEM
                let v = try pop(), k = try pop()
                let target = try top("SETITEM")
                try setItems([k, v], in: target)
            case 0x75:  // SETITEMS
                let items = try popMark()
                let target = try top("SETITEMS")
                try setItems(items, in: target)
            case 0x61:  // APPEND
                let v = try pop()
                let target = try top("APPEND")
                try append([v], to: target)
            case 0x65, 0x90:  // APPENDS, ADDITEMS
                let items = try popMark()
                let target = try top("APPENDS")
                try append(items, to: target)
            case 0x71: try put(try u8())  // BINPUT
            case 0x72: try put(try u32())  // LONG_BINPUT
            case 0x94: try put(memo.count)  // MEMOIZE
            case 0x68: try get(try u8())  // BINGET
            case 0x6A: try get(try u32())  // LONG_BINGET
            case 0x30: _ = try pop()  // POP
            case 0x31: _ = try popMark()  // POP_MARK
            case 0x32:  // DUP
                try push(try top("DUP"))
            default:
                let printable = (0x20..<0x7F).contains(op) ? " '\(Character(Unicode.Scalar(UInt8(op))))'" : ""
                throw unsupported("opcode 0x\(String(op, radix: 16))\(printable), which torch.save does not emit")
            }
        }
    }

    private mutating func put(_ index: Int) throws(Failure) {
        memo[index] = try top("PUT")
    }
    private mutating func get(_ index: Int) throws(Failure) {
        guard let v = memo[index] else { throw corrupt("memo GET \(index) was never PUT") }
        try push(v)
    }

    private static func instanceName(_ cls: PickleValue) -> String {
        if case .global(let m, let n) = cls { return "a \(m).\(n) instance" }
        return "an object"
    }

    // MARK: Allow-listed reconstructors

    /// `callable(*args)` for the reconstructors checkpoints use; any other global becomes an opaque
    /// object without being run.
    private mutating func call(_ callable: PickleValue, _ args: PickleValue) throws(Failure) -> PickleValue {
        guard case .global(let module, let name) = callable else { throw corrupt("REDUCE on \(callable.kind), not a global") }
        guard case .tuple(let t) = args else { throw corrupt("REDUCE arguments are \(args.kind), not a tuple") }
        seal(args)
        let a = t.items
        switch (module, name) {
        case ("collections", "OrderedDict"), ("builtins", "dict"), ("__builtin__", "dict"):
            guard a.isEmpty else { return .object(what: "a \(module).\(name)(…) call") }
            return .dict(PickleDict())
        case ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor"):
            // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
            guard a.count >= 4, case .storage(let s) = a[0], case .int(let offset) = a[1],
                  let shape = Self.ints(a[2]), let stride = Self.ints(a[3]) else {
                throw corrupt("\(name) with arguments that are not (storage, offset, size, stride, …)")
            }
            guard shape.count == stride.count else { throw corrupt("tensor size \(shape) and stride \(stride) differ in rank") }
            return .tensor(PickleTensor(storage: s, offset: offset, shape: shape, stride: stride))
        case ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"):
            guard let data = a.first, case .tensor = data else { throw corrupt("\(name) without a tensor") }
            return data
        case ("torch._tensor", "_rebuild_from_type_v2"):
            // _rebuild_from_type_v2(func, new_type, args, state): the tensor func(*args) makes, retyped.
            guard a.count >= 3 else { throw corrupt("_rebuild_from_type_v2 with \(a.count) arguments") }
            return try call(a[0], a[2])
        case ("numpy", "dtype"):
            guard let first = a.first, case .string(let code) = first else { return .object(what: "a numpy.dtype") }
            return .numpyDType(NumpyDType(code: code))
        case ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"):
            guard a.count == 2, case .numpyDType(let d) = a[0], case .bytes(let raw) = a[1] else {
                return .object(what: "a numpy scalar")
            }
            return Self.numpyScalar(d, raw) ?? .object(what: "a numpy \(d.code) scalar")
        case ("_codecs", "encode"):
            // Protocol 2 pickles bytes as _codecs.encode(str, 'latin1').
            guard a.count == 2, case .string(let s) = a[0], case .string(let codec) = a[1],
                  ["latin1", "latin-1", "iso-8859-1"].contains(codec.lowercased()) else {
                return .object(what: "an _codecs.encode call")
            }
            var out: [UInt8] = []
            for scalar in s.unicodeScalars {
                guard scalar.value <= 0xFF else { throw corrupt("_codecs.encode latin1 of a character above U+00FF") }
                out.append(UInt8(scalar.value))
            }
            return .bytes(out)
        default:
            return .object(what: "a \(module).\(name)(…) value")
        }
    }

    private static func ints(_ v: PickleValue) -> [Int]? {
        guard case .tuple(let t) = v else { return nil }
        var out: [Int] = []
        for item in t.items {
            guard case .int(let i) = item else { return nil }
            out.append(i)
        }
        return out
    }

    /// A numpy scalar from its dtype and raw bytes (numpy `scalar(dtype, bytes)`), for the kinds
    /// checkpoints hold: little-endian or single-byte floats, ints and bools.
    private static func numpyScalar(_ d: NumpyDType, _ raw: [UInt8]) -> PickleValue? {
        guard d.byteOrder != ">", let kind = d.code.first, let width = Int(d.code.dropFirst()), raw.count == width else { return nil }
        var bits: UInt64 = 0
        for (i, b) in raw.enumerated() where i < 8 { bits |= UInt64(b) << (8 * UInt64(i)) }
        switch (kind, width) {
        case ("f", 8): return .float(Double(bitPattern: bits))
        case ("f", 4): return .float(Double(Float(bitPattern: UInt32(bits))))
        case ("f", 2): return .float(Double(Float(Float16(bitPattern: UInt16(bits)))))
        case ("i", 1), ("i", 2), ("i", 4), ("i", 8):
            let shift = UInt64(64 - 8 * width)
            return .int(Int(Int64(bitPattern: bits << shift) >> Int64(shift)))
        case ("u", 1), ("u", 2), ("u", 4):
            return .int(Int(bits))
        case ("u", 8): return bits <= UInt64(Int.max) ? .int(Int(bits)) : .bigInt(byteCount: 8)
        case ("b", 1): return .bool(bits != 0)
        default: return nil
        }
    }

    /// torch `persistent_load`: `('storage', storage_type, key, location, numel)`.
    private func persistentLoad(_ pid: PickleValue) throws(Failure) -> PickleValue {
        guard case .tuple(let t) = pid, t.items.count == 5, case .string("storage") = t.items[0],
              case .global(let module, let typeName) = t.items[1], case .string(let key) = t.items[2],
              case .int(let numel) = t.items[4] else {
            throw unsupported("a persistent id that is not ('storage', type, key, location, numel)")
        }
        guard numel >= 0 else { throw corrupt("storage '\(key)' has negative size \(numel)") }
        guard module == "torch" || module == "torch.storage" else {
            throw unsupported("storage type \(module).\(typeName)")
        }
        let dtype: TensorDType?
        switch typeName {
        case "FloatStorage": dtype = .float32
        case "HalfStorage": dtype = .float16
        case "BFloat16Storage": dtype = .bfloat16
        case "DoubleStorage": dtype = .float64
        case "LongStorage": dtype = .int64
        case "IntStorage": dtype = .int32
        case "ShortStorage": dtype = .int16
        case "CharStorage": dtype = .int8
        case "ByteStorage", "UntypedStorage": dtype = .uint8
        case "BoolStorage": dtype = .bool
        default: dtype = nil
        }
        return .storage(PickleStorage(key: key, dtype: dtype, typeName: "\(module).\(typeName)", elementCount: numel))
    }
}
