// Near control transfers, loops and flag instructions (SDM Vol. 2: Jcc, JMP, CALL, RET,
// LOOP/LOOPcc, JCXZ/JECXZ/JRCXZ, CLC, STC, CMC, CLD, STD).
// A near branch target outside CS's limit (or non-canonical in 64-bit mode) faults #GP(0)
// on the branch itself.

extension CPU {
    @inline(__always) func branch(_ target: UInt64, _ n: Int) throws(Fault) {
        if s.pointee.codeMode == 2 {
            if _slowPath(!isCanonical(target)) { throw Fault.gp(0) }
            s.pointee.nextRip = target
        } else {
            let t = n == 2 ? target & 0xFFFF : target & 0xFFFF_FFFF
            if _slowPath(t > UInt64(segs[Seg.cs].limit)) { throw Fault.gp(0) }
            s.pointee.nextRip = t
        }
    }

    func jmpRel(_ i: I) throws(Fault) { try branch(s.pointee.nextRip &+ i.pointee.imm, osz(i)) }
    func jcc(_ i: I) throws(Fault) {
        if condition(i.pointee.aux) { try branch(s.pointee.nextRip &+ i.pointee.imm, osz(i)) }
    }
    func callRel(_ i: I) throws(Fault) {
        let n = osz(i), ret = s.pointee.nextRip
        let target = ret &+ i.pointee.imm
        try checkBranch(target, n)
        try push(ret, n)
        try branch(target, n)
    }
    func ret(_ i: I) throws(Fault) {
        let n = osz(i)
        let target = try peek(0, n)
        try checkBranch(target, n)
        adjustSP(Int64(n) + Int64(i.pointee.imm & 0xFFFF))
        try branch(target, n)
    }
    func jmpE(_ i: I) throws(Fault) { let n = osz(i); try branch(try readE(i, n), n) }
    func callE(_ i: I) throws(Fault) {
        let n = osz(i), target = try readE(i, n)
        try checkBranch(target, n)
        try push(s.pointee.nextRip, n)
        try branch(target, n)
    }
    @inline(__always) func checkBranch(_ target: UInt64, _ n: Int) throws(Fault) {
        if s.pointee.codeMode == 2 { if !isCanonical(target) { throw Fault.gp(0) } }
        else if (n == 2 ? target & 0xFFFF : target & 0xFFFF_FFFF) > UInt64(segs[Seg.cs].limit) { throw Fault.gp(0) }
    }

    func loop(_ i: I) throws(Fault) {
        let a = Int(i.pointee.asz)
        let c = (reg(1, a) &- 1) & mask(a)
        let taken: Bool
        switch i.pointee.aux {
        case 0: taken = c != 0 && !zf
        case 1: taken = c != 0 && zf
        default: taken = c != 0
        }
        if taken { try branch(s.pointee.nextRip &+ i.pointee.imm, osz(i)) }
        setReg(1, a, c)
    }
    func jcxz(_ i: I) throws(Fault) {
        if reg(1, Int(i.pointee.asz)) == 0 { try branch(s.pointee.nextRip &+ i.pointee.imm, osz(i)) }
    }

    func setFlagBit(_ bit: UInt64, _ on: Bool) {
        if on { s.pointee.flags |= bit } else { s.pointee.flags &= ~bit }
    }
}
