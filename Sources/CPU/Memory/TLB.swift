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
    public static let trackedFills = 128
}

public enum Access: Int { case read = 0, write = 1, fetch = 2 }

extension CPU {
    @inline(__always) func tlbEntry(_ la: UInt64, user: Bool) -> UnsafeMutablePointer<TLBEntry> {
        tlb + ((user ? TLB.entries : 0) + Int((la >> 12) & UInt64(TLB.entries - 1)))
    }

    /// Flush every entry (global: also global pages). Any flush ends block chaining.
    /// Guests that flush often (CR3 switches, CR0.WP/CR4.PGE toggles) fill few entries in
    /// between, so only the entries filled since the last flush are cleared when they are
    /// known; after `TLB.trackedFills` fills it is a full sweep.
    public func flushTLB(global: Bool) {
        let n = tlbFillCount
        if n <= TLB.trackedFills {
            var kept = 0
            for k in 0..<n {
                let i = Int(tlbFills[k])
                if global || !tlb[i].global { tlb[i] = TLBEntry() } else { tlbFills[kept] = UInt16(i); kept += 1 }
            }
            tlbFillCount = kept
        } else {
            var kept = 0
            for i in 0..<(TLB.sets * TLB.entries) where tlb[i].readTag | tlb[i].writeTag | tlb[i].fetchTag != 1 {
                if global || !tlb[i].global { tlb[i] = TLBEntry() }
                else if kept < TLB.trackedFills { tlbFills[kept] = UInt16(i); kept += 1 } else { kept = Int.max }
            }
            tlbFillCount = kept
        }
        mappingEpoch &+= 1
    }
    /// Remember a filled entry for `flushTLB`.
    @inline(__always) func noteTLBFill(_ e: UnsafeMutablePointer<TLBEntry>) {
        let n = tlbFillCount
        if n < TLB.trackedFills { tlbFills[n] = UInt16(e - tlb); tlbFillCount = n + 1 }
        else if n != Int.max { tlbFillCount = Int.max }
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
