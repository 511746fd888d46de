import XCTest
import Foundation
@testable import DeviceModel

/// Drives the MC146818A through ports 0x70/0x71 (offsets 0/1) as a guest driver does, with a
/// stepped virtual clock. Base times are Unix seconds computed outside (python calendar.timegm).
final class MC146818RTCTests: XCTestCase {
    static let sec: UInt64 = 1_000_000_000
    var clock: VirtualClock!
    var rtc: MC146818RTC!
    var edges: [(UInt64, Bool)] = []
    var wakeups: [UInt64] = []

    /// 2021-07-04 13:45:30 UTC, a Sunday.
    static let july4: Int64 = 1_625_406_330

    func make(_ base: Int64) {
        clock = VirtualClock(); edges = []; wakeups = []
        let line = IRQLine { [unowned self] in self.edges.append((self.clock.now, $0)) }
        rtc = MC146818RTC(clock: clock, baseTime: base, irq: line)
        rtc.onAlarmWakeup = { [unowned self] in self.wakeups.append(self.clock.now) }
    }

    func w(_ reg: UInt8, _ v: UInt8) {
        rtc.write(offset: 0, size: 1, value: UInt32(reg)); rtc.write(offset: 1, size: 1, value: UInt32(v))
    }
    func r(_ reg: UInt8) -> UInt8 {
        rtc.write(offset: 0, size: 1, value: UInt32(reg)); return UInt8(truncatingIfNeeded: rtc.read(offset: 1, size: 1))
    }
    func at(_ t: UInt64) { clock.advance(to: t) }
    func uip() -> Bool { r(0x0A) & 0x80 != 0 }
    /// Register C without PF: the default 1024 Hz rate (RS=6) sets PF whatever PIE says.
    func flagsC() -> UInt8 { r(0x0C) & ~0x40 }
    /// sec, min, hour, day of week, day of month, month, year, century
    func timeRegs() -> [UInt8] { [0, 2, 4, 6, 7, 8, 9, 0x32].map { r($0) } }

    // MARK: registers and time reading

    func testPowerOnRegistersAndReadOnlyOnes() {
        make(Self.july4)
        XCTAssertEqual(r(0x0A), 0x26)
        XCTAssertEqual(r(0x0B), 0x02)
        XCTAssertEqual(r(0x0C), 0x00)
        XCTAssertEqual(r(0x0D), 0x80)
        w(0x0D, 0x00); w(0x0C, 0xF0)
        XCTAssertEqual(r(0x0D), 0x80, "VRT reads 1, D is read-only")
        XCTAssertEqual(r(0x0C), 0x00, "C is read-only")
        w(0x0A, 0xA6)
        XCTAssertEqual(r(0x0A), 0x26, "UIP is read-only")
        XCTAssertEqual(rtc.read(offset: 0, size: 1), 0xFF, "index port reads 0xFF")
        XCTAssertNil(clock.nextDeadline, "no interrupt enabled: no timer")
    }

    func testTimeReadsInBCD24Hour() {
        make(Self.july4)
        XCTAssertEqual(timeRegs(), [0x30, 0x45, 0x13, 0x01, 0x04, 0x07, 0x21, 0x20])
        XCTAssertEqual(rtc.currentTime, Self.july4)
    }

    func testBinaryAnd12HourModes() {
        make(Self.july4)
        w(0x0B, 0x06)                               // binary, 24 h
        XCTAssertEqual(timeRegs(), [30, 45, 13, 1, 4, 7, 21, 20])
        w(0x0B, 0x00)                               // BCD, 12 h: 1 PM
        XCTAssertEqual(r(0x04), 0x81)
        w(0x0B, 0x04)                               // binary, 12 h
        XCTAssertEqual(r(0x04), 0x81)
        make(1_625_356_800)                         // 2021-07-04 00:00:00: 12 AM
        w(0x0B, 0x00)
        XCTAssertEqual(r(0x04), 0x12)
        make(1_625_400_000)                         // 12:00:00: 12 PM
        w(0x0B, 0x00)
        XCTAssertEqual(r(0x04), 0x92)
        at(3600 * Self.sec)                         // 13:00 -> 1 PM
        XCTAssertEqual(r(0x04), 0x81)
    }

    func testUpdateAfterOneSecondOfVirtualTime() {
        make(Self.july4)
        at(Self.sec - 1)
        XCTAssertEqual(r(0x00), 0x30)
        at(Self.sec)
        XCTAssertEqual(r(0x00), 0x31, "the update happens at the second boundary")
        at(30 * Self.sec)
        XCTAssertEqual(timeRegs()[0...2], [0x00, 0x46, 0x13])
        XCTAssertEqual(rtc.currentTime, Self.july4 + 30)
    }

    func testUIPWindowIs244usBeforeTheUpdate() {
        make(Self.july4)
        at(Self.sec - 244_141)
        XCTAssertFalse(uip())
        at(Self.sec - 244_140)
        XCTAssertTrue(uip(), "UIP rises 244 us before the update")
        XCTAssertEqual(r(0x00), 0x30, "time not yet updated while UIP")
        at(Self.sec - 1)
        XCTAssertTrue(uip())
        at(Self.sec)
        XCTAssertFalse(uip())
        XCTAssertEqual(r(0x00), 0x31)
        // SET: no update cycles, UIP stays clear.
        w(0x0B, 0x82)
        at(2 * Self.sec - 1000)
        XCTAssertFalse(uip())
    }

    // MARK: flags and interrupts

    func testUpdateFlagSetLazilyWithoutInterrupts() {
        make(Self.july4)
        at(Self.sec / 2)
        XCTAssertEqual(flagsC(), 0x00)
        at(3 * Self.sec + 5)
        XCTAssertNil(clock.nextDeadline, "no timer while interrupts are off")
        XCTAssertEqual(r(0x0C), 0x50, "UF (and PF of the 1024 Hz tap) without enables: no IRQF")
        XCTAssertEqual(r(0x0C), 0x00, "reading C cleared it")
        XCTAssertTrue(edges.isEmpty)
    }

    func testUpdateEndedInterruptAndRegCReadLowersIRQ() {
        make(Self.july4)
        at(Self.sec / 4)
        w(0x0B, 0x12)                               // UIE
        XCTAssertEqual(clock.nextDeadline, Self.sec)
        at(Self.sec + 100)
        XCTAssertEqual(edges.map { $0.0 }, [Self.sec])
        XCTAssertEqual(edges.map { $0.1 }, [true])
        XCTAssertNil(clock.nextDeadline, "UF pending: nothing more can raise IRQF")
        XCTAssertEqual(flagsC(), 0x90, "IRQF | UF")
        XCTAssertFalse(rtc.irq.level)
        XCTAssertEqual(edges.last?.1, false)
        XCTAssertEqual(clock.nextDeadline, 2 * Self.sec)
        at(2 * Self.sec)
        XCTAssertTrue(rtc.irq.level)
    }

    /// The machine syncs the clock before a device access in the middle of a CPU slice and
    /// fires timers at its end: an access in between must still see the event.
    func testAccessBetweenEventAndTimerSeesTheInterrupt() {
        make(Self.july4)
        w(0x0B, 0x12)                               // UIE
        clock.sync(to: Self.sec + 50)               // past the update, timer not fired yet
        w(0x01, 0x00)                               // any access: an alarm byte
        XCTAssertEqual(edges.map { $0.0 }, [Self.sec + 50])
        XCTAssertTrue(rtc.irq.level)
        XCTAssertNil(clock.nextDeadline, "UF pending: the stale timer is gone")
        clock.advance(to: Self.sec + 100)
        XCTAssertEqual(edges.count, 1, "no second edge")
    }

    func testEnablingWithFlagAlreadySetRaisesAtOnce() {
        make(Self.july4)
        at(Self.sec + 7)                            // UF set at 1 s, interrupts off
        XCTAssertTrue(edges.isEmpty)
        w(0x0B, 0x12)
        XCTAssertEqual(edges.map { $0.0 }, [Self.sec + 7])
        XCTAssertTrue(rtc.irq.level)
        w(0x0B, 0x02)                               // disabling UIE drops IRQF and the line
        XCTAssertFalse(rtc.irq.level)
        XCTAssertEqual(flagsC(), 0x10)
    }

    /// Service IRQ8 like a handler (read C on each rising edge) until `end`; returns the
    /// times of the interrupts.
    func serviceInterrupts(until end: UInt64) -> [UInt64] {
        var times: [UInt64] = []
        while let d = clock.nextDeadline, d <= end {
            at(d)
            if rtc.irq.level {
                times.append(clock.now)
                XCTAssertEqual(r(0x0C) & 0xC0, 0xC0, "IRQF | PF")
            }
        }
        at(end)
        return times
    }

    func testPeriodicInterruptRates() {
        // RS -> period in 32.768 kHz cycles (datasheet table: 1 = 256 Hz, 2 = 128 Hz,
        // 3 = 8192 Hz ... 6 = 1024 Hz ... 15 = 2 Hz).
        for (rs, cycles) in [(1, 128), (2, 256), (3, 4), (6, 32), (10, 512), (15, 16384)] as [(UInt8, UInt64)] {
            make(Self.july4)
            w(0x0A, 0x20 | rs)
            w(0x0B, 0x42)                           // PIE
            let times = serviceInterrupts(until: Self.sec)
            XCTAssertEqual(UInt64(times.count), 32768 / cycles, "RS=\(rs)")
            // Edge k of the tap at ceil(k * cycles * 1e9 / 32768) ns.
            for (k, t) in times.enumerated().prefix(5) {
                let j = UInt64(k + 1) * cycles
                XCTAssertEqual(t, (j * Self.sec + 32767) / 32768, "RS=\(rs) edge \(k + 1)")
            }
        }
    }

    func testPeriodicFlagWithoutPIEAndRateZero() {
        make(Self.july4)                            // RS = 6: 1024 Hz
        at(Self.sec / 2048)                         // half a period: no edge yet
        XCTAssertEqual(r(0x0C) & 0x40, 0)
        at(Self.sec / 1000)
        XCTAssertEqual(r(0x0C), 0x40, "PF is set whatever PIE says, no IRQF")
        XCTAssertNil(clock.nextDeadline)
        w(0x0A, 0x20)                               // RS = 0: no periodic
        at(Self.sec / 2)
        XCTAssertEqual(r(0x0C) & 0x40, 0)
    }

    // MARK: alarm

    /// The kvm-unit-tests s3.c sequence: wait for UIP to rise and fall, read C, "don't care"
    /// in all three alarm bytes, AIE: the alarm fires on the next update.
    func testAlarmWithDontCareLikeS3Test() {
        make(Self.july4)
        let step: UInt64 = 10_000
        var t: UInt64 = 0
        while !uip() { t += step; at(t) }
        XCTAssertEqual(t, Self.sec - 240_000, "first poll after 1e9 - 244140 ns")
        while uip() { t += step; at(t) }
        XCTAssertEqual(t, Self.sec)
        _ = r(0x0C)
        w(0x01, 0xC0); w(0x03, 0xC0); w(0x05, 0xC0)
        w(0x0B, r(0x0B) | 0x20)
        XCTAssertEqual(clock.nextDeadline, 2 * Self.sec)
        at(3 * Self.sec)
        XCTAssertEqual(edges.map { $0.0 }, [2 * Self.sec])
        XCTAssertEqual(wakeups, [2 * Self.sec], "AF with AIE requests a wake-up")
        XCTAssertEqual(flagsC(), 0xB0, "IRQF | AF | UF")
    }

    func testAlarmAtSpecificTimeAndHourDontCare() {
        make(Self.july4)                            // 13:45:30
        w(0x01, 0x00); w(0x03, 0x46); w(0x05, 0x13)  // 13:46:00
        w(0x0B, 0x22)
        XCTAssertEqual(clock.nextDeadline, 30 * Self.sec)
        at(29 * Self.sec)
        XCTAssertEqual(flagsC() & 0x20, 0)
        at(30 * Self.sec)
        XCTAssertTrue(rtc.irq.level)
        XCTAssertEqual(flagsC(), 0xB0)
        // Hours don't care, xx:50:15: next at 13:50:15 (4 min 45 s after 13:45:30).
        w(0x01, 0x15); w(0x03, 0x50); w(0x05, 0xFF)
        XCTAssertEqual(clock.nextDeadline, (4 * 60 + 45) * Self.sec)
        // Seconds don't care, minute 45 is past: every second of 14:45, first at 14:45:00.
        w(0x01, 0xC0); w(0x03, 0x45); w(0x05, 0xC0)
        XCTAssertEqual(clock.nextDeadline, (3600 - 30) * Self.sec)
        // 12-hour mode (now 1:46:00 PM), alarm 1:47:00 PM (hour byte 0x81).
        w(0x0B, 0x20); w(0x01, 0x00); w(0x03, 0x47); w(0x05, 0x81)
        XCTAssertEqual(clock.nextDeadline, 30 * Self.sec + 60 * Self.sec)
        w(0x05, 0x01)                               // 1:47:00 AM: tomorrow
        XCTAssertEqual(clock.nextDeadline, 30 * Self.sec + (12 * 3600 + 60) * Self.sec)
        // An alarm that can never match (minute 0x61) arms nothing.
        w(0x03, 0x61)
        XCTAssertNil(clock.nextDeadline)
    }

    func testAlarmFlagComputedLazilyOverHours() {
        make(Self.july4)                            // alarm 15:00:00, interrupts off
        w(0x01, 0x00); w(0x03, 0x00); w(0x05, 0x15)
        at(3600 * Self.sec)                         // 14:45:30
        XCTAssertEqual(flagsC(), 0x10, "alarm not reached yet")
        at(3 * 3600 * Self.sec)                     // 16:45:30
        XCTAssertEqual(flagsC(), 0x30, "AF and UF, no IRQF")
        XCTAssertNil(clock.nextDeadline)
        XCTAssertTrue(wakeups.isEmpty, "no AIE, no wake-up")
    }

    // MARK: setting the time

    func testSetHaltsUpdatesAndWritesTakeEffect() {
        make(Self.july4)
        at(Self.sec / 2)
        w(0x0B, 0x82)                               // SET
        at(5 * Self.sec)
        XCTAssertEqual(r(0x00), 0x30, "no updates while SET")
        // 2000-01-01 00:00:00, a Saturday.
        w(0x00, 0x00); w(0x02, 0x00); w(0x04, 0x00); w(0x07, 0x01); w(0x08, 0x01); w(0x09, 0x00); w(0x32, 0x20)
        at(5 * Self.sec + 300_000_000)
        w(0x0B, 0x02)
        XCTAssertEqual(rtc.currentTime, 946_684_800)
        XCTAssertEqual(r(0x06), 0x07, "day of week follows the date")
        // The divider kept running: the next update is at the next whole second.
        at(6 * Self.sec - 1)
        XCTAssertEqual(r(0x00), 0x00)
        at(6 * Self.sec)
        XCTAssertEqual(r(0x00), 0x01)
        XCTAssertEqual(rtc.currentTime, 946_684_801)
    }

    func testSetClearsUIE() {
        make(Self.july4)
        w(0x0B, 0x12)
        w(0x0B, 0x92)
        XCTAssertEqual(r(0x0B), 0x82)
    }

    func testWriteWhileRunningKeepsTheFraction() {
        make(Self.july4)
        at(Self.sec / 4)
        w(0x02, 0x10)                               // minutes := 10
        XCTAssertEqual(timeRegs()[0...2], [0x30, 0x10, 0x13])
        at(Self.sec)
        XCTAssertEqual(timeRegs()[0...2], [0x31, 0x10, 0x13])
        XCTAssertEqual(rtc.currentTime, Self.july4 - 35 * 60 + 1)
    }

    func testDividerResetAndFirstUpdateHalfASecondAfterRelease() {
        make(Self.july4)
        at(Self.sec / 10)
        w(0x0A, 0x76)                               // divider reset
        _ = r(0x0C)                                 // PF from the 1024 Hz tap so far
        at(10 * Self.sec)
        XCTAssertEqual(r(0x00), 0x30, "held")
        XCTAssertFalse(uip())
        XCTAssertEqual(r(0x0C), 0x00, "no flags while the divider is held")
        let release = 10 * Self.sec + 123_456
        at(release)
        w(0x0A, 0x26)
        at(release + Self.sec / 2 - 1)
        XCTAssertEqual(r(0x00), 0x30)
        at(release + Self.sec / 2)
        XCTAssertEqual(r(0x00), 0x31, "first update 0.5 s after the release")
        XCTAssertEqual(r(0x0C) & 0x10, 0x10)
    }

    // MARK: calendar

    func testLeapYearsAndCentury() {
        // (base = Feb 28 23:59:59 UTC, day after: (day, month) after 1 s, after 1 s + 1 day)
        let cases: [(Int64, UInt8, [UInt8], [UInt8])] = [
            (1_709_164_799, 0x24, [0x29, 0x02], [0x01, 0x03]),   // 2024: leap
            (951_782_399, 0x00, [0x29, 0x02], [0x01, 0x03]),     // 2000: leap (400)
            (4_107_542_399, 0x00, [0x01, 0x03], [0x02, 0x03]),   // 2100: not leap (100)
        ]
        for (base, year, after1s, after1d) in cases {
            make(base)
            XCTAssertEqual(r(0x07), 0x28)
            at(Self.sec)
            XCTAssertEqual([r(0x07), r(0x08), r(0x09)], after1s + [year], "base \(base)")
            at(86_401 * Self.sec)
            XCTAssertEqual([r(0x07), r(0x08)], after1d, "base \(base)")
        }
        make(4_107_542_399)
        XCTAssertEqual(r(0x32), 0x21, "century byte in BCD")
        // New year: 2023-12-31 23:59:59 -> 2024-01-01 00:00:00, Monday.
        make(1_704_067_199)
        at(Self.sec)
        XCTAssertEqual(timeRegs(), [0x00, 0x00, 0x00, 0x02, 0x01, 0x01, 0x24, 0x20])
    }

    func testCivilDateAgainstFoundation() {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        var z: Int64 = -800_000
        while z <= 800_000 {
            let (y, m, d) = MC146818RTC.civil(fromDays: z)
            let c = cal.dateComponents([.year, .month, .day, .era],
                                       from: Date(timeIntervalSince1970: Double(z) * 86_400))
            if c.era == 1 && c.year! > 1583 {         // Foundation is Julian before 1582
                XCTAssertEqual([Int(y), m, d], [c.year!, c.month!, c.day!], "day \(z)")
            }
            XCTAssertEqual(MC146818RTC.days(fromCivil: y, m, d), z)
            z += 997
        }
    }

    // MARK: NVRAM

    func testNVRAMRoundTripBothBanksAndNMIBit() {
        make(Self.july4)
        for i in 0x0E...0x7F where i != 0x32 && i != 0x37 { w(UInt8(i), UInt8(i ^ 0x5A)) }
        for i in 0x0E...0x7F where i != 0x32 && i != 0x37 {
            XCTAssertEqual(r(UInt8(i)), UInt8(i ^ 0x5A)); XCTAssertEqual(rtc.nvram(i), UInt8(i ^ 0x5A))
        }
        // Index bit 7 is the NMI mask, not part of the index.
        w(0x8E, 0x11)
        XCTAssertTrue(rtc.nmiMasked)
        XCTAssertEqual(rtc.nvram(0x0E), 0x11)
        w(0x0E, 0x12)
        XCTAssertFalse(rtc.nmiMasked)
        // Upper bank through 0x72/0x73.
        rtc.write(offset: 2, size: 1, value: 0x05); rtc.write(offset: 3, size: 1, value: 0xAB)
        XCTAssertEqual(rtc.nvram(0x85), 0xAB)
        XCTAssertEqual(rtc.nvram(0x05), 0x00, "bank 0 byte 5 (hour alarm) untouched")
        rtc.setNVRAM(0x90, 0x77)
        rtc.write(offset: 2, size: 1, value: 0x10)
        XCTAssertEqual(rtc.read(offset: 3, size: 1), 0x77)
        // A 16-bit write to 0x70 is index then data.
        rtc.write(offset: 0, size: 2, value: 0x3C_40)
        XCTAssertEqual(rtc.nvram(0x40), 0x3C)
        XCTAssertEqual(r(0x40), 0x3C)
        // The PS/2 century byte 0x37 is the century (QEMU).
        XCTAssertEqual(r(0x37), 0x20)
    }

    func testPCMemoryBytesAsQEMU() {
        let mib: UInt64 = 1 << 20
        let a = Dictionary(uniqueKeysWithValues: MC146818RTC.pcMemoryBytes(ramBelow4G: 128 * mib, ramAbove4G: 1024 * mib))
        // 640 KiB base; (128 - 1) MiB = 130048 KiB capped at 65535; (128 - 16) MiB / 64 KiB = 1792.
        XCTAssertEqual([a[0x15], a[0x16]], [0x80, 0x02])
        XCTAssertEqual([a[0x17], a[0x18], a[0x30], a[0x31]], [0xFF, 0xFF, 0xFF, 0xFF])
        XCTAssertEqual([a[0x34], a[0x35]], [0x00, 0x07])
        XCTAssertEqual([a[0x5B], a[0x5C], a[0x5D]], [0x00, 0x40, 0x00])     // 16384 blocks
        let b = Dictionary(uniqueKeysWithValues: MC146818RTC.pcMemoryBytes(ramBelow4G: 32 * mib, ramAbove4G: 0))
        // (32 - 1) MiB = 31744 KiB = 0x7C00; (32 - 16) MiB / 64 KiB = 256.
        XCTAssertEqual([b[0x15], b[0x16], b[0x17], b[0x18], b[0x34], b[0x35], b[0x5B]], [0x80, 0x02, 0x00, 0x7C, 0x00, 0x01, 0x00])
        let c = Dictionary(uniqueKeysWithValues: MC146818RTC.pcMemoryBytes(ramBelow4G: 512 * 1024, ramAbove4G: 0))
        XCTAssertEqual([c[0x15], c[0x16], c[0x17], c[0x34]], [0x00, 0x02, 0x00, 0x00])
        make(0)
        for (i, v) in MC146818RTC.pcMemoryBytes(ramBelow4G: 32 * mib, ramAbove4G: 0) { rtc.setNVRAM(i, v) }
        XCTAssertEqual(r(0x18), 0x7C)
    }

    // MARK: state and reset

    func testStateRestoreRearmsAndKeepsTime() {
        make(Self.july4)
        w(0x0B, 0x12)                               // UIE
        at(Self.sec / 2)
        let st = rtc.state
        let clock2 = VirtualClock(now: Self.sec / 2)
        var raised: [UInt64] = []
        let line = IRQLine { if $0 { raised.append(clock2.now) } }
        let copy = MC146818RTC(state: st, clock: clock2, irq: line)
        XCTAssertEqual(clock2.nextDeadline, Self.sec)
        clock2.advance(to: 2 * Self.sec)
        XCTAssertEqual(raised, [Self.sec])
        XCTAssertEqual(copy.currentTime, Self.july4 + 2)
    }

    func testResetClearsEnablesAndFlagsKeepsS3Byte() {
        make(Self.july4)
        w(0x0B, 0x7A)                               // PIE AIE UIE SQWE
        at(Self.sec)
        XCTAssertTrue(rtc.irq.level)
        w(0x0F, 0xFE); w(0x0E, 0x33)
        rtc.reset()
        XCTAssertFalse(rtc.irq.level)
        XCTAssertEqual(r(0x0B), 0x12, "PIE, AIE, SQWE cleared (QEMU leaves UIE)")
        XCTAssertEqual(r(0x0F), 0xFE, "S3 resume marker kept")
        w(0x0F, 0x05)
        rtc.reset()
        XCTAssertEqual(r(0x0F), 0x00)
        XCTAssertEqual(r(0x0E), 0x33)
    }
}
