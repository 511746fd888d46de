import CPU

/// What the run loop needs of a block, behind a stable pointer so following chains and the
/// jump cache costs no reference counting (shared/design.md: no ARC per block or instruction).
public struct BlockHeader {
    public var ops: UnsafeMutablePointer<Insn>
    public var count: Int
    /// Sum of the table's cycle costs of all instructions (added when the block runs whole).
    public var cycles: UInt64
    public var linear: UInt64
    public var mode: UInt32
    public var valid: Bool
    /// Two chain slots (QEMU's jmp_list): the successor for a given next linear RIP, valid
    /// while the CPU's mapping epoch is unchanged and the successor is valid.
    var chainRip0: UInt64 = ~0, chainRip1: UInt64 = ~0
    var chainEpoch0: UInt64 = 0, chainEpoch1: UInt64 = 0
    var chain0: UnsafeMutablePointer<BlockHeader>? = nil
    var chain1: UnsafeMutablePointer<BlockHeader>? = nil
}
public typealias BlockRef = UnsafeMutablePointer<BlockHeader>

/// A translated block: guest code from one entry to the next control transfer, page end or
/// mode change, decoded once into `ops` (shared/design.md, "Translator"). Keyed by the
/// guest-physical address of its first byte plus the CPU's mode bits. The object owns the
/// header and the ops; it stays allocated until the cache is flushed (invalidated blocks
/// wait in the cache's graveyard), so raw header pointers held by chains remain valid.
public final class Block {
    public let h: BlockRef
    public let phys: UInt64
    public let byteLength: Int
    public var ops: UnsafeMutablePointer<Insn> { h.pointee.ops }
    public var count: Int { h.pointee.count }
    public var linear: UInt64 { h.pointee.linear }
    public var mode: UInt32 { h.pointee.mode }
    public var valid: Bool { get { h.pointee.valid } set { h.pointee.valid = newValue } }

    init(ops: [Insn], phys: UInt64, linear: UInt64, mode: UInt32, byteLength: Int) {
        let buf = UnsafeMutablePointer<Insn>.allocate(capacity: max(ops.count, 1))
        buf.initialize(from: ops, count: ops.count)
        h = .allocate(capacity: 1)
        h.initialize(to: BlockHeader(ops: buf, count: ops.count, cycles: ops.reduce(0) { $0 + UInt64($1.cycles) },
                                     linear: linear, mode: mode, valid: true))
        self.phys = phys; self.byteLength = byteLength
    }
    func unchain() { h.pointee.chain0 = nil; h.pointee.chain1 = nil }
    deinit { h.pointee.ops.deallocate(); h.deallocate() }
}
