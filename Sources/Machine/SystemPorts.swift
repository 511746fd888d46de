import DeviceModel

/// Small board-level I/O ports of the PC that are not a chip of their own.
///
/// Port 0x61, system control port B (IBM PC/AT Technical Reference; PIIX3 datasheet 4.7.2
/// "NMI Status and Control Register"): bit 0 PIT counter 2 GATE, bit 1 speaker data, bit 4
/// refresh toggle, bit 5 counter 2 OUT. Reads and writes go to the PIT model.
final class SystemControlPortB: PortDevice {
    unowned let pit: PIT8254
    init(pit: PIT8254) { self.pit = pit }
    func read(offset: UInt16, size: Int) -> UInt32 { UInt32(pit.readPort61()) }
    func write(offset: UInt16, size: Int, value: UInt32) { pit.writePort61(UInt8(truncatingIfNeeded: value)) }
}

/// Port 0x92, system control port A (PS/2 "fast A20 and reset"): bit 1 A20 gate (swemu keeps
/// A20 enabled; a guest clearing it is logged), bit 0 fast reset on a 0 -> 1 transition.
final class SystemControlPortA: PortDevice {
    var value: UInt8 = 0x02
    let reset: () -> Void
    init(reset: @escaping () -> Void) { self.reset = reset }
    func read(offset: UInt16, size: Int) -> UInt32 { UInt32(value) }
    func write(offset: UInt16, size: Int, value v: UInt32) {
        let b = UInt8(truncatingIfNeeded: v)
        if b & 2 == 0 { DeviceLog.warnOnce("port 0x92", "guest disabled A20; A20 masking is not emulated (A20 stays on)") }
        let old = value
        value = b & ~1
        if b & 1 != 0 && old & 1 == 0 { reset() }
    }
}

/// Port 0x80, the POST diagnostic port: writes are the firmware's progress codes (kept for
/// a trace), reads return the last code, as QEMU's ioport80.
final class POSTPort: PortDevice {
    var last: UInt8 = 0
    func read(offset: UInt16, size: Int) -> UInt32 { UInt32(last) }
    func write(offset: UInt16, size: Int, value: UInt32) { last = UInt8(truncatingIfNeeded: value) }
}

/// Port 0xF0, the PC's coprocessor-error latch: the FPU's FERR# output is latched onto IRQ 13
/// (the legacy path for unmasked x87 exceptions with CR0.NE = 0, SDM Vol. 1, D.2.1); an OUT to
/// 0xF0 clears the latch (and asserts IGNNE#, so the waiting instruction proceeds), as in
/// QEMU's pc machine.
final class FERRLatch: PortDevice {
    let setIRQ: (Bool) -> Void
    var active = false
    init(setIRQ: @escaping (Bool) -> Void) { self.setIRQ = setIRQ }
    func raise() { if !active { active = true; setIRQ(true) } }
    func read(offset: UInt16, size: Int) -> UInt32 { 0xFF }
    func write(offset: UInt16, size: Int, value: UInt32) { if active { active = false; setIRQ(false) } }
}

/// Ports 0xB2/0xB3, the APM control and status ports of the PIIX4 (82371AB datasheet 7.1.1):
/// the ACPI_ENABLE / ACPI_DISABLE values the FADT names (0xF1 / 0xF0) switch SCI_EN, as the
/// SMI handler of a PC firmware does; 0xB3 is a scratch byte.
final class APMControlPort: PortDevice {
    unowned let pm: ACPIPM
    var command: UInt8 = 0, status: UInt8 = 0
    init(pm: ACPIPM) { self.pm = pm }
    func read(offset: UInt16, size: Int) -> UInt32 { UInt32(offset == 0 ? command : status) }
    func write(offset: UInt16, size: Int, value: UInt32) {
        let b = UInt8(truncatingIfNeeded: value)
        if offset == 0 { command = b; pm.apmCommand(b) } else { status = b }
    }
}

/// Where the real-mode IVT stubs of a -kernel boot report a vector that reached them (the
/// Bochs "panic" port 0x401 range): swemu has no BIOS services, so an INT 10h/13h/15h or an
/// unhandled real-mode exception is logged once per vector instead of returning silently.
final class BIOSStubPort: PortDevice {
    static let port: UInt16 = 0x401
    func read(offset: UInt16, size: Int) -> UInt32 { 0xFF }
    func write(offset: UInt16, size: Int, value: UInt32) {
        let v = value & 0xFF
        DeviceLog.warnOnce("BIOS", "real-mode interrupt 0x\(String(v, radix: 16)) reached the default handler: "
                           + "there are no BIOS services with -kernel (exception or BIOS call not handled by the guest)")
    }
}
