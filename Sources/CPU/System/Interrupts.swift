// Interrupt and exception delivery (SDM Vol. 3, chapter 6): real-mode IVT (20.1.4),
// protected-mode IDT with interrupt, trap and task gates (6.11-6.12), inter-privilege stack
// switches and virtual-8086 frames (20.3.1), 64-bit mode with IST (6.14), and the double /
// triple fault rules (6.15, Table 6-5).

/// What raised an event: INT n (.software), INT3/INTO (.softwareException: DPL-checked but
/// not IOPL-sensitive in virtual-8086 mode), INT1/ICEBP (.int1: no DPL check).
public enum EventKind { case exception, software, softwareException, external, nmi, int1 }

/// The values of an interrupt stack frame (at most 10: the virtual-8086 frame with an error
/// code), kept on the stack: delivering an interrupt allocates nothing.
struct FrameValues {
    private var v: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    private(set) var count = 0
    mutating func append(_ x: UInt64) {
        withUnsafeMutableBytes(of: &v) { $0.storeBytes(of: x, toByteOffset: 8 * count, as: UInt64.self) }
        count += 1
    }
    subscript(_ k: Int) -> UInt64 {
        withUnsafeBytes(of: v) { $0.load(fromByteOffset: 8 * k, as: UInt64.self) }
    }
}

extension CPU {
    static func contributory(_ v: UInt8) -> Bool { v == 0 || (v >= 10 && v <= 13) }

    /// Deliver an exception raised by the instruction at s.rip (the engine's catch path).
    /// Double and triple faults are handled here.
    public func raise(_ f: Fault) {
        var f = f
        // Faults push EFLAGS with RF set so the restarted instruction does not hit its own
        // instruction breakpoint again (SDM Vol. 3, 18.3.1.1); #DB faults leave it to the handler.
        if f.vector != 1 && f.vector != 3 && f.vector != 4 { s.pointee.flags |= FL.rf }
        var first: UInt8? = nil
        while true {
            do {
                try deliver(vector: f.vector, error: f.hasErrorCode ? f.errorCode : nil, kind: .exception,
                            returnRip: s.pointee.rip)
                return
            } catch {
                // A fault while delivering: combine (Table 6-5).
                let prev = first ?? f.vector
                if prev == 8 {
                    // Shutdown state (SDM Vol. 3, 6.15 "Interrupt 8"): the processor stops
                    // executing until RESET/INIT; the machine decides what happens next.
                    s.pointee.halted = 2
                    bus.shutdown(reason: "triple fault (\(error.name) while delivering #DF)")
                    return
                }
                let pfOrContrib = { (v: UInt8) in CPU.contributory(v) || v == 14 }
                if (CPU.contributory(prev) && CPU.contributory(error.vector))
                    || (prev == 14 && pfOrContrib(error.vector)) {
                    first = 8; f = .df()
                } else {
                    first = error.vector; f = error
                }
            }
        }
    }

    /// External interrupt or NMI delivery between instructions.
    public func deliverExternal(_ vector: UInt8, nmi: Bool = false) {
        s.pointee.halted = 0
        do {
            try deliver(vector: vector, error: nil, kind: nmi ? .nmi : .external, returnRip: s.pointee.rip)
        } catch {
            var e = error
            if e.hasErrorCode { e.errorCode |= 1 }   // EXT
            raise(e)
        }
    }

    /// INT n, INT3, INTO, INT1 from inside an instruction: delivered at once with the return
    /// address after the instruction.
    func softwareInterrupt(_ vector: UInt8, kind: EventKind) throws(Fault) {
        if let hook = softwareInterruptHook { throw hook(vector, kind) }
        if kind == .software && v86 && iopl < 3 {
            if s.pointee.cr4 & CR4.vme != 0 { try v86Redirect(vector); return }
            throw Fault.gp(0)
        }
        try deliver(vector: vector, error: nil, kind: kind, returnRip: s.pointee.nextRip)
        s.pointee.nextRip = s.pointee.rip   // deliver() already set RIP to the handler
    }

    /// VME software-interrupt redirection (SDM Vol. 3, 20.3.3.5): consult the TSS redirection
    /// bitmap; a clear bit means handle it through the 8086 IVT inside virtual-8086 mode.
    func v86Redirect(_ vector: UInt8) throws(Fault) {
        let tr = segs[Seg.tr]
        let mapBase = try readSys(tr.base &+ 0x66, 2)
        let bitAddr = mapBase &- 32 &+ UInt64(vector >> 3)
        let redirected = try readSys(tr.base &+ bitAddr, 1) & (1 << UInt64(vector & 7)) != 0
        if redirected { throw Fault.gp(0) }
        var fl = rflags
        if iopl < 3 { fl = (fl & ~FL.if) | (fl & FL.vif != 0 ? FL.if : 0); fl |= FL.iopl }
        let ip = try readLinear(UInt64(vector) * 4, UInt16.self, user: true)
        let cs = try readLinear(UInt64(vector) * 4 + 2, UInt16.self, user: true)
        try push(fl & 0xFFFF, 2); try push(UInt64(segs[Seg.cs].selector), 2); try push(s.pointee.nextRip & 0xFFFF, 2)
        try loadSegment(Seg.cs, cs)
        segs[Seg.cs].attr = 0xF3 | 0x8
        s.pointee.rip = UInt64(ip)
        if iopl < 3 { s.pointee.flags &= ~FL.vif } else { s.pointee.flags &= ~FL.if }
        s.pointee.flags &= ~(FL.tf | FL.rf)
    }

    func deliver(vector: UInt8, error: UInt32?, kind: EventKind, returnRip: UInt64) throws(Fault) {
        if kind == .nmi { s.pointee.nmiBlocked = 1 }
        if !protectedMode {
            try deliverReal(vector, returnRip)
        } else if longMode {
            try deliverLong(vector, error, kind, returnRip)
        } else {
            try deliverProtected(vector, error, kind, returnRip)
        }
    }

    func deliverReal(_ v: UInt8, _ ret: UInt64) throws(Fault) {
        let off = UInt64(v) * 4
        if off + 3 > UInt64(s.pointee.idtrLimit) { throw Fault.gp(UInt32(v) * 8 + 2) }
        let ip = try readSys(s.pointee.idtrBase &+ off, 2), cs = try readSys(s.pointee.idtrBase &+ off + 2, 2)
        try push(rflags & 0xFFFF, 2)
        try push(UInt64(segs[Seg.cs].selector), 2)
        try push(ret & 0xFFFF, 2)
        var c = segs[Seg.cs]; c.selector = UInt16(cs); c.base = cs << 4
        segs[Seg.cs] = c
        s.pointee.rip = ip
        s.pointee.flags &= ~(FL.if | FL.tf | FL.ac | FL.rf)
        updateMode()
    }

    /// Read an IDT gate, with the checks common to both formats.
    func idtGate(_ v: UInt8, _ kind: EventKind, wide: Bool) throws(Fault) -> Descriptor {
        let size: UInt64 = wide ? 16 : 8
        let ext: UInt32 = (kind == .external || kind == .nmi) ? 1 : 0
        let err = UInt32(v) * 8 + 2 + ext
        if UInt64(v) * size + size - 1 > UInt64(s.pointee.idtrLimit) { throw Fault.gp(err) }
        let a = s.pointee.idtrBase &+ UInt64(v) * size
        var d = Descriptor(lo: try readSys(a, 8))
        if wide { d.hi = try readSys(a &+ 8, 8) }
        let t = d.type
        let ok = wide ? (t == 0xE || t == 0xF) : (t == 5 || t == 6 || t == 7 || t == 0xE || t == 0xF)
        if d.s || !ok { throw Fault.gp(err) }
        if (kind == .software || kind == .softwareException) && d.dpl < cpl { throw Fault.gp(err) }
        if !d.present { throw Fault.np(err) }
        return d
    }

    /// The target code segment of an interrupt gate (SDM Vol. 3, 6.12.1.1).
    func gateTarget(_ gate: Descriptor, _ ext: UInt32) throws(Fault) -> Descriptor {
        let sel = gate.gateSelector
        if sel & 0xFFFC == 0 { throw Fault.gp(ext) }
        let cs = try readDescriptor(sel) { .gp($0 | ext) }
        if !cs.isCode || cs.dpl > cpl { throw Fault.gp(UInt32(sel & 0xFFFC) | ext) }
        if !cs.present { throw Fault.np(UInt32(sel & 0xFFFC) | ext) }
        return cs
    }

    /// Stack for privilege level `dpl` from the current TSS (SDM Vol. 3, 7.2.1, 8.7).
    func tssStack(_ dpl: Int, _ ext: UInt32) throws(Fault) -> (UInt16, UInt64) {
        let tr = segs[Seg.tr]
        if tr.type == 0x9 || tr.type == 0xB {
            let off = UInt64(4 + 8 * dpl)
            if off + 5 > UInt64(tr.limit) { throw Fault.ts(UInt32(tr.selector & 0xFFFC) | ext) }
            return (UInt16(try readSys(tr.base &+ off + 4, 2)), try readSys(tr.base &+ off, 4))
        }
        let off = UInt64(2 + 4 * dpl)
        if off + 3 > UInt64(tr.limit) { throw Fault.ts(UInt32(tr.selector & 0xFFFC) | ext) }
        return (UInt16(try readSys(tr.base &+ off + 2, 2)), try readSys(tr.base &+ off, 2))
    }

    /// Validate a new SS for a stack switch to privilege `dpl`.
    func checkNewSS(_ sel: UInt16, _ dpl: Int, _ ext: UInt32) throws(Fault) -> Descriptor {
        let e = UInt32(sel & 0xFFFC) | ext
        if sel & 0xFFFC == 0 { throw Fault.ts(ext) }
        let d = try readDescriptor(sel) { _ in .ts(e) }
        if Int(sel & 3) != dpl || d.dpl != dpl || !d.writableData { throw Fault.ts(e) }
        if !d.present { throw Fault.ss(e) }
        return d
    }

    func deliverProtected(_ v: UInt8, _ error: UInt32?, _ kind: EventKind, _ ret: UInt64) throws(Fault) {
        let ext: UInt32 = (kind == .external || kind == .nmi) ? 1 : 0
        let gate = try idtGate(v, kind, wide: false)
        if gate.type == 5 {
            // Task gate: switch tasks; the error code goes on the new task's stack.
            try taskSwitch(gate.gateSelector, reason: .interrupt, returnRip: ret)
            if let e = error {
                try push(UInt64(e), segs[Seg.tr].type & 8 != 0 ? 4 : 2)
            }
            return
        }
        let cs = try gateTarget(gate, ext)
        let is32 = gate.type & 8 != 0
        let n = is32 ? 4 : 2
        let oldFlags = rflags
        let oldCS = segs[Seg.cs], oldSS = segs[Seg.ss], oldESP = gpr[4]
        let wasV86 = v86
        let newCPL: Int
        if !cs.conforming && cs.dpl < cpl {
            // Inter-privilege: new stack from the TSS.
            newCPL = cs.dpl
            let (ssSel, esp) = try tssStack(newCPL, ext)
            let ssd = try checkNewSS(ssSel, newCPL, ext)
            let newSS = ssd.cache(ssSel)
            // Build the frame on the new stack.
            var sp = newSS.db ? esp & 0xFFFF_FFFF : esp & 0xFFFF
            var vals = FrameValues()
            if wasV86 {
                vals.append(UInt64(segs[Seg.gs].selector)); vals.append(UInt64(segs[Seg.fs].selector))
                vals.append(UInt64(segs[Seg.ds].selector)); vals.append(UInt64(segs[Seg.es].selector))
            }
            vals.append(UInt64(oldSS.selector)); vals.append(oldESP & mask(n)); vals.append(oldFlags & mask(n))
            vals.append(UInt64(oldCS.selector)); vals.append(ret & mask(n))
            if let e = error { vals.append(UInt64(e)) }
            let total = UInt64(vals.count * n)
            let smask: UInt64 = newSS.db ? 0xFFFF_FFFF : 0xFFFF
            // Check the whole frame against SS's limit before writing (fault = #SS(new SS)).
            let lowest = (sp &- total) & smask
            if newSS.expandDown ? lowest <= UInt64(newSS.limit) : (sp &- 1) & smask > UInt64(newSS.limit) {
                throw Fault.ss(UInt32(ssSel & 0xFFFC) | ext)
            }
            let savedCPL = cpl
            setCPL(newCPL)
            do {
                for k in 0..<vals.count {
                    let x = vals[k]
                    sp = (sp &- UInt64(n)) & smask
                    try writeLinear((newSS.base &+ sp) & 0xFFFF_FFFF, n == 4 ? x : x & 0xFFFF, n, user: false)
                }
            } catch { setCPL(savedCPL); throw error }
            try markAccessed(ssSel, ssd)
            segs[Seg.ss] = newSS; segs[Seg.ss].attr |= 1
            if newSS.db { gpr[4] = sp } else { setReg(4, 2, sp) }
            if wasV86 {
                for r in [Seg.es, Seg.ds, Seg.fs, Seg.gs] { segs[r] = SegmentCache(selector: 0, base: 0, limit: 0, attr: 0x10000) }
            }
        } else {
            if wasV86 { throw Fault.gp(UInt32(gate.gateSelector & 0xFFFC) | ext) }
            newCPL = cpl
            try push(oldFlags & mask(n), n)
            do {
                try push(UInt64(oldCS.selector), n)
                try push(ret & mask(n), n)
                if let e = error { try push(UInt64(e), n) }
            } catch { gpr[4] = oldESP; throw error }
        }
        let off = gate.gateOffset & 0xFFFF_FFFF & (is32 ? 0xFFFF_FFFF : 0xFFFF)
        if off > UInt64(cs.limit) { throw Fault.gp(ext) }
        try markAccessed(gate.gateSelector, cs)
        var c = cs.cache((gate.gateSelector & 0xFFFC) | UInt16(newCPL)); c.attr |= 1
        segs[Seg.cs] = c
        setCPL(newCPL)
        s.pointee.rip = off
        s.pointee.flags &= ~(FL.tf | FL.nt | FL.vm | FL.rf)
        if gate.type & 1 == 0 { s.pointee.flags &= ~FL.if }   // interrupt gate
        updateMode()
        flushOnPrivilegeChange()
    }

    func deliverLong(_ v: UInt8, _ error: UInt32?, _ kind: EventKind, _ ret: UInt64) throws(Fault) {
        let ext: UInt32 = (kind == .external || kind == .nmi) ? 1 : 0
        let gate = try idtGate(v, kind, wide: true)
        let cs = try gateTarget(gate, ext)
        if !cs.l || cs.db { throw Fault.gp(UInt32(gate.gateSelector & 0xFFFC) | ext) }
        let oldFlags = rflags, oldCS = segs[Seg.cs].selector, oldSS = segs[Seg.ss].selector, oldRSP = gpr[4]
        var newCPL = cpl
        var rsp = gpr[4]
        let tr = segs[Seg.tr]
        if !cs.conforming && cs.dpl < cpl {
            newCPL = cs.dpl
            let off = UInt64(4 + 8 * newCPL)
            if off + 7 > UInt64(tr.limit) { throw Fault.ts(UInt32(tr.selector & 0xFFFC) | ext) }
            rsp = try readSys(tr.base &+ off, 8)
        }
        if gate.ist != 0 {
            let off = UInt64(0x24 + 8 * (gate.ist - 1))
            if off + 7 > UInt64(tr.limit) { throw Fault.ts(UInt32(tr.selector & 0xFFFC) | ext) }
            rsp = try readSys(tr.base &+ off, 8)
        }
        if !isCanonical(rsp) { throw Fault.ss(ext) }
        rsp &= ~0xF
        var vals = FrameValues()
        vals.append(UInt64(oldSS)); vals.append(oldRSP); vals.append(oldFlags); vals.append(UInt64(oldCS)); vals.append(ret)
        if let e = error { vals.append(UInt64(e)) }
        let savedCPL = cpl
        setCPL(newCPL)
        do {
            for k in 0..<vals.count { rsp &-= 8; try writeLinear(rsp, vals[k], user: false) }
        } catch { setCPL(savedCPL); throw error }
        if !isCanonical(gate.gateOffset) { setCPL(savedCPL); throw Fault.gp(ext) }
        if newCPL != savedCPL {
            segs[Seg.ss] = SegmentCache(selector: UInt16(newCPL), base: 0, limit: 0, attr: 0x10000 | UInt32(newCPL) << 5)
        }
        try markAccessed(gate.gateSelector, cs)
        var c = cs.cache((gate.gateSelector & 0xFFFC) | UInt16(newCPL)); c.attr |= 1
        segs[Seg.cs] = c
        gpr[4] = rsp
        s.pointee.rip = gate.gateOffset
        s.pointee.flags &= ~(FL.tf | FL.nt | FL.vm | FL.rf)
        if gate.type & 1 == 0 { s.pointee.flags &= ~FL.if }
        updateMode()
        flushOnPrivilegeChange()
    }

    /// Writes with an explicit size for the frame builders.
    func writeLinear(_ la: UInt64, _ v: UInt64, _ n: Int, user: Bool) throws(Fault) {
        if n == 4 { try writeLinear(la, UInt32(truncatingIfNeeded: v), user: user) }
        else { try writeLinear(la, UInt16(truncatingIfNeeded: v), user: user) }
    }

    /// A privilege change switches the TLB set; nothing to flush, but block chains keyed on
    /// CPL must not be followed.
    func flushOnPrivilegeChange() { mappingEpoch &+= 1 }
}

extension Error { var name: String { (self as? Fault)?.name ?? "\(self)" } }
extension Fault { var asFault: Fault { self } }

extension CPU {
    /// A debug trap (#DB after single-step) delivered between instructions.
    public func deliverExternalTrap(_ vector: UInt8) {
        // A trap after HLT (single-step) ends the halt: the handler returns past the HLT.
        if s.pointee.halted == 1 { s.pointee.halted = 0 }
        do { try deliver(vector: vector, error: nil, kind: .int1, returnRip: s.pointee.rip) }
        catch { raise(error) }
    }
}

extension CPU {
    /// The machine's side of the "interrupt pending" interface: call when an interrupt line
    /// or an NMI may need delivery; the run loop services it between instructions.
    public func signalEvent() { s.pointee.eventPending = 1 }
    public func raiseNMI() { s.pointee.nmiPending = 1; s.pointee.eventPending = 1 }

    /// Between instructions: deliver a latched NMI, or a maskable interrupt when IF = 1 and
    /// no interrupt shadow (SDM Vol. 3, 6.8-6.9). Returns whether anything was delivered.
    @discardableResult
    public func serviceEvents() -> Bool {
        let st = s
        // Wait-for-SIPI (an AP after INIT, SDM Vol. 3, 9.4.2) ignores interrupts and NMIs.
        if st.pointee.halted == 3 { st.pointee.eventPending = 0; st.pointee.nmiPending = 0; return false }
        if st.pointee.nmiPending != 0 && st.pointee.nmiBlocked == 0 {
            st.pointee.nmiPending = 0
            deliverExternal(2, nmi: true)
            return true
        }
        // In the shutdown state after a triple fault only NMI (and RESET/INIT) get through.
        if st.pointee.flags & FL.if != 0 && st.pointee.shadow == 0 && st.pointee.halted != 2 && bus.interruptPending {
            if let v = bus.acknowledgeInterrupt() { deliverExternal(v); return true }
        }
        // With IF = 0 a pending interrupt waits for STI/POPF/IRET, which set eventPending again:
        // stop checking at every block until then.
        if st.pointee.nmiPending == 0 && (st.pointee.flags & FL.if == 0 || !bus.interruptPending) { st.pointee.eventPending = 0 }
        return false
    }
}
