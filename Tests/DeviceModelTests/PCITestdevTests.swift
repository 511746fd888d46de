import XCTest
@testable import DeviceModel

/// pci-testdev driven the way kvm-unit-tests drives it: found by a config-space scan
/// (lib/pci.c pci_find_dev), BARs read (pci_dev_init), then lib/pci-testdev.c pci_testdev()
/// over the memory BAR and the I/O BAR, and x86/vmexit.c's test walk (QEMU
/// hw/misc/pci-testdev.c is the reference for the register layout).
final class PCITestdevTests: XCTestCase {
    var bridge: PCIHostBridge!
    var dev: PCITestdev!

    override func setUp() {
        bridge = PCIHostBridge()
        dev = PCITestdev()
        bridge.attach(dev, device: 3)
        bridge.assignResources()
    }

    func cfgReadl(_ devfn: Int, _ reg: Int) -> UInt32 {
        bridge.write(offset: 0, size: 4, value: 0x8000_0000 | UInt32(devfn << 8 | reg))
        return bridge.read(offset: 4, size: 4)
    }
    func cfgReadw(_ devfn: Int, _ reg: Int) -> UInt16 {
        bridge.write(offset: 0, size: 4, value: 0x8000_0000 | UInt32(devfn << 8 | reg))
        return UInt16(truncatingIfNeeded: bridge.read(offset: 4, size: 2))
    }

    /// A guest view of one BAR window with byte/word/dword accessors (MMIO or port I/O).
    struct Window {
        let readFn: (Int, Int) -> UInt32
        let writeFn: (Int, Int, UInt32) -> Void
        func readb(_ o: Int) -> UInt8 { UInt8(truncatingIfNeeded: readFn(o, 1)) }
        func readl(_ o: Int) -> UInt32 { readFn(o, 4) }
        func writeb(_ v: UInt8, _ o: Int) { writeFn(o, 1, UInt32(v)) }
        func writew(_ v: UInt16, _ o: Int) { writeFn(o, 2, UInt32(v)) }
        func writel(_ v: UInt32, _ o: Int) { writeFn(o, 4, v) }
    }

    /// The windows as the machine maps them, looked up from the bridge's regions.
    func windows() -> (mem: Window, io: Window) {
        let m = bridge.mmioRegions()
        let p = bridge.ioRegions()
        XCTAssertEqual(m.count, 1); XCTAssertEqual(p.count, 1)
        let md = m[0].device, pd = p[0].device
        return (Window(readFn: { UInt32(truncatingIfNeeded: md.read(offset: UInt64($0), size: $1)) },
                       writeFn: { md.write(offset: UInt64($0), size: $1, value: UInt64($2)) }),
                Window(readFn: { pd.read(offset: UInt16($0), size: $1) },
                       writeFn: { pd.write(offset: UInt16($0), size: $1, value: $2) }))
    }

    /// lib/pci-testdev.c pci_testdev_one(): select, check count 0, check width, 16 writes of
    /// `data` at `offset`, count must be 0 (eventfd) or 16.
    func testdevOne(_ w: Window, _ nr: Int) -> Bool {
        w.writeb(UInt8(nr), 0)
        guard w.readl(12) == 0 else { return false }
        let width = w.readb(1)
        guard width == 1 || width == 2 || width == 4 else { return false }
        let sig = w.readl(8), off = Int(w.readl(4))
        for _ in 0..<16 {
            switch width {
            case 1: w.writeb(UInt8(truncatingIfNeeded: sig), off)
            case 2: w.writew(UInt16(truncatingIfNeeded: sig), off)
            default: w.writel(sig, off)
            }
        }
        let count = w.readl(12)
        return count == 0 || count == 16
    }
    func name(_ w: Window) -> String {
        var s = ""
        for i in 0... { let c = w.readb(16 + i); if c == 0 { break }; s.append(Character(UnicodeScalar(c))) }
        return s
    }
    func testdevAll(_ w: Window) -> [String] {
        var names: [String] = []
        var i = 0
        while testdevOne(w, i) { names.append(name(w)); i += 1 }
        return names
    }

    func testFoundByScanWithIDsAndClass() {
        let found = (0..<256).first { cfgReadw($0, 0) == 0x1B36 && cfgReadw($0, 2) == 0x0005 }
        XCTAssertEqual(found, 3 << 3)
        XCTAssertEqual(cfgReadl(0x18, 0x08), 0x00FF_0000)               // class 00FFh, rev 0
        XCTAssertEqual(cfgReadl(0x18, 0x3C) >> 8 & 0xFF, 0)             // no interrupt pin
        XCTAssertEqual(cfgReadl(0x18, 0x10) & 0x1, 0)                   // BAR0 memory
        XCTAssertEqual(cfgReadl(0x18, 0x14) & 0x1, 1)                   // BAR1 I/O
    }

    func testBARSizesByAllOnes() {
        for (reg, expect) in [(0x10, UInt32(0xFFFF_F000)), (0x14, 0xFFFF_FF01)] {
            let saved = cfgReadl(0x18, reg)
            bridge.write(offset: 0, size: 4, value: 0x8000_1800 | UInt32(reg))
            bridge.write(offset: 4, size: 4, value: ~0)
            XCTAssertEqual(cfgReadl(0x18, reg), expect)
            bridge.write(offset: 0, size: 4, value: 0x8000_1800 | UInt32(reg))
            bridge.write(offset: 4, size: 4, value: saved)
        }
        XCTAssertEqual(bridge.mmioRegions().first?.size, 4096)
        XCTAssertEqual(bridge.ioRegions().first?.size, 256)
        XCTAssertEqual(UInt64(cfgReadl(0x18, 0x10)), bridge.mmioRegions().first?.base)
    }

    func testKvmUnitTestsPciTestdevPasses() {
        let (mem, io) = windows()
        XCTAssertEqual(testdevAll(mem), ["mmio-no-eventfd", "mmio-wildcard-eventfd", "mmio-datamatch-eventfd"])
        XCTAssertEqual(testdevAll(io), ["portio-no-eventfd", "portio-wildcard-eventfd", "portio-datamatch-eventfd"])
        // the guest's count check passed with 16 real hits, not with the eventfd 0
        io.writeb(2, 0)
        XCTAssertEqual(io.readl(12), 0)
        io.writeb(0xFA, 133)
        XCTAssertEqual(io.readl(12), 1)
    }

    func testHeaderLayoutPerTest() {
        let (mem, io) = windows()
        mem.writeb(1, 0)
        XCTAssertEqual(mem.readb(0), 1)                                 // global index
        XCTAssertEqual(mem.readb(1), 1)
        XCTAssertEqual(mem.readl(4), 2049)
        XCTAssertEqual(mem.readl(8), 0xCE)
        io.writeb(0, 0)
        XCTAssertEqual(io.readb(0), 3)
        XCTAssertEqual(io.readl(4), 131)
        XCTAssertEqual(io.readl(8), 0xFA)
        XCTAssertEqual(mem.readl(4), 131)                               // one selection for both windows
        XCTAssertEqual(io.readb(16 + 17), 0)                            // "portio-no-eventfd" NUL
        XCTAssertEqual(io.readb(16 + 16), UInt8(ascii: "d"))
        XCTAssertEqual(io.readb(200), 0)
    }

    func testMatchingRules() {
        let (mem, _) = windows()
        mem.writeb(2, 0)                                                // datamatch @2050, 0xFA
        mem.writeb(0xCE, 2050)
        mem.writeb(0xFA, 2049)
        XCTAssertEqual(mem.readl(12), 0)
        mem.writeb(0xFA, 2050)
        XCTAssertEqual(mem.readl(12), 1)
        mem.writel(0x0000_00FA, 2050)                                   // split into bytes: one hit
        XCTAssertEqual(mem.readl(12), 2)
        mem.writeb(1, 0)                                                // wildcard @2049, any data
        XCTAssertEqual(mem.readl(12), 0)
        mem.writeb(0x00, 2049); mem.writeb(0x77, 2049)
        XCTAssertEqual(mem.readl(12), 2)
        mem.writeb(0, 0)                                                // no-eventfd: data 0xFA only
        mem.writeb(0x11, 2048); mem.writeb(0xFA, 2048)
        XCTAssertEqual(mem.readl(12), 1)
    }

    func testDeselectAndVmexitWalk() {
        let (mem, io) = windows()
        mem.writeb(3, 0)                                                // out of range: none selected
        XCTAssertEqual(mem.readb(1), 0)
        XCTAssertEqual(mem.readl(12), 0)
        mem.writeb(0xFA, 2048)
        XCTAssertEqual(dev.state.counts, [0, 0, 0, 0, 0, 0])
        // x86/vmexit.c pci_next(): increment test_idx until width is not 1/2/4.
        var widths: [UInt8] = []
        for idx in 0..<8 {
            io.writeb(UInt8(idx), 0)
            let w = io.readb(1)
            if w != 1 && w != 2 && w != 4 { break }
            widths.append(w)
        }
        XCTAssertEqual(widths, [1, 1, 1])
        dev.reset()
        XCTAssertEqual(io.readb(0), 0)
    }
}
