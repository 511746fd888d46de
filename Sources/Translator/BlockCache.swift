import CPU

/// Translated blocks by (physical address, mode), the blocks of each physical page for
/// invalidation, and a direct-mapped jump cache by linear RIP (QEMU's tb_jmp_cache).
public final class BlockCache {
    struct Key: Hashable { let phys: UInt64; let mode: UInt32 }
    var blocks: [Key: Block] = [:]
    var byPage: [UInt64: [Block]] = [:]
    static let jcSize = 4096
    var jcRip = [UInt64](repeating: ~0, count: jcSize)
    var jcMode = [UInt32](repeating: 0, count: jcSize)
    var jcEpoch = [UInt64](repeating: 0, count: jcSize)
    var jcBlock = [Block?](repeating: nil, count: jcSize)
    public private(set) var translated = 0
    public private(set) var invalidated = 0
    public var maxBlocks = 1 << 18

    @inline(__always) func jumpCacheLookup(_ linear: UInt64, _ mode: UInt32, _ epoch: UInt64) -> Block? {
        let h = Int((linear ^ (linear >> 12)) & UInt64(BlockCache.jcSize - 1))
        if jcRip[h] == linear && jcMode[h] == mode && jcEpoch[h] == epoch, let b = jcBlock[h], b.valid { return b }
        return nil
    }
    @inline(__always) func jumpCacheInsert(_ b: Block, _ epoch: UInt64) {
        let h = Int((b.linear ^ (b.linear >> 12)) & UInt64(BlockCache.jcSize - 1))
        jcRip[h] = b.linear; jcMode[h] = b.mode; jcEpoch[h] = epoch; jcBlock[h] = b
    }

    func lookup(phys: UInt64, mode: UInt32) -> Block? { blocks[Key(phys: phys, mode: mode)] }

    func insert(_ b: Block) {
        if blocks.count >= maxBlocks { flushAll() }
        blocks[Key(phys: b.phys, mode: b.mode)] = b
        byPage[b.phys & ~0xFFF, default: []].append(b)
        translated += 1
    }

    /// A write hit a page holding translated code: every block on it becomes invalid.
    /// Returns whether there were any.
    @discardableResult
    public func invalidatePage(_ page: UInt64) -> Bool {
        guard let list = byPage.removeValue(forKey: page) else { return false }
        for b in list {
            b.valid = false
            b.chain = (nil, nil)
            blocks.removeValue(forKey: Key(phys: b.phys, mode: b.mode))
            invalidated += 1
        }
        return true
    }

    public func flushAll() {
        for (_, list) in byPage { for b in list { b.valid = false; b.chain = (nil, nil) } }
        blocks.removeAll(keepingCapacity: true)
        byPage.removeAll(keepingCapacity: true)
        for i in 0..<BlockCache.jcSize { jcBlock[i] = nil; jcRip[i] = ~0 }
    }
    public var pages: Dictionary<UInt64, [Block]>.Keys { byPage.keys }
}
