import CPU

/// Instruction bytes for the decoder, fetched through the CPU's MMU (CS limit checked).
struct GuestCode: ByteSource {
    unowned(unsafe) let cpu: CPU
    var ip: UInt64
    let ipMask: UInt64
    let limit: UInt64
    let base: UInt64
    let flat64: Bool
    var pages: Int = 0
    var firstPage: UInt64
    @inline(__always) mutating func next() throws(Fault) -> UInt8 {
        if !flat64 && ip > limit { throw Fault.gp(0) }
        let la = flat64 ? ip : (base &+ ip) & 0xFFFF_FFFF
        if la & ~0xFFF != firstPage { pages = 1 }
        let b = try cpu.fetchByte(la)
        ip = (ip &+ 1) & ipMask
        return b
    }
}

public enum StopReason: Equatable { case budget, halted, stopRequested }

public struct TraceFlags: OptionSet {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public static let inAsm = TraceFlags(rawValue: 1), exec = TraceFlags(rawValue: 2)
    public static let cpu = TraceFlags(rawValue: 4), int = TraceFlags(rawValue: 8)
}

/// Backend 1: finds or translates the block at RIP, runs it through the CPU's dispatch loop,
/// follows chains, and takes interrupts and the instruction budget between blocks.
public final class Engine {
    public let cpu: CPU
    public let cache = BlockCache()
    let decoders: [Decoder]
    public var maxBlockInsns = 64
    public var trace: TraceFlags = []
    public var traceSink: (String) -> Void = { FileHandleStderr.write($0) }
    /// Set by the machine (debug-exit, reset, quit) to leave run() at the next block boundary.
    public var stopRequested = false
    public var chaining = true

    public init(cpu: CPU) {
        self.cpu = cpu
        decoders = [Decoder(mode: .m16, features: cpu.model.features),
                    Decoder(mode: .m32, features: cpu.model.features),
                    Decoder(mode: .m64, features: cpu.model.features)]
    }

    /// Called by the machine when a guest (or DMA) write hit a page with translated code.
    public func codeWritten(page: UInt64) {
        cache.invalidatePage(page)
        let idx = cpu.mem.ramIndex(page)
        if idx >= 0 { cpu.mem.setCode(idx, false) }
    }

    // MARK: translation

    func code(at rip: UInt64) -> GuestCode {
        let s = cpu.s.pointee
        let cs = cpu.segs[Seg.cs]
        let mode = s.codeMode
        let la = mode == 2 ? rip : (cs.base &+ rip) & 0xFFFF_FFFF
        return GuestCode(cpu: cpu, ip: rip, ipMask: mode == 2 ? ~0 : mode == 1 ? 0xFFFF_FFFF : 0xFFFF,
                         limit: UInt64(cs.limit), base: cs.base, flat64: mode == 2, firstPage: la & ~0xFFF)
    }

    /// Decode a block starting at the current RIP. Faults on the first instruction propagate;
    /// a fault later ends the block before that instruction (it faults when it runs).
    func translate(linear: UInt64, phys: UInt64, mode: UInt32, maxInsns: Int? = nil) throws(Fault) -> (Block, cacheable: Bool) {
        let limit = maxInsns ?? maxBlockInsns
        let dec = decoders[Int(cpu.s.pointee.codeMode)]
        var src = code(at: cpu.s.pointee.rip)
        var ops: [Insn] = []
        ops.reserveCapacity(16)
        var bytes = 0
        var cacheable = true
        while ops.count < limit {
            let start = src
            var insn: Insn
            do { insn = try dec.decode(&src) } catch {
                if ops.isEmpty { throw error }
                break
            }
            if src.pages != 0 {
                // Crosses into the next page: alone in an uncached block, or end before it.
                if !ops.isEmpty { src = start; break }
                cacheable = false
            }
            ops.append(insn)
            bytes += Int(insn.len)
            if insn.h == .invalid || Table.forms.indices.contains(Int(insn.form)) && Table.forms[Int(insn.form)].endsBlock { break }
            if !cacheable { break }
            // Stop at the page end.
            if (linear &+ UInt64(bytes)) & 0xFFF == 0 { break }
        }
        let b = Block(ops: ops, phys: phys, linear: linear, mode: mode, byteLength: bytes)
        if trace.contains(.inAsm) { traceBlock(b) }
        return (b, cacheable)
    }

    func traceBlock(_ b: Block) {
        var out = "IN: \n"
        var ip = cpu.s.pointee.rip
        for k in 0..<b.count {
            let i = b.ops[k]
            out += "0x\(hex16(b.linear &+ (ip &- cpu.s.pointee.rip))):  \(Disassembler.format(i, nextRip: ip &+ UInt64(i.len)))\n"
            ip &+= UInt64(i.len)
        }
        traceSink(out + "\n")
    }

    /// Find or make the block for the current RIP.
    @inline(__always)
    func blockAtRIP() throws(Fault) -> BlockRef {
        let st = cpu.s
        let mode = cpu.modeKey
        let linear = st.pointee.codeMode == 2 ? st.pointee.rip : (cpu.segs[Seg.cs].base &+ st.pointee.rip) & 0xFFFF_FFFF
        if let b = cache.jumpCacheLookup(linear, mode, cpu.mappingEpoch) { return b }
        return try blockSlow(linear, mode)
    }

    @inline(never)
    func blockSlow(_ linear: UInt64, _ mode: UInt32) throws(Fault) -> BlockRef {
        let st = cpu.s
        if st.pointee.codeMode != 2 && st.pointee.rip > UInt64(cpu.segs[Seg.cs].limit) { throw Fault.gp(0) }
        let phys = try cpu.fetchPhysical(linear)
        if let b = cache.lookup(phys: phys, mode: mode), b.linear == linear {
            cache.jumpCacheInsert(b, cpu.mappingEpoch)
            return b.h
        }
        let (b, cacheable) = try translate(linear: linear, phys: phys, mode: mode)
        let idx = cpu.mem.ramIndex(phys)
        if cacheable && idx >= 0 {
            if !cpu.mem.isCode(idx) { cpu.mem.setCode(idx, true); cpu.protectCodePage(phys) }
            cache.insert(b)
            cache.jumpCacheInsert(b, cpu.mappingEpoch)
        } else {
            b.valid = false
            cache.transient = b
        }
        return b.h
    }

    // MARK: the run loop

    /// Run until `budget` instructions retired (checked between blocks), a HLT, or a stop.
    public func run(budget: UInt64, interrupts: () -> Void = {}) -> StopReason {
        let st = cpu.s
        let end = st.pointee.icount &+ budget
        if cache.needsFlush { cache.flushAll() }
        var prev: BlockRef? = nil
        // Blocks attempted also count against the budget: a guest that only faults (and so
        // retires nothing) must still come back to the machine loop.
        var attempts: UInt64 = 0
        while st.pointee.icount < end && attempts < budget {
            attempts &+= 1
            // One test for everything that needs the slow path between blocks.
            if _slowPath(stopRequested || st.pointee.halted != 0 || st.pointee.shadow != 0
                         || st.pointee.flags & (FL.tf | FL.rf) != 0 || st.pointee.dr7 & 0xFF != 0 || !trace.isEmpty
                         || st.pointee.eventPending != 0) {
                if stopRequested { return .stopRequested }
                prev = nil
                if st.pointee.eventPending != 0 && st.pointee.shadow == 0 {
                    // External interrupts and NMIs, taken between instructions (also wakes HLT).
                    interrupts()
                    if cpu.serviceEvents() && trace.contains(.int) {
                        traceSink("interrupt delivered, rip=0x\(hex16(st.pointee.rip))\n")
                    }
                }
                if st.pointee.halted != 0 { return .halted }
                if st.pointee.stepTrap != 0 {
                    // SYSCALL/SYSRET ended with TF = 1 inside a block: the trap is due now.
                    st.pointee.stepTrap = 0
                    st.pointee.dr6 |= 1 << 14
                    cpu.deliverExternalTrap(1)
                    continue
                }
                let tfSet = st.pointee.flags & FL.tf != 0
                // RF (set by IRET after a fault) must clear after one instruction: step it.
                if st.pointee.shadow != 0 || tfSet || st.pointee.dr7 & 0xFF != 0 || st.pointee.flags & FL.rf != 0 {
                    stepOne(tfSet: tfSet); continue
                }
            }
            do {
                var b: BlockRef
                // Follow the previous block's chain slot when it is still good.
                if let p = prev, chaining, let n = chained(p) { b = n } else {
                    b = try blockAtRIP()
                    if let p = prev, chaining { link(p, b) }
                    if cache.needsFlush { prev = nil }
                }
                if _slowPath(!trace.isEmpty) {
                    if trace.contains(.cpu) { traceSink(cpu.dumpState()) }
                    if trace.contains(.exec) { traceSink("Trace: [\(hex16(b.pointee.linear))] \(b.pointee.count) insns\n") }
                }
                let n = try cpu.runOps(b.pointee.ops, b.pointee.count, cycles: b.pointee.cycles)
                if _slowPath(st.pointee.exitRequest != 0) {
                    st.pointee.exitRequest = 0
                    prev = nil
                    if cache.needsFlush { cache.flushAll() }
                } else {
                    prev = (n == b.pointee.count && b.pointee.valid) ? b : nil
                }
            } catch {
                prev = nil
                st.pointee.exitRequest = 0
                if trace.contains(.int) { traceSink("exception \(error.name) at rip=0x\(hex16(st.pointee.rip)) err=0x\(String(error.errorCode, radix: 16))\n") }
                cpu.raise(error)
                if cache.needsFlush { cache.flushAll() }
            }
        }
        return .budget
    }

    @inline(__always) func chained(_ p: BlockRef) -> BlockRef? {
        let rip = cpu.s.pointee.rip, ep = cpu.mappingEpoch
        if p.pointee.chainRip0 == rip && p.pointee.chainEpoch0 == ep, let b = p.pointee.chain0, b.pointee.valid { return b }
        if p.pointee.chainRip1 == rip && p.pointee.chainEpoch1 == ep, let b = p.pointee.chain1, b.pointee.valid { return b }
        return nil
    }
    func link(_ p: BlockRef, _ b: BlockRef) {
        guard b.pointee.mode == cpu.modeKey, b.pointee.valid, p.pointee.valid else { return }
        let rip = cpu.s.pointee.rip, ep = cpu.mappingEpoch
        if p.pointee.chain0 == nil || p.pointee.chainEpoch0 != ep {
            p.pointee.chain0 = b; p.pointee.chainRip0 = rip; p.pointee.chainEpoch0 = ep
        } else {
            p.pointee.chain1 = b; p.pointee.chainRip1 = rip; p.pointee.chainEpoch1 = ep
        }
    }

    /// One instruction outside any block: after STI / MOV SS (interrupt shadow) and under
    /// EFLAGS.TF (single-step trap, SDM Vol. 3, 18.3.1.4).
    func stepOne(tfSet: Bool) {
        let st = cpu.s
        let shadowed = st.pointee.shadow != 0
        st.pointee.shadow = 0
        do throws(Fault) {
            let bp = cpu.instructionBreakpoints()
            if bp != 0 {
                st.pointee.dr6 = (st.pointee.dr6 & ~0xF) | bp
                throw Fault.db
            }
            // A data breakpoint hit by a MOV SS is reported after the next instruction.
            let carried = shadowed ? st.pointee.pendingDB : 0
            st.pointee.pendingDB = 0
            let mode = cpu.modeKey
            let linear = st.pointee.codeMode == 2 ? st.pointee.rip : (cpu.segs[Seg.cs].base &+ st.pointee.rip) & 0xFFFF_FFFF
            let phys = try cpu.fetchPhysical(linear)
            let (b, _) = try translate(linear: linear, phys: phys, mode: mode, maxInsns: 1)
            var one = b.ops[0]
            withExtendedLifetime(b) {}
            let rfBefore = st.pointee.flags & FL.rf
            let fallThrough = st.pointee.rip &+ UInt64(one.len)
            st.pointee.exitRequest = 0
            _ = try withUnsafePointer(to: &one) { (p) throws(Fault) -> Int in try cpu.runOps(p, 1) }
            st.pointee.exitRequest = 0
            // MOV SS / POP SS (shadow 2) block debug exceptions until the next instruction
            // completes (SDM Vol. 3, 6.8.3): this instruction's single-step trap is dropped
            // and its data breakpoints wait. An STI shadow (1) blocks interrupts only.
            let movSSBlocking = !shadowed && st.pointee.shadow == 2
            // INT n, INT3, INTO and INT1 that entered their handler clear TF on the way in:
            // no single-step trap for them (SDM Vol. 3, 17.3.1.4).
            let h = one.h
            let enteredHandler = (h == .intN || h == .int3 || h == .into || h == .int1) && st.pointee.rip != fallThrough
            // SYSCALL/SYSRET trap on TF at their end, not at their start (stepTrap).
            let fastCall = h == .syscall || h == .sysret
            let singleStep = fastCall ? st.pointee.stepTrap != 0 : tfSet && !enteredHandler
            st.pointee.stepTrap = 0
            if st.pointee.shadow != 0 && shadowed { st.pointee.shadow = 0 }
            // RF protects exactly one instruction from its instruction breakpoint.
            if rfBefore != 0 { st.pointee.flags &= ~FL.rf }
            let data = st.pointee.pendingDB | carried
            st.pointee.pendingDB = 0
            if movSSBlocking {
                st.pointee.pendingDB = data
            } else if enteredHandler && h == .int1 && data != 0 {
                // ICEBP's own #DB already runs: pending data breakpoints are reported in
                // the same DR6 (one #DB, not two).
                st.pointee.dr6 = (st.pointee.dr6 & ~0xF) | data
            } else if singleStep || data != 0 {
                if data != 0 { st.pointee.dr6 = (st.pointee.dr6 & ~0xF) | data }
                if singleStep { st.pointee.dr6 |= 1 << 14 }   // BS
                cpu.deliverExternalTrap(1)
            }
        } catch {
            st.pointee.exitRequest = 0
            if trace.contains(.int) { traceSink("exception \(error.name) at rip=0x\(hex16(st.pointee.rip))\n") }
            cpu.raise(error)
        }
    }
}

@inline(__always) func hex16(_ v: UInt64) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: max(0, 16 - s.count)) + s
}
