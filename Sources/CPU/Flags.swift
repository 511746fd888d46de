// Lazy arithmetic flags (shared/design.md; QEMU's cc_op, v86's arith.rs).
//
// ccOp = kind << 2 | log2(size). The six arithmetic flags are derived on demand from
// (ccA, ccB, ccRes). Kinds whose flags are awkward to derive (shifts, multiplies, bit
// operations) store the finished flag bits in ccRes with kind `.eflags`.

public enum CC {
    public static let eflags: UInt32 = 0, add: UInt32 = 1, adc: UInt32 = 2, sub: UInt32 = 3
    public static let sbb: UInt32 = 4, logic: UInt32 = 5, inc: UInt32 = 6, dec: UInt32 = 7
}

@inline(__always) func sizeMask(_ log2: UInt32) -> UInt64 {
    log2 == 3 ? ~0 : (UInt64(1) << (8 << UInt64(log2))) &- 1
}
@inline(__always) func signBit(_ log2: UInt32) -> UInt64 { UInt64(1) << ((8 << UInt64(log2)) - 1) }
@inline(__always) func log2Size(_ bytes: Int) -> UInt32 {
    bytes == 1 ? 0 : bytes == 2 ? 1 : bytes == 4 ? 2 : 3
}

/// PF: set when the low byte of the result has an even number of ones.
@inline(__always) func parityEven(_ r: UInt64) -> Bool { (r & 0xFF).nonzeroBitCount & 1 == 0 }

extension CPU {
    @inline(__always) public func setCC(_ kind: UInt32, _ size: Int, _ a: UInt64, _ b: UInt64, _ res: UInt64) {
        s.pointee.ccOp = kind << 2 | log2Size(size)
        s.pointee.ccA = a; s.pointee.ccB = b; s.pointee.ccRes = res
    }
    /// Store finished flag bits (only the arithmetic ones are kept).
    @inline(__always) public func setArithFlags(_ f: UInt64) {
        s.pointee.ccOp = 0; s.pointee.ccRes = f & FL.arith
    }

    public var cf: Bool {
        @inline(__always) get {
            let op = s.pointee.ccOp, kind = op >> 2, m = sizeMask(op & 3)
            let a = s.pointee.ccA, b = s.pointee.ccB, r = s.pointee.ccRes
            switch kind {
            case CC.add: return r & m < a & m
            case CC.sub: return a & m < b & m
            case CC.logic: return false
            case CC.adc: let cin = (r &- a &- b) & m != 0; return (r & m) < (a & m) || (cin && r & m == a & m)
            case CC.sbb: let cin = (a &- b &- r) & m != 0; return (a & m) < (b & m) || (cin && a & m == b & m)
            case CC.inc, CC.dec: return b != 0
            default: return r & FL.cf != 0
            }
        }
    }
    public var zf: Bool {
        @inline(__always) get {
            let op = s.pointee.ccOp
            if op >> 2 == CC.eflags { return s.pointee.ccRes & FL.zf != 0 }
            return s.pointee.ccRes & sizeMask(op & 3) == 0
        }
    }
    public var sf: Bool {
        @inline(__always) get {
            let op = s.pointee.ccOp
            if op >> 2 == CC.eflags { return s.pointee.ccRes & FL.sf != 0 }
            return s.pointee.ccRes & signBit(op & 3) != 0
        }
    }
    public var of: Bool {
        @inline(__always) get {
            let op = s.pointee.ccOp, kind = op >> 2, sb = signBit(op & 3)
            let a = s.pointee.ccA, b = s.pointee.ccB, r = s.pointee.ccRes
            switch kind {
            case CC.add, CC.adc: return (~(a ^ b) & (a ^ r)) & sb != 0
            case CC.sub, CC.sbb: return ((a ^ b) & (a ^ r)) & sb != 0
            case CC.logic: return false
            case CC.inc: return r & sizeMask(op & 3) == sb
            case CC.dec: return a & sizeMask(op & 3) == sb
            default: return r & FL.of != 0
            }
        }
    }
    public var pf: Bool {
        @inline(__always) get {
            if s.pointee.ccOp >> 2 == CC.eflags { return s.pointee.ccRes & FL.pf != 0 }
            return parityEven(s.pointee.ccRes)
        }
    }
    public var af: Bool {
        @inline(__always) get {
            let op = s.pointee.ccOp, kind = op >> 2
            let a = s.pointee.ccA, b = s.pointee.ccB, r = s.pointee.ccRes
            switch kind {
            case CC.add, CC.adc, CC.sub, CC.sbb: return (a ^ b ^ r) & 0x10 != 0
            case CC.inc, CC.dec: return (a ^ r) & 0x10 != 0
            case CC.logic: return false
            default: return r & FL.af != 0
            }
        }
    }

    /// ZF, SF and PF of a result of `n` bytes, as RFLAGS bits.
    @inline(__always) func flagsSZP(_ r: UInt64, _ n: Int) -> UInt64 {
        let bits = UInt64(n * 8)
        var f: UInt64 = 0
        if r & sizeMask(log2Size(n)) == 0 { f |= FL.zf }
        if r & (UInt64(1) << (bits - 1)) != 0 { f |= FL.sf }
        if parityEven(r) { f |= FL.pf }
        return f
    }

    /// The six arithmetic flags as RFLAGS bits.
    public var arithFlags: UInt64 {
        let op = s.pointee.ccOp, kind = op >> 2
        if kind == CC.eflags { return s.pointee.ccRes & FL.arith }
        // One pass per kind: ZF, SF and PF from the result, then CF, AF and OF by kind.
        let l = op & 3, m = sizeMask(l), sb = signBit(l)
        let a = s.pointee.ccA & m, b = s.pointee.ccB & m, r = s.pointee.ccRes & m
        var f = flagsSZP(r, 1 << Int(l))
        switch kind {
        case CC.logic: return f
        case CC.add:
            if r < a { f |= FL.cf }
            if (~(a ^ b) & (a ^ r)) & sb != 0 { f |= FL.of }
            return f | ((a ^ b ^ r) & FL.af)
        case CC.sub:
            if a < b { f |= FL.cf }
            if ((a ^ b) & (a ^ r)) & sb != 0 { f |= FL.of }
            return f | ((a ^ b ^ r) & FL.af)
        case CC.inc, CC.dec:
            if s.pointee.ccB != 0 { f |= FL.cf }
            if kind == CC.inc ? r == sb : a == sb { f |= FL.of }
            return f | ((a ^ r) & FL.af)
        default:
            // ADC/SBB: rare enough for the per-flag getters.
            if cf { f |= FL.cf }; if af { f |= FL.af }; if of { f |= FL.of }
            return f
        }
    }
    /// Architectural RFLAGS.
    public var rflags: UInt64 {
        get { (s.pointee.flags & ~FL.arith) | arithFlags | 2 }
        set {
            // IF going 0 -> 1 (POPF, IRET, SYSRET, task switch...): look for pending interrupts
            // again; serviceEvents stops looking while IF = 0.
            if newValue & FL.if != 0 && s.pointee.flags & FL.if == 0 { s.pointee.eventPending = 1 }
            s.pointee.flags = (newValue & FL.defined & ~FL.arith) | 2; setArithFlags(newValue)
        }
    }
    @inline(__always) public func setCF(_ v: Bool) {
        var f = arithFlags; if v { f |= FL.cf } else { f &= ~FL.cf }; setArithFlags(f)
    }

    /// Condition codes tttn (SDM Vol. 2, Appendix B.1.4.7).
    @inline(__always) public func condition(_ cc: UInt8) -> Bool {
        let op = s.pointee.ccOp
        let kind = op >> 2
        if kind == CC.logic || ((kind == CC.inc || kind == CC.dec || kind == CC.add) && (cc >> 1 == 2 || cc >> 1 == 4)) {
            // After AND/OR/XOR/TEST (CF = OF = 0), and ZF/SF tests after INC/DEC/ADD.
            let r = s.pointee.ccRes & sizeMask(op & 3)
            let neg = r & signBit(op & 3) != 0
            let t: Bool
            switch cc >> 1 {
            case 0, 1: t = false
            case 2, 3: t = r == 0
            case 4, 6: t = neg
            case 7: t = r == 0 || neg
            default: return condition_slow(cc)
            }
            return cc & 1 == 0 ? t : !t
        }
        if kind == CC.sub {
            // Fast path for CMP/SUB: compare the original operands directly.
            let l = op & 3, m = sizeMask(l), a = s.pointee.ccA & m, b = s.pointee.ccB & m
            let sh = UInt64(64 - (8 << UInt64(l)))
            let sa = Int64(bitPattern: a << sh), sb = Int64(bitPattern: b << sh)
            let r: Bool
            switch cc >> 1 {
            case 0: return condition_slow(cc)
            case 1: r = a < b
            case 2: r = a == b
            case 3: r = a <= b
            case 4: return condition_slow(cc)
            case 5: return condition_slow(cc)
            case 6: r = sa < sb
            default: r = sa <= sb
            }
            return cc & 1 == 0 ? r : !r
        }
        return condition_slow(cc)
    }
    @inline(never) func condition_slow(_ cc: UInt8) -> Bool {
        let r: Bool
        switch cc >> 1 {
        case 0: r = of
        case 1: r = cf
        case 2: r = zf
        case 3: r = cf || zf
        case 4: r = sf
        case 5: r = pf
        case 6: r = sf != of
        default: r = zf || (sf != of)
        }
        return cc & 1 == 0 ? r : !r
    }
}
