/// Intel 82093AA I/O Advanced Programmable Interrupt Controller (datasheet 290566, "Register
/// Description" 3.0-3.2), as QEMU 7.2's pc machine presents it (hw/intc/ioapic.c): 24 input
/// pins, version 0x20 by default, which is the ICH-style I/O APIC with a directed EOI register
/// at offset 0x40 (version 0x11 is the plain 82093AA without it).
///
/// MMIO window (the machine maps it at 0xFEC00000, 4 KiB; offsets alias modulo 0x100 as in
/// QEMU): 0x00 IOREGSEL (register index), 0x10 IOWIN (32-bit window onto the selected
/// register), 0x40 EOI (write-only, version 0x20). Indirect registers: 0x00 IOAPICID (bits
/// 24-27 writable), 0x01 IOAPICVER (read-only: version, max redirection entry 23 in bits
/// 16-23), 0x02 IOAPICARB (read-only, reads as the ID), 0x10 + 2n / 0x11 + 2n redirection
/// entry n low / high dword.
///
/// Pins are the I/O APIC's own inputs: `setIRQ(pin, level)` with pin 0-23. The ISA IRQ0 ->
/// pin 2 interrupt source override (ACPI MADT) is the machine's routing, not done here.
/// Lines are active high: the polarity bit (13) is stored but, as in QEMU, not applied.
///
/// Delivery is instantaneous (the Delivery Status bit 12 always reads 0): an interrupt leaves
/// as one `APICMessage` through `sendMessage`.
///   - Edge: a rising edge on an unmasked pin sends once. A rising edge on a masked pin is
///     dropped, not remembered (datasheet, "Interrupt Mask": "edge-sensitive interrupts
///     signaled on a masked interrupt pin are ignored (i.e., not delivered or held pending)").
///   - Level: while the pin is high, unmasked and Remote IRR (bit 14) is clear, the entry is
///     sent and Remote IRR set. A local APIC EOI for the vector (`eoi(vector:)`, or a write to
///     the EOI register) clears Remote IRR, and the interrupt is sent again at once if the pin
///     is still high and unmasked. Unmasking a level entry whose pin is high sends it.
///   - Switching an entry to edge clears its Remote IRR (QEMU does this for Linux's
///     mask/edge/level "EOI" trick on I/O APICs without an EOI register).
/// Not modelled: QEMU's interrupt-storm throttle (after 10000 back-to-back EOI re-deliveries
/// QEMU delays the next one by 10 ms); guests that handle level interrupts correctly never
/// reach it.
public final class IOAPIC82093: MMIODevice {
    public static let pinCount = 24
    public static let defaultBase: UInt64 = 0xFEC0_0000

    // Redirection entry bits (datasheet 3.2.4).
    static let vectorMask: UInt64 = 0xFF
    static let deliveryStatus: UInt64 = 1 << 12
    static let polarityLow: UInt64 = 1 << 13
    static let remoteIRR: UInt64 = 1 << 14
    static let levelTrigger: UInt64 = 1 << 15
    static let masked: UInt64 = 1 << 16
    static let readOnlyBits: UInt64 = deliveryStatus | remoteIRR
    /// Reset value of every entry: masked, everything else 0 (datasheet 3.2.4).
    public static let entryReset: UInt64 = masked

    public struct State: Codable, Equatable {
        public var id: UInt8                    // 4-bit APIC ID (IOAPICID bits 24-27)
        public var version: UInt8               // 0x20 (with EOI register) or 0x11
        public var ioregsel: UInt8 = 0
        public var redirection = [UInt64](repeating: IOAPIC82093.entryReset, count: IOAPIC82093.pinCount)
        /// Current input pin levels, bit n = pin n.
        public var lines: UInt32 = 0
        public init(id: UInt8 = 0, version: UInt8 = 0x20) { self.id = id & 0xF; self.version = version }
    }

    public private(set) var state: State
    /// Where interrupts go: the APIC bus (local APICs). Called synchronously from `setIRQ`,
    /// `eoi`, and register writes; the receiver must not assume anything about the CPU state.
    /// For ExtINT entries the vector field is meaningless: the receiving local APIC obtains
    /// the vector from the 8259 with an INTA cycle.
    public var sendMessage: (APICMessage) -> Void = { _ in }
    /// The ID the platform gives the I/O APIC (restored by `reset`).
    private let resetID: UInt8

    /// `id` is the 4-bit I/O APIC ID (the MADT's I/O APIC ID; QEMU's pc uses 0).
    /// `version` 0x20 (default, QEMU's default) has the EOI register; 0x11 does not.
    public init(id: UInt8 = 0, version: UInt8 = 0x20) {
        precondition(version == 0x20 || version == 0x11, "IOAPIC version must be 0x11 or 0x20")
        state = State(id: id, version: version)
        resetID = id & 0xF
    }

    /// Rebuild from a snapshot. Nothing is re-sent: Remote IRR in the snapshot already says
    /// which level interrupts are outstanding.
    public init(state: State) {
        self.state = state
        resetID = state.id
    }

    /// Back to the power-on state: every entry masked, IOREGSEL 0, the ID back to the one
    /// given at init (QEMU's reset sets 0, the pc machine's MADT I/O APIC ID).
    public func reset() {
        let lines = state.lines
        state = State(id: resetID, version: state.version)
        state.lines = lines     // input pins are driven by the devices, not by the I/O APIC
    }

    // MARK: pins

    /// Drive input pin `pin` (0-23) to `level`. Out-of-range pins are ignored with a warning.
    public func setIRQ(_ pin: Int, _ level: Bool) {
        guard pin >= 0 && pin < IOAPIC82093.pinCount else {
            DeviceLog.warnOnce("ioapic", "setIRQ on nonexistent pin \(pin) ignored")
            return
        }
        let bit = UInt32(1) << UInt32(pin)
        let was = state.lines & bit != 0
        if level { state.lines |= bit } else { state.lines &= ~bit }
        let e = state.redirection[pin]
        if e & IOAPIC82093.levelTrigger != 0 {
            if level { deliver(pin) }
        } else if level && !was {
            deliver(pin)          // rising edge; `deliver` drops it if masked
        }
    }

    /// Whether pin `pin`'s input is high.
    public func line(_ pin: Int) -> Bool { state.lines & (UInt32(1) << UInt32(pin)) != 0 }

    /// EOI broadcast from a local APIC for `vector` (SDM Vol. 3, 10.8.5 "Signaling Interrupt
    /// Servicing Completion": a local APIC sends it for level-triggered vectors): clears
    /// Remote IRR of every level-triggered entry with that vector and re-sends each one whose
    /// pin is still high and which is unmasked.
    public func eoi(vector: UInt8) {
        for pin in 0..<IOAPIC82093.pinCount {
            let e = state.redirection[pin]
            guard e & IOAPIC82093.vectorMask == UInt64(vector), e & IOAPIC82093.levelTrigger != 0,
                  e & IOAPIC82093.remoteIRR != 0 else { continue }
            state.redirection[pin] = e & ~IOAPIC82093.remoteIRR
            deliver(pin)
        }
    }

    /// Send pin `pin`'s interrupt if the entry's conditions allow it (see the type comment).
    private func deliver(_ pin: Int) {
        let e = state.redirection[pin]
        if e & IOAPIC82093.masked != 0 { return }
        let level = e & IOAPIC82093.levelTrigger != 0
        if level {
            guard line(pin), e & IOAPIC82093.remoteIRR == 0 else { return }
        }
        let modeBits = UInt8(truncatingIfNeeded: e >> 8) & 7
        guard modeBits != 3 && modeBits != 6 else {
            // 011 and 110 are reserved in the 82093AA's Delivery Mode field (3.2.4).
            DeviceLog.warnOnce("ioapic", "redirection entry with reserved delivery mode \(modeBits) not delivered")
            return
        }
        if level { state.redirection[pin] = e | IOAPIC82093.remoteIRR }
        let msg = APICMessage(vector: UInt8(truncatingIfNeeded: e),
                              mode: APICMessage.DeliveryMode(rawValue: modeBits)!,
                              destination: UInt32(truncatingIfNeeded: e >> 56),
                              logical: e & (1 << 11) != 0,
                              level: true, levelTriggered: level)
        sendMessage(msg)
    }

    /// Offer every pin for delivery, lowest first (after a redirection entry changes, as
    /// QEMU's ioapic_service does).
    private func service() {
        for pin in 0..<IOAPIC82093.pinCount where state.redirection[pin] & IOAPIC82093.levelTrigger != 0 {
            deliver(pin)
        }
    }

    // MARK: registers

    /// The indirect register selected by IOREGSEL (datasheet 3.1, 3.2).
    func readRegister(_ index: UInt8) -> UInt32 {
        switch index {
        case 0x00, 0x02:
            // IOAPICARB: "loaded when the IOAPICID register is written" (3.2.3); QEMU reads
            // the ID there, which kvm-unit-tests' "arbitration register set by id" checks.
            return UInt32(state.id) << 24
        case 0x01:
            return UInt32(state.version) | UInt32(IOAPIC82093.pinCount - 1) << 16
        case 0x10...0x3F:
            let e = state.redirection[Int(index - 0x10) >> 1]
            return UInt32(truncatingIfNeeded: index & 1 != 0 ? e >> 32 : e)
        default:
            DeviceLog.warnOnce("ioapic", "read of undefined indirect register 0x\(String(index, radix: 16)) (returns 0)")
            return 0
        }
    }

    func writeRegister(_ index: UInt8, _ v: UInt32) {
        switch index {
        case 0x00:
            state.id = UInt8(truncatingIfNeeded: v >> 24) & 0xF
        case 0x01, 0x02:
            break               // IOAPICVER and IOAPICARB are read-only
        case 0x10...0x3F:
            let pin = Int(index - 0x10) >> 1
            let old = state.redirection[pin]
            var e = index & 1 != 0
                ? (old & 0xFFFF_FFFF) | UInt64(v) << 32
                : (old & 0xFFFF_FFFF_0000_0000) | UInt64(v)
            // Delivery Status and Remote IRR are read-only (3.2.4).
            e = (e & ~IOAPIC82093.readOnlyBits) | (old & IOAPIC82093.readOnlyBits)
            if e & IOAPIC82093.levelTrigger == 0 { e &= ~IOAPIC82093.remoteIRR }
            if e & IOAPIC82093.polarityLow != 0 {
                DeviceLog.warnOnce("ioapic", "active-low polarity programmed: ignored, inputs are active high as in QEMU")
            }
            if e & 0x00FF_FFFF_FFFE_0000 != 0 {
                // Bits 17-55 are reserved; QEMU keeps what is written (bits 48-55 carry an
                // interrupt-remapping index or an extended destination ID, neither modelled).
                DeviceLog.warnOnce("ioapic", "reserved redirection entry bits 17-55 written: ignored for delivery")
            }
            state.redirection[pin] = e
            // An edge entry that is not masked does not deliver here: edges come only from
            // the pin. A level entry with its pin high may now be deliverable.
            service()
        default:
            DeviceLog.warnOnce("ioapic", "write to undefined indirect register 0x\(String(index, radix: 16)) ignored")
        }
    }

    public func read(offset: UInt64, size: Int) -> UInt64 {
        if size == 8 {
            return read(offset: offset, size: 4) | read(offset: offset + 4, size: 4) << 32
        }
        switch offset & 0xFF {
        case 0x00:
            return UInt64(state.ioregsel)
        case 0x10:
            guard size == 4 else {
                DeviceLog.warnOnce("ioapic", "\(size)-byte IOWIN read (only 32-bit accesses are defined; returns 0)")
                return 0
            }
            return UInt64(readRegister(state.ioregsel))
        case 0x40 where state.version == 0x20:
            return 0                // EOI register is write-only
        default:
            DeviceLog.warnOnce("ioapic", "read at undefined offset 0x\(String(offset & 0xFF, radix: 16)) (returns 0)")
            return 0
        }
    }

    public func write(offset: UInt64, size: Int, value: UInt64) {
        if size == 8 {
            write(offset: offset, size: 4, value: value & 0xFFFF_FFFF)
            write(offset: offset + 4, size: 4, value: value >> 32)
            return
        }
        switch offset & 0xFF {
        case 0x00:
            state.ioregsel = UInt8(truncatingIfNeeded: value)
        case 0x10:
            guard size == 4 else {
                DeviceLog.warnOnce("ioapic", "\(size)-byte IOWIN write ignored (only 32-bit accesses are defined)")
                return
            }
            writeRegister(state.ioregsel, UInt32(truncatingIfNeeded: value))
        case 0x40 where state.version == 0x20:
            guard size == 4 else {
                DeviceLog.warnOnce("ioapic", "\(size)-byte EOI register write ignored (only 32-bit accesses are defined)")
                return
            }
            eoi(vector: UInt8(truncatingIfNeeded: value))
        default:
            DeviceLog.warnOnce("ioapic", "write at undefined offset 0x\(String(offset & 0xFF, radix: 16)) ignored")
        }
    }
}
