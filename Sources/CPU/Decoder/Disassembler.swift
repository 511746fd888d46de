// Intel-syntax disassembly of a decoded instruction, driven by the instruction table's
// operand kinds (for -d in_asm and the difftest's failure lines).

public enum Disassembler {
    static let r64 = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"]
    static let r32 = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d"]
    static let r16 = ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di", "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w"]
    static let r8 = ["al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil", "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b",
                     "ah", "ch", "dh", "bh"]
    static let sregs = ["es", "cs", "ss", "ds", "fs", "gs", "?", "?"]

    public static func regName(_ r: UInt8, _ size: Int) -> String {
        switch size {
        case 1: return r8[Int(r)]
        case 2: return r16[Int(r & 15)]
        case 4: return r32[Int(r & 15)]
        default: return r64[Int(r & 15)]
        }
    }
    static func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }
    static func ptr(_ size: Int) -> String {
        switch size { case 1: return "byte ptr "; case 2: return "word ptr "; case 4: return "dword ptr "
        case 8: return "qword ptr "; case 16: return "xmmword ptr "; default: return "" }
    }

    public static func memory(_ i: Insn, _ size: Int, nextRip: UInt64) -> String {
        var parts: [String] = []
        let a = Int(i.asz)
        if i.base == Insn.ripRel {
            return ptr(size) + (i.pfx & Insn.segOverride != 0 ? sregs[Int(i.seg)] + ":" : "") + "[\(hex(nextRip &+ UInt64(bitPattern: Int64(i.disp))))]"
        }
        if i.base != Insn.none { parts.append(regName(i.base, a)) }
        if i.index != Insn.none { parts.append(regName(i.index, a) + (i.scale > 0 ? "*\(1 << i.scale)" : "")) }
        var s = parts.joined(separator: "+")
        let d = Int64(i.disp)
        if d != 0 || parts.isEmpty {
            if parts.isEmpty {
                let m: UInt64 = a == 2 ? 0xFFFF : a == 4 ? 0xFFFF_FFFF : ~0
                s = hex(UInt64(bitPattern: d) & m)
            } else { s += d < 0 ? "-" + hex(UInt64(-d)) : "+" + hex(UInt64(d)) }
        }
        let segp = i.pfx & Insn.segOverride != 0 ? sregs[Int(i.seg)] + ":" : ""
        return ptr(size) + segp + "[" + s + "]"
    }

    public static func format(_ i: Insn, nextRip: UInt64) -> String {
        guard i.h != .invalid, Int(i.form) < Table.forms.count else { return "(bad)" }
        let f = Table.forms[Int(i.form)]
        var mn = f.mnemonic.lowercased()
        let n = Int(i.osz)
        if ["movs", "cmps", "stos", "lods", "scas", "ins", "outs"].contains(mn) {
            mn += n == 2 ? "w" : n == 4 ? "d" : "q"
        }
        if mn == "cbw" { mn = n == 2 ? "cbw" : n == 4 ? "cwde" : "cdqe" }
        if mn == "cwd" { mn = n == 2 ? "cwd" : n == 4 ? "cdq" : "cqo" }
        if mn == "iret" { mn = n == 2 ? "iret" : n == 4 ? "iretd" : "iretq" }
        var pre = ""
        if i.pfx & Insn.lock != 0 { pre += "lock " }
        if f.attrs.contains("rep") {
            if i.pfx & Insn.rep != 0 { pre += f.flagsWritten.isEmpty ? "rep " : "repe " }
            if i.pfx & Insn.repne != 0 { pre += "repne " }
        }
        var ops: [String] = []
        for o in f.operands {
            switch o {
            case .Eb: ops.append(i.isMem ? memory(i, 1, nextRip: nextRip) : regName(i.rm, 1))
            case .Ew: ops.append(i.isMem ? memory(i, 2, nextRip: nextRip) : regName(i.rm, f.handler == .movES || f.handler == .sldt || f.handler == .str || f.handler == .smsw ? n : 2))
            case .Ed: ops.append(i.isMem ? memory(i, 4, nextRip: nextRip) : regName(i.rm, 4))
            case .Eq: ops.append(i.isMem ? memory(i, 8, nextRip: nextRip) : regName(i.rm, 8))
            case .Ev, .Ey: ops.append(i.isMem ? memory(i, n, nextRip: nextRip) : regName(i.rm, n))
            case .Gb: ops.append(regName(i.reg, 1))
            case .Gw: ops.append(regName(i.reg, 2))
            case .Gd: ops.append(regName(i.reg, 4))
            case .Gq: ops.append(regName(i.reg, 8))
            case .Gv, .Gy, .Gz: ops.append(regName(i.reg, n))
            case .By: ops.append(regName(i.vreg, n))
            case .Ry: ops.append(regName(i.rm, n))
            case .M, .Ms: ops.append(memory(i, 0, nextRip: nextRip))
            case .Mv: ops.append(memory(i, n, nextRip: nextRip))
            case .Mw: ops.append(memory(i, 2, nextRip: nextRip))
            case .Md: ops.append(memory(i, 4, nextRip: nextRip))
            case .Mq: ops.append(memory(i, 8, nextRip: nextRip))
            case .Mdq: ops.append(memory(i, 16, nextRip: nextRip))
            case .Mp: ops.append(memory(i, 0, nextRip: nextRip))
            case .Ib, .Iw, .Iz, .Iv, .Ibs: ops.append(hex(i.imm & (n == 8 ? ~0 : (UInt64(1) << UInt64(8 * max(n, 1))) - 1)))
            case .Iw2: ops.append(hex(i.imm2))
            case .Jb, .Jz:
                let t = nextRip &+ i.imm
                ops.append(hex(n == 2 ? t & 0xFFFF : n == 4 ? t & 0xFFFF_FFFF : t))
            case .Ap: ops.append(hex(i.imm2) + ":" + hex(i.imm))
            case .Zb: ops.append(regName(i.rm, 1))
            case .Zv, .Zq: ops.append(regName(i.rm, n))
            case .AL: ops.append("al")
            case .AX: ops.append("ax")
            case .eAX: ops.append(n == 2 ? "ax" : "eax")
            case .rAX: ops.append(regName(0, n))
            case .CL: ops.append("cl")
            case .DX: ops.append("dx")
            case .One: ops.append("1")
            case .Ob, .Ov:
                ops.append(ptr(o == .Ob ? 1 : n) + (i.pfx & Insn.segOverride != 0 ? sregs[Int(i.seg)] + ":" : "") + "[\(hex(i.imm))]")
            case .Sw: ops.append(sregs[Int(i.reg & 7)])
            case .Cd: ops.append("cr\(i.reg)")
            case .Dd: ops.append("dr\(i.reg)")
            case .Xb, .Xv, .Yb, .Yv: break
            case .ES, .CS, .SS, .DS, .FS, .GS: ops.append(o.name.lowercased())
            case .Vx, .Hx, .Ux, .Wx, .Wo, .Wh, .Wq, .Wd, .Ww, .Wb, .Mx, .Lx:
                let wide = i.vex & Insn.vexL != 0
                let vn = (wide && o != .Wo ? "ymm" : "xmm")
                switch o {
                case .Vx: ops.append(vn + "\(i.reg)")
                case .Hx: ops.append(vn + "\(i.vreg)")
                case .Lx: ops.append(vn + "\(i.imm >> 4)")
                case .Ux: ops.append(vn + "\(i.rm)")
                default:
                    let half = o == .Wh || o == .Wq || o == .Wd || o == .Ww || o == .Wb
                    ops.append(i.isMem ? memory(i, Int(i.msz) == 32 ? 0 : Int(i.msz), nextRip: nextRip)
                               : (half ? "xmm" : vn) + "\(i.rm)")
                }
            case .ST0: ops.append("st(0)")
            case .STi: ops.append("st(\(i.rm & 7))")
            case .Mt: ops.append("tbyte ptr " + memory(i, 0, nextRip: nextRip))
            case .Pq: ops.append("mm\(i.reg)")
            case .Qq, .Qd: ops.append(i.isMem ? memory(i, Int(i.msz), nextRip: nextRip) : "mm\(i.rm)")
            case .Ebr, .Ewr, .Edr:
                let w = i.pfx & Insn.rexW != 0 || i.vex & Insn.vexW != 0
                ops.append(i.isMem ? memory(i, Int(i.msz), nextRip: nextRip) : regName(i.rm, w ? 8 : 4))
            case .Nq: ops.append("mm\(i.rm)")
            }
        }
        return pre + mn + (ops.isEmpty ? "" : " " + ops.joined(separator: ", "))
    }
}

extension CPU {
    /// Register dump in the spirit of QEMU's "-d cpu".
    public func dumpState() -> String {
        func h(_ v: UInt64, _ w: Int = 16) -> String { let s = String(v, radix: 16); return String(repeating: "0", count: max(0, w - s.count)) + s }
        var o = ""
        let names = ["RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RBP", "RSP"]
        let idx = [0, 3, 1, 2, 6, 7, 5, 4]
        for k in 0..<8 { o += "\(names[k])=\(h(gpr[idx[k]]))" + (k % 4 == 3 ? "\n" : " ") }
        for r in 8..<16 { o += "R\(r)\(r < 10 ? " " : "")=\(h(gpr[r]))" + (r % 4 == 3 ? "\n" : " ") }
        o += "RIP=\(h(s.pointee.rip)) RFL=\(h(rflags, 8)) CPL=\(cpl) HLT=\(s.pointee.halted)\n"
        let sn = ["ES", "CS", "SS", "DS", "FS", "GS", "LDT", "TR"]
        for k in 0..<8 {
            let c = segs[k]
            o += "\(sn[k])\(String(repeating: " ", count: 3 - sn[k].count))=\(h(UInt64(c.selector), 4)) \(h(c.base)) \(h(UInt64(c.limit), 8)) \(h(UInt64(c.attr), 8))\n"
        }
        o += "GDT=     \(h(s.pointee.gdtrBase)) \(h(UInt64(s.pointee.gdtrLimit), 8))\nIDT=     \(h(s.pointee.idtrBase)) \(h(UInt64(s.pointee.idtrLimit), 8))\n"
        o += "CR0=\(h(s.pointee.cr0, 8)) CR2=\(h(s.pointee.cr2)) CR3=\(h(s.pointee.cr3)) CR4=\(h(s.pointee.cr4, 8))\n"
        o += "EFER=\(h(s.pointee.efer)) DR6=\(h(s.pointee.dr6)) DR7=\(h(s.pointee.dr7))\n"
        return o
    }
}
