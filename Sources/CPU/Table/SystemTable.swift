// Rows for system instructions (SDM Vol. 2 and Vol. 3). Most need processor state the
// user-mode difftest cannot set up ("nodiff"); the test kernels cover them.

func systemRows() -> [InsnForm] {
    [
        row("HLT", "", "F4", .hlt, attrs: "end nodiff"),
        row("CPUID", "", "0F A2", .cpuid, cycles: 100, attrs: "end nodiff"),
        row("RDTSC", "", "0F 31", .rdtsc, cycles: 20, attrs: "nodiff"),
        row("RDTSCP", "", "0F 01 F9", .rdtscp, feature: .rdtscp, cycles: 20, attrs: "nodiff"),
        row("RDPID", "Ry", "F3 0F C7 /7 reg", .rdpid, feature: .rdpid, attrs: "nodiff f64"),
        row("RDMSR", "", "0F 32", .rdmsr, cycles: 20, attrs: "nodiff"),
        row("WRMSR", "", "0F 30", .wrmsr, cycles: 100, attrs: "end nodiff"),
        row("RDPMC", "", "0F 33", .rdpmc, attrs: "nodiff"),
        row("SGDT", "Ms", "0F 01 /0 mem", .sgdt, attrs: "nodiff"),
        row("SIDT", "Ms", "0F 01 /1 mem", .sidt, attrs: "nodiff"),
        row("LGDT", "Ms", "0F 01 /2 mem", .lgdt, attrs: "end nodiff"),
        row("LIDT", "Ms", "0F 01 /3 mem", .lidt, attrs: "end nodiff"),
        row("SMSW", "Ev", "0F 01 /4", .smsw, attrs: "nodiff"),
        row("LMSW", "Ew", "0F 01 /6", .lmsw, cycles: 150, attrs: "end nodiff"),
        row("INVLPG", "M", "0F 01 /7 mem", .invlpg, cycles: 100, attrs: "end nodiff"),
        row("SWAPGS", "", "0F 01 F8", .swapgs, attrs: "o64 nodiff"),
        row("CLAC", "", "NP 0F 01 CA", .clac, feature: .smap, attrs: "end nodiff"),
        row("STAC", "", "NP 0F 01 CB", .stac, feature: .smap, attrs: "end nodiff"),
        row("RDPKRU", "", "NP 0F 01 EE", .rdpkru, feature: .pku, attrs: "nodiff"),
        // x87 control instructions (SDM Vol. 1, 8.1.5-8.1.7): FPU initialisation and the
        // control/status words, which firmware and test code use before any arithmetic.
        row("FNINIT", "", "DB E3", .fninit, cycles: 20, attrs: "nodiff"),
        row("FNCLEX", "", "DB E2", .fnclex, cycles: 5, attrs: "nodiff"),
        row("FNSTSW", "Mw", "DD /7 mem", .fnstsw, cycles: 3, attrs: "nodiff"),
        row("FNSTSW", "AX", "DF E0", .fnstsw, cycles: 3, attrs: "nodiff"),
        row("FNSTCW", "Mw", "D9 /7 mem", .fnstcw, cycles: 3, attrs: "nodiff"),
        row("FLDCW", "Mw", "D9 /5 mem", .fldcw, cycles: 5, attrs: "nodiff"),
        row("WAIT", "", "9B", .fwait, attrs: "nodiff"),
        row("WRPKRU", "", "NP 0F 01 EF", .wrpkru, feature: .pku, attrs: "end nodiff"),
        row("SLDT", "Ew", "0F 00 /0", .sldt, attrs: "nodiff"),
        row("STR", "Ew", "0F 00 /1", .str, attrs: "nodiff"),
        row("LLDT", "Ew", "0F 00 /2", .lldt, attrs: "end nodiff"),
        row("LTR", "Ew", "0F 00 /3", .ltr, attrs: "end nodiff"),
        row("VERR", "Ew", "0F 00 /4", .verr, flags: "z", attrs: "nodiff"),
        row("VERW", "Ew", "0F 00 /5", .verw, flags: "z", attrs: "nodiff"),
        row("LAR", "Gv,Ew", "0F 02 /r", .lar, flags: "z", attrs: "nodiff"),
        row("LSL", "Gv,Ew", "0F 03 /r", .lsl, flags: "z", attrs: "nodiff"),
        row("CLTS", "", "0F 06", .clts, attrs: "nodiff"),
        row("INVD", "", "0F 08", .wbinvd, attrs: "nodiff"),
        row("WBINVD", "", "0F 09", .wbinvd, attrs: "nodiff"),
        // WBNOINVD: F3 0F 09; CPUs without it run it as WBINVD, so does swemu.
        row("WBNOINVD", "", "F3 0F 09", .wbinvd, attrs: "nodiff"),
        row("UD2", "", "0F 0B", .ud, attrs: "end"),
        row("UD1", "Gv,Ev", "0F B9 /r", .ud, attrs: "end"),
        row("UD0", "Gv,Ev", "0F FF /r", .ud, attrs: "end"),
        row("MOV", "Ry,Cd", "0F 20 /r", .movRC, attrs: "nodiff f64"),
        // Writes to control registers serialize and may flush the TLB: hundreds of cycles
        // on real parts (Intel optimization manual, "serializing instructions").
        row("MOV", "Cd,Ry", "0F 22 /r", .movCR, cycles: 150, attrs: "end nodiff f64"),
        row("MOV", "Ry,Dd", "0F 21 /r", .movRD, attrs: "nodiff f64"),
        row("MOV", "Dd,Ry", "0F 23 /r", .movDR, attrs: "end nodiff f64"),
        row("SYSCALL", "", "0F 05", .syscall, feature: .syscall, cycles: 20, attrs: "end nodiff"),
        row("SYSRET", "", "0F 07", .sysret, feature: .syscall, cycles: 20, attrs: "end nodiff"),
        row("SYSENTER", "", "0F 34", .sysenter, feature: .sysenter, cycles: 20, attrs: "end nodiff"),
        row("SYSEXIT", "", "0F 35", .sysexit, feature: .sysenter, cycles: 20, attrs: "end nodiff"),
        row("PREFETCHNTA", "M", "0F 18 /0 mem", .nop),
        row("PREFETCHT0", "M", "0F 18 /1 mem", .nop),
        row("PREFETCHT1", "M", "0F 18 /2 mem", .nop),
        row("PREFETCHT2", "M", "0F 18 /3 mem", .nop),
        row("PREFETCHW", "M", "0F 0D /1 mem", .nop),
        // The hint-NOP space 0F 18-0F 1F (SDM Vol. 2 "NOP"; A.3 Table A-3 note): Intel CPUs
        // execute encodings without a defined meaning as NOPs, which is why CET (ENDBR, RDSSP)
        // and MPX were placed here. Without CET enabled these execute as NOPs too.
        row("RESERVEDNOP", "Ev,Gv", "0F 18 /r reg", .nop),
        row("RESERVEDNOP", "Ev,Gv", "0F 19 /r", .nop),
        row("RESERVEDNOP", "Ev,Gv", "0F 1A /r", .nop),
        row("RESERVEDNOP", "Ev,Gv", "0F 1B /r", .nop),
        row("RESERVEDNOP", "Ev,Gv", "0F 1C /r reg", .nop),
        row("RESERVEDNOP", "Ev,Gv", "0F 1D /r", .nop),
        row("RESERVEDNOP", "Ev,Gv", "0F 1E /r", .nop),
        row("RESERVEDNOP", "Ev,Gv", "0F 1F /1", .nop), row("RESERVEDNOP", "Ev,Gv", "0F 1F /2", .nop),
        row("RESERVEDNOP", "Ev,Gv", "0F 1F /3", .nop), row("RESERVEDNOP", "Ev,Gv", "0F 1F /4", .nop),
        row("RESERVEDNOP", "Ev,Gv", "0F 1F /5", .nop), row("RESERVEDNOP", "Ev,Gv", "0F 1F /6", .nop),
        row("RESERVEDNOP", "Ev,Gv", "0F 1F /7", .nop),
        row("ENDBR64", "", "F3 0F 1E FA", .nop),
        row("ENDBR32", "", "F3 0F 1E FB", .nop),
        row("RDSSPD", "Ry", "F3 0F 1E /1 reg W0", .nop, attrs: "nodiff"),
        row("RDSSPQ", "Ry", "F3 0F 1E /1 reg W1", .nop, attrs: "o64 nodiff"),
        row("LFENCE", "", "NP 0F AE E8", .fence),
        row("MFENCE", "", "NP 0F AE F0", .fence),
        row("SFENCE", "", "NP 0F AE F8", .fence),
        row("CLFLUSH", "M", "NP 0F AE /7 mem", .clflush, feature: .clflush),
        row("CLFLUSHOPT", "M", "66 0F AE /7 mem", .clflush, feature: .clflushopt),
        row("RDFSBASE", "Ry", "F3 0F AE /0 reg", .rdfsbase, feature: .fsgsbase, attrs: "o64 nodiff"),
        row("RDGSBASE", "Ry", "F3 0F AE /1 reg", .rdgsbase, feature: .fsgsbase, attrs: "o64 nodiff"),
        row("WRFSBASE", "Ry", "F3 0F AE /2 reg", .wrfsbase, feature: .fsgsbase, attrs: "o64 nodiff"),
        row("WRGSBASE", "Ry", "F3 0F AE /3 reg", .wrgsbase, feature: .fsgsbase, attrs: "o64 nodiff"),
        // RDRAND/RDSEED r16/r32/r64: 66 is the operand size; F2/F3 select other instructions.
        row("RDRAND", "Ev", "NP 0F C7 /6 reg", .rdrand, flags: "oszapc", feature: .rdrand, attrs: "nodiff"),
        row("RDRAND", "Ev", "66 0F C7 /6 reg", .rdrand, flags: "oszapc", feature: .rdrand, attrs: "nodiff"),
        row("RDSEED", "Ev", "NP 0F C7 /7 reg", .rdseed, flags: "oszapc", feature: .rdseed, attrs: "nodiff"),
        row("RDSEED", "Ev", "66 0F C7 /7 reg", .rdseed, flags: "oszapc", feature: .rdseed, attrs: "nodiff"),
        row("INVPCID", "Gy,M", "66 0F 38 82 /r mem", .invpcid, feature: .invpcid, attrs: "end nodiff f64"),
    ]
}

public enum Table {
    /// Every instruction form swemu implements.
    public static let forms: [InsnForm] = integerRows() + systemRows() + sseRows() + x87Rows()
}
