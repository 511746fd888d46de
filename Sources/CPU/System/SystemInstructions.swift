// System instructions (SDM Vol. 2; Vol. 3 chapters 2, 4, 5): control and debug registers,
// descriptor-table registers, MSRs, SYSCALL/SYSRET, SYSENTER/SYSEXIT, SWAPGS, TSC, HLT, CLI/STI.

public enum MSR {
    public static let tsc: UInt32 = 0x10, apicBase: UInt32 = 0x1B, featureControl: UInt32 = 0x3A
    public static let sysenterCS: UInt32 = 0x174, sysenterESP: UInt32 = 0x175, sysenterEIP: UInt32 = 0x176
    public static let miscEnable: UInt32 = 0x1A0, pat: UInt32 = 0x277, mtrrDefType: UInt32 = 0x2FF
    public static let efer: UInt32 = 0xC000_0080, star: UInt32 = 0xC000_0081, lstar: UInt32 = 0xC000_0082
    public static let cstar: UInt32 = 0xC000_0083, fmask: UInt32 = 0xC000_0084, fsBase: UInt32 = 0xC000_0100
    public static let gsBase: UInt32 = 0xC000_0101, kernelGSBase: UInt32 = 0xC000_0102, tscAux: UInt32 = 0xC000_0103
}

extension CPU {
    @inline(__always) func requireCPL0() throws(Fault) {
        if (protectedMode && cpl != 0) || v86 { throw Fault.gp(0) }
    }
    public var tsc: UInt64 { s.pointee.cycles &+ s.pointee.tscOffset }

    // MARK: control registers (SDM Vol. 3, 2.5; MOV CR in Vol. 2)

    public func writeCR0(_ v: UInt64) throws(Fault) {
        if v >> 32 != 0 { throw Fault.gp(0) }
        if v & CR0.pg != 0 && v & CR0.pe == 0 { throw Fault.gp(0) }
        if v & CR0.nw != 0 && v & CR0.cd == 0 { throw Fault.gp(0) }
        let old = s.pointee.cr0
        if v & CR0.pg != 0 && old & CR0.pg == 0 && s.pointee.efer & EFER.lme != 0 {
            if s.pointee.cr4 & CR4.pae == 0 || segs[Seg.cs].l { throw Fault.gp(0) }
            s.pointee.efer |= EFER.lma
        }
        if v & CR0.pg == 0 && old & CR0.pg != 0 && longMode {
            if in64 { throw Fault.gp(0) }
            s.pointee.efer &= ~EFER.lma
        }
        s.pointee.cr0 = v | CR0.et
        if (old ^ v) & (CR0.pg | CR0.wp | CR0.pe | CR0.cd) != 0 { flushTLB(global: true) }
        updateMode()
    }
    public func writeCR4(_ v: UInt64) throws(Fault) {
        var allowed: UInt64 = CR4.vme | CR4.pvi | CR4.tsd | CR4.de | CR4.pse | CR4.pae | CR4.mce | CR4.pge | CR4.pce
        allowed |= CR4.smep
        // Bits of features the model does not report are reserved (#GP), SDM Vol. 3, 2.5.
        if model.features.contains(.umip) { allowed |= CR4.umip }
        if model.features.contains(.pcid) { allowed |= CR4.pcide }
        if model.features.contains(.pku) { allowed |= CR4.pke }
        if model.features.contains(.pks) { allowed |= CR4.pks }
        if model.features.contains(.smap) { allowed |= CR4.smap }
        if model.features.contains(.fsgsbase) { allowed |= CR4.fsgsbase }
        if model.features.contains(.fxsr) { allowed |= CR4.osfxsr }
        if model.features.contains(.sse) { allowed |= CR4.osxmmexcpt }
        if model.features.contains(.xsave) { allowed |= CR4.osxsave }
        if v & ~allowed != 0 { throw Fault.gp(0) }
        if longMode && v & CR4.pae == 0 { throw Fault.gp(0) }
        if v & CR4.pcide != 0 && s.pointee.cr4 & CR4.pcide == 0 && (!longMode || s.pointee.cr3 & 0xFFF != 0) { throw Fault.gp(0) }
        let old = s.pointee.cr4
        s.pointee.cr4 = v
        if (old ^ v) & (CR4.pge | CR4.pae | CR4.pse | CR4.pcide | CR4.smep | CR4.smap | CR4.pke | CR4.pks) != 0 { flushTLB(global: true) }
    }
    public func writeCR3(_ v: UInt64) throws(Fault) {
        var v = v
        // With CR4.PCIDE, bit 63 asks not to flush; the TLB is untagged, so every write still
        // flushes the non-global entries, which is always allowed.
        if s.pointee.cr4 & CR4.pcide != 0 { v &= ~(1 << 63) }
        if longMode && v & ~physMask & ~0xFFF != 0 { throw Fault.gp(0) }
        s.pointee.cr3 = v
        flushTLB(global: false)
    }
    func movCR(_ i: I) throws(Fault) {
        try requireCPL0()
        let v = reg(i.pointee.rm, osz(i))
        switch i.pointee.reg {
        case 0: try writeCR0(v)
        case 2: s.pointee.cr2 = v
        case 3: try writeCR3(v)
        case 4: try writeCR4(v)
        case 8 where in64:
            if v & ~0xF != 0 { throw Fault.gp(0) }
            if !bus.writeCR8(v) { s.pointee.cr8 = v }
        default: throw Fault.ud
        }
        s.pointee.exitRequest = 1
    }
    func movRC(_ i: I) throws(Fault) {
        try requireCPL0()
        let v: UInt64
        switch i.pointee.reg {
        case 0: v = s.pointee.cr0
        case 2: v = s.pointee.cr2
        case 3: v = s.pointee.cr3
        case 4: v = s.pointee.cr4
        case 8 where in64: v = bus.readCR8() ?? s.pointee.cr8
        default: throw Fault.ud
        }
        setReg(i.pointee.rm, osz(i), v)
    }
    /// DR7.GD: any MOV DR raises #DB (a fault) with DR6.BD, and GD is cleared so the
    /// handler can use the debug registers (SDM Vol. 3, 18.2.4).
    func generalDetect() throws(Fault) {
        if s.pointee.dr7 & (1 << 13) != 0 {
            s.pointee.dr6 |= 1 << 13
            s.pointee.dr7 &= ~(1 << 13)
            throw Fault.db
        }
    }
    func movDR(_ i: I) throws(Fault) {
        try requireCPL0()
        try generalDetect()
        var r = Int(i.pointee.reg)
        if r == 4 || r == 5 { if s.pointee.cr4 & CR4.de != 0 { throw Fault.ud }; r += 2 }
        let v = reg(i.pointee.rm, osz(i))
        switch r {
        case 0: s.pointee.dr.0 = v
        case 1: s.pointee.dr.1 = v
        case 2: s.pointee.dr.2 = v
        case 3: s.pointee.dr.3 = v
        case 6: if in64 && v >> 32 != 0 { throw Fault.gp(0) }; s.pointee.dr6 = (v & 0xE00F) | 0xFFFF_0FF0    // bit 16 (RTM) is reserved, reads 1, without RTM
        case 7: if in64 && v >> 32 != 0 { throw Fault.gp(0) }; s.pointee.dr7 = (v & 0xFFFF_2BFF) | 0x400; flushTLB(global: true)
        default: throw Fault.ud
        }
    }
    func movRD(_ i: I) throws(Fault) {
        try requireCPL0()
        try generalDetect()
        var r = Int(i.pointee.reg)
        if r == 4 || r == 5 { if s.pointee.cr4 & CR4.de != 0 { throw Fault.ud }; r += 2 }
        let v: UInt64
        switch r {
        case 0: v = s.pointee.dr.0
        case 1: v = s.pointee.dr.1
        case 2: v = s.pointee.dr.2
        case 3: v = s.pointee.dr.3
        case 6: v = s.pointee.dr6
        case 7: v = s.pointee.dr7
        default: throw Fault.ud
        }
        setReg(i.pointee.rm, osz(i), v)
    }

    // MARK: descriptor-table registers

    func lgdtLidt(_ i: I, idt: Bool) throws(Fault) {
        try requireCPL0()
        let off = ea(i), sg = seg(i)
        let limit = try readMem(sg, off, 2)
        var base = try readMem(sg, off &+ 2, in64 ? 8 : 4)
        if !in64 && osz(i) == 2 { base &= 0xFF_FFFF }
        if in64 && !isCanonical(base) { throw Fault.gp(0) }
        if idt { s.pointee.idtrBase = base; s.pointee.idtrLimit = UInt32(limit) }
        else { s.pointee.gdtrBase = base; s.pointee.gdtrLimit = UInt32(limit) }
    }
    func sgdtSidt(_ i: I, idt: Bool) throws(Fault) {
        if s.pointee.cr4 & CR4.umip != 0 && cpl > 0 { throw Fault.gp(0) }
        let off = ea(i), sg = seg(i)
        let base = idt ? s.pointee.idtrBase : s.pointee.gdtrBase
        let limit = idt ? s.pointee.idtrLimit : s.pointee.gdtrLimit
        try probeWrite(sg, off, in64 ? 10 : 6)
        try writeMem(sg, off, 2, UInt64(limit))
        try writeMem(sg, off &+ 2, in64 ? 8 : 4, in64 ? base : base & 0xFFFF_FFFF)
    }
    func lldt(_ i: I) throws(Fault) {
        try requireProtected(); try requireCPL0()
        let sel = UInt16(truncatingIfNeeded: try readE(i, 2))
        if sel & 0xFFFC == 0 { segs[Seg.ldtr] = SegmentCache(selector: sel, base: 0, limit: 0, attr: 0x10000); return }
        if sel & 4 != 0 { throw Fault.gp(UInt32(sel & 0xFFFC)) }
        let d = try readDescriptor(sel, wide: longMode)
        if d.s || d.type != 2 { throw Fault.gp(UInt32(sel & 0xFFFC)) }
        if !d.present { throw Fault.np(UInt32(sel & 0xFFFC)) }
        let c = d.cache(sel, long: longMode)
        // 64-bit system descriptors must hold a canonical base (SDM "LLDT", "LTR": #GP(selector)).
        if longMode && !isCanonical(c.base) { throw Fault.gp(UInt32(sel & 0xFFFC)) }
        segs[Seg.ldtr] = c
    }
    func ltr(_ i: I) throws(Fault) {
        try requireProtected(); try requireCPL0()
        let sel = UInt16(truncatingIfNeeded: try readE(i, 2))
        if sel & 0xFFFC == 0 { throw Fault.gp(0) }
        if sel & 4 != 0 { throw Fault.gp(UInt32(sel & 0xFFFC)) }
        let d = try readDescriptor(sel, wide: longMode)
        if d.s || !(d.type == 9 || (!longMode && d.type == 1)) { throw Fault.gp(UInt32(sel & 0xFFFC)) }
        if !d.present { throw Fault.np(UInt32(sel & 0xFFFC)) }
        var c = d.cache(sel, long: longMode); c.attr |= 2
        if longMode && !isCanonical(c.base) { throw Fault.gp(UInt32(sel & 0xFFFC)) }
        try markBusy(sel, true)
        segs[Seg.tr] = c
    }
    func sldtStr(_ i: I, tr: Bool) throws(Fault) {
        try requireProtected()
        if s.pointee.cr4 & CR4.umip != 0 && cpl > 0 { throw Fault.gp(0) }
        let v = UInt64(segs[tr ? Seg.tr : Seg.ldtr].selector)
        if i.pointee.isMem { try writeMem(seg(i), ea(i), 2, v) } else { setReg(i.pointee.rm, osz(i), v) }
    }
    func smsw(_ i: I) throws(Fault) {
        if s.pointee.cr4 & CR4.umip != 0 && cpl > 0 && protectedMode { throw Fault.gp(0) }
        if i.pointee.isMem { try writeMem(seg(i), ea(i), 2, s.pointee.cr0 & 0xFFFF) }
        else { setReg(i.pointee.rm, osz(i), s.pointee.cr0 & mask(osz(i))) }
    }
    func lmsw(_ i: I) throws(Fault) {
        try requireCPL0()
        let v = try readE(i, 2) & 0xF
        // LMSW can set PE but not clear it (SDM "LMSW").
        let nv = (s.pointee.cr0 & ~0xE) | (v & 0xE) | (s.pointee.cr0 & 1) | (v & 1)
        try writeCR0(nv)
        s.pointee.exitRequest = 1
    }
    func clts() throws(Fault) { try requireCPL0(); s.pointee.cr0 &= ~CR0.ts }

    // MARK: TLB and cache control

    func invlpg(_ i: I) throws(Fault) {
        try requireCPL0()
        var la = ea(i)
        if in64 { if Int(i.pointee.seg) >= Seg.fs { la &+= segs[Int(i.pointee.seg)].base } }
        else { la = (la &+ segs[Int(i.pointee.seg)].base) & 0xFFFF_FFFF }
        flushTLBPage(la)
    }
    func invpcid(_ i: I) throws(Fault) {
        try requireCPL0()
        let type = reg(i.pointee.reg, in64 ? 8 : 4)
        let off = ea(i), sg = seg(i)
        let pcid = try readMem(sg, off, 8), addr = try readMem(sg, off &+ 8, 8)
        // Types 0 and 1 name a PCID, which must be 0 while CR4.PCIDE = 0 (SDM "INVPCID").
        let pcidOff = s.pointee.cr4 & CR4.pcide == 0
        switch type {
        case 0: if pcid > 0xFFF || (pcidOff && pcid != 0) || !isCanonical(addr) { throw Fault.gp(0) }; flushTLBPage(addr)
        case 1: if pcid > 0xFFF || (pcidOff && pcid != 0) { throw Fault.gp(0) }; flushTLB(global: false)
        case 2: flushTLB(global: true)
        case 3: flushTLB(global: false)
        default: throw Fault.gp(0)
        }
    }
    func wbinvd() throws(Fault) { try requireCPL0() }

    // MARK: MSRs (SDM Vol. 4)

    public func readMSR(_ idx: UInt32) throws(Fault) -> UInt64 {
        let p = s
        switch bus.readBusMSR(idx) {
        case .ok(let v): return v
        case .fault: throw Fault.gp(0)
        case .unhandled: break
        }
        switch idx {
        case MSR.tsc: return tsc
        case MSR.apicBase: return p.pointee.apicBase
        case MSR.featureControl: return 1          // locked, VMX off
        case 0x17: return 0                        // IA32_PLATFORM_ID
        case 0x8B: return 0                        // IA32_BIOS_SIGN_ID
        case 0xFE: return 0x508                    // MTRRcap: 8 variable, fixed, WC
        case 0x179, 0x17A: return 0                // MCG_CAP, MCG_STATUS
        case MSR.sysenterCS: return p.pointee.sysenterCS
        case MSR.sysenterESP: return p.pointee.sysenterESP
        case MSR.sysenterEIP: return p.pointee.sysenterEIP
        case MSR.miscEnable: return p.pointee.miscEnable
        case MSR.pat: return p.pointee.pat
        case MSR.mtrrDefType: return p.pointee.mtrrDefType
        case 0x200...0x20F, 0x250, 0x258, 0x259, 0x268...0x26F: return mtrr[idx] ?? 0
        case MSR.efer: return p.pointee.efer
        case MSR.star: return p.pointee.star
        case MSR.lstar: return p.pointee.lstar
        case MSR.cstar: return p.pointee.cstar
        case MSR.fmask: return p.pointee.fmask
        case MSR.fsBase: return segs[Seg.fs].base
        case MSR.gsBase: return segs[Seg.gs].base
        case MSR.kernelGSBase: return p.pointee.kernelGSBase
        case MSR.tscAux where model.features.contains(.rdtscp) || model.features.contains(.rdpid): return p.pointee.tscAux
        case 0x6E1 where model.features.contains(.pks): return UInt64(p.pointee.pkrs)   // IA32_PKRS
        case 0xC001_0000...0xC001_0007 where model.isAMD: return amdPerfMSR[Int(idx & 7)]
        default:
            warnOnce("RDMSR of unimplemented MSR 0x\(String(idx, radix: 16)) raises #GP")
            throw Fault.gp(0)
        }
    }
    public func writeMSR(_ idx: UInt32, _ v: UInt64) throws(Fault) {
        let p = s
        switch bus.writeBusMSR(idx, v) {
        case .ok: return
        case .fault: throw Fault.gp(0)
        case .unhandled: break
        }
        func canon() throws(Fault) { if !isCanonical(v) { throw Fault.gp(0) } }
        switch idx {
        case MSR.tsc: p.pointee.tscOffset = v &- p.pointee.cycles
        case MSR.apicBase: p.pointee.apicBase = v & 0xFFFF_FFFF_FFFF_FD00 | (p.pointee.apicBase & 0x100)
        case 0x8B: break
        case MSR.sysenterCS: p.pointee.sysenterCS = v & 0xFFFF
        case MSR.sysenterESP: try canon(); p.pointee.sysenterESP = v
        case MSR.sysenterEIP: try canon(); p.pointee.sysenterEIP = v
        case MSR.miscEnable: p.pointee.miscEnable = v
        case MSR.pat:
            for k in 0..<8 { let t = (v >> UInt64(8 * k)) & 0xFF; if t == 2 || t == 3 || t > 7 { throw Fault.gp(0) } }
            p.pointee.pat = v
        case MSR.mtrrDefType: p.pointee.mtrrDefType = v
        case 0x200...0x20F, 0x250, 0x258, 0x259, 0x268...0x26F: mtrr[idx] = v
        case MSR.efer:
            var allowed = EFER.sce | EFER.lme | EFER.nxe
            if !model.features.contains(.lm) { allowed &= ~EFER.lme }
            if v & ~(allowed | EFER.lma) != 0 { throw Fault.gp(0) }
            if (v ^ p.pointee.efer) & EFER.lme != 0 && p.pointee.cr0 & CR0.pg != 0 { throw Fault.gp(0) }
            let old = p.pointee.efer
            p.pointee.efer = (v & allowed) | (old & EFER.lma)
            if (old ^ v) & EFER.nxe != 0 { flushTLB(global: true) }
        case MSR.star: p.pointee.star = v
        case MSR.lstar: try canon(); p.pointee.lstar = v
        case MSR.cstar: try canon(); p.pointee.cstar = v
        case MSR.fmask: p.pointee.fmask = v & 0xFFFF_FFFF
        case MSR.fsBase: try canon(); segs[Seg.fs].base = v
        case MSR.gsBase: try canon(); segs[Seg.gs].base = v
        case MSR.kernelGSBase: try canon(); p.pointee.kernelGSBase = v
        case MSR.tscAux where model.features.contains(.rdtscp) || model.features.contains(.rdpid):
            if v >> 32 != 0 { throw Fault.gp(0) }; p.pointee.tscAux = v
        case 0xC001_0000...0xC001_0007 where model.isAMD:
            // AMD's four legacy performance counters (APM Vol. 2, 13.2.1) are architectural
            // on AMD CPUs: the registers hold what is written; counting is not modelled.
            if idx < 0xC001_0004 && v & (1 << 22) != 0 {
                warnOnce("performance counter enabled through PerfEvtSel\(idx & 3): counting is not implemented (the counter keeps its value)")
            }
            amdPerfMSR[Int(idx & 7)] = idx >= 0xC001_0004 ? v & 0xFFFF_FFFF_FFFF : v
        case 0x6E1 where model.features.contains(.pks):
            if v >> 32 != 0 { throw Fault.gp(0) }
            p.pointee.pkrs = UInt32(v)
            flushTLB(global: true)
        default:
            warnOnce("WRMSR of unimplemented MSR 0x\(String(idx, radix: 16)) raises #GP")
            throw Fault.gp(0)
        }
    }
    func rdmsr() throws(Fault) {
        try requireCPL0()
        let v = try readMSR(UInt32(truncatingIfNeeded: gpr[1]))
        setReg(0, 4, v & 0xFFFF_FFFF); setReg(2, 4, v >> 32)
    }
    func wrmsr() throws(Fault) {
        try requireCPL0()
        try writeMSR(UInt32(truncatingIfNeeded: gpr[1]), (gpr[2] & 0xFFFF_FFFF) << 32 | (gpr[0] & 0xFFFF_FFFF))
    }

    // MARK: fast system calls (SDM Vol. 2 SYSCALL, SYSRET, SYSENTER, SYSEXIT)

    func syscall() throws(Fault) {
        // Intel: SYSCALL only in 64-bit mode. AMD also allows it in compatibility mode, where
        // it enters at CSTAR (AMD APM Vol. 3, SYSCALL); legacy-mode SYSCALL is not modelled.
        let compat = model.isAMD && longMode && !in64
        if s.pointee.efer & EFER.sce == 0 || !(in64 || compat) { throw Fault.ud }
        gpr[1] = s.pointee.nextRip
        gpr[11] = rflags & ~FL.rf
        let sel = UInt16((s.pointee.star >> 32) & 0xFFFC)
        segs[Seg.cs] = SegmentCache(selector: sel, base: 0, limit: 0xFFFF_FFFF, attr: 0xA09B)
        segs[Seg.ss] = SegmentCache(selector: sel &+ 8, base: 0, limit: 0xFFFF_FFFF, attr: 0xC093)
        rflags = rflags & ~(s.pointee.fmask | FL.rf)
        setCPL(0)
        updateMode()
        s.pointee.nextRip = compat ? s.pointee.cstar : s.pointee.lstar
        flushOnPrivilegeChange()
        if rflags & FL.tf != 0 { s.pointee.stepTrap = 1 }
    }
    func sysret(_ i: I) throws(Fault) {
        if s.pointee.efer & EFER.sce == 0 || !longMode { throw Fault.ud }
        if cpl != 0 || !in64 { throw Fault.gp(0) }
        let to64 = osz(i) == 8
        if to64 && !isCanonical(gpr[1]) { throw Fault.gp(0) }
        let base = UInt16((s.pointee.star >> 48) & 0xFFFF)
        if to64 {
            segs[Seg.cs] = SegmentCache(selector: (base &+ 16) | 3, base: 0, limit: 0xFFFF_FFFF, attr: 0xA0FB)
            s.pointee.nextRip = gpr[1]
        } else {
            segs[Seg.cs] = SegmentCache(selector: base | 3, base: 0, limit: 0xFFFF_FFFF, attr: 0xC0FB)
            s.pointee.nextRip = gpr[1] & 0xFFFF_FFFF
        }
        var ss = segs[Seg.ss]
        ss.selector = (base &+ 8) | 3; ss.attr = 0xC0F3; ss.base = 0; ss.limit = 0xFFFF_FFFF
        segs[Seg.ss] = ss
        rflags = (gpr[11] & FL.defined & ~(FL.rf | FL.vm)) | 2
        setCPL(3)
        updateMode()
        flushOnPrivilegeChange()
        if rflags & FL.tf != 0 { s.pointee.stepTrap = 1 }
    }
    func sysenter() throws(Fault) {
        if !protectedMode { throw Fault.gp(0) }
        let cs = UInt16(s.pointee.sysenterCS & 0xFFFC)
        if cs == 0 { throw Fault.gp(0) }
        s.pointee.flags &= ~(FL.vm | FL.if | FL.rf)
        if longMode {
            segs[Seg.cs] = SegmentCache(selector: cs, base: 0, limit: 0xFFFF_FFFF, attr: 0xA09B)
            s.pointee.nextRip = s.pointee.sysenterEIP; gpr[4] = s.pointee.sysenterESP
        } else {
            segs[Seg.cs] = SegmentCache(selector: cs, base: 0, limit: 0xFFFF_FFFF, attr: 0xC09B)
            s.pointee.nextRip = s.pointee.sysenterEIP & 0xFFFF_FFFF; gpr[4] = s.pointee.sysenterESP & 0xFFFF_FFFF
        }
        segs[Seg.ss] = SegmentCache(selector: cs &+ 8, base: 0, limit: 0xFFFF_FFFF, attr: 0xC093)
        setCPL(0); updateMode(); flushOnPrivilegeChange()
    }
    func sysexit(_ i: I) throws(Fault) {
        let cs = UInt16(s.pointee.sysenterCS & 0xFFFC)
        if !protectedMode || cpl != 0 || cs == 0 { throw Fault.gp(0) }
        if osz(i) == 8 {
            segs[Seg.cs] = SegmentCache(selector: (cs &+ 32) | 3, base: 0, limit: 0xFFFF_FFFF, attr: 0xA0FB)
            segs[Seg.ss] = SegmentCache(selector: (cs &+ 40) | 3, base: 0, limit: 0xFFFF_FFFF, attr: 0xC0F3)
            if !isCanonical(gpr[2]) || !isCanonical(gpr[1]) { throw Fault.gp(0) }
            s.pointee.nextRip = gpr[2]; gpr[4] = gpr[1]
        } else {
            segs[Seg.cs] = SegmentCache(selector: (cs &+ 16) | 3, base: 0, limit: 0xFFFF_FFFF, attr: 0xC0FB)
            segs[Seg.ss] = SegmentCache(selector: (cs &+ 24) | 3, base: 0, limit: 0xFFFF_FFFF, attr: 0xC0F3)
            s.pointee.nextRip = gpr[2] & 0xFFFF_FFFF; gpr[4] = gpr[1] & 0xFFFF_FFFF
        }
        setCPL(3); updateMode(); flushOnPrivilegeChange()
    }
    func swapgs() throws(Fault) {
        if cpl != 0 { throw Fault.gp(0) }
        let t = segs[Seg.gs].base
        segs[Seg.gs].base = s.pointee.kernelGSBase
        s.pointee.kernelGSBase = t
    }
    func fsgsbase(_ i: I) throws(Fault) {
        if s.pointee.cr4 & CR4.fsgsbase == 0 { throw Fault.ud }
        let n = osz(i)
        switch i.pointee.h {
        case .rdfsbase: setReg(i.pointee.rm, n, segs[Seg.fs].base & mask(n))
        case .rdgsbase: setReg(i.pointee.rm, n, segs[Seg.gs].base & mask(n))
        case .wrfsbase: let v = reg(i.pointee.rm, n); if !isCanonical(v) { throw Fault.gp(0) }; segs[Seg.fs].base = v
        default: let v = reg(i.pointee.rm, n); if !isCanonical(v) { throw Fault.gp(0) }; segs[Seg.gs].base = v
        }
    }

    // MARK: TSC, RDPID, RDRAND, HLT, CLI/STI, STAC/CLAC

    func rdtsc() throws(Fault) {
        if s.pointee.cr4 & CR4.tsd != 0 && cpl != 0 && protectedMode { throw Fault.gp(0) }
        let t = tsc
        setReg(0, 4, t & 0xFFFF_FFFF); setReg(2, 4, t >> 32)
    }
    func rdtscp() throws(Fault) { try rdtsc(); setReg(1, 4, s.pointee.tscAux) }
    func rdpid(_ i: I) { setReg(i.pointee.rm, in64 ? 8 : 4, s.pointee.tscAux) }
    /// RDRAND/RDSEED from a seeded xorshift64* generator: deterministic runs by default.
    func rdrand(_ i: I) {
        var x = s.pointee.randState
        x ^= x >> 12; x ^= x << 25; x ^= x >> 27
        s.pointee.randState = x
        setReg(i.pointee.rm, osz(i), (x &* 0x2545_F491_4F6C_DD1D) & mask(osz(i)))
        setArithFlags(FL.cf)
    }
    func hlt() throws(Fault) {
        try requireCPL0()
        s.pointee.halted = 1
        s.pointee.exitRequest = 1
    }
    func cli() throws(Fault) {
        if protectedMode && (v86 ? iopl < 3 : cpl > iopl) {
            let vme = v86 ? s.pointee.cr4 & CR4.vme != 0 : (cpl == 3 && s.pointee.cr4 & CR4.pvi != 0)
            if vme { s.pointee.flags &= ~FL.vif; return }
            throw Fault.gp(0)
        }
        s.pointee.flags &= ~FL.if
    }
    func sti() throws(Fault) {
        if protectedMode && (v86 ? iopl < 3 : cpl > iopl) {
            let vme = v86 ? s.pointee.cr4 & CR4.vme != 0 : (cpl == 3 && s.pointee.cr4 & CR4.pvi != 0)
            if vme && s.pointee.flags & FL.vip == 0 { s.pointee.flags |= FL.vif; return }
            throw Fault.gp(0)
        }
        if s.pointee.flags & FL.if == 0 { s.pointee.shadow = 1; s.pointee.eventPending = 1 }
        s.pointee.flags |= FL.if
    }
    /// RDPKRU / WRPKRU (SDM Vol. 2): #UD unless CR4.PKE; ECX (and EDX for WRPKRU) must be 0.
    /// New rights apply to the next access, so cached translations are dropped.
    func rdpkru() throws(Fault) {
        if s.pointee.cr4 & CR4.pke == 0 { throw Fault.ud }
        if gpr[1] & 0xFFFF_FFFF != 0 { throw Fault.gp(0) }
        setReg(0, 4, UInt64(s.pointee.pkru)); setReg(2, 4, 0)
    }
    func wrpkru() throws(Fault) {
        if s.pointee.cr4 & CR4.pke == 0 { throw Fault.ud }
        if gpr[1] & 0xFFFF_FFFF != 0 || gpr[2] & 0xFFFF_FFFF != 0 { throw Fault.gp(0) }
        s.pointee.pkru = UInt32(truncatingIfNeeded: gpr[0])
        flushTLB(global: true)
        s.pointee.exitRequest = 1
    }
    func stacClac(_ set: Bool) throws(Fault) {
        if cpl != 0 || v86 { throw Fault.ud }
        if set { s.pointee.flags |= FL.ac } else { s.pointee.flags &= ~FL.ac }
        flushTLB(global: true)
    }
}
