/// One decoded instruction, as a translated block stores it: a plain value with no
/// references, read by the dispatch loop without re-decoding (shared/examples.md, 2).
public struct Insn {
    public var h: H = .invalid
    public var form: UInt16 = 0xFFFF
    public var len: UInt8 = 0
    public var osz: UInt8 = 4          // operand size in bytes
    public var asz: UInt8 = 4          // address size in bytes
    public var seg: UInt8 = UInt8(Seg.ds)
    public var reg: UInt8 = 0          // ModRM.reg operand (G, Sw, Cd, Dd); byte regs 16..19 = AH..BH
    public var rm: UInt8 = 0           // register operand E / Z / accumulator when not memory
    public var base: UInt8 = Insn.none // 16 = RIP-relative
    public var index: UInt8 = Insn.none
    public var scale: UInt8 = 0
    public var pfx: UInt8 = 0          // Insn.mem, .rep, .repne, .lock, .rex, .segOverride
    public var aux: UInt8 = 0
    public var vreg: UInt8 = 0         // VEX.vvvv
    public var cycles: UInt8 = 1
    /// SIMD forms: bit 0 VEX-encoded, bit 1 VEX.L = 1 (256-bit), bit 2 VEX.W = 1, bit 3 aligned.
    public var vex: UInt8 = 0
    /// SIMD forms: size in bytes of the memory operand (1..32).
    public var msz: UInt8 = 0
    public var disp: Int32 = 0
    public var imm: UInt64 = 0
    public var imm2: UInt64 = 0

    public static let none: UInt8 = 0xFF, ripRel: UInt8 = 16
    /// `form` of an instruction that is undefined (#UD), and of one swemu knows the encoding
    /// and length of but does not implement yet (x87, SSE, AVX...; `h` is `.invalid`: #UD).
    public static let invalidForm: UInt16 = 0xFFFF, knownForm: UInt16 = 0xFFFE
    /// Known to the CPU model but not implemented (decodes with its length; runs as #UD).
    @inline(__always) public var isKnownUnimplemented: Bool { form == Insn.knownForm }
    public static let mem: UInt8 = 1, rep: UInt8 = 2, repne: UInt8 = 4, lock: UInt8 = 8
    public static let rex: UInt8 = 16, segOverride: UInt8 = 32, opsizePrefix: UInt8 = 64, rexW: UInt8 = 128

    @inline(__always) public var isMem: Bool { pfx & Insn.mem != 0 }
    /// bit 3: the memory operand must be aligned to its size (#GP(0) otherwise).
    public static let vexEncoded: UInt8 = 1, vexL: UInt8 = 2, vexW: UInt8 = 4, vexAligned: UInt8 = 8
    @inline(__always) public var isVEX: Bool { vex & Insn.vexEncoded != 0 }
    @inline(__always) public var is256: Bool { vex & Insn.vexL != 0 }
    public init() {}
}

/// Where the decoder gets bytes from: guest memory through the CPU, or a buffer.
public protocol ByteSource {
    mutating func next() throws(Fault) -> UInt8
}

public struct BufferSource: ByteSource {
    let bytes: UnsafeBufferPointer<UInt8>
    var pos = 0
    public init(_ b: UnsafeBufferPointer<UInt8>) { bytes = b }
    @inline(__always) public mutating func next() throws(Fault) -> UInt8 {
        if pos >= bytes.count { throw Fault.pf(0) }   // ran off the end: treated as incomplete
        defer { pos += 1 }
        return bytes[pos]
    }
}
