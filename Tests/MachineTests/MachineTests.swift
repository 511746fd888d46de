import XCTest
import CPU
import DeviceModel
@testable import Machine

final class MachineClockTests: XCTestCase {
    /// ns(cycles) and cycles(atNs:) are inverse in the sense the run loop needs: the cycle
    /// count returned for a deadline is the first one whose time reaches it.
    func testCyclesAndNanosecondsRoundTrip() {
        for hz: UInt64 in [2_000_000_000, 1_000_000_000, 3_000_000_007, 500_000_000, 1_193_182] {
            let c = MachineClock(tscHz: hz)
            for t: UInt64 in [0, 1, 999, 1_000_000, 54_925_402, 1 << 40, 7 << 50] {
                let k = c.cycles(atNs: t)
                XCTAssertGreaterThanOrEqual(c.ns(k), t, "hz \(hz) t \(t)")
                if k > 0 { XCTAssertLessThan(c.ns(k - 1), t, "first cycle reaching \(t) at \(hz) Hz") }
            }
        }
        XCTAssertEqual(MachineClock(tscHz: 2_000_000_000).ns(2_000_000_000), 1_000_000_000)
    }
}

final class MachineBoardTests: XCTestCase {
    func machine(cpus: Int = 1) throws -> Machine {
        var c = MachineConfig()
        c.cpus = cpus; c.maxCPUs = cpus
        let m = try Machine(config: c)
        m.log = { _ in }
        return m
    }

    func testApplicationProcessorsWaitForSIPIAndStartAtTheVector() throws {
        let m = try machine(cpus: 4)
        XCTAssertEqual(m.cpu.s.pointee.halted, 0)
        for i in 1..<4 {
            XCTAssertEqual(m.cpu(i).s.pointee.halted, 3, "AP \(i) in wait-for-SIPI")
            XCTAssertEqual(m.cpu(i).cpuid(1, 0).1 >> 24, UInt32(i), "initial APIC ID")
        }
        XCTAssertEqual((m.cpu.cpuid(1, 0).1 >> 16) & 0xFF, 4, "logical processors per package")
        // INIT then SIPI vector 0x9A to AP 2 over the APIC bus, as the BSP's ICR sends them.
        let bus = m.board.apicBus
        bus.send(APICMessage(vector: 0, mode: .initialize, destination: 2, logical: false))
        XCTAssertEqual(m.cpu(2).s.pointee.halted, 3)
        bus.send(APICMessage(vector: 0x9A, mode: .startup, destination: 2, logical: false))
        XCTAssertEqual(m.cpu(2).s.pointee.halted, 0, "running after SIPI")
        XCTAssertEqual(m.cpu(2).segs[Seg.cs].selector, 0x9A00)
        XCTAssertEqual(m.cpu(2).segs[Seg.cs].base, 0x9_A000)
        XCTAssertEqual(m.cpu(2).s.pointee.rip, 0)
        XCTAssertEqual(m.cpu(1).s.pointee.halted, 3, "other APs still wait")
        // A second SIPI to a running CPU is ignored (SDM Vol. 3, 10.6.1).
        bus.send(APICMessage(vector: 0x10, mode: .startup, destination: 2, logical: false))
        XCTAssertEqual(m.cpu(2).segs[Seg.cs].selector, 0x9A00)
    }

    func testISAInterruptReachesBothControllersWithIRQ0OnPin2() throws {
        let m = try machine()
        let b = m.board!
        b.setISAIRQ(0, true)
        XCTAssertTrue(b.ioapic.line(2), "IRQ0 is I/O APIC pin 2 (MADT override)")
        XCTAssertFalse(b.ioapic.line(0))
        XCTAssertEqual(b.pic.state.master.irr & 1, 1)
        b.setISAIRQ(0, false)
        b.setISAIRQ(12, true)
        XCTAssertTrue(b.ioapic.line(12))
        XCTAssertEqual(b.pic.state.slave.irr & 0x10, 0x10)
    }

    func testPITInterruptWakesTheBootstrapProcessorThroughTheVirtualWire() throws {
        let m = try machine()
        let b = m.board!
        b.installBIOSState()                        // 8259 at 0x08, IRQ0 unmasked, PIT 18.2 Hz
        XCTAssertNotNil(m.clock.nextDeadline, "the PIT armed a timer")
        m.clock.advance(to: 60_000_000)             // past the first 54.9 ms period
        XCTAssertTrue(m.vcpus[0].lapic.hasInterrupt, "ExtINT from the 8259 through LINT0")
        XCTAssertEqual(m.vcpus[0].lapic.acknowledge(), 0x08, "IRQ0 at the BIOS vector")
    }
}
