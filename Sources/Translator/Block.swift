import CPU

/// A translated block: guest code from one entry to the next control transfer, page end or
/// mode change, decoded once into `ops` (shared/design.md, "Translator").
/// Keyed by the guest-physical address of its first byte plus the CPU's mode bits.
public final class Block {
    public let ops: UnsafeMutablePointer<Insn>
    public let count: Int
    public let phys: UInt64
    public let linear: UInt64
    public let mode: UInt32
    public let byteLength: Int
    public var valid = true
    /// Two chain slots (QEMU's jmp_list): the successor for a given next linear RIP, valid
    /// while the CPU's mapping epoch is unchanged and the successor is valid.
    var chainRip: (UInt64, UInt64) = (~0, ~0)
    var chainEpoch: (UInt64, UInt64) = (0, 0)
    var chain: (Block?, Block?) = (nil, nil)

    init(ops: [Insn], phys: UInt64, linear: UInt64, mode: UInt32, byteLength: Int) {
        self.ops = .allocate(capacity: max(ops.count, 1))
        self.ops.initialize(from: ops, count: ops.count)
        count = ops.count
        self.phys = phys; self.linear = linear; self.mode = mode; self.byteLength = byteLength
    }
    deinit { ops.deallocate() }
}
