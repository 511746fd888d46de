/// ACPI tables as a PC firmware leaves them in memory for the OS (ACPI 6.x specification,
/// chapter 5 "ACPI Software Programming Model"): RSDP, RSDT, XSDT, FADT, FACS, DSDT, MADT, HPET.
/// A pure builder: no device, no guest memory access. The machine copies `tables` to
/// `tablesBase` and the 36-byte `rsdp` to a 16-byte-aligned address in the BIOS area
/// 0xE0000-0xFFFFF, where the OS (and kvm-unit-tests lib/acpi.c) scans for "RSD PTR ".
///
/// Values follow what QEMU 7.2 gives its pc machine (PIIX4 power management at 0x600,
/// SCI on IRQ 9, SMI command port 0xB2, GPE0 at 0xAFE0) with these deliberate differences:
/// - FADT revision 3 (244 bytes, the ACPI 2.0/3.0 layout QEMU uses for q35) instead of the
///   pc machine's revision 1 (116 bytes): revision 1 has no X_FIRMWARE_CTRL / X_DSDT /
///   X_ register blocks, no RESET_REG and no IAPC_BOOT_ARCH. Revision 3 has all of them;
///   the later fields (5.0 SLEEP_CONTROL/STATUS_REG, 6.0 hypervisor vendor) only matter for
///   hardware-reduced platforms and hypervisor identification, so nothing is lost, and this
///   layout is accepted by every ACPI 2.0+ OS.
/// - RESET_REG is the PIIX3 reset control register 0xCF9 with value 0x06 (RCPU, bit 2, set
///   together with SRST, bit 1: a hard reset, PIIX3 datasheet section 4.1 "RC"), with
///   RESET_REG_SUP set; the pc machine's revision-1 FADT has no reset register at all.
/// - MADT revision 3 (ACPI 4.0-6.1), the first revision defining x2APIC structures, and
///   before revision 5 gave LAPIC flag bit 1 the "online capable" meaning.
public struct ACPIConfig: Equatable {
    /// Number of processors; processor i has local APIC ID i and ACPI processor UID i.
    public var cpus: Int
    public var ioapicID: UInt8 = 0
    public var ioapicAddress: UInt32 = 0xFEC0_0000
    public var lapicAddress: UInt32 = 0xFEE0_0000
    /// nil: no HPET table.
    public var hpetAddress: UInt64? = 0xFED0_0000
    /// Low 32 bits of the HPET's General Capabilities register (IA-PC HPET spec 1.0a
    /// section 3.2.4 "Event Timer Block ID"): vendor 0x8086, LEG_RT_CAP (bit 15),
    /// COUNT_SIZE_CAP (bit 13), NUM_TIM_CAP 2 (three comparators), revision 1. Must match
    /// what the machine's HPET reports.
    public var hpetBlockID: UInt32 = 0x8086_A201
    /// Main counter minimum clock tick for periodic mode (QEMU: 0x80).
    public var hpetMinTick: UInt16 = 0x80
    /// PM1a_EVT_BLK at pmBase (4 bytes), PM1a_CNT_BLK at +4 (2 bytes), PM_TMR_BLK at +8 (4).
    public var pmBase: UInt16 = 0x600
    public var sciIRQ: UInt8 = 9
    public var gpe0Base: UInt16 = 0xAFE0
    public var gpe0Length: UInt8 = 4
    /// SMI_CMD port and the values that ask the firmware to hand the PM registers to the OS.
    public var smiCommandPort: UInt16 = 0xB2
    public var acpiEnable: UInt8 = 0xF1
    public var acpiDisable: UInt8 = 0xF0
    public var resetPort: UInt16 = 0xCF9
    public var resetValue: UInt8 = 0x06
    /// CMOS RTC index of the century byte (0 = none).
    public var rtcCentury: UInt8 = 0x32
    /// Emit \_S3 in the DSDT (SLP_TYP 1, as QEMU's PIIX4 PM decodes it). \_S5 is always there
    /// (SLP_TYP 0 = soft off).
    public var s3Supported = true
    /// OEM fields: padded with spaces / truncated to 6, 8 and 4 ASCII bytes.
    public var oemID = "SWEMU "
    public var oemTableID = "SWEMUPC "
    public var oemRevision: UInt32 = 1
    public var creatorID = "SWMU"
    public var creatorRevision: UInt32 = 1

    public init(cpus: Int) {
        self.cpus = cpus
    }
}

public enum ACPITables {
    /// Size of the RSDP of revision 2 (ACPI 6.x table 5.3).
    public static let rsdpLength = 36
    static let fadtLength = 244
    static let facsLength = 64

    // FADT fixed feature flags (ACPI 6.x table 5.10).
    static let fWBINVD: UInt32 = 1 << 0
    static let fPROC_C1: UInt32 = 1 << 2
    static let fSLP_BUTTON: UInt32 = 1 << 5
    static let fRTC_S4: UInt32 = 1 << 7
    static let fTMR_VAL_EXT: UInt32 = 1 << 8
    static let fRESET_REG_SUP: UInt32 = 1 << 10
    static let fUSE_PLATFORM_CLOCK: UInt32 = 1 << 15
    static let fFORCE_APIC_CLUSTER_MODEL: UInt32 = 1 << 18

    /// Physical address of the FACS for a given `tablesBase`: the first 64-byte boundary at or
    /// above it (the FACS must be 64-byte aligned, ACPI 6.x section 5.2.10). The machine reads
    /// the firmware waking vector from here on S3 resume.
    public static func facsAddress(tablesBase: UInt64) -> UInt64 {
        (tablesBase + 63) & ~63
    }

    /// Tables laid out for physical address `tablesBase` (FACS, DSDT, FADT, MADT, HPET, RSDT,
    /// XSDT in that order; tables[0] is the byte at `tablesBase`), plus the 36-byte RSDP
    /// (revision 2, with XSDT address and both checksums) for the BIOS area.
    /// Precondition: the tables end below 4 GiB (RSDT entries and FADT FIRMWARE_CTRL/DSDT are
    /// 32-bit), 1 <= cpus.
    public static func build(_ c: ACPIConfig, tablesBase: UInt64) -> (rsdp: [UInt8], tables: [UInt8]) {
        precondition(c.cpus >= 1, "ACPI tables need at least one processor")
        var t = [UInt8]()
        t.reserveCapacity(2048)

        // FACS first: aligned in absolute terms, so pad from tablesBase.
        let facsAddr = facsAddress(tablesBase: tablesBase)
        t.append(contentsOf: repeatElement(0, count: Int(facsAddr - tablesBase)))
        t.append(contentsOf: facs())

        func place(_ table: [UInt8]) -> UInt64 {
            while t.count % 8 != 0 { t.append(0) }   // not required; keeps headers aligned
            let addr = tablesBase + UInt64(t.count)
            t.append(contentsOf: table)
            return addr
        }
        let dsdtAddr = place(dsdt(c))
        var listed = [UInt64]()
        listed.append(place(fadt(c, facs: facsAddr, dsdt: dsdtAddr)))
        listed.append(place(madt(c)))
        if let hpetBase = c.hpetAddress {
            listed.append(place(hpet(c, base: hpetBase)))
        }

        var rsdtBody = [UInt8]()
        for a in listed { rsdtBody.le32(UInt32(a)) }
        let rsdtAddr = place(table("RSDT", revision: 1, c, body: rsdtBody))
        var xsdtBody = [UInt8]()
        for a in listed { xsdtBody.le64(a) }
        let xsdtAddr = place(table("XSDT", revision: 1, c, body: xsdtBody))
        precondition(tablesBase + UInt64(t.count) <= 1 << 32, "ACPI tables must lie below 4 GiB")

        return (rsdp(c, rsdt: rsdtAddr, xsdt: xsdtAddr), t)
    }

    // MARK: - Tables

    /// RSDP revision 2 (ACPI 6.x section 5.2.5.3): the checksum covers the first 20 bytes
    /// (the ACPI 1.0 structure), the extended checksum all 36.
    static func rsdp(_ c: ACPIConfig, rsdt: UInt64, xsdt: UInt64) -> [UInt8] {
        var r = [UInt8]()
        r.ascii("RSD PTR ", 8)
        r.append(0)                       // checksum
        r.ascii(c.oemID, 6)
        r.append(2)                       // revision: ACPI 2.0+
        r.le32(UInt32(rsdt))
        r.le32(UInt32(rsdpLength))
        r.le64(xsdt)
        r.append(0)                       // extended checksum
        r.append(contentsOf: [0, 0, 0])
        r[8] = checksumByte(r[0..<20])
        r[32] = checksumByte(r[0..<36])
        return r
    }

    /// Common 36-byte header (ACPI 6.x table 5.4) + body, length and checksum filled in.
    static func table(_ sig: String, revision: UInt8, _ c: ACPIConfig, body: [UInt8]) -> [UInt8] {
        var h = [UInt8]()
        h.reserveCapacity(36 + body.count)
        h.ascii(sig, 4)
        h.le32(UInt32(36 + body.count))
        h.append(revision)
        h.append(0)                       // checksum
        h.ascii(c.oemID, 6)
        h.ascii(c.oemTableID, 8)
        h.le32(c.oemRevision)
        h.ascii(c.creatorID, 4)
        h.le32(c.creatorRevision)
        h.append(contentsOf: body)
        h[9] = checksumByte(h[...])
        return h
    }

    /// FACS version 2 (ACPI 6.x section 5.2.10, table 5.14). The waking vectors are 0: the OS
    /// writes the 32-bit one before entering S3 (kvm-unit-tests x86/s3.c does exactly that).
    /// No checksum: the FACS is read-write and has none.
    static func facs() -> [UInt8] {
        var f = [UInt8]()
        f.ascii("FACS", 4)
        f.le32(UInt32(facsLength))
        f.le32(0)                         // hardware signature
        f.le32(0)                         // firmware waking vector
        f.le32(0)                         // global lock
        f.le32(0)                         // flags: no S4BIOS, no 64-bit wake
        f.le64(0)                         // X firmware waking vector
        f.append(2)                       // version
        f.append(contentsOf: [0, 0, 0])
        f.le32(0)                         // OSPM flags
        f.append(contentsOf: repeatElement(0, count: 24))
        assert(f.count == facsLength)
        return f
    }

    /// FADT revision 3, 244 bytes (ACPI 6.x table 5.9; fields past offset 244 are absent,
    /// which the revision tells the OS).
    static func fadt(_ c: ACPIConfig, facs: UInt64, dsdt: UInt64) -> [UInt8] {
        let pm = UInt32(c.pmBase)
        var b = [UInt8]()
        b.le32(UInt32(facs))              // 36 FIRMWARE_CTRL
        b.le32(UInt32(dsdt))              // 40 DSDT
        b.append(0)                       // 44 reserved (ACPI 1.0 INT_MODEL)
        b.append(0)                       // 45 Preferred_PM_Profile: unspecified
        b.le16(UInt16(c.sciIRQ))          // 46 SCI_INT
        b.le32(UInt32(c.smiCommandPort))  // 48 SMI_CMD
        b.append(c.acpiEnable)            // 52 ACPI_ENABLE
        b.append(c.acpiDisable)           // 53 ACPI_DISABLE
        b.append(0)                       // 54 S4BIOS_REQ
        b.append(0)                       // 55 PSTATE_CNT
        b.le32(pm)                        // 56 PM1a_EVT_BLK
        b.le32(0)                         // 60 PM1b_EVT_BLK
        b.le32(pm + 4)                    // 64 PM1a_CNT_BLK
        b.le32(0)                         // 68 PM1b_CNT_BLK
        b.le32(0)                         // 72 PM2_CNT_BLK
        b.le32(pm + 8)                    // 76 PM_TMR_BLK
        b.le32(UInt32(c.gpe0Base))        // 80 GPE0_BLK
        b.le32(0)                         // 84 GPE1_BLK
        b.append(4)                       // 88 PM1_EVT_LEN: status + enable, 16 bits each
        b.append(2)                       // 89 PM1_CNT_LEN
        b.append(0)                       // 90 PM2_CNT_LEN
        b.append(4)                       // 91 PM_TMR_LEN
        b.append(c.gpe0Length)            // 92 GPE0_BLK_LEN
        b.append(0)                       // 93 GPE1_BLK_LEN
        b.append(0)                       // 94 GPE1_BASE
        b.append(0)                       // 95 CST_CNT
        b.le16(0x0FFF)                    // 96 P_LVL2_LAT: > 100 us, C2 not supported
        b.le16(0x0FFF)                    // 98 P_LVL3_LAT: > 1000 us, C3 not supported
        b.le16(0)                         // 100 FLUSH_SIZE (WBINVD is supported)
        b.le16(0)                         // 102 FLUSH_STRIDE
        b.append(0)                       // 104 DUTY_OFFSET
        b.append(0)                       // 105 DUTY_WIDTH
        b.append(0)                       // 106 DAY_ALRM: no day-of-month alarm
        b.append(0)                       // 107 MON_ALRM
        b.append(c.rtcCentury)            // 108 CENTURY
        b.le16(0x0003)                    // 109 IAPC_BOOT_ARCH: LEGACY_DEVICES | 8042
        b.append(0)                       // 111 reserved
        // 24-bit PM timer (TMR_VAL_EXT clear). Fixed-feature power button (PWR_BUTTON clear,
        // PWRBTN_STS in PM1), no sleep button. USE_PLATFORM_CLOCK and the >8-CPU cluster-mode
        // flag as QEMU sets them.
        var flags = fWBINVD | fPROC_C1 | fSLP_BUTTON | fRTC_S4 | fRESET_REG_SUP | fUSE_PLATFORM_CLOCK
        if c.cpus > 8 { flags |= fFORCE_APIC_CLUSTER_MODEL }
        b.le32(flags)                     // 112 Flags
        b.gas(space: 1, bitWidth: 8, access: 1, address: UInt64(c.resetPort))   // 116 RESET_REG
        b.append(c.resetValue)            // 128 RESET_VALUE
        b.le16(0)                         // 129 ARM_BOOT_ARCH (reserved before 5.1)
        b.append(0)                       // 131 FADT minor version (reserved before 5.1)
        b.le64(facs)                      // 132 X_FIRMWARE_CTRL
        b.le64(dsdt)                      // 140 X_DSDT
        // X_ blocks: system I/O, width = length * 8, access size word/word/dword/byte
        // (PM1 status/enable and control are 16-bit registers, the timer 32-bit, GPE bytes).
        b.gas(space: 1, bitWidth: 32, access: 2, address: UInt64(pm))         // 148 X_PM1a_EVT_BLK
        b.gas(space: 0, bitWidth: 0, access: 0, address: 0)                   // 160 X_PM1b_EVT_BLK
        b.gas(space: 1, bitWidth: 16, access: 2, address: UInt64(pm + 4))     // 172 X_PM1a_CNT_BLK
        b.gas(space: 0, bitWidth: 0, access: 0, address: 0)                   // 184 X_PM1b_CNT_BLK
        b.gas(space: 0, bitWidth: 0, access: 0, address: 0)                   // 196 X_PM2_CNT_BLK
        b.gas(space: 1, bitWidth: 32, access: 3, address: UInt64(pm + 8))     // 208 X_PM_TMR_BLK
        b.gas(space: 1, bitWidth: c.gpe0Length * 8, access: 1, address: UInt64(c.gpe0Base)) // 220
        b.gas(space: 0, bitWidth: 0, access: 0, address: 0)                   // 232 X_GPE1_BLK
        let f = table("FACP", revision: 3, c, body: b)
        assert(f.count == fadtLength)
        return f
    }

    /// DSDT with only the sleep-state packages (ACPI 6.x section 7.4.2 "\_Sx"; AML encoding
    /// section 20.2): Name(_S3_, Package(4){1, 1, 0, 0}) and Name(_S5_, Package(4){0, 0, 0, 0}).
    /// The first two elements are the SLP_TYP values for PM1a_CNT and PM1b_CNT. The table's
    /// top level is the root namespace scope, so no Scope(\) is needed.
    static func dsdt(_ c: ACPIConfig) -> [UInt8] {
        var aml = [UInt8]()
        func sleepPackage(_ name: String, slpTyp: UInt8) {
            aml.append(0x08)                      // NameOp
            aml.ascii(name, 4)                    // NameSeg
            aml.append(0x12)                      // PackageOp
            aml.append(6)                         // PkgLength (1 byte form, counts itself)
            aml.append(4)                         // NumElements
            for v in [slpTyp, slpTyp, 0, 0] {
                aml.append(v == 0 ? 0x00 : 0x01) // ZeroOp / OneOp
            }
        }
        if c.s3Supported { sleepPackage("_S3_", slpTyp: 1) }
        sleepPackage("_S5_", slpTyp: 0)
        // Revision 2: AML integers are 64 bits wide.
        return table("DSDT", revision: 2, c, body: aml)
    }

    /// MADT (ACPI 6.x section 5.2.12): local APIC address, PCAT_COMPAT, one Processor Local
    /// APIC per CPU (x2APIC structure for IDs >= 255, which do not fit the 8-bit field and
    /// would collide with broadcast 0xFF), the I/O APIC at GSI 0, QEMU's interrupt source
    /// overrides and the LINT1 NMI for all processors.
    static func madt(_ c: ACPIConfig) -> [UInt8] {
        var b = [UInt8]()
        b.le32(c.lapicAddress)
        b.le32(1)                                 // PCAT_COMPAT: dual 8259s present
        for i in 0..<c.cpus {
            if i < 255 {
                b.append(contentsOf: [0, 8, UInt8(i), UInt8(i)])   // type 0: UID, APIC ID
                b.le32(1)                                          // enabled
            } else {
                b.append(contentsOf: [9, 16, 0, 0])                // type 9: x2APIC
                b.le32(UInt32(i))                                  // x2APIC ID
                b.le32(1)                                          // enabled
                b.le32(UInt32(i))                                  // ACPI processor UID
            }
        }
        b.append(contentsOf: [1, 12, c.ioapicID, 0])  // type 1: I/O APIC
        b.le32(c.ioapicAddress)
        b.le32(0)                                 // GSI base
        // Type 2 interrupt source overrides (bus 0 = ISA): the PIT's IRQ0 is wired to pin 2;
        // the PCI interrupt lines 5, 9, 10, 11 are level-triggered active-high
        // (flags 0x000D: polarity 01 active high, trigger mode 11 level).
        func iso(_ irq: UInt8, gsi: UInt32, flags: UInt16) {
            b.append(contentsOf: [2, 10, 0, irq])
            b.le32(gsi)
            b.le16(flags)
        }
        iso(0, gsi: 2, flags: 0)
        for irq: UInt8 in [5, 9, 10, 11] { iso(irq, gsi: UInt32(irq), flags: 0x000D) }
        // Type 4 Local APIC NMI: all processors (UID 0xFF), flags 0 (bus conformant), LINT1.
        b.append(contentsOf: [4, 6, 0xFF])
        b.le16(0)
        b.append(1)
        if c.cpus > 255 {
            // Type 10 Local x2APIC NMI for the processors only declared by x2APIC structures.
            b.append(contentsOf: [10, 12])
            b.le16(0)
            b.le32(0xFFFF_FFFF)
            b.append(1)
            b.append(contentsOf: [0, 0, 0])
        }
        return table("APIC", revision: 3, c, body: b)
    }

    /// HPET description table (IA-PC HPET specification 1.0a section 3.2.4), 56 bytes.
    static func hpet(_ c: ACPIConfig, base: UInt64) -> [UInt8] {
        var b = [UInt8]()
        b.le32(c.hpetBlockID)                     // event timer block ID
        b.gas(space: 0, bitWidth: 0, access: 0, address: base)   // base address, system memory
        b.append(0)                               // HPET number
        b.le16(c.hpetMinTick)                     // main counter minimum clock tick (periodic)
        b.append(0)                               // page protection: none
        return table("HPET", revision: 1, c, body: b)
    }

    /// The byte that makes the sum of `bytes` (with this byte in place of a zero) 0 mod 256.
    static func checksumByte<C: Collection>(_ bytes: C) -> UInt8 where C.Element == UInt8 {
        var sum: UInt8 = 0
        for x in bytes { sum &+= x }
        return 0 &- sum
    }
}

private extension Array where Element == UInt8 {
    mutating func le16(_ v: UInt16) { append(UInt8(v & 0xFF)); append(UInt8(v >> 8)) }
    mutating func le32(_ v: UInt32) { for s in stride(from: 0, to: 32, by: 8) { append(UInt8(truncatingIfNeeded: v >> UInt32(s))) } }
    mutating func le64(_ v: UInt64) { for s in stride(from: 0, to: 64, by: 8) { append(UInt8(truncatingIfNeeded: v >> UInt64(s))) } }
    /// `s` as ASCII, truncated or padded with spaces to exactly `n` bytes.
    mutating func ascii(_ s: String, _ n: Int) {
        var bytes = Array(s.utf8.prefix(n))
        while bytes.count < n { bytes.append(0x20) }
        append(contentsOf: bytes)
    }
    /// Generic Address Structure (ACPI 6.x section 5.2.3.2): address space (0 memory, 1 I/O),
    /// register bit width, bit offset 0, access size (1 byte .. 4 qword, 0 undefined), address.
    mutating func gas(space: UInt8, bitWidth: UInt8, access: UInt8, address: UInt64) {
        append(contentsOf: [space, bitWidth, 0, access])
        le64(address)
    }
}
