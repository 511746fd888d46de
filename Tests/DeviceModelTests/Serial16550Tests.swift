import XCTest
@testable import DeviceModel

/// Drives the 16550 by register offset as the PC16550D datasheet describes it
/// (Table 2 "Registers", Table 4 "Interrupt Control Functions").
final class Serial16550Tests: XCTestCase {
    // Register offsets (DLAB = 0 unless noted).
    let RBR: UInt16 = 0, THR: UInt16 = 0, IER: UInt16 = 1, IIR: UInt16 = 2, FCR: UInt16 = 2
    let LCR: UInt16 = 3, MCR: UInt16 = 4, LSR: UInt16 = 5, MSR: UInt16 = 6, SCR: UInt16 = 7
    let DLL: UInt16 = 0, DLM: UInt16 = 1

    var sent: [UInt8] = []
    var irqChanges: [Bool] = []
    var uart: Serial16550!

    override func setUp() {
        sent = []; irqChanges = []
        let line = IRQLine { [unowned self] in self.irqChanges.append($0) }
        uart = Serial16550(irq: line) { [unowned self] in self.sent.append($0) }
    }

    func r(_ off: UInt16) -> UInt8 { UInt8(truncatingIfNeeded: uart.read(offset: off, size: 1)) }
    func w(_ off: UInt16, _ v: UInt8) { uart.write(offset: off, size: 1, value: UInt32(v)) }

    // MARK: registers

    func testResetValues() {
        XCTAssertEqual(r(IER), 0)
        XCTAssertEqual(r(IIR), 0x01, "no interrupt pending, FIFOs off")
        XCTAssertEqual(r(LCR), 0)
        XCTAssertEqual(r(MCR), 0)
        XCTAssertEqual(r(LSR), 0x60, "THRE and TEMT set, no data")
        XCTAssertFalse(uart.irq.level)
    }

    func testDivisorLatchAccessBit() {
        w(LCR, 0x80)                        // DLAB = 1
        w(DLL, 0x01); w(DLM, 0x02)          // 115200 / 0x0201
        XCTAssertEqual(r(DLL), 0x01)
        XCTAssertEqual(r(DLM), 0x02)
        w(LCR, 0x03)                        // DLAB = 0, 8N1
        XCTAssertEqual(r(IER), 0, "offset 1 is IER again, not DLM")
        w(IER, 0x05)
        XCTAssertEqual(r(IER), 0x05)
        w(LCR, 0x83)
        XCTAssertEqual(r(DLL), 0x01, "divisor latch kept")
        XCTAssertEqual(r(DLM), 0x02, "divisor latch not overwritten by IER write")
        XCTAssertEqual(r(LCR), 0x83)
        // With DLAB set, a write to offset 0 sets DLL and transmits nothing.
        w(DLL, 0x0C)
        XCTAssertEqual(sent, [])
        XCTAssertEqual(r(DLL), 0x0C)
        w(LCR, 0x03)
        XCTAssertEqual(r(IER), 0x05)
    }

    func testLCRMCRSCRReadBack() {
        for v: UInt8 in [0x00, 0x03, 0x1B, 0x7F] { w(LCR, v); XCTAssertEqual(r(LCR), v) }
        for v: UInt8 in [0x00, 0x01, 0x0B, 0x1F] { w(MCR, v); XCTAssertEqual(r(MCR), v) }
        w(MCR, 0xFF)
        XCTAssertEqual(r(MCR), 0x1F, "MCR bits 5-7 are always 0 on the 16550")
        w(MCR, 0)
        for v: UInt8 in [0x00, 0x55, 0xAA, 0xFF] { w(SCR, v); XCTAssertEqual(r(SCR), v) }
        w(LCR, 0x80)
        w(SCR, 0x42)
        XCTAssertEqual(r(SCR), 0x42, "SCR does not depend on DLAB")
    }

    func testIERKeepsLowFourBits() {
        w(IER, 0xFF)
        XCTAssertEqual(r(IER), 0x0F)
    }

    // MARK: transmit

    func testTHRWriteReachesTransmitSink() {
        for b in Array("Hi\n".utf8) { w(THR, b) }
        XCTAssertEqual(sent, Array("Hi\n".utf8))
        XCTAssertEqual(r(LSR) & 0x60, 0x60, "THRE and TEMT set again after the byte left")
    }

    func testTHREInterruptClearedByIIRReadAndRearmedByTHRWrite() {
        w(MCR, 0x08)                        // OUT2: IRQ reaches the bus
        XCTAssertFalse(uart.irq.level)
        w(IER, 0x02)                        // ETBEI with THR empty -> THRE interrupt
        XCTAssertTrue(uart.irq.level)
        XCTAssertEqual(r(IIR) & 0x0F, 0x02, "THR empty")
        XCTAssertFalse(uart.irq.level, "reading IIR when it reports THRE clears it")
        XCTAssertEqual(r(IIR) & 0x0F, 0x01)
        w(THR, 0x41)
        XCTAssertTrue(uart.irq.level, "THR write (byte sent at once) raises THRE again")
        XCTAssertEqual(r(IIR) & 0x0F, 0x02)
        XCTAssertEqual(r(IIR) & 0x0F, 0x01)
        // Disabling ETBEI drops the interrupt.
        w(THR, 0x42)
        XCTAssertTrue(uart.irq.level)
        w(IER, 0x00)
        XCTAssertFalse(uart.irq.level)
        XCTAssertEqual(r(IIR) & 0x0F, 0x01)
        XCTAssertEqual(sent, [0x41, 0x42])
    }

    func testNoTHREInterruptWhenDisabled() {
        w(MCR, 0x08)
        w(THR, 0x41)
        XCTAssertEqual(r(IIR), 0x01)
        XCTAssertFalse(uart.irq.level)
        XCTAssertEqual(irqChanges, [])
    }

    // MARK: receive

    func testReceiveFillsRBRAndDataReady() {
        XCTAssertEqual(r(LSR) & 0x01, 0)
        uart.receive([0x61])
        XCTAssertEqual(r(LSR) & 0x01, 0x01, "DR set")
        XCTAssertEqual(r(RBR), 0x61)
        XCTAssertEqual(r(LSR) & 0x01, 0, "DR cleared once RBR is read")
        XCTAssertEqual(r(RBR), 0, "empty RBR reads 0 here")
    }

    func testNonFIFOModeHoldsOneByteAndFlagsOverrun() {
        XCTAssertTrue(uart.canReceive)
        uart.receive([1])
        XCTAssertFalse(uart.canReceive, "16450 mode: a one-byte holding register")
        uart.receive([2])
        let lsr = r(LSR)
        XCTAssertEqual(lsr & 0x02, 0x02, "OE")
        XCTAssertEqual(lsr & 0x01, 0x01)
        XCTAssertEqual(r(LSR) & 0x02, 0, "OE clears when LSR is read")
        XCTAssertEqual(r(RBR), 1, "the overrunning byte is lost, the held one kept")
        XCTAssertEqual(r(LSR) & 0x01, 0)
    }

    func testFIFOModeHoldsSixteenBytes() {
        w(FCR, 0x01)
        XCTAssertEqual(r(IIR) & 0xC0, 0xC0, "FIFOs enabled")
        uart.receive(Array(0..<16))
        XCTAssertFalse(uart.canReceive)
        XCTAssertEqual(r(LSR) & 0x03, 0x01, "16 bytes fit, no overrun")
        uart.receive([0xEE])
        XCTAssertEqual(r(LSR) & 0x03, 0x03, "the 17th byte overruns")
        for i in 0..<16 { XCTAssertEqual(r(RBR), UInt8(i)) }
        XCTAssertEqual(r(LSR) & 0x01, 0)
        XCTAssertTrue(uart.canReceive)
    }

    func testFCRResetClearsReceiveFIFO() {
        w(FCR, 0x01)
        uart.receive([1, 2, 3])
        w(FCR, 0x03)                        // FIFO enable + receiver FIFO reset
        XCTAssertEqual(r(LSR) & 0x01, 0)
        XCTAssertEqual(r(IIR) & 0xC0, 0xC0)
        w(FCR, 0x00)
        XCTAssertEqual(r(IIR) & 0xC0, 0x00, "FIFOs disabled: IIR bits 6-7 clear")
    }

    // MARK: interrupt identification

    func testReceivedDataOutranksTHRE() {
        w(MCR, 0x08)
        w(IER, 0x03)                        // ERBFI + ETBEI
        uart.receive([0x55])
        XCTAssertEqual(r(IIR) & 0x0F, 0x04, "received data available has priority over THRE")
        XCTAssertEqual(r(IIR) & 0x0F, 0x04, "reading IIR does not clear the data interrupt")
        XCTAssertEqual(r(RBR), 0x55)
        XCTAssertEqual(r(IIR) & 0x0F, 0x02, "then THRE")
        XCTAssertEqual(r(IIR) & 0x0F, 0x01)
        XCTAssertFalse(uart.irq.level)
    }

    func testLineStatusOutranksReceivedData() {
        w(MCR, 0x08)
        w(IER, 0x05)                        // ERBFI + ELSI
        uart.receive([1, 2])                // second byte overruns (no FIFO)
        XCTAssertEqual(r(IIR) & 0x0F, 0x06, "receiver line status first")
        XCTAssertTrue(uart.irq.level)
        _ = r(LSR)                          // clears OE
        XCTAssertEqual(r(IIR) & 0x0F, 0x04)
        _ = r(RBR)
        XCTAssertEqual(r(IIR) & 0x0F, 0x01)
        XCTAssertFalse(uart.irq.level)
    }

    func testIIRFIFOBitsWithPendingInterrupt() {
        w(FCR, 0x01)
        w(IER, 0x01)
        uart.receive([9])
        XCTAssertEqual(r(IIR), 0xC4)
    }

    // MARK: OUT2 gating

    func testOUT2GatesIRQLine() {
        w(IER, 0x01)
        uart.receive([7])
        XCTAssertEqual(r(IIR) & 0x0F, 0x04, "interrupt pending inside the UART")
        XCTAssertFalse(uart.irq.level, "but OUT2 = 0 keeps it off the ISA bus")
        w(MCR, 0x08)
        XCTAssertTrue(uart.irq.level)
        w(MCR, 0x00)
        XCTAssertFalse(uart.irq.level)
        w(MCR, 0x08)
        _ = r(RBR)
        XCTAssertFalse(uart.irq.level)
        XCTAssertEqual(irqChanges, [true, false, true, false])
    }

    // MARK: loopback

    func testLoopbackTHRToRBR() {
        w(MCR, 0x10)
        w(THR, 0x5A)
        XCTAssertEqual(sent, [], "loopback: nothing leaves the serial output")
        XCTAssertEqual(r(LSR) & 0x61, 0x61, "data ready, transmitter empty")
        XCTAssertEqual(r(RBR), 0x5A)
        w(MCR, 0x00)
        w(THR, 0x5B)
        XCTAssertEqual(sent, [0x5B])
        XCTAssertEqual(r(LSR) & 0x01, 0)
    }

    func testLoopbackMSRFollowsMCR() {
        // DTR -> DSR (bit 5), RTS -> CTS (bit 4), OUT1 -> RI (bit 6), OUT2 -> DCD (bit 7).
        w(MCR, 0x10); XCTAssertEqual(r(MSR) & 0xF0, 0x00)
        w(MCR, 0x11); XCTAssertEqual(r(MSR) & 0xF0, 0x20)
        w(MCR, 0x12); XCTAssertEqual(r(MSR) & 0xF0, 0x10)
        w(MCR, 0x14); XCTAssertEqual(r(MSR) & 0xF0, 0x40)
        w(MCR, 0x18); XCTAssertEqual(r(MSR) & 0xF0, 0x80)
        w(MCR, 0x1F); XCTAssertEqual(r(MSR) & 0xF0, 0xF0)
    }

    func testLoopbackReceiveInterrupt() {
        w(MCR, 0x18)                        // loopback + OUT2
        w(IER, 0x01)
        w(THR, 0x33)
        XCTAssertEqual(r(IIR) & 0x0F, 0x04)
        XCTAssertEqual(r(RBR), 0x33)
        XCTAssertEqual(r(IIR) & 0x0F, 0x01)
    }

    func testOffsetsWrapAtEight() {
        w(SCR + 8, 0x77)
        XCTAssertEqual(r(SCR), 0x77)
    }
}

final class ISADebugExitTests: XCTestCase {
    func testStatusIsValueShiftedOrOne() {
        var got: [Int32] = []
        let dev = ISADebugExit(iobase: 0xF4, iosize: 4) { got.append($0) }
        XCTAssertEqual(dev.iobase, 0xF4)
        XCTAssertEqual(dev.iosize, 4)
        dev.write(offset: 0, size: 1, value: 0)
        dev.write(offset: 0, size: 1, value: 1)
        dev.write(offset: 0, size: 1, value: 0x1FF)        // only AL counts
        dev.write(offset: 0, size: 2, value: 0x1_0102)     // only AX counts
        dev.write(offset: 0, size: 4, value: 0x3F)
        dev.write(offset: 0, size: 4, value: 0x1234_5678)
        XCTAssertEqual(got, [1, 3, 0x1FF, 0x205, 0x7F, Int32(truncatingIfNeeded: (UInt32(0x1234_5678) << 1) | 1)])
    }

    func testReadsAllOnes() {
        let dev = ISADebugExit { _ in XCTFail("a read must not exit") }
        XCTAssertEqual(dev.iobase, 0x501)
        XCTAssertEqual(dev.iosize, 2)
        XCTAssertEqual(dev.read(offset: 0, size: 1) & 0xFF, 0xFF)
    }
}
