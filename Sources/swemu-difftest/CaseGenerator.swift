// Generates differential test cases from the instruction table (issue 3: "generates cases
// from the table: random and edge operands ..., random register and flag state, memory
// operands, prefixes"). Every memory operand is aimed into the oracle's data area.

import CPU
import COracle

struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func chance(_ num: Int, _ den: Int) -> Bool { below(den) < num }
    /// Edge values of a given width, or random.
    mutating func edge(_ bytes: Int) -> UInt64 {
        let bits = UInt64(bytes * 8)
        let m: UInt64 = bytes == 8 ? ~0 : (1 << bits) - 1
        switch below(12) {
        case 0: return 0
        case 1: return 1
        case 2: return m
        case 3: return (m >> 1)               // max signed
        case 4: return (m >> 1) &+ 1          // min signed
        case 5: return m &- 1
        case 6: return UInt64(below(64))
        case 7: return (m >> 1) &- 1
        default: return next() & m
        }
    }
}

struct TestCase {
    var mode: Int
    var bytes: [UInt8] = []
    var regs = [UInt64](repeating: 0, count: 16)
    var flags: UInt64 = 2
    var mem = [UInt8](repeating: 0, count: Int(ORACLE_DATA_SIZE))
    var form = 0
    var osz = 4
    var isMem = false
    /// Arithmetic flags and DF compared after the instruction.
    var flagMask: UInt64 = 0xCD5
    /// SIMD groups: the extended state (XSAVE format) the case starts from; empty otherwise.
    var xs: [UInt8] = []
    var group: Group = .integer
    var dataBase: UInt64 { mode == 16 ? ORACLE_DATA_BASE16 : ORACLE_DATA_BASE }
    var codeBase: UInt64 { mode == 16 ? ORACLE_CODE_BASE16 : ORACLE_CODE_BASE }
}

struct CaseGenerator {
    let forms = Table.forms
    var rng: SplitMix
    let features = CPUModel.difftest.features

    init(seed: UInt64) { rng = SplitMix(state: seed) }

    /// Forms this mode can test against its oracle.
    func testable(_ f: InsnForm, mode: Int) -> Bool {
        if f.attrs.contains("nodiff") || f.attrs.contains("alias") { return false }
        if !f.feature.isSubset(of: features) { return false }
        if mode == 64 && f.invalid64 { return false }
        if mode != 64 && f.only64 { return false }
        if f.vex != nil && mode == 16 { return false }     // VEX is #UD in real mode
        switch f.handler {
        case .hlt, .cpuid, .rdtsc, .rdtscp, .rdpid, .rdmsr, .wrmsr, .rdpmc, .rdrand, .rdseed: return false
        case .pushSeg where mode != 64: return false       // unicorn's selector values differ
        case .int1 where mode != 64: return false          // unicorn raises #UD for F1 (allow-list)
        case .intN where mode != 64: return false          // unicorn's CPL 0 delivers it; host-only
        default: return true
        }
    }

    static let stackUsers: Set<H> = [.push, .pop, .pushI, .pushSeg, .pusha, .popa, .pushf, .popf, .enter, .leave,
                                     .callRel, .callE, .ret]

    mutating func make(form fi: Int, mode: Int) -> TestCase {
        let f = forms[fi]
        var c = TestCase(mode: mode)
        c.form = fi
        c.group = group(of: f)
        let m64 = mode == 64
        for r in 0..<16 { c.regs[r] = m64 ? rng.edge(8) : rng.edge(4) }
        c.flags = (rng.next() & 0x8D5) | 2
        if rng.chance(1, 4) { c.flags |= 0x400 }
        for k in 0..<c.mem.count { c.mem[k] = UInt8(truncatingIfNeeded: rng.next()) }
        if c.group != .integer { simdState(&c) }
        if c.group == .x87 { x87State(&c) }

        // Operand size.
        let yForm = f.operands.contains { [.Gy, .Ey, .By, .Ry].contains($0) }
        var p66 = false, rexW = false
        if f.isByte {
        } else if yForm {
            rexW = m64 && rng.chance(1, 2)
            if f.handler == .crc32 && rng.chance(1, 3) && !rexW { p66 = true }
        } else if m64 && f.attrs.contains("f64") {
        } else if m64 && f.attrs.contains("d64") {
            p66 = rng.chance(1, 4)
        } else {
            switch rng.below(3) { case 0: p66 = true; case 1: rexW = m64; default: break }
        }
        if f.handler == .bswap { p66 = false }                 // 16-bit BSWAP is undefined
        if f.handler == .int1 { p66 = false; rexW = false }    // prefixed ICEBP: see allow-list
        // A 16-bit operand size truncates a 32-bit mode branch target to IP (unmapped).
        if mode == 32 && [.jmpRel, .jcc, .callRel, .ret, .jmpE, .callE, .loop, .jcxz].contains(f.handler) { p66 = false }
        if f.handler == .cmpxchg8b { p66 = false }
        if f.prefix != .any || f.vex != nil { p66 = false }   // mandatory-prefix forms
        let defaultOsz = mode == 16 ? 2 : 4
        var osz: Int
        if f.isByte { osz = 1 }
        else if yForm { osz = rexW ? 8 : 4 }
        else if m64 && f.attrs.contains("f64") { osz = 8 }
        else if m64 && f.attrs.contains("d64") { osz = p66 ? 2 : 8 }
        else if rexW { osz = 8 }
        else { osz = p66 ? (defaultOsz == 2 ? 4 : 2) : defaultOsz }
        if f.handler == .crc32 { osz = rexW ? 8 : 4 }
        c.osz = osz

        // Address size and the memory operand.
        var p67 = false
        let wantsMem: Bool
        switch f.modrm {
        case .none: wantsMem = false
        case .mem: wantsMem = true
        case .reg: wantsMem = false
        case .any: wantsMem = f.fixedModRM < 0 && rng.chance(1, 2)
        }
        // a16 in 32-bit mode cannot reach the data area at 256 MiB (segment bases are 0).
        if wantsMem && rng.chance(1, 6) && f.handler != .movRO && mode != 32 { p67 = true }
        let asz = mode == 16 ? (p67 ? 4 : 2) : mode == 32 ? (p67 ? 2 : 4) : (p67 ? 4 : 8)
        c.isMem = wantsMem

        var rex: UInt8 = rexW ? 0x48 : 0
        var modrmBytes: [UInt8] = []
        var pinned = Set<Int>()
        if CaseGenerator.stackUsers.contains(f.handler) { pinned.insert(4) }
        if [.movs, .cmps, .stos, .lods, .scas].contains(f.handler) { pinned.formUnion([1, 6, 7]) }
        if f.handler == .xlat { pinned.insert(3) }
        if f.handler == .shldCL || f.handler == .shrdCL { pinned.insert(1) }   // CL must stay <= 16
        if f.handler == .enter || f.handler == .leave { pinned.insert(5) }
        if f.handler == .maskmov { pinned.insert(7) }
        var dataTarget = c.dataBase + 0x100 + UInt64(rng.below(0x1C00)) & ~UInt64(rng.chance(1, 2) ? 0 : 7)
        // SIMD memory operands: mostly aligned to 32 bytes (aligned forms #GP otherwise), and
        // sometimes across the page boundary in the middle of the data area.
        if c.group != .integer {
            if rng.chance(7, 8) { dataTarget &= ~31 }
            if rng.chance(1, 16) { dataTarget = c.dataBase + 0x1000 - UInt64(1 + rng.below(31)) }
        }
        var regField = f.regField >= 0 ? UInt8(f.regField) : UInt8(rng.below(8))
        if f.operands.contains(.Sw) { regField = UInt8(rng.below(6)) }
        if m64 && f.regField < 0 && rng.chance(1, 3) { rex |= 0x44 }  // REX.R
        let regFieldFull = Int(regField) | (rex & 4 != 0 ? 8 : 0)
        if f.handler == .btEG { pinned.insert(regFieldFull) }   // the bit offset stays small
        var setRegs: [(Int, UInt64)] = []

        if f.hasModRM {
            if f.fixedModRM >= 0 {
                modrmBytes = [UInt8(f.fixedModRM)]
            } else if !wantsMem {
                var rm = UInt8(rng.below(8))
                if (f.handler == .jmpE || f.handler == .callE) && rm == 4 { rm = 3 }   // target register, not RSP
                if m64 && rng.chance(1, 3) { rex |= 0x41 }
                if f.handler == .cmpxchg8b { rm = 0 }
                modrmBytes = [0xC0 | regField << 3 | rm]
            } else if asz == 2 {
                // 16-bit addressing (SDM Vol. 2, Table 2-1): BX, BP, SI, DI.
                let rm = UInt8(rng.below(8))
                let mod: UInt8 = rm == 6 ? UInt8(rng.below(3)) : UInt8(rng.below(3))
                let baseRegs: [[Int]] = [[3, 6], [3, 7], [5, 6], [5, 7], [6], [7], [5], [3]]
                var regsUsed = baseRegs[Int(rm)]
                var disp: Int64 = 0
                var dispBytes: [UInt8] = []
                if mod == 0 && rm == 6 { regsUsed = []; disp = Int64(dataTarget & 0xFFFF); dispBytes = le(UInt64(disp), 2) }
                else if mod == 1 { disp = Int64(Int8(truncatingIfNeeded: rng.next())); dispBytes = [UInt8(truncatingIfNeeded: disp)] }
                else if mod == 2 { disp = Int64(rng.below(0x100)); dispBytes = le(UInt64(disp), 2) }
                if regsUsed.contains(where: { pinned.contains($0) }) { regsUsed = []; }
                if regsUsed.isEmpty && !(mod == 0 && rm == 6) {
                    modrmBytes = [regField << 3 | 6] + le(dataTarget & 0xFFFF, 2)
                } else {
                    modrmBytes = [mod << 6 | regField << 3 | rm] + dispBytes
                    if regsUsed.count == 2 {
                        let idx = UInt64(rng.below(0x40))
                        setRegs.append((regsUsed[1], idx))
                        setRegs.append((regsUsed[0], (dataTarget &- idx &- UInt64(bitPattern: disp)) & 0xFFFF))
                    } else if regsUsed.count == 1 {
                        setRegs.append((regsUsed[0], (dataTarget &- UInt64(bitPattern: disp)) & 0xFFFF))
                    }
                }
            } else {
                // 32/64-bit addressing.
                let choice = rng.below(m64 ? 6 : 5)
                var base = rng.below(8), index = rng.below(8)
                if m64 && rng.chance(1, 3) { base |= 8; rex |= 0x41 }
                if m64 && rng.chance(1, 3) { index |= 8; rex |= 0x42 }
                while pinned.contains(base) || base & 7 == 4 || base & 7 == 5 { base = (base + 1) & (m64 ? 15 : 7); if m64 { rex = base >= 8 ? rex | 0x41 : rex & ~1 } }
                while pinned.contains(index) || index == 4 || index == base { index = (index + 1) & (m64 ? 15 : 7); if m64 { rex = index >= 8 ? rex | 0x42 : rex & ~2 } }
                if m64 { if base >= 8 { rex |= 0x41 } else { rex &= ~1 }; if index >= 8 { rex |= 0x42 } else { rex &= ~2 } }
                let amask: UInt64 = asz == 4 ? 0xFFFF_FFFF : ~0
                switch choice {
                case 0: // [base]
                    modrmBytes = [regField << 3 | UInt8(base & 7)]
                    setRegs.append((base, dataTarget))
                case 1: // [base + disp8]
                    let d = Int64(Int8(truncatingIfNeeded: rng.next()))
                    modrmBytes = [0x40 | regField << 3 | UInt8(base & 7), UInt8(truncatingIfNeeded: d)]
                    setRegs.append((base, (dataTarget &- UInt64(bitPattern: d)) & amask))
                case 2: // [base + index*scale + disp32]
                    let sc = rng.below(4), iv = UInt64(rng.below(0x40)), d = Int64(rng.below(0x200)) - 0x100
                    modrmBytes = [0x80 | regField << 3 | 4, UInt8(sc << 6 | (index & 7) << 3 | (base & 7))] + le(UInt64(bitPattern: d), 4)
                    setRegs.append((index, iv))
                    setRegs.append((base, (dataTarget &- (iv << UInt64(sc)) &- UInt64(bitPattern: d)) & amask))
                case 3: // [index*scale + disp32] (no base)
                    let sc = rng.below(4), iv = UInt64(rng.below(0x40))
                    let d = dataTarget &- (iv << UInt64(sc))
                    modrmBytes = [regField << 3 | 4, UInt8(sc << 6 | (index & 7) << 3 | 5)] + le(d, 4)
                    setRegs.append((index, iv))
                    if m64 { rex &= ~1 }
                case 4: // [disp32]
                    if m64 { modrmBytes = [regField << 3 | 4, 0x25] + le(dataTarget, 4); rex &= ~3 }
                    else { modrmBytes = [regField << 3 | 5] + le(dataTarget, 4) }
                default: // RIP-relative (64-bit only); displacement fixed once the length is known
                    modrmBytes = [regField << 3 | 5, 0, 0, 0, 0]
                    rex &= ~3
                }
            }
        }
        if !m64 { rex = 0 }

        // Immediates.
        var imm: [UInt8] = []
        var branchRel = false
        for o in f.operands {
            switch o {
            case .Ib:
                var v = rng.edge(1)
                if [.shiftEI, .shldI, .shrdI].contains(f.handler) {
                    v = UInt64([0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 255][rng.below(15)])
                    if (f.handler == .shldI || f.handler == .shrdI) && osz == 2 { v &= 15 }
                }
                if f.handler == .aam && v == 0 && rng.chance(3, 4) { v = 10 }
                imm += [UInt8(v)]
            case .Ibs: imm += [UInt8(truncatingIfNeeded: rng.edge(1))]
            case .Iw: imm += le(f.handler == .enter ? UInt64(rng.below(32)) : f.handler == .ret ? UInt64(rng.below(16)) : rng.edge(2), 2)
            case .Iw2: imm += [UInt8(rng.below(4))]
            case .Iz: imm += le(rng.edge(osz == 2 ? 2 : 4), osz == 2 ? 2 : 4)
            case .Iv: imm += le(rng.edge(osz), osz)
            case .Jb: imm += [0]; branchRel = true
            case .Jz: imm += [0, 0, 0, 0].prefix(osz == 2 ? 2 : 4); branchRel = true
            case .Ob, .Ov:
                imm += le(dataTarget, asz)
            default: break
            }
        }
        if f.handler == .intN {
            var n = UInt64(rng.below(256)); while n == 0x80 { n = UInt64(rng.below(256)) }
            if rng.chance(1, 3) { n = UInt64([3, 4][rng.below(2)]) }
            imm = [UInt8(n)]
        }

        // Prefix bytes.
        var bytes: [UInt8] = []
        if f.attrs.contains("rep") && f.prefix == .any && rng.chance(2, 3) {
            bytes.append(f.flagsWritten.isEmpty ? 0xF3 : (rng.chance(1, 2) ? 0xF3 : 0xF2))
        }
        if f.lockable && wantsMem && rng.chance(1, 3) { bytes.append(0xF0) }
        // Segment overrides (not CS in 32-bit mode: Unicorn does not enforce that code
        // segments are read-only).
        if !m64 && wantsMem && rng.chance(1, 8) { bytes.append(mode == 32 ? [0x26, 0x36, 0x3E][rng.below(3)] : [0x26, 0x2E, 0x36, 0x3E][rng.below(4)]) }
        if p66 { bytes.append(0x66) }
        if p67 { bytes.append(0x67) }
        switch f.prefix { case .p66: bytes.append(0x66); case .pF3: bytes.append(0xF3); case .pF2: bytes.append(0xF2); default: break }
        var opcode = f.opcode
        if f.opcodeReg {
            var r = UInt8(rng.below(8))
            if m64 && rng.chance(1, 3) { rex |= 0x41 }
            if f.handler == .xchgEG && r == 0 && rex & 1 == 0 { r = 1 }
            opcode |= r
        }
        if let v = f.vex {
            // VEX.vvvv must be 1111b (encoded) when the form has no By operand (else #UD).
            let vvvv = f.operands.contains(.By) ? UInt8(rng.below(m64 ? 16 : 8)) : 0
            let R: UInt8 = rex & 4 != 0 ? 1 : 0, X: UInt8 = rex & 2 != 0 ? 1 : 0, B: UInt8 = rex & 1 != 0 ? 1 : 0
            let W: UInt8 = v.w == 1 || (v.w < 0 && rexW) ? 1 : 0
            let pp: UInt8 = v.pp == .p66 ? 1 : v.pp == .pF3 ? 2 : v.pp == .pF2 ? 3 : 0
            bytes += [0xC4, (~R & 1) << 7 | (~X & 1) << 6 | (~B & 1) << 5 | f.map,
                      W << 7 | (~vvvv & 0xF) << 3 | UInt8(max(v.l, 0)) << 2 | pp, opcode]
        } else {
            if rex != 0 { bytes.append(rex | 0x40) }
            switch f.map { case 1: bytes += [0x0F]; case 2: bytes += [0x0F, 0x38]; case 3: bytes += [0x0F, 0x3A]; default: break }
            bytes.append(opcode)
        }
        let modrmAt = bytes.count
        bytes += modrmBytes
        let immAt = bytes.count
        bytes += imm
        let len = bytes.count
        // RIP-relative displacement, now that the length is known.
        if m64 && !modrmBytes.isEmpty && modrmBytes[0] & 0xC7 == 0x05 && wantsMem {
            let d = Int64(bitPattern: dataTarget) - Int64(bitPattern: c.codeBase + UInt64(len))
            let db = le(UInt64(bitPattern: d), 4)
            for k in 0..<4 { bytes[modrmAt + 1 + k] = db[k] }
        }
        // Branches: when taken, land on the oracle's second epilogue.
        let target = c.codeBase + UInt64(ORACLE_BRANCH_TARGET_OFFSET)
        if branchRel {
            // rel8 cannot reach the second epilogue: land in the int3 padding after the first
            // one instead (the host oracle then reports #BP at target + 1; see Oracle.run).
            let n0 = len - immAt
            let rel = n0 == 1 ? Int64(5 + rng.below(16)) : Int64(ORACLE_BRANCH_TARGET_OFFSET) - Int64(len)
            let n = n0
            let rb = le(UInt64(bitPattern: rel), n)
            for k in 0..<n { bytes[immAt + k] = rb[k] }
        }
        c.bytes = bytes

        // Registers the instruction's semantics depend on.
        let sp = c.dataBase + 0x1000 + UInt64(rng.below(0x100)) * (mode == 16 ? 2 : 8)
        if pinned.contains(4) { c.regs[4] = sp }
        switch f.handler {
        case .movs, .cmps, .stos, .lods, .scas:
            c.regs[6] = c.dataBase + 0x600 + UInt64(rng.below(0x100))
            c.regs[7] = c.dataBase + 0xC00 + UInt64(rng.below(0x100))
            c.regs[1] = bytes.contains(0xF3) || bytes.contains(0xF2) ? UInt64(rng.below(8)) : c.regs[1]
            if rng.chance(1, 8) { c.mem.replaceSubrange(0x600..<0x700, with: c.mem[0xC00..<0xD00]) }   // equal runs for REPE
        case .xlat: c.regs[3] = c.dataBase + UInt64(rng.below(0x100))
        case .enter, .leave: c.regs[5] = c.dataBase + 0x1800 + UInt64(rng.below(0x40)) * 8
        case .loop, .jcxz: c.regs[1] = UInt64(rng.below(3))
        case .maskmov: c.regs[7] = dataTarget & (mode == 16 ? 0xFFFF : ~0)
        case .vpcmpstr:
            // Explicit lengths around the element counts, negative ones included.
            if rng.chance(3, 4) { c.regs[0] = UInt64(bitPattern: Int64(rng.below(41) - 20)) }
            if rng.chance(3, 4) { c.regs[2] = UInt64(bitPattern: Int64(rng.below(41) - 20)) }
        case .ret:
            let a = Int(sp - c.dataBase)
            let rv = rng.chance(3, 4) ? target : c.codeBase + UInt64(len)
            for k in 0..<osz { c.mem[a + k] = UInt8(truncatingIfNeeded: rv >> UInt64(8 * k)) }
        case .popf:
            let a = Int(sp - c.dataBase)
            let v = (rng.next() & 0xCD5) | 2
            for k in 0..<(osz) { c.mem[a + k] = UInt8(truncatingIfNeeded: v >> UInt64(8 * k)) }
        case .divE, .idivE:
            if rng.chance(1, 2) { c.regs[2] = UInt64(rng.below(4)); c.regs[0] = rng.edge(osz) }
        case .shldCL, .shrdCL: if osz == 2 { c.regs[1] = (c.regs[1] & ~0xFF) | (c.regs[1] & 0x0F) }  // >16: undefined
        case .btEG: if wantsMem { c.regs[regFieldFull] = UInt64(bitPattern: Int64(rng.below(320) - 64)) }
        case .cmpxchg8b:
            if wantsMem && rng.chance(1, 2) {
                // Make the comparison succeed sometimes.
                let a = Int(dataTarget - c.dataBase)
                for k in 0..<4 { c.mem[a + k] = UInt8(truncatingIfNeeded: c.regs[0] >> UInt64(8 * k)); c.mem[a + 4 + k] = UInt8(truncatingIfNeeded: c.regs[2] >> UInt64(8 * k)) }
            }
        default: break
        }
        if f.handler == .jmpE || f.handler == .callE {
            if wantsMem {
                let a = Int(dataTarget - c.dataBase)
                for k in 0..<osz where a + k < c.mem.count { c.mem[a + k] = UInt8(truncatingIfNeeded: target >> UInt64(8 * k)) }
            } else if let rm = modrmBytes.first {
                let r = Int(rm & 7) | (rex & 1 != 0 ? 8 : 0)
                if !pinned.contains(r) { c.regs[r] = target }
            }
        }
        for (r, v) in setRegs { c.regs[r] = v }
        if !m64 { for r in 0..<16 { c.regs[r] &= 0xFFFF_FFFF } }

        // Flags compared: the six arithmetic flags and DF, less those the table leaves undefined
        // and those the SDM leaves undefined for this instance (shift counts, etc.).
        var undefined = f.flagsUndefined.rflagsMask
        if [.shiftEI, .shiftECL, .shldI, .shldCL, .shrdI, .shrdCL].contains(f.handler) {
            let count = (f.handler == .shiftECL || f.handler == .shldCL || f.handler == .shrdCL) ? c.regs[1] & 0xFF : UInt64(imm.first ?? 1)
            let masked = count & (osz == 8 ? 63 : 31)
            undefined = masked == 1 ? (undefined & ~FL.of) : undefined
            if masked == 0 { undefined = 0 }
            if osz < 4 && masked >= UInt64(osz * 8) { undefined |= FL.cf | FL.of }
            if (f.handler == .shldCL || f.handler == .shrdCL) && osz == 2 && masked > 16 {
                undefined |= FL.arith   // and the result: see the allow-list
            }
        }
        c.flagMask = 0xCD5 & ~undefined
        return c
    }
}

func le(_ v: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> UInt64(8 * $0)) } }
