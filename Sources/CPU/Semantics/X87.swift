// The x87 FPU (SDM Vol. 1, chapter 8; Vol. 2 F* pages). Arithmetic, loads, stores, compares
// and register operations run as the same instruction on the host (CSIMD swemu_x87) on an
// FXSAVE image of the guest's x87 state, so 80-bit results, precision and rounding control,
// condition codes, tags, stack faults and exception flags are the hardware's. Swift keeps
// what the host must not see: the pending-exception rules (#MF with CR0.NE = 1, FERR#/IRQ 13
// otherwise), memory operands and their faults, FIP/FDP/FOP, and the environment formats.

import CSIMD

extension CPU {
    /// Build the FXSAVE64 image the kernel loads: the exception flags, SF, ES and B are cleared
    /// so the host reports only this instruction's exceptions and never traps (#MF needs ES).
    @inline(__always) func x87Image(_ img: UnsafeMutableRawPointer) {
        let st = s
        img.storeBytes(of: st.pointee.fcw, toByteOffset: 0, as: UInt16.self)
        img.storeBytes(of: st.pointee.fsw & ~0x80FF, toByteOffset: 2, as: UInt16.self)
        img.storeBytes(of: abridgedTag, toByteOffset: 4, as: UInt8.self)
        img.storeBytes(of: UInt32(0x1F80), toByteOffset: 24, as: UInt32.self)
        let top = Int(st.pointee.fsw >> 11) & 7
        for k in 0..<8 {
            let r = (top &+ k) & 7
            img.storeBytes(of: fprs.load(fromByteOffset: 16 &* r, as: UInt64.self), toByteOffset: 32 &+ 16 &* k, as: UInt64.self)
            img.storeBytes(of: fprs.load(fromByteOffset: 16 &* r &+ 8, as: UInt64.self) & 0xFFFF, toByteOffset: 40 &+ 16 &* k, as: UInt64.self)
        }
    }
    /// Take the state back from the image; returns the exceptions this instruction raised.
    @inline(__always) func x87FromImage(_ img: UnsafeMutableRawPointer) -> UInt16 {
        let st = s
        let host = img.load(fromByteOffset: 2, as: UInt16.self)
        var fsw = (host & ~0x8080) | (st.pointee.fsw & 0x7F)
        if fsw & 0x3F & ~st.pointee.fcw != 0 { fsw |= 0x8080 }      // ES and B: an unmasked exception
        st.pointee.fsw = fsw
        let top = Int(fsw >> 11) & 7
        for k in 0..<8 {
            let r = (top &+ k) & 7
            fprs.storeBytes(of: img.load(fromByteOffset: 32 &+ 16 &* k, as: UInt64.self), toByteOffset: 16 &* r, as: UInt64.self)
            fprs.storeBytes(of: UInt64(img.load(fromByteOffset: 40 &+ 16 &* k, as: UInt16.self)), toByteOffset: 16 &* r &+ 8, as: UInt64.self)
        }
        setAbridgedTag(img.load(fromByteOffset: 4, as: UInt8.self))
        return host & 0x3F
    }

    /// Every x87 instruction but the control ones: #NM with CR0.EM or CR0.TS, the pending
    /// unmasked exception first (these are waiting instructions), then the host kernel.
    func x87(_ i: I) throws(Fault) {
        let st = s
        if st.pointee.cr0 & (CR0.em | CR0.ts) != 0 { throw Fault.nm }
        if _slowPath(st.pointee.fsw & 0x80 != 0) { try x87PendingException() }
        let aux = i.pointee.aux
        let op = 0xD8 | UInt32(aux & 7), reg = UInt32(i.pointee.reg & 7)
        let mem = i.pointee.isMem
        let modrm = mem ? reg << 3 : 0xC0 | reg << 3 | UInt32(i.pointee.rm & 7)
        let n = Int(i.pointee.msz)
        let mbuf = scratch + 128, img = scratch + 512
        var sg = 0, off: UInt64 = 0
        if mem {
            sg = seg(i); off = ea(i)
            if aux & X87Aux.load != 0 { try loadBytes(sg, off, n, mbuf) } else { try probeWrite(sg, off, n) }
        }
        x87Image(img)
        var rf: UInt64 = arithFlags
        if swemu_x87(op, modrm, img, mbuf, &rf) == 0 {
            warnOnce("x87 instruction \(String(op, radix: 16)) \(String(modrm, radix: 16)) has no kernel: raising #UD")
            throw Fault.ud
        }
        let raised = x87FromImage(img)
        // A store is not made when an unmasked invalid-operation, denormal, overflow or
        // underflow exception occurred (SDM Vol. 1, 8.5: the destination is left unchanged).
        if mem && aux & X87Aux.store != 0 && raised & ~st.pointee.fcw & 0x1F == 0 {
            try storeBytes(sg, off, n, mbuf)
        }
        if aux & X87Aux.eflags != 0 { setArithFlags(rf & (FL.zf | FL.pf | FL.cf)) }
        // Last-instruction pointers (SDM Vol. 1, 8.1.8-8.1.10).
        st.pointee.fop = UInt16(((op & 7) << 8) | modrm)
        st.pointee.fip = st.pointee.rip
        st.pointee.fcs = segs[Seg.cs].selector
        if mem { st.pointee.fdp = off; st.pointee.fds = segs[sg].selector }
    }

    /// FLDENV (aux 0), FNSTENV (1), FRSTOR (2), FNSAVE (3): the 14- or 28-byte environment
    /// in the real-mode or protected-mode layout (SDM Vol. 1, 8.1.10, Figures 8-9 to 8-12),
    /// followed by ST(0)-ST(7) for FNSAVE/FRSTOR.
    func x87env(_ i: I) throws(Fault) {
        let st = s
        if st.pointee.cr0 & (CR0.em | CR0.ts) != 0 { throw Fault.nm }
        let aux = i.pointee.aux
        let store = aux & 1 != 0, full = aux & 2 != 0
        let wide = i.pointee.osz != 2                       // 28-byte format
        let real = !protectedMode || v86
        let envSize = wide ? 28 : 14
        let size = envSize + (full ? 80 : 0)
        let sg = seg(i), off = ea(i)
        if store {
            try probeWrite(sg, off, size)
            // The tag word from the registers' contents (valid, zero, special, empty).
            var tag: UInt16 = 0
            for r in 0..<8 {
                let t = (st.pointee.ftw >> UInt16(2 * r)) & 3 == 3 ? 3 : x87TagFromContents(r)
                tag |= t << UInt16(2 * r)
            }
            var f = [UInt64](repeating: 0, count: 7)
            let fip = st.pointee.fip, fdp = st.pointee.fdp, fop = UInt64(st.pointee.fop & 0x7FF)
            f[0] = UInt64(st.pointee.fcw); f[1] = UInt64(st.pointee.fsw); f[2] = UInt64(tag)
            if real {
                let lin = fip &+ (UInt64(st.pointee.fcs) << 4), dlin = fdp &+ (UInt64(st.pointee.fds) << 4)
                f[3] = lin & 0xFFFF; f[4] = (wide ? ((lin >> 16) & 0xFFFF) : ((lin >> 16) & 0xF)) << 12 | fop
                f[5] = dlin & 0xFFFF; f[6] = (wide ? ((dlin >> 16) & 0xFFFF) : ((dlin >> 16) & 0xF)) << 12
            } else {
                f[3] = fip & 0xFFFF_FFFF; f[4] = UInt64(st.pointee.fcs) | (wide ? fop << 16 : 0)
                f[5] = fdp & 0xFFFF_FFFF; f[6] = UInt64(st.pointee.fds)
            }
            let w = wide ? 4 : 2
            for k in 0..<7 {
                let v = wide ? f[k] : (k == 4 && !real ? UInt64(st.pointee.fcs) : f[k]) & 0xFFFF
                try writeMem(sg, off &+ UInt64(w * k), w, wide && k < 3 ? v | 0xFFFF_0000 : v)
            }
            if full {
                let top = Int(st.pointee.fsw >> 11) & 7
                for k in 0..<8 {
                    let r = (top + k) & 7
                    let o = off &+ UInt64(envSize + 10 * k)
                    try writeMem(sg, o, 8, fprs.load(fromByteOffset: 16 * r, as: UInt64.self))
                    try writeMem(sg, o &+ 8, 2, UInt64(fprs.load(fromByteOffset: 16 * r + 8, as: UInt16.self)))
                }
                // FNSAVE then initializes the FPU (as FNINIT).
                st.pointee.fcw = 0x037F; st.pointee.fsw = 0; st.pointee.ftw = 0xFFFF
                st.pointee.fop = 0; st.pointee.fip = 0; st.pointee.fdp = 0; st.pointee.fcs = 0; st.pointee.fds = 0
            } else {
                st.pointee.fcw |= 0x3F          // FNSTENV masks every exception afterwards
            }
            return
        }
        // Loads: read everything before changing anything.
        let w = wide ? 4 : 2
        var f = [UInt64](repeating: 0, count: 7)
        for k in 0..<7 { f[k] = try readMem(sg, off &+ UInt64(w * k), w) }
        var regs = [(UInt64, UInt64)]()
        if full {
            for k in 0..<8 {
                let o = off &+ UInt64(envSize + 10 * k)
                regs.append((try read64(sg, o), try read16(sg, o &+ 8)))
            }
        }
        st.pointee.fcw = UInt16(f[0] & 0xFFFF) | 0x0040
        st.pointee.fsw = UInt16(f[1] & 0xFFFF)
        let tag = UInt16(f[2] & 0xFFFF)
        if real {
            st.pointee.fop = UInt16(f[4] & 0x7FF)
            st.pointee.fip = f[3] | (wide ? (f[4] >> 12) << 16 : (f[4] >> 12 & 0xF) << 16)
            st.pointee.fdp = f[5] | (wide ? (f[6] >> 12) << 16 : (f[6] >> 12 & 0xF) << 16)
            st.pointee.fcs = 0; st.pointee.fds = 0
        } else {
            st.pointee.fip = f[3]; st.pointee.fcs = UInt16(f[4] & 0xFFFF)
            st.pointee.fop = wide ? UInt16((f[4] >> 16) & 0x7FF) : st.pointee.fop
            st.pointee.fdp = f[5]; st.pointee.fds = UInt16(f[6] & 0xFFFF)
        }
        if full {
            let top = Int(st.pointee.fsw >> 11) & 7
            for k in 0..<8 {
                let r = (top + k) & 7
                fprs.storeBytes(of: regs[k].0, toByteOffset: 16 * r, as: UInt64.self)
                fprs.storeBytes(of: regs[k].1, toByteOffset: 16 * r + 8, as: UInt64.self)
            }
        }
        // Only empty versus non-empty is taken from the tag word; the rest follows from the
        // registers' contents (as FSTENV reports them afterwards).
        var ab: UInt8 = 0
        for r in 0..<8 where (tag >> UInt16(2 * r)) & 3 != 3 { ab |= 1 << UInt8(r) }
        setAbridgedTag(ab)
    }
}
