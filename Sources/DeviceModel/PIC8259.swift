/// The PC's two cascaded Intel 8259A programmable interrupt controllers (8259A datasheet,
/// "Functional Description", "Programming the 8259A") plus the PIIX edge/level control
/// registers ELCR1/ELCR2 (82371 PIIX/PIIX3 datasheet, "ELCR1/ELCR2", ports 4D0h/4D1h).
///
/// Port wiring: the machine attaches three windows, each a small `PortDevice` with offsets 0-1:
///   `master` at 0x20-0x21, `slave` at 0xA0-0xA1, `elcr` at 0x4D0-0x4D1.
/// PIC8259 itself is *not* a `PortDevice`: the three windows are disjoint, and one object with
/// three adapters keeps the cascade (slave INT -> master IR2) inside one type without making
/// the bus pass absolute port numbers (shared/examples.md, 8-9).
///
/// Request inputs follow the datasheet strictly: an IR input must stay high until the first
/// INTA ("Interrupt Sequence"; "Edge and Level Triggered Modes"). A request that goes away
/// first is lost and INTA returns the default IR7 vector without setting ISR (spurious IRQ).
/// So a device must hold its line until it is serviced; a timer that ticks should drop and
/// re-raise its line (`setIRQ(n, false); setIRQ(n, true)`), not pulse high-then-low.
public final class PIC8259 {
    /// One 8259A. Its logic lives on the value so `State` is the whole device.
    public struct Chip: Codable, Equatable {
        public var irr: UInt8 = 0          // interrupt request register
        public var imr: UInt8 = 0          // interrupt mask register (OCW1)
        public var isr: UInt8 = 0          // in-service register
        public var lines: UInt8 = 0        // current IR input levels (edge sense)
        public var elcr: UInt8 = 0         // PIIX ELCR: 1 = level-triggered input
        public var elcrMask: UInt8 = 0     // ELCR bits that may be written
        public var priorityAdd: UInt8 = 0  // IR number that currently has highest priority
        public var vectorBase: UInt8 = 0   // ICW2 T7-T3
        public var icw3: UInt8 = 0
        public var initStep: UInt8 = 0     // 0 = ready for OCWs; 1, 2, 3 = expecting ICW2, 3, 4
        public var ltim = false, single = false, ic4 = false   // ICW1
        public var autoEOI = false, specialFullyNested = false, mode8086 = false, bufferedMode: UInt8 = 0  // ICW4
        public var rotateOnAutoEOI = false // OCW2 R=1 SL=0 EOI=0
        public var readISR = false         // OCW3 RR/RIS
        public var poll = false            // OCW3 P: next read is a poll byte
        public var specialMask = false     // OCW3 ESMM/SMM
        public var isMaster = false

        var levelMask: UInt8 { ltim ? 0xFF : elcr }

        /// Priority rank (0 = highest) of the best set bit of `mask`, 8 if none
        /// ("Priority Resolver"; rotation moves the start point to `priorityAdd`).
        func rank(_ mask: UInt8) -> Int {
            guard mask != 0 else { return 8 }
            var p = 0
            while mask & (1 << ((p + Int(priorityAdd)) & 7)) == 0 { p += 1 }
            return p
        }
        func irq(ofRank p: Int) -> Int { (p + Int(priorityAdd)) & 7 }

        /// The IR the chip would signal on INT, or nil: an unmasked request that outranks every
        /// in-service level ("Fully Nested Mode"). In special mask mode, masked in-service levels
        /// stop blocking ("Special Mask Mode"); in special fully nested mode the master ignores
        /// the in-service cascade input so a higher slave request can nest ("Special Fully
        /// Nested Mode").
        func pending() -> Int? {
            let p = rank(irr & ~imr)
            guard p < 8 else { return nil }
            var inService = isr
            if specialMask { inService &= ~imr }
            if specialFullyNested && isMaster { inService &= ~UInt8(1 << 2) }
            return p < rank(inService) ? irq(ofRank: p) : nil
        }

        /// An input level change. The request latch is set by a rising edge (edge mode) or by the
        /// high level (level mode). In level mode it falls with the input. In edge mode the
        /// datasheet wants the input held until the first INTA; emulated sources pulse their
        /// line (HPET edge timers, QEMU-style IRQ pulses), so, as QEMU's i8259, a latched edge
        /// stays requested until acknowledged.
        mutating func setLine(_ i: Int, _ level: Bool) {
            let m = UInt8(1 << i)
            if level {
                if lines & m == 0 || levelMask & m != 0 { irr |= m }
                lines |= m
            } else {
                lines &= ~m
                if levelMask & m != 0 { irr &= ~m }
            }
        }

        /// INTA for IR `i`: ISR set (unless AEOI), IRR reset. A level input still high keeps
        /// requesting; an edge input needs a new rising edge.
        mutating func acknowledge(_ i: Int) {
            let m = UInt8(1 << i)
            if autoEOI {
                if rotateOnAutoEOI { priorityAdd = UInt8((i + 1) & 7) }
            } else {
                isr |= m
            }
            irr &= ~m
            irr |= lines & levelMask & m
        }

        /// Re-derive level-triggered requests after LTIM/ELCR changes.
        mutating func refreshLevels() { irr = (irr & ~levelMask) | (lines & levelMask) }

        mutating func writeCommand(_ v: UInt8) {
            if v & 0x10 != 0 {
                // ICW1 ("Initialization Command Words"): edge sense reset, IMR cleared, IR7 lowest,
                // special mask off, status read = IRR; without IC4 the ICW4 functions are zero.
                ltim = v & 0x08 != 0; single = v & 0x02 != 0; ic4 = v & 0x01 != 0
                imr = 0; isr = 0; irr = 0; priorityAdd = 0
                specialMask = false; readISR = false; poll = false; rotateOnAutoEOI = false
                autoEOI = false; specialFullyNested = false; mode8086 = false; bufferedMode = 0
                refreshLevels()
                initStep = 1
            } else if v & 0x08 != 0 {
                // OCW3: RR/RIS pick the register read at A0=0; P is a poll command; ESMM/SMM.
                if v & 0x02 != 0 { readISR = v & 0x01 != 0 }
                poll = v & 0x04 != 0
                if v & 0x40 != 0 { specialMask = v & 0x20 != 0 }
            } else {
                // OCW2, by R SL EOI (datasheet Table "Operation Command Word 2").
                let level = Int(v & 7)
                switch v >> 5 {
                case 0b001, 0b101:      // non-specific EOI / rotate on non-specific EOI
                    let p = rank(isr)
                    guard p < 8 else { return }
                    let i = irq(ofRank: p)
                    isr &= ~UInt8(1 << i)
                    if v >> 5 == 0b101 { priorityAdd = UInt8((i + 1) & 7) }
                case 0b011:             // specific EOI
                    isr &= ~UInt8(1 << level)
                case 0b111:             // rotate on specific EOI: that level becomes lowest
                    isr &= ~UInt8(1 << level)
                    priorityAdd = UInt8((level + 1) & 7)
                case 0b110:             // set priority: L becomes the lowest priority
                    priorityAdd = UInt8((level + 1) & 7)
                case 0b100: rotateOnAutoEOI = true
                case 0b000: rotateOnAutoEOI = false
                default: break          // 010: no operation
                }
            }
        }

        mutating func writeData(_ v: UInt8) {
            switch initStep {
            case 1:     // ICW2: T7-T3 of the vector (8086 mode ignores the low bits)
                vectorBase = v & 0xF8
                initStep = single ? (ic4 ? 3 : 0) : 2
            case 2:     // ICW3: slaves present (master) or slave ID (slave)
                icw3 = v
                initStep = ic4 ? 3 : 0
            case 3:     // ICW4: uPM, AEOI, BUF/M-S, SFNM
                mode8086 = v & 0x01 != 0
                autoEOI = v & 0x02 != 0
                bufferedMode = (v >> 2) & 3
                specialFullyNested = v & 0x10 != 0
                initStep = 0
            default:    // OCW1
                imr = v
            }
        }

        /// Poll command ("The Poll Command"): the read is the INTA of the highest request,
        /// returned as I and W2-W0 instead of a vector.
        mutating func pollRead() -> UInt8 {
            poll = false
            guard let i = pending() else { return 0 }
            acknowledge(i)
            return 0x80 | UInt8(i)
        }
    }

    public struct State: Codable, Equatable {
        public var master = Chip()
        public var slave = Chip()
        public init() {
            // PIIX ELCR1 bits 0-2 and ELCR2 bits 0 (IRQ8) and 5 (IRQ13) are reserved as edge.
            master.isMaster = true
            master.elcrMask = 0xF8
            slave.elcrMask = 0xDE
        }
    }

    public private(set) var state: State
    /// INTR to the CPU.
    public let output: IRQLine

    public private(set) lazy var master: PortDevice = Window(self, .master)
    public private(set) lazy var slave: PortDevice = Window(self, .slave)
    public private(set) lazy var elcr: PortDevice = Window(self, .elcr)

    public init(output: IRQLine) {
        self.output = output
        self.state = State()
    }

    /// Rebuild from a snapshot. The snapshot is authoritative (it may have been taken between
    /// the slave raising INT and the INTA), so only INTR is re-derived.
    public init(output: IRQLine, state: State) {
        self.output = output
        self.state = state
        output.set(interruptPending)
    }

    /// Set ISA IRQ `irq` (0-15) input level; edges/levels are interpreted per ELCR/LTIM.
    /// IRQ 2 is ignored: master IR2 carries the slave's INT (the ISA bus routes IRQ2 to IRQ9).
    public func setIRQ(_ irq: Int, _ level: Bool) {
        switch irq {
        case 0...7 where irq != 2: state.master.setLine(irq, level)
        case 8...15: state.slave.setLine(irq - 8, level)
        default: return
        }
        update()
    }

    /// INTA cycle: returns the vector to deliver (handles cascade and spurious), updates ISR/IRR.
    /// On a master spurious request nothing is set in service; on a slave spurious request the
    /// master has already taken IR2 into service and the slave answers with its IR7 vector.
    public func acknowledge() -> UInt8 {
        defer { update() }
        guard let i = state.master.pending() else { return state.master.vectorBase | 7 }
        state.master.acknowledge(i)
        guard i == 2 && !state.master.single else { return state.master.vectorBase | UInt8(i) }
        guard let j = state.slave.pending() else { return state.slave.vectorBase | 7 }
        state.slave.acknowledge(j)
        return state.slave.vectorBase | UInt8(j)
    }

    /// Whether INTR is asserted (an unmasked request with priority over in-service ones).
    public var interruptPending: Bool { state.master.pending() != nil }

    /// Propagate the slave's INT to master IR2, then the master's INT to INTR.
    func update() {
        if !state.master.single { state.master.setLine(2, state.slave.pending() != nil) }
        output.set(interruptPending)
    }

    // MARK: ports

    func readPort(_ which: Window.Kind, _ offset: UInt16) -> UInt8 {
        switch which {
        case .elcr: return offset & 1 == 0 ? state.master.elcr : state.slave.elcr
        case .master, .slave:
            var chip = which == .master ? state.master : state.slave
            let v: UInt8
            if chip.poll { v = chip.pollRead() }
            else if offset & 1 == 0 { v = chip.readISR ? chip.isr : chip.irr }
            else { v = chip.imr }
            store(which, chip)
            return v
        }
    }

    func writePort(_ which: Window.Kind, _ offset: UInt16, _ v: UInt8) {
        switch which {
        case .elcr:
            if offset & 1 == 0 { state.master.elcr = v & state.master.elcrMask; state.master.refreshLevels() }
            else { state.slave.elcr = v & state.slave.elcrMask; state.slave.refreshLevels() }
            update()
        case .master, .slave:
            var chip = which == .master ? state.master : state.slave
            if offset & 1 == 0 { chip.writeCommand(v) } else { chip.writeData(v) }
            store(which, chip)
        }
    }

    private func store(_ which: Window.Kind, _ chip: Chip) {
        if which == .master { state.master = chip } else { state.slave = chip }
        update()
    }

    /// One of the three port windows. Wider accesses cover consecutive ports of the window
    /// (e.g. a word read of ELCR at 4D0h returns both registers).
    final class Window: PortDevice {
        enum Kind { case master, slave, elcr }
        unowned let pic: PIC8259
        let kind: Kind
        init(_ pic: PIC8259, _ kind: Kind) { self.pic = pic; self.kind = kind }

        func read(offset: UInt16, size: Int) -> UInt32 {
            var v: UInt32 = 0
            for k in 0..<max(1, min(size, 4)) where Int(offset) + k < 2 {
                v |= UInt32(pic.readPort(kind, offset + UInt16(k))) << (8 * k)
            }
            return v
        }
        func write(offset: UInt16, size: Int, value: UInt32) {
            for k in 0..<max(1, min(size, 4)) where Int(offset) + k < 2 {
                pic.writePort(kind, offset + UInt16(k), UInt8(truncatingIfNeeded: value >> (8 * k)))
            }
        }
    }
}
