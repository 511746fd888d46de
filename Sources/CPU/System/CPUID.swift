// CPUID (SDM Vol. 2 "CPUID"): one coherent Intel model that advertises exactly what swemu
// implements. Floating point, SSE and the APIC are not implemented yet, so their bits are
// clear; -cpu MODEL,+feat/-feat edits the `features` set.

public struct CPUModel {
    public var name: String
    public var family = 6, model = 0x5E, stepping = 3       // Skylake client signature
    public var features: Feature
    public var physBits = 39
    public var pages1G = true
    public var brand = "swemu virtual CPU (Intel Skylake-class)"
    public var tscHz: UInt64 = 2_000_000_000

    public static let allInteger: Feature = [.cx8, .cmov, .cx16, .movbe, .popcnt, .lzcnt, .bmi1, .bmi2, .adx,
                                             .rdrand, .rdseed, .rdtscp, .rdpid, .smap, .invpcid, .clflushopt,
                                             .sysenter, .syscall, .lm, .fsgsbase, .clflush, .lahf64]
    public static let `default` = CPUModel(name: "max", features: allInteger)
    /// Everything the decoder knows, for the differential tester (CRC32 is enumerated by SSE4.2).
    public static let difftest = CPUModel(name: "difftest", features: allInteger.union([.sse42, .sse2]))

    public static let featureNames: [(String, Feature)] = [
        ("cx8", .cx8), ("cmov", .cmov), ("cx16", .cx16), ("movbe", .movbe), ("popcnt", .popcnt),
        ("abm", .lzcnt), ("lzcnt", .lzcnt), ("bmi1", .bmi1), ("bmi2", .bmi2), ("adx", .adx),
        ("rdrand", .rdrand), ("rdseed", .rdseed), ("rdtscp", .rdtscp), ("rdpid", .rdpid), ("smap", .smap),
        ("invpcid", .invpcid), ("clflushopt", .clflushopt), ("sep", .sysenter), ("syscall", .syscall),
        ("lm", .lm), ("fsgsbase", .fsgsbase), ("clflush", .clflush), ("lahf_lm", .lahf64),
    ]
    public static func named(_ n: String) -> CPUModel? {
        switch n {
        case "max", "host": return .default
        case "qemu64":
            var m = CPUModel(name: "qemu64", features: [.cx8, .cmov, .cx16, .popcnt, .sysenter, .syscall, .lm, .clflush, .lahf64])
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
            return (7, 0x756E_6547, 0x6C65_746E, 0x4965_6E69)
        case 1:
            let sig = UInt32(model.stepping) | UInt32(model.model & 0xF) << 4 | UInt32(min(model.family, 15)) << 8
                | UInt32(model.model >> 4) << 16 | UInt32(max(model.family - 15, 0)) << 20
            let ebx = UInt32(apicID) << 24 | 1 << 16 | 8 << 8   // CLFLUSH line 64 bytes
            // PCID (bit 17) is always implemented (the TLB flushes instead of tagging).
            var ecx: UInt32 = 1 << 17 | bit(.cx16, 13) | bit(.movbe, 22) | bit(.popcnt, 23) | bit(.rdrand, 30)
            if f.contains(.sse42) { ecx |= 1 << 20 }
            var edx: UInt32 = 1 << 1 | 1 << 2 | 1 << 3 | 1 << 4 | 1 << 5 | 1 << 6 | 1 << 13 | 1 << 16 | 1 << 17
            edx |= bit(.cx8, 8) | bit(.sysenter, 11) | bit(.cmov, 15) | bit(.clflush, 19)
            return (sig, ebx, ecx, edx)
        case 7 where sub == 0:
            let ebx = bit(.fsgsbase, 0) | bit(.bmi1, 3) | 1 << 7 | bit(.bmi2, 8) | 1 << 9 | bit(.invpcid, 10)
                | bit(.rdseed, 18) | bit(.adx, 19) | bit(.smap, 20) | bit(.clflushopt, 23)
            return (0, ebx, bit(.rdpid, 22), 0)
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
            if leaf < 0x8000_0000 && leaf > 7 { return cpuid(7, sub) }
            return (0, 0, 0, 0)
        }
    }
}
