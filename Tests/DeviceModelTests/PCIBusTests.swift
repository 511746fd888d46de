import XCTest
@testable import DeviceModel

/// Drives configuration mechanism #1 through ports 0xCF8-0xCFF as kvm-unit-tests
/// (lib/x86/asm/pci.h, lib/pci.c), Linux and SeaBIOS do (PCI 3.0, 3.2.2.3.2; 6.2.5.1).
final class PCIBusTests: XCTestCase {
    var bridge: PCIHostBridge!
    var mappingChanges = 0
    var irqEvents: [(Int, Bool)] = []

    override func setUp() {
        bridge = PCIHostBridge()
        mappingChanges = 0
        irqEvents = []
        bridge.onMappingChange = { [unowned self] in self.mappingChanges += 1 }
        bridge.setIRQ = { [unowned self] irq, level in self.irqEvents.append((irq, level)) }
    }

    // Port helpers (absolute ports, as the machine's port bus translates them).
    func outl(_ v: UInt32, _ port: UInt16) { bridge.write(offset: port - 0xCF8, size: 4, value: v) }
    func outw(_ v: UInt16, _ port: UInt16) { bridge.write(offset: port - 0xCF8, size: 2, value: UInt32(v)) }
    func outb(_ v: UInt8, _ port: UInt16) { bridge.write(offset: port - 0xCF8, size: 1, value: UInt32(v)) }
    func inl(_ port: UInt16) -> UInt32 { bridge.read(offset: port - 0xCF8, size: 4) }
    func inw(_ port: UInt16) -> UInt16 { UInt16(truncatingIfNeeded: bridge.read(offset: port - 0xCF8, size: 2)) }
    func inb(_ port: UInt16) -> UInt8 { UInt8(truncatingIfNeeded: bridge.read(offset: port - 0xCF8, size: 1)) }

    // kvm-unit-tests' accessors: CONFIG_ADDRESS holds the (possibly unaligned) register, data at 0xCFC.
    func addr(_ devfn: Int, _ reg: Int, bus: Int = 0) -> UInt32 { 0x8000_0000 | UInt32(bus << 16 | devfn << 8 | reg) }
    func cfgReadl(_ devfn: Int, _ reg: Int) -> UInt32 { outl(addr(devfn, reg), 0xCF8); return inl(0xCFC) }
    func cfgReadw(_ devfn: Int, _ reg: Int) -> UInt16 { outl(addr(devfn, reg), 0xCF8); return inw(0xCFC) }
    func cfgReadb(_ devfn: Int, _ reg: Int) -> UInt8 { outl(addr(devfn, reg), 0xCF8); return inb(0xCFC) }
    func cfgWritel(_ devfn: Int, _ reg: Int, _ v: UInt32) { outl(addr(devfn, reg), 0xCF8); outl(v, 0xCFC) }
    func cfgWritew(_ devfn: Int, _ reg: Int, _ v: UInt16) { outl(addr(devfn, reg), 0xCF8); outw(v, 0xCFC) }
    func cfgWriteb(_ devfn: Int, _ reg: Int, _ v: UInt8) { outl(addr(devfn, reg), 0xCF8); outb(v, 0xCFC) }

    /// lib/pci.c pci_bar_size(): save, write all ones, read, restore; mask info bits; ~x + 1.
    func barSize(_ devfn: Int, _ bar: Int) -> UInt64 {
        func helper(_ b: Int) -> UInt32 {
            let off = 0x10 + 4 * b
            let saved = cfgReadl(devfn, off)
            cfgWritel(devfn, off, ~0)
            let v = cfgReadl(devfn, off)
            cfgWritel(devfn, off, saved)
            return v
        }
        var size = helper(bar)
        if size == 0 { return 0 }
        let raw = cfgReadl(devfn, 0x10 + 4 * bar)
        size &= raw & 1 != 0 ? ~0x3 : ~0xF
        if raw & 1 == 0 && raw & 0x6 == 0x4 {
            let hi = UInt64(helper(bar + 1))
            return ~(hi << 32 | UInt64(size)) &+ 1
        }
        return UInt64(~size &+ 1)
    }

    /// A function with one BAR of each kind for BAR tests.
    final class BARFunction: PCIFunction, PortDevice, MMIODevice {
        var cfg: PCIConfigSpace
        var config: PCIConfigSpace { cfg }
        init() {
            cfg = PCIConfigSpace(vendorID: 0x1234, deviceID: 0x5678, classCode: 0xFF_00_00, interruptPin: 1)
            cfg.setBAR(0, .io, size: 32)
            cfg.setBAR(1, .memory32, size: 0x1000)
            cfg.setBAR(2, .memory64, size: 0x10_0000, prefetchable: true)
        }
        func configWrite(offset: Int, size: Int, value: UInt32) { cfg.write(offset: offset, size: size, value: value) }
        func barDevice(_ index: Int) -> AnyObject? { index <= 2 ? self : nil }
        func read(offset: UInt16, size: Int) -> UInt32 { 0 }
        func write(offset: UInt16, size: Int, value: UInt32) {}
        func read(offset: UInt64, size: Int) -> UInt64 { 0 }
        func write(offset: UInt64, size: Int, value: UInt64) {}
    }

    // MARK: mechanism #1

    func testHostBridgeAndPIIX3Identity() {
        XCTAssertEqual(cfgReadl(0x00, 0x00), 0x1237_8086)               // 82441FX
        XCTAssertEqual(cfgReadl(0x00, 0x08), 0x0600_0002)               // class 0600h, rev 02
        XCTAssertEqual(cfgReadb(0x00, 0x0E), 0x00)
        XCTAssertEqual(cfgReadb(0x00, 0x72), 0x02)                      // SMRAM reset
        XCTAssertEqual(cfgReadl(0x08, 0x00), 0x7000_8086)               // PIIX3 at 00:01.0
        XCTAssertEqual(cfgReadw(0x08, 0x0A), 0x0601)
        XCTAssertEqual(cfgReadb(0x08, 0x0E), 0x80)                      // multi-function
        XCTAssertEqual(cfgReadl(0x08, 0x04), 0x0200_0007)
        XCTAssertEqual(cfgReadl(0x08, 0x60), 0x8080_8080)               // PIRQ routes disabled
        XCTAssertEqual(cfgReadw(0x00, 0x2C), 0x1AF4)
    }

    func testConfigAddressIsDwordOnlyAndReadsBack() {
        outl(0x8000_0A3D, 0xCF8)
        XCTAssertEqual(inl(0xCF8), 0x8000_0A3D)                         // kept whole, low bits too
        outb(0x12, 0xCF8); outw(0x3456, 0xCFA); outb(0x78, 0xCFB)      // not CONFIG_ADDRESS accesses
        XCTAssertEqual(inl(0xCF8), 0x8000_0A3D)
        XCTAssertEqual(inb(0xCF8), 0x3D)                                // QEMU: truncated, unshifted
        XCTAssertEqual(inw(0xCFA), 0x0A3D)
    }

    func testEnableBitClearReadsOnesAndDropsWrites() {
        outl(0x0000_003C, 0xCF8)                                        // 00:00.0 reg 3Ch, disabled
        XCTAssertEqual(inl(0xCFC), 0xFFFF_FFFF)
        XCTAssertEqual(inb(0xCFD), 0xFF)
        outb(0x55, 0xCFC)
        XCTAssertEqual(cfgReadb(0x00, 0x3C), 0x00)                      // interrupt line untouched
        cfgWriteb(0x00, 0x3C, 0x55)
        XCTAssertEqual(cfgReadb(0x00, 0x3C), 0x55)
    }

    func testDataPortByteAndWordLanes() {
        outl(addr(0, 0), 0xCF8)
        XCTAssertEqual(inb(0xCFC), 0x86)
        XCTAssertEqual(inb(0xCFD), 0x80)
        XCTAssertEqual(inb(0xCFE), 0x37)
        XCTAssertEqual(inb(0xCFF), 0x12)
        XCTAssertEqual(inw(0xCFC), 0x8086)
        XCTAssertEqual(inw(0xCFE), 0x1237)
        // Linux conf1 style: aligned register, lane picks the byte; write through a lane.
        outl(addr(0x08, 0x60), 0xCF8)
        outb(0x0B, 0xCFD)                                               // PIRQB
        outw(0x0A05, 0xCFE)                                             // PIRQC, PIRQD
        XCTAssertEqual(cfgReadl(0x08, 0x60), 0x0A05_0B80)
        // kvm-unit-tests style: unaligned register in CONFIG_ADDRESS, access at 0xCFC.
        XCTAssertEqual(cfgReadb(0x08, 0x0E), 0x80)
        XCTAssertEqual(cfgReadw(0x00, 0x02), 0x1237)
        XCTAssertEqual(cfgReadb(0x08, 0x61), 0x0B)
    }

    func testAbsentFunctionsReadAllOnes() {
        XCTAssertEqual(cfgReadl(0x18, 0x00), 0xFFFF_FFFF)               // 00:03.0
        XCTAssertEqual(cfgReadw(0x09, 0x00), 0xFFFF)                    // 00:01.1
        XCTAssertEqual(cfgReadb(0xF8, 0x0E), 0xFF)
        outl(addr(0x00, 0x00, bus: 1), 0xCF8)                           // bus 1 does not exist
        XCTAssertEqual(inl(0xCFC), 0xFFFF_FFFF)
        cfgWritel(0x18, 0x04, 0x7)                                      // dropped, no crash
        XCTAssertEqual(mappingChanges, 0)
        // pci_find_dev-style scan finds exactly the two built-in functions.
        let present = (0..<256).filter { cfgReadw($0, 0) != 0xFFFF }
        XCTAssertEqual(present, [0x00, 0x08])
    }

    func testHeaderWriteMasksAndStatusW1C() {
        cfgWritew(0x00, 0x00, 0xFFFF)                                   // vendor ID read-only
        XCTAssertEqual(cfgReadw(0x00, 0x00), 0x8086)
        cfgWritew(0x00, 0x04, 0xFFFF)
        XCTAssertEqual(cfgReadw(0x00, 0x04), 0x0507)                    // I/O MEM BM SERR INTxDis
        cfgWriteb(0x00, 0x0C, 0x10)
        XCTAssertEqual(cfgReadb(0x00, 0x0C), 0x10)                      // cache line size
        cfgWriteb(0x00, 0x3D, 0x01)
        XCTAssertEqual(cfgReadb(0x00, 0x3D), 0x00)                      // interrupt pin read-only
        cfgWritel(0x00, 0x50, 0xDEAD_BEEF)
        XCTAssertEqual(cfgReadl(0x00, 0x50), 0xDEAD_BEEF)               // device-specific storage
        let f = BARFunction()
        f.cfg.set16(0x06, 0xF910)                                       // errors + capabilities
        bridge.attach(f, device: 5)
        cfgWritew(0x28, 0x06, 0x2100)                                   // clear master abort, parity
        XCTAssertEqual(cfgReadw(0x28, 0x06), 0xD810)
        cfgWritew(0x28, 0x06, 0x0010)                                   // writing 1 to a RO bit: no-op
        XCTAssertEqual(cfgReadw(0x28, 0x06), 0xD810)
    }

    func testUnalignedDataAccessClipsAtEndOfSpace() {
        outl(addr(0x00, 0xFC), 0xCF8)
        outl(0x1122_3344, 0xCFC)
        XCTAssertEqual(cfgReadl(0x00, 0xFC), 0x1122_3344)
        outl(addr(0x00, 0xFC), 0xCF8)
        XCTAssertEqual(inw(0xCFE), 0x1122)
        XCTAssertEqual(inl(0xCFE), 0x0000_1122)                         // bytes past FFh do not exist
    }

    // MARK: BARs and mapping

    func testBARSizingAllKinds() {
        bridge.attach(BARFunction(), device: 4)
        let d = 4 << 3
        XCTAssertEqual(cfgReadl(d, 0x10), 0x1)                          // I/O type bit
        XCTAssertEqual(cfgReadl(d, 0x18), 0xC)                          // 64-bit prefetchable
        cfgWritel(d, 0x10, ~0); XCTAssertEqual(cfgReadl(d, 0x10), 0xFFFF_FFE1)
        cfgWritel(d, 0x14, ~0); XCTAssertEqual(cfgReadl(d, 0x14), 0xFFFF_F000)
        cfgWritel(d, 0x18, ~0); XCTAssertEqual(cfgReadl(d, 0x18), 0xFFF0_000C)
        cfgWritel(d, 0x1C, ~0); XCTAssertEqual(cfgReadl(d, 0x1C), 0xFFFF_FFFF)
        cfgWritel(d, 0x20, ~0); XCTAssertEqual(cfgReadl(d, 0x20), 0)    // unimplemented BAR4
        XCTAssertEqual(barSize(d, 0), 32)
        XCTAssertEqual(barSize(d, 1), 0x1000)
        XCTAssertEqual(barSize(d, 2), 0x10_0000)
        XCTAssertEqual(barSize(d, 5), 0)
        cfgWritel(d, 0x30, ~0); XCTAssertEqual(cfgReadl(d, 0x30), 0)    // no expansion ROM
    }

    func testMappingChangeCallbackAndRegions() {
        let f = BARFunction()
        bridge.attach(f, device: 4)
        let d = 4 << 3
        cfgWritel(d, 0x10, 0xC040)
        cfgWritel(d, 0x14, 0xFEB0_0000)
        XCTAssertEqual(mappingChanges, 0)                               // decode still disabled
        XCTAssertTrue(bridge.ioRegions().isEmpty)
        cfgWritew(d, 0x04, 0x0001)                                      // I/O enable
        XCTAssertEqual(mappingChanges, 1)
        let io = bridge.ioRegions()
        XCTAssertEqual(io.count, 1)
        XCTAssertEqual(io.first?.base, 0xC040)
        XCTAssertEqual(io.first?.size, 32)
        XCTAssertTrue(io.first?.device === f)
        XCTAssertTrue(bridge.mmioRegions().isEmpty)
        cfgWritew(d, 0x04, 0x0003)                                      // + memory
        XCTAssertEqual(mappingChanges, 2)
        XCTAssertEqual(bridge.mmioRegions().map { $0.base }, [0xFEB0_0000])  // 64-bit BAR at 0: off
        cfgWritel(d, 0x18, 0x0000_0000); cfgWritel(d, 0x1C, 0x1)       // 64-bit BAR at 4 GiB
        XCTAssertEqual(mappingChanges, 3)
        let mm = bridge.mmioRegions()
        XCTAssertEqual(mm.map { $0.base }, [0xFEB0_0000, 0x1_0000_0000])
        XCTAssertEqual(mm.map { $0.size }, [0x1000, 0x10_0000])
        cfgWritel(d, 0x14, 0xFEB0_0000)                                 // same value: no change
        cfgWriteb(d, 0x3C, 11)                                          // unrelated register
        XCTAssertEqual(mappingChanges, 3)
        // Sizing with decode on: all ones is not a valid address, the BAR drops out and returns.
        cfgWritel(d, 0x14, ~0)
        XCTAssertEqual(mappingChanges, 4)
        XCTAssertEqual(bridge.mmioRegions().count, 1)
        cfgWritel(d, 0x14, 0xFEB0_0000)
        XCTAssertEqual(mappingChanges, 5)
        XCTAssertEqual(bridge.mmioRegions().count, 2)
        cfgWritel(d, 0x10, 0x1_0000)                                    // I/O past 64 KiB: not mapped
        XCTAssertTrue(bridge.ioRegions().isEmpty)
        cfgWritew(d, 0x04, 0x0000)
        XCTAssertTrue(bridge.mmioRegions().isEmpty)
    }

    func testAssignResourcesLikeFirmware() {
        let f = BARFunction()
        bridge.attach(f, device: 3)
        let t = PCITestdev()
        bridge.attach(t, device: 4)
        bridge.assignResources()
        XCTAssertEqual(mappingChanges, 1)
        XCTAssertEqual(cfgReadl(0x20, 0x14) & ~1, 0xC000)               // biggest I/O BAR first
        XCTAssertEqual(cfgReadl(0x18, 0x10) & ~1, 0xC100)
        let mm = bridge.mmioRegions().sorted { $0.base < $1.base }
        XCTAssertEqual(mm.map { $0.size }, [0x10_0000, 0x1000, 0x1000])
        // packed below 0xFEC00000, base aligned down to the biggest BAR (1 MiB)
        XCTAssertEqual(mm.first?.base, (0xFEC0_0000 - 0x10_2000) & ~0xF_FFFF)
        XCTAssertEqual(mm.map { $0.base - mm[0].base }, [0, 0x10_0000, 0x10_1000])
        for r in mm { XCTAssertEqual(r.base % r.size, 0) }
        XCTAssertEqual(bridge.ioRegions().count, 2)
        XCTAssertEqual(cfgReadl(0x08, 0x60), 0x0B0B_0A0A)               // PIRQA-D -> 10 10 11 11
        XCTAssertEqual(cfgReadb(0x18, 0x3C), 11)                        // slot 3 INTA -> PIRQC
        XCTAssertEqual(cfgReadb(0x20, 0x3C), 0)                         // testdev: no pin
        XCTAssertEqual(cfgReadw(0x20, 0x04) & 0x0103, 0x0103)
    }

    // MARK: PIIX3

    func testPIRQRoutingDrivesISAIRQs() {
        bridge.attach(BARFunction(), device: 3)
        bridge.setINTx(device: 3, pin: 1, level: true)                  // link C, still disabled
        XCTAssertTrue(irqEvents.isEmpty)
        XCTAssertNil(bridge.intxRoute(device: 3, pin: 1))
        cfgWriteb(0x08, 0x62, 11)                                       // PIRQC -> IRQ 11
        XCTAssertEqual(bridge.intxRoute(device: 3, pin: 1), 11)
        XCTAssertEqual(irqEvents.map { $0.0 }, [11]); XCTAssertEqual(irqEvents.last?.1, true)
        bridge.setINTx(device: 4, pin: 4, level: true)                  // (3 + 3) & 3 = link C too
        XCTAssertEqual(irqEvents.count, 1)                              // wired-OR: no new edge
        bridge.setINTx(device: 3, pin: 1, level: false)
        XCTAssertEqual(irqEvents.count, 1)
        cfgWriteb(0x08, 0x62, 5)                                        // re-route: 11 drops, 5 rises
        XCTAssertEqual(irqEvents.suffix(2).map { "\($0.0)=\($0.1)" }, ["5=true", "11=false"])
        cfgWriteb(0x08, 0x62, 0x85)                                     // bit 7: disabled
        XCTAssertEqual(irqEvents.last.map { "\($0.0)=\($0.1)" }, "5=false")
        XCTAssertEqual(cfgReadb(0x08, 0x62), 0x85)
    }

    func testResetControlRegisterAtCF9() {
        var resets = 0
        bridge.onReset = { resets += 1 }
        outl(0x8000_0000, 0xCF8)
        outb(0x02, 0xCF9)
        XCTAssertEqual(inb(0xCF9), 0x02)
        XCTAssertEqual(inl(0xCF8), 0x8000_0000)                         // CONFIG_ADDRESS untouched
        outb(0x0A, 0xCF9)                                               // bit 2 clear: no reset
        XCTAssertEqual(resets, 0)
        XCTAssertEqual(inb(0xCF9), 0x02)                                // only bit 1 is kept
        outb(0x06, 0xCF9)                                               // hard reset + reset CPU
        XCTAssertEqual(resets, 1)
        bridge.reset()
        XCTAssertEqual(inb(0xCF9), 0)
        XCTAssertEqual(inl(0xCF8), 0)
    }

    func testPAMWriteIsReported() {
        var log: [String] = []
        let saved = DeviceLog.sink
        DeviceLog.sink = { log.append($0) }
        defer { DeviceLog.sink = saved }
        cfgWriteb(0x00, 0x59, 0x30)
        XCTAssertEqual(cfgReadb(0x00, 0x59), 0x30)
        XCTAssertTrue(log.contains { $0.contains("PAM") } || DeviceLog.seen.contains { $0.contains("PAM/SMRAM register 59h") })
    }

    func testStateRoundTrip() throws {
        cfgWriteb(0x08, 0x60, 10)
        outl(addr(0x00, 0x10), 0xCF8)
        let data = try JSONEncoder().encode(bridge.state)
        let restored = PCIHostBridge(state: try JSONDecoder().decode(PCIHostBridge.State.self, from: data))
        XCTAssertEqual(restored.state, bridge.state)
        XCTAssertEqual(restored.pirqRoute(0), 10)
        XCTAssertEqual(restored.read(offset: 0, size: 4), addr(0x00, 0x10))
    }
}
