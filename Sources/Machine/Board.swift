import CPU
import DeviceModel

/// The devices of QEMU's `pc` machine as the test suites see it, and how they are wired:
/// ISA IRQ lines go to both the 8259 pair and the I/O APIC (IRQ0 on I/O APIC pin 2, the
/// interrupt source override the MADT reports), the 8259's INTR goes to the bootstrap
/// processor's LINT0, local APICs talk over one APIC bus, the I/O APIC's messages go on it and
/// level-triggered EOIs come back from it.
///
/// Address map: I/O APIC 0xFEC00000, HPET 0xFED00000, local APICs 0xFEE00000 (per CPU, in
/// Machine), pc-testdev iomem 0xFF000000, PCI BARs as the firmware would assign them.
final class Board {
    unowned let m: Machine
    let pic: PIC8259
    let pit: PIT8254
    var pitTimer: DeviceTimer!
    let rtc: MC146818RTC
    let ioapic: IOAPIC82093
    let hpet: HPET
    let pm: ACPIPM
    let fwcfg: QEMUFwCfg
    let apicBus = APICBus()
    let pci: PCIHostBridge
    var pcTestdev: PCTestdev? = nil
    var pciTestdev: PCITestdev? = nil
    let guestMemory: MachineGuestMemory
    /// FERR# -> IRQ 13 latch, cleared by a write to port 0xF0.
    var ferr: FERRLatch!

    /// Fixed virtual time at power-on for the RTC unless -rtc base= says otherwise:
    /// 2026-01-01 00:00:00 UTC (deterministic runs need a fixed date).
    static let defaultRTCBase: Int64 = 1_767_225_600

    init(machine: Machine) throws {
        m = machine
        let clock = machine.clock
        let config = machine.config
        guestMemory = MachineGuestMemory(machine)

        // 8259 pair; its INTR line is LINT0 of the bootstrap processor.
        let intr = IRQLine()
        pic = PIC8259(output: intr)
        pit = PIT8254(now: { [unowned clock] in clock.now }, irq0: IRQLine())
        rtc = MC146818RTC(clock: clock, baseTime: config.rtcBase ?? Board.defaultRTCBase)
        ioapic = IOAPIC82093(id: UInt8(config.cpus))
        hpet = HPET(clock: clock)
        pm = ACPIPM(clock: clock)
        fwcfg = QEMUFwCfg(memory: guestMemory)
        pci = PCIHostBridge()
        ferr = nil

        // Local APICs.
        for v in machine.vcpus {
            let l = LocalAPIC(id: UInt32(v.index), clock: clock, tscHz: config.cpuModel.tscHz, isBSP: v.index == 0)
            l.x2apicSupported = config.cpuModel.features.contains(.x2apic)
            l.physAddrBits = config.cpuModel.physBits
            v.lapic = l
            let cpu = v.cpu
            l.signalCPU = { [unowned cpu] in cpu.signalEvent() }
            l.sendMessage = { [unowned self] msg in self.apicBus.send(msg) }
            // INIT is taken at once (no VMX wait-for-SIPI blocking yet): the CPU and its APIC
            // go to their INIT state (SDM Vol. 3, 10.4.7.3).
            l.onINIT = { [unowned cpu, unowned v, unowned l] in
                cpu.initReset(bsp: v.index == 0); l.initReset(); cpu.apicEnabled = l.baseMSR & 0x800 != 0
                cpu.s.pointee.exitRequest = 1
            }
            l.onSIPI = { [unowned cpu] vec in cpu.startup(vector: vec) }
            l.onNMI = { [unowned cpu] in cpu.raiseNMI() }
            l.onEOI = { [unowned self] vec in self.ioapic.eoi(vector: vec) }
            l.tsc = { [unowned machine, unowned cpu] in machine.nowCycles &+ cpu.s.pointee.tscOffset }
            apicBus.apics.append(l)
        }
        let bsp = machine.vcpus[0].lapic!
        bsp.extINTPending = { [unowned self] in self.pic.interruptPending }
        bsp.extINTAcknowledge = { [unowned self] in self.pic.acknowledge() }
        intr.onChange = { [unowned bsp] level in bsp.setLINT(0, level) }
        ioapic.sendMessage = { [unowned self] msg in self.apicBus.send(msg) }

        // Timers and interrupt sources.
        // The PIT's and RTC's lines pass through the HPET, which cuts them off in legacy
        // replacement mode (IA-PC HPET 1.0a, 2.3.9.2.2).
        pit.irq0.onChange = { [unowned self] level in self.hpet.pitIRQ(level) }
        pitTimer = DeviceTimer(clock: clock) { [unowned self] in self.pit.update(); self.armPIT() }
        rtc.irq.onChange = { [unowned self] level in self.hpet.rtcIRQ(level) }
        hpet.setIRQ = { [unowned self] gsi, level in self.hpetIRQ(gsi, level) }
        pm.sci.onChange = { [unowned self] level in self.setISAIRQ(9, level) }
        // Sleep types of our DSDT (\_S3 = 1, \_S5 = 0), as QEMU's.
        pm.onSleep = { [unowned machine] typ in
            switch typ {
            case ACPIPM.slpTypS3: machine.suspend()
            case ACPIPM.slpTypS5: machine.requestExit(0)
            default:
                machine.log("swemu: guest entered ACPI sleep type \(typ) (S4): powering off\n")
                machine.requestExit(0)
            }
        }
        rtc.onAlarmWakeup = { [unowned machine] in machine.wakeFromSuspend() }

        try attachPorts()
        attachMMIO()
        fillFirmwareConfig()
        fillCMOS()
    }

    func attachPorts() throws {
        let ports = m.ports, config = m.config
        try ports.attach(pic.master, base: 0x20, size: 2, name: "8259 master")
        try ports.attach(pic.slave, base: 0xA0, size: 2, name: "8259 slave")
        try ports.attach(pic.elcr, base: 0x4D0, size: 2, name: "ELCR")
        if config.pit {
            try ports.attach(PITPorts(self), base: 0x40, size: 4, name: "8254 PIT")
            try ports.attach(SystemControlPortB(pit: pit), base: 0x61, size: 1, name: "port B")
        }
        try ports.attach(rtc, base: 0x70, size: 2, name: "MC146818 RTC")
        try ports.attach(POSTPort(), base: 0x80, size: 1, name: "POST")
        ferr = FERRLatch(setIRQ: { [unowned self] level in self.setISAIRQ(13, level) })
        try ports.attach(ferr, base: 0xF0, size: 1, name: "FERR latch")
        try ports.attach(BIOSStubPort(), base: BIOSStubPort.port, size: 1, name: "BIOS stub")
        try ports.attach(SystemControlPortA { [unowned m] in m.requestReset("reset through port 0x92") }, base: 0x92, size: 1, name: "port A")
        try ports.attach(fwcfg, base: 0x510, size: 12, name: "fw_cfg")
        try ports.attach(pm, base: 0x600, size: 0x40, name: "ACPI PM")
        try ports.attach(pm.gpe0, base: ACPIPM.gpe0Base, size: ACPIPM.gpe0Size, name: "ACPI GPE0")
        try ports.attach(APMControlPort(pm: pm), base: 0xB2, size: 2, name: "APM")
        // 0xCF8-0xCFF: configuration mechanism #1; a byte at 0xCF9 is PIIX3's reset control.
        pci.onReset = { [unowned m] in m.requestReset("reset through port 0xcf9") }
        try ports.attach(pci, base: 0xCF8, size: 8, name: "PCI config")

        let comBases: [UInt16] = [0x3F8, 0x2F8, 0x3E8, 0x2E8], comIRQs = [4, 3, 4, 3]
        for (k, backend) in config.serial.prefix(4).enumerated() where backend != .none {
            let irq = comIRQs[k]
            let u = Serial16550(irq: IRQLine { [unowned self] level in self.setISAIRQ(irq, level) }, clock: m.clock)
            m.serials.append(u)
            try ports.attach(u, base: comBases[k], size: 8, name: "COM\(k + 1)")
        }
        for d in config.devices {
            switch d {
            case .debugExit(let base, let size):
                let dev = ISADebugExit(iobase: base, iosize: size) { [unowned m] status in m.requestExit(status) }
                try ports.attach(dev, base: base, size: size, name: "isa-debug-exit")
            case .pcTestdev:
                let t = PCTestdev { [unowned self] n, level in
                    if n < 16 { self.setISAIRQ(n, level) } else { self.ioapic.setIRQ(n, level) }
                }
                try ports.attach(t.scratch, base: 0xE0, size: 4, name: "pc-testdev")
                try ports.attach(t.flushPage, base: 0xE4, size: 4, name: "pc-testdev flush")
                try ports.attach(t.scratchBytes, base: 0xE8, size: 4, name: "pc-testdev bytes")
                try ports.attach(t.irqLines, base: 0x2000, size: 24, name: "pc-testdev irq")
                pcTestdev = t
            case .pciTestdev:
                let t = PCITestdev()
                pci.attach(t, device: 3)
                pciTestdev = t
            }
        }
        pci.onMappingChange = { [unowned self] in self.remapPCI() }
        pci.setIRQ = { [unowned self] n, level in self.setISAIRQ(n, level) }
    }

    func attachMMIO() {
        m.mmio = [MMIORegion(base: 0xFEC0_0000, size: 0x1000, device: ioapic, name: "I/O APIC"),
                  MMIORegion(base: 0xFED0_0000, size: 0x400, device: hpet, name: "HPET")]
        if let t = pcTestdev { m.mmio.append(MMIORegion(base: 0xFF00_0000, size: 0x10000, device: t.iomem, name: "pc-testdev iomem")) }
        remapPCI()
    }

    var pciIOBases: [UInt16] = []
    /// Re-bind the enabled PCI BARs after the guest moved or enabled one.
    func remapPCI() {
        for base in pciIOBases { m.ports.detach(base: base) }
        pciIOBases = []
        m.mmio.removeAll { $0.name.hasPrefix("PCI ") }
        for r in pci.ioRegions() {
            if (try? m.ports.attach(r.device, base: r.base, size: r.size, name: "PCI BAR")) != nil {
                pciIOBases.append(r.base)
            } else {
                DeviceLog.warnOnce("PCI", "I/O BAR at 0x\(String(r.base, radix: 16)) overlaps another device; not mapped")
            }
        }
        for r in pci.mmioRegions() { m.mmio.append(MMIORegion(base: r.base, size: r.size, device: r.device, name: "PCI BAR")) }
    }

    /// Route an ISA interrupt line: 8259 input n and I/O APIC pin n (IRQ0 is pin 2).
    func setISAIRQ(_ n: Int, _ level: Bool) {
        pic.setIRQ(n, level)
        ioapic.setIRQ(n == 0 ? 2 : n, level)
    }
    /// QEMU's pc numbering from the HPET: 0-15 are ISA IRQs (IRQ0 = I/O APIC pin 2), 16-23
    /// I/O APIC pins only.
    func hpetIRQ(_ gsi: Int, _ level: Bool) {
        if gsi < 16 { setISAIRQ(gsi, level) } else { ioapic.setIRQ(gsi, level) }
    }

    func armPIT() {
        if let t = pit.nextEvent() { pitTimer.schedule(at: t) } else { pitTimer.cancel() }
    }

    // MARK: firmware-provided data

    /// fw_cfg items a multiboot test kernel reads (shared/reference/test-suite-interface.md).
    func fillFirmwareConfig() {
        fwcfg.setU16(0x05, UInt16(m.config.cpus))           // FW_CFG_NB_CPUS
        fwcfg.setU16(0x0F, UInt16(m.config.maxCPUs))        // FW_CFG_MAX_CPUS
        fwcfg.setU64(0x03, m.config.ramSize)                // FW_CFG_RAM_SIZE
        fwcfg.setU16(0x0E, 0)                               // FW_CFG_BOOT_MENU
        // "etc/e820": QEMU's RAM map for firmware, packed {u64 address, u64 length, u32 type}.
        var e820: [UInt8] = []
        func entry(_ a: UInt64, _ l: UInt64) {
            for k in 0..<8 { e820.append(UInt8(truncatingIfNeeded: a >> (8 * UInt64(k)))) }
            for k in 0..<8 { e820.append(UInt8(truncatingIfNeeded: l >> (8 * UInt64(k)))) }
            e820 += [1, 0, 0, 0]
        }
        entry(0, m.memory.lowSize)
        if m.memory.highSize > 0 { entry(0x1_0000_0000, m.memory.highSize) }
        fwcfg.addFile("etc/e820", e820)
    }

    /// CMOS bytes a PC BIOS leaves: memory sizes (as QEMU's pc_cmos_init).
    func fillCMOS() {
        for (i, v) in MC146818RTC.pcMemoryBytes(ramBelow4G: m.memory.lowSize, ramAbove4G: m.memory.highSize) {
            rtc.setNVRAM(i, v)
        }
        rtc.setNVRAM(0x5F, UInt8(m.config.cpus - 1))        // CPU count - 1, as QEMU's pc_cmos_init
    }

    /// ACPI tables in the reserved BIOS area 0xF0000-0xFFFFF (RSDP at 0xF0000 on a 16-byte
    /// boundary, tables after it), where an OS looks for them (ACPI 6.4, 5.2.5.1).
    func installFirmwareTables() {
        var c = ACPIConfig(cpus: m.config.cpus)
        c.ioapicID = UInt8(m.config.cpus)
        let (rsdp, tables) = ACPITables.build(c, tablesBase: Board.acpiTablesBase)
        _ = m.memory.write(0xF0000, rsdp)
        _ = m.memory.write(Board.acpiTablesBase, tables)
    }

    static let acpiTablesBase: UInt64 = 0xF0100
    static let biosStubs: UInt64 = 0xFFE00
    static let biosVectorStubs: UInt64 = 0xFE000      // 256 x 16 bytes, one per vector

    /// The state a PC BIOS (SeaBIOS, which QEMU runs before a -kernel) leaves behind, which
    /// test kernels rely on without knowing it: the 8259s initialised with vectors 0x08 and
    /// 0x70 and its masks, the PIT's counter 0 ticking at 18.2 Hz (mode 2, count 65536),
    /// the RTC in 24-hour BCD, a real-mode IVT whose entries reach an IRET (hardware IRQ
    /// vectors send the EOI first), and the BIOS data area's COM1 base, base memory size
    /// and EBDA segment.
    func installBIOSState() {
        // 8259 pair: ICW1 edge + ICW4, ICW2 base, ICW3 cascade on IR2, ICW4 8086 mode.
        for (port, v) in [(0x20, 0x11), (0x21, 0x08), (0x21, 0x04), (0x21, 0x01),
                          (0xA0, 0x11), (0xA1, 0x70), (0xA1, 0x02), (0xA1, 0x01),
                          (0x21, 0xB8), (0xA1, 0x8E)] as [(UInt16, UInt32)] {
            m.ports.write(port, size: 1, value: v)
        }
        if m.config.pit {
            m.ports.write(0x43, size: 1, value: 0x34)      // counter 0, LSB/MSB, mode 2
            m.ports.write(0x40, size: 1, value: 0)
            m.ports.write(0x40, size: 1, value: 0)
        }
        // Handlers at F000:FE00: master IRQs send the EOI to 0x20, slave IRQs to 0xA0 and
        // 0x20; every other vector (exceptions, BIOS services such as INT 10h/13h/15h, which
        // do not exist without a BIOS) reports itself on BIOSStubPort, then IRETs, so a guest
        // that relies on a BIOS service fails loudly instead of silently "succeeding".
        let eoiMaster: [UInt8] = [0x50, 0xB0, 0x20, 0xE6, 0x20, 0x58, 0xCF]              // push ax; mov al,20h; out 20h,al; pop ax; iret
        let eoiSlave: [UInt8] = [0x50, 0xB0, 0x20, 0xE6, 0xA0, 0xE6, 0x20, 0x58, 0xCF]   // ... out 0A0h,al; out 20h,al ...
        let base = Board.biosStubs
        _ = m.memory.write(base + 0x10, eoiMaster)
        _ = m.memory.write(base + 0x20, eoiSlave)
        var stubs: [UInt8] = []
        let port = BIOSStubPort.port
        for v in 0..<256 {                   // push ax; push dx; mov al,v; mov dx,port; out dx,al; pop dx; pop ax; iret
            stubs += [0x50, 0x52, 0xB0, UInt8(v), 0xBA, UInt8(port & 0xFF), UInt8(port >> 8), 0xEE, 0x5A, 0x58, 0xCF]
            stubs += [UInt8](repeating: 0x90, count: 5)
        }
        _ = m.memory.write(Board.biosVectorStubs, stubs)
        var ivt = [UInt8](repeating: 0, count: 1024)
        for v in 0..<256 {
            let off: UInt16 = v >= 8 && v < 16 ? UInt16(base & 0xFFFF) + 0x10
                : v >= 0x70 && v < 0x78 ? UInt16(base & 0xFFFF) + 0x20
                : UInt16(Board.biosVectorStubs & 0xFFFF) + UInt16(16 * v)
            ivt[4 * v] = UInt8(off & 0xFF); ivt[4 * v + 1] = UInt8(off >> 8)
            ivt[4 * v + 2] = 0x00; ivt[4 * v + 3] = 0xF0           // segment F000
        }
        _ = m.memory.write(0, ivt)
        // BIOS data area (IBM PC/AT Technical Reference): COM1 base, EBDA segment, base KiB.
        _ = m.memory.write(0x400, [0xF8, 0x03])
        _ = m.memory.write(0x40E, [0xC0, 0x9F])
        _ = m.memory.write(0x413, [0x7F, 0x02])
    }
    /// FACS firmware waking vector (ACPI 6.4, 5.2.10): where an S3 resume starts.
    var wakingVector: UInt32 {
        let a = ACPITables.facsAddress(tablesBase: Board.acpiTablesBase) + 12
        guard let b = m.memory.read(a, count: 4) else { return 0 }
        return MultibootLoader.le32(b, 0)
    }

    /// System reset: every device to its reset state (the 8259s and the PIT are
    /// re-initialised by installBIOSState), then the PCI setup a BIOS does.
    func reset() {
        pitTimer.cancel()
        rtc.reset(); ioapic.reset(); hpet.reset(); pm.reset(); fwcfg.reset()
        if ferr.active { ferr.write(offset: 0, size: 1, value: 0) }
        for u in m.serials { u.reset() }
        pciTestdev?.reset()
        pci.reset()
        // What SeaBIOS does before handing over: PCI resources assigned, PCI interrupt links
        // on IRQ 10/11 and those marked level-triggered in the ELCR (PIIX3 datasheet 2.3.4).
        pci.assignResources()
        pic.elcr.write(offset: 1, size: 1, value: 0x0C)
        remapPCI()
    }
}

/// Ports 0x40-0x43: the PIT, re-arming the IRQ0 timer after every access that may change it.
final class PITPorts: PortDevice {
    unowned let b: Board
    init(_ b: Board) { self.b = b }
    func read(offset: UInt16, size: Int) -> UInt32 { b.pit.read(offset: offset, size: size) }
    func write(offset: UInt16, size: Int, value: UInt32) {
        b.pit.write(offset: offset, size: size, value: value)
        b.pit.update()
        b.armPIT()
    }
}

/// Guest RAM for device DMA: bounds-checked copies, and writes invalidate translated code.
final class MachineGuestMemory: GuestMemory {
    unowned let m: Machine
    init(_ m: Machine) { self.m = m }
    func read(_ pa: UInt64, count: Int) -> [UInt8]? { m.memory.read(pa, count: count) }
    @discardableResult func write(_ pa: UInt64, _ bytes: [UInt8]) -> Bool {
        guard m.memory.write(pa, bytes) else { return false }
        var p = pa & ~0xFFF
        while p < pa + UInt64(bytes.count) {
            let idx = m.memory.ramIndex(p)
            if idx >= 0 && m.memory.isCode(idx) { m.codeWritten(page: p) }
            p += 0x1000
        }
        return true
    }
}
