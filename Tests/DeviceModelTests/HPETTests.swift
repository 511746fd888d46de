import XCTest
@testable import DeviceModel

/// Drives the HPET by MMIO offset as Linux's arch/x86/kernel/hpet.c does (32-bit accesses,
/// legacy replacement, periodic set-up with Tn_VAL_SET_CNF) and steps the virtual clock.
/// One main-counter tick is 10 ns, so comparator value c (counter started at 0 at time T)
/// matches at T + 10 * c ns exactly.
final class HPETTests: XCTestCase {
    var clock: VirtualClock!
    var hpet: HPET!
    var irqs: [(t: UInt64, gsi: Int, level: Bool)] = []
    var warnings: [String] = []

    static let GCAP: UInt64 = 0x000, CONF: UInt64 = 0x010, ISR: UInt64 = 0x020, COUNTER: UInt64 = 0x0F0
    static func TCFG(_ n: UInt64) -> UInt64 { 0x100 + 0x20 * n }
    static func TCMP(_ n: UInt64) -> UInt64 { 0x108 + 0x20 * n }
    // Tn_CONF bits
    static let LEVEL: UInt32 = 1 << 1, ENB: UInt32 = 1 << 2, PERIODIC: UInt32 = 1 << 3
    static let SETVAL: UInt32 = 1 << 6, MODE32: UInt32 = 1 << 8

    override func setUp() {
        clock = VirtualClock()
        hpet = HPET(clock: clock)
        irqs = []; warnings = []
        DeviceLog.seen = []
        DeviceLog.sink = { [unowned self] in self.warnings.append($0) }
        hpet.setIRQ = { [unowned self] g, l in self.irqs.append((self.clock.now, g, l)) }
    }

    func r32(_ o: UInt64) -> UInt32 { UInt32(hpet.read(offset: o, size: 4)) }
    func r64(_ o: UInt64) -> UInt64 { hpet.read(offset: o, size: 8) }
    func w32(_ o: UInt64, _ v: UInt32) { hpet.write(offset: o, size: 4, value: UInt64(v)) }
    func w64(_ o: UInt64, _ v: UInt64) { hpet.write(offset: o, size: 8, value: v) }
    func pulses(_ gsi: Int) -> [UInt64] { irqs.filter { $0.gsi == gsi && $0.level }.map(\.t) }
    func setTimerConfig(_ n: UInt64, _ bits: UInt32) { w32(Self.TCFG(n), (r32(Self.TCFG(n)) & ~0x3F4E) | bits) }

    func testCapabilitiesRegister() {
        XCTAssertEqual(r32(Self.GCAP), 0x8086_A201)    // vendor 8086, LEG_RT_CAP, 64-bit, 3 timers, rev 1
        XCTAssertEqual(r32(Self.GCAP + 4), 0x0098_9680) // 10,000,000 fs = 10 ns
        XCTAssertEqual(r64(Self.GCAP), 0x0098_9680_8086_A201)
        w64(Self.GCAP, 0)
        XCTAssertEqual(r64(Self.GCAP), 0x0098_9680_8086_A201)
    }

    func testTimerCapabilitiesAndResetValues() {
        for n: UInt64 in 0..<3 {
            XCTAssertEqual(r32(Self.TCFG(n)), 0x30)        // Tn_PER_INT_CAP | Tn_SIZE_CAP, all else 0
            XCTAssertEqual(r32(Self.TCFG(n) + 4), 0x4)     // Tn_INT_ROUTE_CAP: I/O APIC input 2
            XCTAssertEqual(r64(Self.TCMP(n)), ~0)
        }
        XCTAssertEqual(r64(Self.CONF), 0)
        XCTAssertEqual(r64(Self.ISR), 0)
        // Capability bits are read-only, FSB cannot be enabled.
        w32(Self.TCFG(0), 0xFFFF_FFFF)
        XCTAssertEqual(r32(Self.TCFG(0)) & 0xB0, 0x30)
        XCTAssertEqual(r32(Self.TCFG(0)) & (1 << 14), 0)
        XCTAssertTrue(warnings.contains { $0.contains("Tn_FSB_EN_CNF") })
    }

    func testMainCounterRunsOnlyWhileEnabled() {
        clock.advance(to: 1_000)
        XCTAssertEqual(r64(Self.COUNTER), 0)
        w32(Self.CONF, 1)
        clock.advance(to: 1_000 + 12_345)
        XCTAssertEqual(r64(Self.COUNTER), 1_234)
        w32(Self.CONF, 0)
        clock.advance(to: 50_000)
        XCTAssertEqual(r64(Self.COUNTER), 1_234)
        w32(Self.CONF, 1)
        clock.advance(to: 50_000 + 100)
        XCTAssertEqual(r32(Self.COUNTER), 1_244)
        // Writes while running are ignored (spec: only while halted).
        w32(Self.COUNTER, 7)
        XCTAssertEqual(r32(Self.COUNTER), 1_244)
        XCTAssertTrue(warnings.contains { $0.contains("ENABLE_CNF = 1") })
    }

    func testCounterHalvesAnd64BitWrite() {
        w32(Self.COUNTER, 0xFFFF_FFF0)
        w32(Self.COUNTER + 4, 0x1)
        XCTAssertEqual(r64(Self.COUNTER), 0x1_FFFF_FFF0)
        w32(Self.CONF, 1)
        clock.advance(to: 200)                          // 20 ticks: carry into the high half
        XCTAssertEqual(r32(Self.COUNTER), 0x4)
        XCTAssertEqual(r32(Self.COUNTER + 4), 0x2)
        w32(Self.CONF, 0)
        w64(Self.COUNTER, 0x1234_5678_9ABC_DEF0)
        XCTAssertEqual(r64(Self.COUNTER), 0x1234_5678_9ABC_DEF0)
    }

    func testOneShotLegacyTimer0FiresOnceAtMatch() {
        // Linux legacy set-up: LEG_RT_CNF, timer 0 edge + INT_ENB, one-shot, 64-bit.
        setTimerConfig(0, Self.ENB)
        w64(Self.TCMP(0), 1_000)
        w32(Self.CONF, 3)                               // ENABLE_CNF | LEG_RT_CNF at t = 0
        clock.advance(to: 9_999)
        XCTAssertTrue(pulses(0).isEmpty)
        clock.advance(to: 10_000)
        XCTAssertEqual(pulses(0), [10_000])
        XCTAssertEqual(irqs.map(\.level), [true, false])   // an edge: high then low
        XCTAssertEqual(r64(Self.ISR), 0)                 // edge mode leaves status alone
        clock.advance(to: 10_000_000)
        XCTAssertEqual(pulses(0).count, 1)               // 64-bit one-shot: next match after 2^64
        XCTAssertNil(clock.nextDeadline)
    }

    func testOneShot32BitMatchesAgainAfterWrap() {
        setTimerConfig(2, Self.ENB | Self.MODE32)
        // Linux hpet_set_next_event: cmp = counter + delta, then checks for -ETIME.
        w32(Self.TCFG(2), r32(Self.TCFG(2)) & ~0x3E00 | 2 << 9)    // route to I/O APIC input 2
        w32(Self.CONF, 1)
        clock.advance(to: 1_000)                          // counter 100
        w32(Self.TCMP(2), r32(Self.COUNTER) &+ 5)
        XCTAssertEqual(r32(Self.TCMP(2) + 4), 0)          // 32-bit mode: upper half 0
        clock.advance(to: 1_050)
        XCTAssertEqual(pulses(2), [1_050])
        XCTAssertEqual(clock.nextDeadline, 1_050 + (1 << 32) * 10)
        // A comparator written behind the counter does not fire now.
        w32(Self.TCMP(2), r32(Self.COUNTER) &- 1)
        clock.advance(to: 1_000_000)
        XCTAssertEqual(pulses(2).count, 1)
    }

    func testPeriodicLinuxSequence() {
        // arch/x86/kernel/hpet.c hpet_clkevt_set_state_periodic with the counter stopped:
        // cfg |= ENABLE|PERIODIC|SETVAL|32BIT; CMP = now + delta; CMP = delta; start.
        let delta: UInt32 = 100_000                        // 1 ms
        w32(Self.CONF, 2)                                  // legacy, halted
        w32(Self.COUNTER, 500); w32(Self.COUNTER + 4, 0)
        setTimerConfig(0, Self.ENB | Self.PERIODIC | Self.SETVAL | Self.MODE32)
        w32(Self.TCMP(0), 500 + delta)
        XCTAssertEqual(r32(Self.TCFG(0)) & Self.SETVAL, 0)  // VAL_SET clears itself
        w32(Self.TCMP(0), delta)                            // sets the period only
        XCTAssertEqual(r32(Self.TCMP(0)), 500 + delta)
        clock.advance(to: 7)
        w32(Self.CONF, 3)
        clock.advance(to: 7 + 3 * 1_000_000 + 5)
        XCTAssertEqual(pulses(0), [7 + 1_000_000, 7 + 2_000_000, 7 + 3_000_000])
        XCTAssertEqual(r32(Self.TCMP(0)), 500 + 4 * delta)  // accumulator points at the next match
    }

    func testPeriodicWithoutSetValChangesOnlyThePeriod() {
        setTimerConfig(1, Self.ENB | Self.PERIODIC)
        w64(Self.TCMP(1), 1_000)                            // no VAL_SET: period only
        XCTAssertEqual(r64(Self.TCMP(1)), ~0)
        setTimerConfig(1, Self.ENB | Self.PERIODIC | Self.SETVAL)
        w64(Self.TCMP(1), 300)                              // 64-bit write: accumulator and period
        XCTAssertEqual(r64(Self.TCMP(1)), 300)
        w64(Self.TCMP(1), 1_000)                            // VAL_SET gone: period 1000
        w32(Self.CONF, 3)                                   // timer 1 -> gsi 8 in legacy mode
        clock.advance(to: 25_000)
        XCTAssertEqual(pulses(8), [3_000, 13_000, 23_000])
    }

    func testIntelTwoHalvesSequenceForPeriodicComparator() {
        // Intel datasheets: set VAL_SET, write low; set VAL_SET, write high.
        setTimerConfig(0, Self.PERIODIC | Self.SETVAL)
        w32(Self.TCMP(0), 0x10)
        setTimerConfig(0, Self.PERIODIC | Self.SETVAL)
        w32(Self.TCMP(0) + 4, 0x2)
        XCTAssertEqual(r64(Self.TCMP(0)), 0x2_0000_0010)
        XCTAssertEqual(hpet.state.timers[0].period, 0x10)   // high half with VAL_SET: accumulator only
    }

    func testPeriodicCoalescesMissedPeriodsAtAccess() {
        setTimerConfig(0, Self.ENB | Self.PERIODIC | Self.SETVAL)
        w64(Self.TCMP(0), 100)
        w32(Self.CONF, 3)
        // The machine synced the clock mid-slice without firing timers: 3.5 periods passed.
        clock.sync(to: 3_500)
        XCTAssertEqual(r64(Self.TCMP(0)), 400)              // next match after now
        XCTAssertEqual(pulses(0).count, 1)                  // coalesced into one interrupt
        clock.advance(to: 4_000)
        XCTAssertEqual(pulses(0).count, 2)
        XCTAssertEqual(pulses(0).last, 4_000)
    }

    func testLevelTriggeredStatusHoldsLineUntilCleared() {
        w32(Self.TCFG(0), 2 << 9 | Self.LEVEL | Self.ENB)   // route to input 2, level
        w64(Self.TCMP(0), 50)
        w32(Self.CONF, 1)
        clock.advance(to: 499)
        XCTAssertEqual(r32(Self.ISR), 0)
        clock.advance(to: 500)
        XCTAssertEqual(r32(Self.ISR), 1)
        XCTAssertEqual(irqs.map(\.gsi), [2]); XCTAssertEqual(irqs.map(\.level), [true])
        clock.advance(to: 10_000)
        XCTAssertEqual(irqs.count, 1)                       // still held
        w32(Self.ISR, 0x6)                                  // other bits: nothing
        XCTAssertEqual(r32(Self.ISR), 1)
        w32(Self.ISR, 0x1)                                  // write 1 to clear
        XCTAssertEqual(r32(Self.ISR), 0)
        XCTAssertEqual(irqs.last?.level, false)
        XCTAssertEqual(irqs.last?.gsi, 2)
    }

    func testLevelStatusIsSetWithInterruptDisabled() {
        w32(Self.TCFG(0), 2 << 9 | Self.LEVEL)
        w64(Self.TCMP(0), 10)
        w32(Self.CONF, 1)
        clock.advance(to: 100)
        XCTAssertEqual(r32(Self.ISR), 1)                    // spec 2.3.11: status without interrupt
        XCTAssertTrue(irqs.isEmpty)
        w32(Self.TCFG(0), 2 << 9 | Self.LEVEL | Self.ENB)   // enabling the interrupt asserts it
        XCTAssertEqual(irqs.map(\.level), [true])
        w32(Self.TCFG(0), 2 << 9 | Self.ENB)                // to edge: status and line drop
        XCTAssertEqual(r32(Self.ISR), 0)
        XCTAssertEqual(irqs.map(\.level), [true, false])
    }

    func testLegacyReplacementRoutingAndPITRTCGating() {
        hpet.pitIRQ(true)
        hpet.rtcIRQ(true)
        XCTAssertEqual(irqs.map { "\($0.gsi)\($0.level)" }, ["0true", "8true"])
        w32(Self.CONF, 2)                                   // LEG_RT_CNF: PIT and RTC cut off
        XCTAssertEqual(irqs.suffix(2).map { "\($0.gsi)\($0.level)" }, ["0false", "8false"])
        irqs = []
        hpet.pitIRQ(false); hpet.pitIRQ(true); hpet.rtcIRQ(false)
        XCTAssertTrue(irqs.isEmpty)
        // Timer 1 level-triggered goes to gsi 8 regardless of its route field.
        w32(Self.TCFG(1), Self.LEVEL | Self.ENB)
        w64(Self.TCMP(1), 1)
        w32(Self.CONF, 3)
        clock.advance(to: 10)
        XCTAssertEqual(irqs.map { "\($0.gsi)\($0.level)" }, ["8true"])
        // Leaving legacy mode: timer 1 moves to its route (0 here), the PIT gets gsi 0 back.
        irqs = []
        w32(Self.CONF, 1)
        XCTAssertEqual(irqs.map { "\($0.gsi)\($0.level)" }, ["8false", "0true", "8false"])
        XCTAssertTrue(hpet.state.levelOut & 1 != 0)
    }

    func testInterruptRouteCapability() {
        w32(Self.TCFG(2), 5 << 9)                             // input 5 not in Tn_INT_ROUTE_CAP
        XCTAssertEqual(r32(Self.TCFG(2)) >> 9 & 0x1F, 0)
        XCTAssertTrue(warnings.contains { $0.contains("Tn_INT_ROUTE_CNF 5") })
        w32(Self.TCFG(2), 2 << 9)
        XCTAssertEqual(r32(Self.TCFG(2)) >> 9 & 0x1F, 2)
        let q35 = HPET(clock: clock, intcap: 0x00FF_0104)
        q35.write(offset: Self.TCFG(0), size: 4, value: 20 << 9)
        XCTAssertEqual(q35.read(offset: Self.TCFG(0), size: 4) >> 9 & 0x1F, 20)
        XCTAssertEqual(q35.read(offset: Self.TCFG(0) + 4, size: 4), 0x00FF_0104)
    }

    func testDisablingHaltsTimersAndDropsLevelOutputs() {
        w32(Self.TCFG(0), 2 << 9 | Self.LEVEL | Self.ENB)
        w64(Self.TCMP(0), 10)
        w32(Self.CONF, 1)
        clock.advance(to: 100)
        XCTAssertEqual(irqs.map(\.level), [true])
        w32(Self.CONF, 0)
        XCTAssertEqual(irqs.map(\.level), [true, false])
        XCTAssertEqual(r32(Self.ISR), 0)
        XCTAssertNil(clock.nextDeadline)
        // Comparator 32-bit mode truncates the stored comparator (QEMU does the same).
        w64(Self.TCMP(1), 0x1_0000_0005)
        setTimerConfig(1, Self.MODE32)
        XCTAssertEqual(r64(Self.TCMP(1)), 5)
        w32(Self.TCMP(1) + 4, 7)                              // upper half ignored in 32-bit mode
        XCTAssertEqual(r64(Self.TCMP(1)), 5)
    }

    func testAccessSizesAndReservedOffsets() {
        XCTAssertEqual(hpet.read(offset: 0, size: 1), 0)
        XCTAssertTrue(warnings.contains { $0.contains("1-byte read at 0x0") })
        XCTAssertEqual(hpet.read(offset: 0x4, size: 8), 0)   // misaligned 64-bit
        XCTAssertEqual(r32(0x0A0), 0)
        XCTAssertTrue(warnings.contains { $0.contains("reserved offset 0xa0") })
        XCTAssertEqual(r32(0x160), 0)                        // timer 3 does not exist
        XCTAssertTrue(warnings.contains { $0.contains("reserved offset 0x160") })
        w32(0x110, 0xFEE0_0000)
        XCTAssertTrue(warnings.contains { $0.contains("Tn_FSB_INT_ROUTE") })
        XCTAssertEqual(r32(Self.CONF + 4), 0)
    }

    func testResetRestoresPowerOnStateAndDropsOutputs() {
        hpet.pitIRQ(true)
        w32(Self.TCFG(1), Self.LEVEL | Self.ENB)
        w64(Self.TCMP(1), 1)
        w32(Self.CONF, 3)
        clock.advance(to: 10)
        irqs = []
        hpet.reset()
        XCTAssertEqual(irqs.map { "\($0.gsi)\($0.level)" }, ["8false", "0true", "8false"])
        XCTAssertEqual(r64(Self.CONF), 0)
        XCTAssertEqual(r64(Self.ISR), 0)
        XCTAssertEqual(r64(Self.COUNTER), 0)
        XCTAssertEqual(r32(Self.TCFG(1)), 0x30)
        XCTAssertEqual(r64(Self.TCMP(1)), ~0)
        XCTAssertNil(clock.nextDeadline)
    }

    func testStateRoundTripRearmsTimers() throws {
        setTimerConfig(0, Self.ENB | Self.PERIODIC | Self.SETVAL)
        w64(Self.TCMP(0), 100)
        w32(Self.CONF, 3)
        clock.advance(to: 1_500)
        XCTAssertEqual(pulses(0).count, 1)
        let data = try JSONEncoder().encode(hpet.state)
        let clock2 = VirtualClock(now: 1_500)
        let copy = HPET(clock: clock2, state: try JSONDecoder().decode(HPET.State.self, from: data))
        var got: [UInt64] = []
        copy.setIRQ = { g, l in if l && g == 0 { got.append(clock2.now) } }
        XCTAssertEqual(copy.read(offset: Self.COUNTER, size: 8), 150)
        clock2.advance(to: 4_000)
        XCTAssertEqual(got, [2_000, 3_000, 4_000])
    }
}
