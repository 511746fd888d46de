// One logical processor. The state lives in a manually allocated block (State.swift); this
// class only holds pointers to it and to the machine, so nothing here is ARC traffic on the
// per-instruction path.

public final class CPU {
    public let s: UnsafeMutablePointer<CPUState>
    public let gpr: UnsafeMutablePointer<UInt64>
    public let segs: UnsafeMutablePointer<SegmentCache>
    public let tlb: UnsafeMutablePointer<TLBEntry>
    /// YMM0-15 (32 bytes each; XMMi is the low 16 bytes) and x87 R0-R7 (16 bytes each) in the block.
    public let vregs: UnsafeMutableRawPointer
    public let fprs: UnsafeMutableRawPointer
    /// Operand scratch for the host SIMD kernels (SIMDAccess.swift): +0 vector operands,
    /// +128 the x87 memory operand, +512 the x87 FXSAVE image; 1024 bytes, 64-aligned.
    let scratch: UnsafeMutableRawPointer
    /// Indices of TLB entries filled since the last flush (Int.max: too many to track).
    let tlbFills: UnsafeMutablePointer<UInt16>
    var tlbFillCount = Int.max
    public let mem: PhysicalMemory
    public unowned(unsafe) var bus: CPUBus
    public var model: CPUModel
    public let apicID: UInt32
    /// Bumped whenever a linear->physical mapping may change (TLB flush, mode switch):
    /// block chains made under an older epoch are not followed.
    public var mappingEpoch: UInt64 = 1
    /// Log sink for "-d" style tracing and one-time warnings.
    public var log: (String) -> Void = { FileHandleStderr.write($0) }
    var warned = Set<String>()
    /// Differential testing: software interrupts (INT n, INT3, INTO, INT1) are handed to this
    /// hook instead of being delivered through the IDT; it returns the fault to raise.
    public var softwareInterruptHook: ((UInt8, EventKind) -> Fault)? = nil
    /// IA32_APIC_BASE.EN of this CPU's local APIC (the machine keeps it current): CPUID.1:EDX[9]
    /// reports the APIC only while it is globally enabled (SDM Vol. 3, 10.4.3).
    public var apicEnabled = true
    /// AMD PerfEvtSel0-3 / PerfCtr0-3 (MSRs C001_0000-C001_0007), only with an AMD vendor.
    var amdPerfMSR = [UInt64](repeating: 0, count: 8)
    /// MTRR contents (accepted and read back; swemu does not model memory types).
    var mtrr: [UInt32: UInt64] = [:]

    public init(memory: PhysicalMemory, bus: CPUBus, model: CPUModel = .default, apicID: UInt32 = 0) {
        s = .allocate(capacity: 1)
        s.initialize(to: CPUState())
        let raw = UnsafeMutableRawPointer(s)
        gpr = (raw + MemoryLayout<CPUState>.offset(of: \CPUState.gpr)!).assumingMemoryBound(to: UInt64.self)
        segs = (raw + MemoryLayout<CPUState>.offset(of: \CPUState.segs)!).assumingMemoryBound(to: SegmentCache.self)
        vregs = raw + MemoryLayout<CPUState>.offset(of: \CPUState.ymm)!
        fprs = raw + MemoryLayout<CPUState>.offset(of: \CPUState.fpr)!
        scratch = .allocate(byteCount: 1024, alignment: 64)
        scratch.initializeMemory(as: UInt8.self, repeating: 0, count: 1024)
        tlb = .allocate(capacity: TLB.sets * TLB.entries)
        tlbFills = .allocate(capacity: TLB.trackedFills)
        tlb.initialize(repeating: TLBEntry(), count: TLB.sets * TLB.entries)
        mem = memory
        self.bus = bus
        self.model = model
        self.apicID = apicID
        reset()
    }
    deinit { s.deallocate(); tlb.deallocate(); tlbFills.deallocate(); scratch.deallocate() }

    /// Power-on / RESET state (SDM Vol. 3, 10.1.4, Table 10-1).
    public func reset() {
        let id = s.pointee.randState
        s.pointee = CPUState()
        s.pointee.randState = id
        for i in 0..<6 { segs[i] = SegmentCache(selector: 0, base: 0, limit: 0xFFFF, attr: 0x93) }
        segs[Seg.cs] = SegmentCache(selector: 0xF000, base: 0xFFFF_0000, limit: 0xFFFF, attr: 0x9B)
        segs[Seg.ldtr] = SegmentCache(selector: 0, base: 0, limit: 0xFFFF, attr: 0x82)
        segs[Seg.tr] = SegmentCache(selector: 0, base: 0, limit: 0xFFFF, attr: 0x8B)
        s.pointee.rip = 0xFFF0
        gpr[Reg.rdx] = UInt64(model.family << 8 | model.model << 4 | model.stepping)
        s.pointee.apicBase = 0xFEE0_0000 | 0x800 | (apicID == 0 ? 0x100 : 0)
        updateMode()
        flushTLB(global: true)
    }

    /// INIT (SDM Vol. 3, 9.1 and Table 9-1): the reset state, except that the time-stamp
    /// counter, MTRRs and the retired-instruction count survive; an application processor then
    /// waits for a start-up IPI (9.4.2), the bootstrap processor restarts at the reset vector.
    public func initReset(bsp: Bool) {
        let cycles = s.pointee.cycles, icount = s.pointee.icount, tscOffset = s.pointee.tscOffset
        // INIT leaves the x87, MMX, SSE and AVX state alone (SDM Vol. 3, 10.1.1, Table 10-1).
        let old = s.pointee
        reset()
        s.pointee.cycles = cycles; s.pointee.icount = icount; s.pointee.tscOffset = tscOffset
        s.pointee.fpr = old.fpr; s.pointee.fcw = old.fcw; s.pointee.fsw = old.fsw; s.pointee.ftw = old.ftw
        s.pointee.fop = old.fop; s.pointee.fip = old.fip; s.pointee.fdp = old.fdp
        s.pointee.fcs = old.fcs; s.pointee.fds = old.fds
        s.pointee.mxcsr = old.mxcsr; s.pointee.ymm = old.ymm
        if !bsp { s.pointee.halted = 3 }
    }
    /// Start-up IPI (SDM Vol. 3, 10.6.1, "Start-Up"): a processor in wait-for-SIPI starts in
    /// real mode at vector * 4096 (CS = vector << 8, IP = 0). Ignored in any other state.
    public func startup(vector: UInt8) {
        guard s.pointee.halted == 3 else { return }
        segs[Seg.cs] = SegmentCache(selector: UInt16(vector) << 8, base: UInt64(vector) << 12, limit: 0xFFFF, attr: 0x9B)
        s.pointee.rip = 0
        s.pointee.halted = 0
        updateMode()
        mappingEpoch &+= 1
    }

    // MARK: registers by size (byte registers 16..19 are AH, CH, DH, BH)

    @inline(__always) public func reg(_ r: UInt8, _ size: Int) -> UInt64 {
        switch size {
        case 1: return r >= 16 ? (gpr[Int(r) - 16] >> 8) & 0xFF : gpr[Int(r)] & 0xFF
        case 2: return gpr[Int(r)] & 0xFFFF
        case 4: return gpr[Int(r)] & 0xFFFF_FFFF
        default: return gpr[Int(r)]
        }
    }
    @inline(__always) public func setReg(_ r: UInt8, _ size: Int, _ v: UInt64) {
        switch size {
        case 1:
            if r >= 16 { let i = Int(r) - 16; gpr[i] = (gpr[i] & ~0xFF00) | ((v & 0xFF) << 8) }
            else { gpr[Int(r)] = (gpr[Int(r)] & ~0xFF) | (v & 0xFF) }
        case 2: gpr[Int(r)] = (gpr[Int(r)] & ~0xFFFF) | (v & 0xFFFF)
        case 4: gpr[Int(r)] = v & 0xFFFF_FFFF
        default: gpr[Int(r)] = v
        }
    }

    // MARK: mode

    @inline(__always) public var longMode: Bool { s.pointee.efer & EFER.lma != 0 }
    @inline(__always) public var in64: Bool { s.pointee.codeMode == 2 }
    @inline(__always) public var protectedMode: Bool { s.pointee.cr0 & CR0.pe != 0 }
    @inline(__always) public var v86: Bool { s.pointee.flags & FL.vm != 0 }
    @inline(__always) public var cpl: Int { Int(s.pointee.cpl) }
    @inline(__always) public var iopl: Int { Int((s.pointee.flags >> 12) & 3) }

    /// Recompute the decode mode from CS, EFER.LMA, CR0.PE and EFLAGS.VM.
    public func updateMode() {
        let cs = segs[Seg.cs]
        if longMode && cs.l { s.pointee.codeMode = 2 }
        else if protectedMode && !v86 && cs.db { s.pointee.codeMode = 1 }
        else { s.pointee.codeMode = 0 }
        s.pointee.stack32 = segs[Seg.ss].db ? 1 : 0
        let set: UInt8 = s.pointee.cpl == 3 ? 1 : 0
        s.pointee.tlbSet = set
    }
    public func setCPL(_ c: Int) {
        s.pointee.cpl = UInt8(c)
        s.pointee.tlbSet = c == 3 ? 1 : 0
    }
    /// Mode bits a translated block depends on (the block key, with the physical address).
    @inline(__always) public var modeKey: UInt32 {
        UInt32(s.pointee.codeMode) | UInt32(s.pointee.cpl) << 2 | (v86 ? 0x10 : 0) | (s.pointee.stack32 == 1 ? 0x20 : 0)
    }

    public func warnOnce(_ msg: String) {
        if warned.insert(msg).inserted { log("swemu: warning: \(msg)\n") }
    }
}

/// Unbuffered stderr without Foundation.
public enum FileHandleStderr {
    public static func write(_ s: String) {
        var s = s
        s.withUTF8 { p in _ = fputs_bytes(p) }
    }
    static func fputs_bytes(_ p: UnsafeBufferPointer<UInt8>) -> Int {
        guard let b = p.baseAddress else { return 0 }
        return Glibc.write(2, b, p.count)
    }
}
#if canImport(Glibc)
import Glibc
#endif
