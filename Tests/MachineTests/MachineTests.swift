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

    func testBIOSServiceVectorsReportThemselves() throws {
        let m = try machine()
        var logged: [String] = []
        m.log = { logged.append($0) }
        m.board.installBIOSState()
        // INT 13h: IVT entry F000:xxxx -> a stub that writes 0x13 to the BIOS stub port.
        let ivt = try XCTUnwrap(m.memory.read(0x13 * 4, count: 4))
        XCTAssertEqual(ivt[2...3], [0x00, 0xF0])
        let stub = try XCTUnwrap(m.memory.read(0xF_0000 + UInt64(ivt[0]) | UInt64(ivt[1]) << 8, count: 11))
        XCTAssertEqual(Array(stub[2...3]), [0xB0, 0x13], "mov al, 13h")
        XCTAssertEqual(Array(stub[4...7]), [0xBA, 0x01, 0x04, 0xEE], "mov dx, 401h; out dx, al")
        XCTAssertEqual(stub[10], 0xCF, "iret")
        // IRQ vectors keep their EOI stubs and do not report.
        let irq0 = try XCTUnwrap(m.memory.read(0x08 * 4, count: 2))
        XCTAssertEqual(UInt16(irq0[0]) | UInt16(irq0[1]) << 8, 0xFE10)
        m.portWrite(0x401, size: 1, value: 0x13)
        XCTAssertTrue(logged.contains { $0.contains("real-mode interrupt 0x13") }, "\(logged)")
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

/// A hostile guest: random widths and values at every device port and MMIO register, with
/// virtual time moving so timers fire. Nothing may crash, trap or hang, and the machine must
/// still answer afterwards (shared/design.md: bad input never crashes swemu).
final class MachineFuzzTests: XCTestCase {
    func testRandomDeviceAccessesDoNotCrash() throws {
        var c = MachineConfig()
        c.cpus = 2; c.maxCPUs = 2
        c.serial = [.null, .null]
        c.devices = [.pcTestdev, .pciTestdev, .debugExit(iobase: 0xF4, iosize: 4)]
        let m = try Machine(config: c)
        m.log = { _ in }
        m.board.reset()
        m.board.installBIOSState()
        // Random PM1a_CNT writes may ask for S5 (power off): legitimate, but not this test's
        // subject.
        m.board.pm.onSleep = { _ in }
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return seed }
        let ports: [ClosedRange<UInt16>] = [0x20...0x21, 0xA0...0xA1, 0x40...0x43, 0x61...0x61, 0x70...0x71,
                                            0x80...0x80, 0x92...0x92, 0xB2...0xB3, 0x3F8...0x3FF, 0x2F8...0x2FF,
                                            0x4D0...0x4D1, 0x510...0x51B, 0x600...0x63F, 0xAFE0...0xAFE3,
                                            0xCF8...0xCFF, 0xE0...0xEB, 0x2000...0x2017, 0xC000...0xC0FF]
        let mmio: [(UInt64, UInt64)] = [(0xFEC0_0000, 0x1000), (0xFED0_0000, 0x400), (0xFEE0_0000, 0x1000),
                                        (0xFF00_0000, 0x10000), (0xFEB0_0000, 0x10_0000)]
        let sizes = [1, 2, 4]
        var now: UInt64 = 0
        for k in 0..<200_000 {
            let r = next()
            if r & 1 == 0 {
                let range = ports[Int((r >> 8) % UInt64(ports.count))]
                let port = range.lowerBound &+ UInt16((r >> 16) % UInt64(range.count))
                let size = sizes[Int((r >> 40) % 3)]
                // Keep the debug-exit port out: it ends the machine, as it should.
                if port >= 0xF4 && port <= 0xF7 { continue }
                if r & 2 == 0 { _ = m.portRead(port, size: size) }
                else { m.portWrite(port, size: size, value: UInt32(truncatingIfNeeded: next())) }
            } else {
                let (base, len) = mmio[Int((r >> 8) % UInt64(mmio.count))]
                let size = [1, 2, 4, 8][Int((r >> 40) % 4)]
                let a = base + ((r >> 16) % len) & ~UInt64(size - 1)
                if r & 2 == 0 { _ = m.mmioRead(a, size: size) } else { m.mmioWrite(a, size: size, value: next()) }
            }
            if k % 97 == 0 {
                now += next() % 5_000_000          // up to 5 ms of virtual time
                m.clock.advance(to: now)
            }
        }
        XCTAssertNil(m.exitStatus, "no access ended the machine")
        XCTAssertGreaterThan(m.clock.now, 1_000_000_000, "virtual time ran with the timers armed by the guest")
        // Still alive: fw_cfg answers its signature after a fresh selector write.
        m.portWrite(0x510, size: 2, value: 0)
        let sig = (0..<4).map { _ in UInt8(m.portRead(0x511, size: 1)) }
        XCTAssertEqual(sig, Array("QEMU".utf8))
    }
}
