import CPU
import Translator
#if canImport(Glibc)
import Glibc
#endif

/// QEMU's command-line syntax (qemu-options.hx) for the options swemu implements. Anything
/// else is an error naming the option, exit status 1, as QEMU does.
public enum QEMUCommandLine {
    public static let version = "0.1.0"
    public static let banner = "swemu emulator version \(version) (QEMU-compatible command line)"

    public enum Action { case run(MachineConfig), help(String), exit(String) }

    public struct Error: Swift.Error, CustomStringConvertible {
        public let description: String
        init(_ s: String) { description = s }
    }

    public static let devices: [(String, String, String)] = [
        ("isa-debug-exit", "ISA", "exit the emulator with status (value << 1) | 1 on a port write"),
        ("isa-serial", "ISA", "16550A UART"),
        ("pc-testdev", "ISA", "PC test device (scratch ports 0xe0-0xeb, IRQ lines 0x2000-0x2017, iomem 0xff000000)"),
        ("pci-testdev", "PCI", "PCI test device (1b36:0005)"),
    ]

    public static var helpText: String {
        """
        \(banner)
        usage: swemu [options]
        swemu accepts QEMU's (qemu-system-x86_64) option syntax for the options below.

        -h, --help               print this help
        -version                 print the version
        -kernel FILE             Multiboot kernel to boot
        -append CMDLINE          kernel command line
        -initrd FILE[,FILE...]   Multiboot modules
        -m SIZE                  guest RAM (default 128M; M and G suffixes)
        -smp N[,cpus=N,maxcpus=N] number of CPUs
        -cpu MODEL[,+feat,-feat,feat=on|off]   qemu64, max, Skylake-Client
        -machine pc[,accel=tcg][,pit=on|off]  -accel tcg
        -serial stdio|mon:stdio|file:PATH|pty|null|none
        -display none            -nographic (serial on stdio, Ctrl-A X quits)
        -nodefaults              -name NAME
        -device isa-debug-exit,iobase=0xf4,iosize=0x4 ; -device help
        -no-reboot, --no-reboot  stop instead of resetting on a triple fault
        -global kvm-pit.lost_tick_policy=discard   (accepted, no effect)
        -rtc [base=utc|localtime|DATE][,clock=vm|host|rt]   RTC start (default: a fixed date)
                                 and time source (vm: deterministic virtual time, the default)
        -icount shift=N|auto     deterministic virtual time (the default): one TSC cycle = 2^N ns
        -d in_asm,exec,cpu,int   trace to stderr or to the -D file
        -D FILE                  trace output file
        """
    }

    static func parseSize(_ s: String) throws -> UInt64 {
        var t = s.uppercased(), mult: UInt64 = 1 << 20
        if t.hasSuffix("B") { t.removeLast() }
        if let l = t.last, "KMGT".contains(l) {
            mult = l == "K" ? 1 << 10 : l == "M" ? 1 << 20 : l == "G" ? 1 << 30 : 1 << 40
            t.removeLast()
        }
        guard let v = Double(t), v > 0, v * Double(mult) < 0x1p64 else { throw Error("-m \(s): invalid RAM size") }
        return UInt64(v * Double(mult)) & ~0xFFF
    }
    static func parseInt(_ s: String) -> UInt64? {
        if s.hasPrefix("0x") || s.hasPrefix("0X") { return UInt64(s.dropFirst(2), radix: 16) }
        return UInt64(s)
    }
    /// "key=value,key=value" after an optional leading bare word.
    static func props(_ s: String) -> (String?, [(String, String)]) {
        var first: String? = nil
        var out: [(String, String)] = []
        for (k, part) in s.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            if let eq = part.firstIndex(of: "=") {
                out.append((String(part[..<eq]), String(part[part.index(after: eq)...])))
            } else if k == 0 { first = String(part) }
            else { out.append((String(part), "")) }
        }
        return (first, out)
    }

    public static func parse(_ args: [String]) throws -> Action {
        var c = MachineConfig()
        var i = 0
        var nographic = false, serialGiven = false
        var icountShift: Int? = nil
        func value(_ opt: String) throws -> String {
            i += 1
            guard i < args.count else { throw Error("\(opt): requires an argument") }
            return args[i]
        }
        while i < args.count {
            var a = args[i]
            if a.hasPrefix("--") && a.count > 2 { a.removeFirst() }
            switch a {
            case "-h", "-help": return .help(helpText)
            case "-version": return .exit("\(banner)\n")
            case "-kernel": c.kernel = try value(a)
            case "-append": c.append = try value(a)
            case "-initrd": c.initrd = try value(a).split(separator: ",").map(String.init)
            case "-m":
                let v = try value(a)
                let (first, kv) = props(v)
                var size = first
                for (k, val) in kv where k == "size" { size = val }
                guard let sz = size else { throw Error("-m \(v): missing size") }
                c.ramSize = try parseSize(sz)
                if c.ramSize > 16 << 30 { throw Error("-m \(v): at most 16G of guest RAM is supported") }
            case "-smp":
                let v = try value(a)
                let (first, kv) = props(v)
                var n = first.flatMap { Int($0) }, maxc: Int? = nil
                for (k, val) in kv {
                    switch k {
                    case "cpus": n = Int(val)
                    case "maxcpus": maxc = Int(val)
                    case "sockets", "cores", "threads", "dies": break
                    default: throw Error("-smp \(v): unsupported property '\(k)'")
                    }
                }
                guard let cpus = n, cpus >= 1, cpus <= 64 else { throw Error("-smp \(v): the number of CPUs must be 1 to 64") }
                c.cpus = cpus; c.maxCPUs = max(cpus, maxc ?? cpus)
            case "-cpu":
                let v = try value(a)
                let parts = v.split(separator: ",").map(String.init)
                if parts[0] == "host" { throw Error("CPU model 'host' requires KVM or HVF") }
                guard var m = CPUModel.named(parts[0]) else {
                    throw Error("-cpu \(parts[0]): unknown CPU model (known: qemu64, max, Skylake-Client, Skylake-Server, IvyBridge, Haswell, Opteron_G1)")
                }
                for p in parts.dropFirst() {
                    var name = p, on = true
                    if p.hasPrefix("+") { name = String(p.dropFirst()) }
                    else if p.hasPrefix("-") { name = String(p.dropFirst()); on = false }
                    else if let eq = p.firstIndex(of: "=") {
                        name = String(p[..<eq])
                        let val = p[p.index(after: eq)...]
                        // Properties with values other than on/off (QEMU's x86 CPU properties).
                        switch name {
                        case "vendor":
                            guard val == "GenuineIntel" || val == "AuthenticAMD" else { throw Error("-cpu \(v): unsupported vendor '\(val)'") }
                            m.vendor = String(val); continue
                        case "phys-bits":
                            guard let n = Int(val), (32...52).contains(n) else { throw Error("-cpu \(v): phys-bits must be 32 to 52") }
                            m.physBits = n; continue
                        case "migratable", "host-phys-bits", "check", "enforce":
                            guard ["on", "off", "true", "false", "yes", "no"].contains(val) else { throw Error("-cpu: invalid value '\(val)' for '\(name)'") }
                            continue
                        default: break
                        }
                        guard ["on", "off", "true", "false", "yes", "no"].contains(val) else { throw Error("-cpu: invalid value '\(val)' for feature '\(name)'") }
                        on = ["on", "true", "yes"].contains(val)
                    }
                    // host-phys-bits: the host's physical address width; swemu's is the model's.
                    if name == "host-phys-bits" || name == "migratable" { continue }
                    guard let f = CPUModel.featureNames.first(where: { $0.0 == name }) else {
                        throw Error("-cpu \(v): unknown or unsupported CPU feature '\(name)'")
                    }
                    if on { m.features.insert(f.1) } else { m.features.remove(f.1) }
                }
                c.cpuModel = m
            case "-machine", "-M":
                let v = try value(a)
                let (first, kv) = props(v)
                if let t = first, !["pc", "pc-i440fx", "q35"].contains(t) && !t.hasPrefix("pc-i440fx") && t != "" {
                    if t == "help" { return .exit("Supported machines are:\npc                   Standard PC (i440FX + PIIX, 1996) (default)\n") }
                    throw Error("-machine \(t): unsupported machine type (use -machine help)")
                }
                for (k, val) in kv {
                    switch k {
                    case "accel": try checkAccel(val)
                    case "type": break
                    case "pit":
                        guard let on = onOff(val) else { throw Error("-machine \(v): invalid value '\(val)' for 'pit'") }
                        c.pit = on
                    default: throw Error("-machine \(v): unsupported property '\(k)'")
                    }
                }
            case "-accel":
                let (first, _) = props(try value(a))
                try checkAccel(first ?? "")
            case "-enable-kvm": throw Error("-enable-kvm: KVM is not available: swemu is a TCG-style emulator (use -accel tcg)")
            case "-serial":
                serialGiven = true
                let v = try value(a)
                switch v {
                case "stdio": c.serial.append(.stdio)
                case "mon:stdio": c.serial.append(.muxStdio)
                case "pty": c.serial.append(.pty)
                case "null": c.serial.append(.null)
                case "none": c.serial.append(.none)
                default:
                    if v.hasPrefix("file:") { c.serial.append(.file(String(v.dropFirst(5)))) }
                    else { throw Error("-serial \(v): unsupported character device (stdio, mon:stdio, file:PATH, pty, null, none)") }
                }
            case "-display":
                let v = try value(a)
                if props(v).0 != "none" { throw Error("-display \(v): only 'none' is available") }
            case "-nographic": nographic = true
            case "-nodefaults": c.noDefaults = true
            case "-no-reboot": c.noReboot = true
            case "-name": c.name = try value(a)
            case "-global":
                let v = try value(a)
                if !v.hasPrefix("kvm-pit.lost_tick_policy=") { throw Error("-global \(v): unsupported global property") }
            case "-device":
                let v = try value(a)
                let (name, kv) = props(v)
                switch name {
                case "help", "?":
                    return .exit(devices.map { "name \"\($0.0)\", bus \($0.1), desc \"\($0.2)\"" }.joined(separator: "\n") + "\n")
                case "isa-debug-exit":
                    var base: UInt64 = 0x501, size: UInt64 = 2
                    for (k, val) in kv {
                        guard let n = parseInt(val) else { throw Error("-device \(v): invalid value '\(val)' for '\(k)'") }
                        switch k {
                        case "iobase": base = n
                        case "iosize": size = n
                        default: throw Error("-device \(v): isa-debug-exit has no property '\(k)'")
                        }
                    }
                    guard base + size <= 0x10000, size >= 1 else { throw Error("-device \(v): port range outside 0-0xffff") }
                    c.devices.append(.debugExit(iobase: UInt16(base), iosize: UInt16(size)))
                case "pc-testdev": c.devices.append(.pcTestdev)
                case "pci-testdev": c.devices.append(.pciTestdev)
                default: throw Error("-device \(name ?? v): unsupported device (see -device help)")
                }
            case "-d":
                for t in try value(a).split(separator: ",") {
                    switch t {
                    case "in_asm": c.trace.insert(.inAsm)
                    case "exec": c.trace.insert(.exec)
                    case "cpu": c.trace.insert(.cpu)
                    case "int": c.trace.insert(.int)
                    default: throw Error("-d \(t): unknown log item (in_asm, exec, cpu, int)")
                    }
                }
            case "-D": c.traceFile = try value(a)
            case "-rtc":
                let v = try value(a)
                for (k, val) in props(v).1 {
                    switch (k, val) {
                    case ("base", "utc"), ("base", "localtime"):
                        c.rtcBase = Int64(time(nil))
                    case ("base", _):
                        guard let t = parseDate(val) else { throw Error("-rtc \(v): invalid date '\(val)' (use YYYY-MM-DDTHH:MM:SS or YYYY-MM-DD)") }
                        c.rtcBase = t
                    case ("clock", "vm"): c.hostTime = false
                    case ("clock", "host"), ("clock", "rt"): c.hostTime = true
                    case ("driftfix", "none"), ("driftfix", "slew"): break
                    default: throw Error("-rtc \(v): unsupported option '\(k)=\(val)'")
                    }
                }
            case "-icount":
                let v = try value(a)
                let (first, kv) = props(v)
                var shift: String? = first
                for (k, val) in kv {
                    switch k {
                    case "shift": shift = val
                    case "sleep", "align", "rr", "rrfile", "rrsnapshot": break
                    default: throw Error("-icount \(v): unsupported property '\(k)'")
                    }
                }
                c.hostTime = false
                if let s = shift, s != "auto" {
                    guard let n = Int(s), (0...10).contains(n) else { throw Error("-icount \(v): shift must be 0 to 10 or auto") }
                    icountShift = n
                }
            default:
                if a.hasPrefix("-") { throw Error("\(args[i]): invalid option") }
                throw Error("\(a): invalid argument (expected an option; see -h)")
            }
            i += 1
        }
        if nographic && !serialGiven { c.serial = [.muxStdio] }
        if let n = icountShift { c.cpuModel.tscHz = 1_000_000_000 >> UInt64(n) }
        return .run(c)
    }

    static func onOff(_ v: String) -> Bool? {
        switch v { case "on", "true", "yes": return true; case "off", "false", "no": return false; default: return nil }
    }

    /// "YYYY-MM-DD[THH:MM:SS]" as Unix seconds (UTC).
    static func parseDate(_ s: String) -> Int64? {
        let parts = s.split(separator: "T", maxSplits: 1)
        let d = parts[0].split(separator: "-").compactMap { Int64($0) }
        guard d.count == 3, (1...12).contains(d[1]), (1...31).contains(d[2]) else { return nil }
        var hms: [Int64] = [0, 0, 0]
        if parts.count == 2 {
            hms = parts[1].split(separator: ":").compactMap { Int64($0) }
            guard hms.count == 3, hms[0] < 24, hms[1] < 60, hms[2] < 60 else { return nil }
        }
        // Days from civil (proleptic Gregorian), H. Hinnant's algorithm.
        let y = d[1] <= 2 ? d[0] - 1 : d[0]
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (d[1] + 9) % 12
        let doy = (153 * mp + 2) / 5 + d[2] - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146097 + doe - 719468
        return days * 86400 + hms[0] * 3600 + hms[1] * 60 + hms[2]
    }

    static func checkAccel(_ v: String) throws {
        switch v {
        case "tcg", "": return
        case "kvm", "xen", "hvf", "whpx": throw Error("-accel \(v): accelerator '\(v)' is not available: swemu is a TCG-style emulator (use -accel tcg)")
        default: throw Error("-accel \(v): invalid accelerator")
        }
    }
}
