// Operand access and availability rules shared by the MMX, SSE and AVX routines.
//
// Registers live in the state block (CPU.vregs: YMM0-15, 32 bytes each; CPU.fprs: x87 R0-R7,
// whose significands are MM0-7). The rules for when a SIMD instruction may run come from the
// SDM Vol. 3, 2.5 (CR0.EM, CR0.TS, CR4.OSFXSR, CR4.OSXMMEXCPT), Vol. 1, 13.5 and Vol. 2,
// 2.8 (VEX: CR4.OSXSAVE and XCR0).

import CSIMD

extension CPU {
    // MARK: registers

    @inline(__always) func xmm(_ r: UInt8) -> UnsafeMutableRawPointer { vregs + Int(r & 15) &* 32 }
    @inline(__always) func xmmQ(_ r: UInt8, _ k: Int) -> UInt64 { xmm(r).load(fromByteOffset: k &* 8, as: UInt64.self) }
    @inline(__always) func setXmmQ(_ r: UInt8, _ k: Int, _ v: UInt64) { xmm(r).storeBytes(of: v, toByteOffset: k &* 8, as: UInt64.self) }

    /// Scratch operands for the host kernels: +0 result, +32 second source (a memory operand),
    /// +64 third source, +96 first source when it must be built (32 bytes each).
    @inline(__always) var kd: UnsafeMutableRawPointer { scratch }
    @inline(__always) var kb: UnsafeMutableRawPointer { scratch + 32 }
    @inline(__always) var kc: UnsafeMutableRawPointer { scratch + 64 }
    @inline(__always) var ka: UnsafeMutableRawPointer { scratch + 96 }

    /// Copy a result to register r with the SSE/AVX rules for the bits above it: a legacy SSE
    /// instruction leaves bits 255:128 alone, a VEX.128 one zeroes them, a VEX.256 one writes
    /// all 256 (SDM Vol. 1, 14.1.3).
    @inline(__always) func writeXmm(_ i: I, _ r: UInt8, _ src: UnsafeRawPointer) {
        let p = xmm(r)
        p.storeBytes(of: src.load(fromByteOffset: 0, as: UInt64.self), toByteOffset: 0, as: UInt64.self)
        p.storeBytes(of: src.load(fromByteOffset: 8, as: UInt64.self), toByteOffset: 8, as: UInt64.self)
        let v = i.pointee.vex
        if v & Insn.vexEncoded != 0 {
            let wide = v & Insn.vexL != 0
            p.storeBytes(of: wide ? src.load(fromByteOffset: 16, as: UInt64.self) : 0, toByteOffset: 16, as: UInt64.self)
            p.storeBytes(of: wide ? src.load(fromByteOffset: 24, as: UInt64.self) : 0, toByteOffset: 24, as: UInt64.self)
        }
    }
    /// Write the low 16 bytes given as two quadwords, with the same upper-bit rules.
    @inline(__always) func writeXmm(_ i: I, _ r: UInt8, _ lo: UInt64, _ hi: UInt64) {
        let p = xmm(r)
        p.storeBytes(of: lo, toByteOffset: 0, as: UInt64.self)
        p.storeBytes(of: hi, toByteOffset: 8, as: UInt64.self)
        if i.pointee.vex & Insn.vexEncoded != 0 {
            p.storeBytes(of: UInt64(0), toByteOffset: 16, as: UInt64.self)
            p.storeBytes(of: UInt64(0), toByteOffset: 24, as: UInt64.self)
        }
    }

    // MARK: MMX registers (SDM Vol. 1, 9.5.2): MMi is the significand of x87 register Ri.

    @inline(__always) func mm(_ r: UInt8) -> UInt64 { fprs.load(fromByteOffset: Int(r & 7) &* 16, as: UInt64.self) }
    /// Writing an MMX register sets bits 79:64 of the x87 register to all ones.
    @inline(__always) func setMM(_ r: UInt8, _ v: UInt64) {
        fprs.storeBytes(of: v, toByteOffset: Int(r & 7) &* 16, as: UInt64.self)
        fprs.storeBytes(of: UInt64(0xFFFF), toByteOffset: Int(r & 7) &* 16 &+ 8, as: UInt64.self)
    }

    // MARK: availability

    /// Legacy SSE: #UD with CR0.EM or without CR4.OSFXSR, #NM with CR0.TS (SDM Vol. 3, Table 2-2;
    /// Vol. 1, 13.1). VEX: #UD unless CR4.OSXSAVE and XCR0 enables SSE and AVX state, #NM with
    /// CR0.TS (Vol. 2, 2.8, Table 2-21 class 1). Exits early in the common case.
    @inline(__always) func sseCheck(_ i: I) throws(Fault) {
        let st = s
        if _fastPath(st.pointee.cr0 & (CR0.em | CR0.ts) == 0 && st.pointee.cr4 & CR4.osfxsr != 0
                     && i.pointee.vex & Insn.vexEncoded == 0) { return }
        try sseCheckSlow(i)
    }
    @inline(never) func sseCheckSlow(_ i: I) throws(Fault) {
        let st = s
        if i.pointee.vex & Insn.vexEncoded != 0 {
            if st.pointee.cr4 & CR4.osxsave == 0 || st.pointee.xcr0 & 6 != 6 { throw Fault.ud }
            if v86 || !protectedMode { throw Fault.ud }
        } else {
            if st.pointee.cr0 & CR0.em != 0 || st.pointee.cr4 & CR4.osfxsr == 0 { throw Fault.ud }
        }
        if st.pointee.cr0 & CR0.ts != 0 { throw Fault.nm }
    }

    /// MMX: #UD with CR0.EM, #NM with CR0.TS, #MF for a pending unmasked x87 exception
    /// (SDM Vol. 1, 9.5.1 and Table 12-? "Exceptions"); checked before any memory access.
    @inline(__always) func mmxCheck() throws(Fault) {
        let st = s
        if _slowPath(st.pointee.cr0 & (CR0.em | CR0.ts) != 0 || st.pointee.fsw & 0x80 != 0) {
            if st.pointee.cr0 & CR0.em != 0 { throw Fault.ud }
            if st.pointee.cr0 & CR0.ts != 0 { throw Fault.nm }
            try x87PendingException()
        }
    }
    /// The x87-to-MMX transition every MMX instruction but EMMS makes: TOP = 0, every tag
    /// valid (SDM Vol. 1, 9.5.1, Table 9-3).
    @inline(__always) func mmxTouch() {
        s.pointee.fsw &= ~0x3800
        s.pointee.ftw = 0
    }

    /// A waiting x87 instruction with an unmasked exception pending (FSW.ES): #MF with
    /// CR0.NE = 1; the legacy FERR# path (IRQ 13 through the machine) otherwise, after which
    /// the instruction runs (SDM Vol. 1, 8.7; Vol. 3, 2.5 CR0.NE).
    @inline(never) func x87PendingException() throws(Fault) {
        guard s.pointee.fsw & 0x80 != 0 else { return }
        if s.pointee.cr0 & CR0.ne != 0 { throw Fault.mf }
        bus.assertFERR()
    }

    // MARK: memory operands of 1..32 bytes

    /// Effective address of a SIMD memory operand, checked for the alignment the form needs
    /// (#GP(0) for a misaligned 16/32-byte operand of an aligned form: SDM Vol. 1, 11.6.7).
    @inline(__always) func simdAddress(_ i: I, _ size: Int) throws(Fault) -> UInt64 {
        let off = ea(i)
        if _slowPath(i.pointee.vex & Insn.vexAligned != 0) {
            let sg = seg(i)
            let base = (in64 && sg < Seg.fs) ? 0 : segs[sg].base
            if (base &+ off) & UInt64(size - 1) != 0 { throw Fault.gp(0) }
        }
        return off
    }

    /// Read `size` bytes at sg:off into p, zero-filling p up to 32 bytes. The whole range is
    /// checked (segment limit, #AC) first and read in quadwords, so a fault on a later page
    /// changes nothing.
    func loadBytes(_ sg: Int, _ off: UInt64, _ size: Int, _ p: UnsafeMutableRawPointer) throws(Fault) {
        var q0: UInt64 = 0, q1: UInt64 = 0, q2: UInt64 = 0, q3: UInt64 = 0
        switch size {
        case 1: q0 = try read8(sg, off)
        case 2: q0 = try read16(sg, off)
        case 4: q0 = try read32(sg, off)
        case 8: q0 = try read64(sg, off)
        case 10: _ = try linear(sg, off, 10, write: false); q0 = try read64(sg, off); q1 = try read16(sg, off &+ 8)
        default:
            _ = try linear(sg, off, size, write: false)
            q0 = try read64(sg, off); q1 = try read64(sg, off &+ 8)
            if size == 32 { q2 = try read64(sg, off &+ 16); q3 = try read64(sg, off &+ 24) }
        }
        p.storeBytes(of: q0, toByteOffset: 0, as: UInt64.self); p.storeBytes(of: q1, toByteOffset: 8, as: UInt64.self)
        p.storeBytes(of: q2, toByteOffset: 16, as: UInt64.self); p.storeBytes(of: q3, toByteOffset: 24, as: UInt64.self)
    }
    /// Write `size` bytes from p at sg:off; every page is checked before the first byte is
    /// written (precise faults).
    func storeBytes(_ sg: Int, _ off: UInt64, _ size: Int, _ p: UnsafeRawPointer) throws(Fault) {
        switch size {
        case 1, 2, 4, 8: try writeMem(sg, off, size, p.load(as: UInt64.self))
        case 10:
            try probeWrite(sg, off, 10)
            try writeMem(sg, off, 8, p.load(as: UInt64.self))
            try writeMem(sg, off &+ 8, 2, UInt64(p.load(fromByteOffset: 8, as: UInt16.self)))
        default:
            try probeWrite(sg, off, size)
            var k = 0
            while k < size { try writeMem(sg, off &+ UInt64(k), 8, p.load(fromByteOffset: k, as: UInt64.self)); k &+= 8 }
        }
    }

    /// The W operand: a pointer to the register, or to its memory contents (`msz` bytes,
    /// zero-extended) in the kernel scratch area.
    @inline(__always) func wOperand(_ i: I) throws(Fault) -> UnsafeMutableRawPointer {
        if i.pointee.isMem {
            let size = Int(i.pointee.msz)
            try loadBytes(seg(i), try simdAddress(i, size), size, kb)
            return kb
        }
        return xmm(i.pointee.rm)
    }
    /// Store the first `msz` bytes of p to the W operand (memory) or copy to its register.
    @inline(__always) func storeW(_ i: I, _ p: UnsafeRawPointer) throws(Fault) {
        if i.pointee.isMem {
            let size = Int(i.pointee.msz)
            try storeBytes(seg(i), try simdAddress(i, size), size, p)
        } else {
            writeXmm(i, i.pointee.rm, p)
        }
    }

    // MARK: SIMD floating-point exceptions (SDM Vol. 1, 11.5)

    /// Apply the flags a kernel raised. The kernel ran with the guest's masks; when an
    /// unmasked exception occurred it says so (SWEMU_VFP_UNMASKED) with the flags the host CPU
    /// set, the destination must stay unchanged, and #XM (CR4.OSXMMEXCPT = 1) or #UD follows.
    @inline(__always) func mxcsrRaise(_ flags: UInt32) throws(Fault) {
        if _fastPath(flags == 0) { return }
        s.pointee.mxcsr |= flags & 0x3F
        if _slowPath(flags & SWEMU_VFP_UNMASKED != 0) {
            throw s.pointee.cr4 & CR4.osxmmexcpt != 0 ? Fault.xm : Fault.ud
        }
    }
}
