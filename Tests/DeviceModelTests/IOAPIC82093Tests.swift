import XCTest
@testable import DeviceModel

/// Drives the I/O APIC through IOREGSEL/IOWIN/EOI exactly as kvm-unit-tests' lib/x86/apic.c
/// (ioapic_write_reg, ioapic_read_redir, set_mask) and x86/ioapic.c do, with the local APIC
/// side played by the test: messages are recorded, EOI broadcasts are issued by hand.
final class IOAPIC82093Tests: XCTestCase {
    var io: IOAPIC82093!
    var sent: [APICMessage] = []
    var warnings: [String] = []

    override func setUp() {
        io = IOAPIC82093()
        sent = []
        warnings = []
        DeviceLog.seen = []
        DeviceLog.sink = { [unowned self] in self.warnings.append($0) }
        io.sendMessage = { [unowned self] in self.sent.append($0) }
    }

    func readReg(_ r: UInt8) -> UInt32 {
        io.write(offset: 0x00, size: 4, value: UInt64(r))
        return UInt32(io.read(offset: 0x10, size: 4))
    }
    func writeReg(_ r: UInt8, _ v: UInt32) {
        io.write(offset: 0x00, size: 4, value: UInt64(r))
        io.write(offset: 0x10, size: 4, value: UInt64(v))
    }
    func readRedir(_ pin: Int) -> UInt64 {
        UInt64(readReg(UInt8(0x10 + 2 * pin))) | UInt64(readReg(UInt8(0x11 + 2 * pin))) << 32
    }
    func writeRedir(_ pin: Int, _ e: UInt64) {
        writeReg(UInt8(0x10 + 2 * pin), UInt32(truncatingIfNeeded: e))
        writeReg(UInt8(0x11 + 2 * pin), UInt32(truncatingIfNeeded: e >> 32))
    }
    /// kvm-unit-tests ioapic_set_redir: fixed, physical, destination 0, unmasked.
    func setRedir(_ pin: Int, vector: UInt8, level: Bool) {
        writeRedir(pin, UInt64(vector) | (level ? 1 << 15 : 0))
    }
    func setMask(_ pin: Int, _ m: Bool) {
        var e = readRedir(pin)
        if m { e |= 1 << 16 } else { e &= ~(1 << 16) }
        writeRedir(pin, e)
    }
    func remoteIRR(_ pin: Int) -> Bool { readRedir(pin) & (1 << 14) != 0 }

    func testVersionRegisterIsReadOnly() {
        let v = readReg(0x01)
        XCTAssertEqual(v, 0x0017_0020)          // 24 entries (max index 23), version 0x20
        writeReg(0x01, v ^ 0xFFFF_FFFF)
        XCTAssertEqual(readReg(0x01), v)
        XCTAssertEqual(IOAPIC82093(version: 0x11).readRegister(0x01), 0x0017_0011)
    }

    func testOnlyIDBits24To27AreWritable() {
        let before = readReg(0x00)
        writeReg(0x00, before ^ 0xFFFF_FFFF)
        XCTAssertEqual(before ^ readReg(0x00), 0x0F00_0000)
        XCTAssertEqual(IOAPIC82093(id: 5).readRegister(0x00), 0x0500_0000)
    }

    func testArbitrationRegisterFollowsIDAndIsReadOnly() {
        writeReg(0x00, 0x0F00_0000)
        XCTAssertEqual(readReg(0x02), 0x0F00_0000)
        writeReg(0x02, 0)
        XCTAssertEqual(readReg(0x02), 0x0F00_0000)
    }

    func testRedirectionEntriesResetMasked() {
        for pin in 0..<24 { XCTAssertEqual(readRedir(pin), 0x0001_0000, "pin \(pin)") }
        io.setIRQ(3, true)
        XCTAssertTrue(sent.isEmpty)
        XCTAssertEqual(io.read(offset: 0, size: 4), 0x3F)   // IOREGSEL reads back the last index
    }

    func testEdgeInterruptOnRisingEdgeOnly() {
        setRedir(14, vector: 0x76, level: false)
        io.setIRQ(14, true)
        io.setIRQ(14, false)
        XCTAssertEqual(sent, [APICMessage(vector: 0x76, mode: .fixed, destination: 0, logical: false, levelTriggered: false)])
        io.setIRQ(14, true)
        io.setIRQ(14, true)                     // no new edge
        XCTAssertEqual(sent.count, 2)
        XCTAssertFalse(remoteIRR(14))           // edge entries never set Remote IRR
        // Two pins toggled back to back (kvm-unit-tests "simultaneous"): both delivered.
        setRedir(15, vector: 0x66, level: false)
        io.setIRQ(15, true); io.setIRQ(15, false)
        io.setIRQ(14, false); io.setIRQ(14, true)
        XCTAssertEqual(sent.suffix(2).map(\.vector), [0x66, 0x76])
    }

    func testMaskedEdgeIsNotRemembered() {
        setRedir(14, vector: 0x81, level: false)
        setMask(14, true)
        io.setIRQ(14, true); io.setIRQ(14, false)
        setMask(14, false)
        XCTAssertTrue(sent.isEmpty)
        io.setIRQ(14, true)
        XCTAssertEqual(sent.map(\.vector), [0x81])
        // Unmasking while an edge pin is high is no edge either.
        setMask(14, true); setMask(14, false)
        XCTAssertEqual(sent.count, 1)
    }

    func testLevelInterruptSetsRemoteIRRAndEOIRedelivers() {
        setRedir(14, vector: 0x9A, level: true)
        io.setIRQ(14, true)
        XCTAssertEqual(sent, [APICMessage(vector: 0x9A, mode: .fixed, destination: 0, logical: false, levelTriggered: true)])
        XCTAssertTrue(remoteIRR(14))
        // Line still high: EOI re-delivers (kvm-unit-tests "retriggered level interrupts").
        io.eoi(vector: 0x9A)
        XCTAssertEqual(sent.count, 2)
        XCTAssertTrue(remoteIRR(14))
        io.setIRQ(14, false)
        io.eoi(vector: 0x9A)
        XCTAssertEqual(sent.count, 2)
        XCTAssertFalse(remoteIRR(14))
        // "sequential level interrupts": a new assertion after the EOI delivers again.
        io.setIRQ(14, true)
        XCTAssertEqual(sent.count, 3)
    }

    func testLevelCoalesceWhileRemoteIRRSet() {
        setRedir(14, vector: 0x98, level: true)
        io.setIRQ(14, true)
        io.setIRQ(14, false); io.setIRQ(14, true); io.setIRQ(14, false)   // inside the handler
        io.eoi(vector: 0x98)
        XCTAssertEqual(sent.count, 1)
        XCTAssertFalse(remoteIRR(14))
    }

    func testRemoteIRRAndDeliveryStatusAreReadOnly() {
        setRedir(14, vector: 0x40, level: true)
        writeReg(0x10 + 28, 0x40 | 1 << 15 | 1 << 14 | 1 << 12)
        XCTAssertEqual(readRedir(14) & (1 << 14 | 1 << 12), 0)
        io.setIRQ(14, true)
        XCTAssertTrue(remoteIRR(14))
        writeReg(0x10 + 28, 0x40 | 1 << 15)      // writing 0 does not clear it either
        XCTAssertTrue(remoteIRR(14))
        XCTAssertEqual(sent.count, 1)
    }

    func testMaskedLevelIsDeliveredWhenUnmasked() {
        setRedir(14, vector: 0x82, level: true)
        setMask(14, true)
        io.setIRQ(14, true)
        XCTAssertTrue(sent.isEmpty)
        XCTAssertFalse(remoteIRR(14))
        setMask(14, false)
        XCTAssertEqual(sent.map(\.vector), [0x82])
        XCTAssertTrue(remoteIRR(14))
    }

    func testLevelRetriggerWithMask() {
        // kvm-unit-tests ioapic_isr_83: the handler masks the pin, then EOIs; the line stays
        // high. The EOI must not deliver (masked), the unmask must.
        setRedir(14, vector: 0x83, level: true)
        io.setIRQ(14, true)
        setMask(14, true)
        io.eoi(vector: 0x83)
        XCTAssertEqual(sent.count, 1)
        XCTAssertFalse(remoteIRR(14))
        setMask(14, false)
        XCTAssertEqual(sent.count, 2)
    }

    func testEOIRegister() {
        setRedir(14, vector: 0x55, level: true)
        io.setIRQ(14, true)
        io.setIRQ(14, false)
        XCTAssertTrue(remoteIRR(14))
        io.write(offset: 0x40, size: 4, value: 0x56)     // other vector: no effect
        XCTAssertTrue(remoteIRR(14))
        io.write(offset: 0x40, size: 4, value: 0x55)
        XCTAssertFalse(remoteIRR(14))
        XCTAssertEqual(io.read(offset: 0x40, size: 4), 0)

        // Version 0x11 (82093AA proper) has no EOI register.
        let old = IOAPIC82093(version: 0x11)
        old.write(offset: 0x00, size: 4, value: 0x10 + 28); old.write(offset: 0x10, size: 4, value: 0x55 | 1 << 15)
        old.setIRQ(14, true); old.setIRQ(14, false)
        old.write(offset: 0x40, size: 4, value: 0x55)
        XCTAssertNotEqual(old.state.redirection[14] & (1 << 14), 0)
        XCTAssertTrue(warnings.contains { $0.contains("undefined offset 0x40") })
    }

    func testEOIAffectsOnlyLevelEntriesWithThatVector() {
        setRedir(3, vector: 0x60, level: true)
        setRedir(4, vector: 0x60, level: true)
        setRedir(5, vector: 0x61, level: true)
        setRedir(6, vector: 0x60, level: false)
        for p in 3...6 { io.setIRQ(p, true) }
        XCTAssertEqual(sent.count, 4)
        io.eoi(vector: 0x60)
        // Pins 3 and 4 still high: both re-delivered; pin 5 (other vector) and 6 (edge) not.
        XCTAssertEqual(sent.count, 6)
        XCTAssertEqual(sent.suffix(2).map(\.vector), [0x60, 0x60])
        XCTAssertTrue(remoteIRR(5))
    }

    func testMessageFields() {
        // Lowest priority, logical destination 0x0D, level, bits 56-63 = destination.
        writeRedir(9, 0x0D00_0000_0000_0000 | 1 << 15 | 1 << 11 | 1 << 8 | 0x86)
        io.setIRQ(9, true)
        XCTAssertEqual(sent.last, APICMessage(vector: 0x86, mode: .lowestPriority, destination: 0x0D, logical: true, levelTriggered: true))
        writeRedir(10, 0xFF00_0000_0000_0000 | 4 << 8)          // NMI, broadcast
        io.setIRQ(10, true)
        XCTAssertEqual(sent.last?.mode, .nmi)
        XCTAssertEqual(sent.last?.destination, 0xFF)
        writeRedir(0, 7 << 8)                                   // ExtINT (virtual wire)
        io.setIRQ(0, true)
        XCTAssertEqual(sent.last?.mode, .extINT)
        XCTAssertEqual(sent.count, 3)
        writeRedir(11, 3 << 8 | 0x20)                           // reserved delivery mode
        io.setIRQ(11, true)
        XCTAssertEqual(sent.count, 3)
        XCTAssertTrue(warnings.contains { $0.contains("reserved delivery mode 3") })
    }

    func testRetargetWhileLevelPending() {
        // kvm-unit-tests test_ioapic_self_reconfigure: while Remote IRR is set the handler
        // rewrites only the upper dword (destination). Remote IRR must survive, and the EOI
        // re-delivers to the new destination if the line is high.
        setRedir(14, vector: 0x84, level: true)
        io.setIRQ(14, true)
        XCTAssertTrue(remoteIRR(14))
        let e = readRedir(14)
        writeReg(0x11 + 28, UInt32(truncatingIfNeeded: (e & ~(0xFF << 56) | 1 << 56) >> 32))
        XCTAssertTrue(remoteIRR(14))
        XCTAssertEqual(sent.count, 1)
        io.eoi(vector: 0x84)
        XCTAssertEqual(sent.last?.destination, 1)
        XCTAssertEqual(sent.count, 2)
    }

    func testSwitchingToEdgeClearsRemoteIRR() {
        // Linux __eoi_ioapic_pin without an EOI register: mask, edge, level, unmask.
        setRedir(14, vector: 0x70, level: true)
        io.setIRQ(14, true)
        XCTAssertTrue(remoteIRR(14))
        writeReg(0x10 + 28, 0x70 | 1 << 16)             // masked, edge
        XCTAssertFalse(remoteIRR(14))
        writeReg(0x10 + 28, 0x70 | 1 << 16 | 1 << 15)   // masked, level
        XCTAssertEqual(sent.count, 1)
        writeReg(0x10 + 28, 0x70 | 1 << 15)             // unmasked: line still high -> deliver
        XCTAssertEqual(sent.count, 2)
    }

    func testAccessSizesAndUndefinedRegisters() {
        setRedir(2, vector: 0x30, level: false)
        io.write(offset: 0x00, size: 1, value: 0x14)            // byte write of IOREGSEL
        XCTAssertEqual(io.read(offset: 0x00, size: 4), 0x14)
        XCTAssertEqual(io.read(offset: 0x10, size: 4), 0x30)
        XCTAssertEqual(io.read(offset: 0x10, size: 2), 0)        // IOWIN is 32-bit only
        XCTAssertTrue(warnings.contains { $0.contains("2-byte IOWIN read") })
        io.write(offset: 0x00, size: 4, value: 0x03)
        XCTAssertEqual(io.read(offset: 0x10, size: 4), 0)
        XCTAssertTrue(warnings.contains { $0.contains("undefined indirect register 0x3") })
        // A 64-bit write is two 32-bit ones: IOREGSEL then the (undefined) 0x04.
        io.write(offset: 0x00, size: 8, value: 0x01)
        XCTAssertEqual(io.read(offset: 0x10, size: 4), 0x0017_0020)
        // The window aliases every 0x100 bytes, as in QEMU.
        XCTAssertEqual(io.read(offset: 0x110, size: 4), 0x0017_0020)
        io.setIRQ(24, true)
        XCTAssertTrue(warnings.contains { $0.contains("nonexistent pin 24") })
    }

    func testResetMasksEverythingAndRestoresID() {
        writeReg(0x00, 0x0300_0000)
        setRedir(14, vector: 0x90, level: true)
        io.setIRQ(14, true)
        io.reset()
        XCTAssertEqual(readReg(0x00), 0)        // the init ID, not the guest's
        XCTAssertEqual(IOAPIC82093(id: 2).readRegister(0x00), 0x0200_0000)
        XCTAssertEqual(readRedir(14), 0x0001_0000)
        XCTAssertTrue(io.line(14))              // the pin is still driven by its device
        setRedir(14, vector: 0x91, level: true)
        XCTAssertEqual(sent.last?.vector, 0x91)
    }

    func testStateRoundTrip() throws {
        setRedir(14, vector: 0x90, level: true)
        io.setIRQ(14, true)
        let data = try JSONEncoder().encode(io.state)
        let copy = IOAPIC82093(state: try JSONDecoder().decode(IOAPIC82093.State.self, from: data))
        var got: [APICMessage] = []
        copy.sendMessage = { got.append($0) }
        XCTAssertEqual(copy.state, io.state)
        XCTAssertTrue(got.isEmpty)              // restoring sends nothing
        copy.eoi(vector: 0x90)                  // pin still high in the snapshot
        XCTAssertEqual(got.map(\.vector), [0x90])
    }
}
