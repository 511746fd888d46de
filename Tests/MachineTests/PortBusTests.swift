import XCTest
import DeviceModel
@testable import Machine

/// A device that records what reaches it.
final class RecordingDevice: PortDevice {
    var reads: [(UInt16, Int)] = []
    var writes: [(UInt16, Int, UInt32)] = []
    var value: UInt32
    init(value: UInt32 = 0x1234_5678) { self.value = value }
    func read(offset: UInt16, size: Int) -> UInt32 { reads.append((offset, size)); return value }
    func write(offset: UInt16, size: Int, value: UInt32) { writes.append((offset, size, value)) }
}

final class PortBusTests: XCTestCase {
    func testAccessesReachTheDeviceAtItsOffset() throws {
        let bus = PortBus()
        let d = RecordingDevice()
        try bus.attach(d, base: 0x3F8, size: 8, name: "COM1")
        XCTAssertEqual(bus.read(0x3FD, size: 1), 0x1234_5678)
        bus.write(0x3F8, size: 2, value: 0x41)
        bus.write(0x3FF, size: 4, value: 7)
        XCTAssertEqual(d.reads.map { $0.0 }, [5])
        XCTAssertEqual(d.reads.map { $0.1 }, [1])
        XCTAssertEqual(d.writes.map { $0.0 }, [0, 7])
        XCTAssertEqual(d.writes.map { $0.1 }, [2, 4])
        XCTAssertEqual(d.writes.map { $0.2 }, [0x41, 7])
    }

    func testOverlappingAttachIsRejected() throws {
        let bus = PortBus()
        let a = RecordingDevice(), b = RecordingDevice()
        try bus.attach(a, base: 0x3F8, size: 8, name: "COM1")
        for (base, size) in [(0x3F8, 8), (0x3F0, 9), (0x3FF, 1), (0x3FA, 2), (0x300, 0x100)] as [(UInt16, UInt16)] {
            XCTAssertThrowsError(try bus.attach(b, base: base, size: size, name: "dup")) { e in
                let s = "\(e)"
                XCTAssertTrue(s.contains("COM1") && s.contains("dup"), s)
            }
        }
        // The failed attaches left no trace: ports next to COM1 are still free, COM1 still works.
        try bus.attach(b, base: 0x3F0, size: 8, name: "neighbour")
        try bus.attach(b, base: 0x400, size: 1, name: "after")
        _ = bus.read(0x3F8, size: 1)
        XCTAssertEqual(a.reads.count, 1)
        XCTAssertEqual(b.reads.count, 0)
        _ = bus.read(0x3F7, size: 1)
        XCTAssertEqual(b.reads.count, 1)
    }

    func testAttachAtTopOfPortSpace() throws {
        let bus = PortBus()
        let d = RecordingDevice()
        try bus.attach(d, base: 0xFFFC, size: 4, name: "top")
        _ = bus.read(0xFFFF, size: 1)
        XCTAssertEqual(d.reads.first?.0, 3)
        // A range running past 0xFFFF is a configuration error, not a crash.
        XCTAssertThrowsError(try PortBus().attach(d, base: 0xFFFE, size: 4, name: "wraps"))
    }

    func testUnassignedReadsAreAllOnesAndWarnOncePerPort() {
        let bus = PortBus()
        var warnings: [String] = []
        bus.log = { warnings.append($0) }
        XCTAssertEqual(bus.read(0x80, size: 1), 0xFF)
        XCTAssertEqual(bus.read(0x80, size: 2), 0xFFFF)
        XCTAssertEqual(bus.read(0x80, size: 4), 0xFFFF_FFFF)
        XCTAssertEqual(warnings.count, 1, "one warning for port 0x80")
        XCTAssertTrue(warnings[0].contains("0x80"), warnings[0])
        XCTAssertEqual(bus.read(0x81, size: 1), 0xFF)
        XCTAssertEqual(bus.read(0x81, size: 1), 0xFF)
        XCTAssertEqual(warnings.count, 2, "port 0x81 gets its own warning, once")
        XCTAssertTrue(warnings[1].contains("0x81"), warnings[1])
        bus.write(0x80, size: 1, value: 0x12)
        XCTAssertEqual(warnings.count, 2, "port 0x80 already warned about")
        bus.write(0x70, size: 1, value: 0x8F)
        XCTAssertEqual(warnings.count, 3)
        XCTAssertTrue(warnings[2].contains("0x70") && warnings[2].contains("0x8f"), warnings[2])
    }

    func testUnassignedNextToDevice() throws {
        let bus = PortBus()
        var warnings: [String] = []
        bus.log = { warnings.append($0) }
        let d = RecordingDevice(value: 0)
        try bus.attach(d, base: 0xF4, size: 4, name: "isa-debug-exit")
        XCTAssertEqual(bus.read(0xF4, size: 4), 0)
        XCTAssertEqual(bus.read(0xF8, size: 4), 0xFFFF_FFFF)
        XCTAssertEqual(bus.read(0xF3, size: 2), 0xFFFF)
        XCTAssertEqual(warnings.count, 2)
    }

    func testDetachFreesPortsAndReusesTheSlot() throws {
        let bus = PortBus()
        bus.log = { _ in }
        try bus.attach(RecordingDevice(value: 1), base: 0x60, size: 1, name: "fixed")
        for k in 0..<40_000 {
            // A BAR moving back and forth: must neither overflow nor leave ports bound.
            let base: UInt16 = k % 2 == 0 ? 0xC000 : 0xC100
            try bus.attach(RecordingDevice(value: UInt32(k)), base: base, size: 0x100, name: "bar")
            XCTAssertEqual(bus.read(base &+ 4, size: 4), UInt32(k))
            bus.detach(base: base)
            XCTAssertEqual(bus.read(base &+ 4, size: 4), 0xFFFF_FFFF, "unassigned after detach")
        }
        XCTAssertEqual(bus.bindings.count, 2)
        XCTAssertEqual(bus.read(0x60, size: 1), 1, "other bindings untouched")
    }
}
