/// Semantic routines an instruction form can name. One case per operand shape; operand
/// size and sub-operation come from the decoded instruction (osz, aux) at run time.
public enum H: UInt16, CaseIterable {
    case invalid
    // arithmetic and logic (Semantics/Arithmetic.swift)
    case aluEG, aluGE, aluEI, testEG, testEI, incE, decE, notE, negE
    case mulE, imulE, divE, idivE, imulGE, imulGEI
    case daa, das, aaa, aas, aam, aad, salc
    case cbw, cwd
    // shifts and rotates (Semantics/Shifts.swift)
    case shiftEI, shiftECL, shldI, shldCL, shrdI, shrdCL
    // bit operations (Semantics/Bits.swift)
    case btEG, btEI, bsf, bsr, tzcnt, lzcnt, popcnt, bswap
    case andn, bextr, blsi, blsmsk, blsr, bzhi, pdep, pext, mulx, rorx, sarx, shlx, shrx
    case adcx, adox, crc32, movbe
    // data movement (Semantics/DataMove.swift)
    case movEG, movGE, movEI, movES, movSE, movRO, movOR, movzx, movsx, movsxd, lea
    case xchgEG, cmov, setcc, xadd, cmpxchg, cmpxchg8b
    case push, pop, pushI, pushSeg, popSeg, pusha, popa, pushf, popf, enter, leave
    case lahf, sahf, xlat, nop, pause, bound, arpl, loadFarPtr
    // control transfer (Semantics/Control.swift)
    case jmpRel, jcc, callRel, ret, jmpE, callE, jmpFar, callFar, jmpFarM, callFarM, retFar, iret
    case loop, jcxz, int3, intN, into, int1
    case clc, stc, cmc, cld, std, cli, sti
    // strings and I/O (Semantics/Strings.swift)
    case movs, cmps, stos, lods, scas, ins, outs, inI, inDX, outI, outDX
    // system (System/*.swift)
    case hlt, cpuid, rdtsc, rdtscp, rdpid, rdmsr, wrmsr, rdpmc
    case lgdt, lidt, sgdt, sidt, lldt, sldt, ltr, str, verr, verw, smsw, lmsw, lar, lsl, clts
    case invlpg, invpcid, swapgs, movCR, movRC, movDR, movRD, wbinvd, clflush, fence
    case syscall, sysret, sysenter, sysexit, ud, rdrand, rdseed, stac, clac, rdpkru, wrpkru, fninit, fnclex, fnstsw, fnstcw, fldcw, fwait
    case rdfsbase, rdgsbase, wrfsbase, wrgsbase
    // SSE/AVX (Semantics/SSE.swift), MMX (MMX.swift), FXSAVE (FXSave.swift)
    case vfp, vint, vblendv, vshiftI, vcvtToGPR, vcvtFromGPR, vcomi, vmsk, vptest, vpcmpstr
    case movVW, movWV, movScalarLoad, movScalarStore, movLH, movLHStore, movdToX, movdFromX, movqToX, movqFromX
    case pinsr, pextr, maskmov, ldmxcsr, stmxcsr, cvtFromMM, cvtToMM
    case mmx, mmxShiftI, mmxMsk, movdToMM, movdFromMM, movqMM, movqMMStore, movq2dq, movdq2q, pinsrwMM, pextrwMM, emms
    case fxsave, fxrstor
    // x87 (Semantics/X87.swift)
    case x87, x87env
}
