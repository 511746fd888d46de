// Rows for the general-purpose instructions (SDM Vol. 2 opcode map, Appendix A.3).
// Undefined flags follow the SDM's instruction pages; swemu leaves them as an Intel Core
// CPU does where that is known (noted per row), and the difftest masks them.

let aluNames = ["ADD", "OR", "ADC", "SBB", "AND", "SUB", "XOR", "CMP"]
let ccNames = ["O", "NO", "B", "AE", "E", "NE", "BE", "A", "S", "NS", "P", "NP", "L", "GE", "LE", "G"]
let shiftNames = ["ROL", "ROR", "RCL", "RCR", "SHL", "SHR", "SAL", "SAR"]

func hex(_ v: Int) -> String { String(format2: v) }
extension String {
    init(format2 v: Int) {
        let d = Array("0123456789ABCDEF")
        self = String([d[(v >> 4) & 15], d[v & 15]])
    }
}

func integerRows() -> [InsnForm] {
    var t: [InsnForm] = []
    // ALU: ADD OR ADC SBB AND SUB XOR CMP (00-3F).
    for (i, n) in aluNames.enumerated() {
        let b = i * 8, a = UInt8(i)
        let fl = "oszapc", und = (i == 1 || i == 4 || i == 6) ? "a" : ""  // logic: AF undefined
        let lk = i == 7 ? "" : "lock"
        t.append(row(n, "Eb,Gb", "\(hex(b)) /r", .aluEG, aux: a, flags: fl, undefined: und, attrs: lk))
        t.append(row(n, "Ev,Gv", "\(hex(b + 1)) /r", .aluEG, aux: a, flags: fl, undefined: und, attrs: lk))
        t.append(row(n, "Gb,Eb", "\(hex(b + 2)) /r", .aluGE, aux: a, flags: fl, undefined: und))
        t.append(row(n, "Gv,Ev", "\(hex(b + 3)) /r", .aluGE, aux: a, flags: fl, undefined: und))
        t.append(row(n, "AL,Ib", "\(hex(b + 4))", .aluEI, aux: a, flags: fl, undefined: und))
        t.append(row(n, "rAX,Iz", "\(hex(b + 5))", .aluEI, aux: a, flags: fl, undefined: und))
        t.append(row(n, "Eb,Ib", "80 /\(i)", .aluEI, aux: a, flags: fl, undefined: und, attrs: lk))
        t.append(row(n, "Ev,Iz", "81 /\(i)", .aluEI, aux: a, flags: fl, undefined: und, attrs: lk))
        t.append(row(n, "Eb,Ib", "82 /\(i)", .aluEI, aux: a, flags: fl, undefined: und, attrs: lk + " i64"))
        t.append(row(n, "Ev,Ibs", "83 /\(i)", .aluEI, aux: a, flags: fl, undefined: und, attrs: lk))
    }
    t += [
        row("TEST", "Eb,Gb", "84 /r", .testEG, flags: "oszapc", undefined: "a"),
        row("TEST", "Ev,Gv", "85 /r", .testEG, flags: "oszapc", undefined: "a"),
        row("TEST", "AL,Ib", "A8", .testEI, flags: "oszapc", undefined: "a"),
        row("TEST", "rAX,Iz", "A9", .testEI, flags: "oszapc", undefined: "a"),
        row("TEST", "Eb,Ib", "F6 /0", .testEI, flags: "oszapc", undefined: "a"),
        row("TEST", "Eb,Ib", "F6 /1", .testEI, flags: "oszapc", undefined: "a"),
        row("TEST", "Ev,Iz", "F7 /0", .testEI, flags: "oszapc", undefined: "a"),
        row("TEST", "Ev,Iz", "F7 /1", .testEI, flags: "oszapc", undefined: "a"),
        row("NOT", "Eb", "F6 /2", .notE, attrs: "lock"),
        row("NOT", "Ev", "F7 /2", .notE, attrs: "lock"),
        row("NEG", "Eb", "F6 /3", .negE, flags: "oszapc", attrs: "lock"),
        row("NEG", "Ev", "F7 /3", .negE, flags: "oszapc", attrs: "lock"),
        // MUL/IMUL: SF ZF AF PF undefined (SDM "MUL"). DIV/IDIV: all six undefined.
        row("MUL", "Eb", "F6 /4", .mulE, flags: "oszapc", undefined: "szap", cycles: 3),
        row("MUL", "Ev", "F7 /4", .mulE, flags: "oszapc", undefined: "szap", cycles: 3),
        row("IMUL", "Eb", "F6 /5", .imulE, flags: "oszapc", undefined: "szap", cycles: 3),
        row("IMUL", "Ev", "F7 /5", .imulE, flags: "oszapc", undefined: "szap", cycles: 3),
        row("DIV", "Eb", "F6 /6", .divE, flags: "oszapc", undefined: "oszapc", cycles: 20),
        row("DIV", "Ev", "F7 /6", .divE, flags: "oszapc", undefined: "oszapc", cycles: 25),
        row("IDIV", "Eb", "F6 /7", .idivE, flags: "oszapc", undefined: "oszapc", cycles: 20),
        row("IDIV", "Ev", "F7 /7", .idivE, flags: "oszapc", undefined: "oszapc", cycles: 25),
        row("IMUL", "Gv,Ev", "0F AF /r", .imulGE, flags: "oszapc", undefined: "szap", cycles: 3),
        row("IMUL", "Gv,Ev,Iz", "69 /r", .imulGEI, flags: "oszapc", undefined: "szap", cycles: 3),
        row("IMUL", "Gv,Ev,Ibs", "6B /r", .imulGEI, flags: "oszapc", undefined: "szap", cycles: 3),
        row("INC", "Eb", "FE /0", .incE, flags: "oszap", attrs: "lock"),
        row("DEC", "Eb", "FE /1", .decE, flags: "oszap", attrs: "lock"),
        row("INC", "Ev", "FF /0", .incE, flags: "oszap", attrs: "lock"),
        row("DEC", "Ev", "FF /1", .decE, flags: "oszap", attrs: "lock"),
        row("INC", "Zv", "40+r", .incE, flags: "oszap", attrs: "i64"),
        row("DEC", "Zv", "48+r", .decE, flags: "oszap", attrs: "i64"),
        // BCD (i64). DAA/DAS: OF undefined; AAA/AAS: OSZP undefined; AAM/AAD: OACF undefined.
        row("DAA", "", "27", .daa, flags: "oszapc", undefined: "o", attrs: "i64"),
        row("DAS", "", "2F", .das, flags: "oszapc", undefined: "o", attrs: "i64"),
        row("AAA", "", "37", .aaa, flags: "oszapc", undefined: "oszp", attrs: "i64"),
        row("AAS", "", "3F", .aas, flags: "oszapc", undefined: "oszp", attrs: "i64"),
        row("AAM", "Ib", "D4", .aam, flags: "oszapc", undefined: "oac", cycles: 10, attrs: "i64"),
        row("AAD", "Ib", "D5", .aad, flags: "oszapc", undefined: "oac", attrs: "i64"),
        row("SALC", "", "D6", .salc, attrs: "i64"),
        row("CBW", "", "98", .cbw),
        row("CWD", "", "99", .cwd),
    ]
    // Shifts and rotates (group 2). Counts are masked to 5 bits (6 with REX.W); OF is
    // defined only for 1-bit counts; AF undefined for shifts with a non-zero count.
    for (i, n) in shiftNames.enumerated() where i != 6 {
        let a = UInt8(i)
        let fl = i < 4 ? "oc" : "oszapc", und = i < 4 ? "o" : "oa"
        t.append(row(n, "Eb,1", "D0 /\(i)", .shiftEI, aux: a, flags: fl, undefined: und))
        t.append(row(n, "Ev,1", "D1 /\(i)", .shiftEI, aux: a, flags: fl, undefined: und))
        t.append(row(n, "Eb,CL", "D2 /\(i)", .shiftECL, aux: a, flags: fl, undefined: und))
        t.append(row(n, "Ev,CL", "D3 /\(i)", .shiftECL, aux: a, flags: fl, undefined: und))
        t.append(row(n, "Eb,Ib", "C0 /\(i)", .shiftEI, aux: a, flags: fl, undefined: und))
        t.append(row(n, "Ev,Ib", "C1 /\(i)", .shiftEI, aux: a, flags: fl, undefined: und))
    }
    // /6 is an undocumented alias of SHL (SAL); Intel CPUs execute it as SHL.
    for (enc, ops) in [("D0", "Eb,1"), ("D1", "Ev,1"), ("D2", "Eb,CL"), ("D3", "Ev,CL"), ("C0", "Eb,Ib"), ("C1", "Ev,Ib")] {
        t.append(row("SAL", ops, "\(enc) /6", enc == "D2" || enc == "D3" ? .shiftECL : .shiftEI, aux: 4,
                     flags: "oszapc", undefined: "oa"))
    }
    t += [
        row("SHLD", "Ev,Gv,Ib", "0F A4 /r", .shldI, flags: "oszapc", undefined: "oa"),
        row("SHLD", "Ev,Gv,CL", "0F A5 /r", .shldCL, flags: "oszapc", undefined: "oa"),
        row("SHRD", "Ev,Gv,Ib", "0F AC /r", .shrdI, flags: "oszapc", undefined: "oa"),
        row("SHRD", "Ev,Gv,CL", "0F AD /r", .shrdCL, flags: "oszapc", undefined: "oa"),
    ]
    // Bit operations.
    let btNames = ["BT", "BTS", "BTR", "BTC"]
    for (i, n) in btNames.enumerated() {
        let lk = i == 0 ? "" : "lock"
        t.append(row(n, "Ev,Gv", "0F \(hex(0xA3 + i * 8)) /r", .btEG, aux: UInt8(i), flags: "oszapc", undefined: "oszap", attrs: lk))
        t.append(row(n, "Ev,Ib", "0F BA /\(4 + i)", .btEI, aux: UInt8(i), flags: "oszapc", undefined: "oszap", attrs: lk))
    }
    t += [
        // BSF/BSR: ZF defined, others undefined; destination unchanged for a zero source (Intel
        // documents "undefined"; every Intel Core CPU leaves it unchanged, as AMD documents).
        row("BSF", "Gv,Ev", "0F BC /r", .bsf, flags: "oszapc", undefined: "osapc"),
        row("BSR", "Gv,Ev", "0F BD /r", .bsr, flags: "oszapc", undefined: "osapc"),
        row("TZCNT", "Gv,Ev", "F3 0F BC /r", .tzcnt, flags: "oszapc", undefined: "osap", feature: .bmi1),
        row("LZCNT", "Gv,Ev", "F3 0F BD /r", .lzcnt, flags: "oszapc", undefined: "osap", feature: .lzcnt),
        row("POPCNT", "Gv,Ev", "F3 0F B8 /r", .popcnt, flags: "oszapc", feature: .popcnt),
        row("BSWAP", "Zv", "0F C8+r", .bswap),
        row("ANDN", "Gy,By,Ey", "VEX.L0.NP.0F38 F2 /r", .andn, flags: "oszapc", undefined: "ap", feature: .bmi1),
        row("BEXTR", "Gy,Ey,By", "VEX.L0.NP.0F38 F7 /r", .bextr, flags: "oszapc", undefined: "sap", feature: .bmi1),
        row("BLSR", "By,Ey", "VEX.L0.NP.0F38 F3 /1", .blsr, flags: "oszapc", undefined: "ap", feature: .bmi1),
        row("BLSMSK", "By,Ey", "VEX.L0.NP.0F38 F3 /2", .blsmsk, flags: "oszapc", undefined: "ap", feature: .bmi1),
        row("BLSI", "By,Ey", "VEX.L0.NP.0F38 F3 /3", .blsi, flags: "oszapc", undefined: "ap", feature: .bmi1),
        row("BZHI", "Gy,Ey,By", "VEX.L0.NP.0F38 F5 /r", .bzhi, flags: "oszapc", undefined: "ap", feature: .bmi2),
        row("PDEP", "Gy,By,Ey", "VEX.L0.F2.0F38 F5 /r", .pdep, feature: .bmi2, cycles: 3),
        row("PEXT", "Gy,By,Ey", "VEX.L0.F3.0F38 F5 /r", .pext, feature: .bmi2, cycles: 3),
        row("MULX", "Gy,By,Ey", "VEX.L0.F2.0F38 F6 /r", .mulx, feature: .bmi2, cycles: 3),
        row("RORX", "Gy,Ey,Ib", "VEX.L0.F2.0F3A F0 /r", .rorx, feature: .bmi2),
        row("SARX", "Gy,Ey,By", "VEX.L0.F3.0F38 F7 /r", .sarx, feature: .bmi2),
        row("SHLX", "Gy,Ey,By", "VEX.L0.66.0F38 F7 /r", .shlx, feature: .bmi2),
        row("SHRX", "Gy,Ey,By", "VEX.L0.F2.0F38 F7 /r", .shrx, feature: .bmi2),
        row("ADCX", "Gy,Ey", "66 0F 38 F6 /r", .adcx, flags: "c", feature: .adx),
        row("ADOX", "Gy,Ey", "F3 0F 38 F6 /r", .adox, flags: "o", feature: .adx),
        row("CRC32", "Gy,Eb", "F2 0F 38 F0 /r", .crc32, aux: 1, feature: .sse42, cycles: 3, attrs: "notbyte"),
        row("CRC32", "Gy,Ev", "F2 0F 38 F1 /r", .crc32, feature: .sse42, cycles: 3),
        row("MOVBE", "Gv,Mv", "NP 0F 38 F0 /r mem", .movbe, aux: 0, feature: .movbe),
        row("MOVBE", "Mv,Gv", "NP 0F 38 F1 /r mem", .movbe, aux: 1, feature: .movbe),
        row("MOVBE", "Gv,Mv", "66 0F 38 F0 /r mem", .movbe, aux: 0, feature: .movbe),
        row("MOVBE", "Mv,Gv", "66 0F 38 F1 /r mem", .movbe, aux: 1, feature: .movbe),
    ]
    // Data movement.
    t += [
        row("MOV", "Eb,Gb", "88 /r", .movEG), row("MOV", "Ev,Gv", "89 /r", .movEG),
        row("MOV", "Gb,Eb", "8A /r", .movGE), row("MOV", "Gv,Ev", "8B /r", .movGE),
        row("MOV", "Ew,Sw", "8C /r", .movES, attrs: "nodiff"),
        row("MOV", "Sw,Ew", "8E /r", .movSE, attrs: "nodiff"),
        row("MOV", "AL,Ob", "A0", .movRO), row("MOV", "rAX,Ov", "A1", .movRO),
        row("MOV", "Ob,AL", "A2", .movOR), row("MOV", "Ov,rAX", "A3", .movOR),
        row("MOV", "Zb,Ib", "B0+r", .movEI), row("MOV", "Zv,Iv", "B8+r", .movEI),
        row("MOV", "Eb,Ib", "C6 /0", .movEI), row("MOV", "Ev,Iz", "C7 /0", .movEI),
        row("MOVZX", "Gv,Eb", "0F B6 /r", .movzx, attrs: "notbyte"), row("MOVZX", "Gv,Ew", "0F B7 /r", .movzx),
        row("MOVSX", "Gv,Eb", "0F BE /r", .movsx, attrs: "notbyte"), row("MOVSX", "Gv,Ew", "0F BF /r", .movsx),
        row("MOVSXD", "Gv,Ed", "63 /r", .movsxd, attrs: "o64"),
        row("ARPL", "Ew,Gw", "63 /r", .arpl, flags: "z", attrs: "i64 nodiff"),
        row("LEA", "Gv,M", "8D /r mem", .lea),
        row("XCHG", "Eb,Gb", "86 /r", .xchgEG, attrs: "lock"), row("XCHG", "Ev,Gv", "87 /r", .xchgEG, attrs: "lock"),
        row("XCHG", "Zv,rAX", "90+r", .xchgEG),
        row("XADD", "Eb,Gb", "0F C0 /r", .xadd, flags: "oszapc", attrs: "lock"),
        row("XADD", "Ev,Gv", "0F C1 /r", .xadd, flags: "oszapc", attrs: "lock"),
        row("CMPXCHG", "Eb,Gb", "0F B0 /r", .cmpxchg, flags: "oszapc", attrs: "lock"),
        row("CMPXCHG", "Ev,Gv", "0F B1 /r", .cmpxchg, flags: "oszapc", attrs: "lock"),
        row("CMPXCHG8B", "Mq", "0F C7 /1 mem W0", .cmpxchg8b, flags: "z", feature: .cx8, attrs: "lock"),
        row("CMPXCHG16B", "Mdq", "0F C7 /1 mem W1", .cmpxchg8b, flags: "z", feature: .cx16, attrs: "lock"),
        row("PUSH", "Ev", "FF /6", .push, attrs: "d64"),
        row("PUSH", "Zv", "50+r", .push, attrs: "d64"),
        row("PUSH", "Iz", "68", .pushI, attrs: "d64"),
        row("PUSH", "Ibs", "6A", .pushI, attrs: "d64"),
        row("POP", "Ev", "8F /0", .pop, attrs: "d64"),
        row("POP", "Zv", "58+r", .pop, attrs: "d64"),
        row("PUSH", "ES", "06", .pushSeg, aux: 0, attrs: "i64"), row("POP", "ES", "07", .popSeg, aux: 0, attrs: "i64 nodiff"),
        row("PUSH", "CS", "0E", .pushSeg, aux: 1, attrs: "i64"),
        row("PUSH", "SS", "16", .pushSeg, aux: 2, attrs: "i64"), row("POP", "SS", "17", .popSeg, aux: 2, attrs: "i64 end nodiff"),
        row("PUSH", "DS", "1E", .pushSeg, aux: 3, attrs: "i64"), row("POP", "DS", "1F", .popSeg, aux: 3, attrs: "i64 nodiff"),
        row("PUSH", "FS", "0F A0", .pushSeg, aux: 4, attrs: "d64"), row("POP", "FS", "0F A1", .popSeg, aux: 4, attrs: "d64 nodiff"),
        row("PUSH", "GS", "0F A8", .pushSeg, aux: 5, attrs: "d64"), row("POP", "GS", "0F A9", .popSeg, aux: 5, attrs: "d64 nodiff"),
        row("PUSHA", "", "60", .pusha, attrs: "i64"), row("POPA", "", "61", .popa, attrs: "i64"),
        row("PUSHF", "", "9C", .pushf, attrs: "d64"),
        row("POPF", "", "9D", .popf, flags: "oszapc", attrs: "d64 end"),
        row("ENTER", "Iw,Iw2", "C8", .enter, cycles: 4, attrs: "d64"),
        row("LEAVE", "", "C9", .leave, attrs: "d64"),
        row("LAHF", "", "9F", .lahf, feature: .lahf64),
        row("SAHF", "", "9E", .sahf, flags: "szapc", feature: .lahf64),
        row("XLAT", "", "D7", .xlat),
        // 90 is XCHG eAX,eAX; the decoder names it NOP (PAUSE with F3) unless REX.B is set.
        row("NOP", "", "90", .nop, attrs: "alias"),
        row("PAUSE", "", "F3 90", .pause, attrs: "alias"),
        row("NOP", "Ev", "0F 1F /0", .nop),
        row("BOUND", "Gv,Mv", "62 /r mem", .bound, attrs: "i64"),
        row("LES", "Gz,Mp", "C4 /r mem", .loadFarPtr, aux: 0, attrs: "i64 nodiff"),
        row("LDS", "Gz,Mp", "C5 /r mem", .loadFarPtr, aux: 3, attrs: "i64 nodiff"),
        row("LSS", "Gv,Mp", "0F B2 /r mem", .loadFarPtr, aux: 2, attrs: "nodiff end"),
        row("LFS", "Gv,Mp", "0F B4 /r mem", .loadFarPtr, aux: 4, attrs: "nodiff"),
        row("LGS", "Gv,Mp", "0F B5 /r mem", .loadFarPtr, aux: 5, attrs: "nodiff"),
    ]
    for c in 0..<16 {
        t.append(row("CMOV\(ccNames[c])", "Gv,Ev", "0F \(hex(0x40 + c)) /r", .cmov, aux: UInt8(c), feature: .cmov))
        t.append(row("SET\(ccNames[c])", "Eb", "0F \(hex(0x90 + c)) /r", .setcc, aux: UInt8(c)))
        t.append(row("J\(ccNames[c])", "Jb", "\(hex(0x70 + c))", .jcc, aux: UInt8(c), attrs: "f64 end"))
        t.append(row("J\(ccNames[c])", "Jz", "0F \(hex(0x80 + c))", .jcc, aux: UInt8(c), attrs: "f64 end"))
    }
    // Control transfer.
    t += [
        row("JMP", "Jb", "EB", .jmpRel, attrs: "f64 end"),
        row("JMP", "Jz", "E9", .jmpRel, attrs: "f64 end"),
        row("CALL", "Jz", "E8", .callRel, cycles: 2, attrs: "f64 end"),
        row("RET", "", "C3", .ret, cycles: 2, attrs: "f64 end"),
        row("RET", "Iw", "C2", .ret, cycles: 2, attrs: "f64 end"),
        row("JMP", "Ev", "FF /4", .jmpE, attrs: "f64 end"),
        row("CALL", "Ev", "FF /2", .callE, cycles: 2, attrs: "f64 end"),
        row("JMP", "Ap", "EA", .jmpFar, cycles: 10, attrs: "i64 end nodiff"),
        row("CALL", "Ap", "9A", .callFar, cycles: 10, attrs: "i64 end nodiff"),
        row("JMP", "Mp", "FF /5 mem", .jmpFarM, cycles: 10, attrs: "end nodiff"),
        row("CALL", "Mp", "FF /3 mem", .callFarM, cycles: 10, attrs: "end nodiff"),
        row("RETF", "", "CB", .retFar, cycles: 10, attrs: "end nodiff"),
        row("RETF", "Iw", "CA", .retFar, cycles: 10, attrs: "end nodiff"),
        row("IRET", "", "CF", .iret, flags: "oszapc", cycles: 20, attrs: "end nodiff"),
        row("LOOPNE", "Jb", "E0", .loop, aux: 0, attrs: "f64 end"),
        row("LOOPE", "Jb", "E1", .loop, aux: 1, attrs: "f64 end"),
        row("LOOP", "Jb", "E2", .loop, aux: 2, attrs: "f64 end"),
        row("JCXZ", "Jb", "E3", .jcxz, attrs: "f64 end"),
        row("INT3", "", "CC", .int3, cycles: 20, attrs: "end"),
        row("INT", "Ib", "CD", .intN, cycles: 20, attrs: "end"),
        row("INTO", "", "CE", .into, cycles: 20, attrs: "i64 end"),
        row("INT1", "", "F1", .int1, cycles: 20, attrs: "end"),
        row("CLC", "", "F8", .clc, flags: "c"), row("STC", "", "F9", .stc, flags: "c"),
        row("CMC", "", "F5", .cmc, flags: "c"),
        row("CLD", "", "FC", .cld), row("STD", "", "FD", .std),
        row("CLI", "", "FA", .cli, attrs: "nodiff"), row("STI", "", "FB", .sti, attrs: "end nodiff"),
    ]
    // Strings and I/O.
    t += [
        row("MOVSB", "Yb,Xb", "A4", .movs, attrs: "rep"), row("MOVS", "Yv,Xv", "A5", .movs, attrs: "rep"),
        row("CMPSB", "Xb,Yb", "A6", .cmps, flags: "oszapc", attrs: "rep"), row("CMPS", "Xv,Yv", "A7", .cmps, flags: "oszapc", attrs: "rep"),
        row("STOSB", "Yb,AL", "AA", .stos, attrs: "rep"), row("STOS", "Yv,rAX", "AB", .stos, attrs: "rep"),
        row("LODSB", "AL,Xb", "AC", .lods, attrs: "rep"), row("LODS", "rAX,Xv", "AD", .lods, attrs: "rep"),
        row("SCASB", "AL,Yb", "AE", .scas, flags: "oszapc", attrs: "rep"), row("SCAS", "rAX,Yv", "AF", .scas, flags: "oszapc", attrs: "rep"),
        row("INSB", "Yb,DX", "6C", .ins, cycles: 10, attrs: "rep nodiff"), row("INS", "Yv,DX", "6D", .ins, cycles: 10, attrs: "rep nodiff"),
        row("OUTSB", "DX,Xb", "6E", .outs, cycles: 10, attrs: "rep nodiff"), row("OUTS", "DX,Xv", "6F", .outs, cycles: 10, attrs: "rep nodiff"),
        row("IN", "AL,Ib", "E4", .inI, cycles: 10, attrs: "nodiff"), row("IN", "eAX,Ib", "E5", .inI, cycles: 10, attrs: "nodiff"),
        row("OUT", "Ib,AL", "E6", .outI, cycles: 10, attrs: "end nodiff"), row("OUT", "Ib,eAX", "E7", .outI, cycles: 10, attrs: "end nodiff"),
        row("IN", "AL,DX", "EC", .inDX, cycles: 10, attrs: "nodiff"), row("IN", "eAX,DX", "ED", .inDX, cycles: 10, attrs: "nodiff"),
        row("OUT", "DX,AL", "EE", .outDX, cycles: 10, attrs: "end nodiff"), row("OUT", "DX,eAX", "EF", .outDX, cycles: 10, attrs: "end nodiff"),
    ]
    return t
}
