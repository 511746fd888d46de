import CPU

/// Multiboot v1 (Multiboot Specification 0.6.96, sections 3.1-3.3) as QEMU's `-kernel`
/// implements it: an ELF32 image loaded by its program headers (or the a.out kludge
/// addresses), modules from `-initrd`, the information structure with memory map, and the
/// 32-bit protected-mode entry state of section 3.2.
public struct MultibootLoader {

    public struct Loaded { public var entry: UInt32; public var imageEnd: UInt64 }

    public static func isMultiboot(_ image: [UInt8]) -> Bool { header(image) != nil }

    static func le32(_ b: [UInt8], _ o: Int) -> UInt32 {
        UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24
    }
    static func le16(_ b: [UInt8], _ o: Int) -> UInt16 { UInt16(b[o]) | UInt16(b[o + 1]) << 8 }

    /// Offset of a valid header in the first 8 KiB (magic, flags, checksum summing to 0).
    static func header(_ b: [UInt8]) -> Int? {
        var o = 0
        while o + 12 <= min(b.count, 8192) {
            if le32(b, o) == 0x1BAD_B002 && le32(b, o) &+ le32(b, o + 4) &+ le32(b, o + 8) == 0 { return o }
            o += 4
        }
        return nil
    }

    /// Load the kernel and modules into guest RAM and set the CPU's boot state.
    public static func load(kernel path: String, image: [UInt8], cmdline: String, modules: [(String, [UInt8])],
                            memory: PhysicalMemory, cpu: CPU) throws -> Loaded {
        guard let h = header(image) else { throw MachineError.load("\(path): not a Multiboot kernel (no header in the first 8 KiB)") }
        let flags = le32(image, h + 4)
        if flags & 0xFFFC != 0 && flags & 0x10000 == 0 {
            throw MachineError.load("\(path): Multiboot header asks for unsupported features (flags 0x\(String(flags, radix: 16)))")
        }
        var entry: UInt32, end: UInt64 = 0
        func put(_ pa: UInt64, _ bytes: ArraySlice<UInt8>) throws {
            if !memory.write(pa, Array(bytes)) {
                throw MachineError.load("\(path): segment at 0x\(String(pa, radix: 16)) (\(bytes.count) bytes) is outside guest RAM (-m too small?)")
            }
        }
        let isELF = image.count >= 52 && image[0] == 0x7F && image[1] == 0x45 && image[2] == 0x4C && image[3] == 0x46
        if flags & 0x10000 != 0 && !(isELF && flags & 0x10000 == 0) {
            // a.out kludge: header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr.
            let headerAddr = le32(image, h + 12), loadAddr = le32(image, h + 16)
            var loadEnd = le32(image, h + 20)
            let bssEnd = le32(image, h + 24); entry = le32(image, h + 28)
            // As QEMU: header_addr below load_addr or load_end below load_addr are invalid.
            let fileOff = Int64(h) - (Int64(headerAddr) - Int64(loadAddr))
            if loadEnd == 0 { loadEnd = loadAddr &+ UInt32(truncatingIfNeeded: image.count - Int(fileOff)) }
            guard headerAddr >= loadAddr, loadEnd >= loadAddr, fileOff >= 0,
                  Int(fileOff) + Int(loadEnd - loadAddr) <= image.count else {
                throw MachineError.load("\(path): Multiboot a.out addresses lie outside the file")
            }
            try put(UInt64(loadAddr), image[Int(fileOff)..<Int(fileOff) + Int(loadEnd - loadAddr)])
            if bssEnd > loadEnd { try put(UInt64(loadEnd), ArraySlice([UInt8](repeating: 0, count: Int(bssEnd - loadEnd)))) }
            end = UInt64(max(bssEnd, loadEnd))
        } else {
            guard isELF else { throw MachineError.load("\(path): Multiboot kernel is neither ELF nor a.out-kludge") }
            if image[4] != 1 {
                throw MachineError.load("\(path): Cannot load x86-64 image, give a 32bit one.")
            }
            entry = le32(image, 24)
            let phoff = Int(le32(image, 28)), phentsize = Int(le16(image, 42)), phnum = Int(le16(image, 44))
            guard phoff > 0, phentsize >= 32, phoff + phnum * phentsize <= image.count else {
                throw MachineError.load("\(path): malformed ELF program headers")
            }
            for k in 0..<phnum {
                let p = phoff + k * phentsize
                guard le32(image, p) == 1 else { continue }   // PT_LOAD
                let off = Int(le32(image, p + 4)), paddr = UInt64(le32(image, p + 12))
                let filesz = Int(le32(image, p + 16)), memsz = Int(le32(image, p + 20))
                guard off >= 0, off + filesz <= image.count, memsz >= filesz else {
                    throw MachineError.load("\(path): ELF segment \(k) lies outside the file")
                }
                try put(paddr, image[off..<off + filesz])
                if memsz > filesz { try put(paddr + UInt64(filesz), ArraySlice([UInt8](repeating: 0, count: memsz - filesz))) }
                end = max(end, paddr + UInt64(memsz))
            }
        }

        // As QEMU does: the information structure, its strings and a GDT in a buffer right
        // after the image (low memory stays untouched), then the modules, page-aligned.
        let mbi = (end + 0xFFF) & ~0xFFF
        let gdtAddress = mbi + 0x7F00
        var next = mbi + 0x8000
        var modList: [(UInt32, UInt32, UInt32)] = []   // start, end, string
        var strings: [UInt8] = []
        let stringsBase = mbi + 0x400
        func addString(_ s: String) -> UInt32 {
            let a = UInt32(stringsBase) + UInt32(strings.count)
            strings += Array(s.utf8) + [0]
            return a
        }
        for (name, data) in modules {
            if !memory.write(next, data) { throw MachineError.load("\(name): module does not fit in guest RAM") }
            modList.append((UInt32(next), UInt32(next + UInt64(data.count)), addString(name)))
            next = (next + UInt64(data.count) + 0xFFF) & ~0xFFF
        }
        let cmd = addString(cmdline)
        let loaderName = addString("swemu")
        let modsAddr = mbi + 0x100
        var mods: [UInt8] = []
        for m in modList { mods += bytes32(m.0) + bytes32(m.1) + bytes32(m.2) + bytes32(0) }
        // Memory map (type 1 RAM, 2 reserved), as a PC firmware reports it.
        let low = memory.lowSize
        var mmap: [UInt8] = []
        func mapEntry(_ base: UInt64, _ len: UInt64, _ type: UInt32) {
            mmap += bytes32(20) + bytes64(base) + bytes64(len) + bytes32(type)
        }
        mapEntry(0, 0x9FC00, 1); mapEntry(0x9FC00, 0x400, 2); mapEntry(0xF0000, 0x10000, 2)
        mapEntry(0x10_0000, low - 0x10_0000, 1)
        if memory.highSize > 0 { mapEntry(0x1_0000_0000, memory.highSize, 1) }
        let mmapAddr = mbi + 0x200
        var info = [UInt8](repeating: 0, count: 0x60)
        func set32(_ o: Int, _ v: UInt32) { for k in 0..<4 { info[o + k] = UInt8((v >> UInt32(8 * k)) & 0xFF) } }
        set32(0, 1 | 2 | 4 | 8 | 0x40 | 0x200)               // mem, boot_device, cmdline, mods, mmap, loader name
        set32(4, 640)
        set32(8, UInt32((low - 0x10_0000) >> 10))
        set32(12, 0x8000_FFFF)                                // boot device: first BIOS disk
        set32(16, cmd)
        set32(20, UInt32(modList.count)); set32(24, UInt32(modsAddr))
        set32(44, UInt32(mmap.count)); set32(48, UInt32(mmapAddr))
        set32(64, loaderName)
        guard mmap.count <= 0x200, strings.count <= 0x7F00 - 0x400 else { throw MachineError.load("-append command line too long") }
        guard memory.write(mbi, info), memory.write(modsAddr, mods), memory.write(mmapAddr, mmap),
              memory.write(stringsBase, strings) else { throw MachineError.load("\(path): no room for the Multiboot information after the image") }

        // Boot state (Multiboot 3.2): flat 4 GiB code and data, PE=1, PG=0, IF=0, A20 on.
        let gdt: [UInt64] = [0, 0, 0x00CF_9A00_0000_FFFF, 0x00CF_9200_0000_FFFF]
        guard memory.write(gdtAddress, gdt.flatMap { bytes64($0) }) else { throw MachineError.load("\(path): no room after the image") }
        cpu.reset()
        let st = cpu.s
        st.pointee.cr0 = CR0.pe | CR0.et
        st.pointee.gdtrBase = gdtAddress; st.pointee.gdtrLimit = 31
        st.pointee.idtrBase = 0; st.pointee.idtrLimit = 0x3FF
        cpu.segs[Seg.cs] = SegmentCache(selector: 0x10, base: 0, limit: 0xFFFF_FFFF, attr: 0xC09B)
        for r in [Seg.ds, Seg.es, Seg.ss, Seg.fs, Seg.gs] {
            cpu.segs[r] = SegmentCache(selector: 0x18, base: 0, limit: 0xFFFF_FFFF, attr: 0xC093)
        }
        cpu.setCPL(0)
        cpu.rflags = 2
        cpu.gpr[Reg.rax] = 0x2BAD_B002
        cpu.gpr[Reg.rbx] = mbi
        cpu.gpr[Reg.rsp] = 0x7000
        st.pointee.rip = UInt64(entry)
        cpu.updateMode()
        cpu.flushTLB(global: true)
        return Loaded(entry: entry, imageEnd: end)
    }

    static func bytes32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> UInt32(8 * $0)) & 0xFF) } }
    static func bytes64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8((v >> UInt64(8 * $0)) & 0xFF) } }
}
