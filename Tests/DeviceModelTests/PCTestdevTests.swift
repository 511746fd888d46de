import XCTest
@testable import DeviceModel

/// pc-testdev as x86/emulator.c, x86/realmode.c, x86/eventinj.c and x86/ioapic.c use it
/// (QEMU hw/misc/pc-testdev.c is the reference).
final class PCTestdevTests: XCTestCase {
    var dev: PCTestdev!
    var irqs: [String] = []

    override func setUp() {
        irqs = []
        dev = PCTestdev { [unowned self] n, level in self.irqs.append("\(n)=\(level ? 1 : 0)") }
    }

    /// The port windows at their ISA addresses.
    func window(_ port: UInt16) -> (PortDevice, UInt16) {
        switch port {
        case 0xE0...0xE3: return (dev.scratch, port - 0xE0)
        case 0xE4...0xE7: return (dev.flushPage, port - 0xE4)
        case 0xE8...0xEB: return (dev.scratchBytes, port - 0xE8)
        case 0x2000...0x2017: return (dev.irqLines, port - 0x2000)
        default: fatalError("port \(port)")
        }
    }
    func out(_ port: UInt16, _ size: Int, _ v: UInt32) { let (d, o) = window(port); d.write(offset: o, size: size, value: v) }
    func inp(_ port: UInt16, _ size: Int) -> UInt32 { let (d, o) = window(port); return d.read(offset: o, size: size) }

    func testScratchLanes() {
        out(0xE0, 4, 0x1122_3344)
        XCTAssertEqual([0xE0, 0xE1, 0xE2, 0xE3].map { inp($0, 1) }, [0x44, 0x33, 0x22, 0x11])
        XCTAssertEqual(inp(0xE2, 2), 0x1122)
        XCTAssertEqual(inp(0xE1, 2), 0x2233)
        out(0xE1, 1, 0xAA)
        XCTAssertEqual(inp(0xE0, 4), 0x1122_AA44)
        out(0xE2, 2, 0xBEEF)
        XCTAssertEqual(inp(0xE0, 4), 0xBEEF_AA44)
        out(0xE3, 2, 0x5566)                                            // lane 3 only; 0xE4 is not ours
        XCTAssertEqual(inp(0xE0, 4), 0x66EF_AA44)
        XCTAssertEqual(inp(0xE3, 2), 0x66)
    }

    func testRealmodeAndStringIOPatterns() {
        // realmode.flat test_io: out then in of each width through 0xE0.
        for (size, v) in [(1, UInt32(0xFF)), (2, 0xFFFF), (4, 0xFFFF_FFFF)] {
            out(0xE0, 4, 0)
            out(0xE0, size, v)
            XCTAssertEqual(inp(0xE0, size), v)
        }
        // emulator.flat test_stringio: rep outsb keeps the last byte; outw then rep insb reads 0x99.
        for c in "abcdefghijklmnop".utf8 { out(0xE0, 1, UInt32(c)) }
        XCTAssertEqual(inp(0xE0, 1), UInt32(UInt8(ascii: "p")))
        out(0xE0, 2, 0x9999)
        XCTAssertEqual((0..<1024).map { _ in inp(0xE0, 1) }.last, 0x99)
    }

    func testByteSplitWindowSharesTheRegister() {
        out(0xE8, 4, 0xCAFE_F00D)
        XCTAssertEqual(inp(0xE0, 4), 0xCAFE_F00D)
        XCTAssertEqual(inp(0xEA, 2), 0xCAFE)
        out(0xE0, 4, 0x0102_0304)
        XCTAssertEqual(inp(0xE9, 1), 0x03)
        out(0xEB, 2, 0xA1B2)                                            // bytes at lanes 3 and 0
        XCTAssertEqual(inp(0xE0, 4), 0xB202_03A1)
        XCTAssertEqual(inp(0xEB, 2), 0xA1B2)
    }

    func testFlushPageIsAcceptedAndInvisible() {
        out(0xE0, 4, 0x1234_5678)
        out(0xE4, 4, 0x0040_2000)
        XCTAssertEqual(inp(0xE4, 4), 0)
        XCTAssertEqual(inp(0xE0, 4), 0x1234_5678)
        XCTAssertEqual(irqs, [])
    }

    func testIRQLines() {
        out(0x200E, 1, 1)                                               // ioapic.flat set_irq_line(0x0e, 1)
        out(0x200E, 1, 0)
        out(0x200F, 1, 0x80)                                            // any nonzero level is high
        out(0x2000, 1, 1)
        out(0x2017, 1, 1)
        XCTAssertEqual(irqs, ["14=1", "14=0", "15=1", "0=1", "23=1"])
        out(0x2003, 2, 1)                                               // only byte writes are valid
        out(0x2004, 4, 1)
        XCTAssertEqual(irqs.count, 5)
        XCTAssertEqual(inp(0x200E, 1), 0)
    }

    func testIOMem() {
        let m = dev.iomem
        m.write(offset: 0, size: 8, value: 0x0807_0605_0403_0201)
        XCTAssertEqual(m.read(offset: 0, size: 1), 0x01)
        XCTAssertEqual(m.read(offset: 1, size: 2), 0x0302)
        XCTAssertEqual(m.read(offset: 4, size: 4), 0x0807_0605)
        XCTAssertEqual(m.read(offset: 0, size: 8), 0x0807_0605_0403_0201)
        m.write(offset: 4095, size: 2, value: 0x88AA)                  // emulator.flat cross-page write
        XCTAssertEqual(m.read(offset: 4095, size: 1), 0xAA)
        XCTAssertEqual(m.read(offset: 4096, size: 1), 0x88)
        m.write(offset: 0xFFFE, size: 4, value: 0xDDCC_BBAA)           // past the end: dropped
        XCTAssertEqual(m.read(offset: 0xFFFE, size: 4), 0xBBAA)
        XCTAssertEqual(dev.state.iomem.count, PCTestdev.iomemSize)
    }

    func testStateRoundTrip() throws {
        out(0xE0, 4, 0xFEED_BEEF)
        dev.iomem.write(offset: 0x100, size: 4, value: 0x1234_5678)
        let data = try JSONEncoder().encode(dev.state)
        let copy = PCTestdev(state: try JSONDecoder().decode(PCTestdev.State.self, from: data))
        XCTAssertEqual(copy.scratch.read(offset: 0, size: 4), 0xFEED_BEEF)
        XCTAssertEqual(copy.iomem.read(offset: 0x100, size: 4), 0x1234_5678)
    }
}
