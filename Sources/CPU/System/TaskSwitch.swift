// Hardware task switching (SDM Vol. 3, 9.3): JMP/CALL to a TSS or task gate, interrupts
// through task gates, and IRET with NT=1. 16-bit (type 1/3) and 32-bit (type 9/B) TSSs.

public enum TaskSwitchReason { case jump, call, interrupt, iret }

extension CPU {
    func taskSwitch(_ sel: UInt16, reason: TaskSwitchReason, returnRip: UInt64) throws(Fault) {
        let e = UInt32(sel & 0xFFFC)
        if sel & 4 != 0 { throw Fault.gp(e) }    // a TSS must be in the GDT
        let d = try readDescriptor(sel) { .gp($0) }
        // IRET returns to a busy TSS (else #TS); every other switch needs an available one
        // (else #GP) (SDM Vol. 3, 9.3, steps 2-3).
        if reason == .iret {
            if d.s || !(d.type == 3 || d.type == 0xB) { throw Fault.ts(e) }
        } else if d.s || !(d.type == 1 || d.type == 9) {
            throw Fault.gp(e)
        }
        if !d.present { throw Fault.np(e) }
        let new32 = d.type & 8 != 0
        if d.limit < (new32 ? 0x67 : 0x2B) { throw Fault.ts(e) }

        // Save the outgoing task's state into its TSS.
        let old = segs[Seg.tr]
        let old32 = old.type & 8 != 0
        var fl = rflags
        if reason == .iret { fl &= ~FL.nt }
        if old32 {
            let b = old.base
            try writeSys(b &+ 0x20, returnRip & 0xFFFF_FFFF, 4)
            try writeSys(b &+ 0x24, fl & 0xFFFF_FFFF, 4)
            for r in 0..<8 { try writeSys(b &+ 0x28 &+ UInt64(4 * r), gpr[r] & 0xFFFF_FFFF, 4) }
            for r in 0..<6 { try writeSys(b &+ 0x48 &+ UInt64(4 * r), UInt64(segs[r].selector), 2) }
        } else {
            let b = old.base
            try writeSys(b &+ 0x0E, returnRip & 0xFFFF, 2)
            try writeSys(b &+ 0x10, fl & 0xFFFF, 2)
            for r in 0..<8 { try writeSys(b &+ 0x12 &+ UInt64(2 * r), gpr[r] & 0xFFFF, 2) }
            for r in 0..<4 { try writeSys(b &+ 0x22 &+ UInt64(2 * r), UInt64(segs[r].selector), 2) }
        }
        if reason == .jump || reason == .iret { try markBusy(old.selector, false) }
        if reason == .iret { s.pointee.flags &= ~FL.nt }

        // Read the incoming task's state.
        let b = d.base
        var regs = [UInt64](repeating: 0, count: 8)
        var sels = [UInt16](repeating: 0, count: 6)
        let eip: UInt64, nfl: UInt64, ldt: UInt16, cr3: UInt64?
        if new32 {
            cr3 = try readSys(b &+ 0x1C, 4)
            eip = try readSys(b &+ 0x20, 4); nfl = try readSys(b &+ 0x24, 4)
            for r in 0..<8 { regs[r] = try readSys(b &+ 0x28 &+ UInt64(4 * r), 4) }
            for r in 0..<6 { sels[r] = UInt16(try readSys(b &+ 0x48 &+ UInt64(4 * r), 2)) }
            ldt = UInt16(try readSys(b &+ 0x60, 2))
        } else {
            cr3 = nil
            eip = try readSys(b &+ 0x0E, 2); nfl = try readSys(b &+ 0x10, 2)
            for r in 0..<8 { regs[r] = (gpr[r] & ~0xFFFF) | (try readSys(b &+ 0x12 &+ UInt64(2 * r), 2)) }
            for r in 0..<4 { sels[r] = UInt16(try readSys(b &+ 0x22 &+ UInt64(2 * r), 2)) }
            ldt = UInt16(try readSys(b &+ 0x2A, 2))
        }
        if reason == .call || reason == .interrupt {
            try writeSys(b, UInt64(old.selector), 2)     // back-link
        }
        if reason != .iret { try markBusy(sel, true) }

        // From here the switch is committed (SDM 9.3: faults after this point are taken in
        // the context of the new task).
        var tr = d.cache(sel); tr.attr |= 2
        segs[Seg.tr] = tr
        s.pointee.cr0 |= CR0.ts
        if let c3 = cr3, s.pointee.cr0 & CR0.pg != 0 { s.pointee.cr3 = c3; flushTLB(global: false) }
        for r in 0..<8 { gpr[r] = regs[r] }
        var f = nfl | 2
        if reason == .call || reason == .interrupt { f |= FL.nt }
        if !new32 { f = (rflags & ~0xFFFF) | (f & 0xFFFF) }
        rflags = f
        s.pointee.rip = eip
        // Load LDTR and segment registers; descriptor errors raise #TS in the new task.
        segs[Seg.ldtr] = SegmentCache(selector: ldt, base: 0, limit: 0, attr: 0x10000)
        for r in 0..<6 { segs[r].selector = sels[r] }
        if v86 {
            for r in 0..<6 { segs[r] = SegmentCache(selector: sels[r], base: UInt64(sels[r]) << 4, limit: 0xFFFF, attr: r == Seg.cs ? 0xFB : 0xF3) }
            setCPL(3); updateMode(); return
        }
        if ldt & 0xFFFC != 0 {
            if ldt & 4 != 0 { throw Fault.ts(UInt32(ldt & 0xFFFC)) }
            let ld = try readDescriptor(ldt) { .ts($0) }
            if ld.s || ld.type != 2 { throw Fault.ts(UInt32(ldt & 0xFFFC)) }
            if !ld.present { throw Fault.ts(UInt32(ldt & 0xFFFC)) }
            segs[Seg.ldtr] = ld.cache(ldt)
        }
        let csSel = sels[Seg.cs]
        let newCPL = Int(csSel & 3)
        let csd = try readDescriptor(csSel) { .ts($0) }
        if !csd.isCode || (csd.conforming ? csd.dpl > newCPL : csd.dpl != newCPL) { throw Fault.ts(UInt32(csSel & 0xFFFC)) }
        if !csd.present { throw Fault.np(UInt32(csSel & 0xFFFC)) }
        segs[Seg.cs] = csd.cache(csSel)
        setCPL(newCPL)
        updateMode()
        do {
            try loadSegment(Seg.ss, sels[Seg.ss])
            for r in [Seg.es, Seg.ds, Seg.fs, Seg.gs] where !new32 ? r < 4 : true { try loadSegment(r, sels[r]) }
        } catch {
            var e = error
            if e.vector == 13 { e = .ts(e.errorCode) }
            throw e
        }
        flushOnPrivilegeChange()
        // The new TSS's T flag: #DB (a trap, RIP = the new task's first instruction) with
        // DR6.BT set (SDM Vol. 3, 9.2.1 and 18.3.1.5).
        let trapFlag = new32 ? try readSys(b &+ 0x64, 2) & 1 : 0
        if trapFlag != 0 {
            s.pointee.dr6 |= 1 << 15
            throw Fault.db
        }
    }

    func taskReturn() throws(Fault) {
        let link = UInt16(try readSys(segs[Seg.tr].base, 2))
        try taskSwitch(link, reason: .iret, returnRip: s.pointee.nextRip)
        s.pointee.nextRip = s.pointee.rip
    }
}
