// Software TLB (shared/design.md): direct-mapped, one set for supervisor accesses and one
// for user (CPL 3) accesses, separate tags per access kind so a hit needs no permission
// check: a tag is only filled once the page walk has allowed that kind of access.

public struct TLBEntry {
    public var readTag: UInt64 = 1    // linear page | 0, or 1 = invalid (never page-aligned)
    public var writeTag: UInt64 = 1
    public var fetchTag: UInt64 = 1
    public var addend: UInt = 0       // host address - linear address
    public var phys: UInt64 = 0       // physical page
    public var global: Bool = false
    public init() {}
}

public enum TLB {
    public static let entries = 1024
    public static let sets = 2
}

public enum Access: Int { case read = 0, write = 1, fetch = 2 }

extension CPU {
    @inline(__always) func tlbEntry(_ la: UInt64, user: Bool) -> UnsafeMutablePointer<TLBEntry> {
        tlb + ((user ? TLB.entries : 0) + Int((la >> 12) & UInt64(TLB.entries - 1)))
    }

    /// Flush every entry (global: also global pages). Any flush ends block chaining.
    public func flushTLB(global: Bool) {
        for i in 0..<(TLB.sets * TLB.entries) where global || !tlb[i].global { tlb[i] = TLBEntry() }
        mappingEpoch &+= 1
    }
    public func flushTLBPage(_ la: UInt64) {
        for set in 0..<TLB.sets {
            let e = tlb + (set * TLB.entries + Int((la >> 12) & UInt64(TLB.entries - 1)))
            e.pointee = TLBEntry()
        }
        mappingEpoch &+= 1
    }
    /// Drop write permission for a physical page that now holds translated code, so every
    /// write to it takes the slow path and invalidates (self-modifying code).
    public func protectCodePage(_ pa: UInt64) {
        let page = pa & ~0xFFF
        for i in 0..<(TLB.sets * TLB.entries) where tlb[i].phys == page { tlb[i].writeTag = 1 }
    }
}
