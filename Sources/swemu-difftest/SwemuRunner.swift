// The system under test: one swemu CPU set up like the oracle's environment.
// 64-bit: long mode at CPL 3 with 4 KiB pages mapping exactly the oracle's code page and data
// area (so a stray access faults #PF on both sides); 32-bit: flat protected mode at CPL 0
// without paging; 16-bit: real mode, CS = DS = ES = SS = 0 (Unicorn's UC_MODE_16/32).

import CPU
import COracle

final class DiffBus: CPUBus {
    func portRead(_ port: UInt16, size: Int) -> UInt32 { 0xFFFF_FFFF }
    func portWrite(_ port: UInt16, size: Int, value: UInt32) {}
    func mmioRead(_ addr: UInt64, size: Int) -> UInt64 { ~0 }
    func mmioWrite(_ addr: UInt64, size: Int, value: UInt64) {}
    func codeWritten(page: UInt64) {}
    var interruptPending: Bool { false }
    func acknowledgeInterrupt() -> UInt8? { nil }
    func shutdown(reason: String) {}
}

struct Outcome {
    var regs = [UInt64](repeating: 0, count: 16)
    var flags: UInt64 = 0
    var rip: UInt64 = 0
    var mem: [UInt8] = []
    var fault = -1
    var errorCode: UInt64 = 0
    var faultAddr: UInt64 = 0
    var xs: [UInt8] = []
}

final class SwemuRunner {
    let mode: Int
    let bus = DiffBus()
    let mem: PhysicalMemory
    let cpu: CPU
    let decoder: Decoder
    var trapped = false

    /// 32-bit code in compatibility mode (long mode, CPL 3, paging) like the host oracle's
    /// oracle_host_run32x, used for the SIMD groups; otherwise 32-bit protected mode as Unicorn.
    let compat: Bool

    init(mode: Int, compat: Bool = false) {
        self.mode = mode
        self.compat = compat
        mem = PhysicalMemory(size: 0x2020_0000)
        cpu = CPU(memory: mem, bus: bus, model: .difftest)
        decoder = Decoder(mode: mode == 64 ? .m64 : mode == 32 ? .m32 : .m16, features: CPUModel.difftest.features)
        cpu.log = { _ in }
        cpu.softwareInterruptHook = { [unowned self] v, kind in
            // What each oracle reports: the host's Linux IDT has DPL-3 gates for #BP and #OF
            // only; Unicorn stops on any INT with RIP after it.
            if self.mode != 64 || kind == .int1 || v == 3 || v == 4 { self.trapped = true; return Fault(v) }
            return Fault.gp(UInt32(v) * 8 + 2)
        }
    }

    func prepare() {
        let st = cpu.s
        cpu.reset()
        switch mode == 32 && compat ? 64 : mode {
        case 64:
            func pte(_ a: UInt64, _ v: UInt64) { mem.write(a, le(v, 8)) }
            for a in stride(from: UInt64(0x1000), to: 0x6000, by: 8) { pte(a, 0) }
            pte(0x1000, 0x2000 | 7); pte(0x2000, 0x3000 | 7)
            pte(0x3000 + 8 * (ORACLE_DATA_BASE >> 21), 0x4000 | 7)
            pte(0x3000 + 8 * (ORACLE_CODE_BASE >> 21), 0x5000 | 7)
            // Data is no-execute, as the host process maps it.
            pte(0x4000 + 8 * ((ORACLE_DATA_BASE >> 12) & 511), ORACLE_DATA_BASE | 7 | 1 << 63)
            pte(0x4000 + 8 * (((ORACLE_DATA_BASE >> 12) + 1) & 511), (ORACLE_DATA_BASE + 0x1000) | 7 | 1 << 63)
            pte(0x5000 + 8 * ((ORACLE_CODE_BASE >> 12) & 511), ORACLE_CODE_BASE | 7)
            st.pointee.cr3 = 0x1000
            st.pointee.cr4 = CR4.pae | CR4.osfxsr | CR4.osxmmexcpt | CR4.osxsave
            st.pointee.xcr0 = 7
            st.pointee.efer = EFER.lme | EFER.lma | EFER.nxe | EFER.sce
            st.pointee.cr0 = CR0.pe | CR0.pg | CR0.wp | CR0.et | CR0.ne
            // Linux's user code segments: 0x33 (64-bit), 0x23 (32-bit, compatibility mode).
            cpu.segs[Seg.cs] = mode == 64 ? SegmentCache(selector: 0x33, base: 0, limit: 0xFFFF_FFFF, attr: 0xA0FB)
                                          : SegmentCache(selector: 0x23, base: 0, limit: 0xFFFF_FFFF, attr: 0xC0FB)
            for r in [Seg.ss, Seg.ds, Seg.es] { cpu.segs[r] = SegmentCache(selector: 0x2B, base: 0, limit: 0xFFFF_FFFF, attr: 0xC0F3) }
            cpu.segs[Seg.fs] = SegmentCache(selector: 0, base: 0, limit: 0xFFFF_FFFF, attr: 0xC0F3)
            cpu.segs[Seg.gs] = SegmentCache(selector: 0, base: 0, limit: 0xFFFF_FFFF, attr: 0xC0F3)
            cpu.setCPL(3)
        case 32:
            // 32-bit paging mapping only the oracle's pages, so stray accesses fault as they
            // do in Unicorn (which maps nothing else).
            func pde(_ a: UInt64, _ v: UInt32) { mem.write(a, le(UInt64(v), 4)) }
            for a in stride(from: UInt64(0x1000), to: 0x4000, by: 4) { pde(a, 0) }
            pde(0x1000 + 4 * (ORACLE_DATA_BASE >> 22), 0x2000 | 3)
            pde(0x1000 + 4 * (ORACLE_CODE_BASE >> 22), 0x3000 | 3)
            pde(0x2000 + 4 * ((ORACLE_DATA_BASE >> 12) & 1023), UInt32(ORACLE_DATA_BASE) | 3)
            pde(0x2000 + 4 * (((ORACLE_DATA_BASE >> 12) + 1) & 1023), UInt32(ORACLE_DATA_BASE + 0x1000) | 3)
            pde(0x3000 + 4 * ((ORACLE_CODE_BASE >> 12) & 1023), UInt32(ORACLE_CODE_BASE) | 3)
            st.pointee.cr3 = 0x1000
            st.pointee.cr0 = CR0.pe | CR0.et | CR0.pg
            cpu.segs[Seg.cs] = SegmentCache(selector: 0x08, base: 0, limit: 0xFFFF_FFFF, attr: 0xC09B)
            for r in [Seg.ss, Seg.ds, Seg.es, Seg.fs, Seg.gs] { cpu.segs[r] = SegmentCache(selector: 0x10, base: 0, limit: 0xFFFF_FFFF, attr: 0xC093) }
            cpu.setCPL(0)
        default:
            cpu.segs[Seg.cs] = SegmentCache(selector: 0, base: 0, limit: 0xFFFF, attr: 0x9B)
            for r in [Seg.ss, Seg.ds, Seg.es, Seg.fs, Seg.gs] { cpu.segs[r] = SegmentCache.real(0) }
            cpu.setCPL(0)
        }
        cpu.updateMode()
        cpu.flushTLB(global: true)
    }

    func run(_ c: TestCase) -> Outcome {
        let st = cpu.s
        let lm = mode == 64 || compat
        if st.pointee.codeMode != UInt8(mode == 64 ? 2 : mode == 32 ? 1 : 0) || st.pointee.efer & EFER.lma != (lm ? EFER.lma : 0)
            || st.pointee.cr0 & CR0.pg != (mode == 16 ? 0 : CR0.pg) { prepare() }
        // The instruction may have changed segment or mode state: restore what matters.
        if lm { cpu.setCPL(3) } else { cpu.setCPL(0) }
        if !c.xs.isEmpty { c.xs.withUnsafeBytes { cpu.importXState(from: $0.baseAddress!) } }
        for r in 0..<16 { cpu.gpr[r] = c.regs[r] }
        cpu.rflags = (c.flags & 0xCD5) | 2 | FL.if
        st.pointee.exitRequest = 0; st.pointee.halted = 0; st.pointee.shadow = 0
        mem.write(c.dataBase, c.mem)
        mem.write(c.codeBase, c.bytes + [UInt8](repeating: 0xCC, count: 16))
        st.pointee.rip = c.codeBase
        trapped = false
        var out = Outcome()
        do throws(Fault) {
            var insn = try c.bytes.withUnsafeBufferPointer { (p) throws(Fault) -> Insn in
                var src = BufferSource(p)
                return try decoder.decode(&src)
            }
            _ = try withUnsafePointer(to: &insn) { (p) throws(Fault) -> Int in try cpu.runOps(p, 1) }
            out.rip = st.pointee.rip &- c.codeBase
            // The host reports a branch to an unmapped or no-execute target as the next
            // instruction's fetch fault: probe the fetch the same way.
            if mode == 64 && out.rip >= 0x1000 {
                _ = try cpu.fetchPhysical(st.pointee.rip)
            }
        } catch {
            out.fault = Int(error.vector)
            out.errorCode = UInt64(error.errorCode)
            if error.vector == 14 { out.faultAddr = st.pointee.cr2 }
            out.rip = (trapped ? st.pointee.nextRip : st.pointee.rip) &- c.codeBase
        }
        for r in 0..<16 { out.regs[r] = cpu.gpr[r] }
        out.flags = cpu.rflags
        if !c.xs.isEmpty {
            out.xs = [UInt8](repeating: 0, count: 832)
            out.xs.withUnsafeMutableBytes { cpu.exportXState(to: $0.baseAddress!) }
        }
        out.mem = mem.read(c.dataBase, count: c.mem.count) ?? []
        return out
    }
}

/// The oracles behind one interface.
struct Oracle {
    let mode: Int
    func run(_ c: TestCase) -> Outcome? {
        var regs = oracle_regs()
        withUnsafeMutableBytes(of: &regs.gpr) { p in
            for r in 0..<16 { p.storeBytes(of: c.regs[r], toByteOffset: r * 8, as: UInt64.self) }
        }
        regs.rflags = c.flags & 0xCD5
        var memory = c.mem
        var f = oracle_fault()
        var xs = [UInt8](repeating: 0, count: Int(ORACLE_XSTATE_SIZE))
        let simd = !c.xs.isEmpty
        if simd { for k in 0..<c.xs.count { xs[k] = c.xs[k] } }
        let rc = c.bytes.withUnsafeBufferPointer { code in
            memory.withUnsafeMutableBufferPointer { m in
                simd ? (mode == 64 ? oracle_host_run64x(code.baseAddress, code.count, &regs, m.baseAddress, &xs, &f)
                                   : oracle_host_run32x(code.baseAddress, code.count, &regs, m.baseAddress, &xs, &f))
                : mode == 64 ? oracle_host_run64(code.baseAddress, code.count, &regs, m.baseAddress, &f)
                           : oracle_unicorn_run(Int32(mode), code.baseAddress, code.count, &regs, m.baseAddress, &f)
            }
        }
        if rc != ORACLE_OK { return nil }
        var o = Outcome()
        if simd { o.xs = Array(xs.prefix(832)) }
        withUnsafeBytes(of: &regs.gpr) { p in for r in 0..<16 { o.regs[r] = p.load(fromByteOffset: r * 8, as: UInt64.self) } }
        o.flags = regs.rflags; o.rip = regs.rip; o.mem = memory
        o.fault = Int(f.fault); o.errorCode = f.error_code; o.faultAddr = f.fault_addr
        // A near branch that landed in the host's int3 padding (rel8 targets): report the
        // landing address, as the emulator does.
        let h = Table.forms[c.form].handler
        if mode == 64 && o.fault == 3 && [.jcc, .jmpRel, .loop, .jcxz, .callRel].contains(h) && o.rip > UInt64(c.bytes.count) {
            o.fault = -1; o.rip -= 1
        }
        return o
    }
}
