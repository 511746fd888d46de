/// The ACPI fixed hardware of the PIIX4 power-management function (82371AB datasheet, 7.2
/// "Power Management I/O Registers"; ACPI 6.x, 4.8 "ACPI Hardware Features": 4.8.3.1 PM1
/// Event Grouping, 4.8.3.2 PM1 Control Grouping, 4.8.3.3 Power Management Timer, 4.8.4.1 GPE
/// registers), as QEMU 7.2's pc machine implements it (hw/acpi/core.c, hw/acpi/piix4.c).
///
/// Two port windows:
///   - `ACPIPM` itself: the 64-byte PM I/O space at PMBA (SeaBIOS programs 0x600; offsets here
///     are relative to it): 0x00 PM1_STS (16), 0x02 PM1_EN (16), 0x04 PM1_CNT (16),
///     0x08 PM_TMR (32, read-only). The rest of the PIIX4 space (GPSTS 0x0C, PCNTRL 0x10, GLBSTS
///     0x18, DEVCTL 0x2C, GPIREG 0x30, ...) is not implemented, as in QEMU: reads return all
///     ones, writes are ignored, both with a warning.
///   - `gpe0`: QEMU's GPE0 block at 0xAFE0, 4 bytes (GPE0_BLK_LEN = 4): GPE0_STS bytes 0-1
///     (write 1 to clear), GPE0_EN bytes 2-3. QEMU's GPE bits: 1 PCI hotplug, 2 CPU hotplug,
///     3 memory hotplug; a hotplug controller raises one with `setGPE(_:)`.
/// Accesses of any width are served byte by byte (little endian), so an 8-bit read of PM1_STS
/// or a 32-bit access spanning PM1_STS and PM1_EN behave as the bytes would.
///
/// SCI (ISA IRQ 9 in QEMU's FADT, level, active high) = SCI_EN and (some PM1_STS bit with its
/// PM1_EN bit among TMR, GBL, PWRBTN, SLPBTN, RTC, or some GPE0_STS bit with its enable).
/// With SCI_EN clear, PM events would go to SMI (ACPI 4.8.3.2.1); SMI is not modelled, so
/// they raise nothing. SCI_EN is set and cleared through the APM control port 0xB2: the
/// machine forwards its writes to `apmCommand(_:)` (QEMU FADT: SMI_CMD 0xB2, ACPI_ENABLE 0xF1,
/// ACPI_DISABLE 0xF0); a direct PM1_CNT write may also change it, as in QEMU.
///
/// Timer: PM_TMR is a free-running 24-bit count of a 3.579545 MHz clock from virtual time 0
/// (tick k at ceil(k * 1e9 / 3579545) ns). TMR_STS is set whenever bit 23 of the count toggles
/// (every 2^23 ticks, 2.343 s); while TMR_EN is set and TMR_STS clear, a `DeviceTimer` is armed
/// for the next toggle so the SCI rises at exactly that virtual time.
///
/// Sleep: writing PM1_CNT with SLP_EN (bit 13, write-only, reads 0) calls `onSleep(SLP_TYP)`
/// (bits 10-12) after the register update. QEMU's DSDT packages and acpi_pm1_cnt_write give
/// the meaning: SLP_TYP 0 = S5 soft-off (`\_S5`), 1 = S3 suspend-to-RAM (`\_S3`), 2 = S4
/// (`\_S4`, QEMU's default s4_val; QEMU powers off). Other values do nothing in QEMU.
public final class ACPIPM: PortDevice {
    public static let defaultBase: UInt16 = 0x600
    public static let windowSize: UInt16 = 0x40
    public static let gpe0Base: UInt16 = 0xAFE0
    public static let gpe0Size: UInt16 = 4
    public static let sciIRQ = 9
    public static let timerHz: UInt64 = 3_579_545
    /// SLP_TYP values of QEMU's DSDT.
    public static let slpTypS5: UInt8 = 0, slpTypS3: UInt8 = 1, slpTypS4: UInt8 = 2
    /// APM control port (0xB2) commands of QEMU's FADT.
    public static let acpiEnableCommand: UInt8 = 0xF1, acpiDisableCommand: UInt8 = 0xF0

    // PM1_STS / PM1_EN bits (ACPI 4.8.3.1.1-2, Tables 4.16, 4.17)
    public static let tmrSts: UInt16 = 1 << 0
    public static let bmSts: UInt16 = 1 << 4
    public static let gblSts: UInt16 = 1 << 5
    public static let pwrbtnSts: UInt16 = 1 << 8
    public static let slpbtnSts: UInt16 = 1 << 9
    public static let rtcSts: UInt16 = 1 << 10
    public static let wakSts: UInt16 = 1 << 15
    /// Status bits that raise the SCI when their enable bit (same position) is set.
    static let sciSources: UInt16 = tmrSts | gblSts | pwrbtnSts | slpbtnSts | rtcSts
    // PM1_CNT bits (ACPI 4.8.3.2.1, Table 4.18)
    public static let sciEn: UInt16 = 1 << 0
    static let gblRls: UInt16 = 1 << 2
    static let slpEn: UInt16 = 1 << 13

    public static let toggleTicks: UInt64 = 1 << 23

    public struct State: Codable, Equatable {
        /// PM1_STS except TMR_STS's pending part: see `tmrToggleTick`.
        public var pm1Sts: UInt16 = 0
        public var pm1En: UInt16 = 0
        public var pm1Cnt: UInt16 = 0
        public var gpeSts: UInt16 = 0
        public var gpeEn: UInt16 = 0
        /// Timer tick at which bit 23 next toggles after the last TMR_STS clear; TMR_STS is set
        /// once the count reaches it.
        public var tmrToggleTick: UInt64
        public init(tmrToggleTick: UInt64 = ACPIPM.toggleTicks) { self.tmrToggleTick = tmrToggleTick }
    }

    public private(set) var state: State
    public let clock: VirtualClock
    /// System control interrupt (ISA IRQ 9 in QEMU's pc machine; level, active high).
    public let sci: IRQLine
    /// Called with SLP_TYP when software writes SLP_EN (see the type comment for values).
    public var onSleep: (_ slpTyp: UInt8) -> Void = { _ in }
    /// The GPE0 block window (QEMU: ports 0xAFE0-0xAFE3).
    public private(set) lazy var gpe0: PortDevice = GPE0Window(self)
    private var overflowTimer: DeviceTimer!

    public init(clock: VirtualClock, sci: IRQLine = IRQLine()) {
        self.clock = clock
        self.sci = sci
        state = State(tmrToggleTick: ACPIPM.nextToggle(after: ACPIPM.ticks(atNs: clock.now)))
        overflowTimer = DeviceTimer(clock: clock) { [unowned self] in self.update() }
    }

    /// Rebuild from a snapshot: re-derive SCI and re-arm the overflow timer.
    public convenience init(clock: VirtualClock, sci: IRQLine = IRQLine(), state: State) {
        self.init(clock: clock, sci: sci)
        self.state = state
        update()
    }

    /// Power-on state (QEMU: PM1 event, control and GPE registers 0; the timer keeps counting).
    public func reset() {
        state = State(tmrToggleTick: ACPIPM.nextToggle(after: ticks))
        update()
    }

    // MARK: timer

    /// 3.579545 MHz ticks up to virtual time `ns` (128-bit intermediate).
    public static func ticks(atNs ns: UInt64) -> UInt64 {
        let p = ns.multipliedFullWidth(by: timerHz)
        return UInt64(1_000_000_000).dividingFullWidth(p).quotient
    }

    /// Virtual time (ns) of tick `k`: the first ns whose tick count reaches k.
    public static func ns(ofTick k: UInt64) -> UInt64 {
        let p = k.multipliedFullWidth(by: 1_000_000_000)
        if p.high >= timerHz { return .max }
        let (q, r) = timerHz.dividingFullWidth(p)
        return r == 0 ? q : q + 1
    }

    static func nextToggle(after t: UInt64) -> UInt64 { (t + toggleTicks) & ~(toggleTicks - 1) }

    var ticks: UInt64 { ACPIPM.ticks(atNs: clock.now) }

    /// PM_TMR_VAL: 24-bit (FADT TMR_VAL_EXT = 0), bits 24-31 read 0.
    public var timerValue: UInt32 { UInt32(truncatingIfNeeded: ticks) & 0xFF_FFFF }

    /// PM1_STS as software reads it now.
    public var pm1Status: UInt16 {
        syncTimerStatus()
        return state.pm1Sts
    }

    private func syncTimerStatus() {
        if ticks >= state.tmrToggleTick { state.pm1Sts |= ACPIPM.tmrSts }
    }

    /// Recompute SCI and (re)arm the bit-23 toggle timer.
    func update() {
        syncTimerStatus()
        let s = state
        let pending = (s.pm1Sts & s.pm1En & ACPIPM.sciSources) != 0 || (s.gpeSts & s.gpeEn) != 0
        sci.set(s.pm1Cnt & ACPIPM.sciEn != 0 && pending)
        if s.pm1En & ACPIPM.tmrSts != 0 && s.pm1Sts & ACPIPM.tmrSts == 0 {
            overflowTimer.schedule(at: ACPIPM.ns(ofTick: s.tmrToggleTick))
        } else {
            overflowTimer.cancel()
        }
    }

    // MARK: events from the machine

    /// The power button was pressed: PWRBTN_STS (ACPI 4.8.3.1.1; set whatever PWRBTN_EN says,
    /// where QEMU sets it only when enabled).
    public func pressPowerButton() {
        state.pm1Sts |= ACPIPM.pwrbtnSts
        update()
    }

    /// The system woke from a sleep state: WAK_STS (ACPI 4.8.3.1.1), SLP_EN already reads 0.
    public func wake() {
        state.pm1Sts |= ACPIPM.wakSts
        update()
    }

    /// An RTC alarm (the RTC's wake event): RTC_STS.
    public func rtcAlarm() {
        state.pm1Sts |= ACPIPM.rtcSts
        update()
    }

    /// Set general-purpose event status bit `bit` (0-15) of GPE0_STS.
    public func setGPE(_ bit: Int) {
        guard bit >= 0 && bit < 16 else {
            DeviceLog.warnOnce("acpi-pm", "GPE0 bit \(bit) does not exist (16 bits)")
            return
        }
        state.gpeSts |= UInt16(1) << UInt16(bit)
        update()
    }

    /// A write to the APM control port 0xB2 (PIIX4 APMC): ACPI_ENABLE sets SCI_EN,
    /// ACPI_DISABLE clears it (ACPI 4.8.3.2.1; QEMU piix4 apm_ctrl_changed).
    public func apmCommand(_ value: UInt8) {
        switch value {
        case ACPIPM.acpiEnableCommand: state.pm1Cnt |= ACPIPM.sciEn
        case ACPIPM.acpiDisableCommand: state.pm1Cnt &= ~ACPIPM.sciEn
        default:
            DeviceLog.warnOnce("acpi-pm", "APM command 0x\(String(value, radix: 16)) would raise an SMI: not modelled")
        }
        update()
    }

    // MARK: PM I/O window

    private func readByte(_ off: UInt16) -> UInt8 {
        switch off {
        case 0: return UInt8(truncatingIfNeeded: pm1Status)
        case 1: return UInt8(truncatingIfNeeded: pm1Status >> 8)
        case 2: return UInt8(truncatingIfNeeded: state.pm1En)
        case 3: return UInt8(truncatingIfNeeded: state.pm1En >> 8)
        case 4: return UInt8(truncatingIfNeeded: state.pm1Cnt)
        case 5: return UInt8(truncatingIfNeeded: state.pm1Cnt >> 8)
        case 8...11: return UInt8(truncatingIfNeeded: timerValue >> (8 * UInt32(off - 8)))
        default:
            DeviceLog.warnOnce("acpi-pm", "read of unimplemented PIIX4 PM register at PMBA+0x\(String(off, radix: 16)) returns 0xff")
            return 0xFF
        }
    }

    /// Returns SLP_TYP if this byte requested sleep.
    private func writeByte(_ off: UInt16, _ v: UInt8) -> UInt8? {
        switch off {
        case 0, 1:
            // PM1_STS: write 1 to clear (ACPI 4.8.3.1.1).
            let bits = UInt16(v) << (off == 1 ? 8 : 0)
            syncTimerStatus()
            if bits & state.pm1Sts & ACPIPM.tmrSts != 0 {
                // The next TMR_STS is the next toggle of bit 23 from now.
                state.tmrToggleTick = ACPIPM.nextToggle(after: ticks)
            }
            state.pm1Sts &= ~bits
        case 2: state.pm1En = (state.pm1En & 0xFF00) | UInt16(v)
        case 3: state.pm1En = (state.pm1En & 0x00FF) | UInt16(v) << 8
        case 4:
            if v & UInt8(ACPIPM.gblRls) != 0 {
                DeviceLog.warnOnce("acpi-pm", "GBL_RLS written: global lock release SMI to the BIOS not modelled")
            }
            state.pm1Cnt = (state.pm1Cnt & 0xFF00) | UInt16(v & ~UInt8(ACPIPM.gblRls))
        case 5:
            let hi = UInt16(v) << 8
            state.pm1Cnt = (state.pm1Cnt & 0x00FF) | (hi & ~ACPIPM.slpEn)
            if hi & ACPIPM.slpEn != 0 { return UInt8(truncatingIfNeeded: hi >> 10) & 7 }
        case 8...11:
            break                                   // PM_TMR is read-only
        default:
            DeviceLog.warnOnce("acpi-pm", "write to unimplemented PIIX4 PM register at PMBA+0x\(String(off, radix: 16)) ignored")
        }
        return nil
    }

    public func read(offset: UInt16, size: Int) -> UInt32 {
        var v: UInt32 = 0
        for k in 0..<size {
            let off = offset &+ UInt16(k)
            let b: UInt8 = off < ACPIPM.windowSize ? readByte(off) : 0xFF
            v |= UInt32(b) << (8 * UInt32(k))
        }
        update()
        return v
    }

    public func write(offset: UInt16, size: Int, value: UInt32) {
        var sleep: UInt8? = nil
        for k in 0..<size {
            let off = offset &+ UInt16(k)
            guard off < ACPIPM.windowSize else { continue }
            if let t = writeByte(off, UInt8(truncatingIfNeeded: value >> (8 * UInt32(k)))) { sleep = t }
        }
        update()
        if let t = sleep { onSleep(t) }
    }

    // MARK: GPE0 block

    func gpeRead(_ off: UInt16) -> UInt8 {
        switch off {
        case 0, 1: return UInt8(truncatingIfNeeded: state.gpeSts >> (8 * off))
        case 2, 3: return UInt8(truncatingIfNeeded: state.gpeEn >> (8 * (off - 2)))
        default:
            DeviceLog.warnOnce("acpi-pm", "read beyond the 4-byte GPE0 block at +0x\(String(off, radix: 16)) returns 0xff")
            return 0xFF
        }
    }

    func gpeWrite(_ off: UInt16, _ v: UInt8) {
        switch off {
        case 0, 1: state.gpeSts &= ~(UInt16(v) << (8 * off))          // write 1 to clear
        case 2, 3:
            let sh = 8 * (off - 2)
            state.gpeEn = (state.gpeEn & ~(0xFF << sh)) | UInt16(v) << sh
        default:
            DeviceLog.warnOnce("acpi-pm", "write beyond the 4-byte GPE0 block at +0x\(String(off, radix: 16)) ignored")
        }
    }

    final class GPE0Window: PortDevice {
        unowned let pm: ACPIPM
        init(_ pm: ACPIPM) { self.pm = pm }
        func read(offset: UInt16, size: Int) -> UInt32 {
            var v: UInt32 = 0
            for k in 0..<size { v |= UInt32(pm.gpeRead(offset &+ UInt16(k))) << (8 * UInt32(k)) }
            return v
        }
        func write(offset: UInt16, size: Int, value: UInt32) {
            for k in 0..<size { pm.gpeWrite(offset &+ UInt16(k), UInt8(truncatingIfNeeded: value >> (8 * UInt32(k)))) }
            pm.update()
        }
    }
}
