// Operand access for the semantic routines: the effective address (SDM Vol. 1, 3.7.5) and
// reads/writes of the E operand, which is a register or memory depending on ModRM.mod.

public typealias I = UnsafePointer<Insn>

extension CPU {
    @inline(__always) public func ea(_ i: I) -> UInt64 {
        let d = i.pointee
        var a = UInt64(bitPattern: Int64(d.disp))
        if d.base != Insn.none { a &+= d.base == Insn.ripRel ? s.pointee.nextRip : gpr[Int(d.base)] }
        if d.index != Insn.none { a &+= gpr[Int(d.index)] << UInt64(d.scale) }
        switch d.asz {
        case 2: return a & 0xFFFF
        case 4: return a & 0xFFFF_FFFF
        default: return a
        }
    }
    @inline(__always) func seg(_ i: I) -> Int { Int(i.pointee.seg) }

    @inline(__always) func readE(_ i: I, _ size: Int) throws(Fault) -> UInt64 {
        if i.pointee.isMem { return try readMem(seg(i), ea(i), size) }
        return reg(i.pointee.rm, size)
    }
    @inline(__always) func writeE(_ i: I, _ size: Int, _ v: UInt64) throws(Fault) {
        if i.pointee.isMem { try writeMem(seg(i), ea(i), size, v) } else { setReg(i.pointee.rm, size, v) }
    }
    /// Read-modify-write of E: the address is computed once and the write checked before any
    /// register or flag changes (faults stay restartable).
    @inline(__always) func rmwE(_ i: I, _ size: Int, _ body: (UInt64) -> UInt64) throws(Fault) {
        if i.pointee.isMem {
            let off = ea(i), sg = seg(i)
            let v = try readRMW(sg, off, size)
            try writeMem(sg, off, size, body(v))
        } else {
            setReg(i.pointee.rm, size, body(reg(i.pointee.rm, size)))
        }
    }
    @inline(__always) func osz(_ i: I) -> Int { Int(i.pointee.osz) }

    /// Sign-extend a value of `size` bytes.
    @inline(__always) func sx(_ v: UInt64, _ size: Int) -> Int64 {
        switch size {
        case 1: return Int64(Int8(truncatingIfNeeded: v))
        case 2: return Int64(Int16(truncatingIfNeeded: v))
        case 4: return Int64(Int32(truncatingIfNeeded: v))
        default: return Int64(bitPattern: v)
        }
    }
    @inline(__always) func mask(_ size: Int) -> UInt64 { size == 8 ? ~0 : (UInt64(1) << UInt64(size * 8)) &- 1 }
}
