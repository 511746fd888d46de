// `swemu-difftest --decoder`: swemu's decoder against iced-x86 (tools/iced_oracle.py, started
// once as a subprocess and fed batches of 15-byte strings).
//
// What is compared, for every byte string in 16-, 32- and 64-bit mode:
// - validity: iced's verdict (an instruction a current Intel CPU has; iced's AMD/VIA/Cyrix-only
//   instructions count as invalid) against swemu's (implemented, or known but not implemented
//   -- x87, SSE, AVX, AVX-512...: `Insn.isKnownUnimplemented` -- versus undefined);
// - length, whenever both say valid;
// - mnemonic and operands, in the canonical form of tools/iced_oracle.py, for instructions swemu
//   implements.
// Allowlist entries (Tests/difftest/allowlist.txt, mode "decoder") name iced points we believe
// are wrong; none are needed at present.

import CPU
#if canImport(Glibc)
import Glibc
#endif

/// The iced-x86 oracle process: one request line per batch, one answer line per case.
final class IcedOracle {
    let pid: pid_t
    let toChild: Int32, fromChild: Int32
    var buf: [UInt8] = [], pos = 0

    init?() {
        var script: String? = nil
        var candidates = ["tools/iced_oracle.py", "../tools/iced_oracle.py"]
        if let env = getenv("SWEMU_ICED_ORACLE") { candidates.insert(String(cString: env), at: 0) }
        let exe = CommandLine.arguments[0]
        if let slash = exe.lastIndex(of: "/") {
            let dir = String(exe[..<slash])
            candidates += [dir + "/../../tools/iced_oracle.py", dir + "/../../../tools/iced_oracle.py"]
        }
        for c in candidates where access(c, R_OK) == 0 { script = c; break }
        guard let path = script else { return nil }
        var inPipe: [Int32] = [0, 0], outPipe: [Int32] = [0, 0]
        guard pipe(&inPipe) == 0, pipe(&outPipe) == 0 else { return nil }
        var fa = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fa)
        posix_spawn_file_actions_adddup2(&fa, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&fa, outPipe[1], 1)
        for fd in [inPipe[0], inPipe[1], outPipe[0], outPipe[1]] { posix_spawn_file_actions_addclose(&fa, fd) }
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("python3"), strdup(path), nil]
        var p: pid_t = 0
        let rc = posix_spawnp(&p, "python3", &fa, nil, argv, environ)
        posix_spawn_file_actions_destroy(&fa)
        for a in argv { free(a) }
        Glibc.close(inPipe[0]); Glibc.close(outPipe[1])
        guard rc == 0 else { return nil }
        pid = p; toChild = inPipe[1]; fromChild = outPipe[0]
    }

    func send(_ s: [UInt8]) {
        var off = 0
        while off < s.count {
            let n = s[off...].withUnsafeBytes { write(toChild, $0.baseAddress, $0.count) }
            if n <= 0 { FileHandleStderr.write("swemu-difftest: iced oracle died\n"); exit(2) }
            off += n
        }
    }

    func readLine() -> String {
        var line: [UInt8] = []
        while true {
            if pos >= buf.count {
                buf = [UInt8](repeating: 0, count: 1 << 16)
                let n = buf.withUnsafeMutableBytes { read(fromChild, $0.baseAddress, $0.count) }
                if n <= 0 { FileHandleStderr.write("swemu-difftest: iced oracle closed its output (is iced-x86 installed? pip install iced-x86)\n"); exit(2) }
                buf.removeSubrange(n...); pos = 0
            }
            let b = buf[pos]; pos += 1
            if b == 10 { return String(decoding: line, as: UTF8.self) }
            line.append(b)
        }
    }

    func close() {
        Glibc.close(toChild); Glibc.close(fromChild)
        var st: Int32 = 0
        waitpid(pid, &st, 0)
    }
}

/// Random byte strings, biased towards prefixes, escapes and the opcodes of the table.
struct DecoderCaseGenerator {
    var rng: SplitMix
    let mode: DecodeMode
    static let prefixes: [UInt8] = [0x66, 0x67, 0xF2, 0xF3, 0xF0, 0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65]
    static let encodable: [InsnForm] = Table.forms.filter { !$0.attrs.contains("alias") }

    mutating func next() -> [UInt8] {
        var b: [UInt8] = []
        let r = rng.below(100)
        if r < 25 { return (0..<15).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }
        for _ in 0..<(rng.chance(1, 2) ? 0 : 1 + rng.below(3)) { b.append(Self.prefixes[rng.below(Self.prefixes.count)]) }
        let rex = mode == .m64 && rng.chance(1, 3) ? UInt8(0x40 | rng.below(16)) : nil
        if r < 70 {
            let f = Self.encodable[rng.below(Self.encodable.count)]
            if let v = f.vex {
                if rng.chance(3, 4) { b.removeAll { [0x66, 0xF2, 0xF3, 0xF0].contains($0) } }
                let pp: UInt8 = v.pp == .p66 ? 1 : v.pp == .pF3 ? 2 : v.pp == .pF2 ? 3 : 0
                var l: UInt8 = v.l == 1 ? 1 : 0, w: UInt8 = v.w == 1 ? 1 : 0
                if rng.chance(1, 8) { l ^= 1 }; if rng.chance(1, 8) { w ^= 1 }
                let vvvv = f.operands.contains(.By) || rng.chance(1, 8) ? UInt8(rng.below(16)) : 15
                var rxb = UInt8(rng.below(8))
                if mode != .m64 && rng.chance(7, 8) { rxb |= 6 }
                b += [0xC4, rxb << 5 | f.map, w << 7 | vvvv << 3 | l << 2 | pp, f.opcode]
            } else {
                switch f.prefix {
                case .p66: b.append(0x66)
                case .pF3: b.append(0xF3)
                case .pF2: b.append(0xF2)
                default: break
                }
                if let x = rex { b.append(f.w == 1 ? x | 8 : x) } else if f.w == 1 && mode == .m64 { b.append(0x48) }
                if f.map >= 1 { b.append(0x0F) }
                if f.map == 2 { b.append(0x38) }
                if f.map == 3 { b.append(0x3A) }
                b.append(f.opcodeReg ? f.opcode | UInt8(rng.below(8)) : f.opcode)
            }
            if f.hasModRM {
                var m = UInt8(truncatingIfNeeded: rng.next())
                if f.fixedModRM >= 0 { m = UInt8(f.fixedModRM) }
                if f.regField >= 0 { m = m & 0xC7 | UInt8(f.regField) << 3 }
                if f.modrm == .reg { m |= 0xC0 } else if f.modrm == .mem && m >= 0xC0 { m &= 0x3F }
                b.append(m)
            }
        } else {
            if let x = rex { b.append(x) }
            switch rng.below(10) {
            case 0, 1, 2: b.append(0x0F)
            case 3: b += [0x0F, 0x38]
            case 4: b += [0x0F, 0x3A]
            case 5: b.append(UInt8(0xD8 + rng.below(8)))
            case 6, 7:   // VEX
                if rng.chance(1, 2) { b += [0xC5, UInt8(truncatingIfNeeded: rng.next()) | (mode == .m64 ? 0 : 0xC0)] }
                else { b += [0xC4, UInt8(truncatingIfNeeded: rng.next()) & 0xE3 | (mode == .m64 ? 0 : 0xC0) | UInt8(1 + rng.below(3)), UInt8(truncatingIfNeeded: rng.next())] }
            default:     // EVEX
                let p0 = UInt8(truncatingIfNeeded: rng.next()) & 0xF0 | [1, 2, 3, 5, 6][rng.below(5)]
                b += [0x62, mode == .m64 ? p0 : p0 | 0xC0, UInt8(truncatingIfNeeded: rng.next()) | 4, UInt8(truncatingIfNeeded: rng.next())]
            }
        }
        while b.count < 15 { b.append(UInt8(truncatingIfNeeded: rng.next())) }
        return Array(b.prefix(15))
    }
}

/// swemu's decoding of one string in the oracle's canonical form: "I" or "V <len> <text>"
/// (text only for implemented instructions; known-but-unimplemented ones print "V <len> -").
func swemuDecoderVerdict(_ bytes: [UInt8], _ decoder: Decoder) -> (verdict: String, insn: Insn?) {
    let r: Insn? = bytes.withUnsafeBufferPointer { p -> Insn? in
        var src = BufferSource(p)
        do { return try decoder.decode(&src) } catch { return nil }
    }
    guard let i = r else { return ("I", nil) }
    if i.isKnownUnimplemented { return ("V \(i.len) -", i) }
    if i.h == .invalid { return ("I", i) }
    return ("V \(i.len) " + canonicalText(i, mode: decoder.mode), i)
}

func canonicalText(_ i: Insn, mode: DecodeMode) -> String {
    let f = Table.forms[Int(i.form)]
    let n = Int(i.osz), a = Int(i.asz)
    let m64 = mode == .m64
    func h(_ v: UInt64) -> String { String(v, radix: 16) }
    func mask(_ bytes: Int) -> UInt64 { bytes >= 8 ? ~0 : (UInt64(1) << UInt64(8 * bytes)) - 1 }
    func reg(_ r: UInt8, _ size: Int) -> String { Disassembler.regName(r, size) }
    func segName() -> String {
        let s = Int(i.seg)
        if m64 && s < Seg.fs { return "" }
        return ["es", "cs", "ss", "ds", "fs", "gs"][s]
    }
    func mem(_ size: Int) -> String {
        if i.base == Insn.ripRel {
            return "m\(size)[\(segName()):\(a == 8 ? "rip" : "eip"),,1,\(h((UInt64(i.len) &+ UInt64(bitPattern: Int64(i.disp))) & mask(a)))]"
        }
        let base = i.base == Insn.none ? "" : reg(i.base, a)
        let index = i.index == Insn.none ? "" : reg(i.index, a)
        let scale = i.index == Insn.none ? 1 : 1 << Int(i.scale)
        return "m\(size)[\(segName()):\(base),\(index),\(scale),\(h(UInt64(bitPattern: Int64(i.disp)) & mask(a)))]"
    }
    var mn = f.mnemonic.lowercased()
    let sizeSuffix = n == 2 ? "w" : n == 4 ? "d" : "q"
    switch mn {
    case "movs", "cmps", "stos", "lods", "scas", "ins", "outs": mn += sizeSuffix
    case "cbw": mn = n == 2 ? "cbw" : n == 4 ? "cwde" : "cdqe"
    case "cwd": mn = n == 2 ? "cwd" : n == 4 ? "cdq" : "cqo"
    case "iret": mn = n == 2 ? "iret" : n == 4 ? "iretd" : "iretq"
    case "pushf", "popf": mn += n == 2 ? "" : n == 4 ? "d" : "q"
    case "pusha", "popa": mn += n == 2 ? "" : "d"
    case "jcxz": mn = a == 2 ? "jcxz" : a == 4 ? "jecxz" : "jrcxz"
    case "xlat": mn = "xlatb"
    case "sysret", "sysexit": if n == 8 { mn += "q" }
    default: break
    }
    var out: [String] = []
    if i.pfx & Insn.lock != 0 { out.append("lock") }
    if f.attrs.contains("rep") {
        if i.pfx & Insn.repne != 0 { out.append("repne") } else if i.pfx & Insn.rep != 0 { out.append("rep") }
    }
    out.append(mn)
    let strReg = { (r: UInt8) -> String in reg(r, a) }
    if f.handler == .maskmov { out.append("s\(segName()):" + strReg(7)) }   // implicit DS:rDI
    for o in f.operands {
        switch o {
        case .Eb: out.append(i.isMem ? mem(1) : reg(i.rm, 1))
        case .Ew:
            // A register operand of r/m16 system instructions is printed at operand size (iced).
            let regSize = [.movzx, .movsx].contains(f.handler) ? 2 : n
            out.append(i.isMem ? mem(2) : reg(i.rm, regSize))
        case .Ed:
            let size = f.handler == .movsxd ? min(n, 4) : 4     // MOVSXD r16, r/m16 with 66
            out.append(i.isMem ? mem(size) : reg(i.rm, size))
        case .Eq: out.append(i.isMem ? mem(8) : reg(i.rm, 8))
        case .Ev, .Ey:
            var size = n
            if f.handler == .smsw && i.isMem { size = 2 }
            out.append(i.isMem ? mem(size) : reg(i.rm, size))
        case .Gb: out.append(reg(i.reg, 1))
        case .Gw: out.append(reg(i.reg, f.handler == .arpl ? n : 2))
        case .Gd: out.append(reg(i.reg, 4))
        case .Gq: out.append(reg(i.reg, 8))
        case .Gv, .Gy, .Gz: out.append(reg(i.reg, f.handler == .crc32 ? (i.pfx & Insn.rexW != 0 ? 8 : 4) : n))
        case .By: out.append(reg(i.vreg, n))
        case .Ry: out.append(reg(i.rm, n))
        case .M:
            let size: Int
            switch f.handler {
            case .lea, .invlpg: size = 0
            case .invpcid: size = 16
            case .fxsave, .fxrstor: size = 512
            case .x87env: size = (n == 2 ? 14 : 28) + (i.aux & 2 != 0 ? 80 : 0)
            default: size = 1      // INVLPG, PREFETCHh, CLFLUSH(OPT): byte
            }
            out.append(mem(size))
        case .Ms: out.append(mem(m64 ? 10 : 6))
        case .Mp: out.append(mem(n + 2))
        case .Mv: out.append(mem(f.handler == .bound ? 2 * n : n))
        case .Mw: out.append(mem(2))
        case .Md: out.append(mem(4))
        case .Mq: out.append(mem(8))
        case .Mdq: out.append(mem(16))
        case .Ib: out.append("i" + h(i.imm & 0xFF))
        case .Iw: out.append("i" + h(i.imm & 0xFFFF))
        case .Ibs, .Iz, .Iv: out.append("i" + h(i.imm & mask(n)))
        case .Iw2: out.append("i" + h(i.imm2 & 0xFF))
        case .Jb, .Jz: out.append("j" + h((UInt64(i.len) &+ i.imm) & mask(n)))
        case .Ap: out.append("f\(h(i.imm2)):\(h(i.imm & mask(n)))")
        case .Zb: out.append(reg(i.rm, 1))
        case .Zv, .Zq: out.append(reg(i.rm, n))
        case .AL: out.append("al")
        case .AX: out.append("ax")
        case .eAX: out.append(n == 2 ? "ax" : "eax")
        case .rAX: out.append(reg(0, n))
        case .CL: out.append("cl")
        case .DX: out.append("dx")
        case .One: out.append("i1")
        case .Ob, .Ov: out.append("m\(o == .Ob ? 1 : n)[\(segName()):,,1,\(h(i.imm & mask(a)))]")
        case .Sw: out.append(["es", "cs", "ss", "ds", "fs", "gs", "?", "?"][Int(i.reg & 7)])
        case .Cd: out.append("cr\(i.reg)")
        case .Dd: out.append("dr\(i.reg)")
        case .Xb, .Xv: out.append("s\(segName()):" + strReg(6))
        case .Yb, .Yv: out.append("s\(m64 ? "" : "es"):" + strReg(7))
        case .ES, .CS, .SS, .DS, .FS, .GS: out.append(o.name.lowercased())
        case .Vx, .Hx, .Ux, .Lx, .Wx, .Wo, .Wh, .Wq, .Wd, .Ww, .Wb, .Mx:
            let vn = i.vex & Insn.vexL != 0 && o != .Wo ? "ymm" : "xmm"
            switch o {
            case .Vx: out.append(vn + "\(i.reg)")
            case .Hx: out.append(vn + "\(i.vreg)")
            case .Ux: out.append(vn + "\(i.rm)")
            case .Lx: out.append(vn + "\(i.imm >> 4)")
            default:
                let half = o == .Wh || o == .Wq || o == .Wd || o == .Ww || o == .Wb
                out.append(i.isMem ? mem(Int(i.msz)) : (half ? "xmm" : vn) + "\(i.rm)")
            }
        case .ST0: out.append("st0")
        case .STi: out.append("st\(i.rm & 7)")
        case .Mt: out.append(mem(10))
        case .Pq: out.append("mm\(i.reg)")
        case .Qq, .Qd: out.append(i.isMem ? mem(Int(i.msz)) : "mm\(i.rm)")
        case .Ebr, .Ewr, .Edr:
            let w = i.pfx & Insn.rexW != 0 || i.vex & Insn.vexW != 0
            out.append(i.isMem ? mem(Int(i.msz)) : reg(i.rm, w && m64 ? 8 : 4))
        case .Nq: out.append("mm\(i.rm)")
        }
    }
    if f.handler == .xlat { out.append("m1[\(segName()):\(reg(3, a)),al,1,0]") }
    return out.joined(separator: " ")
}

/// One failing case, as swemu-difftest prints it.
func decoderFailureLine(mode: Int, bytes: [UInt8], iced: String, swemu: String) -> String {
    let hex = bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    return "FAIL decoder m\(mode) \(hex) iced=[\(iced)] swemu=[\(swemu)]"
}

/// Whether swemu's and iced's verdicts agree (see the file comment).
func decoderVerdictsAgree(iced: String, swemu: String) -> Bool {
    if iced == swemu { return true }
    // Known-but-unimplemented instructions: validity and length only.
    if swemu.hasSuffix(" -") && iced.hasPrefix("V ") {
        let il = iced.split(separator: " ", maxSplits: 2), sl = swemu.split(separator: " ")
        return il.count >= 2 && sl.count >= 2 && il[1] == sl[1]
    }
    return false
}

func runDecoderDiff(cases: Int, seed: UInt64, modes: [Int]) -> (passed: Int, failed: Int, forms: Int) {
    guard let oracle = IcedOracle() else {
        FileHandleStderr.write("swemu-difftest: cannot start python3 tools/iced_oracle.py (run from the repository root, or set SWEMU_ICED_ORACLE)\n")
        exit(2)
    }
    var passed = 0, failed = 0, printed = 0
    var forms = Set<Int>()
    let batch = 4096
    let hexDigits = Array("0123456789abcdef".utf8)
    for (mi, m) in modes.enumerated() {
        let mode: DecodeMode = m == 16 ? .m16 : m == 32 ? .m32 : .m64
        let decoder = Decoder(mode: mode, features: CPUModel.difftest.features)
        var gen = DecoderCaseGenerator(rng: SplitMix(state: seed &+ UInt64(m) &* 0x1000_0001), mode: mode)
        let share = cases / modes.count + (mi < cases % modes.count ? 1 : 0)
        var done = 0
        while done < share {
            let k = min(batch, share - done)
            let strings = (0..<k).map { _ in gen.next() }
            var req = Array("\(m) \(k) ".utf8)
            req.reserveCapacity(req.count + k * 30 + 1)
            for s in strings { for byte in s { req.append(hexDigits[Int(byte >> 4)]); req.append(hexDigits[Int(byte & 15)]) } }
            req.append(10)
            oracle.send(req)
            for s in strings {
                let want = oracle.readLine()
                let (got, insn) = swemuDecoderVerdict(s, decoder)
                if decoderVerdictsAgree(iced: want, swemu: got) {
                    passed += 1
                    if let i = insn, i.h != .invalid, !i.isKnownUnimplemented {
                        forms.insert(Int(i.form) << 8 | Int(i.osz) << 1 | (i.isMem ? 1 : 0))
                    }
                } else {
                    failed += 1
                    if printed < 1000 { print(decoderFailureLine(mode: m, bytes: s, iced: want, swemu: got)); printed += 1 }
                }
            }
            done += k
        }
    }
    oracle.close()
    return (passed, failed, forms.count)
}
