// MMX (SDM Vol. 1, chapter 9; the MMX forms of the SSE/SSE2/SSSE3 integer instructions).
// MMi is the significand of x87 register Ri; every MMX instruction but EMMS puts the x87 unit
// in MMX state (TOP 0, all tags valid), and a write sets bits 79:64 of Ri to ones.

import CSIMD

extension CPU {
    /// P <- op(P, Q [, imm]) through a host MMX kernel.
    func mmxOp(_ i: I) throws(Fault) {
        try mmxCheck()
        let b = i.pointee.isMem ? (i.pointee.msz == 4 ? try read32(seg(i), ea(i)) : try read64(seg(i), ea(i))) : mm(i.pointee.rm)
        mmxTouch()
        setMM(i.pointee.reg, swemu_mmx(UInt32(i.pointee.aux), mm(i.pointee.reg), b, imm32(i)))
    }
    /// PSRLW/PSRAW/PSLLW... mm, imm8 (0F 71-73): the register is ModRM.rm.
    func mmxShiftI(_ i: I) throws(Fault) {
        try mmxCheck()
        mmxTouch()
        setMM(i.pointee.rm, swemu_mmx(UInt32(i.pointee.aux), mm(i.pointee.rm), 0, imm32(i)))
    }
    /// PMOVMSKB r32, mm.
    func mmxMsk(_ i: I) throws(Fault) {
        try mmxCheck()
        mmxTouch()
        setReg(i.pointee.reg, 8, swemu_mmx(UInt32(i.pointee.aux), 0, mm(i.pointee.rm), 0))
    }
    /// MOVD/MOVQ mm, E: zero-extended.
    func movdToMM(_ i: I) throws(Fault) {
        try mmxCheck()
        let v = try readE(i, Int(i.pointee.osz))
        mmxTouch()
        setMM(i.pointee.reg, v)
    }
    /// MOVD/MOVQ E, mm.
    func movdFromMM(_ i: I) throws(Fault) {
        try mmxCheck()
        let n = Int(i.pointee.osz)
        try writeE(i, n, mm(i.pointee.reg) & mask(n))
        mmxTouch()
    }
    /// MOVQ mm, mm/m64.
    func movqMM(_ i: I) throws(Fault) {
        try mmxCheck()
        let v = i.pointee.isMem ? try read64(seg(i), ea(i)) : mm(i.pointee.rm)
        mmxTouch()
        setMM(i.pointee.reg, v)
    }
    /// MOVQ mm/m64, mm and MOVNTQ.
    func movqMMStore(_ i: I) throws(Fault) {
        try mmxCheck()
        let v = mm(i.pointee.reg)
        if i.pointee.isMem { try writeMem(seg(i), ea(i), 8, v) }
        mmxTouch()
        if !i.pointee.isMem { setMM(i.pointee.rm, v) }
    }
    /// MOVQ2DQ xmm, mm (SSE2): the MMX register zero-extended into an XMM register.
    func movq2dq(_ i: I) throws(Fault) {
        try sseCheck(i)
        try mmxCheck()
        mmxTouch()
        writeXmm(i, i.pointee.reg, mm(i.pointee.rm), 0)
    }
    /// MOVDQ2Q mm, xmm (SSE2).
    func movdq2q(_ i: I) throws(Fault) {
        try sseCheck(i)
        try mmxCheck()
        mmxTouch()
        setMM(i.pointee.reg, xmmQ(i.pointee.rm, 0))
    }
    /// PINSRW mm, r32/m16, imm8.
    func pinsrwMM(_ i: I) throws(Fault) {
        try mmxCheck()
        let v = i.pointee.isMem ? try read16(seg(i), ea(i)) : reg(i.pointee.rm, 2)
        mmxTouch()
        let k = UInt64(i.pointee.imm & 3) * 16
        setMM(i.pointee.reg, (mm(i.pointee.reg) & ~(0xFFFF << k)) | v << k)
    }
    /// PEXTRW r32, mm, imm8.
    func pextrwMM(_ i: I) throws(Fault) {
        try mmxCheck()
        mmxTouch()
        setReg(i.pointee.reg, 8, (mm(i.pointee.rm) >> (UInt64(i.pointee.imm & 3) * 16)) & 0xFFFF)
    }
    /// EMMS: every x87 tag empty (SDM Vol. 2 "EMMS").
    func emms() throws(Fault) {
        try mmxCheck()
        s.pointee.ftw = 0xFFFF
    }
}
