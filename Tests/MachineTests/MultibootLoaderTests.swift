import XCTest
import CPU
import Foundation
@testable import Machine
#if canImport(Glibc)
import Glibc
#endif

/// A machine bus with nothing on it (the loader never does I/O).
final class NullBus: CPUBus {
    func portRead(_ port: UInt16, size: Int) -> UInt32 { 0xFFFF_FFFF }
    func portWrite(_ port: UInt16, size: Int, value: UInt32) {}
    func mmioRead(_ addr: UInt64, size: Int) -> UInt64 { ~0 }
    func mmioWrite(_ addr: UInt64, size: Int, value: UInt64) {}
    func codeWritten(page: UInt64) {}
    var interruptPending: Bool { false }
    func acknowledgeInterrupt() -> UInt8? { nil }
    func shutdown(reason: String) {}
}

/// Little-endian byte builders for synthetic images.
extension Array where Element == UInt8 {
    mutating func put32(_ o: Int, _ v: UInt32) { for k in 0..<4 { self[o + k] = UInt8((v >> UInt32(8 * k)) & 0xFF) } }
    mutating func put16(_ o: Int, _ v: UInt16) { self[o] = UInt8(v & 0xFF); self[o + 1] = UInt8(v >> 8) }
    func le32(_ o: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(self[o + $1]) << UInt32(8 * $1) } }
    func le64(_ o: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(self[o + $1]) << UInt64(8 * $1) } }
}

struct Segment { var paddr: UInt32; var data: [UInt8]; var memsz: UInt32 }

/// An ELF32 (or, with `elf64`, an ELF64-marked) executable whose first segment starts with a
/// Multiboot header (magic 0x1BADB002, flags 0, checksum).
func makeELF(entry: UInt32, segments: [Segment], elf64: Bool = false, mbFlags: UInt32 = 0) -> [UInt8] {
    let phoff = 52, phentsize = 32
    var dataOff = 0x100
    var img = [UInt8](repeating: 0, count: dataOff)
    img[0] = 0x7F; img[1] = 0x45; img[2] = 0x4C; img[3] = 0x46
    img[4] = elf64 ? 2 : 1; img[5] = 1; img[6] = 1
    img.put16(16, 2)                        // ET_EXEC
    img.put16(18, elf64 ? 62 : 3)           // EM_X86_64 / EM_386
    img.put32(20, 1)
    img.put32(24, entry)
    img.put32(28, UInt32(phoff))
    img.put16(40, 52)
    img.put16(42, UInt16(phentsize))
    img.put16(44, UInt16(segments.count))
    for (k, s) in segments.enumerated() {
        let p = phoff + k * phentsize
        img.put32(p, 1)                     // PT_LOAD
        img.put32(p + 4, UInt32(dataOff))
        img.put32(p + 8, s.paddr)
        img.put32(p + 12, s.paddr)
        img.put32(p + 16, UInt32(s.data.count))
        img.put32(p + 20, s.memsz)
        img.put32(p + 24, 5)
        img.put32(p + 28, 0x1000)
        img += s.data
        dataOff += s.data.count
    }
    return img
}

func multibootHeader(flags: UInt32 = 0) -> [UInt8] {
    var h = [UInt8](repeating: 0, count: 12)
    h.put32(0, 0x1BAD_B002); h.put32(4, flags); h.put32(8, 0 &- 0x1BAD_B002 &- flags)
    return h
}

final class MultibootLoaderTests: XCTestCase {
    let bus = NullBus()

    /// Code segment: Multiboot header, then recognisable bytes; 0x200 bytes of .bss after it.
    let text: [UInt8] = multibootHeader() + [0xFA, 0xF4, 0xEB, 0xFD] + Array(1...48)
    let data: [UInt8] = Array("DATA".utf8) + [UInt8](repeating: 0x5C, count: 28)
    var image: [UInt8] {
        makeELF(entry: 0x10_000C, segments: [Segment(paddr: 0x10_0000, data: text, memsz: UInt32(text.count) + 0x200),
                                             Segment(paddr: 0x20_0000, data: data, memsz: UInt32(data.count))])
    }

    func machine(ram: UInt64 = 128 << 20, poison: Bool = true) -> (PhysicalMemory, CPU) {
        let mem = PhysicalMemory(size: ram)
        // Poison the low 4 MiB so "zeroed" and "untouched" can be told apart.
        if poison { memset(mem.host, 0xAA, Int(min(ram, 4 << 20))) }
        let cpu = CPU(memory: mem, bus: bus)
        return (mem, cpu)
    }

    func load(_ img: [UInt8], cmdline: String = "k", modules: [(String, [UInt8])] = [],
              ram: UInt64 = 128 << 20, poison: Bool = true) throws -> (PhysicalMemory, CPU, MultibootLoader.Loaded) {
        let (mem, cpu) = machine(ram: ram, poison: poison)
        let l = try MultibootLoader.load(kernel: "k.elf", image: img, cmdline: cmdline, modules: modules, memory: mem, cpu: cpu)
        return (mem, cpu, l)
    }

    func cString(_ mem: PhysicalMemory, _ pa: UInt32) -> String? {
        var out: [UInt8] = []
        var a = UInt64(pa)
        while let b = mem.read(a, count: 1)?.first, b != 0, out.count < 4096 { out.append(b); a += 1 }
        return String(decoding: out, as: UTF8.self)
    }

    func loadError(_ img: [UInt8], ram: UInt64 = 128 << 20, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try load(img, ram: ram)
            XCTFail("load should have failed", file: file, line: line)
            return ""
        } catch { return "\(error)" }
    }

    // MARK: image

    func testIsMultiboot() {
        XCTAssertTrue(MultibootLoader.isMultiboot(image))
        XCTAssertFalse(MultibootLoader.isMultiboot([UInt8](repeating: 0, count: 100)))
        var bad = image
        bad[0x100 + 8] ^= 1                  // checksum no longer sums to zero
        XCTAssertFalse(MultibootLoader.isMultiboot(bad))
        // The header must lie in the first 8 KiB.
        let late = [UInt8](repeating: 0, count: 8192) + multibootHeader()
        XCTAssertFalse(MultibootLoader.isMultiboot(late))
        let early = [UInt8](repeating: 0, count: 8192 - 12) + multibootHeader()
        XCTAssertTrue(MultibootLoader.isMultiboot(early))
    }

    func testSegmentsCopiedToPhysicalAddressesAndBSSZeroed() throws {
        let (mem, _, l) = try load(image)
        XCTAssertEqual(mem.read(0x10_0000, count: text.count), text)
        XCTAssertEqual(mem.read(0x20_0000, count: data.count), data)
        XCTAssertEqual(mem.read(0x10_0000 + UInt64(text.count), count: 0x200), [UInt8](repeating: 0, count: 0x200), ".bss zeroed")
        XCTAssertEqual(mem.read(0x10_0000 + UInt64(text.count) + 0x200, count: 16), [UInt8](repeating: 0xAA, count: 16),
                       "nothing written past p_memsz")
        XCTAssertEqual(mem.read(0x0FFFF0, count: 16), [UInt8](repeating: 0xAA, count: 16), "nothing before p_paddr")
        XCTAssertEqual(mem.read(0x7000, count: 16), [UInt8](repeating: 0xAA, count: 16), "low memory untouched")
        XCTAssertEqual(l.entry, 0x10_000C)
        XCTAssertEqual(l.imageEnd, 0x20_0000 + UInt64(data.count))
    }

    func testNonLoadProgramHeadersAreSkipped() throws {
        var img = image
        img.put32(52 + 32, 4)                // second header becomes PT_NOTE
        let (mem, _, l) = try load(img)
        XCTAssertEqual(mem.read(0x20_0000, count: 4), [0xAA, 0xAA, 0xAA, 0xAA])
        XCTAssertEqual(l.imageEnd, 0x10_0000 + UInt64(text.count) + 0x200)
    }

    // MARK: entry state (Multiboot 0.6.96, 3.2)

    func testEntryState() throws {
        let (_, cpu, _) = try load(image)
        XCTAssertEqual(cpu.gpr[Reg.rax], 0x2BAD_B002)
        let ebx = cpu.gpr[Reg.rbx]
        XCTAssertNotEqual(ebx, 0)
        XCTAssertEqual(ebx & 3, 0, "info structure aligned")
        XCTAssertGreaterThanOrEqual(ebx, 0x20_0000 + UInt64(data.count), "info placed after the image")
        XCTAssertEqual(cpu.s.pointee.rip, 0x10_000C)
        XCTAssertNotEqual(cpu.s.pointee.cr0 & CR0.pe, 0, "CR0.PE")
        XCTAssertEqual(cpu.s.pointee.cr0 & CR0.pg, 0, "CR0.PG clear")
        XCTAssertEqual(cpu.rflags & FL.if, 0, "IF clear")
        XCTAssertEqual(cpu.rflags & FL.vm, 0)
        let cs = cpu.segs[Seg.cs]
        XCTAssertEqual(cs.base, 0); XCTAssertEqual(cs.limit, 0xFFFF_FFFF)
        XCTAssertTrue(cs.isCode); XCTAssertTrue(cs.db, "32-bit code"); XCTAssertTrue(cs.present)
        XCTAssertEqual(cs.attr & 0xA, 0xA, "execute/read")
        for r in [Seg.ds, Seg.es, Seg.ss, Seg.fs, Seg.gs] {
            let s = cpu.segs[r]
            XCTAssertEqual(s.base, 0, "seg \(r)"); XCTAssertEqual(s.limit, 0xFFFF_FFFF, "seg \(r)")
            XCTAssertFalse(s.isCode, "seg \(r)"); XCTAssertEqual(s.attr & 0x2, 0x2, "seg \(r) writable")
            XCTAssertTrue(s.db, "seg \(r)"); XCTAssertTrue(s.present, "seg \(r)")
        }
        XCTAssertEqual(cpu.cpl, 0)
        XCTAssertEqual(cpu.s.pointee.codeMode, 1, "32-bit decode mode")
        XCTAssertFalse(cpu.longMode)
    }

    func testGDTMatchesSegmentCaches() throws {
        // A guest that reloads CS/DS from the GDTR must get the same flat segments.
        let (mem, cpu, _) = try load(image)
        let gdt = try XCTUnwrap(mem.read(cpu.s.pointee.gdtrBase, count: Int(cpu.s.pointee.gdtrLimit) + 1))
        XCTAssertGreaterThan(Int(cpu.s.pointee.gdtrLimit), Int(cpu.segs[Seg.ds].selector))
        let csDesc = gdt.le64(Int(cpu.segs[Seg.cs].selector & ~7))
        let dsDesc = gdt.le64(Int(cpu.segs[Seg.ds].selector & ~7))
        XCTAssertEqual(csDesc, 0x00CF_9A00_0000_FFFF)
        XCTAssertEqual(dsDesc, 0x00CF_9200_0000_FFFF)
    }

    // MARK: information structure (Multiboot 0.6.96, 3.3)

    func info(_ mem: PhysicalMemory, _ cpu: CPU) throws -> [UInt8] {
        try XCTUnwrap(mem.read(cpu.gpr[Reg.rbx], count: 0x58))
    }

    func testInfoMemoryAndCmdline() throws {
        let (mem, cpu, _) = try load(image, cmdline: "k.elf console=ttyS0 x=1")
        let mbi = try info(mem, cpu)
        let flags = mbi.le32(0)
        for (bit, what) in [(0, "mem_lower/upper"), (2, "cmdline"), (3, "mods"), (6, "mmap")] {
            XCTAssertNotEqual(flags & (1 << UInt32(bit)), 0, what)
        }
        XCTAssertEqual(flags & (1 << 4 | 1 << 5), 0, "no a.out/ELF symbol tables claimed")
        XCTAssertEqual(mbi.le32(4), 640, "mem_lower KiB")
        XCTAssertEqual(mbi.le32(8), UInt32((128 << 20) - (1 << 20)) >> 10, "mem_upper KiB from 1 MiB")
        XCTAssertEqual(cString(mem, mbi.le32(16)), "k.elf console=ttyS0 x=1")
        XCTAssertEqual(mbi.le32(20), 0, "no modules")
        if flags & (1 << 9) != 0 { XCTAssertEqual(cString(mem, mbi.le32(64)), "swemu") }
    }

    func mmapEntries(_ mem: PhysicalMemory, _ mbi: [UInt8]) throws -> [(base: UInt64, len: UInt64, type: UInt32)] {
        let len = Int(mbi.le32(44)), addr = UInt64(mbi.le32(48))
        let raw = try XCTUnwrap(mem.read(addr, count: len))
        var out: [(UInt64, UInt64, UInt32)] = []
        var o = 0
        while o < len {
            let size = Int(raw.le32(o))
            XCTAssertEqual(size, 20)
            out.append((raw.le64(o + 4), raw.le64(o + 12), raw.le32(o + 20)))
            o += size + 4
        }
        XCTAssertEqual(o, len, "mmap_length covers whole entries")
        return out
    }

    func testMemoryMap128M() throws {
        let (mem, cpu, _) = try load(image)
        let map = try mmapEntries(mem, try info(mem, cpu))
        let ram = map.filter { $0.type == 1 }
        XCTAssertTrue(ram.contains { $0.base == 0 && $0.len == 0x9FC00 }, "conventional memory")
        XCTAssertTrue(ram.contains { $0.base == 0x10_0000 && $0.len == (128 << 20) - 0x10_0000 }, "extended memory")
        XCTAssertFalse(ram.contains { $0.base >= 0x1_0000_0000 }, "nothing above 4 GiB")
        XCTAssertFalse(ram.contains { $0.base < 0x10_0000 && $0.base + $0.len > 0xA0000 }, "no RAM over the VGA hole/ROMs")
        // Entries do not overlap.
        let sorted = map.sorted { $0.base < $1.base }
        for (a, b) in zip(sorted, sorted.dropFirst()) { XCTAssertLessThanOrEqual(a.base + a.len, b.base) }
    }

    func testMemoryMapAbove4GWhenRAMExceedsLowLimit() throws {
        let ram: UInt64 = 4 << 30
        let (mem, cpu, _) = try load(image, ram: ram)
        let mbi = try info(mem, cpu)
        let map = try mmapEntries(mem, mbi)
        let ramEntries = map.filter { $0.type == 1 }
        XCTAssertTrue(ramEntries.contains { $0.base == 0x1_0000_0000 && $0.len == ram - 0xE000_0000 },
                      "\(ramEntries)")
        XCTAssertTrue(ramEntries.contains { $0.base == 0x10_0000 && $0.len == 0xE000_0000 - 0x10_0000 })
        XCTAssertEqual(ramEntries.filter { $0.base >= 0x10_0000 }.reduce(0) { $0 + $1.len }, ram - 0x10_0000,
                       "all RAM above 1 MiB is reported")
        XCTAssertEqual(mbi.le32(8), UInt32((0xE000_0000 - 0x10_0000) >> 10), "mem_upper stops at the PCI hole")
    }

    func testModules() throws {
        let m1: [UInt8] = Array("FOO=bar\nBAZ=1\n".utf8)
        let m2 = [UInt8](repeating: 0x11, count: 5000)
        let (mem, cpu, _) = try load(image, cmdline: "k.elf", modules: [("env", m1), ("disk.img", m2)])
        let mbi = try info(mem, cpu)
        XCTAssertEqual(mbi.le32(20), 2, "mods_count")
        let list = try XCTUnwrap(mem.read(UInt64(mbi.le32(24)), count: 32))
        for (k, (name, bytes)) in [("env", m1), ("disk.img", m2)].enumerated() {
            let start = list.le32(16 * k), end = list.le32(16 * k + 4)
            XCTAssertEqual(start & 0xFFF, 0, "module \(k) page-aligned")
            XCTAssertEqual(end - start, UInt32(bytes.count))
            XCTAssertEqual(mem.read(UInt64(start), count: bytes.count), bytes)
            XCTAssertEqual(cString(mem, list.le32(16 * k + 8)), name)
            XCTAssertGreaterThanOrEqual(UInt64(start), 0x20_0000 + UInt64(data.count), "after the image")
        }
        XCTAssertGreaterThanOrEqual(list.le32(16), list.le32(4), "modules do not overlap")
        // The info structure, strings and GDT do not overlap the modules.
        let ebx = cpu.gpr[Reg.rbx]
        XCTAssertTrue(ebx + 0x58 <= UInt64(list.le32(0)) || ebx >= UInt64(list.le32(12)))
        XCTAssertTrue(cpu.s.pointee.gdtrBase + 32 <= UInt64(list.le32(0)))
    }

    func testMachineBuildsCmdlineFromKernelPathAndAppend() throws {
        let dir = NSTemporaryDirectory()
        let kpath = dir + "swemu-mbtest-\(getpid()).elf", mpath = dir + "swemu-mbtest-\(getpid()).env"
        defer { unlink(kpath); unlink(mpath) }
        XCTAssertTrue(FileManager.default.createFile(atPath: kpath, contents: Data(image)))
        XCTAssertTrue(FileManager.default.createFile(atPath: mpath, contents: Data("A=1\n".utf8)))
        var c = MachineConfig()
        c.kernel = kpath; c.append = "a b"; c.initrd = [mpath]
        let m = try Machine(config: c)
        m.log = { _ in }
        try m.loadKernel()
        let mbi = try XCTUnwrap(m.memory.read(m.cpu.gpr[Reg.rbx], count: 0x58))
        XCTAssertEqual(cString(m.memory, mbi.le32(16)), "\(kpath) a b")
        XCTAssertEqual(mbi.le32(20), 1)
        let mod = try XCTUnwrap(m.memory.read(UInt64(mbi.le32(24)), count: 16))
        XCTAssertEqual(cString(m.memory, mod.le32(8)), mpath)
        XCTAssertEqual(m.memory.read(UInt64(mod.le32(0)), count: 4), Array("A=1\n".utf8))
        XCTAssertEqual(m.cpu.s.pointee.rip, 0x10_000C)
    }

    // MARK: errors

    func testNotMultiboot() {
        var img = [UInt8](repeating: 0x90, count: 4096)
        img[0] = 0x7F; img[1] = 0x45; img[2] = 0x4C; img[3] = 0x46
        let e = loadError(img)
        XCTAssertTrue(e.contains("not a Multiboot"), e)
        XCTAssertTrue(e.contains("k.elf"), "names the file: \(e)")
    }

    func testELF64Rejected() {
        let img = makeELF(entry: 0x10_000C, segments: [Segment(paddr: 0x10_0000, data: text, memsz: UInt32(text.count))], elf64: true)
        XCTAssertEqual(loadError(img), "k.elf: Cannot load x86-64 image, give a 32bit one.")
    }

    func testSegmentOutsideRAM() {
        for paddr: UInt32 in [0x0800_0000, 0x07FF_FFF0, 0xFFFF_FFC0] {   // RAM ends at 128 MiB
            let img = makeELF(entry: paddr, segments: [Segment(paddr: paddr, data: text, memsz: UInt32(text.count))])
            let e = loadError(img)
            XCTAssertTrue(e.contains("outside guest RAM"), "0x\(String(paddr, radix: 16)): \(e)")
        }
        // .bss running past the end of RAM is outside too.
        let img = makeELF(entry: 0x07FF_F000, segments: [Segment(paddr: 0x07FF_F000, data: text, memsz: 0x2000)])
        XCTAssertTrue(loadError(img).contains("outside guest RAM"))
    }

    func testNoRoomForInfoAfterImage() {
        // The image fits, but the information structure after it does not.
        let img = makeELF(entry: 0x07FF_F000, segments: [Segment(paddr: 0x07FF_F000, data: text, memsz: 0x1000)])
        XCTAssertFalse(loadError(img).isEmpty)
    }

    func testTruncatedELFThrowsAtEveryLength() {
        let img = image
        // Every proper prefix that still holds the Multiboot header lacks some segment bytes.
        for n in stride(from: 0, to: img.count, by: 1) {
            XCTAssertThrowsError(try load(Array(img.prefix(n)), ram: 8 << 20, poison: false), "prefix \(n)")
        }
    }

    func testMalformedProgramHeaders() {
        var a = image; a.put32(28, 0x7FFF_FFF0)           // e_phoff far outside the file
        XCTAssertTrue(loadError(a).contains("program headers"))
        var b = image; b.put16(44, 0xFFFF)                // e_phnum too large
        XCTAssertTrue(loadError(b).contains("program headers"))
        var c = image; c.put16(42, 8)                     // e_phentsize too small
        XCTAssertTrue(loadError(c).contains("program headers"))
        var d = image; d.put32(52 + 4, 0xFFFF_FF00)       // p_offset outside the file
        XCTAssertTrue(loadError(d).contains("outside the file"))
        var e = image; e.put32(52 + 16, 0xFFFF_FFFF)      // p_filesz larger than the file
        XCTAssertTrue(loadError(e).contains("outside the file"))
        var f = image; f.put32(52 + 20, 4)                // p_memsz < p_filesz
        XCTAssertFalse(loadError(f).isEmpty)
    }

    // MARK: a.out kludge (flags bit 16)

    /// A flat binary loaded at 0x100000 with the header at its start.
    func kludge(headerAddr: UInt32 = 0x10_0000, loadAddr: UInt32 = 0x10_0000, loadEnd: UInt32 = 0,
                bssEnd: UInt32 = 0, entry: UInt32 = 0x10_0020) -> [UInt8] {
        var h = multibootHeader(flags: 0x1_0000) + [UInt8](repeating: 0, count: 20)
        h.put32(12, headerAddr); h.put32(16, loadAddr); h.put32(20, loadEnd); h.put32(24, bssEnd); h.put32(28, entry)
        return h + [0xF4] + [UInt8](repeating: 0x77, count: 63)
    }

    func testAoutKludge() throws {
        let img = kludge(bssEnd: 0x10_0100)
        let (mem, cpu, l) = try load(img)
        XCTAssertEqual(mem.read(0x10_0000, count: img.count), img)
        XCTAssertEqual(mem.read(UInt64(0x10_0000 + img.count), count: 0x100 - img.count), [UInt8](repeating: 0, count: 0x100 - img.count))
        XCTAssertEqual(l.entry, 0x10_0020)
        XCTAssertEqual(cpu.s.pointee.rip, 0x10_0020)
        XCTAssertEqual(cpu.gpr[Reg.rax], 0x2BAD_B002)
    }

    func testMalformedAoutKludgeThrows() {
        // header_addr below load_addr, load_end below load_addr, header before the file start:
        // QEMU reports each as an invalid address; none may trap.
        XCTAssertFalse(loadError(kludge(headerAddr: 0x10_0000, loadAddr: 0x10_0010)).isEmpty)
        XCTAssertFalse(loadError(kludge(loadEnd: 0x0F_0000)).isEmpty)
        XCTAssertFalse(loadError(kludge(headerAddr: 0x10_1000)).isEmpty)
        XCTAssertFalse(loadError(kludge(loadEnd: 0x10_1000)).isEmpty, "load_end past the end of the file")
        XCTAssertFalse(loadError(kludge(headerAddr: 0xFFFF_FFF0, loadAddr: 0xFFFF_FFF0)).isEmpty)
    }
}
