// FXSAVE / FXRSTOR (SDM Vol. 1, 10.5.1, Tables 10-2 and 10-3; Vol. 2 "FXSAVE"): the x87,
// MMX and SSE state in the 512-byte legacy layout that XSAVE's first two components share.

extension CPU {
    /// The full 2-bit tag of physical register r computed from its contents (SDM Vol. 1,
    /// 8.1.7): 0 valid, 1 zero, 2 special (NaN, infinity, denormal, unnormal).
    func x87TagFromContents(_ r: Int) -> UInt16 {
        let sig = fprs.load(fromByteOffset: r &* 16, as: UInt64.self)
        let exp = fprs.load(fromByteOffset: r &* 16 &+ 8, as: UInt16.self) & 0x7FFF
        if exp == 0x7FFF { return 2 }
        if exp == 0 { return sig == 0 ? 1 : 2 }
        return sig >> 63 == 0 ? 2 : 0
    }
    /// FXSAVE's abridged tag byte: bit r = 1 when physical register r is not empty.
    var abridgedTag: UInt8 {
        var t: UInt8 = 0
        for r in 0..<8 where (s.pointee.ftw >> UInt16(2 * r)) & 3 != 3 { t |= 1 << UInt8(r) }
        return t
    }
    /// The full tag word from an abridged one (FXRSTOR, XRSTOR).
    func setAbridgedTag(_ t: UInt8) {
        var w: UInt16 = 0
        for r in 0..<8 { w |= (t >> UInt8(r) & 1 != 0 ? x87TagFromContents(r) : 3) << UInt16(2 * r) }
        s.pointee.ftw = w
    }

    /// The legacy region (bytes 0-511) as FXSAVE and XSAVE write it; `wide` is the REX.W
    /// (64-bit FIP/FDP) format; XMM8-15 are saved in 64-bit mode only. With `x87`/`sse`
    /// false that component's fields are left alone (XSAVE with a partial RFBM). Bytes
    /// 464-511 are left for software.
    func saveLegacyRegion(_ sg: Int, _ off: UInt64, wide: Bool, x87: Bool = true, sse: Bool = true) throws(Fault) {
        let st = s
        func w(_ o: Int, _ n: Int, _ v: UInt64) throws(Fault) { try writeMem(sg, off &+ UInt64(o), n, v) }
        if x87 {
            try w(0, 2, UInt64(st.pointee.fcw)); try w(2, 2, UInt64(st.pointee.fsw))
            try w(4, 1, UInt64(abridgedTag)); try w(5, 1, 0); try w(6, 2, UInt64(st.pointee.fop))
            if wide {
                try w(8, 8, st.pointee.fip); try w(16, 8, st.pointee.fdp)
            } else {
                try w(8, 4, st.pointee.fip & 0xFFFF_FFFF); try w(12, 4, UInt64(st.pointee.fcs))
                try w(16, 4, st.pointee.fdp & 0xFFFF_FFFF); try w(20, 4, UInt64(st.pointee.fds))
            }
            let top = Int(st.pointee.fsw >> 11) & 7
            for k in 0..<8 {
                let r = (top + k) & 7
                try w(32 + 16 * k, 8, fprs.load(fromByteOffset: 16 * r, as: UInt64.self))
                try w(40 + 16 * k, 8, UInt64(fprs.load(fromByteOffset: 16 * r + 8, as: UInt16.self)))
            }
        }
        if x87 || sse {
            // MXCSR and MXCSR_MASK belong to both components (SDM Vol. 1, 13.5.2).
            try w(24, 4, UInt64(st.pointee.mxcsr)); try w(28, 4, UInt64(CPU.mxcsrMask))
        }
        if sse {
            let n = in64 ? 16 : 8
            for r in 0..<n {
                try w(160 + 16 * r, 8, xmmQ(UInt8(r), 0)); try w(168 + 16 * r, 8, xmmQ(UInt8(r), 1))
            }
        }
    }

    /// Load the legacy region; the caller has checked MXCSR's reserved bits.
    func restoreLegacyRegion(_ sg: Int, _ off: UInt64, wide: Bool, x87: Bool = true, sse: Bool = true) throws(Fault) {
        func r(_ o: Int, _ n: Int) throws(Fault) -> UInt64 { try readMem(sg, off &+ UInt64(o), n) }
        // Read everything first: a fault part-way must leave the state unchanged.
        var img = [UInt64](repeating: 0, count: 64)
        for k in 0..<(in64 ? 52 : 36) { img[k] = try r(8 * k, 8) }
        let st = s
        func b(_ o: Int, _ n: Int) -> UInt64 {
            let v = img[o / 8] >> UInt64(8 * (o % 8))
            return n == 8 ? v : v & ((1 << UInt64(8 * n)) - 1)
        }
        if x87 {
            st.pointee.fcw = UInt16(b(0, 2)); st.pointee.fsw = UInt16(b(2, 2)); st.pointee.fop = UInt16(b(6, 2)) & 0x7FF
            if wide {
                st.pointee.fip = b(8, 8); st.pointee.fdp = b(16, 8)
            } else {
                st.pointee.fip = b(8, 4); st.pointee.fcs = UInt16(b(12, 2))
                st.pointee.fdp = b(16, 4); st.pointee.fds = UInt16(b(20, 2))
            }
            let top = Int(st.pointee.fsw >> 11) & 7
            for k in 0..<8 {
                let rr = (top + k) & 7
                fprs.storeBytes(of: b(32 + 16 * k, 8), toByteOffset: 16 * rr, as: UInt64.self)
                fprs.storeBytes(of: b(40 + 16 * k, 2), toByteOffset: 16 * rr + 8, as: UInt64.self)
            }
            setAbridgedTag(UInt8(b(4, 1)))
        }
        if x87 || sse { st.pointee.mxcsr = UInt32(b(24, 4)) }
        if sse {
            let n = in64 ? 16 : 8
            for rr in 0..<n {
                setXmmQ(UInt8(rr), 0, b(160 + 16 * rr, 8)); setXmmQ(UInt8(rr), 1, b(168 + 16 * rr, 8))
            }
        }
    }

    /// #GP(0) unless the operand's linear address is a multiple of `align`.
    func checkAlignment(_ i: I, _ align: UInt64) throws(Fault) {
        let sg = seg(i)
        let base = (in64 && sg < Seg.fs) ? 0 : segs[sg].base
        if (base &+ ea(i)) & (align - 1) != 0 { throw Fault.gp(0) }
    }

    /// FXSAVE: #NM with CR0.TS or CR0.EM (SDM Vol. 2 "FXSAVE"), #GP(0) unless 16-byte aligned.
    func fxsave(_ i: I) throws(Fault) {
        if s.pointee.cr0 & (CR0.em | CR0.ts) != 0 { throw Fault.nm }
        try checkAlignment(i, 16)
        let sg = seg(i), off = ea(i)
        try probeWrite(sg, off, 464)
        try saveLegacyRegion(sg, off, wide: i.pointee.pfx & Insn.rexW != 0)
    }
    func fxrstor(_ i: I) throws(Fault) {
        if s.pointee.cr0 & (CR0.em | CR0.ts) != 0 { throw Fault.nm }
        try checkAlignment(i, 16)
        let sg = seg(i), off = ea(i)
        if try read32(sg, off &+ 24) & ~UInt64(CPU.mxcsrMask) != 0 { throw Fault.gp(0) }
        try restoreLegacyRegion(sg, off, wide: i.pointee.pfx & Insn.rexW != 0)
    }
}

extension CPU {
    /// Copy the x87, SSE and AVX state out in the XSAVE standard format (SDM Vol. 1, 13.4):
    /// the legacy region (64-bit FIP/FDP), the header with XSTATE_BV = 7, YMM_Hi128 at 576.
    /// For tests and state dumps; `p` must hold 832 bytes.
    public func exportXState(to p: UnsafeMutableRawPointer) {
        let st = s
        p.initializeMemory(as: UInt8.self, repeating: 0, count: 832)
        p.storeBytes(of: st.pointee.fcw, toByteOffset: 0, as: UInt16.self)
        p.storeBytes(of: st.pointee.fsw, toByteOffset: 2, as: UInt16.self)
        p.storeBytes(of: abridgedTag, toByteOffset: 4, as: UInt8.self)
        p.storeBytes(of: st.pointee.fop, toByteOffset: 6, as: UInt16.self)
        p.storeBytes(of: st.pointee.fip, toByteOffset: 8, as: UInt64.self)
        p.storeBytes(of: st.pointee.fdp, toByteOffset: 16, as: UInt64.self)
        p.storeBytes(of: st.pointee.mxcsr, toByteOffset: 24, as: UInt32.self)
        p.storeBytes(of: CPU.mxcsrMask, toByteOffset: 28, as: UInt32.self)
        let top = Int(st.pointee.fsw >> 11) & 7
        for k in 0..<8 {
            let r = (top + k) & 7
            p.storeBytes(of: fprs.load(fromByteOffset: 16 * r, as: UInt64.self), toByteOffset: 32 + 16 * k, as: UInt64.self)
            p.storeBytes(of: fprs.load(fromByteOffset: 16 * r + 8, as: UInt16.self), toByteOffset: 40 + 16 * k, as: UInt16.self)
        }
        for r in 0..<16 {
            for q in 0..<2 { p.storeBytes(of: xmmQ(UInt8(r), q), toByteOffset: 160 + 16 * r + 8 * q, as: UInt64.self) }
            for q in 0..<2 { p.storeBytes(of: xmmQ(UInt8(r), 2 + q), toByteOffset: 576 + 16 * r + 8 * q, as: UInt64.self) }
        }
        p.storeBytes(of: UInt64(7), toByteOffset: 512, as: UInt64.self)
    }
    /// Load the x87, SSE and AVX state from the XSAVE standard format (all three components;
    /// the header is not consulted).
    public func importXState(from p: UnsafeRawPointer) {
        let st = s
        st.pointee.fcw = p.load(fromByteOffset: 0, as: UInt16.self)
        st.pointee.fsw = p.load(fromByteOffset: 2, as: UInt16.self)
        st.pointee.fop = p.load(fromByteOffset: 6, as: UInt16.self) & 0x7FF
        st.pointee.fip = p.load(fromByteOffset: 8, as: UInt64.self)
        st.pointee.fdp = p.load(fromByteOffset: 16, as: UInt64.self)
        st.pointee.mxcsr = p.load(fromByteOffset: 24, as: UInt32.self) & CPU.mxcsrMask
        let top = Int(st.pointee.fsw >> 11) & 7
        for k in 0..<8 {
            let r = (top + k) & 7
            fprs.storeBytes(of: p.load(fromByteOffset: 32 + 16 * k, as: UInt64.self), toByteOffset: 16 * r, as: UInt64.self)
            fprs.storeBytes(of: UInt64(p.load(fromByteOffset: 40 + 16 * k, as: UInt16.self)), toByteOffset: 16 * r + 8, as: UInt64.self)
        }
        setAbridgedTag(p.load(fromByteOffset: 4, as: UInt8.self))
        for r in 0..<16 {
            for q in 0..<2 { setXmmQ(UInt8(r), q, p.load(fromByteOffset: 160 + 16 * r + 8 * q, as: UInt64.self)) }
            for q in 0..<2 { setXmmQ(UInt8(r), 2 + q, p.load(fromByteOffset: 576 + 16 * r + 8 * q, as: UInt64.self)) }
        }
    }
}
