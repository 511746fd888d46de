// Bit operations (SDM Vol. 2: BT/BTS/BTR/BTC, BSF, BSR, TZCNT, LZCNT, POPCNT, BSWAP, the BMI1
// and BMI2 groups, ADCX/ADOX, CRC32, MOVBE).

extension CPU {
    /// BT family. With a register bit offset and a memory operand, the offset addresses
    /// memory beyond the operand (SDM "BT": signed offset / operand size).
    func bitOp(_ i: I, _ offsetFromReg: Bool) throws(Fault) {
        let n = osz(i), bits = n * 8, op = i.pointee.aux
        var bit: UInt64, sg = seg(i), off: UInt64 = 0
        if offsetFromReg {
            let raw = reg(i.pointee.reg, n)
            if i.pointee.isMem {
                let sOff = sx(raw, n)
                let byteOff = (sOff >> Int64(bits == 64 ? 6 : bits == 32 ? 5 : 4)) * Int64(n)
                off = ea(i) &+ UInt64(bitPattern: byteOff)
                if i.pointee.asz == 2 { off &= 0xFFFF } else if i.pointee.asz == 4 { off &= 0xFFFF_FFFF }
                bit = raw & UInt64(bits - 1)
            } else { bit = raw & UInt64(bits - 1) }
        } else {
            bit = i.pointee.imm & UInt64(bits - 1)
            if i.pointee.isMem { off = ea(i) }
        }
        if !i.pointee.isMem { sg = -1 }
        let a = sg >= 0 ? (op == 0 ? try readMem(sg, off, n) : try readRMW(sg, off, n)) : reg(i.pointee.rm, n)
        let set = (a >> bit) & 1 != 0
        var r = a
        switch op {
        case 1: r = a | (1 << bit)
        case 2: r = a & ~(1 << bit)
        case 3: r = a ^ (1 << bit)
        default: break
        }
        if op != 0 {
            if sg >= 0 { try writeMem(sg, off, n, r) } else { setReg(i.pointee.rm, n, r) }
        }
        // Only CF is defined; the others keep their values on Intel CPUs.
        var f = arithFlags & ~FL.cf
        if set { f |= FL.cf }
        setArithFlags(f)
    }

    func bsf(_ i: I) throws(Fault) {
        let n = osz(i), v = try readE(i, n)
        var f = arithFlags & ~FL.zf
        if v == 0 { f |= FL.zf } else { setReg(i.pointee.reg, n, UInt64(v.trailingZeroBitCount)) }
        setArithFlags(f)
    }
    func bsr(_ i: I) throws(Fault) {
        let n = osz(i), v = try readE(i, n)
        var f = arithFlags & ~FL.zf
        if v == 0 { f |= FL.zf } else { setReg(i.pointee.reg, n, UInt64(63 - v.leadingZeroBitCount)) }
        setArithFlags(f)
    }
    func tzcnt(_ i: I) throws(Fault) {
        let n = osz(i), v = try readE(i, n)
        let r = v == 0 ? UInt64(n * 8) : UInt64(v.trailingZeroBitCount)
        setReg(i.pointee.reg, n, r)
        var f = arithFlags & ~(FL.cf | FL.zf)
        if v == 0 { f |= FL.cf }; if r == 0 { f |= FL.zf }
        setArithFlags(f)
    }
    func lzcnt(_ i: I) throws(Fault) {
        let n = osz(i), v = try readE(i, n)
        let r = UInt64(v.leadingZeroBitCount - (64 - n * 8))
        setReg(i.pointee.reg, n, r)
        var f = arithFlags & ~(FL.cf | FL.zf)
        if v == 0 { f |= FL.cf }; if r == 0 { f |= FL.zf }
        setArithFlags(f)
    }
    func popcnt(_ i: I) throws(Fault) {
        let n = osz(i), v = try readE(i, n)
        setReg(i.pointee.reg, n, UInt64(v.nonzeroBitCount))
        setArithFlags(v == 0 ? FL.zf : 0)
    }
    func bswap(_ i: I) {
        let r = i.pointee.rm
        switch osz(i) {
        case 8: gpr[Int(r)] = gpr[Int(r)].byteSwapped
        case 4: setReg(r, 4, UInt64(UInt32(truncatingIfNeeded: gpr[Int(r)]).byteSwapped))
        default: setReg(r, 2, 0)   // 16-bit BSWAP is undefined; Intel CPUs write zero.
        }
    }

    // BMI1 / BMI2 (SDM Vol. 2, "ANDN" ... "SHRX"). B = VEX.vvvv register.
    func bmi(_ i: I) throws(Fault) {
        let n = osz(i), m = mask(n), bits = UInt64(n * 8)
        let e = try readE(i, n), b = reg(i.pointee.vreg, n), g = i.pointee.reg
        switch i.pointee.h {
        case .andn:
            let r = ~b & e & m
            setReg(g, n, r); setArithFlags(flagsSZP(r, n) & ~FL.pf)
        case .bextr:
            let start = b & 0xFF, len = (b >> 8) & 0xFF
            var r: UInt64 = start >= bits ? 0 : e >> start
            if len < 64 { r &= (UInt64(1) << len) &- 1 }
            r &= m
            setReg(g, n, r); setArithFlags(r == 0 ? FL.zf : 0)
        case .blsi:
            let r = (0 &- e) & e & m
            setReg(i.pointee.vreg, n, r)
            setArithFlags((flagsSZP(r, n) & ~FL.pf) | (e != 0 ? FL.cf : 0))
        case .blsmsk:
            let r = ((e &- 1) ^ e) & m
            setReg(i.pointee.vreg, n, r)
            setArithFlags((flagsSZP(r, n) & ~(FL.pf | FL.zf)) | (e == 0 ? FL.cf : 0))
        case .blsr:
            let r = ((e &- 1) & e) & m
            setReg(i.pointee.vreg, n, r)
            setArithFlags((flagsSZP(r, n) & ~FL.pf) | (e == 0 ? FL.cf : 0))
        case .bzhi:
            let idx = b & 0xFF
            let r = idx >= bits ? e : e & ((UInt64(1) << idx) &- 1)
            setReg(g, n, r)
            setArithFlags((flagsSZP(r, n) & ~FL.pf) | (idx > bits - 1 ? FL.cf : 0))
        case .pdep:
            var r: UInt64 = 0, k: UInt64 = 0, msk = e
            while msk != 0 { let low = msk & (0 &- msk); if (b >> k) & 1 != 0 { r |= low }; k += 1; msk &= msk - 1 }
            setReg(g, n, r & m)
        case .pext:
            var r: UInt64 = 0, k: UInt64 = 0, msk = e
            while msk != 0 { let low = msk & (0 &- msk); if b & low != 0 { r |= 1 << k }; k += 1; msk &= msk - 1 }
            setReg(g, n, r & m)
        case .mulx:
            let src = reg(2, n)
            let lo: UInt64, hi: UInt64
            if n == 8 { (hi, lo) = src.multipliedFullWidth(by: e) } else { let p = src * e; lo = p & m; hi = p >> 32 }
            setReg(i.pointee.vreg, n, lo); setReg(g, n, hi)   // hi written last: wins if g == vvvv
        case .rorx:
            let c = i.pointee.imm & (bits - 1)
            setReg(g, n, c == 0 ? e : ((e >> c) | (e << (bits - c))) & m)
        case .sarx: setReg(g, n, UInt64(bitPattern: sx(e, n) >> Int64(b & (bits - 1)))) 
        case .shlx: setReg(g, n, (e << (b & (bits - 1))) & m)
        case .shrx: setReg(g, n, e >> (b & (bits - 1)))
        default: throw Fault.ud
        }
    }

    func adx(_ i: I, overflowFlag: Bool) throws(Fault) {
        let n = osz(i), m = mask(n)
        var f = arithFlags
        let bitc = overflowFlag ? FL.of : FL.cf
        let cin: UInt64 = f & bitc != 0 ? 1 : 0
        let a = reg(i.pointee.reg, n), b = try readE(i, n)
        let full = a &+ b &+ cin
        let r = full & m
        let carry = n == 8 ? (full < a || (cin == 1 && full == a)) : (a + b + cin) >> UInt64(n * 8) != 0
        setReg(i.pointee.reg, n, r)
        f = (f & ~bitc) | (carry ? bitc : 0)
        setArithFlags(f)
    }

    /// CRC32 with the iSCSI polynomial 0x11EDC6F41, bit-reflected (SDM Vol. 2 "CRC32").
    func crc32(_ i: I) throws(Fault) {
        // Source: a byte (F0), or 16/32/64 bits by 66 / REX.W (F1). Destination: 32 or 64 bits.
        let n = i.pointee.aux == 1 ? 1 : osz(i)      // the decoder gives the source size
        let v = try readE(i, n)
        var crc = UInt32(truncatingIfNeeded: reg(i.pointee.reg, 4))
        for k in 0..<n {
            crc ^= UInt32((v >> UInt64(8 * k)) & 0xFF)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        setReg(i.pointee.reg, i.pointee.rexWSet ? 8 : 4, UInt64(crc))
    }
    func movbe(_ i: I) throws(Fault) {
        let n = osz(i)
        func swap(_ v: UInt64) -> UInt64 {
            n == 2 ? UInt64(UInt16(truncatingIfNeeded: v).byteSwapped) :
            n == 4 ? UInt64(UInt32(truncatingIfNeeded: v).byteSwapped) : v.byteSwapped
        }
        if i.pointee.aux == 0 { setReg(i.pointee.reg, n, swap(try readE(i, n))) }
        else { try writeE(i, n, swap(reg(i.pointee.reg, n))) }
    }
}

extension Insn {
    @inline(__always) var rexWSet: Bool { pfx & Insn.rexW != 0 }
}
