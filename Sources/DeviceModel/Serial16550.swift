/// National Semiconductor PC16550D UART (datasheet, "Registers", Table 2), as the PC's COM
/// ports.
///
/// Receiver: the character backend (or the transmitter, in loopback) feeds the receiver shift
/// register; in 16450 mode (FCR0 = 0) the byte goes to the one-byte RBR, in FIFO mode to the
/// 16-byte RCVR FIFO, each byte with its PE/FE/BI error bits ("FIFO Interrupt Mode
/// Operation"). The received-data interrupt follows the programmed trigger level; the
/// character timeout runs on the machine's virtual clock: 4 character times at the programmed
/// baud rate (1.8432 MHz / 16 / divisor) and frame size (start + word length + parity + stop
/// bits, from LCR).
/// Transmitter: immediate (no baud-rate timing). A THR write takes the byte to the shift
/// register and out at once, so THRE/TEMT read 1 again right away; the THR empty interrupt is
/// cleared by the write and raised again when the holding register empties, so the IRQ line
/// drops and rises (an edge for the 8259), as on the chip where the shift-register load takes
/// about a bit time.
/// Interrupt identification follows Table 4: line status > received data / character timeout
/// > THR empty > modem status. OUT2 (MCR bit 3) gates the interrupt onto the ISA bus, as PC
/// serial adapters and Super I/O chips do.
public final class Serial16550: PortDevice {
    public struct State: Codable, Equatable {
        public var ier: UInt8 = 0, lcr: UInt8 = 0, mcr: UInt8 = 0, scr: UInt8 = 0
        public var dll: UInt8 = 0x0C, dlm: UInt8 = 0, fcr: UInt8 = 0
        /// DR, OE, PE, FE, BI, THRE, TEMT, error in RCVR FIFO (bit 7, FIFO mode only).
        public var lsr: UInt8 = 0x60
        /// Bits 7:4 the modem inputs as the UART sees them (DCD, RI, DSR, CTS), 3:0 the deltas
        /// (DDCD, TERI, DDSR, DCTS).
        public var msr: UInt8 = 0xB0
        /// The external modem input lines in MSR bit positions 7:4 (disconnected in loopback).
        /// Default as QEMU's non-tty backends: DCD, DSR and CTS asserted, no ring.
        public var modemLines: UInt8 = 0xB0
        /// THR empty interrupt latch (cleared by an IIR read that reports it or by a THR write).
        public var thrInterrupt = false
        /// Character timeout interrupt latch (FIFO mode).
        public var timeoutInterrupt = false
        /// Virtual time (ns) of the last RCVR FIFO input or read: the timeout counter's start.
        public var timeoutStart: UInt64 = 0
        /// RCVR FIFO contents (FIFO mode), oldest first, and the PE/FE/BI bits of each byte
        /// (LSR bit positions).
        public var rx: [UInt8] = []
        public var rxErrors: [UInt8] = []
        /// Receiver buffer register (16450 mode); DR says whether it holds an unread byte.
        public var rbr: UInt8 = 0
        public init() {}
    }
    public private(set) var state = State()
    public let irq: IRQLine
    /// The machine clock for the character timeout; nil: no time passes inside the UART, and
    /// a FIFO holding fewer bytes than the trigger level reports the timeout at once.
    public let clock: VirtualClock?
    /// Where transmitted bytes go (stdio, a file, a pty...).
    public var transmit: (UInt8) -> Void
    private var timer: DeviceTimer?
    static let fifoSize = 16
    /// 1.8432 MHz crystal / 16 clocks per bit: the bit rate at divisor 1.
    public static let baudBase: UInt64 = 115_200

    // LSR bits.
    static let DR: UInt8 = 0x01, OE: UInt8 = 0x02, BI: UInt8 = 0x10, THRE: UInt8 = 0x20, TEMT: UInt8 = 0x40
    static let fifoError: UInt8 = 0x80, lineErrors: UInt8 = 0x1E

    public init(irq: IRQLine = IRQLine(), clock: VirtualClock? = nil,
                transmit: @escaping (UInt8) -> Void = { _ in }) {
        self.irq = irq; self.clock = clock; self.transmit = transmit
        // Weak: an armed timer stays in the clock's queue if the UART goes away first.
        if let c = clock { timer = DeviceTimer(clock: c) { [weak self] in self?.timeoutExpired() } }
    }

    /// Rebuild from a saved state (the clock at the time the state was taken or later).
    public convenience init(state: State, irq: IRQLine = IRQLine(), clock: VirtualClock? = nil,
                            transmit: @escaping (UInt8) -> Void = { _ in }) {
        self.init(irq: irq, clock: clock, transmit: transmit)
        self.state = state
        if fifoEnabled && !state.rx.isEmpty && !state.timeoutInterrupt { armTimeout() }
        updateIRQ()
    }

    /// Master reset (datasheet Table 3): IER, FCR, LCR, MCR cleared, LSR = THRE | TEMT,
    /// MSR deltas cleared, FIFOs and interrupt latches cleared. RBR, the divisor latch and SCR
    /// keep their contents.
    public func reset() {
        timer?.cancel()
        state.ier = 0; state.fcr = 0; state.lcr = 0; state.mcr = 0
        state.lsr = Self.THRE | Self.TEMT
        state.msr = state.modemLines & 0xF0
        state.thrInterrupt = false; state.timeoutInterrupt = false
        state.rx.removeAll(); state.rxErrors.removeAll()
        updateIRQ()
    }

    // MARK: backend side

    /// Bytes arriving on the serial input (SIN). In loopback SIN is disconnected: they are lost.
    public func receive(_ bytes: [UInt8]) {
        guard !loopback else { return }
        catchUp()
        for b in bytes { shiftIn(b, errors: 0) }
        updateIRQ()
    }

    /// A break on the serial input (SIN held spacing for more than a character time): a zero
    /// byte with BI, one per break (datasheet LSR bit 4).
    public func receiveBreak() {
        guard !loopback else { return }
        catchUp()
        shiftIn(0, errors: Self.BI)
        updateIRQ()
    }

    /// Set the external modem inputs (MSR bit positions: 0x10 CTS, 0x20 DSR, 0x40 RI, 0x80 DCD).
    /// Changes set the delta bits unless loopback has disconnected the inputs.
    public func setModemLines(_ lines: UInt8) {
        catchUp()
        state.modemLines = lines & 0xF0
        updateModemInputs()
        updateIRQ()
    }

    /// Whether the receiver can take a byte without an overrun.
    public var canReceive: Bool { receiveCapacity > 0 }

    /// How many bytes a backend should hand over now: up to the trigger level (so the guest
    /// sees the interrupt rate it programmed), then one at a time until the FIFO is full; one
    /// for an empty RBR in 16450 mode; none in loopback.
    public var receiveCapacity: Int {
        if loopback { return 0 }
        if !fifoEnabled { return state.lsr & Self.DR != 0 ? 0 : 1 }
        let n = state.rx.count
        if n >= Self.fifoSize { return 0 }
        return n < triggerLevel ? triggerLevel - n : 1
    }

    // MARK: registers

    var dlab: Bool { state.lcr & 0x80 != 0 }
    var loopback: Bool { state.mcr & 0x10 != 0 }
    var fifoEnabled: Bool { state.fcr & 1 != 0 }
    /// RCVR FIFO trigger level (FCR bits 7:6): 1, 4, 8 or 14 bytes.
    var triggerLevel: Int { [1, 4, 8, 14][Int(state.fcr >> 6)] }
    var divisor: UInt64 { UInt64(state.dlm) << 8 | UInt64(state.dll) }

    public func read(offset: UInt16, size: Int) -> UInt32 {
        catchUp()
        switch offset & 7 {
        case 0:
            if dlab { return UInt32(state.dll) }
            return UInt32(readRBR())
        case 1: return UInt32(dlab ? state.dlm : state.ier)
        case 2:
            let id = interruptID
            // Reading IIR clears the THR empty interrupt when it is the one reported.
            if id == 0x02 { state.thrInterrupt = false; updateIRQ() }
            return UInt32(id | (fifoEnabled ? 0xC0 : 0))
        case 3: return UInt32(state.lcr)
        case 4: return UInt32(state.mcr)
        case 5:
            let v = state.lsr
            // OE, PE, FE, BI clear on read; the FIFO error bit clears unless another byte in
            // the FIFO still carries an error.
            state.lsr &= ~Self.lineErrors
            if !state.rxErrors.contains(where: { $0 != 0 }) { state.lsr &= ~Self.fifoError }
            updateIRQ()
            return UInt32(v)
        case 6:
            let v = state.msr
            state.msr &= 0xF0               // deltas clear on read
            updateIRQ()
            return UInt32(v)
        default: return UInt32(state.scr)
        }
    }

    public func write(offset: UInt16, size: Int, value: UInt32) {
        catchUp()
        let v = UInt8(truncatingIfNeeded: value)
        switch offset & 7 {
        case 0:
            if dlab { retime { state.dll = v }; return }
            // The write clears the THR empty interrupt; the byte moves on to the shift
            // register (and out) at once, and THR empty is raised again.
            state.thrInterrupt = false
            state.lsr &= ~(Self.THRE | Self.TEMT)
            updateIRQ()
            if loopback { shiftIn(v, errors: 0) } else { transmit(v) }
            state.lsr |= Self.THRE | Self.TEMT
            state.thrInterrupt = true
            updateIRQ()
        case 1:
            if dlab { retime { state.dlm = v }; return }
            let old = state.ier
            state.ier = v & 0x0F
            // Enabling ETBEI with THR empty raises the THRE interrupt (datasheet, IER bit 1;
            // drivers toggle ETBEI to kick the transmitter); disabling it drops the latch.
            if state.ier & 2 != 0 && old & 2 == 0 && state.lsr & Self.THRE != 0 { state.thrInterrupt = true }
            if state.ier & 2 == 0 { state.thrInterrupt = false }
            updateIRQ()
        case 2:
            writeFCR(v)
        case 3:
            if v & 0x40 != 0 && state.lcr & 0x40 == 0 {
                DeviceLog.warnOnce("16550", "break (LCR bit 6) is not sent to the serial backend or looped back")
            }
            retime { state.lcr = v }
        case 4:
            state.mcr = v & 0x1F            // bits 7:5 are always 0
            updateModemInputs()
            updateIRQ()
        case 5, 6: break                    // LSR (factory test only) and MSR are read-only
        default: state.scr = v
        }
    }

    /// FCR (datasheet "FIFO Control Register"): bit 0 enables both FIFOs and must be 1 for
    /// the other bits to be programmed; changing it clears both FIFOs. Bits 1/2 reset the
    /// RCVR/XMIT FIFO (self-clearing; the shift registers are not touched), bit 3 selects the
    /// DMA mode (RXRDY/TXRDY pins, not wired on the PC), bits 7:6 the RCVR trigger level.
    func writeFCR(_ v: UInt8) {
        let enable = v & 1 != 0
        if enable != fifoEnabled {
            clearReceiver()
            state.lsr &= ~Self.DR           // a byte held in the 16450 RBR goes too
        }
        if !enable {
            state.fcr &= ~1
        } else {
            if v & 0x02 != 0 { clearReceiver() }
            // XMIT FIFO reset: transmission is immediate, the XMIT FIFO is always empty.
            state.fcr = v & 0xC9
        }
        updateIRQ()
    }

    func clearReceiver() {
        state.rx.removeAll(); state.rxErrors.removeAll()
        state.timeoutInterrupt = false
        timer?.cancel()
        if fifoEnabled { state.lsr &= ~(Self.DR | Self.fifoError) }
    }

    func readRBR() -> UInt8 {
        if !fifoEnabled {
            state.lsr &= ~Self.DR
            updateIRQ()
            return state.rbr
        }
        guard !state.rx.isEmpty else { return 0 }   // empty FIFO reads 0 (as QEMU)
        let v = state.rx.removeFirst()
        state.rxErrors.removeFirst()
        // The next byte's errors show in LSR once it is at the top of the FIFO.
        if let e = state.rxErrors.first { state.lsr |= e }
        if state.rx.isEmpty { state.lsr &= ~Self.DR }
        // A read clears the timeout interrupt and restarts the timeout counter.
        state.timeoutInterrupt = false
        restartTimeout()
        updateIRQ()
        return v
    }

    /// A character completed in the receiver shift register.
    func shiftIn(_ b: UInt8, errors: UInt8) {
        if !fifoEnabled {
            // 16450 mode: an unread RBR is overwritten (datasheet LSR bit 1).
            if state.lsr & Self.DR != 0 { state.lsr |= Self.OE }
            state.rbr = b
            state.lsr |= Self.DR | errors
            return
        }
        if state.rx.count >= Self.fifoSize {
            // The FIFO keeps its contents; the byte in the shift register is lost.
            state.lsr |= Self.OE
        } else {
            state.rx.append(b); state.rxErrors.append(errors)
            if state.rx.count == 1 { state.lsr |= errors }
            if errors != 0 { state.lsr |= Self.fifoError }
            state.lsr |= Self.DR
        }
        // A received character clears a pending timeout and restarts the counter.
        state.timeoutInterrupt = false
        restartTimeout()
    }

    // MARK: character timeout

    /// Time of 4 characters at the current baud rate and frame size, in ns (nil: divisor 0,
    /// the baud generator does not run).
    var timeoutNs: UInt64? {
        let d = divisor
        guard d != 0 else { return nil }
        let word = UInt64(state.lcr & 3) + 5
        let parity: UInt64 = state.lcr & 0x08 != 0 ? 1 : 0
        // Stop bits in half bits: 1, or 2 (1.5 with a 5-bit word) when LCR bit 2 is set.
        let stopHalves: UInt64 = state.lcr & 0x04 == 0 ? 2 : (word == 5 ? 3 : 4)
        let halves = 2 * (1 + word + parity) + stopHalves
        return 4 * halves * d * 1_000_000_000 / (2 * Self.baudBase)
    }

    func restartTimeout() {
        guard fifoEnabled, !state.rx.isEmpty else { timer?.cancel(); return }
        guard let c = clock else {
            // No clock: the 4 character times pass at once.
            state.timeoutInterrupt = state.rx.count < triggerLevel
            return
        }
        state.timeoutStart = c.now
        armTimeout()
    }

    func armTimeout() {
        guard let t = timer else { return }
        guard let ns = timeoutNs else {
            DeviceLog.warnOnce("16550", "divisor latch 0: no character timeout")
            t.cancel(); return
        }
        t.schedule(at: state.timeoutStart &+ ns)
    }

    /// A write to LCR or the divisor latch: the timeout counter counts bit clocks, so the
    /// part of the 4 character times already elapsed is kept and the rest runs at the new
    /// rate (so a driver passing through LCR = 0x80 on its way to the divisor latch does not
    /// shorten the running timeout).
    func retime(_ change: () -> Void) {
        let before = timeoutNs
        change()
        guard let t = timer, t.isArmed || before == nil, let c = clock, fifoEnabled, !state.rx.isEmpty,
              !state.timeoutInterrupt, let after = timeoutNs, after != before else { return }
        if let b = before, b > 0 {
            let elapsed = min(c.now &- state.timeoutStart, b)
            let (hi, lo) = elapsed.multipliedFullWidth(by: after)
            state.timeoutStart = c.now &- b.dividingFullWidth((hi, lo)).quotient
        } else {
            state.timeoutStart = c.now      // the baud clock starts again
        }
        armTimeout()
    }

    func timeoutExpired() {
        guard fifoEnabled, !state.rx.isEmpty else { return }
        state.timeoutInterrupt = true
        updateIRQ()
    }

    /// A register access in the middle of a CPU slice (clock synced, timers not yet run):
    /// expire a timeout whose deadline has passed first.
    func catchUp() {
        if let t = timer, let d = t.deadline, let c = clock, d <= c.now {
            t.cancel()
            timeoutExpired()
        }
    }

    // MARK: modem status

    /// The modem inputs seen by the UART: the external lines, or in loopback the MCR outputs
    /// (DTR -> DSR, RTS -> CTS, OUT1 -> RI, OUT2 -> DCD). Changes set the delta bits: DCTS,
    /// DDSR and DDCD on any change, TERI when RI goes from on to off.
    func updateModemInputs() {
        let m = state.mcr
        let new: UInt8 = loopback
            ? (m & 1) << 5 | (m & 2) << 3 | (m & 4) << 4 | (m & 8) << 4
            : state.modemLines & 0xF0
        let old = state.msr & 0xF0
        let changed = old ^ new
        var delta: UInt8 = 0
        if changed & 0x10 != 0 { delta |= 0x01 }
        if changed & 0x20 != 0 { delta |= 0x02 }
        if old & 0x40 != 0 && new & 0x40 == 0 { delta |= 0x04 }
        if changed & 0x80 != 0 { delta |= 0x08 }
        state.msr = new | (state.msr & 0x0F) | delta
    }

    // MARK: interrupts

    /// IIR interrupt identification, bits 3:0 (0x01 = none pending).
    var interruptID: UInt8 {
        let s = state
        if s.ier & 0x04 != 0 && s.lsr & Self.lineErrors != 0 { return 0x06 }
        if s.ier & 0x01 != 0 {
            if s.timeoutInterrupt { return 0x0C }
            if fifoEnabled ? s.rx.count >= triggerLevel : s.lsr & Self.DR != 0 { return 0x04 }
        }
        if s.ier & 0x02 != 0 && s.thrInterrupt { return 0x02 }
        if s.ier & 0x08 != 0 && s.msr & 0x0F != 0 { return 0x00 }
        return 0x01
    }

    func updateIRQ() {
        // OUT2 gates the interrupt onto the ISA bus on PCs.
        irq.set(interruptID != 0x01 && state.mcr & 0x08 != 0)
    }
}
