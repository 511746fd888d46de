/// National Semiconductor PC16550D UART (datasheet, "Registers", Table 2), as the PC's COM
/// ports. Transmission is immediate (no baud-rate timing); the receive FIFO is fed by the
/// character backend. Interrupt identification follows the datasheet's priority table
/// (Table 4): line status > received data > character timeout > THR empty > modem status.
public final class Serial16550: PortDevice {
    public struct State: Codable, Equatable {
        public var ier: UInt8 = 0, lcr: UInt8 = 0, mcr: UInt8 = 0, scr: UInt8 = 0
        public var dll: UInt8 = 0x0C, dlm: UInt8 = 0, fcr: UInt8 = 0, lsr: UInt8 = 0x60, msr: UInt8 = 0xB0
        public var thrInterrupt = false
        public var rx: [UInt8] = []
    }
    public private(set) var state = State()
    public let irq: IRQLine
    /// Where transmitted bytes go (stdio, a file, a pty...).
    public var transmit: (UInt8) -> Void
    static let fifoSize = 16

    public init(irq: IRQLine = IRQLine(), transmit: @escaping (UInt8) -> Void = { _ in }) {
        self.irq = irq; self.transmit = transmit
    }

    public func receive(_ bytes: [UInt8]) {
        for b in bytes {
            if state.rx.count >= (state.fcr & 1 != 0 ? Serial16550.fifoSize : 1) { state.lsr |= 0x02; continue } // overrun
            state.rx.append(b)
        }
        if !state.rx.isEmpty { state.lsr |= 0x01 }
        updateIRQ()
    }
    public var canReceive: Bool { state.rx.count < (state.fcr & 1 != 0 ? Serial16550.fifoSize : 1) }

    var dlab: Bool { state.lcr & 0x80 != 0 }

    public func read(offset: UInt16, size: Int) -> UInt32 {
        switch offset & 7 {
        case 0:
            if dlab { return UInt32(state.dll) }
            var v: UInt8 = 0
            if !state.rx.isEmpty { v = state.rx.removeFirst() }
            if state.rx.isEmpty { state.lsr &= ~0x01 }
            updateIRQ()
            return UInt32(v)
        case 1: return UInt32(dlab ? state.dlm : state.ier)
        case 2:
            let id = interruptID
            if id == 0x02 { state.thrInterrupt = false; updateIRQ() }   // reading IIR clears THRE
            return UInt32(id | (state.fcr & 1 != 0 ? 0xC0 : 0))
        case 3: return UInt32(state.lcr)
        case 4: return UInt32(state.mcr)
        case 5:
            let v = state.lsr
            state.lsr &= ~0x1E          // OE, PE, FE, BI clear on read
            updateIRQ()
            return UInt32(v)
        case 6:
            if state.mcr & 0x10 != 0 {
                // Loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD.
                let m = state.mcr
                return UInt32((m & 1) << 5 | (m & 2) << 3 | (m & 4) << 4 | (m & 8) << 4)
            }
            return UInt32(state.msr)
        default: return UInt32(state.scr)
        }
    }

    public func write(offset: UInt16, size: Int, value: UInt32) {
        let v = UInt8(truncatingIfNeeded: value)
        switch offset & 7 {
        case 0:
            if dlab { state.dll = v; return }
            if state.mcr & 0x10 != 0 { receive([v]) } else { transmit(v) }
            // The byte leaves at once: THR and the shift register are empty again.
            state.lsr |= 0x60
            state.thrInterrupt = true
            updateIRQ()
        case 1:
            if dlab { state.dlm = v; return }
            let old = state.ier
            state.ier = v & 0x0F
            // Enabling ETBEI with THR empty raises the THRE interrupt (datasheet, IER bit 1).
            if v & 2 != 0 && old & 2 == 0 && state.lsr & 0x20 != 0 { state.thrInterrupt = true }
            updateIRQ()
        case 2:
            if v & 1 != (state.fcr & 1) { state.rx.removeAll() }
            if v & 2 != 0 { state.rx.removeAll(); state.lsr &= ~0x01 }
            state.fcr = v & 0xC9
            updateIRQ()
        case 3: state.lcr = v
        case 4: state.mcr = v & 0x1F; updateIRQ()
        case 5: break   // LSR is read-only (factory test)
        case 6: break
        default: state.scr = v
        }
    }

    /// IIR interrupt identification (0x01 = none pending).
    var interruptID: UInt8 {
        if state.ier & 0x04 != 0 && state.lsr & 0x1E != 0 { return 0x06 }
        if state.ier & 0x01 != 0 && !state.rx.isEmpty { return 0x04 }
        if state.ier & 0x02 != 0 && state.thrInterrupt { return 0x02 }
        if state.ier & 0x08 != 0 && state.msr & 0x0F != 0 { return 0x00 }
        return 0x01
    }
    func updateIRQ() {
        // OUT2 gates the interrupt onto the ISA bus on PCs.
        irq.set(interruptID != 0x01 && state.mcr & 0x08 != 0)
    }
}
