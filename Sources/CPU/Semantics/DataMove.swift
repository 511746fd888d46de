// Data movement and the stack (SDM Vol. 2: MOV, MOVZX, MOVSX, MOVSXD, LEA, XCHG, CMOVcc,
// SETcc, XADD, CMPXCHG, CMPXCHG8B/16B, PUSH, POP, PUSHA, POPA, PUSHF, POPF, ENTER, LEAVE,
// LAHF, SAHF, XLAT, BOUND).

extension CPU {
    // MARK: stack (SDM Vol. 1, 6.2: the stack-address size is SS.B, or 64 in 64-bit mode)

    @inline(__always) public func push(_ v: UInt64, _ n: Int) throws(Fault) {
        if in64 {
            let sp = gpr[4] &- UInt64(n)
            try writeMem(Seg.ss, sp, n, v); gpr[4] = sp
        } else if s.pointee.stack32 != 0 {
            let sp = (gpr[4] &- UInt64(n)) & 0xFFFF_FFFF
            try writeMem(Seg.ss, sp, n, v); setReg(4, 4, sp)
        } else {
            let sp = (gpr[4] &- UInt64(n)) & 0xFFFF
            try writeMem(Seg.ss, sp, n, v); setReg(4, 2, sp)
        }
    }
    @inline(__always) public func pop(_ n: Int) throws(Fault) -> UInt64 {
        let v = try readMem(Seg.ss, stackPointer, n)
        adjustSP(Int64(n))
        return v
    }
    @inline(__always) var stackPointer: UInt64 {
        in64 ? gpr[4] : s.pointee.stack32 != 0 ? gpr[4] & 0xFFFF_FFFF : gpr[4] & 0xFFFF
    }
    @inline(__always) func adjustSP(_ d: Int64) {
        if in64 { gpr[4] = gpr[4] &+ UInt64(bitPattern: d) }
        else if s.pointee.stack32 != 0 { setReg(4, 4, gpr[4] &+ UInt64(bitPattern: d)) }
        else { setReg(4, 2, gpr[4] &+ UInt64(bitPattern: d)) }
    }
    /// Read the stack at SP + offset without popping.
    func peek(_ off: UInt64, _ n: Int) throws(Fault) -> UInt64 {
        var a = stackPointer &+ off
        if !in64 { a &= s.pointee.stack32 != 0 ? 0xFFFF_FFFF : 0xFFFF }
        return try readMem(Seg.ss, a, n)
    }

    // MARK: moves

    func movEG(_ i: I) throws(Fault) { let n = osz(i); try writeE(i, n, reg(i.pointee.reg, n)) }
    func movGE(_ i: I) throws(Fault) { let n = osz(i); setReg(i.pointee.reg, n, try readE(i, n)) }
    func movEI(_ i: I) throws(Fault) { let n = osz(i); try writeE(i, n, i.pointee.imm & mask(n)) }
    func movRO(_ i: I) throws(Fault) {
        let n = osz(i)
        var off = i.pointee.imm
        if i.pointee.asz == 4 { off &= 0xFFFF_FFFF } else if i.pointee.asz == 2 { off &= 0xFFFF }
        setReg(0, n, try readMem(seg(i), off, n))
    }
    func movOR(_ i: I) throws(Fault) {
        let n = osz(i)
        var off = i.pointee.imm
        if i.pointee.asz == 4 { off &= 0xFFFF_FFFF } else if i.pointee.asz == 2 { off &= 0xFFFF }
        try writeMem(seg(i), off, n, reg(0, n))
    }
    func movzx(_ i: I) throws(Fault) {
        let src = Table.forms[Int(i.pointee.form)].operands[1] == .Eb ? 1 : 2
        setReg(i.pointee.reg, osz(i), try readE(i, src))
    }
    func movsx(_ i: I) throws(Fault) {
        let src = Table.forms[Int(i.pointee.form)].operands[1] == .Eb ? 1 : 2
        setReg(i.pointee.reg, osz(i), UInt64(bitPattern: sx(try readE(i, src), src)) & mask(osz(i)))
    }
    func movsxd(_ i: I) throws(Fault) {
        let n = osz(i), src = n == 2 ? 2 : 4
        let v = try readE(i, src)
        setReg(i.pointee.reg, n, n == 8 ? UInt64(bitPattern: sx(v, 4)) : v)
    }
    func lea(_ i: I) { setReg(i.pointee.reg, osz(i), ea(i)) }
    func xchg(_ i: I) throws(Fault) {
        let n = osz(i)
        let g = reg(i.pointee.reg, n)
        if i.pointee.isMem {
            let off = ea(i), sg = seg(i)
            let a = try readRMW(sg, off, n)
            try writeMem(sg, off, n, g)
            setReg(i.pointee.reg, n, a)
        } else {
            let a = reg(i.pointee.rm, n)
            setReg(i.pointee.rm, n, g); setReg(i.pointee.reg, n, a)
        }
    }
    func cmov(_ i: I) throws(Fault) {
        let n = osz(i)
        let v = try readE(i, n)          // the source is read (and may fault) either way
        if condition(i.pointee.aux) { setReg(i.pointee.reg, n, v) }
        else if n == 4 { setReg(i.pointee.reg, 4, reg(i.pointee.reg, 4)) }  // 32-bit: upper half cleared
    }
    func setcc(_ i: I) throws(Fault) { try writeE(i, 1, condition(i.pointee.aux) ? 1 : 0) }
    func xadd(_ i: I) throws(Fault) {
        let n = osz(i)
        let g = reg(i.pointee.reg, n)
        if i.pointee.isMem {
            let off = ea(i), sg = seg(i)
            let a = try readRMW(sg, off, n)
            let r = (a &+ g) & mask(n)
            try writeMem(sg, off, n, r)
            setReg(i.pointee.reg, n, a); setCC(CC.add, n, a, g, r)
        } else {
            let a = reg(i.pointee.rm, n), r = (a &+ g) & mask(n)
            setReg(i.pointee.reg, n, a); setReg(i.pointee.rm, n, r); setCC(CC.add, n, a, g, r)
        }
    }
    func cmpxchg(_ i: I) throws(Fault) {
        let n = osz(i)
        let acc = reg(0, n)
        if i.pointee.isMem {
            let off = ea(i), sg = seg(i)
            let a = try readRMW(sg, off, n)
            // The destination is always written (the old value back on failure: SDM "CMPXCHG").
            if a == acc { try writeMem(sg, off, n, reg(i.pointee.reg, n)) }
            else { try writeMem(sg, off, n, a); setReg(0, n, a) }
            setCC(CC.sub, n, acc, a, (acc &- a) & mask(n))
        } else {
            let a = reg(i.pointee.rm, n)
            if a == acc { setReg(i.pointee.rm, n, reg(i.pointee.reg, n)) } else { setReg(0, n, a) }
            setCC(CC.sub, n, acc, a, (acc &- a) & mask(n))
        }
    }
    func cmpxchg8b(_ i: I) throws(Fault) {
        let wide = i.pointee.rexWSet
        let off = ea(i), sg = seg(i)
        var f = arithFlags & ~FL.zf
        if wide {
            if off & 15 != 0 { throw Fault.gp(0) }
            let lo = try readMem(sg, off, 8), hi = try readMem(sg, off &+ 8, 8)
            if lo == gpr[0] && hi == gpr[2] {
                try probeWrite(sg, off, 8); try probeWrite(sg, off &+ 8, 8)
                try writeMem(sg, off, 8, gpr[3]); try writeMem(sg, off &+ 8, 8, gpr[1]); f |= FL.zf
            } else {
                try probeWrite(sg, off, 8); try probeWrite(sg, off &+ 8, 8)
                try writeMem(sg, off, 8, lo); try writeMem(sg, off &+ 8, 8, hi)
                gpr[0] = lo; gpr[2] = hi
            }
        } else {
            let v = try readMem(sg, off, 8)
            let cmp = (gpr[2] & 0xFFFF_FFFF) << 32 | (gpr[0] & 0xFFFF_FFFF)
            if v == cmp {
                try writeMem(sg, off, 8, (gpr[1] & 0xFFFF_FFFF) << 32 | (gpr[3] & 0xFFFF_FFFF)); f |= FL.zf
            } else {
                try writeMem(sg, off, 8, v)
                setReg(0, 4, v & 0xFFFF_FFFF); setReg(2, 4, v >> 32)
            }
        }
        setArithFlags(f)
    }

    // MARK: push / pop

    func pushE(_ i: I) throws(Fault) { let n = osz(i); try push(try readE(i, n), n) }
    func pushI(_ i: I) throws(Fault) { let n = osz(i); try push(i.pointee.imm & mask(n), n) }
    func popE(_ i: I) throws(Fault) {
        let n = osz(i)
        let v = try readMem(Seg.ss, stackPointer, n)
        let saved = gpr[4]
        adjustSP(Int64(n))
        // POP [rSP+x] computes its address after the increment (SDM "POP").
        do { try writeE(i, n, v) } catch { gpr[4] = saved; throw error }
    }
    func pusha(_ i: I) throws(Fault) {
        let n = osz(i), sp = reg(4, n)
        // Check the whole frame first so a fault leaves nothing half-done.
        let base = (stackPointer &- UInt64(8 * n)) & (s.pointee.stack32 != 0 ? 0xFFFF_FFFF : 0xFFFF)
        try probeWrite(Seg.ss, base, 8 * n)
        for r in 0..<8 { try push(r == 4 ? sp : reg(UInt8(r), n), n) }
    }
    func popa(_ i: I) throws(Fault) {
        let n = osz(i)
        var v = [UInt64](repeating: 0, count: 8)
        for k in 0..<8 { v[k] = try peek(UInt64(k * n), n) }
        for (k, r) in [7, 6, 5, 4, 3, 2, 1, 0].enumerated() where r != 4 { setReg(UInt8(r), n, v[k]) }
        adjustSP(Int64(8 * n))
    }
    func enter(_ i: I) throws(Fault) {
        let n = osz(i), size = i.pointee.imm & 0xFFFF, level = Int(i.pointee.imm2 & 31)
        let stackSize = in64 ? 8 : s.pointee.stack32 != 0 ? 4 : 2
        let savedSP = gpr[4]
        do {
            try push(reg(5, n), n)
            let frame = reg(4, stackSize)
            if level > 0 {
                var bp = reg(5, stackSize)
                for _ in 1..<level {
                    bp = (bp &- UInt64(n)) & mask(stackSize)
                    try push(try readMem(Seg.ss, bp, n), n)
                }
                try push(frame, n)
            }
            // The final allocation is checked by touching the new top of stack (SDM "ENTER").
            let newSP = (reg(4, stackSize) &- size) & mask(stackSize)
            if size > 0 { _ = try readMem(Seg.ss, newSP, 1) }
            setReg(5, n, frame)
            setReg(4, stackSize, newSP)
        } catch { gpr[4] = savedSP; throw error }
    }
    func leave(_ i: I) throws(Fault) {
        let n = osz(i), stackSize = in64 ? 8 : s.pointee.stack32 != 0 ? 4 : 2
        let v = try readMem(Seg.ss, reg(5, stackSize), n)
        setReg(4, stackSize, reg(5, stackSize) &+ UInt64(n))
        setReg(5, n, v)
    }

    // MARK: flags to and from AH; XLAT; BOUND

    func lahf() { setReg(16, 1, (arithFlags & 0xD5) | 2) }
    func sahf() {
        let ah = (gpr[0] >> 8) & 0xD5
        setArithFlags((arithFlags & FL.of) | ah)
    }
    func xlat(_ i: I) throws(Fault) {
        var off = gpr[3] &+ (gpr[0] & 0xFF)
        if i.pointee.asz == 2 { off &= 0xFFFF } else if i.pointee.asz == 4 { off &= 0xFFFF_FFFF }
        setReg(0, 1, try readMem(seg(i), off, 1))
    }
    func bound(_ i: I) throws(Fault) {
        let n = osz(i), off = ea(i), sg = seg(i)
        let lo = sx(try readMem(sg, off, n), n), hi = sx(try readMem(sg, off &+ UInt64(n), n), n)
        let v = sx(reg(i.pointee.reg, n), n)
        if v < lo || v > hi { throw Fault.br }
    }
}
