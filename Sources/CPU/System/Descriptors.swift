// Segment descriptors and segment-register loads (SDM Vol. 3, 3.4-3.5, 5.4-5.8, and the
// MOV/POP/LDS pseudocode in Vol. 2).

public struct Descriptor {
    public var lo: UInt64
    public var hi: UInt64 = 0     // upper 8 bytes of a 16-byte long-mode system descriptor
    public var attr: UInt32 { UInt32((lo >> 40) & 0xFF) | UInt32((lo >> 52) & 0xF) << 12 }
    public var base: UInt64 { ((lo >> 16) & 0xFF_FFFF) | ((lo >> 56) & 0xFF) << 24 }
    public var base64: UInt64 { base | (hi & 0xFFFF_FFFF) << 32 }
    public var limit: UInt32 {
        let raw = UInt32((lo & 0xFFFF) | ((lo >> 48) & 0xF) << 16)
        return lo & (1 << 55) != 0 ? raw << 12 | 0xFFF : raw
    }
    public var type: UInt32 { attr & 0xF }
    public var s: Bool { attr & 0x10 != 0 }
    public var dpl: Int { Int((attr >> 5) & 3) }
    public var present: Bool { attr & 0x80 != 0 }
    public var l: Bool { attr & 0x2000 != 0 }
    public var db: Bool { attr & 0x4000 != 0 }
    public var isCode: Bool { attr & 0x18 == 0x18 }
    public var conforming: Bool { isCode && attr & 4 != 0 }
    public var readable: Bool { !isCode || attr & 2 != 0 }
    public var writableData: Bool { s && !isCode && attr & 2 != 0 }
    // Gates
    public var gateSelector: UInt16 { UInt16((lo >> 16) & 0xFFFF) }
    public var gateOffset: UInt64 { (lo & 0xFFFF) | ((lo >> 48) & 0xFFFF) << 16 | (hi & 0xFFFF_FFFF) << 32 }
    public var gateParams: Int { Int((lo >> 32) & 0x1F) }
    public var ist: Int { Int((lo >> 32) & 7) }
    public func cache(_ sel: UInt16, long: Bool = false) -> SegmentCache {
        SegmentCache(selector: sel, base: long ? base64 : base, limit: limit, attr: attr)
    }
}

extension CPU {
    /// Linear address of a selector's descriptor, or #GP(selector) when outside the table.
    func descriptorAddress(_ sel: UInt16, size: Int = 8, fault: (UInt32) -> Fault = { .gp($0) }) throws(Fault) -> UInt64 {
        let idx = UInt64(sel & 0xFFF8)
        if sel & 4 != 0 {
            let ldt = segs[Seg.ldtr]
            if ldt.unusable || ldt.selector & 0xFFFC == 0 || idx + UInt64(size - 1) > UInt64(ldt.limit) { throw fault(UInt32(sel & 0xFFFC)) }
            return ldt.base &+ idx
        }
        if idx + UInt64(size - 1) > UInt64(s.pointee.gdtrLimit) { throw fault(UInt32(sel & 0xFFFC)) }
        return s.pointee.gdtrBase &+ idx
    }
    public func readDescriptor(_ sel: UInt16, wide: Bool = false, fault: (UInt32) -> Fault = { .gp($0) }) throws(Fault) -> Descriptor {
        let a = try descriptorAddress(sel, size: wide ? 16 : 8, fault: fault)
        var d = Descriptor(lo: try readSys(a, 8))
        if wide { d.hi = try readSys(a &+ 8, 8) }
        return d
    }
    /// Set the accessed bit (type bit 0) of a code/data descriptor (SDM Vol. 3, 3.4.5.1).
    func markAccessed(_ sel: UInt16, _ d: Descriptor) throws(Fault) {
        if d.s && d.lo & (1 << 40) == 0 {
            let a = try descriptorAddress(sel)
            try writeSys(a &+ 5, ((d.lo >> 40) & 0xFF) | 1, 1)
        }
    }
    func markBusy(_ sel: UInt16, _ busy: Bool) throws(Fault) {
        let a = try descriptorAddress(sel)
        let b = try readSys(a &+ 5, 1)
        try writeSys(a &+ 5, busy ? b | 2 : b & ~2, 1)
    }

    /// MOV/POP/Lxx to a data segment register or SS.
    public func loadSegment(_ seg: Int, _ sel: UInt16) throws(Fault) {
        if !protectedMode || v86 {
            var c = segs[seg]
            c.selector = sel; c.base = UInt64(sel) << 4
            if v86 { c.limit = 0xFFFF; c.attr = 0xF3 } else if c.unusable { c.attr = 0x93 }
            segs[seg] = c
            if seg == Seg.ss { updateMode() }
            return
        }
        let rpl = Int(sel & 3)
        if sel & 0xFFFC == 0 {
            if seg == Seg.ss {
                // A null SS is legal only in 64-bit mode at CPL < 3 with RPL = CPL.
                if !(in64 && cpl < 3 && rpl == cpl) { throw Fault.gp(0) }
                segs[seg] = SegmentCache(selector: sel, base: 0, limit: 0, attr: 0x10000 | UInt32(cpl) << 5)
                updateMode(); return
            }
            segs[seg] = SegmentCache(selector: sel, base: 0, limit: 0, attr: 0x10000)
            return
        }
        let d = try readDescriptor(sel)
        let e = UInt32(sel & 0xFFFC)
        if seg == Seg.ss {
            if rpl != cpl || !d.writableData || d.dpl != cpl { throw Fault.gp(e) }
            if !d.present { throw Fault.ss(e) }
        } else {
            if !d.s || (d.isCode && !d.readable) { throw Fault.gp(e) }
            if !d.conforming && (rpl > d.dpl || cpl > d.dpl) { throw Fault.gp(e) }
            if !d.present { throw Fault.np(e) }
        }
        try markAccessed(sel, d)
        var c = d.cache(sel)
        c.attr |= 1
        segs[seg] = c
        if seg == Seg.ss { updateMode() }
    }

    func movSE(_ i: I) throws(Fault) {
        let r = Int(i.pointee.reg & 7)
        if r == Seg.cs || r > Seg.gs { throw Fault.ud }
        try loadSegment(r, UInt16(truncatingIfNeeded: try readE(i, 2)))
        if r == Seg.ss { s.pointee.shadow = 2 }   // MOV/POP SS: also blocks #DB (SDM Vol. 3, 6.8.3)
    }
    func movES(_ i: I) throws(Fault) {
        let r = Int(i.pointee.reg & 7)
        if r > Seg.gs { throw Fault.ud }
        let v = UInt64(segs[r].selector)
        // A register destination takes the operand size (zero-extended); memory is 16 bits.
        if i.pointee.isMem { try writeMem(seg(i), ea(i), 2, v) } else { setReg(i.pointee.rm, osz(i), v) }
    }
    func pushSeg(_ i: I) throws(Fault) {
        // With a 32-bit operand, Intel CPUs write only the low 16 bits of the slot.
        let n = osz(i), v = UInt64(segs[Int(i.pointee.aux)].selector)
        if n == 2 { try push(v, 2); return }
        let sp = (stackPointer &- UInt64(n)) & mask(in64 ? 8 : s.pointee.stack32 != 0 ? 4 : 2)
        try writeMem(Seg.ss, sp, 2, v)
        adjustSP(-Int64(n))
    }
    func popSeg(_ i: I) throws(Fault) {
        let n = osz(i), r = Int(i.pointee.aux)
        let v = try peek(0, n)
        try loadSegment(r, UInt16(truncatingIfNeeded: v))
        adjustSP(Int64(n))
        if r == Seg.ss { s.pointee.shadow = 2 }   // MOV/POP SS: also blocks #DB (SDM Vol. 3, 6.8.3)
    }
    func loadFarPtr(_ i: I) throws(Fault) {
        let n = osz(i), off = ea(i), sg = seg(i)
        let o = try readMem(sg, off, n)
        let sel = try readMem(sg, off &+ UInt64(n), 2)
        try loadSegment(Int(i.pointee.aux), UInt16(sel))
        setReg(i.pointee.reg, n, o)
    }

    // MARK: LAR, LSL, VERR, VERW, ARPL (SDM Vol. 2)

    /// Descriptor visible to LAR/LSL/VERR/VERW at the current privilege, or nil (ZF = 0).
    func visibleDescriptor(_ sel: UInt16, forLimit: Bool, forVerify: Bool) -> Descriptor? {
        if sel & 0xFFFC == 0 { return nil }
        guard let d = try? readDescriptor(sel) else { return nil }
        if d.s {
            if !(d.isCode && d.conforming) && (Int(sel & 3) > d.dpl || cpl > d.dpl) { return nil }
            return d
        }
        if forVerify { return nil }
        let okTypes: [UInt32] = forLimit
            ? (longMode ? [2, 9, 0xB] : [1, 2, 3, 9, 0xB])
            : (longMode ? [2, 9, 0xB, 0xC] : [1, 2, 3, 4, 5, 9, 0xB, 0xC])
        if !okTypes.contains(d.type) { return nil }
        if Int(sel & 3) > d.dpl || cpl > d.dpl { return nil }
        return d
    }
    func requireProtected() throws(Fault) { if !protectedMode || v86 { throw Fault.ud } }
    func lar(_ i: I) throws(Fault) {
        try requireProtected()
        let sel = UInt16(truncatingIfNeeded: try readE(i, 2))
        var f = arithFlags & ~FL.zf
        if let d = visibleDescriptor(sel, forLimit: false, forVerify: false) {
            setReg(i.pointee.reg, osz(i), (d.lo >> 32) & 0x00F0_FF00); f |= FL.zf
        }
        setArithFlags(f)
    }
    func lsl(_ i: I) throws(Fault) {
        try requireProtected()
        let sel = UInt16(truncatingIfNeeded: try readE(i, 2))
        var f = arithFlags & ~FL.zf
        if let d = visibleDescriptor(sel, forLimit: true, forVerify: false) {
            setReg(i.pointee.reg, osz(i), UInt64(d.limit)); f |= FL.zf
        }
        setArithFlags(f)
    }
    func verrw(_ i: I, write: Bool) throws(Fault) {
        try requireProtected()
        let sel = UInt16(truncatingIfNeeded: try readE(i, 2))
        var f = arithFlags & ~FL.zf
        if let d = visibleDescriptor(sel, forLimit: false, forVerify: true) {
            if write ? d.writableData : d.readable { f |= FL.zf }
        }
        setArithFlags(f)
    }
    func arpl(_ i: I) throws(Fault) {
        try requireProtected()
        let dst = try readE(i, 2), src = reg(i.pointee.reg, 2)
        var f = arithFlags & ~FL.zf
        if dst & 3 < src & 3 { try writeE(i, 2, (dst & ~3) | (src & 3)); f |= FL.zf }
        setArithFlags(f)
    }
}
