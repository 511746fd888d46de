import XCTest
@testable import DeviceModel

/// Guest RAM for DMA tests: `size` bytes at physical 0; anything else is not RAM.
final class FwCfgTestRAM: GuestMemory {
    var bytes: [UInt8]
    init(size: Int) { bytes = [UInt8](repeating: 0, count: size) }
    func read(_ pa: UInt64, count: Int) -> [UInt8]? {
        guard pa <= UInt64(bytes.count), UInt64(count) <= UInt64(bytes.count) - pa else { return nil }
        return Array(bytes[Int(pa)..<Int(pa) + count])
    }
    func write(_ pa: UInt64, _ b: [UInt8]) -> Bool {
        guard pa <= UInt64(bytes.count), UInt64(b.count) <= UInt64(bytes.count) - pa else { return false }
        bytes.replaceSubrange(Int(pa)..<Int(pa) + b.count, with: b)
        return true
    }
    func be32(_ pa: Int) -> UInt32 { bytes[pa..<pa + 4].reduce(0) { $0 << 8 | UInt32($1) } }
    func putBE(_ pa: Int, _ v: UInt64, _ n: Int) {
        for i in 0..<n { bytes[pa + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(n - 1 - i))) }
    }
}

/// Drives fw_cfg at 0x510 (offsets 0, 1, 4, 8) as SeaBIOS and the Linux qemu_fw_cfg driver do:
/// `outw(key, 0x510)`, `inb(0x511)`, `outl(cpu_to_be32(hi), 0x514)`, `outl(cpu_to_be32(lo), 0x518)`.
final class QEMUFwCfgTests: XCTestCase {
    var ram: FwCfgTestRAM!
    var fw: QEMUFwCfg!

    override func setUp() {
        ram = FwCfgTestRAM(size: 0x10000)
        fw = QEMUFwCfg(memory: ram)
    }

    func select(_ key: UInt16) { fw.write(offset: 0, size: 2, value: UInt32(key)) }
    func readBytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8(truncatingIfNeeded: fw.read(offset: 1, size: 1)) } }
    func readItem(_ key: UInt16, _ n: Int) -> [UInt8] { select(key); return readBytes(n) }

    /// Writes an FWCfgDmaAccess at `desc` and triggers it through the two big-endian halves.
    func dma(desc: Int, control: UInt32, length: UInt32, address: UInt64) -> UInt32 {
        ram.putBE(desc, UInt64(control), 4); ram.putBE(desc + 4, UInt64(length), 4); ram.putBE(desc + 8, address, 8)
        trigger(UInt64(desc))
        return ram.be32(desc)
    }
    func trigger(_ a: UInt64) {
        fw.write(offset: 4, size: 4, value: UInt32(truncatingIfNeeded: a >> 32).byteSwapped)
        fw.write(offset: 8, size: 4, value: UInt32(truncatingIfNeeded: a).byteSwapped)
    }

    func testSignatureAndInitialSelection() {
        XCTAssertEqual(readBytes(4), Array("QEMU".utf8), "signature selected at start")
        XCTAssertEqual(readItem(0, 6), Array("QEMU".utf8) + [0, 0], "past the end reads 0")
    }

    func testIDAndDMASignatureWithAndWithoutDMA() {
        XCTAssertEqual(readItem(1, 4), [3, 0, 0, 0], "traditional + DMA")
        XCTAssertEqual(fw.read(offset: 4, size: 4), 0x554D_4551, "\"QEMU\" in memory order")
        XCTAssertEqual(fw.read(offset: 8, size: 4), 0x4746_4320, "\" CFG\"")
        XCTAssertEqual((4..<12).map { UInt8(fw.read(offset: UInt16($0), size: 1)) }, Array("QEMU CFG".utf8))
        XCTAssertEqual(fw.read(offset: 2, size: 1), 0xFF, "0x512 not decoded")
        let plain = QEMUFwCfg(memory: nil)
        plain.write(offset: 0, size: 2, value: 1)
        XCTAssertEqual((0..<4).map { _ in UInt8(plain.read(offset: 1, size: 1)) }, [1, 0, 0, 0])
        XCTAssertEqual(plain.read(offset: 4, size: 4), 0xFFFF_FFFF, "no DMA register")
        XCTAssertFalse(plain.dmaEnabled)
    }

    func testFileDirectoryLayoutSortedByName() {
        let e820 = [UInt8](repeating: 0xE8, count: 20)
        XCTAssertEqual(fw.addFile("etc/e820", e820), 0x20)
        XCTAssertEqual(fw.addFile("bootorder", Array("/pci\n".utf8)), 0x20, "sorts first")
        XCTAssertEqual(fw.addFile("opt/x", []), 0x22)
        XCTAssertEqual(fw.addFile("etc/acpi/tables", [UInt8](repeating: 1, count: 300)), 0x21)
        XCTAssertEqual(fw.selector(ofFile: "etc/e820"), 0x22, "renumbered as QEMU does")
        let dir = readItem(0x19, 4 + 4 * 64 + 4)
        XCTAssertEqual(Array(dir[0..<4]), [0, 0, 0, 4], "big-endian count")
        let expect: [(String, UInt32, UInt16)] = [("bootorder", 5, 0x20), ("etc/acpi/tables", 300, 0x21),
                                                  ("etc/e820", 20, 0x22), ("opt/x", 0, 0x23)]
        for (i, (name, size, sel)) in expect.enumerated() {
            let e = Array(dir[4 + 64 * i..<4 + 64 * (i + 1)])
            XCTAssertEqual(e[0..<4].reduce(0) { $0 << 8 | UInt32($1) }, size, name)
            XCTAssertEqual(UInt16(e[4]) << 8 | UInt16(e[5]), sel, name)
            XCTAssertEqual(Array(e[6..<8]), [0, 0])
            XCTAssertEqual(Array(e[8..<8 + name.utf8.count]), Array(name.utf8))
            XCTAssertTrue(e[8 + name.utf8.count..<64].allSatisfy { $0 == 0 }, "NUL-padded name")
        }
        XCTAssertEqual(Array(dir[260...]), [0, 0, 0, 0], "directory ends after the last entry")
        XCTAssertEqual(readItem(0x22, 21), e820 + [0])
    }

    func testFileReadViaPortAndReplace() {
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let sel = fw.addFile("etc/table-loader", data)
        XCTAssertEqual(readItem(sel, 1000), data)
        XCTAssertEqual(readBytes(3), [0, 0, 0], "long read past the end gives 0")
        XCTAssertEqual(fw.state.offset, 1000, "offset stops at the end")
        fw.addFile("etc/table-loader", [9, 8])
        XCTAssertEqual(readItem(sel, 3), [9, 8, 0])
        XCTAssertEqual(readItem(0x19, 8), [0, 0, 0, 1, 0, 0, 0, 2], "directory size updated")
    }

    func testSelectorChangeResetsOffsetAndWriteChannelBit() {
        XCTAssertEqual(readItem(0, 2), Array("QE".utf8))
        select(0)
        XCTAssertEqual(readBytes(1), Array("Q".utf8), "reselecting restarts at 0")
        fw.setItem(0x05, [7, 0])
        XCTAssertEqual(readItem(0x4005, 2), [7, 0], "bit 14 is ignored for the lookup")
        fw.write(offset: 1, size: 2, value: 0)       // a 16-bit write at 0x511 also selects (QEMU)
        XCTAssertEqual(readBytes(1), Array("Q".utf8))
        XCTAssertEqual(readItem(0x1234, 2), [0, 0], "unknown key reads 0")
    }

    func testNumericItemsAreLittleEndianAndArchLocal() {
        fw.setU16(0x05, 0x0102)
        fw.setU32(0x03, 0x0A0B_0C0D)
        fw.setU64(0x8003, 0x1122_3344_5566_7788)
        XCTAssertEqual(readItem(0x05, 2), [0x02, 0x01])
        XCTAssertEqual(readItem(0x03, 4), [0x0D, 0x0C, 0x0B, 0x0A])
        XCTAssertEqual(readItem(0x8003, 8), [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11])
        fw.addFile("f", [1])
        XCTAssertEqual(readItem(0x8020, 1), [0], "arch-local keys are not files")
        XCTAssertEqual(readItem(0x0020, 1), [1])
    }

    func testDataPortWritesIgnoredAndWideReadsInvalid() {
        select(0)
        fw.write(offset: 1, size: 1, value: 0x41)
        XCTAssertEqual(fw.item(0), Array("QEMU".utf8), "write ignored")
        XCTAssertEqual(fw.read(offset: 1, size: 2), 0, "only byte reads are valid")
        XCTAssertEqual(fw.state.offset, 0)
        XCTAssertEqual(readBytes(4), Array("QEMU".utf8))
    }

    func testDMAReadOfAFile() {
        let data = (0..<300).map { UInt8(truncatingIfNeeded: $0 ^ 0x33) }
        let sel = fw.addFile("etc/acpi/rsdp", data)
        let ctl = dma(desc: 0x1000, control: UInt32(sel) << 16 | 0x08 | 0x02, length: 300, address: 0x2000)
        XCTAssertEqual(ctl, 0, "all bits clear: done")
        XCTAssertEqual(Array(ram.bytes[0x2000..<0x2000 + 300]), data)
        XCTAssertEqual(fw.state.selector, sel)
        XCTAssertEqual(fw.state.offset, 300)
        XCTAssertEqual(fw.state.dmaAddress, 0, "address register 0 after an operation")
    }

    func testDMASelectSkipThenReadAndMixedWithPorts() {
        let sel = fw.addFile("k", Array(0..<16))
        XCTAssertEqual(dma(desc: 0x100, control: UInt32(sel) << 16 | 0x08 | 0x04, length: 3, address: 0), 0)
        XCTAssertEqual(dma(desc: 0x100, control: 0x02, length: 4, address: 0x3000), 0)
        XCTAssertEqual(Array(ram.bytes[0x3000..<0x3004]), [3, 4, 5, 6])
        XCTAssertEqual(readBytes(2), [7, 8], "the port continues at the DMA offset")
        // Neither read, write nor skip: nothing moves, control cleared.
        XCTAssertEqual(dma(desc: 0x100, control: 0x20, length: 4, address: 0x3000), 0)
        XCTAssertEqual(fw.state.offset, 9)
    }

    func testDMAReadPastEndFillsZeros() {
        let sel = fw.addFile("small", [1, 2, 3, 4, 5])
        for i in 0x4000..<0x4010 { ram.bytes[i] = 0xEE }
        XCTAssertEqual(dma(desc: 0x100, control: UInt32(sel) << 16 | 0x0A, length: 10, address: 0x4000), 0)
        XCTAssertEqual(Array(ram.bytes[0x4000..<0x4010]), [1, 2, 3, 4, 5, 0, 0, 0, 0, 0] + [UInt8](repeating: 0xEE, count: 6))
    }

    func testDMAToBadAddressesSetsErrorNeverCrashes() {
        let sel = fw.addFile("f", [UInt8](repeating: 0xAB, count: 64))
        // Buffer beyond RAM.
        XCTAssertEqual(dma(desc: 0x100, control: UInt32(sel) << 16 | 0x0A, length: 64, address: 0x1_0000_0000) & 1, 1)
        // Buffer straddling the end of RAM.
        XCTAssertEqual(dma(desc: 0x100, control: UInt32(sel) << 16 | 0x0A, length: 64, address: 0xFFF0) & 1, 1)
        // Zero fill past the end into a bad buffer.
        XCTAssertEqual(dma(desc: 0x100, control: 0x02, length: 8, address: 0xFFFF_FFFF_FFFF_FFF0) & 1, 1)
        // Descriptor outside RAM: nothing to write the status to, nothing happens.
        trigger(0x8_0000_0000)
        XCTAssertEqual(fw.state.dmaAddress, 0)
        // Descriptor straddling the end of RAM: its control field gets the error bit.
        trigger(0xFFF8)
        XCTAssertEqual(ram.be32(0xFFF8), 1)
    }

    func testDMAWriteToReadOnlyItemIsAnError() {
        let sel = fw.addFile("etc/ro", [1, 2, 3, 4])
        for i in 0..<4 { ram.bytes[0x500 + i] = 9 }
        XCTAssertEqual(dma(desc: 0x100, control: UInt32(sel) << 16 | 0x08 | 0x10, length: 4, address: 0x500), 1)
        XCTAssertEqual(fw.item(sel), [1, 2, 3, 4], "item unchanged")
    }

    func testDMA64BitAddressUsesBothHalves() {
        // High half 1 -> 0x1_0000_0100: not RAM, so the descriptor at 0x100 is untouched.
        ram.putBE(0x100, 0x0002, 4)
        fw.write(offset: 4, size: 4, value: UInt32(1).byteSwapped)
        fw.write(offset: 8, size: 4, value: UInt32(0x100).byteSwapped)
        XCTAssertEqual(ram.be32(0x100), 2)
        // A lone low-half write runs with high half 0.
        ram.putBE(0x104, 0, 4)
        fw.write(offset: 8, size: 4, value: UInt32(0x100).byteSwapped)
        XCTAssertEqual(ram.be32(0x100), 0)
    }

    func testStateRestoreAndReset() {
        let sel = fw.addFile("f", [10, 11, 12, 13])
        select(sel); _ = readBytes(2)
        let st = fw.state
        let other = QEMUFwCfg(memory: ram)
        other.addFile("f", [10, 11, 12, 13])
        other.restore(st)
        XCTAssertEqual(UInt8(other.read(offset: 1, size: 1)), 12)
        other.reset()
        XCTAssertEqual(UInt8(other.read(offset: 1, size: 1)), UInt8(ascii: "Q"))
    }
}
