// String instructions and port I/O (SDM Vol. 2: MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS, IN,
// OUT; Vol. 1, 18.5 I/O permission bitmap).
//
// REP forms run at most `repChunk` iterations per execution and then restart themselves
// (nextRip = rip) and end the block, so pending interrupts are taken between chunks as on
// hardware (SDM Vol. 1, 7.3.9.1). Registers are updated per iteration, after that
// iteration's memory accesses succeeded: a fault leaves the instruction restartable.

let repChunk = 4096

extension CPU {
    @inline(__always) func strDelta(_ n: Int) -> UInt64 {
        s.pointee.flags & FL.df != 0 ? UInt64(bitPattern: Int64(-n)) : UInt64(n)
    }
    @inline(__always) func advance(_ r: UInt8, _ a: Int, _ d: UInt64) { setReg(r, a, reg(r, a) &+ d) }

    /// Run `body` once, or under REP up to a chunk; `body` returns false to stop (REPE/REPNE).
    @inline(__always) func repeatString(_ i: I, _ body: () throws(Fault) -> Bool) throws(Fault) {
        let a = Int(i.pointee.asz)
        if i.pointee.pfx & (Insn.rep | Insn.repne) == 0 { _ = try body(); return }
        var left = repChunk
        while true {
            if reg(1, a) == 0 { return }
            let more = try body()
            setReg(1, a, reg(1, a) &- 1)
            if !more || reg(1, a) == 0 { return }
            left -= 1
            if left == 0 {
                s.pointee.nextRip = s.pointee.rip   // resume here after pending events
                s.pointee.exitRequest = 1
                return
            }
        }
    }

    func movs(_ i: I) throws(Fault) {
        let n = osz(i), a = Int(i.pointee.asz), d = strDelta(n), sg = seg(i)
        try repeatString(i) { () throws(Fault) -> Bool in
            let v = try readMem(sg, reg(6, a), n)
            try writeMem(Seg.es, reg(7, a), n, v)
            advance(6, a, d); advance(7, a, d); return true
        }
    }
    func stos(_ i: I) throws(Fault) {
        let n = osz(i), a = Int(i.pointee.asz), d = strDelta(n), v = reg(0, n)
        try repeatString(i) { () throws(Fault) -> Bool in
            try writeMem(Seg.es, reg(7, a), n, v); advance(7, a, d); return true
        }
    }
    func lods(_ i: I) throws(Fault) {
        let n = osz(i), a = Int(i.pointee.asz), d = strDelta(n), sg = seg(i)
        try repeatString(i) { () throws(Fault) -> Bool in
            setReg(0, n, try readMem(sg, reg(6, a), n)); advance(6, a, d); return true
        }
    }
    func cmps(_ i: I) throws(Fault) {
        let n = osz(i), a = Int(i.pointee.asz), d = strDelta(n), sg = seg(i)
        let repz = i.pointee.pfx & Insn.rep != 0
        try repeatString(i) { () throws(Fault) -> Bool in
            let x = try readMem(sg, reg(6, a), n), y = try readMem(Seg.es, reg(7, a), n)
            setCC(CC.sub, n, x, y, (x &- y) & mask(n))
            advance(6, a, d); advance(7, a, d)
            return repz ? x == y : x != y
        }
    }
    func scas(_ i: I) throws(Fault) {
        let n = osz(i), a = Int(i.pointee.asz), d = strDelta(n), x = reg(0, n)
        let repz = i.pointee.pfx & Insn.rep != 0
        try repeatString(i) { () throws(Fault) -> Bool in
            let y = try readMem(Seg.es, reg(7, a), n)
            setCC(CC.sub, n, x, y, (x &- y) & mask(n))
            advance(7, a, d)
            return repz ? x == y : x != y
        }
    }
    func ins(_ i: I) throws(Fault) {
        let n = osz(i) == 8 ? 4 : osz(i), a = Int(i.pointee.asz), d = strDelta(n)
        let port = UInt16(gpr[2] & 0xFFFF)
        try checkIO(port, n)
        ioBreakpoints(port, n)
        try repeatString(i) { () throws(Fault) -> Bool in
            try probeWrite(Seg.es, reg(7, a), n)
            let v = bus.portRead(port, size: n)
            try writeMem(Seg.es, reg(7, a), n, UInt64(v)); advance(7, a, d); return true
        }
    }
    func outs(_ i: I) throws(Fault) {
        let n = osz(i) == 8 ? 4 : osz(i), a = Int(i.pointee.asz), d = strDelta(n), sg = seg(i)
        let port = UInt16(gpr[2] & 0xFFFF)
        try checkIO(port, n)
        ioBreakpoints(port, n)
        try repeatString(i) { () throws(Fault) -> Bool in
            let v = try readMem(sg, reg(6, a), n)
            bus.portWrite(port, size: n, value: UInt32(truncatingIfNeeded: v)); advance(6, a, d); return true
        }
    }

    func portIn(_ i: I, _ port: UInt16) throws(Fault) {
        let n = osz(i) == 8 ? 4 : osz(i)
        try checkIO(port, n)
        ioBreakpoints(port, n)
        setReg(0, n, UInt64(bus.portRead(port, size: n)))
    }
    func portOut(_ i: I, _ port: UInt16) throws(Fault) {
        let n = osz(i) == 8 ? 4 : osz(i)
        try checkIO(port, n)
        ioBreakpoints(port, n)
        bus.portWrite(port, size: n, value: UInt32(truncatingIfNeeded: reg(0, n)))
    }

    /// Protected mode with CPL > IOPL, or virtual-8086 mode: every byte of the access must be
    /// allowed by the TSS I/O permission bitmap (SDM Vol. 1, 19.5.2).
    func checkIO(_ port: UInt16, _ n: Int) throws(Fault) {
        if !protectedMode { return }
        if !v86 && cpl <= iopl { return }
        let tr = segs[Seg.tr]
        // Only a 32/64-bit available or busy TSS has a bitmap.
        if tr.type != 0x9 && tr.type != 0xB { throw Fault.gp(0) }
        if tr.limit < 0x67 { throw Fault.gp(0) }
        let mapBase = try readSys(tr.base &+ 0x66, 2)
        let byteOff = mapBase &+ UInt64(port >> 3)
        if byteOff &+ 1 > UInt64(tr.limit) { throw Fault.gp(0) }
        let bits = try readSys(tr.base &+ byteOff, 2)
        let m = ((UInt64(1) << UInt64(n)) - 1) << UInt64(port & 7)
        if bits & m != 0 { throw Fault.gp(0) }
    }
}
