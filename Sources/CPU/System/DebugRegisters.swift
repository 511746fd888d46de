// Debug registers DR0-DR3/DR6/DR7 (SDM Vol. 3, 18.2-18.3): instruction breakpoints are
// faults checked before an instruction runs (suppressed by EFLAGS.RF); data breakpoints are
// traps reported after the instruction. While any breakpoint is enabled the TLB is not
// filled, so every access reaches the slow path where data breakpoints are matched, and the
// translator steps one instruction at a time.

extension CPU {
    @inline(__always) func breakpointAddress(_ n: Int) -> UInt64 {
        switch n { case 0: return s.pointee.dr.0; case 1: return s.pointee.dr.1; case 2: return s.pointee.dr.2; default: return s.pointee.dr.3 }
    }
    /// DR7 breakpoint n enabled (L or G), with its R/W and length fields.
    @inline(__always) func breakpoint(_ n: Int) -> (enabled: Bool, rw: UInt64, len: UInt64) {
        let d7 = s.pointee.dr7
        let en = (d7 >> UInt64(2 * n)) & 3 != 0
        let rw = (d7 >> UInt64(16 + 4 * n)) & 3
        let l = (d7 >> UInt64(18 + 4 * n)) & 3
        return (en, rw, l == 0 ? 1 : l == 1 ? 2 : l == 3 ? 4 : 8)
    }

    func dataBreakpoints(_ la: UInt64, _ size: Int, write: Bool) {
        for n in 0..<4 {
            let b = breakpoint(n)
            guard b.enabled, b.rw == 1 || b.rw == 3 else { continue }
            if b.rw == 1 && !write { continue }
            let start = breakpointAddress(n) & ~(b.len - 1)
            if la < start &+ b.len && start < la &+ UInt64(size) { s.pointee.pendingDB |= 1 << UInt64(n) }
        }
    }

    /// I/O breakpoints (R/W = 10b, only with CR4.DE): traps after IN/OUT/INS/OUTS.
    func ioBreakpoints(_ port: UInt16, _ size: Int) {
        guard s.pointee.dr7 & 0xFF != 0, s.pointee.cr4 & CR4.de != 0 else { return }
        for n in 0..<4 {
            let b = breakpoint(n)
            guard b.enabled, b.rw == 2 else { continue }
            let start = breakpointAddress(n) & 0xFFFF & ~(b.len - 1)
            if UInt64(port) < start &+ b.len && start < UInt64(port) &+ UInt64(size) { s.pointee.pendingDB |= 1 << UInt64(n) }
        }
    }

    /// Instruction breakpoints matching the current RIP's linear address (B0-B3 bits).
    public func instructionBreakpoints() -> UInt64 {
        if s.pointee.flags & FL.rf != 0 { return 0 }
        let la = s.pointee.codeMode == 2 ? s.pointee.rip : (segs[Seg.cs].base &+ s.pointee.rip) & 0xFFFF_FFFF
        var hit: UInt64 = 0
        for n in 0..<4 {
            let b = breakpoint(n)
            if b.enabled && b.rw == 0 && breakpointAddress(n) == la { hit |= 1 << UInt64(n) }
        }
        return hit
    }
    public var debugBreakpointsActive: Bool { s.pointee.dr7 & 0xFF != 0 }
}
