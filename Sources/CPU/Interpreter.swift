// Backend 1's inner loop: run pre-decoded instructions (shared/reference/swift-dispatch-
// measured.md: a switch on a small integer over an unsafe buffer, no ARC, no existentials).
// RIP is exact at every instruction boundary, so a fault is precise: the catch path in the
// translator delivers it with s.rip still at the faulting instruction.

extension CPU {
    /// Run `count` decoded instructions starting at `ops`. Returns how many retired; stops
    /// early when an instruction asks to leave the block (exitRequest) or branches.
    @inline(__always)
    public func runOps(_ ops: UnsafePointer<Insn>, _ count: Int, cycles: UInt64 = 0) throws(Fault) -> Int {
        let st = s
        var k = 0
        while k < count {
            let i = ops + k
            st.pointee.nextRip = st.pointee.rip &+ UInt64(i.pointee.len)
            try execute(i)
            st.pointee.rip = st.pointee.nextRip
            k += 1
            if _slowPath(st.pointee.exitRequest != 0) { break }
        }
        st.pointee.icount &+= UInt64(k)
        // Cycle costs from the table, summed per run rather than per instruction.
        if k == count && cycles != 0 { st.pointee.cycles &+= cycles } else {
            var c: UInt64 = 0
            for j in 0..<k { c &+= UInt64(ops[j].cycles) }
            st.pointee.cycles &+= c
        }
        return k
    }

    /// Execute one decoded instruction (the semantic routines live in Semantics/ and System/).
    @inline(__always)
    public func execute(_ i: I) throws(Fault) {
        switch i.pointee.h {
        case .aluEG: try aluEG(i)
        case .aluGE: try aluGE(i)
        case .aluEI: try aluEI(i)
        case .movEG: try movEG(i)
        case .movGE: try movGE(i)
        case .movEI: try movEI(i)
        case .jcc: try jcc(i)
        case .testEG: try testEG(i)
        case .testEI: try testEI(i)
        case .lea: lea(i)
        case .push: try pushE(i)
        case .pop: try popE(i)
        case .incE: try incdec(i, false)
        case .decE: try incdec(i, true)
        case .jmpRel: try jmpRel(i)
        case .callRel: try callRel(i)
        case .ret: try ret(i)
        case .shiftEI: try shiftEI(i)
        case .shiftECL: try shiftECL(i)
        case .movzx: try movzx(i)
        case .cmov: try cmov(i)
        case .setcc: try setcc(i)
        default: try executeRare(i)
        }
    }

    @inline(never)
    func executeRare(_ i: I) throws(Fault) {
        switch i.pointee.h {
        case .ud: throw Fault.ud
        case .invalid:
            // Decoded but not implemented (x87, SSE, AVX...): #UD, logged once per opcode.
            if i.pointee.isKnownUnimplemented { warnOnce("instruction not implemented (length \(i.pointee.len)) at rip 0x\(String(s.pointee.rip, radix: 16)): raising #UD") }
            throw Fault.ud
        case .notE: try notE(i)
        case .negE: try negE(i)
        case .mulE: try mulE(i)
        case .imulE: try imulE(i)
        case .divE: try divE(i)
        case .idivE: try idivE(i)
        case .imulGE: try imulGE(i)
        case .imulGEI: try imulGEI(i)
        case .daa: daa()
        case .das: das()
        case .aaa: aaa(false)
        case .aas: aaa(true)
        case .aam: try aam(i)
        case .aad: aad(i)
        case .salc: setReg(0, 1, cf ? 0xFF : 0)
        case .cbw: cbw(i)
        case .cwd: cwd(i)
        case .shiftEI: try shiftEI(i)
        case .shiftECL: try shiftECL(i)
        case .shldI: try doubleShift(i, i.pointee.imm, left: true)
        case .shldCL: try doubleShift(i, gpr[1], left: true)
        case .shrdI: try doubleShift(i, i.pointee.imm, left: false)
        case .shrdCL: try doubleShift(i, gpr[1], left: false)
        case .btEG: try bitOp(i, true)
        case .btEI: try bitOp(i, false)
        case .bsf: try bsf(i)
        case .bsr: try bsr(i)
        case .tzcnt: try tzcnt(i)
        case .lzcnt: try lzcnt(i)
        case .popcnt: try popcnt(i)
        case .bswap: bswap(i)
        case .andn, .bextr, .blsi, .blsmsk, .blsr, .bzhi, .pdep, .pext, .mulx, .rorx, .sarx, .shlx, .shrx: try bmi(i)
        case .adcx: try adx(i, overflowFlag: false)
        case .adox: try adx(i, overflowFlag: true)
        case .crc32: try crc32(i)
        case .movbe: try movbe(i)
        case .movES: try movES(i)
        case .movSE: try movSE(i)
        case .movRO: try movRO(i)
        case .movOR: try movOR(i)
        case .movzx: try movzx(i)
        case .movsx: try movsx(i)
        case .movsxd: try movsxd(i)
        case .xchgEG: try xchg(i)
        case .cmov: try cmov(i)
        case .setcc: try setcc(i)
        case .xadd: try xadd(i)
        case .cmpxchg: try cmpxchg(i)
        case .cmpxchg8b: try cmpxchg8b(i)
        case .pushI: try pushI(i)
        case .pushSeg: try pushSeg(i)
        case .popSeg: try popSeg(i)
        case .pusha: try pusha(i)
        case .popa: try popa(i)
        case .pushf: try pushf(i)
        case .popf: try popf(i)
        case .enter: try enter(i)
        case .leave: try leave(i)
        case .lahf: lahf()
        case .sahf: sahf()
        case .xlat: try xlat(i)
        case .nop, .fence: break
        case .pause: s.pointee.cycles &+= 10
        case .bound: try bound(i)
        case .arpl: try arpl(i)
        case .loadFarPtr: try loadFarPtr(i)
        case .jmpE: try jmpE(i)
        case .callE: try callE(i)
        case .jmpFar: try jmpFar(i)
        case .callFar: try callFar(i)
        case .jmpFarM: try jmpFarM(i)
        case .callFarM: try callFarM(i)
        case .retFar: try retFar(i)
        case .iret: try iret(i)
        case .loop: try loop(i)
        case .jcxz: try jcxz(i)
        case .int3: try softwareInterrupt(3, kind: .softwareException)
        case .intN: try softwareInterrupt(UInt8(i.pointee.imm & 0xFF), kind: .software)
        case .into: if of { try softwareInterrupt(4, kind: .softwareException) }
        case .int1: try softwareInterrupt(1, kind: .int1)
        case .clc: setCF(false)
        case .stc: setCF(true)
        case .cmc: setCF(!cf)
        case .cld: s.pointee.flags &= ~FL.df
        case .std: s.pointee.flags |= FL.df
        case .cli: try cli()
        case .sti: try sti()
        case .movs: try movs(i)
        case .cmps: try cmps(i)
        case .stos: try stos(i)
        case .lods: try lods(i)
        case .scas: try scas(i)
        case .ins: try ins(i)
        case .outs: try outs(i)
        case .inI: try portIn(i, UInt16(i.pointee.imm & 0xFF))
        case .inDX: try portIn(i, UInt16(gpr[2] & 0xFFFF))
        case .outI: try portOut(i, UInt16(i.pointee.imm & 0xFF))
        case .outDX: try portOut(i, UInt16(gpr[2] & 0xFFFF))
        case .hlt: try hlt()
        case .cpuid:
            let (a, b, c, d) = cpuid(UInt32(truncatingIfNeeded: gpr[0]), UInt32(truncatingIfNeeded: gpr[1]))
            setReg(0, 4, UInt64(a)); setReg(3, 4, UInt64(b)); setReg(1, 4, UInt64(c)); setReg(2, 4, UInt64(d))
        case .rdtsc: try rdtsc()
        case .rdtscp: try rdtscp()
        case .rdpid: rdpid(i)
        case .rdmsr: try rdmsr()
        case .wrmsr: try wrmsr()
        case .rdpmc:
            // No performance counters are modelled (CPUID leaf 0xA is absent): #GP, and said
            // once if software enabled RDPMC through CR4.PCE and still tried.
            if s.pointee.cr4 & CR4.pce != 0 { warnOnce("RDPMC: performance counters are not implemented: raising #GP") }
            throw Fault.gp(0)
        case .lgdt: try lgdtLidt(i, idt: false)
        case .lidt: try lgdtLidt(i, idt: true)
        case .sgdt: try sgdtSidt(i, idt: false)
        case .sidt: try sgdtSidt(i, idt: true)
        case .lldt: try lldt(i)
        case .sldt: try sldtStr(i, tr: false)
        case .ltr: try ltr(i)
        case .str: try sldtStr(i, tr: true)
        case .verr: try verrw(i, write: false)
        case .verw: try verrw(i, write: true)
        case .smsw: try smsw(i)
        case .lmsw: try lmsw(i)
        case .lar: try lar(i)
        case .lsl: try lsl(i)
        case .clts: try clts()
        case .invlpg: try invlpg(i)
        case .invpcid: try invpcid(i)
        case .swapgs: try swapgs()
        case .movCR: try movCR(i)
        case .movRC: try movRC(i)
        case .movDR: try movDR(i)
        case .movRD: try movRD(i)
        case .wbinvd: try wbinvd()
        case .clflush: _ = try read8(seg(i), ea(i))
        case .syscall: try syscall()
        case .sysret: try sysret(i)
        case .sysenter: try sysenter()
        case .sysexit: try sysexit(i)
        case .rdrand, .rdseed: rdrand(i)
        case .stac: try stacClac(true)
        case .rdpkru: try rdpkru()
        case .fninit, .fnclex, .fnstsw, .fnstcw, .fldcw, .fwait: try x87Control(i)
        case .wrpkru: try wrpkru()
        case .clac: try stacClac(false)
        case .rdfsbase, .rdgsbase, .wrfsbase, .wrgsbase: try fsgsbase(i)
        case .vfp: try vfp(i)
        case .vint: try vint(i)
        case .vblendv: try vblendv(i)
        case .vshiftI: try vshiftI(i)
        case .vcvtToGPR: try vcvtToGPR(i)
        case .vcvtFromGPR: try vcvtFromGPR(i)
        case .vcomi: try vcomi(i)
        case .vmsk: try vmsk(i)
        case .vptest: try vptest(i)
        case .vpcmpstr: try vpcmpstr(i)
        case .movVW: try movVW(i)
        case .movWV: try movWV(i)
        case .movScalarLoad: try movScalarLoad(i)
        case .movScalarStore: try movScalarStore(i)
        case .movLH: try movLH(i)
        case .movLHStore: try movLHStore(i)
        case .movdToX: try movdToX(i)
        case .movdFromX: try movdFromX(i)
        case .movqToX: try movqToX(i)
        case .movqFromX: try movqFromX(i)
        case .pinsr: try pinsr(i)
        case .pextr: try pextr(i)
        case .maskmov: try maskmov(i)
        case .ldmxcsr: try ldmxcsr(i)
        case .stmxcsr: try stmxcsr(i)
        case .cvtFromMM: try cvtFromMM(i)
        case .cvtToMM: try cvtToMM(i)
        case .mmx: try mmxOp(i)
        case .mmxShiftI: try mmxShiftI(i)
        case .mmxMsk: try mmxMsk(i)
        case .movdToMM: try movdToMM(i)
        case .movdFromMM: try movdFromMM(i)
        case .movqMM: try movqMM(i)
        case .movqMMStore: try movqMMStore(i)
        case .movq2dq: try movq2dq(i)
        case .movdq2q: try movdq2q(i)
        case .pinsrwMM: try pinsrwMM(i)
        case .pextrwMM: try pextrwMM(i)
        case .emms: try emms()
        case .fxsave: try fxsave(i)
        case .fxrstor: try fxrstor(i)
        case .x87: try x87(i)
        case .x87env: try x87env(i)
        default:
            warnOnce("no semantic routine for \(i.pointee.h): #UD")
            throw Fault.ud
        }
    }
}
