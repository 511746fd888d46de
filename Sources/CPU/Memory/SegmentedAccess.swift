// Logical (segment:offset) -> linear, with the checks of SDM Vol. 3, 5.3 (limit), 5.4-5.6
// (type, for data accesses) and 6.15 #AC (alignment check at CPL 3).

extension CPU {
    @inline(__always)
    public func linear(_ seg: Int, _ off: UInt64, _ size: Int, write: Bool) throws(Fault) -> UInt64 {
        if s.pointee.codeMode == 2 {
            let la = seg >= Seg.fs ? off &+ segs[seg].base : off
            // Stack-segment references to non-canonical addresses fault #SS(0) (SDM Vol. 3, 6.15).
            if seg == Seg.ss && _slowPath(!isCanonical(la)) { throw Fault.ss(0) }
            if _slowPath(off & UInt64(size - 1) != 0) { try alignCheck() }
            return la
        }
        let sc = segs[seg]
        // Fast case: present, expand-up, writable data (attr type 0x2/0x3 with S=1).
        if _fastPath(sc.attr & 0x1009E == 0x92 && off &+ UInt64(size - 1) <= UInt64(sc.limit)) {
            if _slowPath(off & UInt64(size - 1) != 0) { try alignCheck() }
            return (sc.base &+ off) & 0xFFFF_FFFF
        }
        return try linearSlow(seg, off, size, write: write)
    }

    @inline(never)
    func linearSlow(_ seg: Int, _ off: UInt64, _ size: Int, write: Bool) throws(Fault) -> UInt64 {
        let sc = segs[seg]
        let fault: Fault = seg == Seg.ss ? .ss(0) : .gp(0)
        // Type checks apply in protected mode only; real and virtual-8086 mode check limits.
        if protectedMode && !v86 {
            if sc.unusable || !sc.present { throw fault }
            if sc.isCode {
                if write || sc.attr & 0x2 == 0 { throw fault }   // code: never writable; readable if R
            } else if write && sc.attr & 0x2 == 0 { throw fault }
        }
        let last = off &+ UInt64(size - 1)
        if sc.expandDown {
            let upper: UInt64 = sc.db ? 0xFFFF_FFFF : 0xFFFF
            if off <= UInt64(sc.limit) || last > upper { throw fault }
        } else if last > UInt64(sc.limit) || last < off {
            throw fault
        }
        if off & UInt64(size - 1) != 0 { try alignCheck() }
        return (sc.base &+ off) & 0xFFFF_FFFF
    }

    @inline(never) func alignCheck() throws(Fault) {
        if s.pointee.cpl == 3 && s.pointee.cr0 & CR0.am != 0 && s.pointee.flags & FL.ac != 0 { throw .ac() }
    }

    @inline(__always) var userAccess: Bool { s.pointee.tlbSet == 1 }

    @inline(__always) public func read8(_ seg: Int, _ off: UInt64) throws(Fault) -> UInt64 {
        UInt64(try readLinear(try linear(seg, off, 1, write: false), UInt8.self, user: userAccess))
    }
    @inline(__always) public func read16(_ seg: Int, _ off: UInt64) throws(Fault) -> UInt64 {
        UInt64(try readLinear(try linear(seg, off, 2, write: false), UInt16.self, user: userAccess))
    }
    @inline(__always) public func read32(_ seg: Int, _ off: UInt64) throws(Fault) -> UInt64 {
        UInt64(try readLinear(try linear(seg, off, 4, write: false), UInt32.self, user: userAccess))
    }
    @inline(__always) public func read64(_ seg: Int, _ off: UInt64) throws(Fault) -> UInt64 {
        try readLinear(try linear(seg, off, 8, write: false), UInt64.self, user: userAccess)
    }
    @inline(__always) public func readMem(_ seg: Int, _ off: UInt64, _ size: Int) throws(Fault) -> UInt64 {
        switch size {
        case 1: return try read8(seg, off)
        case 2: return try read16(seg, off)
        case 4: return try read32(seg, off)
        default: return try read64(seg, off)
        }
    }
    @inline(__always) public func writeMem(_ seg: Int, _ off: UInt64, _ size: Int, _ v: UInt64) throws(Fault) {
        let la = try linear(seg, off, size, write: true)
        switch size {
        case 1: try writeLinear(la, UInt8(truncatingIfNeeded: v), user: userAccess)
        case 2: try writeLinear(la, UInt16(truncatingIfNeeded: v), user: userAccess)
        case 4: try writeLinear(la, UInt32(truncatingIfNeeded: v), user: userAccess)
        default: try writeLinear(la, v, user: userAccess)
        }
    }
    /// The read half of a read-modify-write: checked for write access first, so a fault
    /// reports W=1 in the #PF error code as hardware does for locked/RMW operands.
    @inline(__always) public func readRMW(_ seg: Int, _ off: UInt64, _ size: Int) throws(Fault) -> UInt64 {
        try probeWrite(seg, off, size)
        return try readMem(seg, off, size)
    }
    /// Check that a write would succeed (read-modify-write and multi-part stores must not
    /// leave partial state: SDM Vol. 3, 6.6 "faults are restartable").
    public func probeWrite(_ seg: Int, _ off: UInt64, _ size: Int) throws(Fault) {
        let la = try linear(seg, off, size, write: true)
        let e = tlbEntry(la, user: userAccess)
        if e.pointee.writeTag == la & ~0xFFF && (la & 0xFFF) <= UInt64(4096 - size) { return }
        _ = try translate(la, .write, user: userAccess)
        if (la & 0xFFF) + UInt64(size) > 4096 { _ = try translate((la | 0xFFF) &+ 1, .write, user: userAccess) }
    }
}
