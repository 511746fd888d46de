/// Motorola MC146818A real-time clock plus battery-backed RAM, as the PC's CMOS clock: port
/// 0x70 is the index (bit 7 masks NMI on the PC; remembered, acted on by the machine if at
/// all), 0x71 the data; 0x72/0x73 reach a second bank of 128 bytes as on later chipsets (the
/// machine maps 2 ports for QEMU's layout or 4 for the upper bank). IRQ8 is the inverted IRQ
/// pin, so `irq` is high while IRQF is set. Datasheet: "Address Map" (registers 0-13),
/// "Registers" (A-D), "Update Cycle", "Interrupts"; QEMU's hw/rtc/mc146818rtc.c is the
/// reference where the datasheet leaves room (UIP window, century byte, reset).
///
/// Time comes only from the virtual clock. The 22-stage divider is modelled as a count of
/// divider nanoseconds, `dtime(t) = t + nsBase`: update cycles happen where it crosses a
/// multiple of 1e9, and the 32.768 kHz taps for the periodic interrupt are its cycles
/// (cycle j at ceil(j * 1e9 / 32768)). The seconds count after the update at a boundary is
/// `secBase + dtime / 1e9`; the time and date registers are computed from it when read.
///
/// Flags in register C are computed lazily: every access first accounts for the updates,
/// alarms and periodic edges since the last one. A `DeviceTimer` is armed only for the next
/// event of an enabled interrupt whose flag is clear, so with PIE/AIE/UIE off the RTC costs
/// nothing while time passes.
public final class MC146818RTC: PortDevice {
    // Register indices (datasheet, Figure "Address Map") and QEMU's century byte.
    static let regA = 0x0A, regB = 0x0B, regC = 0x0C, regD = 0x0D
    public static let ioBase: UInt16 = 0x70
    public static let centuryIndex = 0x32
    /// IBM PS/2 century byte; QEMU redirects it to 0x32.
    static let ps2CenturyIndex = 0x37

    // Register B bits.
    static let SET: UInt8 = 0x80, PIE: UInt8 = 0x40, AIE: UInt8 = 0x20, UIE: UInt8 = 0x10
    static let SQWE: UInt8 = 0x08, DM: UInt8 = 0x04, H24: UInt8 = 0x02, DSE: UInt8 = 0x01
    // Register C bits.
    static let IRQF: UInt8 = 0x80, PF: UInt8 = 0x40, AF: UInt8 = 0x20, UF: UInt8 = 0x10

    static let nsPerSec: UInt64 = 1_000_000_000
    static let baseHz: UInt64 = 32_768
    /// UIP rises 244 us before the update (datasheet Table "Update Cycle Times", t_BUC):
    /// 8 cycles of the 32.768 kHz time base, which is ceil(32760 * 1e9 / 32768) = 1e9 - 244140.
    /// As in QEMU the registers change and UF is set at the end of that window; the 1984 us
    /// update cycle itself takes no time here.
    public static let uipLeadNs: UInt64 = 244_140

    public struct State: Codable, Equatable {
        /// Bank 0 (0x00-0x7F, ports 0x70/0x71) then bank 1 (0x80-0xFF, ports 0x72/0x73).
        /// Bytes 0-9 and 0x32 hold the time only while it is stopped (SET or divider held);
        /// byte 12 holds PF/AF/UF as of `flagsSyncedAt`.
        public var cmos = [UInt8](repeating: 0, count: 256)
        public var index: UInt8 = 0
        public var upperIndex: UInt8 = 0
        public var nmiMasked = false
        /// Seconds count (Unix-style seconds of the RTC's calendar) at divider time 0.
        public var secBase: Int64 = 0
        /// Divider phase: divider ns = virtual ns + nsBase, 0 <= nsBase < 1e9.
        public var nsBase: UInt64 = 0
        /// Virtual time up to which the flags in register C account for events.
        public var flagsSyncedAt: UInt64 = 0
    }

    public var state: State { s }
    private var s = State()
    public unowned let clock: VirtualClock
    public let irq: IRQLine
    /// Called when the alarm fires with AIE set (QEMU requests a wake-up from S3 then).
    public var onAlarmWakeup: () -> Void = {}
    private var timer: DeviceTimer!

    /// `baseTime`: the RTC's seconds count (Unix seconds, UTC or local as the machine chooses)
    /// at virtual time 0; the divider phase starts at 0, so updates happen at 1 s, 2 s, ...
    public init(clock: VirtualClock, baseTime: Int64, irq: IRQLine = IRQLine()) {
        self.clock = clock; self.irq = irq
        // Power-on values as QEMU: 32.768 kHz divider, 1024 Hz rate; 24-hour BCD; VRT.
        s.cmos[Self.regA] = 0x26
        s.cmos[Self.regB] = 0x02
        s.cmos[Self.regD] = 0x80
        s.secBase = baseTime
        s.flagsSyncedAt = clock.now
        // Weak: an armed timer stays in the clock's queue if the RTC goes away first.
        timer = DeviceTimer(clock: clock) { [weak self] in self?.timerFired() }
    }

    public convenience init(state: State, clock: VirtualClock, irq: IRQLine = IRQLine()) {
        self.init(clock: clock, baseTime: 0, irq: irq)
        s = state
        if s.flagsSyncedAt > clock.now { s.flagsSyncedAt = clock.now }
        syncFlags(); updateIRQ(); rearm()
    }

    /// Machine reset, as QEMU: the shutdown status byte 0x0F is cleared unless it says S3
    /// resume (0xFE); PIE, AIE and SQWE and all flags are cleared; time keeps running (on
    /// the PC the chip's RESET pin is not driven by system reset; QEMU leaves UIE alone).
    public func reset() {
        syncFlags()
        if s.cmos[0x0F] != 0xFE { s.cmos[0x0F] = 0 }
        s.cmos[Self.regB] &= ~(Self.PIE | Self.AIE | Self.SQWE)
        s.cmos[Self.regC] = 0
        updateIRQ(); rearm()
    }

    public var nmiMasked: Bool { s.nmiMasked }

    /// The RTC's seconds count now (as the registers would show it), without side effects
    /// on the flags.
    public var currentTime: Int64 {
        timeRunning ? seconds(at: clock.now) : parseTimeRegisters()
    }

    /// Raw CMOS byte for the machine (memory size, equipment, boot order...), 0-255 (128+ is
    /// bank 1). Like QEMU's mc146818rtc_set_cmos_data it bypasses the clock logic.
    public func setNVRAM(_ index: Int, _ value: UInt8) {
        precondition(index >= 0 && index < 256, "CMOS index out of range")
        s.cmos[index] = value
    }

    /// What the guest would read at `index` (0-255), without the side effects of a read
    /// (register C is not cleared).
    public func nvram(_ index: Int) -> UInt8 {
        precondition(index >= 0 && index < 256, "CMOS index out of range")
        switch index {
        case Self.regA: return s.cmos[index] | (updateInProgress ? 0x80 : 0)
        case Self.regC: syncFlags(); return flagsWithIRQF
        case Self.regD: return 0x80
        case _ where Self.isTimeRegister(index) && timeRunning:
            refreshTimeRegisters(); return s.cmos[index]
        default: return s.cmos[index]
        }
    }

    /// CMOS bytes QEMU's pc_cmos_init writes for the memory size: 0x15/0x16 base memory in KiB
    /// (at most 640), 0x17/0x18 and 0x30/0x31 KiB above 1 MiB (at most 65535), 0x34/0x35
    /// 64 KiB blocks above 16 MiB (at most 65535), 0x5B-0x5D 64 KiB blocks above 4 GiB.
    public static func pcMemoryBytes(ramBelow4G: UInt64, ramAbove4G: UInt64) -> [(Int, UInt8)] {
        let kib: UInt64 = 1024, mib = kib * kib
        let base = min(ramBelow4G / kib, 640)
        let ext = ramBelow4G > mib ? min((ramBelow4G - mib) / kib, 65535) : 0
        let ext16 = ramBelow4G > 16 * mib ? min((ramBelow4G - 16 * mib) / (64 * kib), 65535) : 0
        let high = ramAbove4G / 65536
        func b(_ v: UInt64, _ shift: UInt64) -> UInt8 { UInt8(truncatingIfNeeded: v >> shift) }
        return [(0x15, b(base, 0)), (0x16, b(base, 8)),
                (0x17, b(ext, 0)), (0x18, b(ext, 8)), (0x30, b(ext, 0)), (0x31, b(ext, 8)),
                (0x34, b(ext16, 0)), (0x35, b(ext16, 8)),
                (0x5B, b(high, 0)), (0x5C, b(high, 8)), (0x5D, b(high, 16))]
    }

    // MARK: ports 0x70-0x73

    /// The chip has an 8-bit bus; wider accesses are split into bytes at consecutive ports
    /// (so `out 0x70, ax` writes the index then the data, as on QEMU's byte-only region).
    public func read(offset: UInt16, size: Int) -> UInt32 {
        var v: UInt32 = 0
        for i in 0..<max(1, min(size, 4)) {
            v |= UInt32(readByte(Int(offset &+ UInt16(i)) & 3)) << (8 * UInt32(i))
        }
        return v
    }

    public func write(offset: UInt16, size: Int, value: UInt32) {
        for i in 0..<max(1, min(size, 4)) {
            writeByte(Int(offset &+ UInt16(i)) & 3, UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))))
        }
    }

    private func readByte(_ port: Int) -> UInt8 {
        switch port {
        case 1: return readRegister(Int(s.index))
        case 3: return s.cmos[128 + Int(s.upperIndex)]
        default: return 0xFF          // index registers are write-only (QEMU reads 0xFF)
        }
    }

    private func writeByte(_ port: Int, _ v: UInt8) {
        switch port {
        case 0: s.index = v & 0x7F; s.nmiMasked = v & 0x80 != 0
        case 1: writeRegister(Int(s.index), v)
        case 2: s.upperIndex = v & 0x7F
        default: s.cmos[128 + Int(s.upperIndex)] = v
        }
    }

    static func isTimeRegister(_ i: Int) -> Bool {
        i == 0 || i == 2 || i == 4 || i == 6 || i == 7 || i == 8 || i == 9 || i == centuryIndex
    }

    private func readRegister(_ index: Int) -> UInt8 {
        var i = index
        if i == Self.ps2CenturyIndex { s.index = UInt8(Self.centuryIndex); i = Self.centuryIndex }
        switch i {
        case Self.regA:
            return s.cmos[i] | (updateInProgress ? 0x80 : 0)
        case Self.regC:
            // "All flag bits are cleared after Register C is read" and the IRQ pin goes
            // inactive (datasheet, Register C).
            syncFlags()
            let v = flagsWithIRQF
            s.cmos[Self.regC] = 0
            irq.set(false)
            rearm()
            return v
        case Self.regD:
            return 0x80                   // VRT: battery good; bits 6-0 read 0
        default:
            if Self.isTimeRegister(i) && timeRunning { refreshTimeRegisters() }
            return s.cmos[i]
        }
    }

    private func writeRegister(_ index: Int, _ v: UInt8) {
        var i = index
        if i == Self.ps2CenturyIndex { s.index = UInt8(Self.centuryIndex); i = Self.centuryIndex }
        switch i {
        case 1, 3, 5:
            // Alarm bytes: the next alarm moves.
            syncFlags()
            s.cmos[i] = v
            rearm()
        case _ where Self.isTimeRegister(i):
            syncFlags()
            if timeRunning {
                // Writing while the clock runs sets that field; the divider chain (the
                // fraction of the second) is not disturbed.
                refreshTimeRegisters()
                s.cmos[i] = v
                loadTimeFromRegisters()
            } else {
                s.cmos[i] = v             // taken over when SET is cleared
            }
            rearm()
        case Self.regA:
            let dv = v >> 4 & 7
            if dv >= 3 && dv <= 5 { DeviceLog.warnOnce("rtc", "divider test mode DV=\(dv) selected; time held") }
            if dv <= 1 {
                DeviceLog.warnOnce("rtc", "time base DV=\(dv) (4.19/1.05 MHz) selected; the PC has a 32.768 kHz crystal, rates kept as for DV=2 (QEMU)")
            }
            setControl(a: v & 0x7F, b: s.cmos[Self.regB])
        case Self.regB:
            var b = v
            // SET clears UIE (QEMU; "SET ... inhibits any update cycle").
            if b & Self.SET != 0 { b &= ~Self.UIE }
            if b & Self.DSE != 0 { DeviceLog.warnOnce("rtc", "daylight savings (DSE) not implemented; ignored as in QEMU") }
            setControl(a: s.cmos[Self.regA], b: b)
        case Self.regC, Self.regD:
            break                         // read-only
        default:
            s.cmos[i] = v
        }
    }

    /// Writes of A or B: account for the past under the old settings, then switch.
    private func setControl(a: UInt8, b: UInt8) {
        syncFlags()
        let wasTime = timeRunning, wasDivider = dividerRunning
        if wasTime { refreshTimeRegisters() }     // freeze the time if it stops now
        s.cmos[Self.regA] = a
        s.cmos[Self.regB] = b
        if !wasDivider && dividerRunning {
            // "When the divider reset is removed, the first update cycle begins one-half
            // second later" (datasheet, DV2-DV0).
            setFraction(Self.nsPerSec / 2)
        }
        if !wasTime && timeRunning { loadTimeFromRegisters() }
        updateIRQ()
        rearm()
    }

    // MARK: time base

    /// DV2-DV0 = 11x holds the divider chain in reset: no updates, no periodic edges.
    private var dividerRunning: Bool { s.cmos[Self.regA] & 0x60 != 0x60 }
    /// The time advances when SET is clear and the divider runs with a valid time base
    /// (QEMU: DV <= 010; DV=011/10x are factory test modes).
    private var timeRunning: Bool {
        s.cmos[Self.regB] & Self.SET == 0 && s.cmos[Self.regA] & 0x70 <= 0x20
    }
    private func dtime(_ t: UInt64) -> UInt64 { t &+ s.nsBase }
    private func seconds(at t: UInt64) -> Int64 { s.secBase + Int64(dtime(t) / Self.nsPerSec) }

    /// Make the fraction of the current second `f` ns at the current time.
    private func setFraction(_ f: UInt64) {
        let now = clock.now
        s.nsBase = (f + Self.nsPerSec - now % Self.nsPerSec) % Self.nsPerSec
    }

    private var updateInProgress: Bool {
        timeRunning && dtime(clock.now) % Self.nsPerSec >= Self.nsPerSec - Self.uipLeadNs
    }

    /// Periodic interrupt period in 32.768 kHz cycles (datasheet Table "Periodic Interrupt
    /// Rate"): RS=1 and 2 give the 256 Hz and 128 Hz taps, RS=3..15 2^(RS-1) cycles
    /// (8192 Hz .. 2 Hz), RS=0 none.
    private var periodCycles: UInt64 {
        let rs = UInt64(s.cmos[Self.regA] & 0x0F)
        if rs == 0 { return 0 }
        return 1 << ((rs <= 2 ? rs + 7 : rs) - 1)
    }
    /// 32.768 kHz cycles elapsed at divider time d (exact: 1e9 divider ns = 32768 cycles).
    static func cycles(_ d: UInt64) -> UInt64 {
        d / nsPerSec * baseHz + d % nsPerSec * baseHz / nsPerSec
    }
    /// Divider time of cycle j.
    static func dtimeOfCycle(_ j: UInt64) -> UInt64 {
        j / baseHz * nsPerSec + (j % baseHz * nsPerSec + baseHz - 1) / baseHz
    }

    // MARK: flags and the interrupt

    private var flagsWithIRQF: UInt8 {
        let f = s.cmos[Self.regC] & 0x70
        return f | (f & s.cmos[Self.regB] & 0x70 != 0 ? Self.IRQF : 0)
    }

    /// IRQF = PF·PIE + AF·AIE + UF·UIE (datasheet, Register C); IRQ8 follows it.
    private func updateIRQ() { irq.set(s.cmos[Self.regC] & s.cmos[Self.regB] & 0x70 != 0) }

    /// Set the flags for what happened in (flagsSyncedAt, now] under the current settings.
    /// UF and PF are set whatever the enables say (datasheet: "independent of the state of
    /// the ... enable bit"); UF keeps coming while SET holds the time (QEMU), AF needs a
    /// running time because the compare is part of the update.
    private func syncFlags() {
        let b = clock.now, a = s.flagsSyncedAt
        guard b > a else { return }
        s.flagsSyncedAt = b
        guard dividerRunning else { return }
        let da = dtime(a), db = dtime(b)
        var f: UInt8 = 0
        let crossed = db / Self.nsPerSec > da / Self.nsPerSec
        if crossed { f |= Self.UF }
        let p = periodCycles
        if p != 0 && Self.cycles(db) / p > Self.cycles(da) / p { f |= Self.PF }
        if crossed && timeRunning && s.cmos[Self.regC] & Self.AF == 0,
           let t = nextAlarm(after: a), t <= b { f |= Self.AF }
        let new = f & ~s.cmos[Self.regC]
        s.cmos[Self.regC] |= f
        // The line rose when the event happened; an access between the event and the end
        // of the machine's CPU slice (when the timer fires) sees it now.
        updateIRQ()
        if new & Self.AF != 0 && s.cmos[Self.regB] & Self.AIE != 0 { onAlarmWakeup() }
    }

    /// Arm the timer for the earliest event that would raise IRQF: only enabled interrupts
    /// whose flag is still clear can (a set flag stays set until register C is read).
    private func rearm() {
        var next: UInt64? = nil
        func consider(_ x: UInt64?) { if let x = x, next == nil || x < next! { next = x } }
        let c = s.cmos[Self.regC], b = s.cmos[Self.regB]
        if dividerRunning {
            let t = clock.now, d = dtime(t)
            if b & Self.UIE != 0 && c & Self.UF == 0 {
                consider((d / Self.nsPerSec + 1) * Self.nsPerSec - s.nsBase)
            }
            let p = periodCycles
            if b & Self.PIE != 0 && c & Self.PF == 0 && p != 0 {
                consider(Self.dtimeOfCycle((Self.cycles(d) / p + 1) * p) - s.nsBase)
            }
            if b & Self.AIE != 0 && c & Self.AF == 0 && timeRunning { consider(nextAlarm(after: t)) }
        }
        if let n = next { timer.schedule(at: n) } else { timer.cancel() }
    }

    private func timerFired() {
        syncFlags(); rearm()
    }

    // MARK: alarm

    /// Virtual time of the first update after `t` whose new time matches the alarm bytes.
    private func nextAlarm(after t: UInt64) -> UInt64? {
        guard let k = secondsToAlarm(after: seconds(at: t)) else { return nil }
        return (dtime(t) / Self.nsPerSec + UInt64(k)) * Self.nsPerSec - s.nsBase
    }

    /// Alarm byte as a value, nil for "don't care" (both high bits set, datasheet "Alarm"),
    /// -1 for a value that can never match.
    private func alarmValue(_ i: Int, limit: Int, hour: Bool = false) -> Int?? {
        let v = s.cmos[i]
        if v & 0xC0 == 0xC0 { return .some(nil) }
        let x = hour ? decodeHour(v) : decode(v)
        return x >= 0 && x < limit ? .some(x) : nil
    }

    /// k >= 1 such that the update k seconds after seconds count `now` is the first to
    /// produce a time matching the alarm (time of day only; days do not take part).
    private func secondsToAlarm(after now: Int64) -> Int? {
        guard let ah = alarmValue(5, limit: 24, hour: true),
              let am = alarmValue(3, limit: 60),
              let asec = alarmValue(1, limit: 60) else { return nil }
        let sod = Int(Self.floorMod(now + 1, 86_400))     // time after the first update
        guard let d = Self.secondsToMatch(sod: sod, hour: ah, minute: am, second: asec) else { return nil }
        return d + 1
    }

    /// Smallest d >= 0 such that second-of-day sod + d (mod one day) matches.
    static func secondsToMatch(sod: Int, hour: Int?, minute: Int?, second: Int?) -> Int? {
        let h0 = sod / 3600, m0 = sod / 60 % 60, s0 = sod % 60
        for i in 0...24 {
            if let h = hour, h != (h0 + i) % 24 { continue }
            let (lm, ls) = i == 0 ? (m0, s0) : (0, 0)
            var hit: (Int, Int)? = nil
            if let m = minute {
                if m > lm { hit = (m, second ?? 0) }
                else if m == lm {
                    if let sc = second { if sc >= ls { hit = (m, sc) } } else { hit = (m, ls) }
                }
            } else if let sc = second {
                if sc >= ls { hit = (lm, sc) } else if lm < 59 { hit = (lm + 1, sc) }
            } else {
                hit = (lm, ls)
            }
            if let (m, sc) = hit { return (h0 + i) * 3600 + m * 60 + sc - sod }
        }
        return nil
    }

    // MARK: calendar

    private var binary: Bool { s.cmos[Self.regB] & Self.DM != 0 }
    private var hours24: Bool { s.cmos[Self.regB] & Self.H24 != 0 }

    private func encode(_ v: Int) -> UInt8 {
        binary ? UInt8(truncatingIfNeeded: v) : UInt8(truncatingIfNeeded: (v / 10) << 4 | v % 10)
    }
    private func decode(_ v: UInt8) -> Int {
        binary ? Int(v) : Int(v >> 4) * 10 + Int(v & 0x0F)
    }
    /// Hours: 0-23, or 1-12 with bit 7 = PM in 12-hour mode.
    private func decodeHour(_ v: UInt8) -> Int {
        if hours24 { return decode(v & 0x7F) }
        return decode(v & 0x7F) % 12 + (v & 0x80 != 0 ? 12 : 0)
    }

    /// Write the current time into the time registers in the current format.
    private func refreshTimeRegisters() {
        let t = seconds(at: clock.now)
        let days = Self.floorDiv(t, 86_400), sod = Int(t - days * 86_400)
        let (y, m, d) = Self.civil(fromDays: days)
        let h = sod / 3600
        s.cmos[0] = encode(sod % 60)
        s.cmos[2] = encode(sod / 60 % 60)
        s.cmos[4] = hours24 ? encode(h) : encode(h % 12 == 0 ? 12 : h % 12) | (h >= 12 ? 0x80 : 0)
        s.cmos[6] = encode(Int(Self.floorMod(days + 4, 7)) + 1)    // 1970-01-01 was a Thursday; Sunday = 1
        s.cmos[7] = encode(d)
        s.cmos[8] = encode(m)
        s.cmos[9] = encode(Int(Self.floorMod(Int64(y), 100)))
        s.cmos[Self.centuryIndex] = encode(Int(Self.floorDiv(Int64(y), 100)))
    }

    /// Seconds count the time registers describe. Day of week is not an input (QEMU
    /// recomputes it from the date); out-of-range fields carry over arithmetically.
    private func parseTimeRegisters() -> Int64 {
        let sec = decode(s.cmos[0]), min = decode(s.cmos[2]), hour = decodeHour(s.cmos[4])
        let day = decode(s.cmos[7]), month = decode(s.cmos[8])
        let year = decode(s.cmos[9]) + decode(s.cmos[Self.centuryIndex]) * 100
        let m0 = Int64(month) - 1
        let y = Int64(year) + floorDiv(m0, 12), mm = Int(floorMod(m0, 12)) + 1
        let days = Self.days(fromCivil: y, mm, 1) + Int64(day) - 1
        return days * 86_400 + Int64(hour * 3600 + min * 60 + sec)
    }
    private func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { Self.floorDiv(a, b) }
    private func floorMod(_ a: Int64, _ b: Int64) -> Int64 { Self.floorMod(a, b) }

    /// Take the time registers as the new time; the fraction of the second is kept.
    private func loadTimeFromRegisters() {
        s.secBase = parseTimeRegisters() - Int64(dtime(clock.now) / Self.nsPerSec)
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }
    static func floorMod(_ a: Int64, _ b: Int64) -> Int64 { a - floorDiv(a, b) * b }

    /// Proleptic Gregorian date of day number `z` (0 = 1970-01-01), by 400-year eras of
    /// 146097 days counted from 0000-03-01 so that Feb 29 is the last day of a year.
    static func civil(fromDays z0: Int64) -> (year: Int64, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097                                        // [0, 146096]
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365  // [0, 399]
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)                 // [0, 365]
        let mp = (5 * doy + 2) / 153                                      // March = 0
        let d = Int(doy - (153 * mp + 2) / 5 + 1)
        let m = Int(mp < 10 ? mp + 3 : mp - 9)
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// Day number (0 = 1970-01-01) of a proleptic Gregorian date; inverse of `civil`.
    static func days(fromCivil y0: Int64, _ m: Int, _ d: Int) -> Int64 {
        let y = y0 - (m <= 2 ? 1 : 0)
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let doy = Int64((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1)
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
