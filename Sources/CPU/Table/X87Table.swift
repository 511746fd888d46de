// Rows for the x87 FPU (SDM Vol. 2, Appendix A.5, Tables: escape opcodes D8-DF).
// Arithmetic, loads, stores, compares and register operations run through the host kernel
// (Semantics/X87.swift, handler .x87); `aux` = opcode & 7, plus X87Aux.load when the memory
// operand is read, .store when it is written, .eflags for FCOMI/FUCOMI(P).
// The control instructions FNINIT, FNCLEX, FNSTSW, FNSTCW, FLDCW and WAIT are in SystemTable.

public enum X87Aux {
    public static let load: UInt8 = 0x10, store: UInt8 = 0x08, eflags: UInt8 = 0x20
}

func x87Rows() -> [InsnForm] {
    var t: [InsnForm] = []
    func r(_ m: String, _ ops: String, _ enc: String, _ aux: UInt8, cycles: UInt8 = 3, flags: String = "",
           feature: Feature = .base, h: H = .x87, attrs: String = "") {
        t.append(row(m, ops, enc, h, aux: aux, flags: flags, feature: feature, cycles: cycles, attrs: attrs))
    }
    let arith = ["FADD", "FMUL", "FCOM", "FCOMP", "FSUB", "FSUBR", "FDIV", "FDIVR"]
    let arithCycles: [UInt8] = [3, 5, 3, 3, 3, 3, 15, 15]
    let iarith = ["FIADD", "FIMUL", "FICOM", "FICOMP", "FISUB", "FISUBR", "FIDIV", "FIDIVR"]
    for k in 0..<8 {
        r(arith[k], "Md", "D8 /\(k) mem", 0 | X87Aux.load, cycles: arithCycles[k])
        r(arith[k], k == 2 || k == 3 ? "ST0,STi" : "ST0,STi", "D8 /\(k) reg", 0, cycles: arithCycles[k])
        r(arith[k], "Mq", "DC /\(k) mem", 4 | X87Aux.load, cycles: arithCycles[k])
        r(iarith[k], "Md", "DA /\(k) mem", 2 | X87Aux.load, cycles: arithCycles[k] + 3)
        r(iarith[k], "Mw", "DE /\(k) mem", 6 | X87Aux.load, cycles: arithCycles[k] + 3)
    }
    // DC with a register: the destination is ST(i) (reversed subtract/divide names, SDM A.5).
    for (k, n) in ["FADD", "FMUL", "FCOM", "FCOMP", "FSUBR", "FSUB", "FDIVR", "FDIV"].enumerated() {
        r(n, k == 2 || k == 3 ? "ST0,STi" : "STi,ST0", "DC /\(k) reg", 4, cycles: arithCycles[k])
    }
    for (k, n) in ["FADDP", "FMULP", "FCOMP", "", "FSUBRP", "FSUBP", "FDIVRP", "FDIVP"].enumerated() where !n.isEmpty {
        r(n, k == 2 ? "ST0,STi" : "STi,ST0", "DE /\(k) reg", 6, cycles: arithCycles[k])
    }
    r("FCOMPP", "", "DE D9", 6)
    // D9: loads, stores, constants, transcendental and other register operations.
    r("FLD", "Md", "D9 /0 mem", 1 | X87Aux.load)
    r("FST", "Md", "D9 /2 mem", 1 | X87Aux.store)
    r("FSTP", "Md", "D9 /3 mem", 1 | X87Aux.store)
    r("FLDENV", "M", "D9 /4 mem", 0, cycles: 20, h: .x87env, attrs: "nodiff")
    r("FNSTENV", "M", "D9 /6 mem", 1, cycles: 20, h: .x87env, attrs: "nodiff")
    r("FLD", "STi", "D9 /0 reg", 1)
    r("FXCH", "ST0,STi", "D9 /1 reg", 1)
    r("FNOP", "", "D9 D0", 1)
    r("FSTPNCE", "STi", "D9 /3 reg", 1)   // undocumented alias of FSTP ST(i)
    let d9: [(UInt8, String, UInt8)] = [
        (0xE0, "FCHS", 1), (0xE1, "FABS", 1), (0xE4, "FTST", 3), (0xE5, "FXAM", 3),
        (0xE8, "FLD1", 2), (0xE9, "FLDL2T", 2), (0xEA, "FLDL2E", 2), (0xEB, "FLDPI", 2), (0xEC, "FLDLG2", 2),
        (0xED, "FLDLN2", 2), (0xEE, "FLDZ", 2), (0xF0, "F2XM1", 60), (0xF1, "FYL2X", 60), (0xF2, "FPTAN", 100),
        (0xF3, "FPATAN", 100), (0xF4, "FXTRACT", 15), (0xF5, "FPREM1", 30), (0xF6, "FDECSTP", 1),
        (0xF7, "FINCSTP", 1), (0xF8, "FPREM", 30), (0xF9, "FYL2XP1", 60), (0xFA, "FSQRT", 20),
        (0xFB, "FSINCOS", 100), (0xFC, "FRNDINT", 15), (0xFD, "FSCALE", 30), (0xFE, "FSIN", 80), (0xFF, "FCOS", 80),
    ]
    for (b, n, c) in d9 { r(n, "", "D9 \(hex(Int(b)))", 1, cycles: c) }
    // DA/DB: FCMOVcc, FUCOMPP, integer loads and stores, 80-bit loads and stores, FCOMI.
    for (k, n) in ["FCMOVB", "FCMOVE", "FCMOVBE", "FCMOVU"].enumerated() { r(n, "ST0,STi", "DA /\(k) reg", 2, feature: .cmov) }
    r("FUCOMPP", "", "DA E9", 2)
    for (k, n) in ["FCMOVNB", "FCMOVNE", "FCMOVNBE", "FCMOVNU"].enumerated() { r(n, "ST0,STi", "DB /\(k) reg", 3, feature: .cmov) }
    r("FUCOMI", "ST0,STi", "DB /5 reg", 3 | X87Aux.eflags, flags: "oszapc", feature: .cmov)
    r("FCOMI", "ST0,STi", "DB /6 reg", 3 | X87Aux.eflags, flags: "oszapc", feature: .cmov)
    r("FILD", "Md", "DB /0 mem", 3 | X87Aux.load, cycles: 5)
    r("FISTTP", "Md", "DB /1 mem", 3 | X87Aux.store, cycles: 5, feature: .sse3)
    r("FIST", "Md", "DB /2 mem", 3 | X87Aux.store, cycles: 5)
    r("FISTP", "Md", "DB /3 mem", 3 | X87Aux.store, cycles: 5)
    r("FLD", "Mt", "DB /5 mem", 3 | X87Aux.load, cycles: 4)
    r("FSTP", "Mt", "DB /7 mem", 3 | X87Aux.store, cycles: 4)
    // DD: 64-bit loads and stores, FFREE, FST/FSTP ST(i), FUCOM, FRSTOR/FNSAVE.
    r("FLD", "Mq", "DD /0 mem", 5 | X87Aux.load)
    r("FISTTP", "Mq", "DD /1 mem", 5 | X87Aux.store, cycles: 5, feature: .sse3)
    r("FST", "Mq", "DD /2 mem", 5 | X87Aux.store)
    r("FSTP", "Mq", "DD /3 mem", 5 | X87Aux.store)
    r("FRSTOR", "M", "DD /4 mem", 2, cycles: 80, h: .x87env, attrs: "nodiff")
    r("FNSAVE", "M", "DD /6 mem", 3, cycles: 80, h: .x87env, attrs: "nodiff")
    for (k, n) in ["FFREE", "FXCH", "FST", "FSTP", "FUCOM", "FUCOMP"].enumerated() {
        r(n, k == 1 || k >= 4 ? "ST0,STi" : "STi", "DD /\(k) reg", 5)      // DD C8+i: an alias of FXCH
    }
    // DF: 16- and 64-bit integers, BCD, FFREEP, FUCOMIP/FCOMIP.
    r("FILD", "Mw", "DF /0 mem", 7 | X87Aux.load, cycles: 5)
    r("FISTTP", "Mw", "DF /1 mem", 7 | X87Aux.store, cycles: 5, feature: .sse3)
    r("FIST", "Mw", "DF /2 mem", 7 | X87Aux.store, cycles: 5)
    r("FISTP", "Mw", "DF /3 mem", 7 | X87Aux.store, cycles: 5)
    r("FBLD", "Mt", "DF /4 mem", 7 | X87Aux.load, cycles: 40)
    r("FILD", "Mq", "DF /5 mem", 7 | X87Aux.load, cycles: 5)
    r("FBSTP", "Mt", "DF /6 mem", 7 | X87Aux.store, cycles: 100)
    r("FISTP", "Mq", "DF /7 mem", 7 | X87Aux.store, cycles: 5)
    // FFREEP, and undocumented aliases of FXCH and FSTP ST(i).
    for (k, n) in ["FFREEP", "FXCH", "FSTP", "FSTP"].enumerated() { r(n, k == 1 ? "ST0,STi" : "STi", "DF /\(k) reg", 7) }
    r("FUCOMIP", "ST0,STi", "DF /5 reg", 7 | X87Aux.eflags, flags: "oszapc", feature: .cmov)
    r("FCOMIP", "ST0,STi", "DF /6 reg", 7 | X87Aux.eflags, flags: "oszapc", feature: .cmov)
    return t
}
