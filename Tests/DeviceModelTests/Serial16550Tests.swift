import XCTest
@testable import DeviceModel

/// Drives the 16550 by register offset as the PC16550D datasheet describes it
/// (Table 2 "Registers", Table 4 "Interrupt Control Functions"), with the machine clock
/// stepped by `advance(to:)` for the character timeout.
final class Serial16550Tests: XCTestCase {
    // Register offsets (DLAB = 0 unless noted).
    let RBR: UInt16 = 0, THR: UInt16 = 0, IER: UInt16 = 1, IIR: UInt16 = 2, FCR: UInt16 = 2
    let LCR: UInt16 = 3, MCR: UInt16 = 4, LSR: UInt16 = 5, MSR: UInt16 = 6, SCR: UInt16 = 7
    let DLL: UInt16 = 0, DLM: UInt16 = 1

    var sent: [UInt8] = []
    var irqChanges: [Bool] = []
    var clock: VirtualClock!
    var uart: Serial16550!

    override func setUp() {
        sent = []; irqChanges = []
        clock = VirtualClock()
        let line = IRQLine { [unowned self] in self.irqChanges.append($0) }
        uart = Serial16550(irq: line, clock: clock) { [unowned self] in self.sent.append($0) }
    }

    func r(_ off: UInt16) -> UInt8 { UInt8(truncatingIfNeeded: uart.read(offset: off, size: 1)) }
    func w(_ off: UInt16, _ v: UInt8) { uart.write(offset: off, size: 1, value: UInt32(v)) }
    /// Program the divisor latch and LCR as a driver does (DLAB set, DLL/DLM, DLAB clear).
    func setLine(divisor: UInt16, lcr: UInt8) {
        w(LCR, 0x80); w(DLL, UInt8(divisor & 0xFF)); w(DLM, UInt8(divisor >> 8)); w(LCR, lcr)
    }
    func after(_ ns: UInt64) { clock.advance(to: clock.now + ns) }

    // MARK: registers

    func testResetValues() {
        XCTAssertEqual(r(IER), 0)
        XCTAssertEqual(r(IIR), 0x01, "no interrupt pending, FIFOs off")
        XCTAssertEqual(r(LCR), 0)
        XCTAssertEqual(r(MCR), 0)
        XCTAssertEqual(r(LSR), 0x60, "THRE and TEMT set, no data")
        XCTAssertEqual(r(MSR), 0xB0, "DCD, DSR, CTS asserted by the backend, no deltas")
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
        for v: UInt8 in [0x00, 0x03, 0x1B, 0x3F] { w(LCR, v); XCTAssertEqual(r(LCR), v) }
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

    func testOffsetsWrapAtEight() {
        w(SCR + 8, 0x77)
        XCTAssertEqual(r(SCR), 0x77)
    }

    // MARK: transmit and THR empty

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

    func testTHRWriteWhileTHREPendingPulsesTheLine() {
        // An ISR that refills THR without reading IIR must still see a new edge at the 8259.
        w(MCR, 0x08)
        w(IER, 0x02)
        XCTAssertEqual(irqChanges, [true])
        w(THR, 0x31)
        XCTAssertEqual(irqChanges, [true, false, true], "cleared by the write, raised when THR empties")
        XCTAssertEqual(r(IIR), 0x02)
        XCTAssertEqual(irqChanges, [true, false, true, false])
    }

    func testTHREClearedByIIRReadOnlyWhenItIsTheSource() {
        w(MCR, 0x08)
        w(IER, 0x03)                        // ERBFI + ETBEI: THRE pending
        uart.receive([0x55])                // RDA outranks it
        XCTAssertEqual(r(IIR) & 0x0F, 0x04)
        XCTAssertEqual(r(IIR) & 0x0F, 0x04, "reading IIR does not clear the data interrupt")
        XCTAssertEqual(r(RBR), 0x55)
        XCTAssertEqual(r(IIR) & 0x0F, 0x02, "THRE survived the IIR reads that reported RDA")
        XCTAssertEqual(r(IIR) & 0x0F, 0x01)
        XCTAssertFalse(uart.irq.level)
        // Toggling ETBEI with THR empty raises it again (drivers kick the transmitter so).
        w(IER, 0x01); w(IER, 0x03)
        XCTAssertEqual(r(IIR) & 0x0F, 0x02)
    }

    func testNoTHREInterruptWhenDisabled() {
        w(MCR, 0x08)
        w(THR, 0x41)
        XCTAssertEqual(r(IIR), 0x01)
        XCTAssertFalse(uart.irq.level)
        XCTAssertEqual(irqChanges, [])
    }

    // MARK: receive, 16450 mode

    func testReceiveFillsRBRAndDataReady() {
        XCTAssertEqual(r(LSR) & 0x01, 0)
        uart.receive([0x61])
        XCTAssertEqual(r(LSR) & 0x01, 0x01, "DR set")
        XCTAssertEqual(r(RBR), 0x61)
        XCTAssertEqual(r(LSR) & 0x01, 0, "DR cleared once RBR is read")
        XCTAssertEqual(r(RBR), 0x61, "RBR is a register: it keeps the last character")
    }

    func testNonFIFOModeOverrunOverwritesRBR() {
        XCTAssertTrue(uart.canReceive)
        uart.receive([1])
        XCTAssertFalse(uart.canReceive, "16450 mode: a one-byte holding register")
        uart.receive([2])
        let lsr = r(LSR)
        XCTAssertEqual(lsr & 0x02, 0x02, "OE")
        XCTAssertEqual(lsr & 0x01, 0x01)
        XCTAssertEqual(r(LSR) & 0x02, 0, "OE clears when LSR is read")
        XCTAssertEqual(r(RBR), 2, "the unread character was destroyed by the next one")
        XCTAssertEqual(r(LSR) & 0x01, 0)
    }

    func testNoCharacterTimeoutIn16450Mode() {
        w(MCR, 0x08); w(IER, 0x01)
        setLine(divisor: 1, lcr: 0x03)
        uart.receive([7])
        XCTAssertEqual(r(IIR), 0x04, "16450 mode: data available as soon as RBR holds a byte")
        after(100_000_000)
        XCTAssertEqual(r(IIR), 0x04, "no timeout indication without FIFOs")
        XCTAssertNil(clock.nextDeadline)
    }

    // MARK: FIFO mode

    func testFIFOModeHoldsSixteenBytes() {
        w(FCR, 0x01)
        XCTAssertEqual(r(IIR) & 0xC0, 0xC0, "FIFOs enabled")
        uart.receive(Array(0..<16))
        XCTAssertFalse(uart.canReceive)
        XCTAssertEqual(r(LSR) & 0x03, 0x01, "16 bytes fit, no overrun")
        uart.receive([0xEE])
        XCTAssertEqual(r(LSR) & 0x03, 0x03, "the 17th byte overruns")
        for i in 0..<16 { XCTAssertEqual(r(RBR), UInt8(i), "FIFO contents kept, the 17th lost") }
        XCTAssertEqual(r(LSR) & 0x01, 0)
        XCTAssertEqual(r(RBR), 0, "an empty FIFO reads 0")
        XCTAssertTrue(uart.canReceive)
    }

    func testFCRResetAndModeChangeClearReceiver() {
        w(FCR, 0x01)
        uart.receive([1, 2, 3])
        XCTAssertNotNil(clock.nextDeadline, "timeout counter running")
        w(FCR, 0x03)                        // FIFO enable + receiver FIFO reset
        XCTAssertEqual(r(LSR) & 0x01, 0)
        XCTAssertEqual(r(IIR) & 0xC0, 0xC0)
        XCTAssertNil(clock.nextDeadline, "no timeout for an empty FIFO")
        uart.receive([4])
        w(FCR, 0x00)
        XCTAssertEqual(r(IIR) & 0xC0, 0x00, "FIFOs disabled: IIR bits 6-7 clear")
        XCTAssertEqual(r(LSR) & 0x01, 0, "disabling the FIFOs clears them")
        uart.receive([5])
        w(FCR, 0x81)
        XCTAssertEqual(r(LSR) & 0x01, 0, "enabling the FIFOs clears the 16450 RBR")
    }

    func testTriggerLevels() {
        w(MCR, 0x08); w(IER, 0x01)
        setLine(divisor: 1, lcr: 0x03)
        for (bits, level) in [(UInt8(0x00), 1), (0x40, 4), (0x80, 8), (0xC0, 14)] {
            w(FCR, bits | 0x07)             // enable, reset both FIFOs, trigger level
            uart.receive([UInt8](repeating: 0x11, count: level - 1))
            XCTAssertEqual(r(IIR), 0xC1, "trigger \(level): \(level - 1) bytes are not enough")
            XCTAssertEqual(r(LSR) & 0x01, level > 1 ? 0x01 : 0, "DR as soon as a byte is in the FIFO")
            XCTAssertFalse(uart.irq.level)
            uart.receive([0x22])
            XCTAssertEqual(r(IIR), 0xC4, "trigger \(level) reached")
            XCTAssertTrue(uart.irq.level)
            _ = r(RBR)                      // one below the trigger again
            XCTAssertEqual(r(IIR), 0xC1, "trigger \(level): RDA clears below the trigger level")
            XCTAssertFalse(uart.irq.level)
        }
    }

    func testCharacterTimeout115200_8N1() {
        w(MCR, 0x08); w(IER, 0x01)
        setLine(divisor: 1, lcr: 0x03)      // 10 bits at 115200: 4 characters = 347222 ns
        w(FCR, 0x81)                        // trigger 8
        clock.advance(to: 1_000)
        uart.receive([1, 2, 3])
        clock.advance(to: 1_000 + 347_221)
        XCTAssertEqual(r(IIR), 0xC1, "not yet 4 character times")
        clock.advance(to: 1_000 + 347_222)
        XCTAssertTrue(uart.irq.level, "timeout after 4 character times")
        XCTAssertEqual(r(IIR), 0xCC)
        XCTAssertEqual(r(RBR), 1)
        XCTAssertEqual(r(IIR), 0xC1, "a read clears the timeout and restarts the counter")
        XCTAssertFalse(uart.irq.level)
        after(347_221)
        XCTAssertEqual(r(IIR), 0xC1)
        after(1)
        XCTAssertEqual(r(IIR), 0xCC, "again 4 character times after the read")
        XCTAssertEqual(r(RBR), 2); XCTAssertEqual(r(RBR), 3)
        XCTAssertNil(clock.nextDeadline, "empty FIFO: counter stopped")
        after(10_000_000)
        XCTAssertEqual(r(IIR), 0xC1)
    }

    func testCharacterTimeout2400_7E2AndFiveBitWords() {
        w(MCR, 0x08); w(IER, 0x01)
        // 2400 baud, 7 data bits, even parity, 2 stop bits: 11 bits, 4 characters = 18333333 ns.
        setLine(divisor: 48, lcr: 0x1E)
        w(FCR, 0xC1)                        // trigger 14
        uart.receive([0x41])
        after(18_333_332)
        XCTAssertEqual(r(IIR), 0xC1)
        after(1)
        XCTAssertEqual(r(IIR), 0xCC)
        _ = r(RBR)
        // 5-bit words with 1.5 stop bits at 115200: 7.5 bits, 4 characters = 260416 ns.
        setLine(divisor: 1, lcr: 0x04)
        uart.receive([0x0A])
        after(260_415)
        XCTAssertEqual(r(IIR), 0xC1)
        after(1)
        XCTAssertEqual(r(IIR), 0xCC)
    }

    func testTimeoutCounterRestartsOnEachCharacterAndFollowsBaudChanges() {
        w(MCR, 0x08); w(IER, 0x01)
        setLine(divisor: 1, lcr: 0x03)
        w(FCR, 0x41)                        // trigger 4
        uart.receive([1])
        after(300_000)
        uart.receive([2])                   // restarts the 347222 ns count
        after(347_221)
        XCTAssertEqual(r(IIR), 0xC1, "restarted by the second character")
        after(1)
        XCTAssertEqual(r(IIR), 0xCC)
        uart.receive([3])
        XCTAssertEqual(r(IIR), 0xC1, "a received character clears the timeout")
        // The counter counts bit clocks: 300000 of 347222 ns have elapsed when the driver
        // goes to divisor 12 (through LCR = 0x80, a 5-bit word, briefly); the remaining
        // 13.6% run at the new rate: 4166666 - 3599998 = 566668 ns (within a few ns of
        // rounding over the intermediate steps).
        after(300_000)
        setLine(divisor: 12, lcr: 0x03)
        after(566_660)
        XCTAssertEqual(r(IIR), 0xC1, "past the old deadline, the rest runs at 9600 baud")
        after(20)
        XCTAssertEqual(r(IIR), 0xCC)
    }

    func testTimeoutCaughtUpOnRegisterAccessMidSlice() {
        w(IER, 0x01)
        setLine(divisor: 1, lcr: 0x03)
        w(FCR, 0x81)
        uart.receive([9])
        clock.sync(to: 400_000)             // the CPU slice has not ended: no timer ran yet
        XCTAssertEqual(r(IIR), 0xCC, "an access after the deadline sees the timeout")
    }

    func testTimeoutWithoutClockIsImmediate() {
        let u = Serial16550()
        u.write(offset: 2, size: 1, value: 0x81)
        u.write(offset: 1, size: 1, value: 0x01)
        u.receive([1, 2])
        XCTAssertEqual(u.read(offset: 2, size: 1), 0xCC, "no clock: below the trigger, timeout at once")
        u.receive(Array(3...8))
        XCTAssertEqual(u.read(offset: 2, size: 1), 0xC4, "trigger reached")
        for _ in 0..<7 { _ = u.read(offset: 0, size: 1) }
        XCTAssertEqual(u.read(offset: 2, size: 1), 0xCC)
        _ = u.read(offset: 0, size: 1)
        XCTAssertEqual(u.read(offset: 2, size: 1), 0xC1)
    }

    func testReceiveCapacityFollowsTriggerLevel() {
        XCTAssertEqual(uart.receiveCapacity, 1, "16450 mode: one byte")
        w(FCR, 0x81)
        XCTAssertEqual(uart.receiveCapacity, 8)
        uart.receive([1, 2, 3])
        XCTAssertEqual(uart.receiveCapacity, 5)
        uart.receive(Array(4...15))
        XCTAssertEqual(uart.receiveCapacity, 1, "above the trigger: one at a time")
        uart.receive([16])
        XCTAssertEqual(uart.receiveCapacity, 0)
        XCTAssertFalse(uart.canReceive)
        w(FCR, 0x83); w(MCR, 0x10)
        XCTAssertEqual(uart.receiveCapacity, 0, "loopback disconnects the serial input")
    }

    // MARK: line status

    func testFIFOOverrunIsALineStatusInterrupt() {
        w(MCR, 0x08); w(IER, 0x05)          // ERBFI + ELSI
        w(FCR, 0xC1)                        // trigger 14
        uart.receive(Array(0..<17))
        XCTAssertEqual(r(IIR), 0xC6, "overrun: receiver line status outranks data available")
        XCTAssertEqual(r(LSR), 0x63, "OE, DR, THRE, TEMT")
        XCTAssertEqual(r(IIR), 0xC4, "then the FIFO above its trigger level")
        XCTAssertEqual(r(LSR), 0x61, "OE cleared by the LSR read")
        for i in 0..<16 { XCTAssertEqual(r(RBR), UInt8(i)) }
        XCTAssertEqual(r(IIR), 0xC1)
        XCTAssertFalse(uart.irq.level)
    }

    func testLineStatusOutranksReceivedData16450() {
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

    func testBreakInFIFOAndErrorInFIFOBit() {
        w(MCR, 0x08); w(IER, 0x04)          // ELSI only
        w(FCR, 0x01)
        uart.receive([0x31, 0x32])
        uart.receiveBreak()
        uart.receive([0x33])
        XCTAssertEqual(r(IIR), 0xC1, "the break byte is not at the top of the FIFO yet")
        XCTAssertEqual(r(LSR), 0xE1, "bit 7: an error somewhere in the FIFO")
        XCTAssertEqual(r(LSR), 0xE1, "bit 7 stays while the byte is in the FIFO")
        XCTAssertEqual(r(RBR), 0x31)
        XCTAssertEqual(r(RBR), 0x32)
        XCTAssertEqual(r(IIR), 0xC6, "BI once the break byte is at the top")
        XCTAssertEqual(r(LSR), 0xF1)
        XCTAssertEqual(r(IIR), 0xC1, "BI cleared by the LSR read")
        XCTAssertEqual(r(RBR), 0x00, "a break loads one zero byte")
        XCTAssertEqual(r(LSR), 0xE1, "bit 7 cleared only by the LSR read after the byte left")
        XCTAssertEqual(r(LSR), 0x61)
        XCTAssertEqual(r(RBR), 0x33)
    }

    func testBreakIn16450Mode() {
        uart.receiveBreak()
        XCTAssertEqual(r(LSR), 0x71, "BI and DR, no FIFO error bit in 16450 mode")
        XCTAssertEqual(r(RBR), 0)
        XCTAssertEqual(r(LSR), 0x60)
    }

    // MARK: interrupt identification

    func testIIRPriorityOrder() {
        w(MCR, 0x08)
        w(FCR, 0x01)                        // trigger 1
        w(IER, 0x0F)                        // all four sources; THRE pending
        uart.setModemLines(0x30)            // DCD drops: DDCD
        uart.receive(Array(0..<17))         // overrun
        XCTAssertEqual(r(IIR), 0xC6, "1: receiver line status")
        _ = r(LSR)
        XCTAssertEqual(r(IIR), 0xC4, "2: received data available")
        for _ in 0..<16 { _ = r(RBR) }
        XCTAssertEqual(r(IIR), 0xC2, "3: THR empty (cleared by this read)")
        XCTAssertEqual(r(IIR), 0xC0, "4: modem status")
        XCTAssertTrue(uart.irq.level)
        XCTAssertEqual(r(MSR), 0x38, "DDCD")
        XCTAssertEqual(r(IIR), 0xC1)
        XCTAssertFalse(uart.irq.level)
    }

    func testCharacterTimeoutOutranksTHRE() {
        w(MCR, 0x08)
        setLine(divisor: 1, lcr: 0x03)
        w(FCR, 0x41)
        w(IER, 0x03)                        // THRE pending
        uart.receive([5])
        after(347_222)
        XCTAssertEqual(r(IIR), 0xCC)
        XCTAssertEqual(r(IIR), 0xCC, "not cleared by reading IIR")
        _ = r(RBR)
        XCTAssertEqual(r(IIR), 0xC2)
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

    func testOUT2GatesTimeoutInterruptInLoopback() {
        setLine(divisor: 1, lcr: 0x03)
        w(FCR, 0x81); w(IER, 0x01)
        w(MCR, 0x10)                        // loopback, OUT2 off
        w(THR, 0x44)
        after(347_222)
        XCTAssertEqual(r(IIR), 0xCC)
        XCTAssertFalse(uart.irq.level)
        w(MCR, 0x18)                        // OUT2 on: the line follows at once
        XCTAssertTrue(uart.irq.level)
        XCTAssertEqual(r(RBR), 0x44)
        XCTAssertFalse(uart.irq.level)
    }

    // MARK: loopback and modem status

    func testLoopbackTHRToRBR() {
        w(MCR, 0x10)
        w(THR, 0x5A)
        XCTAssertEqual(sent, [], "loopback: nothing leaves the serial output")
        XCTAssertEqual(r(LSR) & 0x61, 0x61, "data ready, transmitter empty")
        XCTAssertEqual(r(RBR), 0x5A)
        uart.receive([0x77])
        XCTAssertEqual(r(LSR) & 0x01, 0, "the serial input is disconnected in loopback")
        w(MCR, 0x00)
        w(THR, 0x5B)
        XCTAssertEqual(sent, [0x5B])
        XCTAssertEqual(r(LSR) & 0x01, 0)
    }

    func testLoopbackFIFOTriggerAndTimeout() {
        w(MCR, 0x18); w(IER, 0x01)
        setLine(divisor: 12, lcr: 0x03)     // 9600 8N1: 4 characters = 4166666 ns
        w(FCR, 0x87)                        // trigger 8
        for b: UInt8 in 1...7 { w(THR, b) }
        XCTAssertEqual(r(IIR), 0xC1)
        w(THR, 8)
        XCTAssertEqual(r(IIR), 0xC4, "8 bytes looped back: trigger level")
        XCTAssertEqual(r(RBR), 1)
        after(4_166_666)
        XCTAssertEqual(r(IIR), 0xCC, "7 left, unread for 4 character times")
        XCTAssertTrue(uart.irq.level)
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

    func testLoopbackMSRDeltas() {
        w(MCR, 0x10)
        XCTAssertEqual(r(MSR), 0x0B, "entering loopback drops CTS, DSR, DCD: DCTS, DDSR, DDCD")
        XCTAssertEqual(r(MSR), 0x00, "deltas clear on read")
        w(MCR, 0x11); XCTAssertEqual(r(MSR), 0x22, "DTR -> DSR, DDSR")
        w(MCR, 0x13); XCTAssertEqual(r(MSR), 0x31, "RTS -> CTS, DCTS")
        w(MCR, 0x17); XCTAssertEqual(r(MSR), 0x70, "RI rising: no TERI")
        w(MCR, 0x13); XCTAssertEqual(r(MSR), 0x34, "RI falling: TERI")
        w(MCR, 0x1B); XCTAssertEqual(r(MSR), 0xB8, "OUT2 -> DCD, DDCD")
        w(MCR, 0x18); XCTAssertEqual(r(MSR), 0x83, "DSR and CTS off: DDSR, DCTS")
        w(MCR, 0x18); XCTAssertEqual(r(MSR), 0x80, "no change, no delta")
        w(MCR, 0x08); XCTAssertEqual(r(MSR), 0xB3, "back to the external lines (CTS, DSR on)")
    }

    func testModemStatusInterrupt() {
        w(MCR, 0x18)                        // loopback + OUT2
        _ = r(MSR)
        w(IER, 0x08)
        XCTAssertEqual(r(IIR), 0x01)
        XCTAssertFalse(uart.irq.level)
        w(MCR, 0x19)                        // DTR -> DSR
        XCTAssertTrue(uart.irq.level)
        XCTAssertEqual(r(IIR), 0x00, "modem status")
        XCTAssertEqual(r(IIR), 0x00, "not cleared by reading IIR")
        XCTAssertEqual(r(MSR), 0xA2)
        XCTAssertEqual(r(IIR), 0x01)
        XCTAssertFalse(uart.irq.level)
    }

    func testExternalModemLines() {
        XCTAssertEqual(r(MSR), 0xB0)
        uart.setModemLines(0xF0)            // ring
        XCTAssertEqual(r(MSR), 0xF0, "RI on: no TERI yet")
        uart.setModemLines(0xA0)            // ring ends, CTS drops
        XCTAssertEqual(r(MSR), 0xA5, "TERI and DCTS")
        w(MCR, 0x10)
        _ = r(MSR)
        uart.setModemLines(0x00)
        XCTAssertEqual(r(MSR), 0x00, "inputs disconnected in loopback: no delta")
        w(MCR, 0x00)
        XCTAssertEqual(r(MSR), 0x00, "back on the lines: still all off, no delta")
    }

    func testLoopbackReceiveInterrupt() {
        w(MCR, 0x18)                        // loopback + OUT2
        w(IER, 0x01)
        w(THR, 0x33)
        XCTAssertEqual(r(IIR) & 0x0F, 0x04)
        XCTAssertEqual(r(RBR), 0x33)
        XCTAssertEqual(r(IIR) & 0x0F, 0x01)
    }

    // MARK: state

    func testStateRoundTripKeepsRunningTimeout() throws {
        w(MCR, 0x08); w(IER, 0x01)
        setLine(divisor: 1, lcr: 0x03)
        w(FCR, 0x81)
        clock.advance(to: 50_000)
        uart.receive([1, 2])
        clock.advance(to: 200_000)
        let data = try JSONEncoder().encode(uart.state)
        let s = try JSONDecoder().decode(Serial16550.State.self, from: data)
        XCTAssertEqual(s, uart.state)
        let clock2 = VirtualClock(now: 200_000)
        let line = IRQLine()
        let u = Serial16550(state: s, irq: line, clock: clock2)
        clock2.advance(to: 50_000 + 347_221)
        XCTAssertEqual(u.read(offset: 2, size: 1), 0xC1)
        clock2.advance(to: 50_000 + 347_222)
        XCTAssertTrue(line.level, "the restored UART times out when the saved one would have")
        XCTAssertEqual(u.read(offset: 2, size: 1), 0xCC)
        XCTAssertEqual(u.read(offset: 0, size: 1), 1)
    }

    func testMasterReset() {
        setLine(divisor: 3, lcr: 0x1B)
        w(FCR, 0x01); w(IER, 0x0F); w(MCR, 0x1F); w(SCR, 0x5A)
        uart.receive([1])
        uart.reset()
        XCTAssertEqual(r(IER), 0); XCTAssertEqual(r(LCR), 0); XCTAssertEqual(r(MCR), 0)
        XCTAssertEqual(r(IIR), 0x01)
        XCTAssertEqual(r(LSR), 0x60)
        XCTAssertEqual(r(MSR), 0xB0)
        XCTAssertEqual(r(SCR), 0x5A, "scratch not affected")
        w(LCR, 0x80)
        XCTAssertEqual(r(DLL), 3, "divisor latch not affected")
        XCTAssertFalse(uart.irq.level)
        XCTAssertNil(clock.nextDeadline)
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
