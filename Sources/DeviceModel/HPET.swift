/// High Precision Event Timer (IA-PC HPET Specification 1.0a, October 2004), as QEMU 7.2's pc
/// machine presents it (hw/timer/hpet.c): one timer block of 3 comparators at 0xFED00000
/// (1 KiB), a 64-bit main counter at 100 MHz (period 10 ns = 0x989680 fs), vendor 0x8086,
/// LegacyReplacement route capable; every comparator 64-bit capable (32-bit mode selectable),
/// periodic capable, no FSB (MSI) delivery, interrupt route capability `intcap` (QEMU's pc
/// machine with PIIX: only I/O APIC input 2, 0x00000004).
///
/// Register map (spec 2.3.1, Table 2): 0x000 GCAP_ID, 0x010 GEN_CONF, 0x020 GINTR_STA,
/// 0x0F0 MAIN_COUNTER, 0x100 + 0x20 * n Tn_CONF_CAP, 0x108 + 0x20 * n Tn_COMPARATOR; aligned
/// 32-bit and 64-bit accesses (spec 2.3.1: "aligned 32-bit or 64-bit accesses").
///
/// Time: no stepping. The main counter is a function of the virtual clock while ENABLE_CNF is
/// set (value at enable + elapsed ns / 10) and frozen while it is clear. Each comparator has a
/// `DeviceTimer` armed for the virtual time of its next match; a match is "main counter equals
/// comparator" (spec 2.3.9.2: equality, in 32 bits for a comparator in 32-bit mode), so a
/// comparator written behind the counter matches only after the counter wraps (2^32 ticks =
/// 42.9 s in 32-bit mode, never in 64-bit mode). QEMU instead fires a comparator that is
/// behind at once; real chipsets and the spec do not, and Linux and Xen check for -ETIME
/// after programming. A register access first performs any match whose time has already
/// passed within the current CPU slice, so a guest never reads a stale comparator.
///
/// Periodic mode (spec 2.3.9.2.2): on a match the comparator (the "accumulator") advances by
/// the last value written to it; matches missed by more than one period are coalesced into
/// one interrupt, as in QEMU. Writing the comparator of a periodic timer sets only the period,
/// unless Tn_VAL_SET_CNF is 1: then the value goes to both the accumulator and the period and
/// Tn_VAL_SET_CNF clears itself (QEMU 7.2 rule, also for the two-halves write of a 64-bit
/// comparator: with VAL_SET the high half goes to the accumulator only).
///
/// Interrupts: a level-triggered comparator sets its GINTR_STA bit on every match (spec
/// 2.3.11: also when Tn_INT_ENB_CNF is 0) and, if Tn_INT_ENB_CNF is 1, holds its line high
/// until software writes 1 to the status bit; an edge-triggered comparator pulses its line
/// (high then low) and leaves GINTR_STA alone. Outputs of level comparators sharing a line are
/// wired-OR.
///
/// Interrupt outputs go to `setIRQ(gsi, level)`, gsi being the index into QEMU's pc GSI array
/// (x86ms->gsi): gsi 0-15 drive the ISA IRQ of the same number on the 8259s *and* the I/O APIC,
/// except gsi 0, which is ISA IRQ0 on the 8259 but I/O APIC pin 2 (QEMU's ioapic_set_irq maps
/// 0 -> 2; the MADT's interrupt source override); gsi 16-23 are I/O APIC pins only.
///   - LegacyReplacement (GEN_CONF.LEG_RT_CNF = 1, spec 2.3.7): timer 0 -> gsi 0, timer 1 ->
///     gsi 8 (the RTC's IRQ8), and the PIT and RTC outputs fed in through `pitIRQ`/`rtcIRQ` are
///     blocked. Otherwise timer n -> gsi Tn_INT_ROUTE_CNF, and `pitIRQ`/`rtcIRQ` pass straight
///     through to gsi 0 / gsi 8. (QEMU wires the PIT and RTC this way, through the HPET.)
public final class HPET: MMIODevice {
    public static let defaultBase: UInt64 = 0xFED0_0000
    public static let windowSize: UInt64 = 0x400
    public static let timerCount = 3
    /// Main counter tick period in femtoseconds (GCAP_ID bits 32-63): 10 ns, 100 MHz.
    public static let periodFs: UInt64 = 10_000_000
    static let tickNs: UInt64 = 10
    /// GCAP_ID: REV_ID 1, NUM_TIM_CAP 2 (three timers), COUNT_SIZE_CAP (bit 13), LEG_RT_CAP
    /// (bit 15), VENDOR_ID 0x8086, COUNTER_CLK_PERIOD.
    public static let capabilities: UInt64 =
        periodFs << 32 | 0x8086 << 16 | 1 << 15 | 1 << 13 | UInt64(timerCount - 1) << 8 | 0x01

    // GEN_CONF (spec 2.3.5)
    static let enableCnf: UInt64 = 1 << 0
    static let legacyCnf: UInt64 = 1 << 1
    // Tn_CONF_CAP (spec 2.3.8)
    static let tnLevel: UInt64 = 1 << 1          // Tn_INT_TYPE_CNF: 1 = level
    static let tnIntEnb: UInt64 = 1 << 2         // Tn_INT_ENB_CNF
    static let tnPeriodic: UInt64 = 1 << 3       // Tn_TYPE_CNF
    static let tnPeriodicCap: UInt64 = 1 << 4    // Tn_PER_INT_CAP
    static let tnSizeCap: UInt64 = 1 << 5        // Tn_SIZE_CAP: 64-bit comparator
    static let tnValSet: UInt64 = 1 << 6         // Tn_VAL_SET_CNF
    static let tn32: UInt64 = 1 << 8             // Tn_32MODE_CNF
    static let tnRouteShift: UInt64 = 9
    static let tnRouteMask: UInt64 = 0x1F << 9   // Tn_INT_ROUTE_CNF
    static let tnFSBEnable: UInt64 = 1 << 14     // Tn_FSB_EN_CNF (not capable here)
    static let tnWritable: UInt64 = tnLevel | tnIntEnb | tnPeriodic | tnValSet | tn32 | tnRouteMask

    public struct Timer: Codable, Equatable {
        /// Tn_CONF_CAP: bits 0-31 configuration, bits 32-63 Tn_INT_ROUTE_CAP.
        public var config: UInt64
        /// Tn_COMPARATOR (the accumulator in periodic mode). Reset: all ones.
        public var comparator: UInt64 = ~0
        /// Periodic increment: the last value written to the comparator in periodic mode.
        public var period: UInt64 = 0
    }

    public struct State: Codable, Equatable {
        public var config: UInt64 = 0          // GEN_CONF
        public var isr: UInt64 = 0             // GINTR_STA
        /// Main counter while halted; its value at `enabledAt` while running.
        public var counter: UInt64 = 0
        /// Virtual time (ns) at which ENABLE_CNF was last set.
        public var enabledAt: UInt64 = 0
        public var timers: [Timer]
        /// Last levels of the PIT (IRQ0) and RTC (IRQ8) outputs fed through the HPET.
        public var pitLevel = false, rtcLevel = false
        /// GSIs (bit n = gsi n) currently held high by level-triggered comparators.
        public var levelOut: UInt32 = 0
        public init(intcap: UInt32) {
            let cfg = UInt64(intcap) << 32 | HPET.tnPeriodicCap | HPET.tnSizeCap
            timers = [Timer](repeating: Timer(config: cfg), count: HPET.timerCount)
        }
    }

    public private(set) var state: State
    public let clock: VirtualClock
    /// Interrupt output: `(gsi, level)`, gsi as described in the type comment (QEMU's pc GSI
    /// numbering: 0 = ISA IRQ0 / I/O APIC pin 2, 8 = IRQ8, 2..23 per Tn_INT_ROUTE_CNF).
    public var setIRQ: (_ gsi: Int, _ level: Bool) -> Void = { _, _ in }
    private var timers: [DeviceTimer] = []
    private let intcap: UInt32

    /// `intcap`: Tn_INT_ROUTE_CAP of every comparator; QEMU's pc (PIIX) machine uses 0x4 (I/O
    /// APIC input 2 only), its q35 machine 0x00FF0104.
    public init(clock: VirtualClock, intcap: UInt32 = 0x0000_0004) {
        self.clock = clock
        self.intcap = intcap
        state = State(intcap: intcap)
        for i in 0..<HPET.timerCount {
            timers.append(DeviceTimer(clock: clock) { [unowned self] in self.fire(i) })
        }
    }

    /// Rebuild from a snapshot and re-arm the comparators. Outputs are not re-sent: the
    /// interrupt controllers' snapshots already hold the line levels in `levelOut`.
    public convenience init(clock: VirtualClock, state: State) {
        self.init(clock: clock, intcap: UInt32(truncatingIfNeeded: state.timers[0].config >> 32))
        self.state = state
        armAll()
    }

    /// Power-on state (QEMU hpet_reset): counter 0 and halted, comparators all ones, outputs low.
    public func reset() {
        for t in timers { t.cancel() }
        let wasLegacy = legacy
        state.config = 0
        state.isr = 0
        updateOutputs()                         // drops every level output
        let pit = state.pitLevel, rtc = state.rtcLevel
        state = State(intcap: intcap)
        state.pitLevel = pit; state.rtcLevel = rtc
        if wasLegacy { setIRQ(0, pit); setIRQ(8, rtc) }   // PIT and RTC reach their IRQs again
    }

    // MARK: legacy inputs

    /// The PIT's OUT0 (ISA IRQ0): passed to gsi 0 unless LegacyReplacement is on.
    public func pitIRQ(_ level: Bool) {
        state.pitLevel = level
        if !legacy { setIRQ(0, level) }
    }

    /// The RTC's IRQ8 output: passed to gsi 8 unless LegacyReplacement is on.
    public func rtcIRQ(_ level: Bool) {
        state.rtcLevel = level
        if !legacy { setIRQ(8, level) }
    }

    public var legacy: Bool { state.config & HPET.legacyCnf != 0 }
    public var enabled: Bool { state.config & HPET.enableCnf != 0 }

    // MARK: time

    /// Main counter value at the current virtual time.
    public var mainCounter: UInt64 {
        guard enabled, clock.now >= state.enabledAt else { return state.counter }
        return state.counter &+ (clock.now - state.enabledAt) / HPET.tickNs
    }

    /// Virtual time of the next match of comparator `i` after the current tick, nil if none
    /// within representable time.
    func nextMatch(_ i: Int) -> UInt64? {
        guard enabled, clock.now >= state.enabledAt else { return nil }
        let t = state.timers[i]
        let elapsed = (clock.now - state.enabledAt) / HPET.tickNs
        let cur = state.counter &+ elapsed
        var delta: UInt64
        if t.config & HPET.tn32 != 0 {
            let d = UInt32(truncatingIfNeeded: t.comparator) &- UInt32(truncatingIfNeeded: cur)
            delta = d == 0 ? 1 << 32 : UInt64(d)
        } else {
            delta = t.comparator &- cur
            if delta == 0 { return nil }        // next match after 2^64 ticks
        }
        // Tick number `elapsed + delta` since enable starts at enabledAt + that * 10 ns.
        let (e, o1) = elapsed.addingReportingOverflow(delta)
        let (m, o2) = e.multipliedReportingOverflow(by: HPET.tickNs)
        let (ns, o3) = state.enabledAt.addingReportingOverflow(m)
        return o1 || o2 || o3 ? nil : ns
    }

    private func arm(_ i: Int) {
        if let d = nextMatch(i) { timers[i].schedule(at: d) } else { timers[i].cancel() }
    }

    private func armAll() { for i in 0..<HPET.timerCount { arm(i) } }

    /// Perform matches whose time has passed but whose timer has not run yet (an access in
    /// the middle of a CPU slice, after `clock.sync`).
    private func catchUp() {
        for i in 0..<HPET.timerCount {
            if let d = timers[i].deadline, d <= clock.now { timers[i].cancel(); fire(i) }
        }
    }

    /// Comparator `i` matched (at or before now).
    private func fire(_ i: Int) {
        guard enabled else { return }
        var t = state.timers[i]
        if t.config & HPET.tnPeriodic != 0 && t.period != 0 {
            // Advance the accumulator to the first period boundary after the current tick.
            let cur = mainCounter
            if t.config & HPET.tn32 != 0 {
                let late = UInt64(UInt32(truncatingIfNeeded: cur) &- UInt32(truncatingIfNeeded: t.comparator))
                let k = late / t.period + 1
                t.comparator = UInt64(UInt32(truncatingIfNeeded: t.comparator &+ k &* t.period))
            } else {
                let late = cur &- t.comparator
                let k = late / t.period + 1
                t.comparator = t.comparator &+ k &* t.period
            }
            state.timers[i] = t
        }
        let bit = UInt64(1) << UInt64(i)
        if t.config & HPET.tnLevel != 0 {
            state.isr |= bit
            updateOutputs()
        } else if t.config & HPET.tnIntEnb != 0 {
            let g = route(i)
            if state.levelOut & (UInt32(1) << UInt32(g)) == 0 {   // a held shared line absorbs the edge
                setIRQ(g, true); setIRQ(g, false)
            }
        }
        arm(i)
    }

    /// GSI of comparator `i`'s interrupt.
    func route(_ i: Int) -> Int {
        if legacy && i == 0 { return 0 }
        if legacy && i == 1 { return 8 }
        return Int((state.timers[i].config & HPET.tnRouteMask) >> HPET.tnRouteShift)
    }

    /// Drive the level outputs from GINTR_STA: a level comparator with its status bit set and
    /// Tn_INT_ENB_CNF on holds its GSI high while the HPET is enabled.
    private func updateOutputs() {
        var want: UInt32 = 0
        if enabled {
            for i in 0..<HPET.timerCount {
                let c = state.timers[i].config
                if c & HPET.tnLevel != 0 && c & HPET.tnIntEnb != 0 && state.isr & (1 << UInt64(i)) != 0 {
                    want |= UInt32(1) << UInt32(route(i))
                }
            }
        }
        let old = state.levelOut
        state.levelOut = want
        for g in 0..<32 {
            let b = UInt32(1) << UInt32(g)
            if old & b != 0 && want & b == 0 { setIRQ(g, false) }
        }
        for g in 0..<32 {
            let b = UInt32(1) << UInt32(g)
            if want & b != 0 && old & b == 0 { setIRQ(g, true) }
        }
    }

    // MARK: registers

    /// 64-bit register at 8-aligned `reg`, or nil for a reserved/unimplemented location.
    private func read64(_ reg: UInt64) -> UInt64? {
        switch reg {
        case 0x000: return HPET.capabilities
        case 0x010: return state.config
        case 0x020: return state.isr
        case 0x0F0: return mainCounter
        case 0x100..<(0x100 + 0x20 * UInt64(HPET.timerCount)):
            let i = Int((reg - 0x100) / 0x20)
            switch reg & 0x1F {
            case 0x00: return state.timers[i].config
            case 0x08: return state.timers[i].comparator
            case 0x10:
                DeviceLog.warnOnce("hpet", "read of Tn_FSB_INT_ROUTE (FSB delivery not supported, Tn_FSB_INT_DEL_CAP = 0) returns 0")
                return 0
            default: return nil
            }
        default: return nil
        }
    }

    /// Write lanes `mask` of 64-bit register `reg` with `v`.
    private func write64(_ reg: UInt64, _ v: UInt64, _ mask: UInt64) {
        switch reg {
        case 0x000:
            break                                   // GCAP_ID is read-only
        case 0x010:
            writeConfig((state.config & ~mask) | (v & mask))
        case 0x020:
            // GINTR_STA: write 1 to clear (spec 2.3.6); only level comparators set bits.
            let clear = v & mask & ((1 << UInt64(HPET.timerCount)) - 1)
            if clear != 0 { state.isr &= ~clear; updateOutputs() }
        case 0x0F0:
            // "Writes to this register should only be done while the counter is halted."
            guard !enabled else {
                DeviceLog.warnOnce("hpet", "main counter write while ENABLE_CNF = 1 ignored")
                return
            }
            state.counter = (state.counter & ~mask) | (v & mask)
        case 0x100..<(0x100 + 0x20 * UInt64(HPET.timerCount)):
            let i = Int((reg - 0x100) / 0x20)
            switch reg & 0x1F {
            case 0x00: if mask & 0xFFFF_FFFF != 0 { writeTimerConfig(i, v) }   // high dword: read-only caps
            case 0x08: writeComparator(i, v, mask)
            case 0x10:
                DeviceLog.warnOnce("hpet", "write to Tn_FSB_INT_ROUTE ignored (FSB delivery not supported)")
            default:
                DeviceLog.warnOnce("hpet", "write to reserved offset 0x\(String(reg, radix: 16)) ignored")
            }
        default:
            DeviceLog.warnOnce("hpet", "write to reserved offset 0x\(String(reg, radix: 16)) ignored")
        }
    }

    private func writeConfig(_ value: UInt64) {
        let old = state.config
        let new = value & (HPET.enableCnf | HPET.legacyCnf)
        let now = clock.now
        if old & HPET.enableCnf == 0 && new & HPET.enableCnf != 0 {
            state.enabledAt = now                   // counter resumes from its halted value
        } else if old & HPET.enableCnf != 0 && new & HPET.enableCnf == 0 {
            state.counter = mainCounter             // halt
            state.isr = 0                           // QEMU: disabling drops all timer interrupts
        }
        state.config = new
        if (old ^ new) & HPET.legacyCnf != 0 {
            // LegacyReplacement takes gsi 0 and 8 away from the PIT and the RTC (spec 2.3.7).
            if new & HPET.legacyCnf != 0 {
                if state.pitLevel { setIRQ(0, false) }
                if state.rtcLevel { setIRQ(8, false) }
            }
        }
        updateOutputs()
        if (old ^ new) & HPET.legacyCnf != 0 && new & HPET.legacyCnf == 0 {
            if state.levelOut & 1 == 0 { setIRQ(0, state.pitLevel) }
            if state.levelOut & (1 << 8) == 0 { setIRQ(8, state.rtcLevel) }
        }
        armAll()
    }

    private func writeTimerConfig(_ i: Int, _ value: UInt64) {
        var t = state.timers[i]
        let old = t.config
        var new = (old & ~HPET.tnWritable) | (value & HPET.tnWritable)
        let r = (new & HPET.tnRouteMask) >> HPET.tnRouteShift
        if r != (old & HPET.tnRouteMask) >> HPET.tnRouteShift && (old >> 32) & (1 << r) == 0 {
            // Spec 2.3.8: an unsupported route "will not match what is written" on read-back.
            DeviceLog.warnOnce("hpet", "Tn_INT_ROUTE_CNF \(r) not in Tn_INT_ROUTE_CAP: route unchanged")
            new = (new & ~HPET.tnRouteMask) | (old & HPET.tnRouteMask)
        }
        if value & HPET.tnFSBEnable != 0 {
            DeviceLog.warnOnce("hpet", "Tn_FSB_EN_CNF set: FSB delivery not supported (Tn_FSB_INT_DEL_CAP = 0), bit stays 0")
        }
        if new & HPET.tn32 != 0 {
            t.comparator &= 0xFFFF_FFFF
            t.period &= 0xFFFF_FFFF
        }
        if new & HPET.tnLevel == 0 { state.isr &= ~(UInt64(1) << UInt64(i)) }   // status is for level mode only
        t.config = new
        state.timers[i] = t
        updateOutputs()
        arm(i)
    }

    private func writeComparator(_ i: Int, _ value: UInt64, _ mask: UInt64) {
        var t = state.timers[i]
        var v = value, m = mask
        if t.config & HPET.tn32 != 0 {
            // 32-bit mode: the upper half reads 0 and ignores writes.
            m &= 0xFFFF_FFFF; v &= 0xFFFF_FFFF
            if m == 0 { return }
        }
        let periodic = t.config & HPET.tnPeriodic != 0
        let valSet = t.config & HPET.tnValSet != 0
        let low = m & 0xFFFF_FFFF != 0
        if !periodic || valSet {
            t.comparator = (t.comparator & ~m) | (v & m)
        }
        if periodic {
            // QEMU clamps the period to 2^31 - 1 (32-bit mode) or 2^63 - 1 ticks.
            var pm = m
            if valSet && !low { pm = 0 }            // VAL_SET high half: accumulator only
            let limit: UInt64 = t.config & HPET.tn32 != 0 ? 0x7FFF_FFFF : 0x7FFF_FFFF_FFFF_FFFF
            t.period = ((t.period & ~pm) | (v & pm)) & limit
        }
        t.config &= ~HPET.tnValSet                  // "automatically clears" (spec 2.3.8)
        state.timers[i] = t
        arm(i)
    }

    public func read(offset: UInt64, size: Int) -> UInt64 {
        guard (size == 4 || size == 8) && offset % UInt64(size) == 0 && offset + UInt64(size) <= HPET.windowSize else {
            DeviceLog.warnOnce("hpet", "\(size)-byte read at 0x\(String(offset, radix: 16)) (only aligned 32/64-bit accesses) returns 0")
            return 0
        }
        catchUp()
        let reg = offset & ~7
        guard let v = read64(reg) else {
            DeviceLog.warnOnce("hpet", "read of reserved offset 0x\(String(reg, radix: 16)) returns 0")
            return 0
        }
        if size == 8 { return v }
        return offset & 4 != 0 ? v >> 32 : v & 0xFFFF_FFFF
    }

    public func write(offset: UInt64, size: Int, value: UInt64) {
        guard (size == 4 || size == 8) && offset % UInt64(size) == 0 && offset + UInt64(size) <= HPET.windowSize else {
            DeviceLog.warnOnce("hpet", "\(size)-byte write at 0x\(String(offset, radix: 16)) ignored (only aligned 32/64-bit accesses)")
            return
        }
        catchUp()
        let reg = offset & ~7
        if size == 8 {
            write64(reg, value, ~0)
        } else if offset & 4 != 0 {
            write64(reg, value << 32, 0xFFFF_FFFF_0000_0000)
        } else {
            write64(reg, value & 0xFFFF_FFFF, 0xFFFF_FFFF)
        }
    }
}
