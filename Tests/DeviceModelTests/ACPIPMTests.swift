import XCTest
@testable import DeviceModel

/// Drives the PIIX4 PM registers at PMBA (0x600) + offset and the GPE0 block as ACPICA does
/// (16-bit PM1 accesses, 32-bit PM_TMR reads), stepping the virtual clock. Tick k of the
/// 3.579545 MHz timer happens at ceil(k * 1e9 / 3579545) ns.
final class ACPIPMTests: XCTestCase {
    var clock: VirtualClock!
    var pm: ACPIPM!
    var sciEdges: [(t: UInt64, level: Bool)] = []
    var sleeps: [UInt8] = []
    var warnings: [String] = []

    static let STS: UInt16 = 0, EN: UInt16 = 2, CNT: UInt16 = 4, TMR: UInt16 = 8
    static let F: UInt64 = 3_579_545

    override func setUp() {
        clock = VirtualClock()
        sciEdges = []; sleeps = []; warnings = []
        DeviceLog.seen = []
        DeviceLog.sink = { [unowned self] in self.warnings.append($0) }
        let line = IRQLine { [unowned self] in self.sciEdges.append((self.clock.now, $0)) }
        pm = ACPIPM(clock: clock, sci: line)
        pm.onSleep = { [unowned self] in self.sleeps.append($0) }
    }

    func at(_ k: UInt64) -> UInt64 { (k * 1_000_000_000 + Self.F - 1) / Self.F }
    func r16(_ o: UInt16) -> UInt16 { UInt16(pm.read(offset: o, size: 2)) }
    func w16(_ o: UInt16, _ v: UInt16) { pm.write(offset: o, size: 2, value: UInt32(v)) }
    func r32(_ o: UInt16) -> UInt32 { pm.read(offset: o, size: 4) }

    func testPMTimerCountsAt3_579545MHz() {
        XCTAssertEqual(r32(Self.TMR), 0)
        XCTAssertEqual(at(1), 280)
        clock.advance(to: 279)
        XCTAssertEqual(r32(Self.TMR), 0)
        clock.advance(to: 280)
        XCTAssertEqual(r32(Self.TMR), 1)
        clock.advance(to: 1_000_000_000)
        XCTAssertEqual(r32(Self.TMR), 3_579_545)
        clock.advance(to: 5_000_000_000)                 // 17,897,725 ticks: 24-bit wrap
        XCTAssertEqual(r32(Self.TMR), 17_897_725 - (1 << 24))
        XCTAssertEqual(pm.read(offset: Self.TMR + 2, size: 2), UInt32(17_897_725 - (1 << 24)) >> 16)
        pm.write(offset: Self.TMR, size: 4, value: 0)     // read-only
        XCTAssertEqual(r32(Self.TMR), 17_897_725 - (1 << 24))
    }

    func testTMRSTSSetWhenBit23Toggles() {
        let t1 = at(1 << 23)
        clock.advance(to: t1 - 1)
        XCTAssertEqual(r16(Self.STS) & 1, 0)
        clock.advance(to: t1)
        XCTAssertEqual(r16(Self.STS) & 1, 1)
        // Sticky until written with 1; writing 0 changes nothing.
        clock.advance(to: t1 + 1_000)
        w16(Self.STS, 0)
        XCTAssertEqual(r16(Self.STS) & 1, 1)
        w16(Self.STS, 1)
        XCTAssertEqual(r16(Self.STS) & 1, 0)
        let t2 = at(1 << 24)                              // next toggle of bit 23
        clock.advance(to: t2 - 1)
        XCTAssertEqual(r16(Self.STS) & 1, 0)
        clock.advance(to: t2)
        XCTAssertEqual(r16(Self.STS) & 1, 1)
    }

    func testTimerOverflowSCIAtExactVirtualTime() {
        pm.apmCommand(0xF1)                               // ACPI mode: SCI_EN
        XCTAssertEqual(r16(Self.CNT) & 1, 1)
        XCTAssertNil(clock.nextDeadline)                  // TMR_EN clear: nothing armed
        w16(Self.EN, 1)                                   // TMR_EN
        XCTAssertEqual(clock.nextDeadline, at(1 << 23))
        clock.advance(to: 10_000_000_000)
        XCTAssertEqual(sciEdges.map(\.t), [at(1 << 23)])
        XCTAssertEqual(sciEdges.map(\.level), [true])
        XCTAssertNil(clock.nextDeadline)                  // status pending: no timer
        w16(Self.STS, 1)                                  // handler clears TMR_STS at 10 s
        XCTAssertEqual(sciEdges.last?.level, false)
        // 10 s = 35,795,450 ticks; next toggle at 5 * 2^23 = 41,943,040.
        XCTAssertEqual(clock.nextDeadline, at(5 << 23))
        clock.advance(to: 20_000_000_000)
        XCTAssertEqual(sciEdges.last?.t, at(5 << 23))
        XCTAssertEqual(sciEdges.last?.level, true)
    }

    func testSCIRequiresSCI_EN() {
        w16(Self.EN, 1 << 8)                              // PWRBTN_EN
        pm.pressPowerButton()
        XCTAssertTrue(sciEdges.isEmpty)                   // legacy (SMI) mode: no SCI
        pm.apmCommand(ACPIPM.acpiEnableCommand)
        XCTAssertEqual(sciEdges.map(\.level), [true])
        pm.apmCommand(ACPIPM.acpiDisableCommand)
        XCTAssertEqual(sciEdges.map(\.level), [true, false])
        pm.apmCommand(0x42)
        XCTAssertTrue(warnings.contains { $0.contains("APM command 0x42") })
    }

    func testPowerButtonStatusEnableAndClear() {
        pm.apmCommand(0xF1)
        pm.pressPowerButton()
        XCTAssertEqual(r16(Self.STS) & 0x100, 0x100)      // status regardless of PWRBTN_EN
        XCTAssertTrue(sciEdges.isEmpty)
        w16(Self.EN, 0x100)
        XCTAssertEqual(sciEdges.map(\.level), [true])
        XCTAssertEqual(r16(Self.EN), 0x100)
        w16(Self.STS, 0x100)
        XCTAssertEqual(r16(Self.STS) & 0x100, 0)
        XCTAssertEqual(sciEdges.map(\.level), [true, false])
    }

    func testSleepRequests() {
        // S3 as Linux does it: SLP_TYP first, then SLP_TYP | SLP_EN.
        w16(Self.CNT, 1 << 10 | 1)
        XCTAssertTrue(sleeps.isEmpty)
        w16(Self.CNT, 1 << 13 | 1 << 10 | 1)
        XCTAssertEqual(sleeps, [ACPIPM.slpTypS3])
        XCTAssertEqual(r16(Self.CNT), 1 << 10 | 1)        // SLP_EN reads 0
        // S5 soft-off: SLP_TYP 0. A byte write of the high byte (0x605) suffices.
        pm.write(offset: Self.CNT + 1, size: 1, value: 0x20)
        XCTAssertEqual(sleeps, [1, ACPIPM.slpTypS5])
        XCTAssertEqual(r16(Self.CNT), 1)
        w16(Self.CNT, 1 << 13 | 2 << 10)
        XCTAssertEqual(sleeps.last, ACPIPM.slpTypS4)
    }

    func testGlobalLockReleaseIsWriteOnlyAndWarns() {
        w16(Self.CNT, 1 << 2 | 1 << 1)                    // GBL_RLS | BM_RLD
        XCTAssertEqual(r16(Self.CNT), 1 << 1)
        XCTAssertTrue(warnings.contains { $0.contains("GBL_RLS") })
    }

    func testByteAndDwordAccesses() {
        pm.write(offset: Self.EN + 1, size: 1, value: 0x05)
        pm.write(offset: Self.EN, size: 1, value: 0x21)
        XCTAssertEqual(r16(Self.EN), 0x0521)
        pm.pressPowerButton()
        // A 32-bit read at 0 returns PM1_STS | PM1_EN << 16.
        XCTAssertEqual(r32(Self.STS), 0x0521_0100)
        XCTAssertEqual(pm.read(offset: Self.STS + 1, size: 1), 0x01)
    }

    func testUnimplementedPIIX4RegistersWarn() {
        XCTAssertEqual(pm.read(offset: 0x0C, size: 2), 0xFFFF)     // GPSTS
        XCTAssertTrue(warnings.contains { $0.contains("PMBA+0xc") })
        pm.write(offset: 0x10, size: 4, value: 0x10)               // PCNTRL (throttling)
        XCTAssertTrue(warnings.contains { $0.contains("PMBA+0x10") })
        XCTAssertEqual(pm.read(offset: 0x06, size: 2), 0xFFFF)     // hole between CNT and TMR
    }

    func testGPE0Block() {
        pm.apmCommand(0xF1)
        pm.setGPE(1)                                     // QEMU: PCI hotplug event
        XCTAssertEqual(pm.gpe0.read(offset: 0, size: 1), 0x02)
        XCTAssertTrue(sciEdges.isEmpty)
        pm.gpe0.write(offset: 2, size: 1, value: 0x02)   // GPE0_EN bit 1
        XCTAssertEqual(sciEdges.map(\.level), [true])
        XCTAssertEqual(pm.gpe0.read(offset: 0, size: 4), 0x0002_0002)
        pm.gpe0.write(offset: 0, size: 1, value: 0x02)   // write 1 to clear
        XCTAssertEqual(sciEdges.map(\.level), [true, false])
        pm.setGPE(9)
        pm.gpe0.write(offset: 2, size: 2, value: 0x0200)
        XCTAssertEqual(pm.gpe0.read(offset: 1, size: 1), 0x02)
        XCTAssertEqual(sciEdges.last?.level, true)
        XCTAssertEqual(pm.gpe0.read(offset: 4, size: 1), 0xFF)
        XCTAssertTrue(warnings.contains { $0.contains("GPE0 block") })
    }

    func testWakeStatusDoesNotRaiseSCI() {
        pm.apmCommand(0xF1)
        w16(Self.EN, 0xFFFF)
        w16(Self.STS, 1)                                 // clear any TMR_STS
        let before = sciEdges.count
        pm.wake()
        XCTAssertEqual(r16(Self.STS) & 0x8000, 0x8000)
        XCTAssertEqual(sciEdges.count, before)           // WAK_STS has no enable bit
        w16(Self.STS, 0x8000)
        XCTAssertEqual(r16(Self.STS) & 0x8000, 0)
    }

    func testStateRoundTripRearmsOverflowTimer() throws {
        pm.apmCommand(0xF1)
        w16(Self.EN, 1)
        clock.advance(to: 1_000_000)
        let data = try JSONEncoder().encode(pm.state)
        let clock2 = VirtualClock(now: 1_000_000)
        var edges: [UInt64] = []
        let line = IRQLine { if $0 { edges.append(clock2.now) } }
        let copy = ACPIPM(clock: clock2, sci: line, state: try JSONDecoder().decode(ACPIPM.State.self, from: data))
        XCTAssertEqual(copy.state, pm.state)
        clock2.advance(to: 5_000_000_000)
        XCTAssertEqual(edges, [at(1 << 23)])
    }
}
