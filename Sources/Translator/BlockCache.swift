import CPU

/// Translated blocks by (physical address, mode), the blocks of each physical page for
/// invalidation, and a direct-mapped jump cache by linear RIP (QEMU's tb_jmp_cache).
public final class BlockCache {
    struct Key: Hashable { let phys: UInt64; let mode: UInt32 }
    var blocks: [Key: Block] = [:]
    var byPage: [UInt64: [Block]] = [:]
    static let jcSize = 4096
    struct JCEntry { var linear: UInt64 = ~0; var mode: UInt32 = 0; var epoch: UInt64 = 0; var block: BlockRef? = nil }
    let jc: UnsafeMutablePointer<JCEntry>
    /// Invalidated blocks, kept allocated until the next full flush because chain slots
    /// and the run loop hold raw references to them.
    var graveyard: [Block] = []
    /// The last block that could not be cached (it crosses a page, or its code is not RAM):
    /// kept alive while it runs; never chained (it is marked invalid).
    var transient: Block? = nil
    public private(set) var translated = 0
    public private(set) var invalidated = 0
    public var maxBlocks = 1 << 18

    init() {
        jc = .allocate(capacity: BlockCache.jcSize)
        jc.initialize(repeating: JCEntry(), count: BlockCache.jcSize)
    }
    deinit { jc.deallocate() }

    @inline(__always) func jumpCacheLookup(_ linear: UInt64, _ mode: UInt32, _ epoch: UInt64) -> BlockRef? {
        let e = jc + Int((linear ^ (linear >> 12)) & UInt64(BlockCache.jcSize - 1))
        if e.pointee.linear == linear && e.pointee.mode == mode && e.pointee.epoch == epoch,
           let b = e.pointee.block, b.pointee.valid { return b }
        return nil
    }
    @inline(__always) func jumpCacheInsert(_ b: Block, _ epoch: UInt64) {
        let e = jc + Int((b.linear ^ (b.linear >> 12)) & UInt64(BlockCache.jcSize - 1))
        e.pointee = JCEntry(linear: b.linear, mode: b.mode, epoch: epoch, block: b.h)
    }

    func lookup(phys: UInt64, mode: UInt32) -> Block? { blocks[Key(phys: phys, mode: mode)] }

    var needsFlush: Bool { blocks.count >= maxBlocks || graveyard.count >= 8192 }
    func insert(_ b: Block) {
        blocks[Key(phys: b.phys, mode: b.mode)] = b
        byPage[b.phys & ~0xFFF, default: []].append(b)
        translated += 1
    }

    /// A write hit a page holding translated code: every block on it becomes invalid.
    @discardableResult
    public func invalidatePage(_ page: UInt64) -> Bool {
        guard let list = byPage.removeValue(forKey: page) else { return false }
        for b in list {
            b.valid = false
            b.unchain()
            blocks.removeValue(forKey: Key(phys: b.phys, mode: b.mode))
            graveyard.append(b)
            invalidated += 1
        }
        return true
    }

    /// Drop every block. Only call between blocks (the run loop may hold raw references).
    public func flushAll() {
        for (_, list) in byPage { for b in list { b.valid = false; b.unchain() } }
        graveyard.removeAll()
        blocks.removeAll(keepingCapacity: true)
        byPage.removeAll(keepingCapacity: true)
        for i in 0..<BlockCache.jcSize { jc[i] = JCEntry() }
    }
    public var pages: Dictionary<UInt64, [Block]>.Keys { byPage.keys }
}
