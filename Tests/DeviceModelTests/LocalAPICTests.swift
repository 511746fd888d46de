import XCTest
@testable import DeviceModel

/// Drives local APICs through their xAPIC MMIO offsets and x2APIC MSRs as a guest would
/// (register offsets from SDM Vol. 3A Table 10-1 / Table 10-6), with a stepped virtual clock.
/// Expected values come from the SDM; behaviour where it is silent follows what kvm-unit-tests
/// x86/apic.c, x86/msr.c and x86/ioapic.c check.
final class LocalAPICTests: XCTestCase {
    // xAPIC register offsets (Table 10-1).
    static let ID: UInt64 = 0x20, LVR: UInt64 = 0x30, TPR: UInt64 = 0x80, APR: UInt64 = 0x90
    static let PPR: UInt64 = 0xA0, EOI: UInt64 = 0xB0, LDR: UInt64 = 0xD0, DFR: UInt64 = 0xE0
    static let SVR: UInt64 = 0xF0, ISR: UInt64 = 0x100, TMR: UInt64 = 0x180, IRR: UInt64 = 0x200
    static let ESR: UInt64 = 0x280, ICR: UInt64 = 0x300, ICR2: UInt64 = 0x310
    static let LVTT: UInt64 = 0x320, LVT0: UInt64 = 0x350, LVT1: UInt64 = 0x360, LVTERR: UInt64 = 0x370
    static let TMICT: UInt64 = 0x380, TMCCT: UInt64 = 0x390, TDCR: UInt64 = 0x3E0
    static let EN: UInt64 = 1 << 11, EXTD: UInt64 = 1 << 10, BSP: UInt64 = 1 << 8
    typealias T = LocalAPICTests

    var clock: VirtualClock!
    let tscHz: UInt64 = 2_000_000_000
    var nmis: [UInt32: Int] = [:], inits: [UInt32: Int] = [:], sipis: [UInt32: [UInt8]] = [:]
    var eois: [UInt8] = []
    var keepBus: APICBus?

    override func setUp() {
        clock = VirtualClock()
        nmis = [:]; inits = [:]; sipis = [:]; eois = []
    }

    func make(_ id: UInt32, bsp: Bool = false) -> LocalAPIC {
        let a = LocalAPIC(id: id, clock: clock, tscHz: tscHz, isBSP: bsp)
        a.onNMI = { [unowned self] in self.nmis[id, default: 0] += 1 }
        a.onINIT = { [unowned self] in self.inits[id, default: 0] += 1 }
        a.onSIPI = { [unowned self] v in self.sipis[id, default: []].append(v) }
        a.onEOI = { [unowned self] v in self.eois.append(v) }
        return a
    }

    /// n APICs with IDs 0..n-1 on one bus, software-enabled (SVR = 1FFh).
    func bus(_ n: Int) -> (APICBus, [LocalAPIC]) {
        let b = APICBus()
        keepBus = b
        for i in 0..<n { let a = make(UInt32(i), bsp: i == 0); b.add(a); w(a, T.SVR, 0x1FF) }
        return (b, b.apics)
    }

    func w(_ a: LocalAPIC, _ off: UInt64, _ v: UInt32) { a.write(offset: off, size: 4, value: UInt64(v)) }
    func r(_ a: LocalAPIC, _ off: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: a.read(offset: off, size: 4)) }
    func bit(_ a: LocalAPIC, _ reg: UInt64, _ v: UInt8) -> Bool {
        r(a, reg + UInt64(v >> 5) * 0x10) & (1 << UInt32(v & 31)) != 0
    }
    func fixed(_ v: UInt8, dest: UInt32 = 0, level: Bool = false) -> APICMessage {
        APICMessage(vector: v, mode: .fixed, destination: dest, logical: false, levelTriggered: level)
    }
    /// xAPIC IPI as lib/x86/apic.c sends it: ICR2 (destination << 24), then ICR.
    func ipi(_ a: LocalAPIC, _ icr: UInt32, dest: UInt32) {
        XCTAssertEqual(r(a, T.ICR) & 0x1000, 0, "delivery status idle")
        w(a, T.ICR2, dest << 24); w(a, T.ICR, icr)
    }
    /// The CPU side: INTA if INTR is up.
    func take(_ a: LocalAPIC) -> UInt8? { a.hasInterrupt ? a.acknowledge() : nil }
    /// Take and EOI every deliverable interrupt; the vectors in order.
    func drain(_ a: LocalAPIC) -> [UInt8] {
        var out: [UInt8] = []
        while let v = take(a) {
            out.append(v)
            if a.x2apicMode { XCTAssertTrue(a.writeMSR(0x80B, 0)) } else { w(a, T.EOI, 0) }
        }
        return out
    }
    func enableX2(_ a: LocalAPIC) { XCTAssertTrue(a.writeBaseMSR(a.baseMSR | T.EXTD)) }

    // MARK: reset state

    func testResetValuesBSPAndAP() {
        let bsp = make(0, bsp: true), ap = make(3)
        XCTAssertEqual(bsp.baseMSR, 0xFEE0_0000 | T.EN | T.BSP)
        XCTAssertEqual(ap.baseMSR, 0xFEE0_0000 | T.EN)
        XCTAssertTrue(bsp.mmioActive); XCTAssertFalse(bsp.x2apicMode)
        XCTAssertEqual(bsp.mmioBase, 0xFEE0_0000)
        XCTAssertEqual(r(ap, T.ID), 3 << 24)
        XCTAssertEqual(r(ap, T.LVR), 0x50014)
        let version = r(ap, T.LVR) & 0xFF
        XCTAssertTrue(version >= 0x10 && version <= 0x15, "kvm-unit-tests apic existence")
        XCTAssertEqual(r(ap, T.SVR), 0xFF)
        XCTAssertEqual(r(ap, T.DFR), 0xFFFF_FFFF)
        XCTAssertEqual(r(ap, T.LDR), 0); XCTAssertEqual(r(ap, T.TPR), 0); XCTAssertEqual(r(ap, T.PPR), 0)
        for off in stride(from: T.LVTT, through: T.LVTERR, by: 0x10) {
            XCTAssertEqual(r(ap, off), 0x10000, "AP LVT \(String(off, radix: 16)) masked")
            XCTAssertEqual(r(bsp, off), off == T.LVT0 ? 0x700 : 0x10000, "BSP virtual wire on LINT0 only")
        }
        XCTAssertEqual(r(ap, T.TMICT), 0); XCTAssertEqual(r(ap, T.TMCCT), 0); XCTAssertEqual(r(ap, T.TDCR), 0)
    }

    // MARK: priorities, INTA, EOI (SDM 10.8)

    func testHighestPriorityFirstAndNestingByClass() {
        let a = make(0); w(a, T.SVR, 0x1FF)
        for v: UInt8 in [0x41, 0x81, 0x31, 0x8F] { a.accept(fixed(v)) }
        XCTAssertTrue(bit(a, T.IRR, 0x41) && bit(a, T.IRR, 0x8F))
        XCTAssertEqual(take(a), 0x8F)
        XCTAssertTrue(bit(a, T.ISR, 0x8F)); XCTAssertFalse(bit(a, T.IRR, 0x8F))
        XCTAssertEqual(r(a, T.PPR), 0x80, "PPR = ISRV class")
        XCTAssertFalse(a.hasInterrupt, "0x81 is the same class as the in-service 0x8F: blocked")
        w(a, T.EOI, 0)
        XCTAssertFalse(bit(a, T.ISR, 0x8F))
        XCTAssertEqual(drain(a), [0x81, 0x41, 0x31])
        XCTAssertNil(take(a))
        XCTAssertEqual(r(a, T.PPR), 0)
    }

    func testEOIClearsHighestISRWhenNested() {
        let a = make(0); w(a, T.SVR, 0x1FF)
        a.accept(fixed(0x30)); XCTAssertEqual(take(a), 0x30)
        a.accept(fixed(0x70)); XCTAssertEqual(take(a), 0x70, "higher class nests")
        XCTAssertTrue(bit(a, T.ISR, 0x30) && bit(a, T.ISR, 0x70))
        w(a, T.EOI, 0)
        XCTAssertTrue(bit(a, T.ISR, 0x30)); XCTAssertFalse(bit(a, T.ISR, 0x70))
        w(a, T.EOI, 0)
        XCTAssertFalse(bit(a, T.ISR, 0x30))
        w(a, T.EOI, 0)      // nothing in service: no effect
        XCTAssertEqual(r(a, T.ISR + 0x10), 0)
    }

    func testTPRMasksByClassAndCR8() {
        let a = make(0); w(a, T.SVR, 0x1FF)
        w(a, T.TPR, 0x5A)
        XCTAssertEqual(a.cr8, 5)
        XCTAssertEqual(r(a, T.PPR), 0x5A)
        a.accept(fixed(0x5F))
        XCTAssertFalse(a.hasInterrupt, "class 5 <= TPR class 5")
        a.accept(fixed(0x60))
        XCTAssertEqual(take(a), 0x60)
        XCTAssertEqual(r(a, T.PPR), 0x60)
        w(a, T.EOI, 0)
        a.cr8 = 3
        XCTAssertEqual(r(a, T.TPR), 0x30, "CR8 write clears TPR[3:0]")
        XCTAssertEqual(take(a), 0x5F)
        w(a, T.EOI, 0)
        a.cr8 = 0xF
        a.accept(fixed(0xFE))
        XCTAssertFalse(a.hasInterrupt, "TPR 15 blocks everything")
    }

    func testSpuriousVectorWhenInterruptNoLongerEligibleAtINTA() {
        let a = make(0); w(a, T.SVR, 0x1EF)
        a.accept(fixed(0x45))
        XCTAssertTrue(a.hasInterrupt)
        w(a, T.TPR, 0x50)           // raised between INTR and INTA
        XCTAssertEqual(a.acknowledge(), 0xEF, "spurious vector from SVR")
        XCTAssertEqual(r(a, T.ISR + 0x20), 0, "spurious INTA sets no ISR bit")
        XCTAssertTrue(bit(a, T.IRR, 0x45), "request stays pending")
        w(a, T.TPR, 0)
        XCTAssertEqual(take(a), 0x45)
    }

    func testAPRForArbitration() {
        let a = make(0); w(a, T.SVR, 0x1FF)
        w(a, T.TPR, 0x20)
        XCTAssertEqual(r(a, T.APR), 0x20)
        a.accept(fixed(0x51))
        XCTAssertEqual(r(a, T.APR), 0x50, "IRRV class above TPR")
    }

    func testSoftwareDisabledDropsFixedButTakesNMIINITSIPI() {
        let a = make(1)
        XCTAssertEqual(r(a, T.SVR) & 0x100, 0)
        a.accept(fixed(0x50))
        XCTAssertFalse(bit(a, T.IRR, 0x50)); XCTAssertFalse(a.hasInterrupt)
        a.accept(APICMessage(vector: 0, mode: .nmi, destination: 1, logical: false))
        a.accept(APICMessage(vector: 0, mode: .initialize, destination: 1, logical: false))
        a.accept(APICMessage(vector: 0x9A, mode: .startup, destination: 1, logical: false))
        XCTAssertEqual(nmis[1], 1); XCTAssertEqual(inits[1], 1); XCTAssertEqual(sipis[1], [0x9A])
    }

    func testSoftwareDisableMasksLVTsAndKeepsThemMasked() {
        let a = make(0); w(a, T.SVR, 0x1FF)
        w(a, T.LVTT, 0x20); w(a, T.LVTERR, 0x33)
        XCTAssertEqual(r(a, T.LVTT), 0x20)
        w(a, T.SVR, 0xFF)
        XCTAssertEqual(r(a, T.LVTT), 0x10020); XCTAssertEqual(r(a, T.LVTERR), 0x10033)
        w(a, T.LVTT, 0x21)
        XCTAssertEqual(r(a, T.LVTT), 0x10021, "mask cannot be cleared while software-disabled")
        w(a, T.SVR, 0x1FF)
        w(a, T.LVTT, 0x21)
        XCTAssertEqual(r(a, T.LVTT), 0x21)
    }

    func testSignalCPUWhenSomethingBecomesDeliverable() {
        let a = make(0); w(a, T.SVR, 0x1FF)
        var n = 0
        a.signalCPU = { n += 1 }
        a.accept(fixed(0x40)); XCTAssertGreaterThan(n, 0)
        n = 0; w(a, T.TPR, 0); XCTAssertGreaterThan(n, 0)
        n = 0; _ = a.acknowledge(); w(a, T.EOI, 0); XCTAssertGreaterThan(n, 0)
    }

    // MARK: ESR (SDM 10.5.3)

    func testESRWriteThenReadAndIllegalVectors() {
        let (_, a) = bus(2)
        ipi(a[0], 0x05, dest: 1)                     // fixed, vector 5: send illegal vector
        XCTAssertFalse(bit(a[1], T.IRR, 0x05))
        XCTAssertEqual(r(a[0], T.ESR), 0, "nothing latched before the write")
        w(a[0], T.ESR, 0)
        XCTAssertEqual(r(a[0], T.ESR), 0x20)
        w(a[0], T.ESR, 0)
        XCTAssertEqual(r(a[0], T.ESR), 0, "write latches errors since the previous write")
        a[1].accept(fixed(0x03))                      // receive illegal vector
        w(a[1], T.ESR, 0); XCTAssertEqual(r(a[1], T.ESR), 0x40)
        XCTAssertEqual(r(a[1], 0x40), 0)              // reserved offset: illegal register address
        XCTAssertEqual(r(a[1], 0x2F0), 0, "CMCI LVT not implemented (max LVT 5)")
        w(a[1], T.ESR, 0); XCTAssertEqual(r(a[1], T.ESR), 0x80)
        ipi(a[0], 0x400, dest: 1)                     // NMI with vector 0 is fine
        w(a[0], T.ESR, 0); XCTAssertEqual(r(a[0], T.ESR), 0)
        XCTAssertEqual(nmis[1], 1)
    }

    func testErrorLVTDeliversOnError() {
        let a = make(0); w(a, T.SVR, 0x1FF)
        w(a, T.LVTERR, 0xE3)
        a.accept(fixed(0x07))
        XCTAssertEqual(take(a), 0xE3)
        w(a, T.EOI, 0)
        w(a, T.LVTERR, 0x100E3)
        a.accept(fixed(0x07))
        XCTAssertNil(take(a), "masked error LVT")
        w(a, T.ESR, 0); XCTAssertEqual(r(a, T.ESR), 0x40)
    }

    // MARK: EOI broadcast, TMR

    func testLevelTriggeredEOIBroadcastAndTMR() {
        let a = make(0); w(a, T.SVR, 0x1FF)
        a.accept(fixed(0x79, level: true))
        XCTAssertTrue(bit(a, T.TMR, 0x79))
        XCTAssertEqual(take(a), 0x79)
        w(a, T.EOI, 0)
        XCTAssertEqual(eois, [0x79])
        XCTAssertTrue(bit(a, T.TMR, 0x79), "TMR stays until an edge message for the vector")
        a.accept(fixed(0x79))
        XCTAssertFalse(bit(a, T.TMR, 0x79))
        XCTAssertEqual(take(a), 0x79)
        w(a, T.EOI, 0)
        XCTAssertEqual(eois, [0x79], "edge-triggered EOI is not broadcast")
    }

    func testEOIBroadcastSuppression() {
        let a = make(0)
        a.eoiBroadcastSuppression = true
        XCTAssertEqual(r(a, T.LVR), 0x1050014)
        w(a, T.SVR, 0x11FF)
        XCTAssertEqual(r(a, T.SVR), 0x11FF)
        a.accept(fixed(0x66, level: true)); _ = take(a); w(a, T.EOI, 0)
        XCTAssertEqual(eois, [])
        let b = make(1); w(b, T.SVR, 0x11FF)
        XCTAssertEqual(r(b, T.SVR), 0x1FF, "bit 12 reserved without directed-EOI support")
    }

    // MARK: timer (SDM 10.5.4), 1 ns bus clock

    func testOneShotCountsDownAndFiresOnce() {
        let a = make(0); w(a, T.SVR, 0x1FF)
        w(a, T.TDCR, 0xB)                              // divide by 1
        w(a, T.LVTT, 0xEE)
        clock.advance(to: 100)
        w(a, T.TMICT, 0x10000)
        XCTAssertEqual(r(a, T.TMCCT), 0x10000)
        clock.advance(to: 100 + 0x4000)
        XCTAssertEqual(r(a, T.TMCCT), 0xC000)
        clock.advance(to: 100 + 0xFFFF)
        XCTAssertNil(take(a)); XCTAssertEqual(r(a, T.TMCCT), 1)
        clock.advance(to: 100 + 0x10000)
        XCTAssertEqual(r(a, T.TMCCT), 0)
        XCTAssertEqual(drain(a), [0xEE])
        clock.advance(to: 1_000_000)
        XCTAssertNil(take(a), "one-shot fires once")
        XCTAssertNil(clock.nextDeadline)
        XCTAssertEqual(r(a, T.TMICT), 0x10000)
    }

    func testDivideConfigurations() {
        let table: [(UInt32, UInt64)] = [(0x0, 2), (0x1, 4), (0x2, 8), (0x3, 16), (0x8, 32), (0x9, 64), (0xA, 128), (0xB, 1)]
        for (tdcr, div) in table {
            setUp()
            let a = make(0); w(a, T.SVR, 0x1FF)
            w(a, T.TDCR, tdcr | 0xFFFF_FFF4)           // reserved bits are not stored
            XCTAssertEqual(r(a, T.TDCR), tdcr)
            w(a, T.LVTT, 0x40)
            w(a, T.TMICT, 100)
            clock.advance(to: 10 * div)
            XCTAssertEqual(r(a, T.TMCCT), 90, "divide \(div)")
            clock.advance(to: 100 * div - 1)
            XCTAssertNil(take(a), "divide \(div)")
            clock.advance(to: 100 * div)
            XCTAssertEqual(take(a), 0x40, "divide \(div)")
        }
    }

    func testPeriodicReloadsAndFiresEveryPeriod() {
        let a = make(0); w(a, T.SVR, 0x1FF)
        w(a, T.TDCR, 0x0)                              // divide by 2
        w(a, T.LVTT, 0x20000 | 0x30)
        w(a, T.TMICT, 500)                             // period 1000 ns
        var fired: [UInt64] = []
        for t in stride(from: UInt64(100), through: 3500, by: 100) {
            clock.advance(to: t)
            if take(a) != nil { fired.append(t); w(a, T.EOI, 0) }
        }
        XCTAssertEqual(fired, [1000, 2000, 3000])
        clock.advance(to: 3750)
        XCTAssertEqual(r(a, T.TMCCT), 500 - 375, "750 ns = 375 ticks after the reload at 3000")
        clock.advance(to: 4000)
        XCTAssertEqual(r(a, T.TMCCT), 500, "reloaded at zero")
    }

    func testMaskedTimerCountsWithoutInterruptsOrEvents() {
        let a = make(0); w(a, T.SVR, 0x1FF)
        w(a, T.TDCR, 0xB)
        w(a, T.LVTT, 0x10000 | 0x20000 | 0x30)         // periodic, masked
        w(a, T.TMICT, 1000)
        XCTAssertNil(clock.nextDeadline, "masked: no device timer")
        clock.advance(to: 2500)
        XCTAssertEqual(r(a, T.TMCCT), 500)
        XCTAssertNil(take(a))
        w(a, T.LVTT, 0x20000 | 0x30)                   // unmask: next reload at 3000
        XCTAssertEqual(clock.nextDeadline, 3000)
        clock.advance(to: 3000)
        XCTAssertEqual(take(a), 0x30)
    }

    func testModeChangesFollowKVMUnitTestsChangeMode() {
        let a = make(0); w(a, T.SVR, 0x1FF)
        w(a, T.TDCR, 0xB)
        let tmict: UInt32 = 0x999999
        w(a, T.LVTT, 0x10000)                           // masked one-shot
        w(a, T.TMICT, tmict)
        w(a, T.LVTT, 0x10000 | 0x20000)
        XCTAssertEqual(r(a, T.TMICT), tmict, "mode change keeps TMICT")
        w(a, T.LVTT, 0x10000)
        w(a, T.TMICT, tmict)
        clock.advance(to: clock.now + UInt64(tmict))
        XCTAssertEqual(r(a, T.TMCCT), 0, "one-shot reached 0")
        // Restart, switch to periodic past half way: counting continues, then reloads.
        w(a, T.TMICT, tmict)
        clock.advance(to: clock.now + UInt64(tmict / 2) + 10)
        w(a, T.LVTT, 0x10000 | 0x20000)
        let c = r(a, T.TMCCT)
        XCTAssertTrue(c > 0 && c < tmict / 2, "not reset to TMICT")
        clock.advance(to: clock.now + UInt64(c) + 5)
        XCTAssertGreaterThan(r(a, T.TMCCT), tmict / 2, "periodic reload")
        // Back to one-shot part way: counts to 0 and stays there.
        clock.advance(to: clock.now + UInt64(tmict / 2) + 100)
        w(a, T.LVTT, 0x10000)
        XCTAssertLessThan(r(a, T.TMCCT), tmict / 2)
        clock.advance(to: clock.now + UInt64(tmict))
        XCTAssertEqual(r(a, T.TMCCT), 0)
        w(a, T.LVTT, 0x10000 | 0x20000)
        XCTAssertEqual(r(a, T.TMCCT), 0, "expired one-shot stays at 0 in periodic mode")
    }

    func testInitialCountZeroStopsAndDivideChangeMidCount() {
        let a = make(0); w(a, T.SVR, 0x1FF)
        w(a, T.TDCR, 0xB); w(a, T.LVTT, 0x50)
        w(a, T.TMICT, 1000)
        clock.advance(to: 400)
        w(a, T.TMICT, 0)
        XCTAssertNil(clock.nextDeadline)
        clock.advance(to: 5000)
        XCTAssertNil(take(a)); XCTAssertEqual(r(a, T.TMCCT), 0)
        w(a, T.TMICT, 1000)                             // at 5000
        clock.advance(to: 5400)
        XCTAssertEqual(r(a, T.TMCCT), 600)
        w(a, T.TDCR, 0x1)                               // divide by 4 from now on
        XCTAssertEqual(r(a, T.TMCCT), 600)
        clock.advance(to: 5400 + 4 * 599)
        XCTAssertNil(take(a)); XCTAssertEqual(r(a, T.TMCCT), 1)
        clock.advance(to: 5400 + 4 * 600)
        XCTAssertEqual(take(a), 0x50)
    }

    func testTinyPeriodIsCoalescedNotAnEventStorm() {
        let a = make(0); w(a, T.SVR, 0x1FF)
        w(a, T.TDCR, 0xB); w(a, T.LVTT, 0x20000 | 0x30)
        w(a, T.TMICT, 1)                                // 1 ns period
        var callbacks = 0
        a.signalCPU = { callbacks += 1 }
        clock.advance(to: 100_000)
        XCTAssertLessThanOrEqual(callbacks, 101)
        XCTAssertEqual(take(a), 0x30)
    }

    // MARK: TSC-deadline (SDM 10.5.4.1)

    func testTSCDeadlineMode() {
        let a = make(0); w(a, T.SVR, 0x1FF)
        w(a, T.TMICT, 1234)
        w(a, T.LVTT, 0x40000 | 0xEF)
        XCTAssertEqual(r(a, T.TMICT), 0, "switching to TSC-deadline clears the initial count")
        w(a, T.TMICT, 77)
        XCTAssertEqual(r(a, T.TMICT), 0, "TMICT writes ignored in TSC-deadline mode")
        XCTAssertEqual(r(a, T.TMCCT), 0)
        // clock 1000 ns = TSC 2000 at 2 GHz
        clock.advance(to: 1000)
        a.writeTSCDeadline(2000 + 3000, tscNow: 2000)   // 1500 ns from now
        XCTAssertEqual(a.readTSCDeadline(), 5000)
        clock.advance(to: 2499)
        XCTAssertNil(take(a))
        clock.advance(to: 2500)
        XCTAssertEqual(take(a), 0xEF)
        w(a, T.EOI, 0)
        XCTAssertEqual(a.readTSCDeadline(), 0, "cleared when it fires")
        // Deadline already passed: fires during the WRMSR.
        a.writeTSCDeadline(4000, tscNow: 5000)
        XCTAssertEqual(take(a), 0xEF)
        w(a, T.EOI, 0)
        XCTAssertEqual(a.readTSCDeadline(), 0)
        // Writing 0 disarms.
        a.writeTSCDeadline(100_000, tscNow: 5000)
        a.writeTSCDeadline(0, tscNow: 5000)
        clock.advance(to: 1_000_000)
        XCTAssertNil(take(a))
        // Masked: expires without an interrupt, still clears.
        w(a, T.LVTT, 0x50000 | 0xEF)
        a.writeTSCDeadline(2_000_010, tscNow: 2_000_000)
        clock.advance(to: 1_000_005)
        XCTAssertNil(take(a)); XCTAssertEqual(a.readTSCDeadline(), 0)
    }

    func testTSCDeadlineIgnoredOutsideItsModeAndDisarmedByModeSwitch() {
        let a = make(0); w(a, T.SVR, 0x1FF)
        w(a, T.LVTT, 0xEF)                              // one-shot
        a.writeTSCDeadline(10_000, tscNow: 0)
        XCTAssertEqual(a.readTSCDeadline(), 0)
        w(a, T.LVTT, 0x40000 | 0xEF)
        a.writeTSCDeadline(10_000, tscNow: 0)
        w(a, T.LVTT, 0xEF)                              // leaving TSC-deadline mode disarms
        clock.advance(to: 100_000)
        XCTAssertNil(take(a))
        w(a, T.LVTT, 0x40000 | 0xEF)
        XCTAssertEqual(a.readTSCDeadline(), 0)
    }

    func testTSCDeadlineWaitsForTheCPUsTSC() {
        let a = make(0); w(a, T.SVR, 0x1FF)
        var cpuTSC: UInt64 = 0
        a.tsc = { cpuTSC }
        w(a, T.LVTT, 0x40000 | 0xEF)
        a.writeTSCDeadline(1000, tscNow: 0)             // 500 ns at 2 GHz
        cpuTSC = 990                                    // the CPU's TSC lags (e.g. rounding)
        clock.advance(to: 500)
        XCTAssertNil(take(a))
        XCTAssertEqual(a.readTSCDeadline(), 1000)
        cpuTSC = 1000
        clock.advance(to: 600)
        XCTAssertEqual(take(a), 0xEF)
    }

    // MARK: IPIs through the bus (SDM 10.6)

    func testPhysicalFixedIPIAndSelfShorthand() {
        let (_, a) = bus(3)
        ipi(a[0], 0x4000 | 0xF1, dest: 2)
        XCTAssertTrue(bit(a[2], T.IRR, 0xF1))
        XCTAssertFalse(bit(a[1], T.IRR, 0xF1)); XCTAssertFalse(bit(a[0], T.IRR, 0xF1))
        XCTAssertEqual(r(a[0], T.ICR), 0x40F1); XCTAssertEqual(r(a[0], T.ICR2), 0x0200_0000)
        ipi(a[1], 0x40000 | 0xF2, dest: 0)              // self, destination ignored
        XCTAssertEqual(drain(a[1]), [0xF2])
        XCTAssertEqual(drain(a[0]), [])
    }

    func testBroadcastPhysicalAndShorthands() {
        let (_, a) = bus(4)
        ipi(a[0], 0xCF, dest: 0xFF)
        XCTAssertEqual(a.map { drain($0) }, [[0xCF], [0xCF], [0xCF], [0xCF]])
        ipi(a[2], 0x80000 | 0xCE, dest: 0)               // all including self
        XCTAssertEqual(a.map { drain($0) }, [[0xCE], [0xCE], [0xCE], [0xCE]])
        ipi(a[2], 0xC0000 | 0xCD, dest: 2)               // all excluding self
        XCTAssertEqual(a.map { drain($0) }, [[0xCD], [0xCD], [], [0xCD]])
    }

    func testAliasedXAPICPhysicalIDsAllReceive() {
        let (_, a) = bus(2)
        w(a[0], T.ID, 0); w(a[1], T.ID, 0)
        ipi(a[0], 0xF1, dest: 0)
        XCTAssertEqual(drain(a[0]), [0xF1]); XCTAssertEqual(drain(a[1]), [0xF1])
        ipi(a[0], 0xF1, dest: 1)
        XCTAssertEqual(drain(a[1]), [], "ID 1 is gone")
        XCTAssertEqual(r(a[1], T.ID), 0)
    }

    func testLogicalFlatSingleAndMultipleTargets() {
        let (_, a) = bus(2)
        for i in 0..<8 {
            w(a[0], T.DFR, 0xFFFF_FFFF); w(a[0], T.LDR, 0)
            w(a[1], T.DFR, 0xFFFF_FFFF); w(a[1], T.LDR, UInt32(1 << i) << 24)
            XCTAssertEqual(r(a[1], T.LDR), UInt32(1 << i) << 24)
            for k in 0..<0xFF where (1 << i) & k == 0 {
                let dest = UInt32(1 << i | k)
                if dest == 0xFF { continue }
                ipi(a[0], 0x800 | 0xF1, dest: dest)
                XCTAssertEqual(drain(a[1]), [0xF1], "flat bit \(i) dest \(dest)")
                XCTAssertEqual(drain(a[0]), [], "LDR 0 matches nothing")
            }
        }
        w(a[0], T.LDR, 0x0100_0000); w(a[1], T.LDR, 0x0600_0000)
        ipi(a[0], 0x800 | 0xF1, dest: 0x03)
        XCTAssertEqual(drain(a[0]), [0xF1]); XCTAssertEqual(drain(a[1]), [0xF1])
        ipi(a[0], 0x800 | 0xF1, dest: 0x08)
        XCTAssertEqual(drain(a[0]) + drain(a[1]), [])
    }

    func testLogicalClusterModel() {
        let (_, a) = bus(2)
        for c in 0..<0xF {
            for i in 0..<4 {
                w(a[0], T.DFR, 0x0FFF_FFFF); w(a[0], T.LDR, 0)
                w(a[1], T.DFR, 0x0FFF_FFFF); w(a[1], T.LDR, UInt32(c << 4 | 1 << i) << 24)
                XCTAssertEqual(r(a[1], T.DFR), 0x0FFF_FFFF)
                for k in 0..<0x10 where (1 << i) & k == 0 {
                    ipi(a[0], 0x800 | 0xF1, dest: UInt32(c << 4 | 1 << i | k))
                    XCTAssertEqual(drain(a[1]), [0xF1], "cluster \(c) bit \(i) k \(k)")
                }
                // Another cluster with the same bit does not match.
                ipi(a[0], 0x800 | 0xF1, dest: UInt32(((c + 1) & 0xF) << 4 | 1 << i))
                XCTAssertEqual(drain(a[1]), [], "cluster \(c)")
            }
        }
    }

    func testLowestPriorityArbitrationIsDeterministic() {
        let (b, a) = bus(3)
        for x in a { w(x, T.DFR, 0xFFFF_FFFF); w(x, T.LDR, 0x0100_0000) }
        w(a[0], T.TPR, 0x40); w(a[1], T.TPR, 0x20); w(a[2], T.TPR, 0x30)
        b.send(APICMessage(vector: 0x61, mode: .lowestPriority, destination: 0x01, logical: true))
        XCTAssertEqual(a.map { drain($0) }, [[], [0x61], []])
        w(a[1], T.TPR, 0x30)                              // tie between 1 and 2: lowest ID
        b.send(APICMessage(vector: 0x62, mode: .lowestPriority, destination: 0x01, logical: true))
        XCTAssertEqual(a.map { drain($0) }, [[], [0x62], []])
        w(a[1], T.SVR, 0xFF)                              // software-disabled APICs don't compete
        b.send(APICMessage(vector: 0x63, mode: .lowestPriority, destination: 0x01, logical: true))
        XCTAssertEqual(drain(a[2]), [0x63])
    }

    func testNMIINITSIPIIPIsAndINITDeassertIgnored() {
        let (_, a) = bus(3)
        ipi(a[0], 0x4400, dest: 1)                        // NMI, assert
        XCTAssertEqual(nmis, [1: 1])
        ipi(a[0], 0xC0000 | 0x4500, dest: 0)              // INIT to all but self (lib/x86/smp.c)
        XCTAssertEqual(inits, [1: 1, 2: 1])
        ipi(a[0], 0x8000 | 0x0500, dest: 1)               // INIT level de-assert
        XCTAssertEqual(inits, [1: 1, 2: 1])
        ipi(a[0], 0xC0000 | 0x0600 | 0x9F, dest: 0)       // SIPI, vector 9Fh
        XCTAssertEqual(sipis, [1: [0x9F], 2: [0x9F]])
        XCTAssertEqual(a.map { drain($0) }, [[], [], []], "no fixed interrupts from these")
    }

    func testMSIMessageDecode() {
        let m = APICBus.msiMessage(address: 0xFEE0_3004, data: 0x8000 | 0x4000 | 0x100 | 0x45)
        XCTAssertEqual(m, APICMessage(vector: 0x45, mode: .lowestPriority, destination: 3, logical: true,
                                      level: true, levelTriggered: true))
    }

    // MARK: INTR routing: 8259 ExtINT, LINT pins

    func testDisabledAPICPassesThe8259Through() {
        let a = make(0, bsp: true)
        var picPending = true, acks = 0
        a.extINTPending = { picPending }
        a.extINTAcknowledge = { acks += 1; picPending = false; return 0x20 }
        XCTAssertTrue(a.writeBaseMSR(a.baseMSR & ~T.EN))
        XCTAssertFalse(a.mmioActive)
        XCTAssertTrue(a.hasInterrupt)
        XCTAssertEqual(a.acknowledge(), 0x20); XCTAssertEqual(acks, 1)
        XCTAssertFalse(a.hasInterrupt)
        a.setLINT(1, true)
        XCTAssertEqual(nmis[0], 1, "LINT1 is NMI while disabled")
        a.accept(fixed(0x50))
        XCTAssertFalse(a.matches(fixed(0x50)), "a disabled APIC takes no messages")
    }

    func testVirtualWireAfterResetAndExtINTIgnoresTPR() {
        let bsp = make(0, bsp: true), ap = make(1)
        var picPending = true
        for x in [bsp, ap] { x.extINTPending = { picPending }; x.extINTAcknowledge = { 0x08 } }
        XCTAssertTrue(bsp.hasInterrupt, "ExtINT through LINT0 although SVR is software-disabled")
        XCTAssertFalse(ap.hasInterrupt, "AP LINT0 masked")
        w(bsp, T.SVR, 0x1FF)
        w(bsp, T.TPR, 0xF0)
        XCTAssertTrue(bsp.hasInterrupt, "ExtINT is not subject to TPR")
        bsp.accept(fixed(0xF5))
        XCTAssertEqual(bsp.acknowledge(), 0x08, "ExtINT first")
        picPending = false
        w(bsp, T.TPR, 0)
        XCTAssertEqual(bsp.acknowledge(), 0xF5)
        w(bsp, T.LVT0, 0x10700)
        picPending = true
        XCTAssertFalse(bsp.hasInterrupt, "masked LINT0")
        // ExtINT message from an I/O APIC.
        ap.accept(APICMessage(vector: 0, mode: .extINT, destination: 1, logical: false))
        XCTAssertTrue(ap.hasInterrupt)
        XCTAssertEqual(ap.acknowledge(), 0x08)
    }

    func testLINT1NMIOnRisingEdgeOnly() {
        let a = make(0); w(a, T.SVR, 0x1FF)
        w(a, T.LVT1, 0x400)
        a.setLINT(1, true); a.setLINT(1, true)
        XCTAssertEqual(nmis[0], 1)
        a.setLINT(1, false); a.setLINT(1, true)
        XCTAssertEqual(nmis[0], 2)
        w(a, T.LVT1, 0x10400)
        a.setLINT(1, false); a.setLINT(1, true)
        XCTAssertEqual(nmis[0], 2, "masked")
    }

    func testLINT0LevelTriggeredFixedUsesRemoteIRR() {
        let a = make(0); w(a, T.SVR, 0x1FF)
        w(a, T.LVT0, 0x8000 | 0x55)                       // fixed, level, active high
        a.setLINT(0, true)
        XCTAssertTrue(bit(a, T.TMR, 0x55))
        XCTAssertEqual(r(a, T.LVT0) & 0x4000, 0x4000, "remote IRR")
        XCTAssertEqual(take(a), 0x55)
        a.setLINT(0, true)
        XCTAssertNil(take(a))
        w(a, T.EOI, 0)                                    // still asserted: delivered again
        XCTAssertEqual(eois, [0x55])
        XCTAssertEqual(take(a), 0x55)
        a.setLINT(0, false)
        w(a, T.EOI, 0)
        XCTAssertEqual(r(a, T.LVT0) & 0x4000, 0)
        XCTAssertNil(take(a))
        // Edge-triggered fixed: one interrupt per rising edge.
        w(a, T.LVT0, 0x56)
        a.setLINT(0, true); a.setLINT(0, true)
        XCTAssertEqual(drain(a), [0x56])
    }

    // MARK: IA32_APIC_BASE and x2APIC (SDM 10.4.4, 10.12)

    func testAPICBaseTransitionsAsKVMUnitTests() {
        let a = make(0, bsp: true)
        let base = a.baseMSR & ~(T.EN | T.EXTD)
        XCTAssertTrue(a.writeBaseMSR(base | T.EN | T.EXTD), "xAPIC -> x2APIC")
        XCTAssertTrue(a.x2apicMode); XCTAssertFalse(a.mmioActive)
        XCTAssertFalse(a.writeBaseMSR(base | T.EXTD), "x2APIC -> invalid")
        XCTAssertFalse(a.writeBaseMSR(base | T.EN), "x2APIC -> xAPIC")
        XCTAssertTrue(a.writeBaseMSR(base), "x2APIC -> disabled")
        XCTAssertFalse(a.writeBaseMSR(base | T.EXTD), "disabled -> invalid")
        XCTAssertFalse(a.writeBaseMSR(base | T.EN | T.EXTD), "disabled -> x2APIC")
        XCTAssertTrue(a.writeBaseMSR(base | T.EN), "disabled -> xAPIC")
        XCTAssertFalse(a.writeBaseMSR(base | T.EXTD), "xAPIC -> invalid")
        XCTAssertEqual(a.baseMSR, 0xFEE0_0000 | T.BSP | T.EN)
        let b = make(1)
        b.x2apicSupported = false
        XCTAssertFalse(b.writeBaseMSR(T.EN | T.EXTD | 0xFEE0_0000), "x2APIC not supported")
    }

    func testAPICBaseRelocationAndReservedBits() {
        let a = make(0, bsp: true)
        let orig = a.baseMSR
        XCTAssertTrue(a.writeBaseMSR(orig & ~(T.EN | T.EXTD)))
        XCTAssertTrue(a.writeBaseMSR(0xFED4_0000 | T.BSP | T.EN))
        XCTAssertEqual(a.mmioBase, 0xFED4_0000)
        XCTAssertEqual(r(a, T.LVR), 0x50014)
        XCTAssertFalse(a.writeBaseMSR(orig | 1 << 39), "MAXPHYADDR bit")
        XCTAssertFalse(a.writeBaseMSR(orig | 1), "reserved low bits")
        XCTAssertFalse(a.writeBaseMSR(orig | 1 << 9))
        XCTAssertTrue(a.writeBaseMSR(orig & ~T.BSP))
        XCTAssertEqual(a.baseMSR, orig, "BSP is read-only")
    }

    func testDisableResetsStateButCR8Works() {
        let a = make(2)
        w(a, T.SVR, 0x1FF); w(a, T.ID, 7 << 24); w(a, T.TPR, 0x20)
        a.accept(fixed(0x80))
        XCTAssertEqual(r(a, T.ID), 7 << 24)
        XCTAssertTrue(a.writeBaseMSR(a.baseMSR & ~T.EN))
        XCTAssertEqual(a.cr8, 0)
        a.cr8 = 0xF; XCTAssertEqual(a.cr8, 0xF)
        a.cr8 = 0
        XCTAssertTrue(a.writeBaseMSR(a.baseMSR | T.EN))
        XCTAssertEqual(r(a, T.ID), 2 << 24, "ID back to the initial ID")
        XCTAssertEqual(r(a, T.TPR), 0); XCTAssertEqual(r(a, T.SVR), 0xFF)
        XCTAssertFalse(bit(a, T.IRR, 0x80))
        a.cr8 = 0xF
        XCTAssertEqual(r(a, T.TPR), 0xF0)
    }

    func testX2APICIDAndLDR() {
        let a = make(0x23)
        w(a, T.ID, 0x24 << 24)                            // xAPIC ID is writable
        XCTAssertNil(a.readMSR(0x802), "x2APIC MSRs #GP in xAPIC mode")
        XCTAssertFalse(a.writeMSR(0x808, 0))
        enableX2(a)
        XCTAssertEqual(a.readMSR(0x802), 0x23, "x2APIC ID is the initial ID")
        XCTAssertEqual(a.readMSR(0x80D), 0x0002_0008, "cluster 2, bit 3")
        XCTAssertFalse(a.writeMSR(0x802, 0x24), "ID read-only")
        XCTAssertFalse(a.writeMSR(0x80D, 0), "LDR read-only")
        XCTAssertNil(a.readMSR(0x80E), "no DFR")
        XCTAssertEqual(a.readMSR(0x803), 0x50014)
        XCTAssertTrue(a.writeBaseMSR(a.baseMSR & ~(T.EN | T.EXTD)))
        XCTAssertTrue(a.writeBaseMSR(a.baseMSR | T.EN))
        XCTAssertEqual(r(a, T.ID), 0x23 << 24, "correct xAPIC ID after reset")
    }

    /// The register semantics x86/msr.c's test_x2apic_msrs checks (get_x2apic_reg_semantics).
    func testX2APICMSRSemanticsTable() {
        let a = make(0); w(a, T.SVR, 0x1FF)
        for i in 0..<256 { XCTAssertNil(a.readMSR(UInt32(0x800 + i))); XCTAssertFalse(a.writeMSR(UInt32(0x800 + i), 0)) }
        enableX2(a)
        let ro: Set<Int> = Set([0x02, 0x03, 0x0A, 0x0D, 0x39]).union(0x10...0x27)
        let rw: Set<Int> = [0x08, 0x0F, 0x28, 0x30, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x3E]
        let wo: Set<Int> = [0x0B, 0x3F]
        for i in 0..<256 {
            let msr = UInt32(0x800 + i)
            let readable = ro.contains(i) || rw.contains(i), writable = rw.contains(i) || wo.contains(i)
            if !writable { XCTAssertFalse(a.writeMSR(msr, 0), "wrmsr \(String(msr, radix: 16)) must #GP") }
            if !readable { XCTAssertNil(a.readMSR(msr), "rdmsr \(String(msr, radix: 16)) must #GP") }
            if i != 0x30 { XCTAssertFalse(a.writeMSR(msr, ~0), "bits 63:32 reserved in \(String(msr, radix: 16))") }
            if i == 0x3F {
                for v: UInt64 in [0x100, 0xFF00, 0xFF00_0000] { XCTAssertFalse(a.writeMSR(msr, v)) }
            }
            if rw.contains(i) {
                let orig = a.readMSR(msr)!
                XCTAssertTrue(a.writeMSR(msr, orig), "\(String(msr, radix: 16))")
                XCTAssertEqual(a.readMSR(msr), orig, "\(String(msr, radix: 16)) round trip")
            } else if wo.contains(i) {
                XCTAssertTrue(a.writeMSR(msr, 0))
            } else if ro.contains(i) {
                XCTAssertEqual(a.readMSR(msr)! >> 32, 0)
            }
        }
        XCTAssertFalse(a.writeMSR(0x80B, 1), "nonzero EOI")
        XCTAssertFalse(a.writeMSR(0x828, 1), "nonzero ESR")
        XCTAssertNil(a.readMSR(0x82F), "no CMCI LVT")
    }

    func testX2APICIPIsSelfIPIAndBroadcast() {
        let (_, a) = bus(3)
        for x in a { enableX2(x) }
        XCTAssertTrue(a[0].writeMSR(0x830, UInt64(2) << 32 | 0x4000 | 0x61))
        XCTAssertEqual(a[0].readMSR(0x830), UInt64(2) << 32 | 0x4061)
        XCTAssertEqual(a.map { drain($0) }, [[], [], [0x61]])
        XCTAssertTrue(a[1].writeMSR(0x83F, 0xF1))
        XCTAssertEqual(a.map { drain($0) }, [[], [0xF1], []])
        XCTAssertTrue(a[0].writeMSR(0x830, 0xFFFF_FFFF << 32 | 0xCF))
        XCTAssertEqual(a.map { drain($0) }, [[0xCF], [0xCF], [0xCF]])
        XCTAssertTrue(a[0].writeMSR(0x830, UInt64(0xFF) << 32 | 0xCF))
        XCTAssertEqual(a.map { drain($0) }, [[], [], []], "FFh is not broadcast in x2APIC mode")
        XCTAssertTrue(a[0].writeMSR(0x808, 0x10)); XCTAssertEqual(a[0].cr8, 1)
        XCTAssertTrue(a[0].writeMSR(0x80B, 0))
    }

    func testX2APICLogicalClusterAsIOAPICTest() {
        let (b, a) = bus(4)
        for x in a { enableX2(x) }
        // x86/ioapic.c logical destination 0xd reaches APICs 0, 2, 3 (LDR bits 0, 2, 3 of cluster 0).
        b.send(APICMessage(vector: 0x86, mode: .fixed, destination: 0xD, logical: true, levelTriggered: true))
        XCTAssertEqual(a.map { drain($0) }, [[0x86], [], [0x86], [0x86]])
        XCTAssertEqual(eois, [0x86, 0x86, 0x86])
        b.send(APICMessage(vector: 0x87, mode: .fixed, destination: 0x1_0001, logical: true))
        XCTAssertEqual(a.map { drain($0) }, [[], [], [], []], "cluster 1 is empty")
    }

    // MARK: INIT, reset, snapshots, MMIO access sizes

    func testINITResetKeepsIDAndModePowerOnResetDoesNot() {
        let a = make(5)
        w(a, T.SVR, 0x1FF); w(a, T.ID, 9 << 24); w(a, T.TPR, 0x30); w(a, T.LVTT, 0x20)
        a.accept(fixed(0x90)); _ = take(a)
        a.initReset()
        XCTAssertEqual(r(a, T.ID), 9 << 24)
        XCTAssertEqual(r(a, T.TPR), 0); XCTAssertEqual(r(a, T.SVR), 0xFF)
        XCTAssertEqual(r(a, T.LVTT), 0x10000); XCTAssertEqual(r(a, T.ISR + 0x40), 0)
        enableX2(a)
        a.initReset()
        XCTAssertTrue(a.x2apicMode, "INIT keeps x2APIC mode")
        XCTAssertEqual(a.readMSR(0x80D), 0x20)
        a.reset()
        XCTAssertFalse(a.x2apicMode)
        XCTAssertEqual(r(a, T.ID), 5 << 24)
    }

    func testSnapshotRestoreRearmsTimer() throws {
        let a = make(0); w(a, T.SVR, 0x1FF)
        w(a, T.TDCR, 0xB); w(a, T.LVTT, 0x20000 | 0x31); w(a, T.TMICT, 1000)
        a.accept(fixed(0x44))
        clock.advance(to: 1500)
        let data = try JSONEncoder().encode(a.state)
        let st = try JSONDecoder().decode(LocalAPIC.State.self, from: data)
        XCTAssertEqual(st, a.state)
        // A second machine at the same time, restored from the snapshot.
        let clock2 = VirtualClock(); clock2.advance(to: 1500)
        let b = LocalAPIC(id: 0, clock: clock2, tscHz: tscHz, isBSP: false)
        b.state = st
        XCTAssertEqual(UInt32(truncatingIfNeeded: b.read(offset: T.TMCCT, size: 4)), 500)
        XCTAssertEqual(clock2.nextDeadline, 2000)
        clock2.advance(to: 2000)
        XCTAssertTrue(b.hasInterrupt)
        XCTAssertEqual(b.acknowledge(), 0x44)
    }

    func testMMIOAccessSizes() {
        let a = make(0x12)
        XCTAssertEqual(a.read(offset: T.ID + 3, size: 1), 0x12, "byte read of the ID")
        XCTAssertEqual(a.read(offset: T.LVR, size: 2), 0x0014)
        XCTAssertEqual(a.read(offset: T.LVR + 4, size: 4), 0, "bytes 4-15 of a register")
        a.write(offset: T.TPR, size: 1, value: 0x40)
        XCTAssertEqual(r(a, T.TPR), 0, "sub-dword writes are ignored")
        a.write(offset: T.TPR, size: 8, value: 0xFFFF_FFFF_0000_0040)
        XCTAssertEqual(r(a, T.TPR), 0x40)
        w(a, T.LVR, 0); w(a, T.PPR, 0xFF)
        XCTAssertEqual(r(a, T.LVR), 0x50014, "read-only registers ignore writes")
        enableX2(a)
        XCTAssertEqual(a.read(offset: T.LVR, size: 4), 0xFFFF_FFFF, "page not decoded in x2APIC mode")
    }
}
