// The architectural state of one logical processor, in one fixed-layout block.
//
// shared/design.md: "one fixed-layout state block behind unsafe pointers". The block is
// allocated once (CPU.init) and never moves, so a native backend can address fields by
// MemoryLayout.offset(of:). Register numbering follows the x86 encoding (Intel SDM Vol. 2,
// Table 2-2): rax rcx rdx rbx rsp rbp rsi rdi r8..r15.

/// A segment register with its hidden descriptor cache (SDM Vol. 3, 3.4.3).
/// `attr` uses the VMX access-rights layout (SDM Vol. 3, 25.4.1): bits 0-3 type, 4 S,
/// 5-6 DPL, 7 P, 12 AVL, 13 L, 14 D/B, 15 G, 16 unusable.
public struct SegmentCache: Equatable {
    public var selector: UInt16 = 0
    public var attr: UInt32 = 0
    public var limit: UInt32 = 0xFFFF
    public var base: UInt64 = 0
    public init() {}
    public init(selector: UInt16, base: UInt64, limit: UInt32, attr: UInt32) {
        self.selector = selector; self.base = base; self.limit = limit; self.attr = attr
    }
    @inline(__always) public var type: UInt32 { attr & 0xF }
    @inline(__always) public var s: Bool { attr & 0x10 != 0 }
    @inline(__always) public var dpl: Int { Int((attr >> 5) & 3) }
    @inline(__always) public var present: Bool { attr & 0x80 != 0 }
    @inline(__always) public var l: Bool { attr & 0x2000 != 0 }
    @inline(__always) public var db: Bool { attr & 0x4000 != 0 }
    @inline(__always) public var g: Bool { attr & 0x8000 != 0 }
    @inline(__always) public var unusable: Bool { attr & 0x10000 != 0 }
    /// Code segment (S=1, type bit 3).
    @inline(__always) public var isCode: Bool { attr & 0x18 == 0x18 }
    /// Data segment, expand-down (type bit 2 with bit 3 clear).
    @inline(__always) public var expandDown: Bool { attr & 0x1C == 0x14 }
    /// Real-mode style data segment (16-bit, 64 KiB, writable, accessed).
    public static func real(_ sel: UInt16) -> SegmentCache {
        SegmentCache(selector: sel, base: UInt64(sel) << 4, limit: 0xFFFF, attr: 0x93)
    }
}

public enum Seg { public static let es = 0, cs = 1, ss = 2, ds = 3, fs = 4, gs = 5, ldtr = 6, tr = 7, none = 0xF }

public enum Reg {
    public static let rax = 0, rcx = 1, rdx = 2, rbx = 3, rsp = 4, rbp = 5, rsi = 6, rdi = 7
    public static let r8 = 8, r9 = 9, r10 = 10, r11 = 11, r12 = 12, r13 = 13, r14 = 14, r15 = 15
}

/// RFLAGS bits (SDM Vol. 1, 3.4.3).
public enum FL {
    public static let cf: UInt64 = 1 << 0, pf: UInt64 = 1 << 2, af: UInt64 = 1 << 4, zf: UInt64 = 1 << 6
    public static let sf: UInt64 = 1 << 7, tf: UInt64 = 1 << 8, `if`: UInt64 = 1 << 9, df: UInt64 = 1 << 10
    public static let of: UInt64 = 1 << 11, iopl: UInt64 = 3 << 12, nt: UInt64 = 1 << 14, rf: UInt64 = 1 << 16
    public static let vm: UInt64 = 1 << 17, ac: UInt64 = 1 << 18, vif: UInt64 = 1 << 19, vip: UInt64 = 1 << 20
    public static let id: UInt64 = 1 << 21
    public static let arith: UInt64 = cf | pf | af | zf | sf | of
    /// Bits software can ever see set (bit 1 is always 1).
    public static let defined: UInt64 = arith | tf | `if` | df | iopl | nt | rf | vm | ac | vif | vip | id
}

public enum CR0 {
    public static let pe: UInt64 = 1, mp: UInt64 = 2, em: UInt64 = 4, ts: UInt64 = 8, et: UInt64 = 0x10
    public static let ne: UInt64 = 0x20, wp: UInt64 = 1 << 16, am: UInt64 = 1 << 18, nw: UInt64 = 1 << 29
    public static let cd: UInt64 = 1 << 30, pg: UInt64 = 1 << 31
}
public enum CR4 {
    public static let vme: UInt64 = 1, pvi: UInt64 = 2, tsd: UInt64 = 4, de: UInt64 = 8, pse: UInt64 = 0x10
    public static let pae: UInt64 = 0x20, mce: UInt64 = 0x40, pge: UInt64 = 0x80, pce: UInt64 = 0x100
    public static let osfxsr: UInt64 = 0x200, osxmmexcpt: UInt64 = 0x400, umip: UInt64 = 0x800
    public static let fsgsbase: UInt64 = 1 << 16, pcide: UInt64 = 1 << 17, osxsave: UInt64 = 1 << 18
    public static let smep: UInt64 = 1 << 20, smap: UInt64 = 1 << 21
    public static let pke: UInt64 = 1 << 22, pks: UInt64 = 1 << 24
}
public enum EFER {
    public static let sce: UInt64 = 1, lme: UInt64 = 1 << 8, lma: UInt64 = 1 << 10, nxe: UInt64 = 1 << 11
}

/// The fixed-layout block. Field order is part of the (future) JIT ABI: append, don't reorder.
public struct CPUState {
    public var gpr: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                     UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
        = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    public var rip: UInt64 = 0
    /// RIP of the next instruction while one executes (branches overwrite it).
    public var nextRip: UInt64 = 0
    /// RFLAGS except the six arithmetic flags, which live in the lazy-flags fields.
    public var flags: UInt64 = 2
    // Lazy flags (Flags.swift): the last flag-setting operation and its inputs.
    public var ccOp: UInt32 = 0
    public var ccA: UInt64 = 0
    public var ccB: UInt64 = 0
    public var ccRes: UInt64 = 0

    public var segs: (SegmentCache, SegmentCache, SegmentCache, SegmentCache,
                      SegmentCache, SegmentCache, SegmentCache, SegmentCache)
        = (.init(), .init(), .init(), .init(), .init(), .init(), .init(), .init())
    public var gdtrBase: UInt64 = 0, gdtrLimit: UInt32 = 0xFFFF
    public var idtrBase: UInt64 = 0, idtrLimit: UInt32 = 0xFFFF

    public var cr0: UInt64 = 0x60000010, cr2: UInt64 = 0, cr3: UInt64 = 0, cr4: UInt64 = 0, cr8: UInt64 = 0
    public var efer: UInt64 = 0, xcr0: UInt64 = 1
    public var dr: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    public var dr6: UInt64 = 0xFFFF0FF0, dr7: UInt64 = 0x400

    // MSRs (SDM Vol. 4). Only the architectural ones swemu implements.
    public var star: UInt64 = 0, lstar: UInt64 = 0, cstar: UInt64 = 0, fmask: UInt64 = 0
    public var kernelGSBase: UInt64 = 0
    /// Protection-key rights for user pages (PKRU) and supervisor pages (IA32_PKRS):
    /// two bits per key, AD (access disable) and WD (write disable), SDM Vol. 3, 4.6.2.
    public var pkru: UInt32 = 0, pkrs: UInt32 = 0
    /// x87 control, status and (abridged) tag words; the register stack itself comes with
    /// the floating-point issue. Power-on values: FCW 0x0040, FSW 0, all tags empty.
    public var fcw: UInt16 = 0x0040, fsw: UInt16 = 0, ftw: UInt16 = 0xFFFF
    public var sysenterCS: UInt64 = 0, sysenterESP: UInt64 = 0, sysenterEIP: UInt64 = 0
    public var tscAux: UInt64 = 0, pat: UInt64 = 0x0007040600070406, apicBase: UInt64 = 0xFEE00900
    public var tscOffset: UInt64 = 0, miscEnable: UInt64 = 1
    public var mtrrDefType: UInt64 = 0

    /// Current privilege level (CS.RPL after a far transfer; SDM Vol. 3, 5.5).
    public var cpl: UInt8 = 0
    /// Decode mode: 0 = 16-bit, 1 = 32-bit, 2 = 64-bit (CS.L with EFER.LMA).
    public var codeMode: UInt8 = 0
    /// SS.B: 32-bit stack pointer (outside 64-bit mode).
    public var stack32: UInt8 = 0
    /// 0 supervisor TLB set, 1 user TLB set (CPL 3).
    public var tlbSet: UInt8 = 0
    /// Interrupt shadow after STI / MOV SS / POP SS (SDM Vol. 3, 6.8.3): blocks for one instruction.
    public var shadow: UInt8 = 0
    /// 0 running, 1 HLT, 2 shutdown (triple fault), 3 wait-for-SIPI (AP after INIT).
    public var halted: UInt8 = 0
    /// Set by a memory write that hit a page holding translated code, or by anything that must
    /// end the current block after the current instruction.
    public var exitRequest: UInt8 = 0
    public var nmiBlocked: UInt8 = 0

    /// Retired instructions and virtual cycles (the machine's clock reads these).
    public var icount: UInt64 = 0
    public var cycles: UInt64 = 0
    /// Deterministic RDRAND/RDSEED state (xorshift).
    public var randState: UInt64 = 0x853C49E6748FEA9B
    /// DR6.B0-B3 bits of data breakpoints hit by the current instruction (a trap after it).
    public var pendingDB: UInt64 = 0
    /// SYSCALL/SYSRET left TF = 1: a single-step #DB is due right after them (AMD APM Vol. 3
    /// SYSRET; KVM and QEMU do the same on Intel), not one instruction later as after POPF.
    public var stepTrap: UInt8 = 0
    /// Set by the machine when an interrupt line or device event needs the run loop's
    /// attention between blocks (replaces polling the bus every block).
    public var eventPending: UInt8 = 0
    /// An NMI is latched (delivered when NMIs are not blocked, i.e. outside an NMI handler).
    public var nmiPending: UInt8 = 0

    // Floating-point and SIMD state (SDM Vol. 1, chapters 8-11 and 13).
    /// x87 physical registers R0-R7, one 16-byte slot each as FXSAVE lays out ST(i): the
    /// 64-bit significand, then sign and exponent in the low 16 bits of the second word.
    /// MMX register MMi is the significand of Ri (SDM Vol. 1, 9.5.2).
    public var fpr: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                     UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
        = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    /// Last x87 instruction's opcode (11 bits) and instruction/data pointers (SDM Vol. 1, 8.1.8-8.1.10).
    public var fop: UInt16 = 0, fcs: UInt16 = 0, fds: UInt16 = 0
    public var fip: UInt64 = 0, fdp: UInt64 = 0
    /// SSE control/status (SDM Vol. 1, 10.2.3): all exceptions masked, round to nearest.
    public var mxcsr: UInt32 = 0x1F80
    /// AVX registers YMM0-YMM15, 32 bytes each (XMMi is the low half of YMMi), 32-byte aligned
    /// in the block through `CPU.vregs`.
    public var ymm: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                     UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                     UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                     UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                     UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                     UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                     UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                     UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
        = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
           0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    /// XSAVE state-component bitmaps the SDM lets software observe: XINUSE (XGETBV ECX=1;
    /// a component leaves its init state when written) and IA32_XSS for XSAVES.
    public var xinuse: UInt64 = 0
    public var xss: UInt64 = 0
    public init() {}
}
