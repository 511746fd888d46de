// Linear-address reads and writes: the TLB fast path inline, everything else (misses, page
// crossings, MMIO, writes to code pages, non-canonical addresses) in @inline(never) slow paths.

extension CPU {
    @inline(__always) func isCanonical(_ la: UInt64) -> Bool {
        UInt64(bitPattern: Int64(bitPattern: la << 16) >> 16) == la
    }

    // MARK: fast paths

    @inline(__always)
    public func readLinear<T: FixedWidthInteger>(_ la: UInt64, _: T.Type, user: Bool) throws(Fault) -> T {
        let e = tlbEntry(la, user: user)
        if _fastPath(e.pointee.readTag == la & ~0xFFF && (la & 0xFFF) <= UInt64(4096 - MemoryLayout<T>.size)) {
            return UnsafeRawPointer(bitPattern: UInt(la) &+ e.pointee.addend).unsafelyUnwrapped.loadUnaligned(as: T.self)
        }
        return T(truncatingIfNeeded: try readSlow(la, MemoryLayout<T>.size, user: user, kind: .read))
    }
    @inline(__always)
    public func writeLinear<T: FixedWidthInteger>(_ la: UInt64, _ v: T, user: Bool) throws(Fault) {
        let e = tlbEntry(la, user: user)
        if _fastPath(e.pointee.writeTag == la & ~0xFFF && (la & 0xFFF) <= UInt64(4096 - MemoryLayout<T>.size)) {
            UnsafeMutableRawPointer(bitPattern: UInt(la) &+ e.pointee.addend).unsafelyUnwrapped.storeBytes(of: v, as: T.self)
            return
        }
        try writeSlow(la, UInt64(truncatingIfNeeded: v), MemoryLayout<T>.size, user: user)
    }
    /// Instruction fetch of one byte (decoder; blocks fetch once).
    public func fetchByte(_ la: UInt64) throws(Fault) -> UInt8 {
        let user = s.pointee.cpl == 3
        let e = tlbEntry(la, user: user)
        if e.pointee.fetchTag == la & ~0xFFF {
            return UnsafeRawPointer(bitPattern: UInt(la) &+ e.pointee.addend).unsafelyUnwrapped.load(as: UInt8.self)
        }
        return UInt8(truncatingIfNeeded: try readSlow(la, 1, user: user, kind: .fetch))
    }
    /// Physical address of a code byte (fills the fetch TLB); the block key.
    public func fetchPhysical(_ la: UInt64) throws(Fault) -> UInt64 {
        let user = s.pointee.cpl == 3
        let e = tlbEntry(la, user: user)
        if e.pointee.fetchTag == la & ~0xFFF { return e.pointee.phys | (la & 0xFFF) }
        _ = try readSlow(la, 1, user: user, kind: .fetch)
        if e.pointee.fetchTag == la & ~0xFFF { return e.pointee.phys | (la & 0xFFF) }
        let t = try walk(la, .fetch, user: user)
        return t.phys | (la & 0xFFF)
    }

    // MARK: slow paths

    /// Translate one linear address, filling the TLB when the page is RAM.
    @inline(never)
    public func translate(_ la: UInt64, _ kind: Access, user: Bool, implicit: Bool = false) throws(Fault) -> UInt64 {
        if in64 || longMode {
            if !isCanonical(la) { throw .gp(0) }
        }
        let t = try walk(la, kind, user: user, implicit: implicit)
        let pa = t.phys | (la & 0xFFF)
        if !implicit && s.pointee.dr7 & 0xFF == 0 {
            let idx = mem.ramIndex(t.phys)
            if idx >= 0 {
                let e = tlbEntry(la, user: user)
                let page = la & ~0xFFF
                let addend = UInt(bitPattern: mem.hostAddress(t.phys)!) &- UInt(page)
                if e.pointee.phys != t.phys || e.pointee.addend != addend {
                    e.pointee = TLBEntry()
                }
                if e.pointee.readTag | e.pointee.writeTag | e.pointee.fetchTag == 1 { noteTLBFill(e) }
                e.pointee.phys = t.phys; e.pointee.addend = addend; e.pointee.global = t.global
                switch kind {
                case .read: e.pointee.readTag = page
                case .fetch: e.pointee.fetchTag = page
                case .write:
                    if !mem.isCode(idx) { e.pointee.writeTag = page }
                    e.pointee.readTag = page
                }
            }
        }
        return pa
    }

    @inline(never)
    func readSlow(_ la: UInt64, _ size: Int, user: Bool, kind: Access, implicit: Bool = false) throws(Fault) -> UInt64 {
        var la = la
        if !in64 && !longMode { la &= 0xFFFF_FFFF }
        if _slowPath(s.pointee.dr7 & 0xFF != 0) && kind == .read { dataBreakpoints(la, size, write: false) }
        if (la & 0xFFF) + UInt64(size) > 4096 {
            // Page-crossing: translate both pages before reading anything (precise #PF).
            let first = 4096 - Int(la & 0xFFF)
            let pa1 = try translate(la, kind, user: user, implicit: implicit)
            let la2 = in64 ? la &+ UInt64(first) : (la &+ UInt64(first)) & 0xFFFF_FFFF
            let pa2 = try translate(la2, kind, user: user, implicit: implicit)
            var v: UInt64 = 0
            for i in 0..<size {
                let b = i < first ? physRead8(pa1 + UInt64(i)) : physRead8(pa2 + UInt64(i - first))
                v |= UInt64(b) << UInt64(8 * i)
            }
            return v
        }
        let pa = try translate(la, kind, user: user, implicit: implicit)
        return physRead(pa, size)
    }

    @inline(never)
    func writeSlow(_ la: UInt64, _ v: UInt64, _ size: Int, user: Bool, implicit: Bool = false) throws(Fault) {
        var la = la
        if !in64 && !longMode { la &= 0xFFFF_FFFF }
        if _slowPath(s.pointee.dr7 & 0xFF != 0) { dataBreakpoints(la, size, write: true) }
        if (la & 0xFFF) + UInt64(size) > 4096 {
            let first = 4096 - Int(la & 0xFFF)
            let pa1 = try translate(la, .write, user: user, implicit: implicit)
            let la2 = in64 ? la &+ UInt64(first) : (la &+ UInt64(first)) & 0xFFFF_FFFF
            let pa2 = try translate(la2, .write, user: user, implicit: implicit)
            for i in 0..<size {
                let b = UInt8(truncatingIfNeeded: v >> UInt64(8 * i))
                if i < first { physWrite(pa1 + UInt64(i), UInt64(b), 1) } else { physWrite(pa2 + UInt64(i - first), UInt64(b), 1) }
            }
            return
        }
        let pa = try translate(la, .write, user: user, implicit: implicit)
        physWrite(pa, v, size)
    }

    // MARK: physical

    @inline(__always) func physRead8(_ pa: UInt64) -> UInt8 { UInt8(truncatingIfNeeded: physRead(pa, 1)) }

    public func physRead(_ pa: UInt64, _ size: Int) -> UInt64 {
        if let h = mem.hostAddress(pa) {
            switch size {
            case 1: return UInt64(h.load(as: UInt8.self))
            case 2: return UInt64(h.loadUnaligned(as: UInt16.self))
            case 4: return UInt64(h.loadUnaligned(as: UInt32.self))
            default: return h.loadUnaligned(as: UInt64.self)
            }
        }
        return bus.mmioRead(pa, size: size)
    }
    public func physWrite(_ pa: UInt64, _ v: UInt64, _ size: Int) {
        let idx = mem.ramIndex(pa)
        if idx >= 0, let h = mem.hostAddress(pa) {
            switch size {
            case 1: h.storeBytes(of: UInt8(truncatingIfNeeded: v), as: UInt8.self)
            case 2: h.storeBytes(of: UInt16(truncatingIfNeeded: v), as: UInt16.self)
            case 4: h.storeBytes(of: UInt32(truncatingIfNeeded: v), as: UInt32.self)
            default: h.storeBytes(of: v, as: UInt64.self)
            }
            if mem.isCode(idx) {
                // Self-modifying code: drop the translations, and end the current block after
                // this instruction in case it was one of them.
                bus.codeWritten(page: pa & ~0xFFF)
                s.pointee.exitRequest = 1
            }
            return
        }
        bus.mmioWrite(pa, size: size, value: v)
    }

    /// Supervisor ("implicit") accesses to system structures: GDT, LDT, IDT, TSS (SDM 4.6.1).
    public func readSys(_ la: UInt64, _ size: Int) throws(Fault) -> UInt64 {
        try readSlow(la, size, user: false, kind: .read, implicit: s.pointee.cpl == 3)
    }
    public func writeSys(_ la: UInt64, _ v: UInt64, _ size: Int) throws(Fault) {
        try writeSlow(la, v, size, user: false, implicit: s.pointee.cpl == 3)
    }
}
