/// QEMU's firmware configuration device (fw_cfg), x86 I/O-port interface, as specified in
/// QEMU's docs/specs/fw_cfg.rst, with hw/nvram/fw_cfg.c as the reference for the details the
/// spec leaves open. Offsets are relative to 0x510 (window of 12 ports):
///   0x510 (+0)  selector, 16-bit write (a byte write at +0/+1 is a data write; QEMU's
///               combined region does not look at the port for either)
///   0x511 (+1)  data, byte reads; auto-increment; past the end of the item reads give 0
///   0x514 (+4)  DMA address, big-endian: high half at +4, low half at +8 (the low-half
///               write starts the transfer); reads return "QEMU CFG"
/// 0x512/0x513 are not decoded (all ones), nor is 0x514-0x51B without DMA.
///
/// Items are read-only to the guest, as every item QEMU's PC machine creates without a
/// write callback. Files (keys 0x0020 up) are kept sorted by name, as QEMU does for current
/// machine types, so adding a file renumbers the files that sort after it.
public final class QEMUFwCfg: PortDevice {
    public static let ioBase: UInt16 = 0x510
    public static let windowSize: UInt16 = 12

    // Well-known keys (QEMU include/standard-headers/linux/qemu_fw_cfg.h).
    public static let signatureKey: UInt16 = 0x0000
    public static let idKey: UInt16 = 0x0001
    public static let fileDirKey: UInt16 = 0x0019
    public static let fileFirst: UInt16 = 0x0020
    /// Bit 14 of a selector asked for the (removed) write channel; bit 15 selects the
    /// architecture-specific set.
    static let writeChannel: UInt16 = 0x4000, archLocal: UInt16 = 0x8000

    // FWCfgDmaAccess control bits.
    public static let dmaError: UInt32 = 0x01, dmaRead: UInt32 = 0x02, dmaSkip: UInt32 = 0x04
    public static let dmaSelect: UInt32 = 0x08, dmaWrite: UInt32 = 0x10

    static let dmaSignature: [UInt8] = Array("QEMU CFG".utf8)
    static let fileNameSize = 56

    public struct State: Codable, Equatable {
        public var selector: UInt16 = 0
        public var offset: UInt32 = 0
        public var dmaAddress: UInt64 = 0
    }
    /// Selector, offset and DMA address (what QEMU migrates). The items are configuration:
    /// the machine adds them again before `restore`.
    public var state: State { s }
    private var s = State()

    private let memory: GuestMemory?
    public var dmaEnabled: Bool { memory != nil }
    private var items: [UInt16: [UInt8]] = [:]
    private var files: [(name: String, bytes: [UInt8])] = []
    /// Bytes of the selected item (empty if none), kept in step with `s.selector`.
    private var current: [UInt8] = []

    /// `memory`: where DMA goes; nil leaves DMA out (ID bit 1 clear, 0x514 not decoded).
    public init(memory: GuestMemory?) {
        self.memory = memory
        items[Self.signatureKey] = Array("QEMU".utf8)
        // FW_CFG_ID: bit 0 traditional interface, bit 1 DMA (32-bit little-endian).
        items[Self.idKey] = Self.le(UInt64(memory != nil ? 3 : 1), 4)
        rebuildDirectory()
        select(Self.signatureKey)
    }

    public func restore(_ state: State) {
        s = state
        current = lookup(s.selector)
    }

    /// Reset selects the signature item (QEMU fw_cfg_reset).
    public func reset() { select(Self.signatureKey) }

    // MARK: items

    /// Sets (or replaces) a numbered item. The write-channel bit of `key` is ignored; generic
    /// keys from 0x0020 up are the files' (use `addFile`).
    public func setItem(_ key: UInt16, _ bytes: [UInt8]) {
        let k = key & ~Self.writeChannel
        precondition(k & Self.archLocal != 0 || k < Self.fileFirst, "fw_cfg key \(k) is in the file range; use addFile")
        items[k] = bytes
        current = lookup(s.selector)
    }

    /// Numeric items are little-endian (QEMU fw_cfg_add_i16/i32/i64).
    public func setU16(_ key: UInt16, _ v: UInt16) { setItem(key, Self.le(UInt64(v), 2)) }
    public func setU32(_ key: UInt16, _ v: UInt32) { setItem(key, Self.le(UInt64(v), 4)) }
    public func setU64(_ key: UInt16, _ v: UInt64) { setItem(key, Self.le(v, 8)) }

    public func item(_ key: UInt16) -> [UInt8]? {
        let k = key & ~Self.writeChannel
        if let i = fileIndex(k) { return files[i].bytes }
        return items[k]
    }

    /// Adds a named file (or replaces the bytes of one with that name) and returns its
    /// selector as of now. Names are at most 55 bytes (56 with the NUL).
    @discardableResult
    public func addFile(_ name: String, _ bytes: [UInt8]) -> UInt16 {
        precondition(name.utf8.count < Self.fileNameSize, "fw_cfg file name too long: \(name)")
        precondition(!name.utf8.contains(0), "fw_cfg file name with NUL")
        var i: Int
        if let j = files.firstIndex(where: { $0.name == name }) {
            files[j].bytes = bytes; i = j
        } else {
            // Sorted by name as strcmp orders them (bytewise).
            i = files.count
            while i > 0 && name.utf8.lexicographicallyPrecedes(files[i - 1].name.utf8) { i -= 1 }
            precondition(Int(Self.fileFirst) + files.count < 0x4000, "fw_cfg: too many files")
            files.insert((name, bytes), at: i)
        }
        rebuildDirectory()
        current = lookup(s.selector)
        return Self.fileFirst + UInt16(i)
    }

    /// Current selector of the file called `name`.
    public func selector(ofFile name: String) -> UInt16? {
        files.firstIndex { $0.name == name }.map { Self.fileFirst + UInt16($0) }
    }

    private func fileIndex(_ k: UInt16) -> Int? {
        guard k & Self.archLocal == 0, k >= Self.fileFirst else { return nil }
        let i = Int(k - Self.fileFirst)
        return i < files.count ? i : nil
    }

    private func lookup(_ key: UInt16) -> [UInt8] {
        let k = key & ~Self.writeChannel
        if let i = fileIndex(k) { return files[i].bytes }
        return items[k] ?? []
    }

    /// FWCfgFiles: be32 count, then per file be32 size, be16 select, be16 reserved,
    /// char name[56] (NUL-padded), in selector order.
    private func rebuildDirectory() {
        var d = Self.be(UInt64(files.count), 4)
        d.reserveCapacity(4 + 64 * files.count)
        for (i, f) in files.enumerated() {
            d += Self.be(UInt64(f.bytes.count), 4)
            d += Self.be(UInt64(Self.fileFirst) + UInt64(i), 2)
            d += [0, 0]
            var n = Array(f.name.utf8)
            n += [UInt8](repeating: 0, count: Self.fileNameSize - n.count)
            d += n
        }
        items[Self.fileDirKey] = d
    }

    static func le(_ v: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
    static func be(_ v: UInt64, _ n: Int) -> [UInt8] { (0..<n).reversed().map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }

    // MARK: selector and data

    /// Selecting an item resets the data offset (spec, "Selector (Control) Register").
    private func select(_ key: UInt16) {
        s.selector = key
        s.offset = 0
        current = lookup(key)
    }

    private func readData() -> UInt8 {
        guard Int(s.offset) < current.count else { return 0 }
        let b = current[Int(s.offset)]
        s.offset += 1
        return b
    }

    // MARK: ports

    public func read(offset: UInt16, size: Int) -> UInt32 {
        let mask: UInt32 = size >= 4 ? 0xFFFF_FFFF : (1 << (8 * UInt32(size))) - 1
        switch offset {
        case 0, 1:
            // Only byte reads are valid (the data register is 8 bits on x86); QEMU answers
            // other sizes with 0 and leaves the offset alone.
            guard size == 1 else {
                DeviceLog.warnOnce("fw_cfg", "\(size)-byte read of the data port (only byte reads are defined)")
                return 0
            }
            return UInt32(readData())
        case 4..<12 where dmaEnabled:
            // The DMA address register reads as the big-endian signature "QEMU CFG": byte
            // i of the access is signature byte offset-4+i.
            var v: UInt32 = 0
            for i in 0..<min(size, 4) where Int(offset) - 4 + i < 8 {
                v |= UInt32(Self.dmaSignature[Int(offset) - 4 + i]) << (8 * UInt32(i))
            }
            return v
        default:
            return mask                     // not decoded
        }
    }

    public func write(offset: UInt16, size: Int, value: UInt32) {
        switch offset {
        case 0, 1:
            if size == 2 {
                select(UInt16(truncatingIfNeeded: value))
            } else if size == 1 {
                // "As of QEMU v2.4, writes to the fw_cfg data register are no longer
                // supported, and will be ignored."
                DeviceLog.warnOnce("fw_cfg", "write to the data port ignored (read-only since QEMU 2.4; use DMA)")
            } else {
                DeviceLog.warnOnce("fw_cfg", "\(size)-byte write to the selector ignored (must be 16-bit)")
            }
        case 4 where dmaEnabled && size == 4:
            s.dmaAddress = UInt64(value.byteSwapped) << 32
        case 8 where dmaEnabled && size == 4:
            s.dmaAddress |= UInt64(value.byteSwapped)
            dmaTransfer()
        case 4..<12 where dmaEnabled:
            DeviceLog.warnOnce("fw_cfg", "\(size)-byte write at DMA register offset \(offset - 4) ignored (32-bit halves at 0 and 4)")
        default:
            break                           // not decoded
        }
    }

    // MARK: DMA

    /// Runs the FWCfgDmaAccess at the DMA address (be32 control, be32 length, be64 address)
    /// and writes the result to its control field: 0 done, bit 0 error. Guest memory that
    /// is not RAM (a failed GuestMemory copy) is an error, as a failed dma_memory_* in QEMU.
    private func dmaTransfer() {
        let desc = s.dmaAddress
        s.dmaAddress = 0                    // "0 at startup and after an operation"
        guard let mem = memory else { return }
        guard let d = mem.read(desc, count: 16) else {
            mem.write(desc, Self.be(UInt64(Self.dmaError), 4))
            return
        }
        func be(_ o: Int, _ n: Int) -> UInt64 { (o..<o + n).reduce(0) { $0 << 8 | UInt64(d[$1]) } }
        var control = UInt32(be(0, 4)), length = UInt64(be(4, 4)), address = be(8, 8)
        if control & Self.dmaSelect != 0 { select(UInt16(control >> 16)) }
        // Read wins over write, write over skip (QEMU); none of them: nothing to do.
        let read = control & Self.dmaRead != 0
        let write = !read && control & Self.dmaWrite != 0
        if !read && !write && control & Self.dmaSkip == 0 { length = 0 }
        control = 0
        while length > 0 && control & Self.dmaError == 0 {
            let off = Int(s.offset)
            var len: UInt64
            if off >= current.count {
                // Past the end: reads fill zeros, skips skip, writes fail.
                len = length
                if read && !zeroFill(mem, address, len) { control |= Self.dmaError }
                if write { control |= Self.dmaError }
            } else {
                len = min(length, UInt64(current.count - off))
                if read && !mem.write(address, Array(current[off..<off + Int(len)])) {
                    control |= Self.dmaError
                }
                // Every item is read-only: QEMU rejects the write with the error bit.
                if write { control |= Self.dmaError }
                s.offset &+= UInt32(len)
            }
            address &+= len
            length -= len
        }
        mem.write(desc, Self.be(UInt64(control), 4))
    }

    /// Zeros to guest memory in bounded pieces (a length can be up to 4 GiB).
    private func zeroFill(_ mem: GuestMemory, _ address: UInt64, _ len: UInt64) -> Bool {
        let chunk: UInt64 = 65536
        let zeros = [UInt8](repeating: 0, count: Int(min(len, chunk)))
        var done: UInt64 = 0
        while done < len {
            let n = min(chunk, len - done)
            let a = address &+ done
            if a < address { return false }             // wrapped past the top of memory
            if !mem.write(a, n == UInt64(zeros.count) ? zeros : Array(zeros[0..<Int(n)])) { return false }
            done += n
        }
        return true
    }
}
