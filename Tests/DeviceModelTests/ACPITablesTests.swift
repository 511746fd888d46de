import XCTest
import Foundation
@testable import DeviceModel

/// Places the built tables in a simulated physical memory and reads them back the way an OS
/// (and kvm-unit-tests lib/acpi.c) does: scan 0xE0000-0xFFFFF on 16-byte boundaries for
/// "RSD PTR ", check both RSDP checksums, follow RSDT and XSDT, and from the FADT reach the
/// FACS and the DSDT. Offsets are those of the ACPI 6.x tables, written out here independently
/// of the builder.
///
/// Setting ACPI_DUMP_DIR makes `testDumpForIASL` write the binary tables there, for
/// `iasl -d` (acpica-tools).
final class ACPITablesTests: XCTestCase {
    /// Sparse physical memory: BIOS area 0xE0000-0xFFFFF plus the table blob.
    struct Phys {
        var regions: [(base: UInt64, bytes: [UInt8])] = []
        func u8(_ a: UInt64) -> UInt8 {
            for r in regions where a >= r.base && a < r.base + UInt64(r.bytes.count) {
                return r.bytes[Int(a - r.base)]
            }
            XCTFail(String(format: "read of unmapped physical address %llx", a))
            return 0
        }
        func bytes(_ a: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { u8(a + UInt64($0)) } }
        func u16(_ a: UInt64) -> UInt16 { UInt16(u8(a)) | UInt16(u8(a + 1)) << 8 }
        func u32(_ a: UInt64) -> UInt32 { UInt32(u16(a)) | UInt32(u16(a + 2)) << 16 }
        func u64(_ a: UInt64) -> UInt64 { UInt64(u32(a)) | UInt64(u32(a + 4)) << 32 }
        func str(_ a: UInt64, _ n: Int) -> String { String(decoding: bytes(a, n), as: UTF8.self) }
        func sum(_ a: UInt64, _ n: Int) -> UInt8 { bytes(a, n).reduce(0, &+) }
    }

    struct Tables {
        var mem = Phys()
        var rsdp: UInt64 = 0
        var rsdt: UInt64 = 0
        var xsdt: UInt64 = 0
        var rsdtEntries: [UInt64] = []
        var xsdtEntries: [UInt64] = []
        /// lib/acpi.c find_acpi_table_addr: through the XSDT when revision >= 2 and valid.
        func find(_ sig: String) -> UInt64? { xsdtEntries.first { mem.str($0, 4) == sig } }
    }

    let rsdpAddress: UInt64 = 0xF_5A30   // any 16-byte boundary in the scanned area

    func load(_ c: ACPIConfig, tablesBase: UInt64 = 0x07FE_0000) -> Tables {
        let (rsdp, tables) = ACPITables.build(c, tablesBase: tablesBase)
        var t = Tables()
        var bios = [UInt8](repeating: 0, count: 0x2_0000)
        // Decoys: a signature off a 16-byte boundary must not be found.
        bios.replaceSubrange(0x1_0003..<0x1_000B, with: Array("RSD PTR ".utf8))
        bios.replaceSubrange(Int(rsdpAddress - 0xE_0000)..<Int(rsdpAddress - 0xE_0000) + rsdp.count, with: rsdp)
        t.mem.regions = [(0xE_0000, bios), (tablesBase, tables)]

        var found: UInt64? = nil
        for a in stride(from: UInt64(0xE_0000), to: 0x10_0000, by: 16) where t.mem.u64(a) == 0x2052_5450_2044_5352 {
            found = a; break
        }
        XCTAssertEqual(found, rsdpAddress)
        t.rsdp = found ?? rsdpAddress
        t.rsdt = UInt64(t.mem.u32(t.rsdp + 16))
        t.xsdt = t.mem.u64(t.rsdp + 24)
        if t.mem.str(t.rsdt, 4) == "RSDT" {
            let len = UInt64(t.mem.u32(t.rsdt + 4))
            t.rsdtEntries = stride(from: t.rsdt + 36, to: t.rsdt + len, by: 4).map { UInt64(t.mem.u32($0)) }
        }
        if t.mem.str(t.xsdt, 4) == "XSDT" {
            let len = UInt64(t.mem.u32(t.xsdt + 4))
            t.xsdtEntries = stride(from: t.xsdt + 36, to: t.xsdt + len, by: 8).map { t.mem.u64($0) }
        }
        return t
    }

    /// MADT subtables as (type, address), walked by their length bytes up to the table length
    /// exactly as acpi_table_parse_madt does; fails if a length would overrun the table.
    func madtEntries(_ t: Tables) -> [(type: UInt8, addr: UInt64)] {
        guard let madt = t.find("APIC") else { XCTFail("no MADT"); return [] }
        let end = madt + UInt64(t.mem.u32(madt + 4))
        var out: [(UInt8, UInt64)] = []
        var p = madt + 44
        while p < end {
            let len = UInt64(t.mem.u8(p + 1))
            XCTAssertGreaterThanOrEqual(len, 2)
            XCTAssertLessThanOrEqual(p + len, end, "subtable overruns the MADT")
            if len < 2 { break }
            out.append((t.mem.u8(p), p))
            p += len
        }
        XCTAssertEqual(p, end)
        return out
    }

    func fadt(_ t: Tables) -> UInt64 {
        guard let f = t.find("FACP") else { XCTFail("no FADT"); return 0 }
        return f
    }

    // MARK: RSDP, RSDT, XSDT

    func testRSDPFoundOnSixteenByteBoundaryWithBothChecksums() {
        let t = load(ACPIConfig(cpus: 1))
        XCTAssertEqual(t.mem.sum(t.rsdp, 20), 0, "ACPI 1.0 checksum over 20 bytes")
        XCTAssertEqual(t.mem.sum(t.rsdp, 36), 0, "extended checksum over 36 bytes")
        XCTAssertEqual(t.mem.str(t.rsdp + 9, 6), "SWEMU ")
        XCTAssertEqual(t.mem.u8(t.rsdp + 15), 2, "revision 2: XSDT present")
        XCTAssertEqual(t.mem.u32(t.rsdp + 20), 36, "RSDP length")
        XCTAssertEqual(t.mem.bytes(t.rsdp + 33, 3), [0, 0, 0])
        XCTAssertEqual(ACPITables.build(ACPIConfig(cpus: 1), tablesBase: 0x1000).rsdp.count, ACPITables.rsdpLength)
    }

    func testRSDTAndXSDTListTheSameTables() {
        let t = load(ACPIConfig(cpus: 2))
        XCTAssertEqual(t.mem.str(t.rsdt, 4), "RSDT")
        XCTAssertEqual(t.mem.str(t.xsdt, 4), "XSDT")
        XCTAssertEqual(t.rsdtEntries.count, 3)
        XCTAssertEqual(t.rsdtEntries, t.xsdtEntries)
        XCTAssertEqual(t.xsdtEntries.map { t.mem.str($0, 4) }, ["FACP", "APIC", "HPET"])
        // The RSDP's XSDT length rule: the XSDT length is a whole number of 8-byte entries.
        XCTAssertEqual((t.mem.u32(t.xsdt + 4) - 36) % 8, 0)
        XCTAssertEqual((t.mem.u32(t.rsdt + 4) - 36) % 4, 0)
    }

    func testEveryTableHasLengthChecksumAndFilledHeader() {
        var c = ACPIConfig(cpus: 4)
        c.oemID = "ACME"               // padded to 6
        c.oemTableID = "TOOLONGTABLEID" // truncated to 8
        c.oemRevision = 0x1234
        c.creatorID = "TEST"
        c.creatorRevision = 7
        let t = load(c)
        let f = fadt(t)
        let dsdt = UInt64(t.mem.u32(f + 40))
        let expected: [String: (rev: UInt8, minLen: UInt32)] = [
            "RSDT": (1, 36 + 12), "XSDT": (1, 36 + 24), "FACP": (3, 244), "APIC": (3, 44),
            "HPET": (1, 56), "DSDT": (2, 36),
        ]
        for a in [t.rsdt, t.xsdt, dsdt] + t.xsdtEntries {
            let sig = t.mem.str(a, 4)
            guard let e = expected[sig] else { XCTFail("unexpected table \(sig)"); continue }
            let len = Int(t.mem.u32(a + 4))
            XCTAssertGreaterThanOrEqual(len, Int(e.minLen), sig)
            if sig == "FACP" || sig == "HPET" { XCTAssertEqual(UInt32(len), e.minLen, sig) }
            XCTAssertEqual(t.mem.sum(a, len), 0, "\(sig) checksum")
            XCTAssertEqual(t.mem.u8(a + 8), e.rev, "\(sig) revision")
            XCTAssertEqual(t.mem.str(a + 10, 6), "ACME  ", sig)
            XCTAssertEqual(t.mem.str(a + 16, 8), "TOOLONGT", sig)
            XCTAssertEqual(t.mem.u32(a + 24), 0x1234, sig)
            XCTAssertEqual(t.mem.str(a + 28, 4), "TEST", sig)
            XCTAssertEqual(t.mem.u32(a + 32), 7, sig)
        }
        XCTAssertEqual(t.mem.str(t.rsdp + 9, 6), "ACME  ")
    }

    // MARK: FADT, FACS, DSDT

    func testFADTPowerManagementBlocksAndFlags() {
        let t = load(ACPIConfig(cpus: 1))
        let f = fadt(t)
        XCTAssertEqual(t.mem.u16(f + 46), 9, "SCI_INT")
        XCTAssertEqual(t.mem.u32(f + 48), 0xB2, "SMI_CMD")
        XCTAssertEqual(t.mem.u8(f + 52), 0xF1, "ACPI_ENABLE")
        XCTAssertEqual(t.mem.u8(f + 53), 0xF0, "ACPI_DISABLE")
        XCTAssertEqual(t.mem.u32(f + 56), 0x600, "PM1a_EVT_BLK")
        XCTAssertEqual(t.mem.u32(f + 60), 0, "PM1b_EVT_BLK")
        XCTAssertEqual(t.mem.u32(f + 64), 0x604, "PM1a_CNT_BLK")
        XCTAssertEqual(t.mem.u32(f + 76), 0x608, "PM_TMR_BLK")
        XCTAssertEqual(t.mem.u32(f + 80), 0xAFE0, "GPE0_BLK")
        XCTAssertEqual(t.mem.bytes(f + 88, 6), [4, 2, 0, 4, 4, 0], "PM1_EVT/CNT, PM2, TMR, GPE0/1 lengths")
        XCTAssertEqual(t.mem.u16(f + 96), 0xFFF, "C2 not supported")
        XCTAssertEqual(t.mem.u16(f + 98), 0xFFF, "C3 not supported")
        XCTAssertEqual(t.mem.u8(f + 108), 0x32, "RTC century index")
        XCTAssertEqual(t.mem.u16(f + 109), 0x3, "IAPC_BOOT_ARCH: legacy devices, 8042")
        let flags = t.mem.u32(f + 112)
        for (bit, name) in [(0, "WBINVD"), (2, "PROC_C1"), (5, "SLP_BUTTON"), (7, "RTC_S4"),
                            (10, "RESET_REG_SUP"), (15, "USE_PLATFORM_CLOCK")] {
            XCTAssertNotEqual(flags & (1 << bit), 0, name)
        }
        XCTAssertEqual(flags & (1 << 8), 0, "TMR_VAL_EXT clear: 24-bit PM timer")
        XCTAssertEqual(flags & (1 << 4), 0, "fixed-feature power button")
        XCTAssertEqual(flags & (1 << 18), 0, "no forced cluster mode for 1 CPU")
        XCTAssertEqual(flags & (1 << 20), 0, "not hardware-reduced")
        // RESET_REG: system I/O, 8 bits at 0xCF9, byte access; value 6.
        XCTAssertEqual(t.mem.bytes(f + 116, 4), [1, 8, 0, 1])
        XCTAssertEqual(t.mem.u64(f + 120), 0xCF9)
        XCTAssertEqual(t.mem.u8(f + 128), 0x06)
        // 64-bit fields agree with the 32-bit ones.
        XCTAssertEqual(t.mem.u64(f + 132), UInt64(t.mem.u32(f + 36)), "X_FIRMWARE_CTRL")
        XCTAssertEqual(t.mem.u64(f + 140), UInt64(t.mem.u32(f + 40)), "X_DSDT")
        func gas(_ off: UInt64) -> (UInt8, UInt8, UInt64) { (t.mem.u8(f + off), t.mem.u8(f + off + 1), t.mem.u64(f + off + 4)) }
        XCTAssertTrue(gas(148) == (1, 32, 0x600), "X_PM1a_EVT_BLK")
        XCTAssertTrue(gas(160) == (0, 0, 0), "X_PM1b_EVT_BLK")
        XCTAssertTrue(gas(172) == (1, 16, 0x604), "X_PM1a_CNT_BLK")
        XCTAssertTrue(gas(208) == (1, 32, 0x608), "X_PM_TMR_BLK")
        XCTAssertTrue(gas(220) == (1, 32, 0xAFE0), "X_GPE0_BLK")
        XCTAssertTrue(gas(232) == (0, 0, 0), "X_GPE1_BLK")
    }

    func testFADTFollowsConfigAndForcesClusterModeAboveEightCPUs() {
        var c = ACPIConfig(cpus: 64)
        c.pmBase = 0xB000; c.sciIRQ = 11; c.gpe0Base = 0xB020; c.gpe0Length = 8
        let t = load(c)
        let f = fadt(t)
        XCTAssertEqual(t.mem.u16(f + 46), 11)
        XCTAssertEqual(t.mem.u32(f + 56), 0xB000)
        XCTAssertEqual(t.mem.u32(f + 64), 0xB004)
        XCTAssertEqual(t.mem.u32(f + 76), 0xB008)
        XCTAssertEqual(t.mem.u32(f + 80), 0xB020)
        XCTAssertEqual(t.mem.u8(f + 92), 8)
        XCTAssertEqual(t.mem.u64(f + 212), 0xB008, "X_PM_TMR_BLK address")
        XCTAssertEqual(t.mem.u8(f + 221), 64, "X_GPE0_BLK bit width")
        XCTAssertNotEqual(t.mem.u32(f + 112) & (1 << 18), 0, "FORCE_APIC_CLUSTER_MODEL with 64 CPUs")
    }

    func testFACSIsSixtyFourByteAlignedEvenFromAnUnalignedBase() {
        for base: UInt64 in [0x07FE_0000, 0x9_0010, 0xBFFF_F004] {
            let t = load(ACPIConfig(cpus: 1), tablesBase: base)
            let f = fadt(t)
            let facs = UInt64(t.mem.u32(f + 36))   // what lib/acpi.c returns for "FACS"
            XCTAssertEqual(facs % 64, 0)
            XCTAssertGreaterThanOrEqual(facs, base)
            XCTAssertEqual(facs, ACPITables.facsAddress(tablesBase: base))
            XCTAssertEqual(t.mem.str(facs, 4), "FACS")
            XCTAssertEqual(t.mem.u32(facs + 4), 64)
            XCTAssertEqual(t.mem.u32(facs + 12), 0, "firmware waking vector")
            XCTAssertEqual(t.mem.u32(facs + 16), 0, "global lock free")
            XCTAssertEqual(t.mem.u32(facs + 20), 0, "no S4BIOS, no 64-bit wake")
            XCTAssertEqual(t.mem.u64(facs + 24), 0, "X firmware waking vector")
            XCTAssertEqual(t.mem.u8(facs + 32), 2, "FACS version")
            // No table overlaps the FACS.
            for a in t.xsdtEntries + [t.rsdt, t.xsdt, UInt64(t.mem.u32(f + 40))] {
                XCTAssertTrue(a >= facs + 64 || a + UInt64(t.mem.u32(a + 4)) <= facs)
            }
        }
    }

    func testDSDTHoldsSleepPackages() {
        let t = load(ACPIConfig(cpus: 1))
        let dsdt = UInt64(t.mem.u32(fadt(t) + 40))
        XCTAssertEqual(t.mem.str(dsdt, 4), "DSDT")
        let len = Int(t.mem.u32(dsdt + 4))
        XCTAssertEqual(t.mem.sum(dsdt, len), 0)
        // Name(_S3_, Package(0x04){One, One, Zero, Zero}); Name(_S5_, Package(0x04){Zero x4})
        let aml = t.mem.bytes(dsdt + 36, len - 36)
        XCTAssertEqual(aml, [0x08, 0x5F, 0x53, 0x33, 0x5F, 0x12, 0x06, 0x04, 0x01, 0x01, 0x00, 0x00,
                             0x08, 0x5F, 0x53, 0x35, 0x5F, 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00])
        var c = ACPIConfig(cpus: 1)
        c.s3Supported = false
        let t2 = load(c)
        let d2 = UInt64(t2.mem.u32(fadt(t2) + 40))
        let len2 = Int(t2.mem.u32(d2 + 4))
        XCTAssertEqual(t2.mem.sum(d2, len2), 0)
        XCTAssertEqual(t2.mem.bytes(d2 + 36, len2 - 36), [0x08, 0x5F, 0x53, 0x35, 0x5F, 0x12, 0x06, 0x04, 0, 0, 0, 0])
    }

    // MARK: MADT

    func checkMADT(cpus: Int) {
        let t = load(ACPIConfig(cpus: cpus))
        guard let madt = t.find("APIC") else { return XCTFail("no MADT") }
        XCTAssertEqual(t.mem.u32(madt + 36), 0xFEE0_0000, "local APIC address")
        XCTAssertEqual(t.mem.u32(madt + 40), 1, "PCAT_COMPAT")
        let e = madtEntries(t)
        let lapics = e.filter { $0.type == 0 }
        XCTAssertEqual(lapics.count, cpus, "\(cpus) CPUs")
        for (i, l) in lapics.enumerated() {
            XCTAssertEqual(t.mem.u8(l.addr + 1), 8)
            XCTAssertEqual(t.mem.u8(l.addr + 2), UInt8(i), "ACPI processor UID")
            XCTAssertEqual(t.mem.u8(l.addr + 3), UInt8(i), "APIC ID")
            XCTAssertEqual(t.mem.u32(l.addr + 4), 1, "enabled")
        }
        XCTAssertEqual(e.filter { $0.type == 1 }.count, 1, "one I/O APIC")
        XCTAssertEqual(e.filter { $0.type == 2 }.count, 5, "five interrupt source overrides")
        XCTAssertEqual(e.filter { $0.type == 4 }.count, 1, "one local APIC NMI")
        XCTAssertEqual(e.count, cpus + 7, "no other subtables")
        XCTAssertEqual(t.mem.u32(madt + 4), UInt32(44 + 8 * cpus + 12 + 5 * 10 + 6))
    }

    func testMADTOneCPU() { checkMADT(cpus: 1) }
    func testMADTFourCPUs() { checkMADT(cpus: 4) }
    func testMADTSixtyFourCPUs() { checkMADT(cpus: 64) }

    func testMADTIOAPICOverridesAndNMI() {
        var c = ACPIConfig(cpus: 2)
        c.ioapicID = 2
        let t = load(c)
        let e = madtEntries(t)
        guard let io = e.first(where: { $0.type == 1 }) else { return XCTFail("no I/O APIC") }
        XCTAssertEqual(t.mem.u8(io.addr + 1), 12)
        XCTAssertEqual(t.mem.u8(io.addr + 2), 2, "I/O APIC ID")
        XCTAssertEqual(t.mem.u32(io.addr + 4), 0xFEC0_0000)
        XCTAssertEqual(t.mem.u32(io.addr + 8), 0, "GSI base")
        let isos = e.filter { $0.type == 2 }.map { a -> [UInt32] in
            XCTAssertEqual(t.mem.u8(a.addr + 1), 10)
            XCTAssertEqual(t.mem.u8(a.addr + 2), 0, "bus: ISA")
            return [UInt32(t.mem.u8(a.addr + 3)), t.mem.u32(a.addr + 4), UInt32(t.mem.u16(a.addr + 8))]
        }
        XCTAssertEqual(isos, [[0, 2, 0], [5, 5, 0xD], [9, 9, 0xD], [10, 10, 0xD], [11, 11, 0xD]])
        guard let nmi = e.first(where: { $0.type == 4 }) else { return XCTFail("no LAPIC NMI") }
        XCTAssertEqual(t.mem.bytes(nmi.addr, 6), [4, 6, 0xFF, 0, 0, 1], "all processors, flags 0, LINT1")
    }

    func testMADTUsesX2APICStructuresAboveAPICID254() {
        let t = load(ACPIConfig(cpus: 300))
        let e = madtEntries(t)
        let lapics = e.filter { $0.type == 0 }
        let x2 = e.filter { $0.type == 9 }
        XCTAssertEqual(lapics.count, 255)
        XCTAssertEqual(t.mem.u8(lapics.last!.addr + 3), 254)
        XCTAssertEqual(x2.count, 45)
        for (k, x) in x2.enumerated() {
            XCTAssertEqual(t.mem.u8(x.addr + 1), 16)
            XCTAssertEqual(t.mem.u32(x.addr + 4), UInt32(255 + k), "x2APIC ID")
            XCTAssertEqual(t.mem.u32(x.addr + 8), 1, "enabled")
            XCTAssertEqual(t.mem.u32(x.addr + 12), UInt32(255 + k), "UID")
        }
        guard let x2nmi = e.first(where: { $0.type == 10 }) else { return XCTFail("no x2APIC NMI") }
        XCTAssertEqual(t.mem.bytes(x2nmi.addr, 12), [10, 12, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 1, 0, 0, 0])
        XCTAssertEqual(e.filter { $0.type == 10 }.count, 1)
        // 64 CPUs stay with xAPIC structures only (checked above); 255 is the boundary.
        XCTAssertTrue(madtEntries(load(ACPIConfig(cpus: 255))).allSatisfy { $0.type != 9 && $0.type != 10 })
    }

    // MARK: HPET

    func testHPETTable() {
        let t = load(ACPIConfig(cpus: 1))
        guard let h = t.find("HPET") else { return XCTFail("no HPET") }
        XCTAssertEqual(t.mem.u32(h + 4), 56)
        XCTAssertEqual(t.mem.u32(h + 36), 0x8086_A201, "event timer block ID")
        XCTAssertEqual(t.mem.u8(h + 40), 0, "system memory")
        XCTAssertEqual(t.mem.u64(h + 44), 0xFED0_0000, "base address")
        XCTAssertEqual(t.mem.u8(h + 52), 0, "HPET number")
        XCTAssertEqual(t.mem.u16(h + 53), 0x80, "minimum tick")
        XCTAssertEqual(t.mem.u8(h + 55), 0, "no page protection")

        var c = ACPIConfig(cpus: 1)
        c.hpetAddress = nil
        let t2 = load(c)
        XCTAssertNil(t2.find("HPET"))
        XCTAssertEqual(t2.xsdtEntries.map { t2.mem.str($0, 4) }, ["FACP", "APIC"])
        XCTAssertEqual(t2.rsdtEntries, t2.xsdtEntries)
    }

    // MARK: Placement

    func testAddressesAreAbsoluteForHighBase() {
        let base: UInt64 = 0xBFFF_0000
        let (rsdp, tables) = ACPITables.build(ACPIConfig(cpus: 4), tablesBase: base)
        let t = load(ACPIConfig(cpus: 4), tablesBase: base)
        XCTAssertTrue(t.rsdt >= base && t.rsdt < base + UInt64(tables.count))
        XCTAssertEqual(t.xsdt, base + UInt64(tables.count) - UInt64(t.mem.u32(t.xsdt + 4)), "XSDT is last")
        for a in t.xsdtEntries { XCTAssertTrue(a >= base && a + UInt64(t.mem.u32(a + 4)) <= base + UInt64(tables.count)) }
        XCTAssertEqual(Array(rsdp[0..<8]), Array("RSD PTR ".utf8))
        // Deterministic: the same input gives the same bytes.
        XCTAssertTrue(ACPITables.build(ACPIConfig(cpus: 4), tablesBase: base) == (rsdp, tables))
    }

    /// Writes the tables as separate files for `iasl -d` when ACPI_DUMP_DIR is set.
    func testDumpForIASL() throws {
        guard let dir = ProcessInfo.processInfo.environment["ACPI_DUMP_DIR"] else { return }
        for cpus in [1, 4, 64, 300] {
            let base: UInt64 = 0x07FE_0000
            let (rsdp, tables) = ACPITables.build(ACPIConfig(cpus: cpus), tablesBase: base)
            let t = load(ACPIConfig(cpus: cpus), tablesBase: base)
            let dsdt = UInt64(t.mem.u32(fadt(t) + 40))
            let facs = UInt64(t.mem.u32(fadt(t) + 36))
            func write(_ name: String, _ bytes: [UInt8]) throws {
                try Data(bytes).write(to: URL(fileURLWithPath: "\(dir)/\(name)-\(cpus).dat"))
            }
            try write("rsdp", rsdp)
            try write("facs", t.mem.bytes(facs, 64))
            for a in [t.rsdt, t.xsdt, dsdt] + t.xsdtEntries {
                try write(t.mem.str(a, 4).lowercased(), t.mem.bytes(a, Int(t.mem.u32(a + 4))))
            }
            _ = tables
        }
    }
}
