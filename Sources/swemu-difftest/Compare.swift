// Comparison of one case's outcomes, the failure line, and the allow-list.

import CPU
import COracle
#if canImport(Glibc)
import Glibc
#endif

let regNames = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"]

func compare(_ c: TestCase, _ want: Outcome, _ got: Outcome) -> [String] {
    var d: [String] = []
    if want.fault != got.fault { d.append("fault"); return d }
    if want.rip != got.rip { d.append("rip") }
    if want.fault == 14 && c.mode == 64 && (want.errorCode & 7 != got.errorCode & 7 || want.faultAddr != got.faultAddr) { d.append("pf") }
    if want.fault == 13 && c.mode == 64 && want.errorCode != got.errorCode { d.append("errcode") }
    let nregs = c.mode == 64 ? 16 : 8
    let m: UInt64 = c.mode == 64 ? ~0 : 0xFFFF_FFFF
    for r in 0..<nregs where want.regs[r] & m != got.regs[r] & m { d.append(regNames[r]) }
    if (want.flags ^ got.flags) & c.flagMask != 0 { d.append("flags") }
    if want.mem != got.mem { d.append("mem") }
    if !want.xs.isEmpty && !got.xs.isEmpty { d += compareXState(c.mode, want.xs, got.xs) }
    return d
}

func hexs(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }

func describe(_ c: TestCase, _ want: Outcome, _ got: Outcome, _ diffs: [String]) -> String {
    var dis = "?"
    let dec = Decoder(mode: c.mode == 64 ? .m64 : c.mode == 32 ? .m32 : .m16, features: CPUModel.difftest.features)
    c.bytes.withUnsafeBufferPointer { p in
        var src = BufferSource(p)
        if let i = try? dec.decode(&src) { dis = Disassembler.format(i, nextRip: c.codeBase + UInt64(i.len)) }
    }
    let bytes = c.bytes.map { String(format: "%02x", $0) }.joined()
    var s = "FAIL mode=\(c.mode) bytes=\(bytes) \(dis) | differs: \(diffs.joined(separator: ","))"
    s += " | init:"
    let n = c.mode == 64 ? 16 : 8
    for r in 0..<n { s += " \(regNames[r])=\(hexs(c.regs[r]))" }
    s += " fl=\(hexs(c.flags & 0xCD5))"
    func outc(_ o: Outcome) -> String {
        var t = o.fault >= 0 ? "fault=\(o.fault) err=\(hexs(o.errorCode))" + (o.fault == 14 ? " cr2=\(hexs(o.faultAddr))" : "") : "ok"
        t += " rip=\(hexs(o.rip))"
        for r in 0..<n where diffs.contains(regNames[r]) { t += " \(regNames[r])=\(hexs(o.regs[r]))" }
        if diffs.contains("flags") { t += " fl=\(hexs(o.flags & c.flagMask)) (mask \(hexs(c.flagMask)))" }
        if diffs.contains("mem") {
            if let k = (0..<min(want.mem.count, got.mem.count)).first(where: { want.mem[$0] != got.mem[$0] }) {
                t += " mem[+\(hexs(UInt64(k)))]=\(hexs(UInt64(o.mem[k])))"
            }
        }
        for name in diffs where ["fcw", "fsw", "ftw", "mxcsr"].contains(name) || name.hasPrefix("st") || name.hasPrefix("xmm") || name.hasPrefix("ymmh") {
            t += " \(name)=\(xstateItem(name, o.xs))"
        }
        return t
    }
    if !c.xs.isEmpty {
        s += " mxcsr=\(xstateItem("mxcsr", c.xs))"
        for name in diffs where name.hasPrefix("xmm") || name.hasPrefix("ymmh") || name.hasPrefix("st") { s += " \(name)=\(xstateItem(name, c.xs))" }
        // The sources: the register operands of the instruction.
        s += " src:"
        for r in 0..<(c.mode == 64 ? 16 : 8) { s += " x\(r)=\(xstateItem("xmm\(r)", c.xs))" }
    }
    s += " | expected: " + outc(want) + " | got: " + outc(got)
    return s
}

extension String {
    init(format: String, _ v: UInt8) {
        let d = Array("0123456789abcdef")
        self = String([d[Int(v >> 4)], d[Int(v & 15)]])
    }
}

/// Tests/difftest/allowlist.txt: "<mode|*> <MNEMONIC> <what|*> <reason...>", one per line;
/// `what` names the differing part (fault, flags, a register, mem). Every use is counted
/// and printed: nothing is skipped silently.
struct Allowlist {
    struct Entry { let mode: Int?; let mnemonic: String; let what: String; let reason: String }
    var entries: [Entry] = []

    static func load(_ path: String?) -> Allowlist {
        var a = Allowlist()
        let candidates = path.map { [$0] } ?? ["Tests/difftest/allowlist.txt", "../Tests/difftest/allowlist.txt"]
        for p in candidates {
            guard let f = fopen(p, "r") else { continue }
            defer { fclose(f) }
            var line: UnsafeMutablePointer<CChar>? = nil
            var cap = 0
            while getline(&line, &cap, f) > 0 {
                let l = String(cString: line!).trimmingCharacters(in: " \n\t")
                if l.isEmpty || l.hasPrefix("#") { continue }
                let parts = l.split(separator: " ", maxSplits: 3).map(String.init)
                guard parts.count == 4, parts[0] == "*" || Int(parts[0]) != nil else { continue }
                a.entries.append(Entry(mode: parts[0] == "*" ? nil : Int(parts[0]), mnemonic: parts[1], what: parts[2], reason: parts[3]))
            }
            free(line)
            break
        }
        return a
    }
    /// `key` is "MNEMONIC/OPERANDS" (e.g. PUSH/FS); an entry may name the mnemonic alone.
    func match(mode: Int, key: String, diffs: [String]) -> String? {
        let mnemonic = String(key.split(separator: "/").first ?? "")
        for e in entries where (e.mode == nil || e.mode == mode) && (e.mnemonic == key || e.mnemonic == mnemonic) {
            if e.what == "*" || diffs.allSatisfy({ $0 == e.what }) { return "\(e.mode.map(String.init) ?? "*") \(e.mnemonic) \(e.what): \(e.reason)" }
        }
        return nil
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}

extension String {
    /// "F6 /1" -> "F6_/1": encodings as allow-list keys.
    func replacingSpaces() -> String { String(map { $0 == " " ? "_" : $0 }) }
}
