// SSE through SSE4.2, AES-NI, PCLMULQDQ and their VEX forms (SDM Vol. 1, chapters 10-12,
// 14; Vol. 2 instruction pages). Arithmetic goes through the host kernels (CSIMD): the same
// instruction on the host computes each 128-bit lane, so results and flags are exact; these
// routines fetch operands, apply the availability and exception rules and write results.

import CSIMD

extension CPU {
    /// First source: V for legacy SSE (destination and source), VEX.vvvv for VEX forms.
    @inline(__always) func src1(_ i: I) -> UInt8 { i.pointee.vex & Insn.vexEncoded != 0 ? i.pointee.vreg : i.pointee.reg }
    @inline(__always) func imm32(_ i: I) -> UInt32 { UInt32(truncatingIfNeeded: i.pointee.imm) }

    /// V <- op(src1, W [, imm]) through a floating-point kernel; 256-bit forms run two lanes.
    func vfp(_ i: I) throws(Fault) {
        try sseCheck(i)
        let b = try wOperand(i), a = xmm(src1(i))
        let op = UInt32(i.pointee.aux), imm = imm32(i), m = s.pointee.mxcsr
        var fl = swemu_vfp(op, kd, a, b, kc, m, imm)
        if i.pointee.vex & Insn.vexL != 0 { fl |= swemu_vfp(op, kd + 16, a + 16, b + 16, kc, m, imm) }
        try mxcsrRaise(fl)
        writeXmm(i, i.pointee.reg, kd)
    }

    /// V <- op(src1, W [, imm]) through an integer kernel.
    func vint(_ i: I) throws(Fault) {
        try sseCheck(i)
        let b = try wOperand(i), a = xmm(src1(i))
        let op = UInt32(i.pointee.aux)
        var imm = imm32(i)
        // INSERTPS from memory takes the loaded dword: imm8[7:6] selects nothing (SDM "INSERTPS").
        if op == UInt32(KInt.INSERTPS) && i.pointee.isMem { imm &= 0x3F }
        swemu_vint(op, kd, a, b, kc, imm)
        if i.pointee.vex & Insn.vexL != 0 { swemu_vint(op, kd + 16, a + 16, b + 16, kc, imm) }
        writeXmm(i, i.pointee.reg, kd)
    }

    /// PBLENDVB / BLENDVPS / BLENDVPD: the mask is XMM0 (legacy) or the register in
    /// imm8[7:4] (VEX "is4" operand).
    func vblendv(_ i: I) throws(Fault) {
        try sseCheck(i)
        let b = try wOperand(i), a = xmm(src1(i))
        let c = xmm(i.pointee.vex & Insn.vexEncoded != 0 ? UInt8(truncatingIfNeeded: i.pointee.imm >> 4) : 0)
        let op = UInt32(i.pointee.aux)
        swemu_vint(op, kd, a, b, c, 0)
        if i.pointee.vex & Insn.vexL != 0 { swemu_vint(op, kd + 16, a + 16, b + 16, c + 16, 0) }
        writeXmm(i, i.pointee.reg, kd)
    }

    /// Shifts by an immediate (66 0F 71-73): the register is ModRM.rm; VEX writes VEX.vvvv.
    func vshiftI(_ i: I) throws(Fault) {
        try sseCheck(i)
        let a = xmm(i.pointee.rm), op = UInt32(i.pointee.aux), imm = imm32(i)
        swemu_vint(op, kd, a, kb, kc, imm)
        if i.pointee.vex & Insn.vexL != 0 { swemu_vint(op, kd + 16, a + 16, kb, kc, imm) }
        writeXmm(i, i.pointee.vex & Insn.vexEncoded != 0 ? i.pointee.vreg : i.pointee.rm, kd)
    }

    /// CVT(T)SS2SI / CVT(T)SD2SI: G (32 or 64 bits) <- W. The kernel for 64 bits follows the
    /// 32-bit one.
    func vcvtToGPR(_ i: I) throws(Fault) {
        try sseCheck(i)
        let b = try wOperand(i)
        let wide = i.pointee.osz == 8
        let fl = swemu_vfp(UInt32(i.pointee.aux) + (wide ? 1 : 0), kd, kd, b, kc, s.pointee.mxcsr, 0)
        try mxcsrRaise(fl)
        setReg(i.pointee.reg, wide ? 8 : 4, kd.load(as: UInt64.self))
    }

    /// CVTSI2SS / CVTSI2SD: V <- src1 with the low element converted from E (32 or 64 bits).
    func vcvtFromGPR(_ i: I) throws(Fault) {
        try sseCheck(i)
        let wide = i.pointee.osz == 8
        kb.storeBytes(of: try readE(i, wide ? 8 : 4), as: UInt64.self)
        let fl = swemu_vfp(UInt32(i.pointee.aux) + (wide ? 1 : 0), kd, xmm(src1(i)), kb, kc, s.pointee.mxcsr, 0)
        try mxcsrRaise(fl)
        writeXmm(i, i.pointee.reg, kd)
    }

    /// (U)COMISS / (U)COMISD: ZF, PF, CF from the comparison; OF, SF, AF cleared.
    func vcomi(_ i: I) throws(Fault) {
        try sseCheck(i)
        let b = try wOperand(i)
        let fl = swemu_vfp(UInt32(i.pointee.aux), kd, xmm(i.pointee.reg), b, kc, s.pointee.mxcsr, 0)
        try mxcsrRaise(fl)
        setArithFlags(kd.load(as: UInt64.self) & (FL.zf | FL.pf | FL.cf))
    }

    /// MOVMSKPS / MOVMSKPD / PMOVMSKB: G <- sign bits of U (zero-extended).
    func vmsk(_ i: I) throws(Fault) {
        try sseCheck(i)
        let b = xmm(i.pointee.rm), op = UInt32(i.pointee.aux)
        swemu_vint(op, kd, b, b, kc, 0)
        var r = kd.load(as: UInt64.self)
        if i.pointee.vex & Insn.vexL != 0 {
            swemu_vint(op, kd, b + 16, b + 16, kc, 0)
            let shift: UInt64 = op == UInt32(KInt.MOVMSKPS) ? 4 : op == UInt32(KInt.MOVMSKPD) ? 2 : 16
            r |= kd.load(as: UInt64.self) << shift
        }
        setReg(i.pointee.reg, 8, r)
    }

    /// PTEST / VTESTPS / VTESTPD: ZF and CF; the other arithmetic flags cleared.
    func vptest(_ i: I) throws(Fault) {
        try sseCheck(i)
        let b = try wOperand(i), a = xmm(i.pointee.reg), op = UInt32(i.pointee.aux)
        swemu_vint(op, kd, a, b, kc, 0)
        var f = kd.load(as: UInt64.self) & (FL.zf | FL.cf)
        if i.pointee.vex & Insn.vexL != 0 {
            swemu_vint(op, kd, a + 16, b + 16, kc, 0)
            f &= kd.load(as: UInt64.self)
        }
        setArithFlags(f)
    }

    /// PCMPESTRI/PCMPESTRM/PCMPISTRI/PCMPISTRM (SDM Vol. 2, 4.1): the index goes to ECX, the
    /// mask to XMM0; CF ZF SF OF from the comparison, AF PF cleared. The explicit lengths
    /// (EAX/EDX, or RAX/RDX with REX.W) are saturated to 32 bits for the host instruction,
    /// which only looks at their absolute value up to 16 (or 8 for words).
    func vpcmpstr(_ i: I) throws(Fault) {
        try sseCheck(i)
        let b = try wOperand(i), a = xmm(src1(i))
        let op = i.pointee.aux
        if op == KInt.PCMPESTRI || op == KInt.PCMPESTRM {
            let wide = i.pointee.vex & Insn.vexW != 0 || i.pointee.pfx & Insn.rexW != 0
            func len(_ r: Int) -> UInt64 {
                let v: Int64 = wide ? Int64(bitPattern: gpr[r]) : Int64(Int32(truncatingIfNeeded: gpr[r]))
                return UInt64(bitPattern: Int64(max(-17, min(17, v))))
            }
            kc.storeBytes(of: len(Reg.rax), as: UInt64.self)
            kc.storeBytes(of: len(Reg.rdx), toByteOffset: 8, as: UInt64.self)
        }
        swemu_vint(UInt32(op), kd, a, b, kc, imm32(i) & 0x7F)
        if op == KInt.PCMPESTRI || op == KInt.PCMPISTRI {
            setReg(UInt8(Reg.rcx), 4, kd.load(as: UInt64.self))
            setArithFlags(kd.load(fromByteOffset: 8, as: UInt64.self) & (FL.cf | FL.zf | FL.sf | FL.of))
        } else {
            writeXmm(i, 0, kd)
            setArithFlags(kc.load(as: UInt64.self) & (FL.cf | FL.zf | FL.sf | FL.of))
        }
    }

    // MARK: data movement

    /// MOVAPS/MOVUPS/MOVAPD/MOVUPD/MOVDQA/MOVDQU/LDDQU/MOVNTDQA loads: V <- W.
    func movVW(_ i: I) throws(Fault) {
        try sseCheck(i)
        writeXmm(i, i.pointee.reg, try wOperand(i))
    }
    /// The store forms (and MOVNTPS/MOVNTPD/MOVNTDQ): W <- V.
    func movWV(_ i: I) throws(Fault) {
        try sseCheck(i)
        try storeW(i, xmm(i.pointee.reg))
    }

    /// MOVSS/MOVSD V, W: from memory the rest of the register is zeroed (bits 127:32 or
    /// 127:64); between registers only the low element moves (legacy) or the rest comes from
    /// VEX.vvvv (SDM "MOVSS").
    func movScalarLoad(_ i: I) throws(Fault) {
        try sseCheck(i)
        let n = Int(i.pointee.msz)
        if i.pointee.isMem {
            try loadBytes(seg(i), ea(i), n, kb)
            writeXmm(i, i.pointee.reg, kb.load(as: UInt64.self), 0)
            return
        }
        let d = xmm(i.pointee.reg), src = xmm(i.pointee.rm)
        if i.pointee.vex & Insn.vexEncoded != 0 {
            let base = xmm(i.pointee.vreg)
            var lo = base.load(as: UInt64.self), hi = base.load(fromByteOffset: 8, as: UInt64.self)
            lo = n == 4 ? (lo & ~0xFFFF_FFFF) | (src.load(as: UInt64.self) & 0xFFFF_FFFF) : src.load(as: UInt64.self)
            writeXmm(i, i.pointee.reg, lo, hi)
        } else if n == 4 {
            d.storeBytes(of: src.load(as: UInt32.self), as: UInt32.self)
        } else {
            d.storeBytes(of: src.load(as: UInt64.self), as: UInt64.self)
        }
    }
    /// MOVSS/MOVSD W, V: a store of the low element, or the register form of 0F 11.
    func movScalarStore(_ i: I) throws(Fault) {
        try sseCheck(i)
        let n = Int(i.pointee.msz), src = xmm(i.pointee.reg)
        if i.pointee.isMem {
            try writeMem(seg(i), ea(i), n, n == 4 ? UInt64(src.load(as: UInt32.self)) : src.load(as: UInt64.self))
            return
        }
        let d = xmm(i.pointee.rm)
        if i.pointee.vex & Insn.vexEncoded != 0 {
            let base = xmm(i.pointee.vreg)
            var lo = base.load(as: UInt64.self)
            let hi = base.load(fromByteOffset: 8, as: UInt64.self)
            lo = n == 4 ? (lo & ~0xFFFF_FFFF) | (src.load(as: UInt64.self) & 0xFFFF_FFFF) : src.load(as: UInt64.self)
            writeXmm(i, i.pointee.rm, lo, hi)
        } else if n == 4 {
            d.storeBytes(of: src.load(as: UInt32.self), as: UInt32.self)
        } else {
            d.storeBytes(of: src.load(as: UInt64.self), as: UInt64.self)
        }
    }

    /// MOVLPS/MOVLPD (aux 0), MOVHPS/MOVHPD (1) loads, MOVHLPS (2), MOVLHPS (3).
    func movLH(_ i: I) throws(Fault) {
        try sseCheck(i)
        let a = xmm(src1(i))
        let alo = a.load(as: UInt64.self), ahi = a.load(fromByteOffset: 8, as: UInt64.self)
        switch i.pointee.aux {
        case 0: writeXmm(i, i.pointee.reg, try read64(seg(i), ea(i)), ahi)
        case 1: writeXmm(i, i.pointee.reg, alo, try read64(seg(i), ea(i)))
        case 2: writeXmm(i, i.pointee.reg, xmmQ(i.pointee.rm, 1), ahi)
        default: writeXmm(i, i.pointee.reg, alo, xmmQ(i.pointee.rm, 0))
        }
    }
    /// MOVLPS/MOVLPD (aux 0) and MOVHPS/MOVHPD (1) stores: m64 <- half of V.
    func movLHStore(_ i: I) throws(Fault) {
        try sseCheck(i)
        try writeMem(seg(i), ea(i), 8, xmmQ(i.pointee.reg, Int(i.pointee.aux)))
    }

    /// MOVD/MOVQ V, E: zero-extended into the register.
    func movdToX(_ i: I) throws(Fault) {
        try sseCheck(i)
        writeXmm(i, i.pointee.reg, try readE(i, Int(i.pointee.osz)), 0)
    }
    /// MOVD/MOVQ E, V.
    func movdFromX(_ i: I) throws(Fault) {
        try sseCheck(i)
        let n = Int(i.pointee.osz)
        try writeE(i, n, xmmQ(i.pointee.reg, 0) & mask(n))
    }
    /// MOVQ V, W (F3 0F 7E): the low quadword, zero-extended.
    func movqToX(_ i: I) throws(Fault) {
        try sseCheck(i)
        let v = i.pointee.isMem ? try read64(seg(i), ea(i)) : xmmQ(i.pointee.rm, 0)
        writeXmm(i, i.pointee.reg, v, 0)
    }
    /// MOVQ W, V (66 0F D6): to memory, or to a register whose upper half is zeroed.
    func movqFromX(_ i: I) throws(Fault) {
        try sseCheck(i)
        let v = xmmQ(i.pointee.reg, 0)
        if i.pointee.isMem { try writeMem(seg(i), ea(i), 8, v) } else { writeXmm(i, i.pointee.rm, v, 0) }
    }

    /// PINSRB/PINSRW/PINSRD/PINSRQ (aux = element size): V <- src1 with one element from E.
    func pinsr(_ i: I) throws(Fault) {
        try sseCheck(i)
        let n = Int(i.pointee.aux)
        let v = i.pointee.isMem ? try readMem(seg(i), ea(i), n) : reg(i.pointee.rm, 8) & mask(n)
        let a = xmm(src1(i))
        kd.storeBytes(of: a.load(as: UInt64.self), as: UInt64.self)
        kd.storeBytes(of: a.load(fromByteOffset: 8, as: UInt64.self), toByteOffset: 8, as: UInt64.self)
        let k = Int(i.pointee.imm) & (16 / n - 1)
        switch n {
        case 1: kd.storeBytes(of: UInt8(truncatingIfNeeded: v), toByteOffset: k, as: UInt8.self)
        case 2: kd.storeBytes(of: UInt16(truncatingIfNeeded: v), toByteOffset: 2 * k, as: UInt16.self)
        case 4: kd.storeBytes(of: UInt32(truncatingIfNeeded: v), toByteOffset: 4 * k, as: UInt32.self)
        default: kd.storeBytes(of: v, toByteOffset: 8 * k, as: UInt64.self)
        }
        writeXmm(i, i.pointee.reg, kd.load(as: UInt64.self), kd.load(fromByteOffset: 8, as: UInt64.self))
    }
    /// PEXTRB/PEXTRW/PEXTRD/PEXTRQ/EXTRACTPS (aux = element size; aux | 0x80: the 0F C5 form
    /// whose destination is ModRM.reg): a register destination is zero-extended.
    func pextr(_ i: I) throws(Fault) {
        try sseCheck(i)
        let n = Int(i.pointee.aux & 0x7F)
        let src = i.pointee.aux & 0x80 != 0 ? xmm(i.pointee.rm) : xmm(i.pointee.reg)
        let k = Int(i.pointee.imm) & (16 / n - 1)
        let v: UInt64
        switch n {
        case 1: v = UInt64(src.load(fromByteOffset: k, as: UInt8.self))
        case 2: v = UInt64(src.load(fromByteOffset: 2 * k, as: UInt16.self))
        case 4: v = UInt64(src.load(fromByteOffset: 4 * k, as: UInt32.self))
        default: v = src.load(fromByteOffset: 8 * k, as: UInt64.self)
        }
        if i.pointee.aux & 0x80 != 0 { setReg(i.pointee.reg, 8, v); return }
        if i.pointee.isMem { try writeMem(seg(i), ea(i), n, v) } else { setReg(i.pointee.rm, 8, v) }
    }

    /// MASKMOVDQU (SSE2) / MASKMOVQ (aux 1, MMX): the bytes of V (P) whose mask byte in U (N)
    /// has its top bit set are stored at DS:rDI (a segment override applies).
    func maskmov(_ i: I) throws(Fault) {
        let n: Int
        var data: (UInt64, UInt64), m: (UInt64, UInt64)
        if i.pointee.aux == 1 {
            try mmxCheck()
            n = 8; data = (mm(i.pointee.reg), 0); m = (mm(i.pointee.rm), 0)
        } else {
            try sseCheck(i)
            n = 16; data = (xmmQ(i.pointee.reg, 0), xmmQ(i.pointee.reg, 1)); m = (xmmQ(i.pointee.rm, 0), xmmQ(i.pointee.rm, 1))
        }
        var addr = gpr[Reg.rdi]
        if i.pointee.asz == 4 { addr &= 0xFFFF_FFFF } else if i.pointee.asz == 2 { addr &= 0xFFFF }
        let sg = Int(i.pointee.pfx & Insn.segOverride != 0 ? i.pointee.seg : UInt8(Seg.ds))
        if i.pointee.aux == 1 { mmxTouch() }
        if (m.0 | m.1) & 0x8080_8080_8080_8080 == 0 { return }
        try probeWrite(sg, addr, n)
        for k in 0..<n {
            let mb = k < 8 ? m.0 >> UInt64(8 * k) : m.1 >> UInt64(8 * (k - 8))
            if mb & 0x80 == 0 { continue }
            let db = k < 8 ? data.0 >> UInt64(8 * k) : data.1 >> UInt64(8 * (k - 8))
            try writeMem(sg, addr &+ UInt64(k), 1, db & 0xFF)
        }
    }

    /// LDMXCSR / STMXCSR (and their VEX forms): #GP(0) for reserved bits (MXCSR_MASK 0xFFFF).
    func ldmxcsr(_ i: I) throws(Fault) {
        try sseCheck(i)
        let v = try read32(seg(i), ea(i))
        if v & ~UInt64(CPU.mxcsrMask) != 0 { throw Fault.gp(0) }
        s.pointee.mxcsr = UInt32(v)
    }
    func stmxcsr(_ i: I) throws(Fault) {
        try sseCheck(i)
        try writeMem(seg(i), ea(i), 4, UInt64(s.pointee.mxcsr))
    }
    /// MXCSR bits that software may set: all 16 defined bits, DAZ included (SDM Vol. 1, 11.6.6).
    public static let mxcsrMask: UInt32 = 0xFFFF

    // MARK: conversions with an MMX operand

    /// CVTPI2PS / CVTPI2PD: V <- elements converted from an MMX register or m64. A register
    /// source puts the x87 unit in MMX state (SDM "CVTPI2PS").
    func cvtFromMM(_ i: I) throws(Fault) {
        try sseCheck(i)
        if i.pointee.isMem { kb.storeBytes(of: try read64(seg(i), ea(i)), as: UInt64.self) }
        else { try mmxCheck(); kb.storeBytes(of: mm(i.pointee.rm), as: UInt64.self); mmxTouch() }   // before any #XM
        kb.storeBytes(of: UInt64(0), toByteOffset: 8, as: UInt64.self)
        let fl = swemu_vfp(UInt32(i.pointee.aux), kd, xmm(i.pointee.reg), kb, kc, s.pointee.mxcsr, 0)
        try mxcsrRaise(fl)
        writeXmm(i, i.pointee.reg, kd)
    }
    /// CVT(T)PS2PI / CVT(T)PD2PI: an MMX register <- two converted elements of W.
    func cvtToMM(_ i: I) throws(Fault) {
        try sseCheck(i)
        try mmxCheck()
        let b = try wOperand(i)
        let fl = swemu_vfp(UInt32(i.pointee.aux), kd, kd, b, kc, s.pointee.mxcsr, 0)
        mmxTouch()          // even when the conversion raises #XM (as hardware does)
        try mxcsrRaise(fl)
        setMM(i.pointee.reg, kd.load(as: UInt64.self))
    }
}
