// CPUID (SDM Vol. 2 "CPUID"): one coherent Intel model that advertises exactly what swemu
// implements; -cpu MODEL,+feat/-feat edits the `features` set, and the decoder turns the
// instructions of a removed feature into #UD.

public struct CPUModel {
    public var name: String
    public var family = 6, model = 0x5E, stepping = 3       // Skylake client signature
    public var features: Feature
    public var physBits = 39
    public var pages1G = true
    public var brand = "swemu virtual CPU (Intel Skylake-class)"
    public var tscHz: UInt64 = 2_000_000_000
    /// CPUID vendor string: "GenuineIntel", or "AuthenticAMD" (-cpu ...,vendor=AuthenticAMD),
    /// which also selects AMD's rule that SYSCALL works in compatibility mode.
    public var vendor = "GenuineIntel"
    public var isAMD: Bool { vendor == "AuthenticAMD" }
    /// Logical processors in the package (the machine sets -smp N): one core per CPU,
    /// one thread per core, as QEMU's default topology for -smp N.
    public var packageCPUs = 1

    public static let allInteger: Feature = [.cx8, .cmov, .cx16, .movbe, .popcnt, .lzcnt, .bmi1, .bmi2, .adx,
                                             .rdrand, .rdseed, .rdtscp, .rdpid, .smap, .invpcid, .clflushopt,
                                             .sysenter, .syscall, .lm, .fsgsbase, .clflush, .lahf64,
                                             .apic, .x2apic, .tscDeadline, .pcid, .umip, .pku, .pks]
    /// MMX, SSE through SSE4.2, AES-NI, PCLMULQDQ and FXSAVE (the floating-point issue).
    public static let allSIMD: Feature = [.mmx, .sse, .sse2, .sse3, .ssse3, .sse41, .sse42, .pclmul, .aes, .fxsr]
    public static let `default` = CPUModel(name: "max", features: allInteger.union(allSIMD))
    /// Everything the decoder knows, for the differential tester.
    public static let difftest = CPUModel(name: "difftest", features: allInteger.union(allSIMD))

    public static let featureNames: [(String, Feature)] = [
        ("cx8", .cx8), ("cmov", .cmov), ("cx16", .cx16), ("movbe", .movbe), ("popcnt", .popcnt),
        ("abm", .lzcnt), ("lzcnt", .lzcnt), ("bmi1", .bmi1), ("bmi2", .bmi2), ("adx", .adx),
        ("rdrand", .rdrand), ("rdseed", .rdseed), ("rdtscp", .rdtscp), ("rdpid", .rdpid), ("smap", .smap),
        ("invpcid", .invpcid), ("clflushopt", .clflushopt), ("sep", .sysenter), ("syscall", .syscall),
        ("lm", .lm), ("fsgsbase", .fsgsbase), ("clflush", .clflush), ("lahf_lm", .lahf64),
        ("pcid", .pcid), ("umip", .umip), ("pku", .pku), ("pks", .pks),
        ("apic", .apic), ("x2apic", .x2apic), ("tsc-deadline", .tscDeadline), ("tsc_deadline_timer", .tscDeadline),
        ("mmx", .mmx), ("sse", .sse), ("sse2", .sse2), ("sse3", .sse3), ("pni", .sse3), ("ssse3", .ssse3),
        ("sse4.1", .sse41), ("sse4_1", .sse41), ("sse4.2", .sse42), ("sse4_2", .sse42),
        ("pclmulqdq", .pclmul), ("pclmuldq", .pclmul), ("aes", .aes), ("fxsr", .fxsr),
        ("avx", .avx), ("avx2", .avx2), ("fma", .fma), ("f16c", .f16c),
        ("xsave", .xsave), ("xsaveopt", .xsaveopt), ("xsavec", .xsavec), ("xsaves", .xsaves),
    ]
    public static func named(_ n: String) -> CPUModel? {
        switch n {
        case "max": return .default
        case "IvyBridge", "SandyBridge", "Haswell", "Broadwell":
            // Older Intel client parts: no SMAP, ADX, RDSEED, CLFLUSHOPT, RDPID (subset only:
            // swemu's integer core is the same).
            var m = CPUModel.default; m.name = n; m.model = 0x3A; m.stepping = 9
            m.features.subtract([.smap, .adx, .rdseed, .clflushopt, .rdpid, .umip])
            if n != "IvyBridge" && n != "SandyBridge" { m.model = 0x3C }
            return m
        case "Skylake-Server", "Cascadelake-Server", "Icelake-Server":
            var m = CPUModel.default; m.name = n; m.model = 0x55; m.stepping = 4
            if n == "Skylake-Server" { m.features.remove(.rdpid) }
            return m
        case "Opteron_G1":
            var m = CPUModel(name: "Opteron_G1", features: [.cx8, .cmov, .sysenter, .syscall, .lm, .clflush, .apic,
                                                             .mmx, .fxsr, .sse, .sse2])
            m.family = 15; m.model = 6; m.stepping = 1; m.pages1G = false; m.vendor = "AuthenticAMD"
            m.brand = "AMD Opteron 240 (Gen 1 Class Opteron)"
            return m
        case "qemu64":
            var m = CPUModel(name: "qemu64", features: [.cx8, .cmov, .cx16, .popcnt, .sysenter, .syscall, .lm, .clflush, .lahf64, .apic,
                                                         .mmx, .fxsr, .sse, .sse2, .sse3])
            m.family = 15; m.model = 107; m.stepping = 1; m.pages1G = false
            m.brand = "QEMU Virtual CPU version 2.5+"
            return m
        case "Skylake-Client", "skylake-client":
            var m = CPUModel.default; m.name = "Skylake-Client"
            m.features.remove(.rdpid)          // RDPID arrived after Skylake
            return m
        default: return nil
        }
    }
}

extension CPU {
    public func cpuid(_ leaf: UInt32, _ sub: UInt32) -> (UInt32, UInt32, UInt32, UInt32) {
        let f = model.features
        func bit(_ x: Feature, _ b: Int) -> UInt32 { f.contains(x) ? 1 << UInt32(b) : 0 }
        switch leaf {
        case 0:
            // "GenuineIntel": EBX "Genu", EDX "ineI", ECX "ntel".
            // EBX, EDX, ECX spell the vendor ("Genu" "ineI" "ntel").
            let b = Array(model.vendor.utf8)
            func w(_ k: Int) -> UInt32 { UInt32(b[k]) | UInt32(b[k + 1]) << 8 | UInt32(b[k + 2]) << 16 | UInt32(b[k + 3]) << 24 }
            return (0x16, w(0), w(8), w(4))
        case 1:
            let sig = UInt32(model.stepping) | UInt32(model.model & 0xF) << 4 | UInt32(min(model.family, 15)) << 8
                | UInt32(model.model >> 4) << 16 | UInt32(max(model.family - 15, 0)) << 20
            // EBX: initial APIC ID, logical processors per package, CLFLUSH line 64 bytes.
            let n = UInt32(min(max(model.packageCPUs, 1), 255))
            let ebx = UInt32(apicID & 0xFF) << 24 | n << 16 | 8 << 8
            // PCID (bit 17) is always implemented (the TLB flushes instead of tagging).
            var ecx: UInt32 = bit(.pcid, 17) | bit(.cx16, 13) | bit(.movbe, 22) | bit(.popcnt, 23) | bit(.rdrand, 30)
            ecx |= bit(.sse3, 0) | bit(.pclmul, 1) | bit(.ssse3, 9) | bit(.fma, 12) | bit(.sse41, 19) | bit(.sse42, 20)
            ecx |= bit(.aes, 25) | bit(.xsave, 26) | bit(.avx, 28) | bit(.f16c, 29)
            if f.contains(.xsave) && s.pointee.cr4 & CR4.osxsave != 0 { ecx |= 1 << 27 }   // OSXSAVE
            ecx |= bit(.x2apic, 21) | bit(.tscDeadline, 24)
            var edx: UInt32 = 1 << 0 | 1 << 1 | 1 << 2 | 1 << 3 | 1 << 4 | 1 << 5 | 1 << 6 | 1 << 13 | 1 << 16 | 1 << 17
            edx |= bit(.cx8, 8) | (apicEnabled ? bit(.apic, 9) : 0) | bit(.sysenter, 11) | bit(.cmov, 15) | bit(.clflush, 19)
            edx |= bit(.mmx, 23) | bit(.fxsr, 24) | bit(.sse, 25) | bit(.sse2, 26)
            if n > 1 { edx |= 1 << 28 }            // HTT: more than one logical processor
            return (sig, ebx, ecx, edx)
        case 7 where sub == 0:
            let ebx = bit(.fsgsbase, 0) | bit(.bmi1, 3) | bit(.avx2, 5) | 1 << 7 | bit(.bmi2, 8) | 1 << 9 | bit(.invpcid, 10)
                | bit(.rdseed, 18) | bit(.adx, 19) | bit(.smap, 20) | bit(.clflushopt, 23)
            // ECX: UMIP, PKU, OSPKE (= CR4.PKE), RDPID, PKS.
            let ospke: UInt32 = s.pointee.cr4 & CR4.pke != 0 ? 1 << 4 : 0
            return (0, ebx, bit(.umip, 2) | bit(.pku, 3) | ospke | bit(.rdpid, 22) | bit(.pks, 31), 0)
        case 4:
            // Deterministic cache parameters: L1d, L1i, L2, L3 (32K, 32K, 256K, 8M), one core
            // per CPU; EAX[31:26] = cores per package - 1, EAX[25:14] = threads sharing - 1.
            let cores = UInt32(min(max(model.packageCPUs, 1), 64)) - 1
            func cache(_ type: UInt32, _ level: UInt32, _ ways: UInt32, _ sets: UInt32, _ shared: UInt32) -> (UInt32, UInt32, UInt32, UInt32) {
                (cores << 26 | shared << 14 | 1 << 8 | level << 5 | type, (ways - 1) << 22 | 63, sets - 1, level == 3 ? 2 : 0)
            }
            switch sub {
            case 0: return cache(1, 1, 8, 64, 0)
            case 1: return cache(2, 1, 8, 64, 0)
            case 2: return cache(3, 2, 4, 1024, 0)
            case 3: return cache(3, 3, 16, 8192, cores)
            default: return (0, 0, 0, 0)
            }
        case 0xB:
            // x2APIC topology (SDM Vol. 3, 8.9.4): level 0 SMT (1 thread), level 1 core.
            let n = UInt32(max(model.packageCPUs, 1))
            var shift: UInt32 = 0
            while (1 << shift) < n { shift += 1 }
            switch sub {
            case 0: return (0, 1, 1 << 8 | sub, apicID)
            case 1: return (shift, n, 2 << 8 | sub, apicID)
            default: return (0, 0, sub & 0xFF, apicID)
            }
        case 0x15:
            // TSC / core crystal clock: TSC = crystal * EBX / EAX (SDM Vol. 3, 18.7.3), crystal
            // 25 MHz so the nominal TSC frequency is exact.
            return (1, UInt32(model.tscHz / 25_000_000), 25_000_000, 0)
        case 0x16:
            let mhz = UInt32(model.tscHz / 1_000_000)
            return (mhz, mhz, 100, 0)
        case 2, 3, 5, 6, 8, 9, 0xA, 0xC, 0xD, 0xE, 0xF, 0x10, 0x11, 0x12, 0x13, 0x14: return (0, 0, 0, 0)
        case 0x8000_0000: return (0x8000_0008, 0, 0, 0)
        case 0x8000_0001:
            let ecx = bit(.lahf64, 0) | bit(.lzcnt, 5) | 1 << 8
            let edx = bit(.syscall, 11) | 1 << 20 | (model.pages1G ? 1 << 26 : 0) | bit(.rdtscp, 27) | bit(.lm, 29)
            return (0, 0, ecx, edx)
        case 0x8000_0002...0x8000_0004:
            var b = Array(model.brand.utf8.prefix(47)); b += [UInt8](repeating: 0, count: 48 - b.count)
            let o = Int(leaf - 0x8000_0002) * 16
            func w(_ k: Int) -> UInt32 { UInt32(b[o + k]) | UInt32(b[o + k + 1]) << 8 | UInt32(b[o + k + 2]) << 16 | UInt32(b[o + k + 3]) << 24 }
            return (w(0), w(4), w(8), w(12))
        case 0x8000_0008: return (UInt32(model.physBits) | 48 << 8, 0, 0, 0)
        default:
            // Intel returns the highest basic leaf's data for leaves above the maximum.
            if leaf < 0x8000_0000 && leaf > 0x16 { return cpuid(0x16, sub) }
            return (0, 0, 0, 0)
        }
    }
}
