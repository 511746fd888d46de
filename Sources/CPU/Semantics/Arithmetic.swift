// Integer arithmetic and logic (SDM Vol. 2: ADD, ADC, SUB, SBB, AND, OR, XOR, CMP, TEST, INC,
// DEC, NEG, NOT, MUL, IMUL, DIV, IDIV, CBW/CWDE/CDQE, CWD/CDQ/CQO, DAA, DAS, AAA, AAS, AAM, AAD).

extension CPU {
    /// The eight group-1 operations (ModRM.reg order): the result, without touching flags.
    @inline(__always) func aluResult(_ op: UInt8, _ size: Int, _ a: UInt64, _ b: UInt64) -> UInt64 {
        let m = mask(size)
        switch op {
        case 0: return (a &+ b) & m
        case 1: return (a | b) & m
        case 2: return (a &+ b &+ (cf ? 1 : 0)) & m
        case 3: return (a &- b &- (cf ? 1 : 0)) & m
        case 4: return (a & b) & m
        case 5, 7: return (a &- b) & m
        default: return (a ^ b) & m
        }
    }
    @inline(__always) func aluFlags(_ op: UInt8, _ size: Int, _ a: UInt64, _ b: UInt64, _ r: UInt64) {
        switch op {
        case 0: setCC(CC.add, size, a, b, r)
        case 2: setCC(CC.adc, size, a, b, r)
        case 3: setCC(CC.sbb, size, a, b, r)
        case 5, 7: setCC(CC.sub, size, a, b, r)
        default: setCC(CC.logic, size, 0, 0, r)
        }
    }
    @inline(__always) func alu(_ op: UInt8, _ size: Int, _ a: UInt64, _ b: UInt64) -> UInt64 {
        let r = aluResult(op, size, a, b); aluFlags(op, size, a, b, r); return r
    }
    /// E op= b, with the memory write done before flags change (restartable faults).
    @inline(__always) func aluE(_ i: I, _ op: UInt8, _ n: Int, _ b: UInt64) throws(Fault) {
        if i.pointee.isMem {
            let off = ea(i), sg = seg(i)
            let a = op == 7 ? try readMem(sg, off, n) : try readRMW(sg, off, n)
            if op == 7 { aluFlags(7, n, a, b, (a &- b) & mask(n)); return }
            let r = aluResult(op, n, a, b)
            try writeMem(sg, off, n, r)
            aluFlags(op, n, a, b, r)
        } else {
            let r = alu(op, n, reg(i.pointee.rm, n), b)
            if op != 7 { setReg(i.pointee.rm, n, r) }
        }
    }

    func aluEG(_ i: I) throws(Fault) { let n = osz(i); try aluE(i, i.pointee.aux, n, reg(i.pointee.reg, n)) }
    func aluGE(_ i: I) throws(Fault) {
        let n = osz(i), op = i.pointee.aux
        let r = alu(op, n, reg(i.pointee.reg, n), try readE(i, n))
        if op != 7 { setReg(i.pointee.reg, n, r) }
    }
    func aluEI(_ i: I) throws(Fault) { let n = osz(i); try aluE(i, i.pointee.aux, n, i.pointee.imm & mask(n)) }
    func testEG(_ i: I) throws(Fault) {
        let n = osz(i)
        setCC(CC.logic, n, 0, 0, try readE(i, n) & reg(i.pointee.reg, n))
    }
    func testEI(_ i: I) throws(Fault) {
        let n = osz(i)
        setCC(CC.logic, n, 0, 0, try readE(i, n) & i.pointee.imm & mask(n))
    }
    func incdec(_ i: I, _ dec: Bool) throws(Fault) {
        let n = osz(i)
        let a = i.pointee.isMem ? try readRMW(seg(i), ea(i), n) : reg(i.pointee.rm, n)
        let r = (dec ? a &- 1 : a &+ 1) & mask(n)
        try writeE(i, n, r)
        let c: UInt64 = cf ? 1 : 0
        setCC(dec ? CC.dec : CC.inc, n, a, c, r)
    }
    func notE(_ i: I) throws(Fault) { let n = osz(i); try rmwE(i, n) { ~$0 & self.mask(n) } }
    func negE(_ i: I) throws(Fault) {
        let n = osz(i)
        let a = i.pointee.isMem ? try readRMW(seg(i), ea(i), n) : reg(i.pointee.rm, n)
        let r = (0 &- a) & mask(n)
        try writeE(i, n, r)
        setCC(CC.sub, n, 0, a, r)
    }

    /// Flags after a multiply: CF = OF = upper half significant; SF/ZF/PF from the low half
    /// (architecturally undefined; this is what Intel Core CPUs produce for SF and ZF... the
    /// difftest masks them).
    @inline(__always) func mulFlags(_ n: Int, _ lo: UInt64, _ overflow: Bool) {
        setArithFlags(flagsSZP(lo, n) | (overflow ? (FL.cf | FL.of) : 0))
    }

    func mulE(_ i: I) throws(Fault) {
        let n = osz(i), b = try readE(i, n)
        switch n {
        case 1:
            let r = (gpr[0] & 0xFF) * b
            setReg(0, 2, r); mulFlags(1, r, r >> 8 != 0)
        case 2:
            let r = (gpr[0] & 0xFFFF) * b
            setReg(0, 2, r); setReg(2, 2, r >> 16); mulFlags(2, r, r >> 16 != 0)
        case 4:
            let r = (gpr[0] & 0xFFFF_FFFF) * b
            setReg(0, 4, r); setReg(2, 4, r >> 32); mulFlags(4, r, r >> 32 != 0)
        default:
            let (hi, lo) = gpr[0].multipliedFullWidth(by: b)
            gpr[0] = lo; gpr[2] = hi; mulFlags(8, lo, hi != 0)
        }
    }
    func imulE(_ i: I) throws(Fault) {
        let n = osz(i), b = sx(try readE(i, n), n)
        switch n {
        case 1:
            let r = Int64(Int8(truncatingIfNeeded: gpr[0])) * b
            setReg(0, 2, UInt64(bitPattern: r)); mulFlags(1, UInt64(bitPattern: r), r != Int64(Int8(truncatingIfNeeded: r)))
        case 2:
            let r = Int64(Int16(truncatingIfNeeded: gpr[0])) * b
            setReg(0, 2, UInt64(bitPattern: r)); setReg(2, 2, UInt64(bitPattern: r >> 16))
            mulFlags(2, UInt64(bitPattern: r), r != Int64(Int16(truncatingIfNeeded: r)))
        case 4:
            let r = Int64(Int32(truncatingIfNeeded: gpr[0])) * b
            setReg(0, 4, UInt64(bitPattern: r)); setReg(2, 4, UInt64(bitPattern: r >> 32))
            mulFlags(4, UInt64(bitPattern: r), r != Int64(Int32(truncatingIfNeeded: r)))
        default:
            let (hi, lo) = Int64(bitPattern: gpr[0]).multipliedFullWidth(by: b)
            gpr[0] = lo; gpr[2] = UInt64(bitPattern: hi)
            mulFlags(8, lo, hi != (Int64(bitPattern: lo) >> 63))
        }
    }
    @inline(__always) func imul2(_ n: Int, _ a: UInt64, _ b: UInt64) -> UInt64 {
        let x = sx(a, n), y = sx(b, n)
        if n == 8 {
            let (hi, lo) = x.multipliedFullWidth(by: y)
            mulFlags(8, lo, hi != (Int64(bitPattern: lo) >> 63)); return lo
        }
        let r = x &* y
        let t = sx(UInt64(bitPattern: r), n)
        mulFlags(n, UInt64(bitPattern: r), t != r)
        return UInt64(bitPattern: r) & mask(n)
    }
    func imulGE(_ i: I) throws(Fault) {
        let n = osz(i)
        setReg(i.pointee.reg, n, imul2(n, reg(i.pointee.reg, n), try readE(i, n)))
    }
    func imulGEI(_ i: I) throws(Fault) {
        let n = osz(i)
        setReg(i.pointee.reg, n, imul2(n, try readE(i, n), i.pointee.imm & mask(n)))
    }

    func divE(_ i: I) throws(Fault) {
        let n = osz(i), d = try readE(i, n)
        if d == 0 { throw Fault.de }
        switch n {
        case 1:
            let a = gpr[0] & 0xFFFF, q = a / d
            if q > 0xFF { throw Fault.de }
            setReg(0, 1, q); setReg(16, 1, a % d)
        case 2:
            let a = (gpr[2] & 0xFFFF) << 16 | (gpr[0] & 0xFFFF), q = a / d
            if q > 0xFFFF { throw Fault.de }
            setReg(0, 2, q); setReg(2, 2, a % d)
        case 4:
            let a = (gpr[2] & 0xFFFF_FFFF) << 32 | (gpr[0] & 0xFFFF_FFFF), q = a / d
            if q > 0xFFFF_FFFF { throw Fault.de }
            setReg(0, 4, q); setReg(2, 4, a % d)
        default:
            if gpr[2] >= d { throw Fault.de }
            let (q, r) = d.dividingFullWidth((gpr[2], gpr[0]))
            gpr[0] = q; gpr[2] = r
        }
    }
    func idivE(_ i: I) throws(Fault) {
        let n = osz(i), d = sx(try readE(i, n), n)
        if d == 0 { throw Fault.de }
        switch n {
        case 1, 2, 4:
            let a: Int64
            if n == 1 { a = Int64(Int16(truncatingIfNeeded: gpr[0])) }
            else if n == 2 { a = Int64(Int32(truncatingIfNeeded: (gpr[2] & 0xFFFF) << 16 | (gpr[0] & 0xFFFF))) }
            else { a = Int64(bitPattern: (gpr[2] & 0xFFFF_FFFF) << 32 | (gpr[0] & 0xFFFF_FFFF)) }
            if a == Int64.min && d == -1 { throw Fault.de }
            let q = a / d, r = a % d
            if q != sx(UInt64(bitPattern: q), n) { throw Fault.de }
            if n == 1 { setReg(0, 1, UInt64(bitPattern: q)); setReg(16, 1, UInt64(bitPattern: r)) }
            else { setReg(0, n, UInt64(bitPattern: q)); setReg(2, n, UInt64(bitPattern: r)) }
        default:
            // 128-by-64 signed division through magnitudes.
            let hi = Int64(bitPattern: gpr[2]), lo = gpr[0]
            let neg = hi < 0
            var (mh, ml) = (UInt64(bitPattern: hi), lo)
            if neg { ml = ~ml &+ 1; mh = ~mh &+ (ml == 0 ? 1 : 0) }
            let dm = d < 0 ? UInt64(bitPattern: 0 &- d) : UInt64(d)
            if mh >= dm { throw Fault.de }
            let (q, r) = dm.dividingFullWidth((mh, ml))
            let qneg = neg != (d < 0)
            if qneg { if q > UInt64(1) << 63 { throw Fault.de } } else if q > UInt64(Int64.max) { throw Fault.de }
            gpr[0] = qneg ? 0 &- q : q
            gpr[2] = neg ? 0 &- r : r
        }
    }

    func cbw(_ i: I) {
        switch osz(i) {
        case 2: setReg(0, 2, UInt64(bitPattern: sx(gpr[0], 1)))
        case 4: setReg(0, 4, UInt64(bitPattern: sx(gpr[0], 2)))
        default: gpr[0] = UInt64(bitPattern: sx(gpr[0], 4))
        }
    }
    func cwd(_ i: I) {
        let n = osz(i)
        setReg(2, n, sx(gpr[0], n) < 0 ? ~0 : 0)
    }

    // BCD (SDM Vol. 2 DAA/DAS/AAA/AAS/AAM/AAD pseudocode).
    func daa() {
        let oldAL = gpr[0] & 0xFF, oldCF = cf
        var al = oldAL, c = false, a = false
        if al & 0xF > 9 || af { al = (al + 6) & 0xFF; c = oldCF || oldAL > 0xF9; a = true }
        if oldAL > 0x99 || oldCF { al = (al + 0x60) & 0xFF; c = true }
        setReg(0, 1, al); bcdFlags(al, c, a)
    }
    func das() {
        let oldAL = gpr[0] & 0xFF, oldCF = cf
        var al = oldAL, c = false, a = false
        if al & 0xF > 9 || af { al = (al &- 6) & 0xFF; c = oldCF || oldAL < 6; a = true }
        if oldAL > 0x99 || oldCF { al = (al &- 0x60) & 0xFF; c = true }
        setReg(0, 1, al); bcdFlags(al, c, a)
    }
    func aaa(_ sub: Bool) {
        var ax = gpr[0] & 0xFFFF
        let adj = (ax & 0xF) > 9 || af
        if adj {
            if sub { ax = (ax &- 6) & 0xFFFF; ax = ((ax & 0xFF00) &- 0x100) & 0xFF00 | ax & 0xFF }
            else { ax = (ax &+ 0x106) & 0xFFFF }
        }
        ax &= 0xFF0F
        setReg(0, 2, ax)
        // OF SF ZF PF undefined: computed from AL as Intel CPUs do.
        bcdFlags(ax & 0xFF, adj, adj)
    }
    func aam(_ i: I) throws(Fault) {
        let base = i.pointee.imm & 0xFF
        if base == 0 { throw Fault.de }
        let al = gpr[0] & 0xFF
        let r = (al / base) << 8 | (al % base)
        setReg(0, 2, r); bcdFlags(r & 0xFF, false, false)
    }
    func aad(_ i: I) {
        let base = i.pointee.imm & 0xFF
        let al = ((gpr[0] & 0xFF) + ((gpr[0] >> 8) & 0xFF) * base) & 0xFF
        setReg(0, 2, al); bcdFlags(al, false, false)
    }
    @inline(__always) func bcdFlags(_ al: UInt64, _ c: Bool, _ a: Bool) {
        setArithFlags(flagsSZP(al, 1) | (c ? FL.cf : 0) | (a ? FL.af : 0))
    }
}
