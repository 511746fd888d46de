// Instruction decoding (SDM Vol. 2, chapter 2: prefixes, REX, VEX, ModRM, SIB, displacement,
// immediate). A pure function of the bytes, the decode mode and the CPU model's features.

public struct DecoderTables {
    /// Candidate form indices per (map << 8 | opcode), most specific first.
    var legacy: [[UInt16]] = Array(repeating: [], count: 4 * 256)
    var vex: [[UInt16]] = Array(repeating: [], count: 4 * 256)
    /// Opcodes with a ModRM byte, for the maps where swemu knows lengths of instructions it
    /// does not implement (OpcodeLengths.swift).
    init(_ forms: [InsnForm]) {
        for (i, f) in forms.enumerated() where !f.attrs.contains("alias") {
            let ops = f.opcodeReg ? (0..<8).map { Int(f.opcode) + $0 } : [Int(f.opcode)]
            for op in ops {
                let k = Int(f.map) << 8 | op
                if f.vex != nil { vex[k].append(UInt16(i)) } else { legacy[k].append(UInt16(i)) }
            }
        }
        func score(_ f: InsnForm) -> Int {
            (f.fixedModRM >= 0 ? 16 : 0) + (f.regField >= 0 ? 8 : 0) + (f.prefix != .any ? 4 : 0)
                + (f.w >= 0 ? 2 : 0) + (f.modrm == .mem || f.modrm == .reg ? 1 : 0)
        }
        for k in 0..<legacy.count {
            legacy[k].sort { score(forms[Int($0)]) > score(forms[Int($1)]) }
            vex[k].sort { score(forms[Int($0)]) > score(forms[Int($1)]) }
        }
    }
    public static let shared = DecoderTables(Table.forms)
}

public enum DecodeMode: UInt8 { case m16 = 0, m32 = 1, m64 = 2 }

public struct Decoder {
    public let mode: DecodeMode
    public let features: Feature
    let forms: [InsnForm]
    let tables: DecoderTables

    public init(mode: DecodeMode, features: Feature) {
        self.mode = mode; self.features = features
        forms = Table.forms; tables = DecoderTables.shared
    }

    /// Decode one instruction. Throws #PF/#GP from fetching, #GP(0) beyond 15 bytes.
    /// Instructions that are undefined or not implemented decode to `.invalid` (#UD when run)
    /// with their length when it is known.
    public func decode<S: ByteSource>(_ src: inout S) throws(Fault) -> Insn {
        var d = Insn()
        var n = 0
        @inline(__always) func byte() throws(Fault) -> UInt8 {
            n += 1
            if n > 15 { throw Fault.gp(0) }
            return try src.next()
        }
        let m64 = mode == .m64
        var has66 = false, has67 = false, lastRep: UInt8 = 0, segOvr = -1, lock = false
        var rex: UInt8 = 0
        var b = try byte()
        // Legacy prefixes, then (64-bit mode) REX, which counts only right before the opcode.
        while true {
            switch b {
            case 0x66: has66 = true; rex = 0
            case 0x67: has67 = true; rex = 0
            case 0xF2, 0xF3: lastRep = b; rex = 0
            case 0xF0: lock = true; rex = 0
            // In 64-bit mode ES/CS/SS/DS overrides are ignored (SDM Vol. 1, 3.3.7.1): an
            // earlier FS/GS stays in effect.
            case 0x26: if !m64 { segOvr = Seg.es }; rex = 0
            case 0x2E: if !m64 { segOvr = Seg.cs }; rex = 0
            case 0x36: if !m64 { segOvr = Seg.ss }; rex = 0
            case 0x3E: if !m64 { segOvr = Seg.ds }; rex = 0
            case 0x64: segOvr = Seg.fs; rex = 0
            case 0x65: segOvr = Seg.gs; rex = 0
            case 0x40...0x4F where m64: rex = b
            default: break
            }
            if b == 0x66 || b == 0x67 || b == 0xF2 || b == 0xF3 || b == 0xF0 || b == 0x26 || b == 0x2E
                || b == 0x36 || b == 0x3E || b == 0x64 || b == 0x65 || (m64 && b & 0xF0 == 0x40) {
                b = try byte(); continue
            }
            break
        }
        let rexW = rex & 8 != 0, rexR: UInt8 = rex & 4 != 0 ? 8 : 0
        let rexX: UInt8 = rex & 2 != 0 ? 8 : 0, rexB: UInt8 = rex & 1 != 0 ? 8 : 0
        if rex != 0 { d.pfx |= Insn.rex }
        if rexW { d.pfx |= Insn.rexW }
        if has66 { d.pfx |= Insn.opsizePrefix }

        // Opcode, possibly VEX.
        var map: UInt8 = 0
        var opcode = b
        var vex: (l: Int8, pp: MandatoryPrefix, w: Int8, vvvv: UInt8)? = nil
        var vvvvCheck: UInt8 = 0        // VEX.vvvv as written (all four bits): 0 when unused
        var vR: UInt8 = rexR, vX: UInt8 = rexX, vB: UInt8 = rexB, vW = rexW
        var pendingModRM: UInt8? = nil
        if b == 0x62 {
            let b1 = try byte()
            if m64 || b1 & 0xC0 == 0xC0 {
                return try decodeEVEX(&src, &n, p0: b1, bad: has66 || lastRep != 0 || lock || rex != 0, has67: has67, segOvr: segOvr)
            }
            pendingModRM = b1          // BOUND: b1 is the ModRM byte
        } else if b == 0xC4 || b == 0xC5 {
            let b1 = try byte()
            if m64 || b1 & 0xC0 == 0xC0 {
                // VEX (SDM Vol. 2, 2.3.5). Preceding 66/F2/F3/LOCK/REX: #UD.
                let bad = has66 || lastRep != 0 || lock || rex != 0
                var w: Int8 = 0, l: Int8, pp: UInt8, vvvv: UInt8
                if b == 0xC5 {
                    vR = b1 & 0x80 == 0 ? 8 : 0; vX = 0; vB = 0
                    vvvv = (~b1 >> 3) & 0xF; l = Int8((b1 >> 2) & 1); pp = b1 & 3; map = 1
                } else {
                    vR = b1 & 0x80 == 0 ? 8 : 0; vX = b1 & 0x40 == 0 ? 8 : 0; vB = b1 & 0x20 == 0 ? 8 : 0
                    let mm = b1 & 0x1F
                    let b2 = try byte()
                    w = Int8(b2 >> 7); vvvv = (~b2 >> 3) & 0xF; l = Int8((b2 >> 2) & 1); pp = b2 & 3
                    if mm == 0 { map = 0xFF }
                    if map != 0xFF { map = mm == 1 ? 1 : mm == 2 ? 2 : mm == 3 ? 3 : 0xFF }
                }
                vvvvCheck = vvvv
                if !m64 { vR = 0; vX = 0; vB = 0; vvvv &= 7 }
                vW = w == 1
                opcode = try byte()
                vex = (l, [MandatoryPrefix.none, .p66, .pF3, .pF2][Int(pp)], w, vvvv)
                d.vreg = vvvv
                if bad || map == 0xFF {
                    // Length is still known: a ModRM follows in every VEX map.
                    _ = try skipModRM(&src, &n, try byte(), addr16: mode == .m16 ? !has67 : (mode == .m32 && has67), m64: m64)
                    d.len = UInt8(n); d.h = .invalid; return d
                }
            } else {
                pendingModRM = b1      // LES/LDS: b1 is the ModRM byte
            }
        } else if b == 0x0F {
            let b1 = try byte()
            if b1 == 0x38 || b1 == 0x3A { map = b1 == 0x38 ? 2 : 3; opcode = try byte() }
            else { map = 1; opcode = b1 }
        }

        // Operand and address size (SDM Vol. 1, 3.6; Vol. 2, 2.2.1.2).
        let defaultOsz: UInt8 = mode == .m16 ? 2 : 4
        var asz: UInt8 = mode == .m16 ? 2 : mode == .m32 ? 4 : 8
        if has67 { asz = mode == .m16 ? 4 : mode == .m32 ? 2 : 4 }
        d.asz = asz

        let key = Int(map & 3) << 8 | Int(opcode)
        let cands = vex != nil ? tables.vex[key] : tables.legacy[key]
        let needsModRM = cands.isEmpty ? OpcodeLengths.hasModRM(enc: vex != nil ? 1 : 0, map: map, opcode: opcode)
            : cands.contains { forms[Int($0)].hasModRM }
        var modrm: UInt8 = 0
        if needsModRM { if let p = pendingModRM { modrm = p } else { modrm = try byte() } }
        // MOV to/from control and debug registers ignore ModRM.mod (SDM "MOV--Move to/from
        // Control Registers": "the 2 bits in the mod field are ignored").
        if map == 1 && vex == nil && opcode >= 0x20 && opcode <= 0x23 { modrm |= 0xC0 }
        let mod = modrm >> 6, mreg = (modrm >> 3) & 7, mrm = modrm & 7

        // Mandatory prefix as the SDM defines it: the last F2/F3, else 66.
        let mp: MandatoryPrefix = vex.map { $0.pp } ?? (lastRep == 0xF3 ? .pF3 : lastRep == 0xF2 ? .pF2 : has66 ? .p66 : .none)
        var chosen = -1
        for ci in cands {
            let f = forms[Int(ci)]
            if let v = vex, let fv = f.vex {
                if fv.pp != v.pp { continue }
                if (fv.l == 0 || fv.l == 1) && fv.l != v.l { continue }
                if fv.w >= 0 && m64 && fv.w != v.w { continue }
                if fv.l == 2 && v.l > 1 { continue }
                if vvvvCheck != 0 && !f.operands.contains(.By) && !f.operands.contains(.Hx) { continue }
            } else {
                switch f.prefix {
                case .any: break
                case .none: if mp != .none { continue }
                case .p66: if mp != .p66 { continue }
                case .pF3: if lastRep != 0xF3 { continue }
                case .pF2: if lastRep != 0xF2 { continue }
                }
            }
            if f.regField >= 0 && UInt8(f.regField) != mreg { continue }
            if f.fixedModRM >= 0 && UInt8(f.fixedModRM) != modrm { continue }
            if f.modrm == .mem && mod == 3 { continue }
            if f.modrm == .reg && mod != 3 { continue }
            if f.w >= 0 && vex == nil && (f.w == 1) != rexW { continue }
            if f.invalid64 && m64 { continue }
            if f.only64 && !m64 { continue }
            if !f.feature.isSubset(of: features) { continue }
            chosen = Int(ci); break
        }

        // Decode the ModRM memory operand now, so the length is right even for #UD forms.
        var memOperand = false
        if needsModRM && mod != 3 {
            memOperand = true
            try decodeMemory(&src, &n, &d, modrm: modrm, rexX: vX, rexB: vB)
        }
        guard chosen >= 0 else {
            // Not implemented: known (length from the opcode map, #UD when run) or undefined.
            var q = KnownQuery()
            q.enc = vex != nil ? 1 : 0; q.map = map; q.opcode = opcode; q.modrm = modrm; q.mode = mode
            q.mp = mp == .p66 ? 2 : mp == .pF3 ? 3 : mp == .pF2 ? 4 : 1
            q.w = vW; q.l = vex?.l ?? 0; q.vvvvCheck = vvvvCheck; q.lock = lock; q.asz = asz
            q.regNum = mreg | vR; q.vvvvNum = m64 ? vvvvCheck : vvvvCheck & 7; q.rmNum = mrm | vB; q.rExt = vR != 0
            q.vsibIndex = d.index == Insn.none ? 4 : d.index; q.has66 = has66
            d.h = .invalid
            if let r = OpcodeLengths.match(q), OpcodeLengths.valid(r, q) {
                let immLen = OpcodeLengths.immediateBytes(r, osz16: has66 != (mode == .m16), rexW: rexW)
                for _ in 0..<immLen { _ = try byte() }
                d.form = Insn.knownForm
            }
            d.len = UInt8(n); return d
        }
        let f = forms[chosen]
        d.form = UInt16(chosen); d.h = f.handler; d.aux = f.aux; d.cycles = f.cycles
        if memOperand { d.pfx |= Insn.mem }
        if f.isX87 && memOperand {
            d.msz = f.operands.contains(.Mt) ? 10 : f.operands.contains(.Mq) ? 8 : f.operands.contains(.Md) ? 4 : 2
        }
        if f.isSIMD {
            // VEX.L selects 256 bits for forms that have both lengths (LX) or only 256 (L1);
            // LIG forms ignore it (SDM Vol. 2, 2.3.6.2).
            var l = 0
            if let v = vex, let fv = f.vex {
                d.vex |= Insn.vexEncoded
                if vW { d.vex |= Insn.vexW }
                if fv.l == 1 || (fv.l == 2 && v.l == 1) { l = 1; d.vex |= Insn.vexL }
            }
            let size = f.simdMemorySize(l: l)
            d.msz = UInt8(size)
            if f.attrs.contains("align") || (vex == nil && size == 16 && !f.attrs.contains("unaligned")) {
                d.vex |= Insn.vexAligned
            }
        }

        // Operand size.
        var osz: UInt8
        if f.isByte { osz = 1 }
        else if f.operands.contains(where: { $0 == .Gy || $0 == .Ey || $0 == .By || $0 == .Ry }) {
            osz = (m64 && (vex != nil ? vW : rexW)) || (f.attrs.contains("f64") && m64) ? 8 : 4
        } else if m64 && f.attrs.contains("f64") { osz = 8 }
        else if m64 && f.attrs.contains("d64") { osz = has66 && !rexW ? 2 : 8 }
        else if rexW { osz = 8 }
        else { osz = has66 ? (defaultOsz == 2 ? 4 : 2) : defaultOsz }
        // CRC32 r, r/m16/32/64: the operand size is the source's (the destination is 32 or 64 bits).
        if f.handler == .crc32 && f.aux == 0 { osz = rexW ? 8 : has66 != (mode == .m16) ? 2 : 4 }
        // Port I/O moves at most 32 bits: REX.W does not make INS/OUTS/IN/OUT 64-bit.
        if osz == 8 && (f.handler == .ins || f.handler == .outs || f.handler == .inI || f.handler == .inDX
                        || f.handler == .outI || f.handler == .outDX) { osz = 4 }
        d.osz = osz

        // Register operands (byte registers without REX: 4..7 are AH..BH).
        func breg(_ r: UInt8, _ isByteOperand: Bool) -> UInt8 {
            (isByteOperand && rex == 0 && r >= 4 && r < 8) ? r + 12 : r
        }
        let gIsByte = f.operands.contains(.Gb)
        let eIsByte = f.operands.contains(.Eb) || f.operands.contains(.Zb)
        d.reg = needsModRM ? breg(mreg | vR, gIsByte) : 0   // no ModRM: the accumulator
        if needsModRM && mod == 3 { d.rm = breg(mrm | vB, eIsByte) }
        if f.opcodeReg { d.rm = breg((opcode & 7) | rexB, eIsByte) }
        if f.operands.contains(.Sw) || f.operands.contains(.Cd) || f.operands.contains(.Dd) { d.reg = mreg | vR }
        // MMX registers are numbered by three bits: REX.R/REX.B do not extend them.
        if f.operands.contains(.Pq) { d.reg = mreg }
        if needsModRM && mod == 3 && (f.operands.contains(.Qq) || f.operands.contains(.Qd) || f.operands.contains(.Nq)) { d.rm = mrm }
        // Only CR0, CR2, CR3, CR4, CR8 and DR0-DR7 exist; MOV to CS and segment registers 6, 7
        // are undefined (SDM "MOV--Move to/from Control Registers", "MOV"): #UD.
        var undefinedOperand = false
        switch f.handler {
        case .movRC, .movCR: undefinedOperand = ![0, 2, 3, 4, 8].contains(d.reg)
        case .movRD, .movDR: undefinedOperand = d.reg > 7
        case .movES: undefinedOperand = mreg > 5
        case .movSE: undefinedOperand = mreg > 5 || mreg == Seg.cs
        default: break
        }
        if undefinedOperand { d.h = .invalid; d.form = Insn.invalidForm; d.len = UInt8(n); return d }

        // Prefix flags.
        if lastRep == 0xF3 { d.pfx |= Insn.rep }
        if lastRep == 0xF2 { d.pfx |= Insn.repne }
        if segOvr >= 0 { d.pfx |= Insn.segOverride; if !m64 || segOvr >= Seg.fs { d.seg = UInt8(segOvr) } }
        if lock {
            // LOCK is allowed only on the listed forms with a memory destination (SDM "LOCK").
            if !f.lockable || !memOperand { d.h = .invalid; d.form = Insn.invalidForm }
            d.pfx |= Insn.lock
        }

        // Immediates and other trailing operands.
        for op in f.operands {
            switch op {
            case .Ib: d.imm = UInt64(try byte())
            case .Ibs: d.imm = UInt64(bitPattern: Int64(Int8(bitPattern: try byte())))
            case .Iw2: d.imm2 = UInt64(try byte())
            case .Iw: d.imm = UInt64(try byte()) | UInt64(try byte()) << 8
            case .Iz:
                if osz == 2 { d.imm = UInt64(try byte()) | UInt64(try byte()) << 8 }
                else {
                    var v: UInt32 = 0
                    for i in 0..<4 { v |= UInt32(try byte()) << UInt32(8 * i) }
                    d.imm = UInt64(bitPattern: Int64(Int32(bitPattern: v)))
                }
            case .Iv:
                var v: UInt64 = 0
                for i in 0..<Int(osz) { v |= UInt64(try byte()) << UInt64(8 * i) }
                d.imm = v
            case .Jb: d.imm = UInt64(bitPattern: Int64(Int8(bitPattern: try byte())))
            case .Jz:
                if osz == 2 { d.imm = UInt64(bitPattern: Int64(Int16(bitPattern: UInt16(try byte()) | UInt16(try byte()) << 8))) }
                else {
                    var v: UInt32 = 0
                    for i in 0..<4 { v |= UInt32(try byte()) << UInt32(8 * i) }
                    d.imm = UInt64(bitPattern: Int64(Int32(bitPattern: v)))
                }
            case .Ap:
                var v: UInt64 = 0
                for i in 0..<Int(osz) { v |= UInt64(try byte()) << UInt64(8 * i) }
                d.imm = v
                d.imm2 = UInt64(try byte()) | UInt64(try byte()) << 8
            case .Ob, .Ov:
                var v: UInt64 = 0
                for i in 0..<Int(asz) { v |= UInt64(try byte()) << UInt64(8 * i) }
                d.imm = v
            case .One: d.imm = 1
            case .Xb, .Xv, .Yb, .Yv: break
            default: break
            }
        }
        // "XCHG rAX, rAX" without REX.B is NOP; F3 90 is PAUSE (handled by the table).
        // F3 90 is PAUSE even with REX.B (as XED and iced decode it).
        if f.handler == .xchgEG && f.opcodeReg && (d.rm == 0 || (lastRep == 0xF3 && opcode == 0x90)) && d.h != .invalid {
            d.h = lastRep == 0xF3 ? .pause : .nop
            d.form = UInt16(lastRep == 0xF3 ? Table.pauseForm : Table.nopForm)
        }
        d.len = UInt8(n)
        return d
    }

    /// EVEX-encoded instructions (AVX-512; SDM Vol. 2, 2.7): not implemented, decoded for their
    /// length and validity only (#UD when run). `p0` is the byte after 62.
    func decodeEVEX<S: ByteSource>(_ src: inout S, _ n: inout Int, p0: UInt8, bad: Bool, has67: Bool, segOvr: Int) throws(Fault) -> Insn {
        @inline(__always) func byte() throws(Fault) -> UInt8 {
            n += 1; if n > 15 { throw Fault.gp(0) }; return try src.next()
        }
        var d = Insn()
        let p1 = try byte(), p2 = try byte(), opcode = try byte(), modrm = try byte()
        let m64 = mode == .m64
        d.asz = mode == .m16 ? (has67 ? 4 : 2) : mode == .m32 ? (has67 ? 2 : 4) : (has67 ? 4 : 8)
        if modrm >> 6 != 3 {
            try decodeMemory(&src, &n, &d, modrm: modrm, rexX: m64 && p0 & 0x40 == 0 ? 8 : 0, rexB: m64 && p0 & 0x20 == 0 ? 8 : 0)
        }
        d.h = .invalid; d.len = UInt8(n)
        let map = p0 & 7
        // Reserved bits: P0[3] = 0, P1[2] = 1; maps 1, 2, 3, 5, 6; outside 64-bit mode EVEX.V' = 1.
        if bad || p0 & 8 != 0 || p1 & 4 == 0 || map == 0 || map == 4 || map == 7 || (!m64 && p2 & 8 == 0) { return d }
        var q = KnownQuery()
        q.enc = 2; q.map = map; q.opcode = opcode; q.modrm = modrm; q.mode = mode
        q.mp = (p1 & 3) + 1; q.w = p1 & 0x80 != 0; q.l = Int8((p2 >> 5) & 3)
        q.vvvvCheck = (~p1 >> 3) & 0xF | (m64 ? ((~p2 & 8) << 1) : 0)
        q.aaa = p2 & 7; q.z = p2 & 0x80 != 0; q.b = p2 & 0x10 != 0; q.asz = d.asz
        let rBits: UInt8 = m64 ? (p0 & 0x80 == 0 ? 8 : 0) | (p0 & 0x10 == 0 ? 16 : 0) : 0
        q.rExt = rBits != 0
        q.regNum = (modrm >> 3) & 7 | rBits
        q.vvvvNum = m64 ? q.vvvvCheck : q.vvvvCheck & 7
        q.rmNum = modrm & 7 | (m64 ? (p0 & 0x20 == 0 ? 8 : 0) | (p0 & 0x40 == 0 ? 16 : 0) : 0)
        q.vsibIndex = (d.index == Insn.none ? 4 : d.index) | (m64 && p2 & 8 == 0 ? 16 : 0)
        if q.l == 3 && !(q.b && modrm >> 6 == 3) { return d }
        guard let r = OpcodeLengths.match(q), OpcodeLengths.valid(r, q) else { return d }
        for _ in 0..<OpcodeLengths.immediateBytes(r, osz16: false, rexW: false) { _ = try byte() }
        d.form = Insn.knownForm; d.len = UInt8(n)
        return d
    }

    /// ModRM memory operand: SIB, displacement, default segment (SDM Vol. 2, 2.1.5, 2.2.1.6).
    @inline(__always)
    func decodeMemory<S: ByteSource>(_ src: inout S, _ n: inout Int, _ d: inout Insn, modrm: UInt8,
                                     rexX: UInt8, rexB: UInt8) throws(Fault) {
        @inline(__always) func byte() throws(Fault) -> UInt8 {
            n += 1; if n > 15 { throw Fault.gp(0) }; return try src.next()
        }
        let mod = modrm >> 6, rm = modrm & 7
        var defSS = false
        if d.asz == 2 {
            // 16-bit addressing table (SDM Vol. 2, Table 2-1).
            let bases: [UInt8] = [3, 3, 5, 5, 6, 7, 5, 3], idx: [UInt8] = [6, 7, 6, 7, Insn.none, Insn.none, Insn.none, Insn.none]
            if mod == 0 && rm == 6 {
                d.base = Insn.none; d.index = Insn.none
                d.disp = Int32(UInt16(try byte()) | UInt16(try byte()) << 8)
            } else {
                d.base = bases[Int(rm)]; d.index = idx[Int(rm)]
                defSS = rm == 2 || rm == 3 || rm == 6
                if mod == 1 { d.disp = Int32(Int8(bitPattern: try byte())) }
                if mod == 2 { d.disp = Int32(UInt16(try byte()) | UInt16(try byte()) << 8) }
            }
        } else {
            if rm == 4 {
                let sib = try byte()
                let ss = sib >> 6, ix = ((sib >> 3) & 7) | rexX, bs = sib & 7
                d.index = ix == 4 ? Insn.none : ix
                d.scale = ss
                if bs == 5 && mod == 0 { d.base = Insn.none; d.disp = try disp32() }
                else { d.base = bs | rexB; defSS = bs == 4 || bs == 5 }
            } else if rm == 5 && mod == 0 {
                d.base = mode == .m64 ? Insn.ripRel : Insn.none
                d.disp = try disp32()
            } else {
                d.base = rm | rexB; defSS = rm == 4 || rm == 5
            }
            if mod == 1 { d.disp = Int32(Int8(bitPattern: try byte())) }
            if mod == 2 { d.disp = try disp32() }
        }
        d.seg = UInt8(defSS ? Seg.ss : Seg.ds)
        @inline(__always) func disp32() throws(Fault) -> Int32 {
            var v: UInt32 = 0
            for i in 0..<4 { v |= UInt32(try byte()) << UInt32(8 * i) }
            return Int32(bitPattern: v)
        }
    }

    /// Length of a ModRM operand for an instruction decoded only for its length.
    func skipModRM<S: ByteSource>(_ src: inout S, _ n: inout Int, _ modrm: UInt8, addr16: Bool, m64: Bool) throws(Fault) -> Int {
        var d = Insn(); d.asz = addr16 ? 2 : 4
        if modrm >> 6 != 3 { try decodeMemory(&src, &n, &d, modrm: modrm, rexX: 0, rexB: 0) }
        return n
    }
}

extension Table {
    static let nopForm: Int = forms.firstIndex { $0.mnemonic == "NOP" && $0.operands.isEmpty }!
    static let pauseForm: Int = forms.firstIndex { $0.mnemonic == "PAUSE" }!
}
