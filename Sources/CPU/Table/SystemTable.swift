// Rows for system instructions (SDM Vol. 2 and Vol. 3). Most need processor state the
// user-mode difftest cannot set up ("nodiff"); the test kernels cover them.

func systemRows() -> [InsnForm] {
    [
        row("HLT", "", "F4", .hlt, attrs: "end nodiff"),
        row("CPUID", "", "0F A2", .cpuid, cycles: 30, attrs: "end nodiff"),
        row("RDTSC", "", "0F 31", .rdtsc, cycles: 20, attrs: "nodiff"),
        row("RDTSCP", "", "0F 01 F9", .rdtscp, feature: .rdtscp, cycles: 20, attrs: "nodiff"),
        row("RDPID", "Ry", "F3 0F C7 /7 reg", .rdpid, feature: .rdpid, attrs: "nodiff f64"),
        row("RDMSR", "", "0F 32", .rdmsr, cycles: 20, attrs: "nodiff"),
        row("WRMSR", "", "0F 30", .wrmsr, cycles: 20, attrs: "end nodiff"),
        row("RDPMC", "", "0F 33", .rdpmc, attrs: "nodiff"),
        row("SGDT", "Ms", "0F 01 /0 mem", .sgdt, attrs: "nodiff"),
        row("SIDT", "Ms", "0F 01 /1 mem", .sidt, attrs: "nodiff"),
        row("LGDT", "Ms", "0F 01 /2 mem", .lgdt, attrs: "end nodiff"),
        row("LIDT", "Ms", "0F 01 /3 mem", .lidt, attrs: "end nodiff"),
        row("SMSW", "Ev", "0F 01 /4", .smsw, attrs: "nodiff"),
        row("LMSW", "Ew", "0F 01 /6", .lmsw, attrs: "end nodiff"),
        row("INVLPG", "M", "0F 01 /7 mem", .invlpg, attrs: "end nodiff"),
        row("SWAPGS", "", "0F 01 F8", .swapgs, attrs: "o64 nodiff"),
        row("CLAC", "", "NP 0F 01 CA", .clac, feature: .smap, attrs: "end nodiff"),
        row("STAC", "", "NP 0F 01 CB", .stac, feature: .smap, attrs: "end nodiff"),
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
        row("MOV", "Cd,Ry", "0F 22 /r", .movCR, attrs: "end nodiff f64"),
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
        row("LFENCE", "", "NP 0F AE E8", .fence, feature: .sse2),
        row("MFENCE", "", "NP 0F AE F0", .fence, feature: .sse2),
        row("SFENCE", "", "NP 0F AE F8", .fence, feature: .sse2),
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
    public static let forms: [InsnForm] = integerRows() + systemRows()
}
