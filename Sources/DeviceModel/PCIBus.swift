/// PCI bus 0 of the PC: configuration space of a function (type 0 header), the `PCIFunction`
/// protocol every PCI device implements, and the Intel 82441FX (i440FX) host bridge that
/// implements configuration mechanism #1 plus the two functions every i440FX/PIIX3 board has:
/// 00:00.0 the 82441FX itself and 00:01.0 the PIIX3 PCI-to-ISA bridge.
///
/// References: PCI Local Bus Specification 3.0 (6.1 "Configuration Space Organization",
/// 6.2.5 "Base Addresses", 3.2.2.3.2 "Software Generation of Configuration Transactions");
/// 82441FX datasheet (Intel 290549); 82371SB PIIX3 datasheet (Intel 290550, 2.2 "PCI to ISA
/// bridge configuration registers": "PIRQRC[A:D]"; "Reset Control Register").
/// Where the datasheets leave a choice, QEMU 7.2's hw/pci/pci.c, pci_host.c,
/// pci-host/i440fx.c and isa/piix3.c behaviour is followed (kvm-unit-tests relies on it).

/// One PCI function's 256-byte configuration space with a standard type 0 header.
///
/// Writes go through per-byte masks as on real hardware: `writeMask` bits take the written
/// value, `clearMask` bits are write-one-to-clear (status error bits), everything else is
/// read-only. BARs are declared with `setBAR`, which sets their read-only type bits and a
/// write mask of ~(size-1): writing all ones and reading back yields the size mask with the
/// type bits, exactly what BAR sizing expects (PCI 3.0, 6.2.5.1 "Address Maps").
public struct PCIConfigSpace: Codable, Equatable {
    public enum BARKind: UInt8, Codable { case io, memory32, memory64 }
    public struct BAR: Codable, Equatable {
        public var kind: BARKind
        public var size: UInt64
        public var prefetchable: Bool
    }

    /// Standard header offsets (PCI 3.0, Figure 6-1).
    public enum Offset {
        public static let vendorID = 0x00, deviceID = 0x02, command = 0x04, status = 0x06
        public static let revision = 0x08, classCode = 0x09, cacheLineSize = 0x0C
        public static let latencyTimer = 0x0D, headerType = 0x0E, bar0 = 0x10
        public static let subsystemVendorID = 0x2C, subsystemID = 0x2E, romAddress = 0x30
        public static let capabilities = 0x34, interruptLine = 0x3C, interruptPin = 0x3D
    }
    /// Command register bits (PCI 3.0, 6.2.2).
    public enum Command {
        public static let io: UInt16 = 0x0001, memory: UInt16 = 0x0002, busMaster: UInt16 = 0x0004
        public static let serr: UInt16 = 0x0100, intxDisable: UInt16 = 0x0400
    }

    public var bytes: [UInt8]
    public var writeMask: [UInt8]
    public var clearMask: [UInt8]
    /// BAR declarations by register index 0-5; a 64-bit BAR occupies `i` and `i + 1` and is
    /// declared at `i` only.
    public private(set) var bars: [BAR?]

    /// A type 0 header. `classCode` is base class << 16 | sub-class << 8 | programming
    /// interface. The subsystem IDs default to QEMU's (1AF4:1100, "QEMU virtual machine").
    /// Writable by default, as in QEMU: command I/O, memory, bus master, SERR#, INTx disable;
    /// cache line size; interrupt line; all device-specific bytes 40h-FFh. Status bits 8 and
    /// 11-15 are write-one-to-clear.
    public init(vendorID: UInt16, deviceID: UInt16, classCode: UInt32, revision: UInt8 = 0,
                headerType: UInt8 = 0, interruptPin: UInt8 = 0,
                subsystemVendorID: UInt16 = 0x1AF4, subsystemID: UInt16 = 0x1100) {
        bytes = Array(repeating: 0, count: 256)
        writeMask = Array(repeating: 0, count: 256)
        clearMask = Array(repeating: 0, count: 256)
        bars = Array(repeating: nil, count: 6)
        set16(Offset.vendorID, vendorID)
        set16(Offset.deviceID, deviceID)
        bytes[Offset.revision] = revision
        bytes[Offset.classCode] = UInt8(truncatingIfNeeded: classCode)
        bytes[Offset.classCode + 1] = UInt8(truncatingIfNeeded: classCode >> 8)
        bytes[Offset.classCode + 2] = UInt8(truncatingIfNeeded: classCode >> 16)
        bytes[Offset.headerType] = headerType
        set16(Offset.subsystemVendorID, subsystemVendorID)
        set16(Offset.subsystemID, subsystemID)
        bytes[Offset.interruptPin] = interruptPin
        let cmd = Command.io | Command.memory | Command.busMaster | Command.serr | Command.intxDisable
        writeMask[Offset.command] = UInt8(cmd & 0xFF)
        writeMask[Offset.command + 1] = UInt8(cmd >> 8)
        writeMask[Offset.cacheLineSize] = 0xFF
        writeMask[Offset.interruptLine] = 0xFF
        for i in 0x40..<0x100 { writeMask[i] = 0xFF }
        clearMask[Offset.status + 1] = 0xF9      // 8000h 4000h 2000h 1000h 0800h 0100h
    }

    // MARK: device-side access (no masks)

    public func u8(_ o: Int) -> UInt8 { bytes[o] }
    public func u16(_ o: Int) -> UInt16 { UInt16(bytes[o]) | UInt16(bytes[o + 1]) << 8 }
    public func u32(_ o: Int) -> UInt32 { UInt32(u16(o)) | UInt32(u16(o + 2)) << 16 }
    public mutating func set8(_ o: Int, _ v: UInt8) { bytes[o] = v }
    public mutating func set16(_ o: Int, _ v: UInt16) { bytes[o] = UInt8(v & 0xFF); bytes[o + 1] = UInt8(v >> 8) }
    public mutating func set32(_ o: Int, _ v: UInt32) { set16(o, UInt16(v & 0xFFFF)); set16(o + 2, UInt16(v >> 16)) }
    /// Make bytes `range` read-write (`mask` bits) or read-only (`mask` 0).
    public mutating func setWritable(_ range: Range<Int>, mask: UInt8 = 0xFF) {
        for i in range { writeMask[i] = mask }
    }

    public var command: UInt16 { u16(Offset.command) }
    public var interruptLine: UInt8 { bytes[Offset.interruptLine] }
    public var interruptPin: UInt8 { bytes[Offset.interruptPin] }

    /// Declare BAR `index`: its type bits become read-only, its address bits above the size
    /// writable (PCI 3.0, 6.2.5.1). `size` is a power of two, at least 4 (I/O) or 16 (memory).
    public mutating func setBAR(_ index: Int, _ kind: BARKind, size: UInt64, prefetchable: Bool = false) {
        precondition(index >= 0 && index < (kind == .memory64 ? 5 : 6), "BAR index out of range")
        precondition(size & (size - 1) == 0 && size >= (kind == .io ? 4 : 16), "BAR size must be a power of two")
        bars[index] = BAR(kind: kind, size: size, prefetchable: prefetchable)
        let o = Offset.bar0 + 4 * index
        let mask = ~(size - 1)
        switch kind {
        case .io:
            set32(o, 0x1)
        case .memory32:
            set32(o, prefetchable ? 0x8 : 0x0)
        case .memory64:
            set32(o, prefetchable ? 0xC : 0x4)
            set32(o + 4, 0)
            for k in 0..<4 { writeMask[o + 4 + k] = UInt8(truncatingIfNeeded: mask >> (32 + 8 * k)) }
        }
        for k in 0..<4 { writeMask[o + k] = UInt8(truncatingIfNeeded: mask >> (8 * k)) }
    }

    /// The address BAR `index` decodes at, or nil when it does not decode: the command
    /// register's I/O or memory enable is clear, the address is 0, the range wraps or (32-bit
    /// BARs) reaches 4 GiB. The last two also hide a BAR while all ones are written to size
    /// it. These are QEMU's rules (pci_bar_address).
    public func barAddress(_ index: Int) -> UInt64? {
        guard let bar = bars[index] else { return nil }
        let o = Offset.bar0 + 4 * index
        var raw = UInt64(u32(o))
        switch bar.kind {
        case .io: guard command & Command.io != 0 else { return nil }
        case .memory32: guard command & Command.memory != 0 else { return nil }
        case .memory64:
            guard command & Command.memory != 0 else { return nil }
            raw |= UInt64(u32(o + 4)) << 32
        }
        let base = raw & ~(bar.size - 1)
        let (last, wrapped) = base.addingReportingOverflow(bar.size - 1)
        guard base != 0, !wrapped, last != UInt64.max else { return nil }
        if bar.kind != .memory64 && last >= 0xFFFF_FFFF { return nil }
        return base
    }

    // MARK: configuration transactions

    /// A configuration read of `size` bytes at `offset` (little-endian; bytes past 0xFF read 0).
    public func read(offset: Int, size: Int) -> UInt32 {
        var v: UInt32 = 0
        for k in 0..<min(size, 4) where offset + k < 256 {
            v |= UInt32(bytes[offset + k]) << (8 * k)
        }
        return v
    }

    /// A configuration write through the write and write-one-to-clear masks.
    public mutating func write(offset: Int, size: Int, value: UInt32) {
        for k in 0..<min(size, 4) where offset + k < 256 {
            let o = offset + k
            let v = UInt8(truncatingIfNeeded: value >> (8 * k))
            let wm = writeMask[o]
            bytes[o] = (bytes[o] & ~wm) | (v & wm)
            bytes[o] &= ~(v & clearMask[o])
        }
    }
}

/// A PCI function on the bus: its configuration space and the devices behind its BARs.
/// The host bridge routes configuration transactions here and asks `config` for BAR decode.
public protocol PCIFunction: AnyObject {
    /// The configuration space as it is now (the bridge reads BAR and command state from it).
    var config: PCIConfigSpace { get }
    /// A configuration read; `offset + size <= 256`. Default: `config.read`.
    func configRead(offset: Int, size: Int) -> UInt32
    /// A configuration write; `offset + size <= 256`. Usually `config.write` plus side effects.
    func configWrite(offset: Int, size: Int, value: UInt32)
    /// The register window behind BAR `index`: a `PortDevice` for an I/O BAR, an `MMIODevice`
    /// for a memory BAR (offsets relative to the BAR's base). Default: none.
    func barDevice(_ index: Int) -> AnyObject?
}

extension PCIFunction {
    public func configRead(offset: Int, size: Int) -> UInt32 { config.read(offset: offset, size: size) }
    public func barDevice(_ index: Int) -> AnyObject? { nil }
}

/// The i440FX host bridge: configuration mechanism #1 at I/O ports 0xCF8-0xCFF, bus 0 with
/// up to 32 devices x 8 functions, the BAR decode the machine maps, PCI INTx routing through
/// the PIIX3 PIRQ registers, and the PIIX3 reset control register at 0xCF9.
///
/// Port wiring: the bridge itself is a `PortDevice` for 0xCF8-0xCFF (offsets 0-7).
///   offset 0, dword: CONFIG_ADDRESS (bit 31 enable, 23-16 bus, 15-11 device, 10-8 function,
///     7-0 register). Kept whole as written, low two bits included: QEMU ORs them into the
///     register number (kvm-unit-tests reads byte registers that way: CF8 = reg 0x3D, inb CFC).
///   other accesses at 0-3: not CONFIG_ADDRESS accesses; they go to the PCI bus (PCI 3.0,
///     3.2.2.3.2). A byte at 0xCF9 is the PIIX3 Reset Control Register. Otherwise writes are
///     dropped and reads return CONFIG_ADDRESS truncated to the access size, as QEMU's
///     pci_host_config_read does.
///   offsets 4-7: CONFIG_DATA; byte lane `offset - 4` is ORed into the register number. With
///     the enable bit clear, or no function at that address, reads are all ones and writes
///     are dropped.
public final class PCIHostBridge: PortDevice {
    public struct State: Codable, Equatable {
        public var configAddress: UInt32 = 0
        /// PIIX3 RCR (port CF9h): only bit 1 (System Reset type) is kept.
        public var resetControl: UInt8 = 0
        /// Asserted INTx# pins per device number (bit 0 = INTA#).
        public var intx: [UInt8] = Array(repeating: 0, count: 32)
        /// ISA IRQ levels the PIRQ router currently drives (bit n = IRQ n).
        public var irqOut: UInt16 = 0
        public var host = I440FX.initialConfig()
        public var isa = PIIX3.initialConfig()
        public init() {}
    }

    public private(set) var state: State
    /// 00:00.0, the 82441FX.
    public private(set) lazy var hostFunction: I440FX = I440FX(self)
    /// 00:01.0, the PIIX3 PCI-to-ISA bridge.
    public private(set) lazy var isaBridge: PIIX3 = PIIX3(self)

    /// Called after a configuration write changed what some BAR decodes (a BAR address, or
    /// a command register I/O / memory enable of a function with such BARs). The machine then
    /// re-reads `ioRegions()` / `mmioRegions()` and re-maps.
    public var onMappingChange: () -> Void = {}
    /// PIIX3 RCR write with bit 2 (Reset CPU) set: the guest asks for a system reset.
    public var onReset: () -> Void = {
        DeviceLog.warnOnce("PIIX3", "reset request via port 0xCF9 ignored (machine did not wire onReset)")
    }
    /// ISA IRQ outputs of the PIRQ router (PCI INTx routed through PIIX3 registers 60h-63h).
    public var setIRQ: (_ irq: Int, _ level: Bool) -> Void = { _, _ in }

    final class Slot {
        let function: PCIFunction
        var decoded: [UInt64]           // barAddress per BAR, UInt64.max = not decoding
        init(_ f: PCIFunction) { function = f; decoded = Array(repeating: .max, count: 6) }
    }
    private var slots: [Slot?] = Array(repeating: nil, count: 256)   // by devfn

    public init(state: State = State()) {
        self.state = state
        attach(hostFunction, device: 0)
        attach(isaBridge, device: 1)
    }

    /// Put `f` at 00:`device`.`function`. The slot must be free.
    public func attach(_ f: PCIFunction, device: Int, function: Int = 0) {
        precondition((0..<32).contains(device) && (0..<8).contains(function), "bad PCI address")
        let devfn = device << 3 | function
        precondition(slots[devfn] == nil, "PCI slot \(device).\(function) already taken")
        let s = Slot(f)
        slots[devfn] = s
        _ = refreshDecode(s)
    }

    /// The function at 00:`device`.`function`, if any.
    public func function(device: Int, function: Int = 0) -> PCIFunction? {
        guard (0..<32).contains(device), (0..<8).contains(function) else { return nil }
        return slots[device << 3 | function]?.function
    }

    /// Power-on reset of the bridge's own state (CONFIG_ADDRESS, RCR, 00:00.0 and 00:01.0).
    /// Other functions reset themselves; the machine re-reads the regions afterwards.
    public func reset() {
        let old = state
        state = State()
        state.intx = old.intx           // device pins are driven by the devices
        state.irqOut = old.irqOut
        updateIRQs()
        for s in slots { if let s = s { _ = refreshDecode(s) } }
    }

    // MARK: ports 0xCF8-0xCFF

    public func read(offset: UInt16, size: Int) -> UInt32 {
        let mask: UInt32 = size >= 4 ? 0xFFFF_FFFF : (1 << (8 * UInt32(size))) - 1
        switch offset {
        case 0 where size == 4:
            return state.configAddress
        case 1:
            return UInt32(state.resetControl)
        case 0..<4:
            return state.configAddress & mask
        case 4..<8:
            let a = state.configAddress
            guard a & 0x8000_0000 != 0, let (s, reg) = target(a, lane: Int(offset - 4)) else { return mask }
            return s.function.configRead(offset: reg, size: min(size, 256 - reg)) & mask
        default:
            return mask
        }
    }

    public func write(offset: UInt16, size: Int, value: UInt32) {
        switch offset {
        case 0 where size == 4:
            state.configAddress = value
        case 1:
            // RCR (PIIX3, "Reset Control Register"): bit 2 = reset CPU, bit 1 = hard reset.
            let v = UInt8(truncatingIfNeeded: value)
            if v & 0x04 != 0 { onReset(); return }
            state.resetControl = v & 0x02
        case 4..<8:
            let a = state.configAddress
            guard a & 0x8000_0000 != 0, let (s, reg) = target(a, lane: Int(offset - 4)) else { return }
            s.function.configWrite(offset: reg, size: min(size, 256 - reg), value: value)
            if refreshDecode(s) { onMappingChange() }
        default:
            break       // non-dword CONFIG_ADDRESS access: nothing on the bus claims it
        }
    }

    /// Function and register addressed by CONFIG_ADDRESS `a` with data byte lane `lane`.
    private func target(_ a: UInt32, lane: Int) -> (Slot, Int)? {
        guard (a >> 16) & 0xFF == 0, let s = slots[Int((a >> 8) & 0xFF)] else { return nil }
        return (s, Int(a & 0xFF) | lane)
    }

    /// Recompute a slot's BAR decode; true if it changed.
    private func refreshDecode(_ s: Slot) -> Bool {
        let c = s.function.config
        var changed = false
        for i in 0..<6 {
            let a = c.barAddress(i) ?? .max
            if s.decoded[i] != a { s.decoded[i] = a; changed = true }
        }
        return changed
    }

    // MARK: BAR decode for the machine

    /// Every enabled I/O BAR: base port, size, and the function's window for it. A BAR that
    /// would reach past port 0xFFFF decodes nothing (the x86 I/O space is 64 KiB).
    public func ioRegions() -> [(base: UInt16, size: UInt16, device: PortDevice)] {
        var out: [(base: UInt16, size: UInt16, device: PortDevice)] = []
        for s in slots {
            guard let s = s else { continue }
            let c = s.function.config
            for i in 0..<6 {
                guard let bar = c.bars[i], bar.kind == .io, let base = c.barAddress(i),
                      base + bar.size <= 0x10000 else { continue }
                guard let dev = s.function.barDevice(i) as? PortDevice else {
                    DeviceLog.warnOnce("PCI", "I/O BAR \(i) of \(Self.name(c)) has no port window")
                    continue
                }
                out.append((UInt16(base), UInt16(truncatingIfNeeded: bar.size), dev))
            }
        }
        return out
    }

    /// Every enabled memory BAR (32- or 64-bit): base address, size, and the function's window.
    public func mmioRegions() -> [(base: UInt64, size: UInt64, device: MMIODevice)] {
        var out: [(base: UInt64, size: UInt64, device: MMIODevice)] = []
        for s in slots {
            guard let s = s else { continue }
            let c = s.function.config
            for i in 0..<6 {
                guard let bar = c.bars[i], bar.kind != .io, let base = c.barAddress(i) else { continue }
                guard let dev = s.function.barDevice(i) as? MMIODevice else {
                    DeviceLog.warnOnce("PCI", "memory BAR \(i) of \(Self.name(c)) has no MMIO window")
                    continue
                }
                out.append((base, bar.size, dev))
            }
        }
        return out
    }

    static func name(_ c: PCIConfigSpace) -> String {
        func hex(_ v: UInt16) -> String { let s = String(v, radix: 16); return String(repeating: "0", count: 4 - s.count) + s }
        return "\(hex(c.u16(0))):\(hex(c.u16(2)))"
    }

    // MARK: firmware-style resource assignment

    /// Do what the BIOS's PCI setup does before an OS runs (SeaBIOS pciinit, the firmware
    /// kvm-unit-tests runs under QEMU): route PIRQA-D to `pirqIRQs`, give every declared BAR an
    /// address (I/O from `ioBase` upward, memory packed below `memoryEnd`, biggest first, each
    /// naturally aligned), set the interrupt line of every function with an interrupt pin, and
    /// enable I/O, memory and SERR# decode. Calls `onMappingChange` once if anything moved.
    /// (SeaBIOS also marks the PIRQ IRQs level-triggered in ELCR; that is the PIC's register.)
    public func assignResources(ioBase: UInt16 = 0xC000, memoryEnd: UInt64 = 0xFEC0_0000,
                                pirqIRQs: [Int] = [10, 10, 11, 11]) {
        for (link, irq) in pirqIRQs.prefix(4).enumerated() {
            isaBridge.configWrite(offset: PIIX3.pirqRoute + link, size: 1, value: UInt32(irq))
        }
        typealias Item = (slot: Slot, index: Int, bar: PCIConfigSpace.BAR)
        var io: [Item] = [], mem: [Item] = []
        for s in slots {
            guard let s = s else { continue }
            for i in 0..<6 { if let b = s.function.config.bars[i] { if b.kind == .io { io.append((s, i, b)) } else { mem.append((s, i, b)) } } }
        }
        io.sort { $0.bar.size > $1.bar.size }
        mem.sort { $0.bar.size > $1.bar.size }
        var next = UInt64(ioBase)
        for it in io {
            next = (next + it.bar.size - 1) & ~(it.bar.size - 1)
            setBARAddress(it.slot, it.index, it.bar, next)
            next += it.bar.size
        }
        let total = mem.reduce(UInt64(0)) { $0 + $1.bar.size }
        if let align = mem.first?.bar.size {
            next = (memoryEnd - total) & ~(align - 1)
            for it in mem {        // descending sizes keep every BAR naturally aligned
                setBARAddress(it.slot, it.index, it.bar, next)
                next += it.bar.size
            }
        }
        var changed = false
        for (devfn, s) in slots.enumerated() {
            guard let s = s else { continue }
            let f = s.function
            let pin = Int(f.config.interruptPin)
            if (1...4).contains(pin), let irq = intxRoute(device: devfn >> 3, pin: pin) {
                f.configWrite(offset: PCIConfigSpace.Offset.interruptLine, size: 1, value: UInt32(irq))
            }
            let cmd = UInt32(f.config.command | PCIConfigSpace.Command.io | PCIConfigSpace.Command.memory | PCIConfigSpace.Command.serr)
            f.configWrite(offset: PCIConfigSpace.Offset.command, size: 2, value: cmd)
            if refreshDecode(s) { changed = true }
        }
        if changed { onMappingChange() }
    }

    private func setBARAddress(_ s: Slot, _ i: Int, _ bar: PCIConfigSpace.BAR, _ a: UInt64) {
        let o = PCIConfigSpace.Offset.bar0 + 4 * i
        s.function.configWrite(offset: o, size: 4, value: UInt32(truncatingIfNeeded: a))
        if bar.kind == .memory64 { s.function.configWrite(offset: o + 4, size: 4, value: UInt32(truncatingIfNeeded: a >> 32)) }
    }

    // MARK: PCI interrupts (PIIX3 PIRQ router)

    /// ISA IRQ that PIRQ link `link` (0-3 = PIRQA#-PIRQD#) is routed to, or nil when routing
    /// is disabled. As QEMU: a register value of 16 or more (bit 7 = disable) routes nowhere.
    public func pirqRoute(_ link: Int) -> Int? {
        let v = Int(state.isa.u8(PIIX3.pirqRoute + link))
        return v < 16 ? v : nil
    }

    /// ISA IRQ for INTx pin `pin` (1 = INTA# ... 4 = INTD#) of device `device`. The board
    /// rotates pins across slots: link = (pin - 1 + device - 1) mod 4 (QEMU pc_piix
    /// pci_slot_get_pirq; SeaBIOS uses the same swizzle).
    public func intxRoute(device: Int, pin: Int) -> Int? {
        pirqRoute(Self.link(device: device, pin: pin))
    }

    static func link(device: Int, pin: Int) -> Int { (pin - 1 + device - 1) & 3 }

    /// A PCI device drives its INTx# pin (1-4). The PIRQ router ORs all pins on a link and
    /// drives the ISA IRQ the link is routed to.
    public func setINTx(device: Int, pin: Int, level: Bool) {
        guard (0..<32).contains(device), (1...4).contains(pin) else { return }
        let m = UInt8(1 << (pin - 1))
        if level { state.intx[device] |= m } else { state.intx[device] &= ~m }
        updateIRQs()
    }

    /// Recompute the ISA IRQ levels from the pins and the routing registers and drive changes.
    func updateIRQs() {
        var links: UInt8 = 0
        for d in 0..<32 where state.intx[d] != 0 {
            for p in 1...4 where state.intx[d] & UInt8(1 << (p - 1)) != 0 {
                links |= 1 << Self.link(device: d, pin: p)
            }
        }
        var out: UInt16 = 0
        for l in 0..<4 where links & (1 << l) != 0 {
            if let irq = pirqRoute(l) { out |= 1 << irq }
        }
        let diff = out ^ state.irqOut
        state.irqOut = out
        guard diff != 0 else { return }
        for irq in 0..<16 where diff & (1 << irq) != 0 { setIRQ(irq, out & (1 << irq) != 0) }
    }

    // MARK: 00:00.0 and 00:01.0

    /// 00:00.0, the Intel 82441FX PCI and memory controller (8086:1237, revision 02h, class
    /// 060000h host bridge). Bytes 40h-FFh are plain storage as in QEMU. PAM (59h-5Fh) and
    /// SMRAM (72h, reset 02h) would remap 0xA0000-0xFFFFF; that is not modelled and a write
    /// changing them is reported.
    public final class I440FX: PCIFunction {
        unowned let bridge: PCIHostBridge
        init(_ bridge: PCIHostBridge) { self.bridge = bridge }
        public var config: PCIConfigSpace { bridge.state.host }
        static func initialConfig() -> PCIConfigSpace {
            var c = PCIConfigSpace(vendorID: 0x8086, deviceID: 0x1237, classCode: 0x06_00_00, revision: 0x02)
            c.set8(0x72, 0x02)      // SMRAM: C_BASE_SEG = 010b (A0000h)
            return c
        }
        public func configWrite(offset: Int, size: Int, value: UInt32) {
            let before = bridge.state.host.read(offset: offset, size: size)
            bridge.state.host.write(offset: offset, size: size, value: value)
            let after = bridge.state.host.read(offset: offset, size: size)
            for k in 0..<min(size, 4) where (before ^ after) >> (8 * k) & 0xFF != 0 {
                let o = offset + k
                if (0x59...0x5F).contains(o) || o == 0x72 {
                    DeviceLog.warnOnce("i440FX", "PAM/SMRAM register \(String(o, radix: 16))h written: remapping of 0xA0000-0xFFFFF is not implemented")
                }
            }
        }
    }

    /// 00:01.0, the PIIX3 PCI-to-ISA bridge (8086:7000, class 060100h, multi-function header)
    /// with QEMU's reset values. Only the PIRQ route control registers 60h-63h (PIRQRC[A:D],
    /// reset 80h = disabled) act; other device-specific registers are storage, and a write
    /// changing one is reported (QEMU ignores them too).
    public final class PIIX3: PCIFunction {
        public static let pirqRoute = 0x60
        unowned let bridge: PCIHostBridge
        init(_ bridge: PCIHostBridge) { self.bridge = bridge }
        public var config: PCIConfigSpace { bridge.state.isa }
        static func initialConfig() -> PCIConfigSpace {
            var c = PCIConfigSpace(vendorID: 0x8086, deviceID: 0x7000, classCode: 0x06_01_00, headerType: 0x80)
            c.set16(PCIConfigSpace.Offset.command, 0x0007)      // I/O, memory, bus master
            c.set16(PCIConfigSpace.Offset.status, 0x0200)       // DEVSEL# medium
            let resets: [(Int, UInt8)] = [(0x4C, 0x4D), (0x4E, 0x03), (0x60, 0x80), (0x61, 0x80), (0x62, 0x80),
                                          (0x63, 0x80), (0x69, 0x02), (0x70, 0x80), (0x76, 0x0C), (0x77, 0x0C),
                                          (0x78, 0x02), (0xA0, 0x08), (0xA8, 0x0F)]
            for (o, v) in resets { c.set8(o, v) }
            return c
        }
        public func configWrite(offset: Int, size: Int, value: UInt32) {
            let before = bridge.state.isa.read(offset: offset, size: size)
            bridge.state.isa.write(offset: offset, size: size, value: value)
            let after = bridge.state.isa.read(offset: offset, size: size)
            var routing = false
            for k in 0..<min(size, 4) where offset + k >= 0x40 && (before ^ after) >> (8 * k) & 0xFF != 0 {
                let o = offset + k
                if (0x60..<0x64).contains(o) { routing = true; continue }
                DeviceLog.warnOnce("PIIX3", "register \(String(o, radix: 16))h written: no effect modelled")
            }
            if routing { bridge.updateIRQs() }
        }
    }
}
