// Rows for MMX, SSE, SSE2, SSE3, SSSE3, SSE4.1, SSE4.2, AES-NI and PCLMULQDQ in their legacy
// encodings (SDM Vol. 2 opcode map, Appendix A.3, Tables ). Operand kinds follow
// Appendix A.2 (V/W/U for XMM, P/Q/N for MMX; the suffix is the memory size). Cycle costs
// are rough Skylake latencies (Intel optimization manual, appendix C) until the clock model
// of the PC issue replaces them.

func sseRows() -> [InsnForm] {
    var t: [InsnForm] = []
    func r(_ m: String, _ ops: String, _ enc: String, _ h: H, _ aux: UInt8 = 0, _ f: Feature,
           cycles: UInt8 = 1, flags: String = "", attrs: String = "") {
        t.append(row(m, ops, enc, h, aux: aux, flags: flags, feature: f, cycles: cycles, attrs: attrs))
    }

    // Packed and scalar floating-point arithmetic: NP ps, 66 pd, F3 ss, F2 sd.
    let arith: [(String, UInt8, UInt8, UInt8)] = [
        ("ADD", 0x58, KFP.ADDPS, 4), ("MUL", 0x59, KFP.MULPS, 4), ("SUB", 0x5C, KFP.SUBPS, 4),
        ("MIN", 0x5D, KFP.MINPS, 4), ("DIV", 0x5E, KFP.DIVPS, 11), ("MAX", 0x5F, KFP.MAXPS, 4),
        ("SQRT", 0x51, KFP.SQRTPS, 12),
    ]
    for (n, op, k, c) in arith {
        let o = hex(Int(op))
        r(n + "PS", "Vx,Wx", "NP 0F \(o) /r", .vfp, k, .sse, cycles: c)
        r(n + "PD", "Vx,Wx", "66 0F \(o) /r", .vfp, k + 1, .sse2, cycles: c)
        r(n + "SS", "Vx,Wd", "F3 0F \(o) /r", .vfp, k + 2, .sse, cycles: c)
        r(n + "SD", "Vx,Wq", "F2 0F \(o) /r", .vfp, k + 3, .sse2, cycles: c)
    }
    r("RSQRTPS", "Vx,Wx", "NP 0F 52 /r", .vfp, KFP.RSQRTPS, .sse, cycles: 4)
    r("RSQRTSS", "Vx,Wd", "F3 0F 52 /r", .vfp, KFP.RSQRTSS, .sse, cycles: 4)
    r("RCPPS", "Vx,Wx", "NP 0F 53 /r", .vfp, KFP.RCPPS, .sse, cycles: 4)
    r("RCPSS", "Vx,Wd", "F3 0F 53 /r", .vfp, KFP.RCPSS, .sse, cycles: 4)
    r("CMPPS", "Vx,Wx,Ib", "NP 0F C2 /r", .vfp, KFP.CMPLPS, .sse, cycles: 4)
    r("CMPPD", "Vx,Wx,Ib", "66 0F C2 /r", .vfp, KFP.CMPLPD, .sse2, cycles: 4)
    r("CMPSS", "Vx,Wd,Ib", "F3 0F C2 /r", .vfp, KFP.CMPLSS, .sse, cycles: 4)
    r("CMPSD", "Vx,Wq,Ib", "F2 0F C2 /r", .vfp, KFP.CMPLSD, .sse2, cycles: 4)
    r("UCOMISS", "Vx,Wd", "NP 0F 2E /r", .vcomi, KFP.UCOMISS, .sse, cycles: 3, flags: "oszapc")
    r("UCOMISD", "Vx,Wq", "66 0F 2E /r", .vcomi, KFP.UCOMISD, .sse2, cycles: 3, flags: "oszapc")
    r("COMISS", "Vx,Wd", "NP 0F 2F /r", .vcomi, KFP.COMISS, .sse, cycles: 3, flags: "oszapc")
    r("COMISD", "Vx,Wq", "66 0F 2F /r", .vcomi, KFP.COMISD, .sse2, cycles: 3, flags: "oszapc")

    // Logic on floating-point values is integer logic.
    for (n, op, k) in [("AND", 0x54, KInt.PAND), ("ANDN", 0x55, KInt.PANDN), ("OR", 0x56, KInt.POR), ("XOR", 0x57, KInt.PXOR)] {
        r(n + "PS", "Vx,Wx", "NP 0F \(hex(op)) /r", .vint, k, .sse)
        r(n + "PD", "Vx,Wx", "66 0F \(hex(op)) /r", .vint, k, .sse2)
    }
    r("UNPCKLPS", "Vx,Wx", "NP 0F 14 /r", .vint, KInt.UNPCKLPS, .sse)
    r("UNPCKLPD", "Vx,Wx", "66 0F 14 /r", .vint, KInt.UNPCKLPD, .sse2)
    r("UNPCKHPS", "Vx,Wx", "NP 0F 15 /r", .vint, KInt.UNPCKHPS, .sse)
    r("UNPCKHPD", "Vx,Wx", "66 0F 15 /r", .vint, KInt.UNPCKHPD, .sse2)
    r("SHUFPS", "Vx,Wx,Ib", "NP 0F C6 /r", .vint, KInt.SHUFPS, .sse)
    r("SHUFPD", "Vx,Wx,Ib", "66 0F C6 /r", .vint, KInt.SHUFPD, .sse2)
    r("MOVMSKPS", "Gy,Ux", "NP 0F 50 /r reg", .vmsk, KInt.MOVMSKPS, .sse)
    r("MOVMSKPD", "Gy,Ux", "66 0F 50 /r reg", .vmsk, KInt.MOVMSKPD, .sse2)

    // Conversions.
    r("CVTPS2PD", "Vx,Wq", "NP 0F 5A /r", .vfp, KFP.CVTPS2PD, .sse2, cycles: 4)
    r("CVTPD2PS", "Vx,Wx", "66 0F 5A /r", .vfp, KFP.CVTPD2PS, .sse2, cycles: 4)
    r("CVTSS2SD", "Vx,Wd", "F3 0F 5A /r", .vfp, KFP.CVTSS2SD, .sse2, cycles: 4)
    r("CVTSD2SS", "Vx,Wq", "F2 0F 5A /r", .vfp, KFP.CVTSD2SS, .sse2, cycles: 4)
    r("CVTDQ2PS", "Vx,Wx", "NP 0F 5B /r", .vfp, KFP.CVTDQ2PS, .sse2, cycles: 4)
    r("CVTPS2DQ", "Vx,Wx", "66 0F 5B /r", .vfp, KFP.CVTPS2DQ, .sse2, cycles: 4)
    r("CVTTPS2DQ", "Vx,Wx", "F3 0F 5B /r", .vfp, KFP.CVTTPS2DQ, .sse2, cycles: 4)
    r("CVTTPD2DQ", "Vx,Wx", "66 0F E6 /r", .vfp, KFP.CVTTPD2DQ, .sse2, cycles: 4)
    r("CVTDQ2PD", "Vx,Wq", "F3 0F E6 /r", .vfp, KFP.CVTDQ2PD, .sse2, cycles: 4)
    r("CVTPD2DQ", "Vx,Wx", "F2 0F E6 /r", .vfp, KFP.CVTPD2DQ, .sse2, cycles: 4)
    r("CVTSI2SS", "Vx,Ey", "F3 0F 2A /r", .vcvtFromGPR, KFP.CVTSI2SS32, .sse, cycles: 4)
    r("CVTSI2SD", "Vx,Ey", "F2 0F 2A /r", .vcvtFromGPR, KFP.CVTSI2SD32, .sse2, cycles: 4)
    r("CVTTSS2SI", "Gy,Wd", "F3 0F 2C /r", .vcvtToGPR, KFP.CVTTSS2SI32, .sse, cycles: 4)
    r("CVTTSD2SI", "Gy,Wq", "F2 0F 2C /r", .vcvtToGPR, KFP.CVTTSD2SI32, .sse2, cycles: 4)
    r("CVTSS2SI", "Gy,Wd", "F3 0F 2D /r", .vcvtToGPR, KFP.CVTSS2SI32, .sse, cycles: 4)
    r("CVTSD2SI", "Gy,Wq", "F2 0F 2D /r", .vcvtToGPR, KFP.CVTSD2SI32, .sse2, cycles: 4)
    r("CVTPI2PS", "Vx,Qq", "NP 0F 2A /r", .cvtFromMM, KFP.CVTPI2PS, .sse, cycles: 4)
    r("CVTPI2PD", "Vx,Qq", "66 0F 2A /r", .cvtFromMM, KFP.CVTPI2PD, .sse2, cycles: 4)
    r("CVTTPS2PI", "Pq,Wq", "NP 0F 2C /r", .cvtToMM, KFP.CVTTPS2PI, .sse, cycles: 4)
    r("CVTTPD2PI", "Pq,Wx", "66 0F 2C /r", .cvtToMM, KFP.CVTTPD2PI, .sse2, cycles: 4)
    r("CVTPS2PI", "Pq,Wq", "NP 0F 2D /r", .cvtToMM, KFP.CVTPS2PI, .sse, cycles: 4)
    r("CVTPD2PI", "Pq,Wx", "66 0F 2D /r", .cvtToMM, KFP.CVTPD2PI, .sse2, cycles: 4)

    // Moves.
    r("MOVUPS", "Vx,Wx", "NP 0F 10 /r", .movVW, 0, .sse, attrs: "unaligned")
    r("MOVUPD", "Vx,Wx", "66 0F 10 /r", .movVW, 0, .sse2, attrs: "unaligned")
    r("MOVSS", "Vx,Wd", "F3 0F 10 /r", .movScalarLoad, 0, .sse)
    r("MOVSD", "Vx,Wq", "F2 0F 10 /r", .movScalarLoad, 0, .sse2)
    r("MOVUPS", "Wx,Vx", "NP 0F 11 /r", .movWV, 0, .sse, attrs: "unaligned")
    r("MOVUPD", "Wx,Vx", "66 0F 11 /r", .movWV, 0, .sse2, attrs: "unaligned")
    r("MOVSS", "Wd,Vx", "F3 0F 11 /r", .movScalarStore, 0, .sse)
    r("MOVSD", "Wq,Vx", "F2 0F 11 /r", .movScalarStore, 0, .sse2)
    r("MOVLPS", "Vx,Wq", "NP 0F 12 /r mem", .movLH, 0, .sse)
    r("MOVHLPS", "Vx,Ux", "NP 0F 12 /r reg", .movLH, 2, .sse)
    r("MOVLPD", "Vx,Wq", "66 0F 12 /r mem", .movLH, 0, .sse2)
    r("MOVSLDUP", "Vx,Wx", "F3 0F 12 /r", .vint, KInt.MOVSLDUP, .sse3)
    r("MOVDDUP", "Vx,Wq", "F2 0F 12 /r", .vint, KInt.MOVDDUP, .sse3)
    r("MOVLPS", "Wq,Vx", "NP 0F 13 /r mem", .movLHStore, 0, .sse)
    r("MOVLPD", "Wq,Vx", "66 0F 13 /r mem", .movLHStore, 0, .sse2)
    r("MOVHPS", "Vx,Wq", "NP 0F 16 /r mem", .movLH, 1, .sse)
    r("MOVLHPS", "Vx,Ux", "NP 0F 16 /r reg", .movLH, 3, .sse)
    r("MOVHPD", "Vx,Wq", "66 0F 16 /r mem", .movLH, 1, .sse2)
    r("MOVSHDUP", "Vx,Wx", "F3 0F 16 /r", .vint, KInt.MOVSHDUP, .sse3)
    r("MOVHPS", "Wq,Vx", "NP 0F 17 /r mem", .movLHStore, 1, .sse)
    r("MOVHPD", "Wq,Vx", "66 0F 17 /r mem", .movLHStore, 1, .sse2)
    r("MOVAPS", "Vx,Wx", "NP 0F 28 /r", .movVW, 0, .sse)
    r("MOVAPD", "Vx,Wx", "66 0F 28 /r", .movVW, 0, .sse2)
    r("MOVAPS", "Wx,Vx", "NP 0F 29 /r", .movWV, 0, .sse)
    r("MOVAPD", "Wx,Vx", "66 0F 29 /r", .movWV, 0, .sse2)
    r("MOVNTPS", "Mx,Vx", "NP 0F 2B /r mem", .movWV, 0, .sse)
    r("MOVNTPD", "Mx,Vx", "66 0F 2B /r mem", .movWV, 0, .sse2)
    r("MOVD", "Vx,Ey", "66 0F 6E /r W0", .movdToX, 0, .sse2)
    r("MOVQ", "Vx,Ey", "66 0F 6E /r W1", .movdToX, 0, .sse2, attrs: "o64")
    r("MOVD", "Ey,Vx", "66 0F 7E /r W0", .movdFromX, 0, .sse2)
    r("MOVQ", "Ey,Vx", "66 0F 7E /r W1", .movdFromX, 0, .sse2, attrs: "o64")
    r("MOVQ", "Vx,Wq", "F3 0F 7E /r", .movqToX, 0, .sse2)
    r("MOVQ", "Wq,Vx", "66 0F D6 /r", .movqFromX, 0, .sse2)
    r("MOVDQA", "Vx,Wx", "66 0F 6F /r", .movVW, 0, .sse2)
    r("MOVDQU", "Vx,Wx", "F3 0F 6F /r", .movVW, 0, .sse2, attrs: "unaligned")
    r("MOVDQA", "Wx,Vx", "66 0F 7F /r", .movWV, 0, .sse2)
    r("MOVDQU", "Wx,Vx", "F3 0F 7F /r", .movWV, 0, .sse2, attrs: "unaligned")
    r("MOVNTDQ", "Mx,Vx", "66 0F E7 /r mem", .movWV, 0, .sse2)
    r("MOVNTI", "Ey,Gy", "NP 0F C3 /r mem", .movEG, 0, .sse2)
    r("LDDQU", "Vx,Mx", "F2 0F F0 /r mem", .movVW, 0, .sse3, attrs: "unaligned")
    r("MOVNTDQA", "Vx,Mx", "66 0F 38 2A /r mem", .movVW, 0, .sse41)
    r("MASKMOVDQU", "Vx,Ux", "66 0F F7 /r reg", .maskmov, 0, .sse2)
    r("MOVQ2DQ", "Vx,Nq", "F3 0F D6 /r reg", .movq2dq, 0, .sse2)
    r("MOVDQ2Q", "Pq,Ux", "F2 0F D6 /r reg", .movdq2q, 0, .sse2)
    r("LDMXCSR", "Md", "NP 0F AE /2 mem", .ldmxcsr, 0, .sse, cycles: 5)
    r("STMXCSR", "Md", "NP 0F AE /3 mem", .stmxcsr, 0, .sse, cycles: 3)
    r("FXSAVE", "M", "NP 0F AE /0 mem W0", .fxsave, 0, .fxsr, cycles: 60, attrs: "nodiff")
    r("FXSAVE64", "M", "NP 0F AE /0 mem W1", .fxsave, 0, .fxsr, cycles: 60, attrs: "nodiff o64")
    r("FXRSTOR", "M", "NP 0F AE /1 mem W0", .fxrstor, 0, .fxsr, cycles: 60, attrs: "nodiff")
    r("FXRSTOR64", "M", "NP 0F AE /1 mem W1", .fxrstor, 0, .fxsr, cycles: 60, attrs: "nodiff o64")

    // SSE3 horizontal and alternating arithmetic.
    r("ADDSUBPD", "Vx,Wx", "66 0F D0 /r", .vfp, KFP.ADDSUBPD, .sse3, cycles: 4)
    r("ADDSUBPS", "Vx,Wx", "F2 0F D0 /r", .vfp, KFP.ADDSUBPS, .sse3, cycles: 4)
    r("HADDPD", "Vx,Wx", "66 0F 7C /r", .vfp, KFP.HADDPD, .sse3, cycles: 6)
    r("HADDPS", "Vx,Wx", "F2 0F 7C /r", .vfp, KFP.HADDPS, .sse3, cycles: 6)
    r("HSUBPD", "Vx,Wx", "66 0F 7D /r", .vfp, KFP.HSUBPD, .sse3, cycles: 6)
    r("HSUBPS", "Vx,Wx", "F2 0F 7D /r", .vfp, KFP.HSUBPS, .sse3, cycles: 6)

    // Integer operations that exist for MMX (NP, P/Q) and XMM (66, V/W): opcode, name,
    // kernels, the feature of the MMX form and of the XMM form.
    let both: [(UInt8, String, UInt8, UInt8, Feature, UInt8)] = [
        (0x60, "PUNPCKLBW", KMMX.PUNPCKLBW, KInt.PUNPCKLBW, .mmx, 1), (0x61, "PUNPCKLWD", KMMX.PUNPCKLWD, KInt.PUNPCKLWD, .mmx, 1),
        (0x62, "PUNPCKLDQ", KMMX.PUNPCKLDQ, KInt.PUNPCKLDQ, .mmx, 1), (0x63, "PACKSSWB", KMMX.PACKSSWB, KInt.PACKSSWB, .mmx, 1),
        (0x64, "PCMPGTB", KMMX.PCMPGTB, KInt.PCMPGTB, .mmx, 1), (0x65, "PCMPGTW", KMMX.PCMPGTW, KInt.PCMPGTW, .mmx, 1),
        (0x66, "PCMPGTD", KMMX.PCMPGTD, KInt.PCMPGTD, .mmx, 1), (0x67, "PACKUSWB", KMMX.PACKUSWB, KInt.PACKUSWB, .mmx, 1),
        (0x68, "PUNPCKHBW", KMMX.PUNPCKHBW, KInt.PUNPCKHBW, .mmx, 1), (0x69, "PUNPCKHWD", KMMX.PUNPCKHWD, KInt.PUNPCKHWD, .mmx, 1),
        (0x6A, "PUNPCKHDQ", KMMX.PUNPCKHDQ, KInt.PUNPCKHDQ, .mmx, 1), (0x6B, "PACKSSDW", KMMX.PACKSSDW, KInt.PACKSSDW, .mmx, 1),
        (0x74, "PCMPEQB", KMMX.PCMPEQB, KInt.PCMPEQB, .mmx, 1), (0x75, "PCMPEQW", KMMX.PCMPEQW, KInt.PCMPEQW, .mmx, 1),
        (0x76, "PCMPEQD", KMMX.PCMPEQD, KInt.PCMPEQD, .mmx, 1),
        (0xD1, "PSRLW", KMMX.PSRLW, KInt.PSRLW, .mmx, 1), (0xD2, "PSRLD", KMMX.PSRLD, KInt.PSRLD, .mmx, 1),
        (0xD3, "PSRLQ", KMMX.PSRLQ, KInt.PSRLQ, .mmx, 1), (0xD4, "PADDQ", KMMX.PADDQ, KInt.PADDQ, .sse2, 1),
        (0xD5, "PMULLW", KMMX.PMULLW, KInt.PMULLW, .mmx, 5), (0xD8, "PSUBUSB", KMMX.PSUBUSB, KInt.PSUBUSB, .mmx, 1),
        (0xD9, "PSUBUSW", KMMX.PSUBUSW, KInt.PSUBUSW, .mmx, 1), (0xDA, "PMINUB", KMMX.PMINUB, KInt.PMINUB, .sse, 1),
        (0xDB, "PAND", KMMX.PAND, KInt.PAND, .mmx, 1), (0xDC, "PADDUSB", KMMX.PADDUSB, KInt.PADDUSB, .mmx, 1),
        (0xDD, "PADDUSW", KMMX.PADDUSW, KInt.PADDUSW, .mmx, 1), (0xDE, "PMAXUB", KMMX.PMAXUB, KInt.PMAXUB, .sse, 1),
        (0xDF, "PANDN", KMMX.PANDN, KInt.PANDN, .mmx, 1), (0xE0, "PAVGB", KMMX.PAVGB, KInt.PAVGB, .sse, 1),
        (0xE1, "PSRAW", KMMX.PSRAW, KInt.PSRAW, .mmx, 1), (0xE2, "PSRAD", KMMX.PSRAD, KInt.PSRAD, .mmx, 1),
        (0xE3, "PAVGW", KMMX.PAVGW, KInt.PAVGW, .sse, 1), (0xE4, "PMULHUW", KMMX.PMULHUW, KInt.PMULHUW, .sse, 5),
        (0xE5, "PMULHW", KMMX.PMULHW, KInt.PMULHW, .mmx, 5), (0xE8, "PSUBSB", KMMX.PSUBSB, KInt.PSUBSB, .mmx, 1),
        (0xE9, "PSUBSW", KMMX.PSUBSW, KInt.PSUBSW, .mmx, 1), (0xEA, "PMINSW", KMMX.PMINSW, KInt.PMINSW, .sse, 1),
        (0xEB, "POR", KMMX.POR, KInt.POR, .mmx, 1), (0xEC, "PADDSB", KMMX.PADDSB, KInt.PADDSB, .mmx, 1),
        (0xED, "PADDSW", KMMX.PADDSW, KInt.PADDSW, .mmx, 1), (0xEE, "PMAXSW", KMMX.PMAXSW, KInt.PMAXSW, .sse, 1),
        (0xEF, "PXOR", KMMX.PXOR, KInt.PXOR, .mmx, 1),
        (0xF1, "PSLLW", KMMX.PSLLW, KInt.PSLLW, .mmx, 1), (0xF2, "PSLLD", KMMX.PSLLD, KInt.PSLLD, .mmx, 1),
        (0xF3, "PSLLQ", KMMX.PSLLQ, KInt.PSLLQ, .mmx, 1), (0xF4, "PMULUDQ", KMMX.PMULUDQ, KInt.PMULUDQ, .sse2, 5),
        (0xF5, "PMADDWD", KMMX.PMADDWD, KInt.PMADDWD, .mmx, 5), (0xF6, "PSADBW", KMMX.PSADBW, KInt.PSADBW, .sse, 3),
        (0xF8, "PSUBB", KMMX.PSUBB, KInt.PSUBB, .mmx, 1), (0xF9, "PSUBW", KMMX.PSUBW, KInt.PSUBW, .mmx, 1),
        (0xFA, "PSUBD", KMMX.PSUBD, KInt.PSUBD, .mmx, 1), (0xFB, "PSUBQ", KMMX.PSUBQ, KInt.PSUBQ, .sse2, 1),
        (0xFC, "PADDB", KMMX.PADDB, KInt.PADDB, .mmx, 1), (0xFD, "PADDW", KMMX.PADDW, KInt.PADDW, .mmx, 1),
        (0xFE, "PADDD", KMMX.PADDD, KInt.PADDD, .mmx, 1),
    ]
    for (op, n, km, kx, fm, c) in both {
        // PUNPCKLBW/WD/DQ mm, mm/m32: the MMX forms read 32 bits from memory.
        r(n, op <= 0x62 ? "Pq,Qd" : "Pq,Qq", "NP 0F \(hex(Int(op))) /r", .mmx, km, fm, cycles: c)
        r(n, "Vx,Wx", "66 0F \(hex(Int(op))) /r", .vint, kx, .sse2, cycles: c)
    }
    r("PUNPCKLQDQ", "Vx,Wx", "66 0F 6C /r", .vint, KInt.PUNPCKLQDQ, .sse2)
    r("PUNPCKHQDQ", "Vx,Wx", "66 0F 6D /r", .vint, KInt.PUNPCKHQDQ, .sse2)
    // Shifts by an immediate: groups 12-14 (0F 71-73).
    let shifts: [(UInt8, Int, String, UInt8, UInt8)] = [
        (0x71, 2, "PSRLW", KMMX.PSRLWI, KInt.PSRLWI), (0x71, 4, "PSRAW", KMMX.PSRAWI, KInt.PSRAWI),
        (0x71, 6, "PSLLW", KMMX.PSLLWI, KInt.PSLLWI), (0x72, 2, "PSRLD", KMMX.PSRLDI, KInt.PSRLDI),
        (0x72, 4, "PSRAD", KMMX.PSRADI, KInt.PSRADI), (0x72, 6, "PSLLD", KMMX.PSLLDI, KInt.PSLLDI),
        (0x73, 2, "PSRLQ", KMMX.PSRLQI, KInt.PSRLQI), (0x73, 6, "PSLLQ", KMMX.PSLLQI, KInt.PSLLQI),
    ]
    for (op, g, n, km, kx) in shifts {
        r(n, "Nq,Ib", "NP 0F \(hex(Int(op))) /\(g) reg", .mmxShiftI, km, .mmx)
        r(n, "Ux,Ib", "66 0F \(hex(Int(op))) /\(g) reg", .vshiftI, kx, .sse2)
    }
    r("PSRLDQ", "Ux,Ib", "66 0F 73 /3 reg", .vshiftI, KInt.PSRLDQI, .sse2)
    r("PSLLDQ", "Ux,Ib", "66 0F 73 /7 reg", .vshiftI, KInt.PSLLDQI, .sse2)
    // MMX and SSE moves and the rest of MMX.
    r("MOVD", "Pq,Ey", "NP 0F 6E /r W0", .movdToMM, 0, .mmx)
    r("MOVQ", "Pq,Ey", "NP 0F 6E /r W1", .movdToMM, 0, .mmx, attrs: "o64")
    r("MOVD", "Ey,Pq", "NP 0F 7E /r W0", .movdFromMM, 0, .mmx)
    r("MOVQ", "Ey,Pq", "NP 0F 7E /r W1", .movdFromMM, 0, .mmx, attrs: "o64")
    r("MOVQ", "Pq,Qq", "NP 0F 6F /r", .movqMM, 0, .mmx)
    r("MOVQ", "Qq,Pq", "NP 0F 7F /r", .movqMMStore, 0, .mmx)
    r("MOVNTQ", "Qq,Pq", "NP 0F E7 /r mem", .movqMMStore, 0, .sse)
    r("MASKMOVQ", "Pq,Nq", "NP 0F F7 /r reg", .maskmov, 1, .sse)
    r("EMMS", "", "NP 0F 77", .emms, 0, .mmx, attrs: "nodiff")
    r("PSHUFW", "Pq,Qq,Ib", "NP 0F 70 /r", .mmx, KMMX.PSHUFW, .sse)
    r("PSHUFD", "Vx,Wx,Ib", "66 0F 70 /r", .vint, KInt.PSHUFD, .sse2)
    r("PSHUFHW", "Vx,Wx,Ib", "F3 0F 70 /r", .vint, KInt.PSHUFHW, .sse2)
    r("PSHUFLW", "Vx,Wx,Ib", "F2 0F 70 /r", .vint, KInt.PSHUFLW, .sse2)
    r("PINSRW", "Pq,Ewr,Ib", "NP 0F C4 /r", .pinsrwMM, 0, .sse)
    r("PINSRW", "Vx,Ewr,Ib", "66 0F C4 /r", .pinsr, 2, .sse2)
    r("PEXTRW", "Gy,Nq,Ib", "NP 0F C5 /r reg", .pextrwMM, 0, .sse)
    r("PEXTRW", "Gy,Ux,Ib", "66 0F C5 /r reg", .pextr, 0x82, .sse2)
    r("PMOVMSKB", "Gy,Nq", "NP 0F D7 /r reg", .mmxMsk, KMMX.PMOVMSKB, .sse)
    r("PMOVMSKB", "Gy,Ux", "66 0F D7 /r reg", .vmsk, KInt.PMOVMSKB, .sse2)

    // SSSE3 (0F 38 00-0B, 1C-1E; 0F 3A 0F), MMX (NP) and XMM (66) forms.
    let ssse3: [(UInt8, String, UInt8, UInt8, UInt8)] = [
        (0x00, "PSHUFB", KMMX.PSHUFB, KInt.PSHUFB, 1), (0x01, "PHADDW", KMMX.PHADDW, KInt.PHADDW, 3),
        (0x02, "PHADDD", KMMX.PHADDD, KInt.PHADDD, 3), (0x03, "PHADDSW", KMMX.PHADDSW, KInt.PHADDSW, 3),
        (0x04, "PMADDUBSW", KMMX.PMADDUBSW, KInt.PMADDUBSW, 5), (0x05, "PHSUBW", KMMX.PHSUBW, KInt.PHSUBW, 3),
        (0x06, "PHSUBD", KMMX.PHSUBD, KInt.PHSUBD, 3), (0x07, "PHSUBSW", KMMX.PHSUBSW, KInt.PHSUBSW, 3),
        (0x08, "PSIGNB", KMMX.PSIGNB, KInt.PSIGNB, 1), (0x09, "PSIGNW", KMMX.PSIGNW, KInt.PSIGNW, 1),
        (0x0A, "PSIGND", KMMX.PSIGND, KInt.PSIGND, 1), (0x0B, "PMULHRSW", KMMX.PMULHRSW, KInt.PMULHRSW, 5),
        (0x1C, "PABSB", KMMX.PABSB, KInt.PABSB, 1), (0x1D, "PABSW", KMMX.PABSW, KInt.PABSW, 1),
        (0x1E, "PABSD", KMMX.PABSD, KInt.PABSD, 1),
    ]
    for (op, n, km, kx, c) in ssse3 {
        r(n, "Pq,Qq", "NP 0F 38 \(hex(Int(op))) /r", .mmx, km, .ssse3, cycles: c)
        r(n, "Vx,Wx", "66 0F 38 \(hex(Int(op))) /r", .vint, kx, .ssse3, cycles: c)
    }
    r("PALIGNR", "Pq,Qq,Ib", "NP 0F 3A 0F /r", .mmx, KMMX.PALIGNR, .ssse3)
    r("PALIGNR", "Vx,Wx,Ib", "66 0F 3A 0F /r", .vint, KInt.PALIGNR, .ssse3)

    // SSE4.1 and SSE4.2 (66 0F 38, 66 0F 3A).
    let sse4: [(UInt8, String, UInt8, String, Feature, UInt8)] = [
        (0x28, "PMULDQ", KInt.PMULDQ, "Vx,Wx", .sse41, 5), (0x29, "PCMPEQQ", KInt.PCMPEQQ, "Vx,Wx", .sse41, 1),
        (0x2B, "PACKUSDW", KInt.PACKUSDW, "Vx,Wx", .sse41, 1), (0x37, "PCMPGTQ", KInt.PCMPGTQ, "Vx,Wx", .sse42, 3),
        (0x38, "PMINSB", KInt.PMINSB, "Vx,Wx", .sse41, 1), (0x39, "PMINSD", KInt.PMINSD, "Vx,Wx", .sse41, 1),
        (0x3A, "PMINUW", KInt.PMINUW, "Vx,Wx", .sse41, 1), (0x3B, "PMINUD", KInt.PMINUD, "Vx,Wx", .sse41, 1),
        (0x3C, "PMAXSB", KInt.PMAXSB, "Vx,Wx", .sse41, 1), (0x3D, "PMAXSD", KInt.PMAXSD, "Vx,Wx", .sse41, 1),
        (0x3E, "PMAXUW", KInt.PMAXUW, "Vx,Wx", .sse41, 1), (0x3F, "PMAXUD", KInt.PMAXUD, "Vx,Wx", .sse41, 1),
        (0x40, "PMULLD", KInt.PMULLD, "Vx,Wx", .sse41, 10), (0x41, "PHMINPOSUW", KInt.PHMINPOSUW, "Vx,Wx", .sse41, 4),
        (0x20, "PMOVSXBW", KInt.PMOVSXBW, "Vx,Wq", .sse41, 1), (0x21, "PMOVSXBD", KInt.PMOVSXBD, "Vx,Wd", .sse41, 1),
        (0x22, "PMOVSXBQ", KInt.PMOVSXBQ, "Vx,Ww", .sse41, 1), (0x23, "PMOVSXWD", KInt.PMOVSXWD, "Vx,Wq", .sse41, 1),
        (0x24, "PMOVSXWQ", KInt.PMOVSXWQ, "Vx,Wd", .sse41, 1), (0x25, "PMOVSXDQ", KInt.PMOVSXDQ, "Vx,Wq", .sse41, 1),
        (0x30, "PMOVZXBW", KInt.PMOVZXBW, "Vx,Wq", .sse41, 1), (0x31, "PMOVZXBD", KInt.PMOVZXBD, "Vx,Wd", .sse41, 1),
        (0x32, "PMOVZXBQ", KInt.PMOVZXBQ, "Vx,Ww", .sse41, 1), (0x33, "PMOVZXWD", KInt.PMOVZXWD, "Vx,Wq", .sse41, 1),
        (0x34, "PMOVZXWQ", KInt.PMOVZXWQ, "Vx,Wd", .sse41, 1), (0x35, "PMOVZXDQ", KInt.PMOVZXDQ, "Vx,Wq", .sse41, 1),
        (0xDB, "AESIMC", KInt.AESIMC, "Vx,Wx", .aes, 8), (0xDC, "AESENC", KInt.AESENC, "Vx,Wx", .aes, 4),
        (0xDD, "AESENCLAST", KInt.AESENCLAST, "Vx,Wx", .aes, 4), (0xDE, "AESDEC", KInt.AESDEC, "Vx,Wx", .aes, 4),
        (0xDF, "AESDECLAST", KInt.AESDECLAST, "Vx,Wx", .aes, 4),
    ]
    for (op, n, k, ops, f, c) in sse4 {
        r(n, ops, "66 0F 38 \(hex(Int(op))) /r", .vint, k, f, cycles: c)
    }
    r("PBLENDVB", "Vx,Wx", "66 0F 38 10 /r", .vblendv, KInt.PBLENDVB, .sse41)
    r("BLENDVPS", "Vx,Wx", "66 0F 38 14 /r", .vblendv, KInt.BLENDVPS, .sse41)
    r("BLENDVPD", "Vx,Wx", "66 0F 38 15 /r", .vblendv, KInt.BLENDVPD, .sse41)
    r("PTEST", "Vx,Wx", "66 0F 38 17 /r", .vptest, KInt.PTEST, .sse41, cycles: 3, flags: "oszapc")
    r("ROUNDPS", "Vx,Wx,Ib", "66 0F 3A 08 /r", .vfp, KFP.ROUNDPS, .sse41, cycles: 8)
    r("ROUNDPD", "Vx,Wx,Ib", "66 0F 3A 09 /r", .vfp, KFP.ROUNDPD, .sse41, cycles: 8)
    r("ROUNDSS", "Vx,Wd,Ib", "66 0F 3A 0A /r", .vfp, KFP.ROUNDSS, .sse41, cycles: 8)
    r("ROUNDSD", "Vx,Wq,Ib", "66 0F 3A 0B /r", .vfp, KFP.ROUNDSD, .sse41, cycles: 8)
    r("BLENDPS", "Vx,Wx,Ib", "66 0F 3A 0C /r", .vint, KInt.BLENDPS, .sse41)
    r("BLENDPD", "Vx,Wx,Ib", "66 0F 3A 0D /r", .vint, KInt.BLENDPD, .sse41)
    r("PBLENDW", "Vx,Wx,Ib", "66 0F 3A 0E /r", .vint, KInt.PBLENDW, .sse41)
    r("PEXTRB", "Ebr,Vx,Ib", "66 0F 3A 14 /r", .pextr, 1, .sse41)
    r("PEXTRW", "Ewr,Vx,Ib", "66 0F 3A 15 /r", .pextr, 2, .sse41)
    r("PEXTRD", "Ey,Vx,Ib", "66 0F 3A 16 /r W0", .pextr, 4, .sse41)
    r("PEXTRQ", "Ey,Vx,Ib", "66 0F 3A 16 /r W1", .pextr, 8, .sse41, attrs: "o64")
    r("EXTRACTPS", "Edr,Vx,Ib", "66 0F 3A 17 /r", .pextr, 4, .sse41)
    r("PINSRB", "Vx,Ebr,Ib", "66 0F 3A 20 /r", .pinsr, 1, .sse41)
    r("INSERTPS", "Vx,Wd,Ib", "66 0F 3A 21 /r", .vint, KInt.INSERTPS, .sse41)
    r("PINSRD", "Vx,Ey,Ib", "66 0F 3A 22 /r W0", .pinsr, 4, .sse41)
    r("PINSRQ", "Vx,Ey,Ib", "66 0F 3A 22 /r W1", .pinsr, 8, .sse41, attrs: "o64")
    r("DPPS", "Vx,Wx,Ib", "66 0F 3A 40 /r", .vfp, KFP.DPPS, .sse41, cycles: 13)
    r("DPPD", "Vx,Wx,Ib", "66 0F 3A 41 /r", .vfp, KFP.DPPD, .sse41, cycles: 9)
    r("MPSADBW", "Vx,Wx,Ib", "66 0F 3A 42 /r", .vint, KInt.MPSADBW, .sse41, cycles: 4)
    r("PCLMULQDQ", "Vx,Wx,Ib", "66 0F 3A 44 /r", .vint, KInt.PCLMULQDQ, .pclmul, cycles: 7)
    r("PCMPESTRM", "Vx,Wx,Ib", "66 0F 3A 60 /r W0", .vpcmpstr, KInt.PCMPESTRM, .sse42, cycles: 10, flags: "oszapc", attrs: "unaligned")
    r("PCMPESTRM64", "Vx,Wx,Ib", "66 0F 3A 60 /r W1", .vpcmpstr, KInt.PCMPESTRM, .sse42, cycles: 10, flags: "oszapc", attrs: "unaligned o64")
    r("PCMPESTRI", "Vx,Wx,Ib", "66 0F 3A 61 /r W0", .vpcmpstr, KInt.PCMPESTRI, .sse42, cycles: 10, flags: "oszapc", attrs: "unaligned")
    r("PCMPESTRI64", "Vx,Wx,Ib", "66 0F 3A 61 /r W1", .vpcmpstr, KInt.PCMPESTRI, .sse42, cycles: 10, flags: "oszapc", attrs: "unaligned o64")
    r("PCMPISTRM", "Vx,Wx,Ib", "66 0F 3A 62 /r", .vpcmpstr, KInt.PCMPISTRM, .sse42, cycles: 10, flags: "oszapc", attrs: "unaligned")
    r("PCMPISTRI", "Vx,Wx,Ib", "66 0F 3A 63 /r", .vpcmpstr, KInt.PCMPISTRI, .sse42, cycles: 10, flags: "oszapc", attrs: "unaligned")
    r("AESKEYGENASSIST", "Vx,Wx,Ib", "66 0F 3A DF /r", .vint, KInt.AESKEYGENASSIST, .aes, cycles: 7)
    return t
}
