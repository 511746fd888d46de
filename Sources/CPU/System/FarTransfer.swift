// Far JMP, far CALL, far RET and IRET (SDM Vol. 2 pseudocode; Vol. 3, 5.8 call gates,
// 20.3 virtual-8086 returns, 6.14.3 IRET in IA-32e mode).

extension CPU {
    /// Load CS in real or virtual-8086 mode.
    func loadCSReal(_ sel: UInt16, _ ip: UInt64) {
        var c = segs[Seg.cs]
        c.selector = sel; c.base = UInt64(sel) << 4
        if v86 { c.limit = 0xFFFF; c.attr = 0xFB }
        segs[Seg.cs] = c
        s.pointee.nextRip = ip
        updateMode()
    }

    func setCS(_ sel: UInt16, _ d: Descriptor, cpl newCPL: Int) throws(Fault) {
        try markAccessed(sel, d)
        var c = d.cache((sel & 0xFFFC) | UInt16(newCPL)); c.attr |= 1
        segs[Seg.cs] = c
        if newCPL != cpl { setCPL(newCPL); flushOnPrivilegeChange() }
        updateMode()
        mappingEpoch &+= 1
    }

    /// Checks on a code-segment target for JMP/CALL (SDM "JMP": protected-mode code segment).
    func checkCodeTarget(_ sel: UInt16, _ d: Descriptor) throws(Fault) {
        let e = UInt32(sel & 0xFFFC)
        if d.conforming { if d.dpl > cpl { throw Fault.gp(e) } }
        else if Int(sel & 3) > cpl || d.dpl != cpl { throw Fault.gp(e) }
        if !d.present { throw Fault.np(e) }
        if longMode && d.l && d.db { throw Fault.gp(e) }
    }

    func targetOffsetOK(_ off: UInt64, _ d: Descriptor) -> Bool {
        longMode && d.l ? isCanonical(off) : off <= UInt64(d.limit)
    }

    /// Push CS:IP for a far CALL; on a fault the stack pointer is left as it was.
    func pushReturnAddress(_ n: Int) throws(Fault) {
        let sp = gpr[4]
        try push(UInt64(segs[Seg.cs].selector), n)
        do { try push(s.pointee.nextRip, n) } catch { gpr[4] = sp; throw error }
    }

    /// Far JMP and far CALL (SDM Vol. 2 "JMP", "CALL"): to a code segment, through a call gate,
    /// or to a TSS / task gate. The two differ only in the return address CALL pushes, the
    /// stack switch a CALL through a gate may make, and the task-switch nesting.
    func farTransfer(_ sel: UInt16, _ off: UInt64, _ n: Int, call: Bool) throws(Fault) {
        if !protectedMode || v86 {
            if off > UInt64(segs[Seg.cs].limit) { throw Fault.gp(0) }
            if call { try pushReturnAddress(n) }
            loadCSReal(sel, off); return
        }
        if sel & 0xFFFC == 0 { throw Fault.gp(0) }
        var d = try readDescriptor(sel)
        let e = UInt32(sel & 0xFFFC)
        if d.s {
            if !d.isCode { throw Fault.gp(e) }
            try checkCodeTarget(sel, d)
            if !targetOffsetOK(off, d) { throw Fault.gp(0) }
            if call { try pushReturnAddress(n) }
            try setCS(sel, d, cpl: cpl)
            s.pointee.nextRip = off
            return
        }
        if longMode { d = try readDescriptor(sel, wide: d.type == 0xC) }
        switch d.type {
        case 0x4, 0xC:
            if longMode && d.type != 0xC { throw Fault.gp(e) }
            if d.dpl < cpl || d.dpl < Int(sel & 3) { throw Fault.gp(e) }
            if !d.present { throw Fault.np(e) }
            if call { try callGate(d, n) } else { try jumpGate(d) }
        case 0x1, 0x9, 0x5:
            if longMode { throw Fault.gp(e) }
            if d.dpl < cpl || d.dpl < Int(sel & 3) { throw Fault.gp(e) }
            if !d.present { throw Fault.np(e) }
            try taskSwitch(d.type == 5 ? d.gateSelector : sel, reason: call ? .call : .jump, returnRip: s.pointee.nextRip)
            s.pointee.nextRip = s.pointee.rip
        default: throw Fault.gp(e)
        }
    }

    /// JMP through a call gate: never a privilege change.
    func jumpGate(_ gate: Descriptor) throws(Fault) {
        let tsel = gate.gateSelector
        if tsel & 0xFFFC == 0 { throw Fault.gp(0) }
        let cs = try readDescriptor(tsel)
        let te = UInt32(tsel & 0xFFFC)
        if !cs.isCode || (cs.conforming ? cs.dpl > cpl : cs.dpl != cpl) { throw Fault.gp(te) }
        if !cs.present { throw Fault.np(te) }
        var target = gate.gateOffset
        if !longMode { target &= gate.type == 4 ? 0xFFFF : 0xFFFF_FFFF }
        if !targetOffsetOK(target, cs) { throw Fault.gp(0) }
        try setCS(tsel, cs, cpl: cpl)
        s.pointee.nextRip = target
    }

    /// CALL through a call gate, with the stack switch and parameter copy of SDM Vol. 3, 5.8.5.
    func callGate(_ gate: Descriptor, _ n0: Int) throws(Fault) {
        let tsel = gate.gateSelector
        if tsel & 0xFFFC == 0 { throw Fault.gp(0) }
        let cs = try readDescriptor(tsel)
        let te = UInt32(tsel & 0xFFFC)
        if !cs.isCode || cs.dpl > cpl { throw Fault.gp(te) }
        if !cs.present { throw Fault.np(te) }
        let gsz = longMode ? 8 : gate.type == 0xC ? 4 : 2
        var target = gate.gateOffset
        if !longMode { target &= gsz == 2 ? 0xFFFF : 0xFFFF_FFFF }
        if !targetOffsetOK(target, cs) { throw Fault.gp(0) }
        let retSel = UInt64(segs[Seg.cs].selector), retOff = s.pointee.nextRip
        if !cs.conforming && cs.dpl < cpl {
            let newCPL = cs.dpl
            let oldSS = segs[Seg.ss], oldSP = gpr[4]
            if longMode {
                let tr = segs[Seg.tr]
                var rsp = try readSys(tr.base &+ UInt64(4 + 8 * newCPL), 8)
                if !isCanonical(rsp) { throw Fault.ss(0) }
                let saved = cpl
                setCPL(newCPL)
                do {
                    for x in [UInt64(oldSS.selector), oldSP, retSel, retOff] { rsp &-= 8; try writeLinear(rsp, x, user: false) }
                } catch { setCPL(saved); throw error }
                segs[Seg.ss] = SegmentCache(selector: UInt16(newCPL), base: 0, limit: 0, attr: 0x10000 | UInt32(newCPL) << 5)
                gpr[4] = rsp
            } else {
                let (ssSel, esp) = try tssStack(newCPL, 0)
                let ssd = try checkNewSS(ssSel, newCPL, 0)
                let newSS = ssd.cache(ssSel)
                // Parameters from the old stack (gate count, in gate-size units).
                var params: [UInt64] = []
                for k in 0..<gate.gateParams {
                    let off = (oldSS.db ? oldSP & 0xFFFF_FFFF : oldSP & 0xFFFF) &+ UInt64(k * gsz)
                    params.append(try readMem(Seg.ss, off & (oldSS.db ? 0xFFFF_FFFF : 0xFFFF), gsz))
                }
                let smask: UInt64 = newSS.db ? 0xFFFF_FFFF : 0xFFFF
                var sp = esp & smask
                let frame = [UInt64(oldSS.selector), oldSP & mask(gsz)] + params.reversed() + [retSel, retOff & mask(gsz)]
                if !newSS.expandDown && (sp &- UInt64(frame.count * gsz)) & smask > UInt64(newSS.limit) && sp != 0 {
                    throw Fault.ss(UInt32(ssSel & 0xFFFC))
                }
                let saved = cpl
                setCPL(newCPL)
                do {
                    for x in frame { sp = (sp &- UInt64(gsz)) & smask; try writeLinear((newSS.base &+ sp) & 0xFFFF_FFFF, x, gsz, user: false) }
                } catch { setCPL(saved); throw error }
                try markAccessed(ssSel, ssd)
                segs[Seg.ss] = newSS; segs[Seg.ss].attr |= 1
                if newSS.db { gpr[4] = sp } else { setReg(4, 2, sp) }
                setCPL(saved)
            }
            try setCS(tsel, cs, cpl: newCPL)
        } else {
            try pushReturnAddress(gsz)
            try setCS(tsel, cs, cpl: cpl)
        }
        s.pointee.nextRip = target
    }

    func jmpFar(_ i: I) throws(Fault) { try farTransfer(UInt16(i.pointee.imm2 & 0xFFFF), i.pointee.imm & mask(osz(i)), osz(i), call: false) }
    func callFar(_ i: I) throws(Fault) { try farTransfer(UInt16(i.pointee.imm2 & 0xFFFF), i.pointee.imm & mask(osz(i)), osz(i), call: true) }
    func farPointer(_ i: I) throws(Fault) -> (UInt16, UInt64) {
        let n = osz(i), off = ea(i), sg = seg(i)
        let o = try readMem(sg, off, n)
        let sel = try readMem(sg, off &+ UInt64(n), 2)
        return (UInt16(sel), o)
    }
    func jmpFarM(_ i: I) throws(Fault) { let (s, o) = try farPointer(i); try farTransfer(s, o, osz(i), call: false) }
    func callFarM(_ i: I) throws(Fault) { let (s, o) = try farPointer(i); try farTransfer(s, o, osz(i), call: true) }

    /// After a return to an outer level: data segments the new CPL may not use become null
    /// (SDM "RET"/"IRET": "FOR each of segment register (ES, FS, GS, and DS) ... SegmentSelector
    /// <- 0"). Only the selector changes and the register becomes unusable: the hidden base
    /// stays, which 64-bit kernels rely on for GS (its base is the per-CPU area).
    func nullInaccessibleSegments() {
        for r in [Seg.es, Seg.ds, Seg.fs, Seg.gs] {
            let c = segs[r]
            if c.unusable { continue }
            if (!c.isCode || c.attr & 4 == 0) && c.dpl < cpl {
                segs[r] = SegmentCache(selector: 0, base: c.base, limit: c.limit, attr: 0x10000)
            }
        }
    }

    /// The SS popped by a far RET or IRET to privilege `rpl` (SDM "RET"/"IRET": a null SS
    /// is allowed only when returning to 64-bit code below ring 3).
    func returnStackSegment(_ ssSel: UInt16, rpl: Int, to d: Descriptor) throws(Fault) -> SegmentCache {
        if ssSel & 0xFFFC == 0 && longMode && d.l && rpl < 3 {
            return SegmentCache(selector: ssSel, base: 0, limit: 0, attr: 0x10000 | UInt32(rpl) << 5)
        }
        if ssSel & 0xFFFC == 0 { throw Fault.gp(0) }
        let ssd = try readDescriptor(ssSel)
        let se = UInt32(ssSel & 0xFFFC)
        if Int(ssSel & 3) != rpl || !ssd.writableData || ssd.dpl != rpl { throw Fault.gp(se) }
        if !ssd.present { throw Fault.ss(se) }
        try markAccessed(ssSel, ssd)
        var c = ssd.cache(ssSel); c.attr |= 1
        return c
    }

    func retFar(_ i: I) throws(Fault) {
        let n = osz(i), extra = i.pointee.imm & 0xFFFF
        let off = try peek(0, n), sel = UInt16(try peek(UInt64(n), n) & 0xFFFF)
        if !protectedMode || v86 {
            if off > UInt64(segs[Seg.cs].limit) && !v86 { throw Fault.gp(0) }
            adjustSP(Int64(2 * n) + Int64(extra))
            loadCSReal(sel, off); return
        }
        if sel & 0xFFFC == 0 { throw Fault.gp(0) }
        let d = try readDescriptor(sel)
        let e = UInt32(sel & 0xFFFC), rpl = Int(sel & 3)
        if !d.isCode || rpl < cpl { throw Fault.gp(e) }
        if d.conforming ? d.dpl > rpl : d.dpl != rpl { throw Fault.gp(e) }
        if !d.present { throw Fault.np(e) }
        if rpl == cpl {
            if !targetOffsetOK(off, d) { throw Fault.gp(0) }
            adjustSP(Int64(2 * n) + Int64(extra))
            try setCS(sel, d, cpl: cpl)
            s.pointee.nextRip = off
            return
        }
        // Return to an outer level: SS:SP follow the parameters.
        let base = UInt64(2 * n) + extra
        let newSP = try peek(base, n), ssSel = UInt16(try peek(base + UInt64(n), n) & 0xFFFF)
        let ssCache = try returnStackSegment(ssSel, rpl: rpl, to: d)
        if !targetOffsetOK(off, d) { throw Fault.gp(0) }
        try setCS(sel, d, cpl: rpl)
        segs[Seg.ss] = ssCache
        updateMode()
        if in64 || n == 8 { gpr[4] = newSP &+ extra } else { setReg(4, ssCache.db ? 4 : 2, newSP &+ extra) }
        s.pointee.nextRip = off
        nullInaccessibleSegments()
    }

    /// Which EFLAGS bits a POPF/IRET at the current privilege may change (SDM "POPF", "IRET").
    func writableFlags(iret: Bool) -> UInt64 {
        var m: UInt64 = FL.arith | FL.tf | FL.df | FL.nt | FL.ac | FL.id
        if cpl == 0 || !protectedMode { m |= FL.iopl | FL.if }
        else if cpl <= iopl { m |= FL.if }
        if iret { m |= FL.rf; if cpl == 0 { m |= FL.vif | FL.vip } }
        return m
    }
    func applyFlags(_ v: UInt64, _ m: UInt64) {
        let oldAC = s.pointee.flags & FL.ac
        let f = (rflags & ~m) | (v & m)
        rflags = f
        if s.pointee.flags & FL.ac != oldAC && s.pointee.cr4 & CR4.smap != 0 { flushTLB(global: true) }
    }

    func pushf(_ i: I) throws(Fault) {
        let n = osz(i)
        if v86 && iopl < 3 {
            if s.pointee.cr4 & CR4.vme != 0 && n == 2 {
                var f = rflags & 0xFFFF
                f = (f & ~FL.if) | (s.pointee.flags & FL.vif != 0 ? FL.if : 0) | FL.iopl
                try push(f, 2); return
            }
            throw Fault.gp(0)
        }
        try push(rflags & ~(FL.vm | FL.rf) & mask(n), n)
    }
    func popf(_ i: I) throws(Fault) {
        let n = osz(i)
        if v86 && iopl < 3 {
            if s.pointee.cr4 & CR4.vme != 0 && n == 2 {
                let v = try peek(0, 2)
                if v & FL.tf != 0 || (v & FL.if != 0 && s.pointee.flags & FL.vip != 0) { throw Fault.gp(0) }
                adjustSP(2)
                applyFlags(v, (FL.arith | FL.df | FL.nt | FL.tf) & 0xFFFF)
                if v & FL.if != 0 { s.pointee.flags |= FL.vif } else { s.pointee.flags &= ~FL.vif }
                return
            }
            throw Fault.gp(0)
        }
        let v = try peek(0, n)
        adjustSP(Int64(n))
        var m = writableFlags(iret: false)
        if v86 { m &= ~FL.iopl }
        if n == 2 { m &= 0xFFFF }
        applyFlags(v, m)
    }

    func iret(_ i: I) throws(Fault) {
        let n = osz(i)
        // IRET ends NMI blocking (SDM Vol. 3, 6.7.1), even when it faults later.
        s.pointee.nmiBlocked = 0
        if !protectedMode {
            let ip = try peek(0, n), cs = try peek(UInt64(n), n), fl = try peek(UInt64(2 * n), n)
            if ip & 0xFFFF_FFFF > UInt64(segs[Seg.cs].limit) { throw Fault.gp(0) }
            adjustSP(Int64(3 * n))
            loadCSReal(UInt16(cs & 0xFFFF), ip)
            applyFlags(fl, n == 2 ? 0xFFFF & ~0 : FL.defined & ~(FL.vm | FL.vip | FL.vif))
            return
        }
        if v86 {
            if iopl < 3 {
                if s.pointee.cr4 & CR4.vme != 0 && n == 2 {
                    let ip = try peek(0, 2), cs = try peek(2, 2), fl = try peek(4, 2)
                    if fl & FL.tf != 0 || (fl & FL.if != 0 && s.pointee.flags & FL.vip != 0) { throw Fault.gp(0) }
                    adjustSP(6)
                    loadCSReal(UInt16(cs), ip)
                    applyFlags(fl, (FL.arith | FL.df | FL.nt | FL.tf) & 0xFFFF)
                    if fl & FL.if != 0 { s.pointee.flags |= FL.vif } else { s.pointee.flags &= ~FL.vif }
                    return
                }
                throw Fault.gp(0)
            }
            let ip = try peek(0, n), cs = try peek(UInt64(n), n), fl = try peek(UInt64(2 * n), n)
            adjustSP(Int64(3 * n))
            loadCSReal(UInt16(cs & 0xFFFF), ip)
            applyFlags(fl, (n == 2 ? 0xFFFF : FL.defined) & ~(FL.vm | FL.iopl | FL.vip | FL.vif))
            return
        }
        if s.pointee.flags & FL.nt != 0 {
            if longMode { throw Fault.gp(0) }
            try taskReturn()
            return
        }
        let ip = try peek(0, n), csv = try peek(UInt64(n), n), fl = try peek(UInt64(2 * n), n)
        let sel = UInt16(csv & 0xFFFF)
        if fl & FL.vm != 0 && cpl == 0 && n == 4 && !longMode {
            // Return to virtual-8086 mode (SDM Vol. 3, 20.2.6): pop ESP, SS, ES, DS, FS, GS too.
            var v: [UInt64] = []
            for k in 3..<9 { v.append(try peek(UInt64(k * 4), 4)) }
            rflags = (fl & FL.defined) | FL.vm
            for (r, sv) in [(Seg.es, v[2]), (Seg.ds, v[3]), (Seg.fs, v[4]), (Seg.gs, v[5]), (Seg.ss, v[1])] {
                segs[r] = SegmentCache(selector: UInt16(sv & 0xFFFF), base: (sv & 0xFFFF) << 4, limit: 0xFFFF, attr: 0xF3)
            }
            gpr[4] = v[0] & 0xFFFF_FFFF
            setCPL(3)
            loadCSReal(sel, ip & 0xFFFF)
            flushOnPrivilegeChange()
            return
        }
        if sel & 0xFFFC == 0 { throw Fault.gp(0) }
        let d = try readDescriptor(sel)
        let e = UInt32(sel & 0xFFFC), rpl = Int(sel & 3)
        if !d.isCode || rpl < cpl { throw Fault.gp(e) }
        if d.conforming ? d.dpl > rpl : d.dpl != rpl { throw Fault.gp(e) }
        if !d.present { throw Fault.np(e) }
        if longMode && d.l && d.db { throw Fault.gp(e) }
        let m = writableFlags(iret: true) & (n == 2 ? 0xFFFF : ~0)
        if rpl == cpl && !(in64) {
            if !targetOffsetOK(ip, d) { throw Fault.gp(0) }
            adjustSP(Int64(3 * n))
            try setCS(sel, d, cpl: cpl)
            s.pointee.nextRip = ip
            applyFlags(fl, m)
            return
        }
        // Outer level, or any IRETQ from 64-bit mode: SS:RSP are popped too.
        let newSP = try peek(UInt64(3 * n), n), ssSel = UInt16(try peek(UInt64(4 * n), n) & 0xFFFF)
        let ssCache = try returnStackSegment(ssSel, rpl: rpl, to: d)
        if !targetOffsetOK(ip, d) { throw Fault.gp(0) }
        applyFlags(fl, m)
        let leavingCPL = cpl
        try setCS(sel, d, cpl: rpl)
        segs[Seg.ss] = ssCache
        updateMode()
        if n == 8 || (in64) { gpr[4] = newSP } else if ssCache.db { gpr[4] = newSP & 0xFFFF_FFFF } else { setReg(4, 2, newSP) }
        s.pointee.nextRip = ip
        if rpl > leavingCPL { nullInaccessibleSegments() }
    }
}
