import XCTest
@testable import DeviceModel

/// Drives the two 8259As and the ELCR by I/O port as BIOS and Linux do
/// (8259A datasheet "Programming the 8259A"; Linux arch/x86/kernel/i8259.c init_8259A).
final class PIC8259Tests: XCTestCase {
    var pic: PIC8259!
    var intr: IRQLine!
    var intrChanges: [Bool] = []

    override func setUp() {
        intrChanges = []
        intr = IRQLine { [unowned self] in self.intrChanges.append($0) }
        pic = PIC8259(output: intr)
    }

    /// Port-number view of the three windows, as the machine wires them.
    func window(_ port: UInt16) -> (PortDevice, UInt16) {
        switch port {
        case 0x20, 0x21: return (pic.master, port - 0x20)
        case 0xA0, 0xA1: return (pic.slave, port - 0xA0)
        case 0x4D0, 0x4D1: return (pic.elcr, port - 0x4D0)
        default: fatalError("port \(port)")
        }
    }
    func outb(_ port: UInt16, _ v: UInt8) { let (d, o) = window(port); d.write(offset: o, size: 1, value: UInt32(v)) }
    func inb(_ port: UInt16) -> UInt8 { let (d, o) = window(port); return UInt8(truncatingIfNeeded: d.read(offset: o, size: 1)) }

    /// Linux init_8259A(auto_eoi: 0), then all IRQs unmasked.
    func linuxInit(masterICW4: UInt8 = 0x01, masterMask: UInt8 = 0x00, slaveMask: UInt8 = 0x00) {
        outb(0x21, 0xFF); outb(0xA1, 0xFF)
        outb(0x20, 0x11)        // ICW1: edge, cascade, ICW4 needed
        outb(0x21, 0x20)        // ICW2: vectors 0x20-0x27
        outb(0x21, 0x04)        // ICW3: slave on IR2
        outb(0x21, masterICW4)  // ICW4: 8086 mode (+AEOI if asked)
        outb(0xA0, 0x11)
        outb(0xA1, 0x28)        // vectors 0x28-0x2F
        outb(0xA1, 0x02)        // slave ID 2
        outb(0xA1, 0x01)
        outb(0x21, masterMask); outb(0xA1, slaveMask)
    }
    func eoiMaster() { outb(0x20, 0x20) }
    func eoiSlave() { outb(0xA0, 0x20) }
    func isr(_ cmd: UInt16) -> UInt8 { outb(cmd, 0x0B); return inb(cmd) }
    func irr(_ cmd: UInt16) -> UInt8 { outb(cmd, 0x0A); return inb(cmd) }
    func raise(_ n: Int) { pic.setIRQ(n, true) }
    func lower(_ n: Int) { pic.setIRQ(n, false) }
    func pulseEdge(_ n: Int) { lower(n); raise(n) }

    // MARK: initialization

    func testLinuxInitSequence() {
        linuxInit(masterMask: 0xFB, slaveMask: 0xFF)
        XCTAssertEqual(pic.state.master.vectorBase, 0x20)
        XCTAssertEqual(pic.state.slave.vectorBase, 0x28)
        XCTAssertEqual(pic.state.master.icw3, 0x04)
        XCTAssertEqual(pic.state.slave.icw3, 0x02)
        XCTAssertTrue(pic.state.master.mode8086)
        XCTAssertEqual(pic.state.master.initStep, 0)
        XCTAssertEqual(inb(0x21), 0xFB, "OCW1 reads back")
        XCTAssertEqual(inb(0xA1), 0xFF)
        XCTAssertFalse(pic.interruptPending)
    }

    func testICW1ClearsMaskAndNeedsFreshEdge() {
        linuxInit(masterMask: 0xFF)
        raise(4)
        outb(0x20, 0x11); outb(0x21, 0x20); outb(0x21, 0x04); outb(0x21, 0x01)
        XCTAssertEqual(inb(0x21), 0x00, "ICW1 clears IMR")
        XCTAssertFalse(pic.interruptPending, "edge sense reset: a line already high does not request")
        pulseEdge(4)
        XCTAssertEqual(pic.acknowledge(), 0x24)
    }

    func testELCRReservedBitsAndWordAccess() {
        outb(0x4D0, 0xFF); outb(0x4D1, 0xFF)
        XCTAssertEqual(inb(0x4D0), 0xF8, "IRQ0-2 always edge")
        XCTAssertEqual(inb(0x4D1), 0xDE, "IRQ8 and IRQ13 always edge")
        XCTAssertEqual(pic.elcr.read(offset: 0, size: 2), 0xDEF8)
    }

    // MARK: delivery and priority

    func testMaskedIRQIsNotDelivered() {
        linuxInit(masterMask: 0x02)
        raise(1)
        XCTAssertFalse(pic.interruptPending)
        XCTAssertEqual(irr(0x20) & 0x02, 0x02, "still requested in IRR")
        outb(0x21, 0x00)
        XCTAssertTrue(pic.interruptPending)
        XCTAssertEqual(pic.acknowledge(), 0x21)
    }

    func testIRQ0HasPriorityOverIRQ1() {
        linuxInit()
        raise(1); raise(0)
        XCTAssertEqual(pic.acknowledge(), 0x20)
        XCTAssertFalse(pic.interruptPending, "IRQ1 waits behind in-service IRQ0")
        eoiMaster()
        XCTAssertEqual(pic.acknowledge(), 0x21)
    }

    func testNestedInServiceBlocksOnlyLowerPriority() {
        linuxInit()
        raise(3)
        XCTAssertEqual(pic.acknowledge(), 0x23)
        raise(5)
        XCTAssertFalse(pic.interruptPending, "IRQ5 is lower than in-service IRQ3")
        raise(1)
        XCTAssertTrue(pic.interruptPending, "IRQ1 nests over IRQ3")
        XCTAssertEqual(pic.acknowledge(), 0x21)
        XCTAssertEqual(isr(0x20), 0x0A)
    }

    func testNonSpecificEOIClearsHighestInService() {
        linuxInit()
        raise(3); _ = pic.acknowledge()
        raise(1); _ = pic.acknowledge()
        eoiMaster()
        XCTAssertEqual(isr(0x20), 0x08, "EOI went to IRQ1, the highest in service")
        eoiMaster()
        XCTAssertEqual(isr(0x20), 0x00)
    }

    func testSpecificEOI() {
        linuxInit()
        raise(3); _ = pic.acknowledge()
        raise(1); _ = pic.acknowledge()
        outb(0x20, 0x63)            // specific EOI, level 3
        XCTAssertEqual(isr(0x20), 0x02)
    }

    func testAutoEOI() {
        linuxInit(masterICW4: 0x03)
        raise(3)
        XCTAssertEqual(pic.acknowledge(), 0x23)
        XCTAssertEqual(isr(0x20), 0, "AEOI leaves nothing in service")
        raise(5)
        XCTAssertEqual(pic.acknowledge(), 0x25, "lower priority is not blocked without EOI")
    }

    func testRotateOnNonSpecificEOI() {
        linuxInit()
        raise(0)
        XCTAssertEqual(pic.acknowledge(), 0x20)
        outb(0x20, 0xA0)            // rotate on non-specific EOI: IR0 becomes lowest
        XCTAssertEqual(isr(0x20), 0)
        pulseEdge(0); raise(1)
        XCTAssertEqual(pic.acknowledge(), 0x21, "IR1 now highest")
        outb(0x20, 0xA0)            // IR1 lowest, IR2 highest
        XCTAssertEqual(pic.acknowledge(), 0x20)
    }

    func testSetPriority() {
        linuxInit()
        outb(0x20, 0xC3)            // IR3 lowest, IR4 highest
        raise(3); raise(0); raise(4)
        XCTAssertEqual(pic.acknowledge(), 0x24)
        eoiMaster()
        XCTAssertEqual(pic.acknowledge(), 0x20)
        eoiMaster()
        XCTAssertEqual(pic.acknowledge(), 0x23)
    }

    func testRotateInAutoEOIMode() {
        linuxInit(masterICW4: 0x03)
        outb(0x20, 0x80)            // rotate in AEOI mode (set)
        raise(0); raise(1)
        XCTAssertEqual(pic.acknowledge(), 0x20)
        pulseEdge(0)
        XCTAssertEqual(pic.acknowledge(), 0x21, "IR0 rotated to lowest after its auto EOI")
        XCTAssertEqual(pic.acknowledge(), 0x20)
        outb(0x20, 0x00)            // rotate in AEOI mode (clear)
        XCTAssertFalse(pic.state.master.rotateOnAutoEOI)
    }

    func testSpecialMaskMode() {
        linuxInit()
        raise(3); _ = pic.acknowledge()
        raise(5)
        XCTAssertFalse(pic.interruptPending)
        outb(0x21, 0x08)            // mask the in-service level
        outb(0x20, 0x68)            // OCW3: ESMM + SMM
        XCTAssertEqual(pic.acknowledge(), 0x25, "special mask mode lets the lower level through")
        outb(0x20, 0x48)            // reset special mask
        XCTAssertFalse(pic.state.master.specialMask)
    }

    // MARK: cascade

    func testSlaveIRQThroughCascade() {
        linuxInit()
        raise(12)
        XCTAssertTrue(pic.interruptPending)
        XCTAssertEqual(pic.acknowledge(), 0x2C)
        XCTAssertEqual(isr(0x20), 0x04, "master IR2 in service")
        XCTAssertEqual(isr(0xA0), 0x10, "slave IR4 in service")
        lower(12)
        eoiSlave(); eoiMaster()
        XCTAssertEqual(isr(0x20), 0); XCTAssertEqual(isr(0xA0), 0)
        XCTAssertFalse(pic.interruptPending)
    }

    func testCascadeMaskOnMasterBlocksSlave() {
        linuxInit(masterMask: 0x04)
        raise(8)
        XCTAssertFalse(pic.interruptPending)
        outb(0x21, 0x00)
        XCTAssertEqual(pic.acknowledge(), 0x28)
    }

    func testSlaveOutranksLowerMasterIRQs() {
        linuxInit()
        raise(5); raise(14)
        XCTAssertEqual(pic.acknowledge(), 0x2E, "IR2 (slave) outranks IR5")
        eoiSlave(); eoiMaster()
        XCTAssertEqual(pic.acknowledge(), 0x25)
    }

    // MARK: trigger modes

    func testLevelTriggeredRequestReassertsAfterEOI() {
        linuxInit()
        outb(0x4D1, 0x08)           // IRQ11 level-triggered (PCI)
        raise(11)
        XCTAssertEqual(pic.acknowledge(), 0x2B)
        XCTAssertFalse(pic.interruptPending)
        eoiSlave(); eoiMaster()
        XCTAssertTrue(pic.interruptPending, "line still high: request again")
        XCTAssertEqual(pic.acknowledge(), 0x2B)
        lower(11)
        eoiSlave(); eoiMaster()
        XCTAssertFalse(pic.interruptPending)
    }

    func testLTIMMakesAllInputsLevel() {
        outb(0x20, 0x19); outb(0x21, 0x20); outb(0x21, 0x04); outb(0x21, 0x01); outb(0x21, 0x00)
        raise(1)
        XCTAssertEqual(pic.acknowledge(), 0x21)
        eoiMaster()
        XCTAssertEqual(pic.acknowledge(), 0x21)
    }

    func testEdgeTriggeredNeedsNewRisingEdge() {
        linuxInit()
        raise(1)
        XCTAssertEqual(pic.acknowledge(), 0x21)
        eoiMaster()
        XCTAssertFalse(pic.interruptPending, "line still high, but no new edge")
        raise(1)
        XCTAssertFalse(pic.interruptPending, "staying high is not an edge")
        pulseEdge(1)
        XCTAssertEqual(pic.acknowledge(), 0x21)
    }

    func testSpuriousIRQ7WhenLevelLineDropsBeforeAcknowledge() {
        linuxInit()
        pic.elcr.write(offset: 0, size: 1, value: 0x08)   // IR3 level-triggered
        raise(3)
        XCTAssertTrue(intr.level)
        lower(3)
        XCTAssertEqual(pic.acknowledge(), 0x27)
        XCTAssertEqual(isr(0x20), 0, "spurious IR7 is not put in service")
    }

    func testEdgeRequestSurvivesAPulse() {
        // Emulated sources pulse edge lines (QEMU's model): the latched request stays.
        linuxInit()
        raise(3)
        lower(3)
        XCTAssertTrue(pic.interruptPending)
        XCTAssertEqual(pic.acknowledge(), 0x23)
        XCTAssertEqual(isr(0x20), 0x08)
    }

    func testSpuriousIRQ15SetsMasterIR2InService() {
        // A snapshot taken between the slave raising INT and the INTA, after which the slave's
        // request vanished: master IR2 requested, nothing on the slave.
        linuxInit()
        raise(9)
        var s = pic.state
        s.slave.irr = 0; s.slave.lines = 0
        pic = PIC8259(output: intr, state: s)
        XCTAssertEqual(pic.acknowledge(), 0x2F)
        XCTAssertEqual(isr(0x20), 0x04, "master IR2 is in service")
        XCTAssertEqual(isr(0xA0), 0x00, "slave has nothing in service")
    }

    // MARK: OCW3

    func testOCW3ReadIRRAndISR() {
        linuxInit(masterMask: 0xFF)
        raise(6); raise(7)
        XCTAssertEqual(inb(0x20), 0xC0, "IRR is the default after init")
        outb(0x21, 0x00)
        _ = pic.acknowledge()
        XCTAssertEqual(isr(0x20), 0x40)
        XCTAssertEqual(inb(0x20), 0x40, "ISR selection sticks")
        XCTAssertEqual(irr(0x20), 0x80)
    }

    func testPollMode() {
        linuxInit()
        raise(5)
        outb(0x20, 0x0C)            // OCW3 poll
        XCTAssertEqual(inb(0x20), 0x85, "I bit + level 5")
        XCTAssertEqual(isr(0x20), 0x20, "poll read acknowledges")
        outb(0x20, 0x0C)
        XCTAssertEqual(inb(0x20), 0x00, "nothing pending")
        XCTAssertEqual(inb(0x21), 0x00, "poll is one-shot: IMR again")
    }

    // MARK: output and state

    func testOutputLineFollowsInterruptPending() {
        linuxInit()
        XCTAssertEqual(intrChanges, [])
        raise(4)
        XCTAssertEqual(intrChanges, [true])
        _ = pic.acknowledge()
        XCTAssertEqual(intrChanges, [true, false])
        raise(1)                    // nests over IR4
        XCTAssertTrue(intr.level)
        outb(0x21, 0x02)            // masking drops INTR
        XCTAssertFalse(intr.level)
        XCTAssertEqual(intr.level, pic.interruptPending)
    }

    func testStateRoundTrip() throws {
        linuxInit(masterMask: 0x10)
        outb(0x4D1, 0x0E)
        raise(11); raise(3); _ = pic.acknowledge()
        outb(0x20, 0x0B)
        let data = try JSONEncoder().encode(pic.state)
        let decoded = try JSONDecoder().decode(PIC8259.State.self, from: data)
        XCTAssertEqual(decoded, pic.state)
        let copy = PIC8259(output: IRQLine(), state: decoded)
        XCTAssertEqual(copy.interruptPending, pic.interruptPending)
        XCTAssertEqual(copy.acknowledge(), pic.acknowledge())
        XCTAssertEqual(copy.state, pic.state)
    }
}
