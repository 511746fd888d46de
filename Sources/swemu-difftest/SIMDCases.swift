// Floating-point and SIMD cases: instruction groups, the extended state (x87, MXCSR, XMM/YMM)
// each case starts from, and its comparison. The state travels in the XSAVE standard format
// (oracle.h, ORACLE_XS_*), which the host oracle loads with XRSTOR and saves with XSAVE.

import CPU
import COracle

enum Group: String, CaseIterable { case integer, x87, mmx, sse, avx }

let avxFeatures: Feature = [.avx, .avx2, .fma, .f16c]

/// The group a form belongs to (`--group`).
func group(of f: InsnForm) -> Group {
    if f.vex != nil && (f.isSIMD || !f.feature.intersection(avxFeatures).isEmpty) { return .avx }
    if f.map == 0 && f.opcode >= 0xD8 && f.opcode <= 0xDF { return .x87 }
    let xmm = f.operands.contains { [.Vx, .Wx, .Ux, .Hx, .Wo, .Wh, .Wq, .Wd, .Ww, .Wb, .Mx].contains($0) }
    if f.isSIMD { return xmm ? .sse : .mmx }
    if f.handler == .emms { return .mmx }
    // MXCSR and FXSAVE state instructions; CRC32, POPCNT and MOVNTI work on general registers
    // and stay with the integer group (and its 16/32-bit Unicorn runs).
    if [.ldmxcsr, .stmxcsr, .fxsave, .fxrstor].contains(f.handler) { return .sse }
    return .integer
}

/// Interesting single- and double-precision bit patterns (SDM Vol. 1, 4.2.2 and 4.8):
/// zeros, infinities, quiet and signalling NaNs with payloads, denormals, the extremes of
/// the normal range, integer-valued and half-way values, and values at the edges of the
/// integer conversions.
let f32Specials: [UInt32] = [
    0x0000_0000, 0x8000_0000, 0x7F80_0000, 0xFF80_0000, 0x7FC0_0000, 0xFFC0_0000, 0x7FC1_2345, 0xFFEA_BCDE,
    0x7F80_0001, 0xFFA0_0000, 0x7FBF_FFFF, 0x0000_0001, 0x8000_0001, 0x007F_FFFF, 0x807F_FFFF, 0x0080_0000,
    0x8080_0000, 0x7F7F_FFFF, 0xFF7F_FFFF, 0x3F80_0000, 0xBF80_0000, 0x3F00_0000, 0x3FC0_0000, 0x4020_0000,
    0xC020_0000, 0x4F00_0000, 0xCF00_0000, 0x4EFF_FFFF, 0x5F00_0000, 0xDF00_0000, 0x3F7F_FFFF, 0x0040_0000,
]
let f64Specials: [UInt64] = [
    0, 0x8000_0000_0000_0000, 0x7FF0_0000_0000_0000, 0xFFF0_0000_0000_0000, 0x7FF8_0000_0000_0000,
    0xFFF8_0000_0000_0000, 0x7FF8_1234_5678_9ABC, 0x7FF0_0000_0000_0001, 0xFFF4_0000_0000_0000,
    0x0000_0000_0000_0001, 0x800F_FFFF_FFFF_FFFF, 0x0010_0000_0000_0000, 0x7FEF_FFFF_FFFF_FFFF,
    0xFFEF_FFFF_FFFF_FFFF, 0x3FF0_0000_0000_0000, 0xBFF0_0000_0000_0000, 0x3FE0_0000_0000_0000,
    0x3FF8_0000_0000_0000, 0x4004_0000_0000_0000, 0x41E0_0000_0000_0000, 0xC1E0_0000_0000_0000,
    0x43E0_0000_0000_0000, 0xC3E0_0000_0000_0000, 0x41DF_FFFF_FFC0_0000, 0x3FEF_FFFF_FFFF_FFFF,
    0x36A0_0000_0000_0000, 0x47EF_FFFF_E000_0000, 0x3810_0000_0000_0000,
]

extension SplitMix {
    mutating func f32() -> UInt32 {
        switch below(8) {
        case 0, 1, 2: return f32Specials[below(f32Specials.count)]
        case 3: return Float(Int(below(2001)) - 1000).bitPattern
        case 4: return Float(Double(Int64(bitPattern: next())) / Double(1 << 40)).bitPattern
        case 5: return (0x3F80_0000 | UInt32(truncatingIfNeeded: next()) & 0x807F_FFFF) // around +-1
        default: return UInt32(truncatingIfNeeded: next())
        }
    }
    mutating func f64() -> UInt64 {
        switch below(8) {
        case 0, 1, 2: return f64Specials[below(f64Specials.count)]
        case 3: return Double(Int(below(2001)) - 1000).bitPattern
        case 4: return (Double(Int64(bitPattern: next())) / Double(1 << 40)).bitPattern
        case 5: return 0x3FF0_0000_0000_0000 | next() & 0x800F_FFFF_FFFF_FFFF
        default: return next()
        }
    }
    /// 16 bytes viewed as floats, doubles, small integers or random bits.
    mutating func vector16() -> [UInt8] {
        var b: [UInt8] = []
        switch below(5) {
        case 0, 1: for _ in 0..<4 { b += le(UInt64(f32()), 4) }
        case 2: for _ in 0..<2 { b += le(f64(), 8) }
        case 3: for _ in 0..<8 { b += le(UInt64(below(5) == 0 ? 0x8000 : below(7) == 0 ? 0x7FFF : below(300)), 2) }
        default: for _ in 0..<2 { b += le(next(), 8) }
        }
        return b
    }
    /// MXCSR: any rounding mode, DAZ/FTZ, mostly masked exceptions, some sticky flags.
    mutating func mxcsr() -> UInt32 {
        var m: UInt32 = 0x1F80
        if chance(1, 2) { m = (m & ~0x6000) | UInt32(below(4)) << 13 }
        if chance(1, 4) { m |= 0x0040 }
        if chance(1, 4) { m |= 0x8000 }
        if chance(1, 4) { m &= ~(UInt32(below(64)) << 7) }
        if chance(1, 4) { m |= UInt32(below(64)) }
        return m
    }
}

extension SplitMix {
    /// An 80-bit x87 value (significand, sign|exponent): every class of SDM Vol. 1, 8.2.2
    /// and 4.8.3 (zeros, denormals, pseudo-denormals, normals, unnormals, infinities, quiet
    /// and signalling NaNs, pseudo-NaNs), small integers and values around 1.
    mutating func f80() -> (UInt64, UInt64) {
        let sign: UInt64 = chance(1, 2) ? 0x8000 : 0
        let top: UInt64 = 1 << 63
        switch below(14) {
        case 0: return (0, sign)
        case 1: return (next() & ~top | 1, sign)                                   // denormal
        case 2: return (next() | top, sign)                                        // pseudo-denormal
        case 3: return (next() & ~top, sign | UInt64(1 + below(0x7FFE)))           // unnormal
        case 4: return (top, sign | 0x7FFF)                                        // infinity
        case 5: return (top | 1 << 62 | (chance(1, 2) ? 0 : next() >> 2), sign | 0x7FFF)  // QNaN
        case 6: return (top | (next() >> 2 | 1), sign | 0x7FFF)                   // SNaN
        case 7: return (next() & ~top, sign | 0x7FFF)                              // pseudo-NaN / pseudo-infinity
        case 8:                                                                    // small integers
            let v = UInt64(1 + below(1000)); let lz = v.leadingZeroBitCount
            return (v << UInt64(lz), sign | UInt64(0x3FFF + 63 - lz))
        case 9: return (top | next() >> 1, sign | UInt64(0x3FFF - 2 + below(5)))  // around 1
        case 10: return (top | next() >> 1, sign | UInt64(below(2) == 0 ? 1 + below(64) : 0x7FFE - below(64)))  // extremes
        default: return (top | next() >> 1, sign | UInt64(0x3FFF - 80 + below(160)))
        }
    }
}

extension CaseGenerator {
    /// The x87 state an x87 case starts from: any precision and rounding control, mostly
    /// masked exceptions, any TOP and tags, sometimes an unmasked exception already pending
    /// (ES set: the instruction must raise #MF).
    mutating func x87State(_ c: inout TestCase) {
        var fcw: UInt64 = 0x037F
        if rng.chance(1, 2) { fcw = (fcw & ~0x0C00) | UInt64(rng.below(4)) << 10 }
        if rng.chance(1, 3) { fcw = (fcw & ~0x0300) | UInt64(rng.below(4)) << 8 }
        if rng.chance(1, 4) { fcw &= ~UInt64(rng.below(64)) }
        var fsw = UInt64(rng.below(8)) << 11 | (rng.next() & 0x4700)       // TOP, C0-C3
        fsw |= rng.next() & 0x3F & fcw                                        // masked flags only
        if rng.chance(1, 16) { let e = UInt64(1) << UInt64(rng.below(6)); fsw |= e; fcw &= ~e; fsw |= 0x8080 }
        func put(_ o: Int, _ v: UInt64, _ n: Int) { for k in 0..<n { c.xs[o + k] = UInt8(truncatingIfNeeded: v >> UInt64(8 * k)) } }
        put(0, fcw, 2); put(2, fsw, 2)
        put(4, rng.chance(1, 3) ? 0xFF : rng.next() & 0xFF, 1)
        for k in 0..<8 {
            let (sig, se) = rng.f80()
            put(Int(ORACLE_XS_ST) + 16 * k, sig, 8); put(Int(ORACLE_XS_ST) + 16 * k + 8, se, 2)
        }
        // Memory operands: x87 values of every size around the data area.
        if rng.chance(1, 2) {
            var k = 0
            while k + 16 <= c.mem.count {
                let (sig, se) = rng.f80()
                switch rng.below(3) {
                case 0: for j in 0..<8 { c.mem[k + j] = UInt8(truncatingIfNeeded: sig >> UInt64(8 * j)) }
                        c.mem[k + 8] = UInt8(se & 0xFF); c.mem[k + 9] = UInt8(se >> 8)
                default: let v = rng.vector16(); for j in 0..<16 { c.mem[k + j] = v[j] }
                }
                k += 16
            }
        }
    }

    /// The extended state a SIMD case starts from (XSAVE standard format, 832 bytes).
    mutating func simdState(_ c: inout TestCase) {
        var xs = [UInt8](repeating: 0, count: 832)
        func put(_ o: Int, _ bytes: [UInt8]) { for (k, v) in bytes.enumerated() { xs[o + k] = v } }
        put(Int(ORACLE_XS_FCW), le(0x037F, 2))
        put(Int(ORACLE_XS_FTW), [rng.chance(1, 2) ? 0 : UInt8(truncatingIfNeeded: rng.next())])
        put(Int(ORACLE_XS_MXCSR), le(UInt64(rng.mxcsr()), 4))
        put(28, le(0xFFFF, 4))
        for k in 0..<8 { put(Int(ORACLE_XS_ST) + 16 * k, le(rng.next(), 8) + le(rng.next() & 0xFFFF, 2)) }
        for r in 0..<16 { put(Int(ORACLE_XS_XMM) + 16 * r, rng.vector16()) }
        for r in 0..<16 { put(Int(ORACLE_XS_YMMH) + 16 * r, rng.vector16()) }
        put(Int(ORACLE_XS_HEADER), le(7, 8))
        c.xs = xs
        // Memory operands of floating-point forms see special values too.
        if rng.chance(1, 2) {
            var k = 0
            while k + 16 <= c.mem.count { let v = rng.vector16(); for j in 0..<16 { c.mem[k + j] = v[j] }; k += 16 }
        }
    }
}

/// Differences in the extended state: FCW, FSW, abridged FTW, MXCSR, ST0-7 (80 bits),
/// XMM0-15 (0-7 in 32-bit mode), YMM upper halves. FOP, FIP and FDP are not compared.
func compareXState(_ mode: Int, _ want: [UInt8], _ got: [UInt8]) -> [String] {
    guard want.count >= 832, got.count >= 832 else { return [] }
    var d: [String] = []
    func eq(_ o: Int, _ n: Int) -> Bool { want[o..<(o + n)] == got[o..<(o + n)] }
    if !eq(0, 2) { d.append("fcw") }
    if !eq(2, 2) { d.append("fsw") }
    if !eq(4, 1) { d.append("ftw") }
    if !eq(24, 4) { d.append("mxcsr") }
    for k in 0..<8 where !eq(32 + 16 * k, 10) { d.append("st\(k)") }
    let n = mode == 64 ? 16 : 8
    for r in 0..<n where !eq(160 + 16 * r, 16) { d.append("xmm\(r)") }
    for r in 0..<n where !eq(576 + 16 * r, 16) { d.append("ymmh\(r)") }
    return d
}

func hexBytes(_ b: ArraySlice<UInt8>) -> String {
    let d = Array("0123456789abcdef")
    return String(b.reversed().flatMap { [d[Int($0 >> 4)], d[Int($0 & 15)]] })
}

/// The value of a differing extended-state item, for failure lines.
func xstateItem(_ name: String, _ xs: [UInt8]) -> String {
    guard xs.count >= 832 else { return "?" }
    switch name {
    case "fcw": return hexBytes(xs[0..<2])
    case "fsw": return hexBytes(xs[2..<4])
    case "ftw": return hexBytes(xs[4..<5])
    case "mxcsr": return hexBytes(xs[24..<28])
    default:
        if name.hasPrefix("st"), let k = Int(name.dropFirst(2)) { return hexBytes(xs[(32 + 16 * k)..<(42 + 16 * k)]) }
        if name.hasPrefix("xmm"), let r = Int(name.dropFirst(3)) { return hexBytes(xs[(160 + 16 * r)..<(176 + 16 * r)]) }
        if name.hasPrefix("ymmh"), let r = Int(name.dropFirst(4)) { return hexBytes(xs[(576 + 16 * r)..<(592 + 16 * r)]) }
        return "?"
    }
}
