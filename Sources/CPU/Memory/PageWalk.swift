// Linear -> physical translation (SDM Vol. 3, chapter 4): 32-bit paging (4 KiB, 4 MiB with
// PSE), PAE (4 KiB, 2 MiB) and 4-level paging (4 KiB, 2 MiB, 1 GiB). Accessed and dirty bits
// are set as the walk goes (4.8); permissions follow 4.6 (U/S, R/W with CR0.WP, NX, SMEP,
// SMAP); the #PF error code follows 4.7.

public struct Translation {
    public var phys: UInt64       // physical page base (4 KiB granular)
    public var writable: Bool
    public var user: Bool
    public var global: Bool
}

/// The entries a 64-bit-format walk used (at most 4 levels), kept on the stack: a TLB miss
/// allocates nothing.
struct WalkPath {
    private var addrs: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    private var values: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    private(set) var count = 0
    mutating func append(_ addr: UInt64, _ value: UInt64) {
        switch count {
        case 0: addrs.0 = addr; values.0 = value
        case 1: addrs.1 = addr; values.1 = value
        case 2: addrs.2 = addr; values.2 = value
        default: addrs.3 = addr; values.3 = value
        }
        count += 1
    }
    subscript(_ k: Int) -> (UInt64, UInt64) {
        switch k {
        case 0: return (addrs.0, values.0)
        case 1: return (addrs.1, values.1)
        case 2: return (addrs.2, values.2)
        default: return (addrs.3, values.3)
        }
    }
}

public enum PFErr {
    public static let p: UInt32 = 1, w: UInt32 = 2, u: UInt32 = 4, rsvd: UInt32 = 8, id: UInt32 = 16, pk: UInt32 = 32
}

extension CPU {
    /// Physical-address bits this model implements (CPUID 0x80000008).
    @inline(__always) var physMask: UInt64 { (UInt64(1) << UInt64(model.physBits)) - 1 }

    @inline(__always) func readPhys64(_ pa: UInt64) -> UInt64 {
        if let h = mem.hostAddress(pa) { return h.loadUnaligned(as: UInt64.self) }
        return bus.mmioRead(pa, size: 8)
    }
    @inline(__always) func readPhys32(_ pa: UInt64) -> UInt32 {
        if let h = mem.hostAddress(pa) { return h.loadUnaligned(as: UInt32.self) }
        return UInt32(truncatingIfNeeded: bus.mmioRead(pa, size: 4))
    }
    @inline(__always) func setBits64(_ pa: UInt64, _ old: UInt64, _ bits: UInt64) {
        if old & bits != bits, let h = mem.hostAddress(pa) { h.storeBytes(of: old | bits, as: UInt64.self) }
    }
    @inline(__always) func setBits32(_ pa: UInt64, _ old: UInt32, _ bits: UInt32) {
        if old & bits != bits, let h = mem.hostAddress(pa) { h.storeBytes(of: old | bits, as: UInt32.self) }
    }

    /// Walk the page tables. `user` is an explicit CPL-3 access; `implicit` marks supervisor
    /// accesses to system structures made while CPL = 3 (they ignore EFLAGS.AC for SMAP).
    public func walk(_ la: UInt64, _ kind: Access, user: Bool, implicit: Bool = false) throws(Fault) -> Translation {
        let cr0 = s.pointee.cr0, cr4 = s.pointee.cr4
        if cr0 & CR0.pg == 0 {
            return Translation(phys: la & ~0xFFF, writable: true, user: true, global: false)
        }
        let write = kind == .write, fetch = kind == .fetch
        var err: UInt32 = (write ? PFErr.w : 0) | (user ? PFErr.u : 0)
        let nxe = s.pointee.efer & EFER.nxe != 0
        if fetch && (nxe || cr4 & CR4.smep != 0) && cr4 & CR4.pae != 0 { err |= PFErr.id }
        else if fetch && cr4 & CR4.smep != 0 { err |= PFErr.id }

        func fault(_ e: UInt32) -> Fault { s.pointee.cr2 = la; return .pf(e) }

        var rw = true, us = true, nx = false, global = false
        var phys: UInt64
        if cr4 & CR4.pae == 0 {
            // 32-bit paging (4.3).
            let pdeAddr = (s.pointee.cr3 & 0xFFFF_F000) | ((la >> 20) & 0xFFC)
            let pde = readPhys32(pdeAddr)
            if pde & 1 == 0 { throw fault(err) }
            rw = pde & 2 != 0; us = pde & 4 != 0
            if pde & 0x80 != 0 && cr4 & CR4.pse != 0 {
                // 4 MiB page; PSE-36 bits 20:13 give physical bits 39:32.
                if (pde >> 13) & 0xFF & ~UInt32(truncatingIfNeeded: physMask >> 32) != 0 || pde & (1 << 21) != 0 {
                    throw fault(err | PFErr.p | PFErr.rsvd)
                }
                try check(rw, us, false, kind, user, implicit, err, la)
                setBits32(pdeAddr, pde, write ? 0x60 : 0x20)
                global = pde & 0x100 != 0 && cr4 & CR4.pge != 0
                phys = UInt64(pde & 0xFFC0_0000) | (UInt64((pde >> 13) & 0xFF) << 32) | (la & 0x3F_F000)
                return Translation(phys: phys, writable: rw, user: us, global: global)
            }
            let pteAddr = UInt64(pde & 0xFFFF_F000) | ((la >> 10) & 0xFFC)
            let pte = readPhys32(pteAddr)
            if pte & 1 == 0 { throw fault(err) }
            rw = rw && pte & 2 != 0; us = us && pte & 4 != 0
            try check(rw, us, false, kind, user, implicit, err, la)
            setBits32(pdeAddr, pde, 0x20)
            setBits32(pteAddr, pte, write ? 0x60 : 0x20)
            global = pte & 0x100 != 0 && cr4 & CR4.pge != 0
            return Translation(phys: UInt64(pte & 0xFFFF_F000), writable: rw, user: us, global: global)
        }

        // PAE (4.4) and 4-level (4.5) paging share the 64-bit entry format.
        let rsvdHigh = ~physMask & 0x000F_FFFF_FFFF_F000 | (nxe ? 0 : (1 << 63))
        var levels: Int
        var table: UInt64
        if longMode {
            levels = 4; table = s.pointee.cr3 & physMask & ~0xFFF
        } else {
            let pdpteAddr = (s.pointee.cr3 & 0xFFFF_FFE0) + ((la >> 27) & 0x18)
            let pdpte = readPhys64(pdpteAddr)
            if pdpte & 1 == 0 { throw fault(err) }
            if pdpte & (0x1E6 | (~physMask & 0x000F_FFFF_FFFF_F000)) != 0 { throw fault(err | PFErr.p | PFErr.rsvd) }
            levels = 2; table = pdpte & physMask & ~0xFFF
        }
        var path = WalkPath()
        var level = levels
        while true {
            let shift = UInt64(12 + 9 * (level - 1))
            let addr = table + ((la >> shift) & 0x1FF) * 8
            let e = readPhys64(addr)
            if e & 1 == 0 { throw fault(err) }
            if e & rsvdHigh != 0 { throw fault(err | PFErr.p | PFErr.rsvd) }
            rw = rw && e & 2 != 0; us = us && e & 4 != 0
            if nxe && e & (1 << 63) != 0 { nx = true }
            path.append(addr, e)
            let large = e & 0x80 != 0
            if level == 4 && large { throw fault(err | PFErr.p | PFErr.rsvd) }
            if level == 3 && large && !model.pages1G { throw fault(err | PFErr.p | PFErr.rsvd) }
            if level == 1 || (large && level <= 3) {
                if level > 1 {
                    // Large page: bits 12.. below the page size are reserved except PAT (bit 12).
                    let low = ((UInt64(1) << shift) - 1) & ~0x1FFF
                    if e & low != 0 { throw fault(err | PFErr.p | PFErr.rsvd) }
                }
                try check(rw, us, nx, kind, user, implicit, err, la)
                if longMode && kind != .fetch && cr4 & (CR4.pke | CR4.pks) != 0 {
                    try checkProtectionKey(e, us: us, write: write, err: err, la: la)
                }
                // Accessed on every level used, dirty on the last, once the access is allowed.
                for k in 0..<path.count {
                    let (a, v) = path[k]
                    setBits64(a, v, k == path.count - 1 && write ? 0x60 : 0x20)
                }
                global = e & 0x100 != 0 && cr4 & CR4.pge != 0
                let pageMask = (UInt64(1) << shift) - 1
                phys = (e & physMask & ~pageMask) | (la & pageMask & ~0xFFF)
                return Translation(phys: phys, writable: rw, user: us, global: global)
            }
            table = e & physMask & ~0xFFF
            level -= 1
        }
    }

    /// Protection keys (SDM Vol. 3, 4.6.2), 4-level paging only, data accesses only: the leaf's
    /// key (bits 62:59) selects two bits of PKRU (user-mode pages, CR4.PKE) or IA32_PKRS
    /// (supervisor-mode pages, CR4.PKS). AD forbids every data access, WD forbids writes by
    /// user accesses and, with CR0.WP = 1, by supervisor accesses. The TLB only caches
    /// rights the walk allowed, so a rights change flushes it.
    func checkProtectionKey(_ leaf: UInt64, us: Bool, write: Bool, err: UInt32, la: UInt64) throws(Fault) {
        let cr4 = s.pointee.cr4
        let rights: UInt32
        if us { guard cr4 & CR4.pke != 0 else { return }; rights = s.pointee.pkru }
        else { guard cr4 & CR4.pks != 0 else { return }; rights = s.pointee.pkrs }
        let key = UInt32((leaf >> 59) & 0xF)
        let ad = (rights >> (2 * key)) & 1 != 0, wd = (rights >> (2 * key + 1)) & 1 != 0
        let userAccess = err & PFErr.u != 0
        if ad || (write && wd && (userAccess || s.pointee.cr0 & CR0.wp != 0)) {
            s.pointee.cr2 = la
            throw .pf(err | PFErr.p | PFErr.pk)
        }
    }

    /// Access rights (SDM Vol. 3, 4.6).
    @inline(__always)
    func check(_ rw: Bool, _ us: Bool, _ nx: Bool, _ kind: Access, _ user: Bool, _ implicit: Bool,
               _ err: UInt32, _ la: UInt64) throws(Fault) {
        let cr4 = s.pointee.cr4
        var ok = true
        switch kind {
        case .fetch:
            if nx { ok = false }
            if user { if !us { ok = false } }
            else if us && cr4 & CR4.smep != 0 { ok = false }
        case .read, .write:
            if user {
                if !us { ok = false }
                if kind == .write && !rw { ok = false }
            } else {
                if kind == .write && !rw && s.pointee.cr0 & CR0.wp != 0 { ok = false }
                if us && cr4 & CR4.smap != 0 && (implicit || s.pointee.flags & FL.ac == 0) { ok = false }
            }
        }
        if !ok { s.pointee.cr2 = la; throw .pf(err | PFErr.p) }
    }
}
