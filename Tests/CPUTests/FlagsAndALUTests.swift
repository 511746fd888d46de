import XCTest
@testable import CPU

/// A machine with nothing but RAM.
final class TestBus: CPUBus {
    func portRead(_ port: UInt16, size: Int) -> UInt32 { 0xFFFF_FFFF }
    func portWrite(_ port: UInt16, size: Int, value: UInt32) {}
    func mmioRead(_ addr: UInt64, size: Int) -> UInt64 { ~0 }
    func mmioWrite(_ addr: UInt64, size: Int, value: UInt64) {}
    func codeWritten(page: UInt64) {}
    var interruptPending: Bool { false }
    func acknowledgeInterrupt() -> UInt8? { nil }
    func shutdown(reason: String) {}
}

/// SplitMix64: reproducible random cases.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The six arithmetic flags, computed here with plain (128-bit) integer math, independently
/// of Flags.swift.
struct RefFlags: Equatable, CustomStringConvertible {
    var cf = false, pf = false, af = false, zf = false, sf = false, of = false
    var bits: UInt64 {
        (cf ? 1 : 0) | (pf ? 4 : 0) | (af ? 0x10 : 0) | (zf ? 0x40 : 0) | (sf ? 0x80 : 0) | (of ? 0x800 : 0)
    }
    var description: String {
        "c\(cf ? 1 : 0) p\(pf ? 1 : 0) a\(af ? 1 : 0) z\(zf ? 1 : 0) s\(sf ? 1 : 0) o\(of ? 1 : 0)"
    }
    /// Jcc/SETcc/CMOVcc condition tttn (SDM Vol. 1, Appendix B), from the flags.
    func condition(_ cc: UInt8) -> Bool {
        let table: [Bool] = [of, !of, cf, !cf, zf, !zf, cf || zf, !(cf || zf),
                             sf, !sf, pf, !pf, sf != of, sf == of, zf || sf != of, !(zf || sf != of)]
        return table[Int(cc)]
    }
}

enum ALUOp: CaseIterable { case add, adc, sub, sbb, inc, dec, and, or, xor, neg, cmp }

final class FlagsAndALUTests: XCTestCase {
    let bus = TestBus()
    var mem: PhysicalMemory!
    var cpu: CPU!

    override func setUp() {
        mem = PhysicalMemory(size: 1 << 20)
        cpu = CPU(memory: mem, bus: bus)
    }
    override func tearDown() { cpu = nil; mem = nil }

    func mask(_ n: Int) -> UInt64 { n == 8 ? ~0 : (1 << UInt64(8 * n)) - 1 }

    /// Result and reference flags of `op` on n-byte operands (carry-in `c` for ADC/SBB, old CF
    /// kept by INC/DEC).
    func reference(_ op: ALUOp, _ n: Int, _ a: UInt64, _ b: UInt64, _ c: Bool) -> (UInt64, RefFlags) {
        let bits = 8 * n, m = mask(n)
        let ua = Int128(a & m), ub = Int128(b & m), cin: Int128 = c ? 1 : 0
        func signed(_ v: UInt64) -> Int128 {
            let x = Int128(v & m)
            return x >= (Int128(1) << (bits - 1)) ? x - (Int128(1) << bits) : x
        }
        let sa = signed(a), sb = signed(b)
        let umax = (Int128(1) << bits), smin = -(Int128(1) << (bits - 1)), smax = (Int128(1) << (bits - 1)) - 1
        var f = RefFlags()
        var exact: Int128 = 0, sexact: Int128 = 0
        let la = Int128(a & 0xF), lb = Int128(b & 0xF)
        switch op {
        case .add, .adc:
            let k = op == .adc ? cin : 0
            exact = ua + ub + k; sexact = sa + sb + k
            f.cf = exact >= umax; f.af = la + lb + k > 0xF
        case .sub, .sbb, .cmp:
            let k = op == .sbb ? cin : 0
            exact = ua - ub - k; sexact = sa - sb - k
            f.cf = exact < 0; f.af = la < lb + k
        case .neg:
            exact = -ub; sexact = -sb
            f.cf = ub != 0; f.af = lb != 0
        case .inc:
            exact = ua + 1; sexact = sa + 1
            f.cf = c; f.af = la == 0xF
        case .dec:
            exact = ua - 1; sexact = sa - 1
            f.cf = c; f.af = la == 0
        case .and, .or, .xor:
            exact = op == .and ? (ua & ub) : op == .or ? (ua | ub) : (ua ^ ub)
            sexact = 0
            f.cf = false; f.af = false   // AF is undefined; swemu clears it (checked separately)
        }
        let r = UInt64(truncatingIfNeeded: exact) & m
        f.of = sexact < smin || sexact > smax
        f.zf = r == 0
        f.sf = (r >> UInt64(bits - 1)) & 1 == 1
        f.pf = (r & 0xFF).nonzeroBitCount % 2 == 0
        return (r, f)
    }

    /// The lazy-flags record the semantics (Semantics/Arithmetic.swift) leave for `op`.
    func record(_ op: ALUOp, _ n: Int, _ a: UInt64, _ b: UInt64, _ c: Bool, _ r: UInt64) {
        let m = mask(n)
        switch op {
        case .add: cpu.setCC(CC.add, n, a & m, b & m, r)
        case .adc: cpu.setCC(CC.adc, n, a & m, b & m, r)
        case .sub, .cmp: cpu.setCC(CC.sub, n, a & m, b & m, r)
        case .sbb: cpu.setCC(CC.sbb, n, a & m, b & m, r)
        case .neg: cpu.setCC(CC.sub, n, 0, b & m, r)
        case .inc: cpu.setCC(CC.inc, n, a & m, c ? 1 : 0, r)
        case .dec: cpu.setCC(CC.dec, n, a & m, c ? 1 : 0, r)
        case .and, .or, .xor: cpu.setCC(CC.logic, n, 0, 0, r)
        }
    }

    func check(_ op: ALUOp, _ n: Int, _ a: UInt64, _ b: UInt64, _ c: Bool, file: StaticString = #filePath, line: UInt = #line) -> Bool {
        let (r, want) = reference(op, n, a, b, c)
        record(op, n, a, b, c, r)
        let logic = op == .and || op == .or || op == .xor
        var got = RefFlags(cf: cpu.cf, pf: cpu.pf, af: cpu.af, zf: cpu.zf, sf: cpu.sf, of: cpu.of)
        if logic { XCTAssertFalse(got.af, "logic ops leave AF clear (as Intel Core does)", file: file, line: line); got.af = false }
        let what = "\(op) size \(n) a=0x\(String(a & mask(n), radix: 16)) b=0x\(String(b & mask(n), radix: 16)) c=\(c)"
        var ok = true
        if got != want { XCTFail("\(what): flags \(got), expected \(want)", file: file, line: line); ok = false }
        if cpu.arithFlags != want.bits {
            XCTFail("\(what): arithFlags 0x\(String(cpu.arithFlags, radix: 16)), expected 0x\(String(want.bits, radix: 16))", file: file, line: line); ok = false
        }
        XCTAssertEqual(cpu.rflags & FL.arith, want.bits, what, file: file, line: line)
        for cc: UInt8 in 0..<16 where cpu.condition(cc) != want.condition(cc) {
            XCTFail("\(what): condition \(cc) is \(cpu.condition(cc)), expected \(want.condition(cc))", file: file, line: line)
            ok = false
        }
        return ok
    }

    /// Interesting operand values: boundaries plus random bits.
    func operand(_ g: inout SplitMix64, _ n: Int) -> UInt64 {
        let m = mask(n), top = UInt64(1) << UInt64(8 * n - 1)
        switch g.next() % 8 {
        case 0: return [0, 1, m, m - 1, top, top - 1, top + 1, 0xF, 0x10][Int(g.next() % 9)] & m
        case 1: return g.next() & 0xFF
        default: return g.next() & m
        }
    }

    func testRandomArithmeticAgainstReference() {
        var g = SplitMix64(state: 0x5EED)
        var failures = 0
        for op in ALUOp.allCases {
            for n in [1, 2, 4, 8] {
                for _ in 0..<300 {
                    let a = operand(&g, n), b = operand(&g, n), c = g.next() & 1 == 1
                    if !check(op, n, a, b, c) { failures += 1 }
                    if failures > 20 { return XCTFail("too many failures, stopping") }
                }
            }
        }
    }

    func testHandPickedEdgeCases() {
        // 8-bit: 0x7F + 1 overflows signed; 0xFF + 1 carries and is zero; AF from bit 3.
        XCTAssertTrue(check(.add, 1, 0x7F, 0x01, false))
        XCTAssertTrue(check(.add, 1, 0xFF, 0x01, false))
        XCTAssertTrue(check(.adc, 1, 0xFF, 0x00, true))     // carry-in alone produces the carry
        XCTAssertTrue(check(.adc, 1, 0x7F, 0x00, true))
        XCTAssertTrue(check(.adc, 8, ~0, ~0, true))
        XCTAssertTrue(check(.sbb, 1, 0x00, 0x00, true))     // borrow-in alone produces the borrow
        XCTAssertTrue(check(.sbb, 4, 0x8000_0000, 0x7FFF_FFFF, true))
        XCTAssertTrue(check(.sbb, 8, 0, ~0, true))
        XCTAssertTrue(check(.sub, 2, 0x8000, 0x0001, false))
        XCTAssertTrue(check(.inc, 4, 0x7FFF_FFFF, 0, true)) // OF, CF kept
        XCTAssertTrue(check(.dec, 2, 0x8000, 0, false))
        XCTAssertTrue(check(.dec, 1, 0x00, 0, true))
        XCTAssertTrue(check(.neg, 8, 0x8000_0000_0000_0000, 0x8000_0000_0000_0000, false))
        XCTAssertTrue(check(.neg, 1, 0, 0, false))

        // Spot values written out by hand (SDM flag definitions).
        cpu.setCC(CC.add, 1, 0x7F, 0x01, 0x80)
        XCTAssertEqual(cpu.arithFlags, FL.of | FL.sf | FL.af)                 // 0x80: one bit set, odd parity
        cpu.setCC(CC.sub, 4, 5, 5, 0)
        XCTAssertEqual(cpu.arithFlags, FL.zf | FL.pf)
        cpu.setCC(CC.sub, 4, 3, 5, 0xFFFF_FFFE)
        XCTAssertEqual(cpu.arithFlags, FL.cf | FL.sf | FL.af)                 // 0xFE: seven bits set, odd parity
        XCTAssertTrue(cpu.condition(0x2), "JB")
        XCTAssertTrue(cpu.condition(0xC), "JL")
        XCTAssertFalse(cpu.condition(0x7), "JA")
    }

    func testRFLAGSRoundTrip() {
        cpu.rflags = 0
        XCTAssertEqual(cpu.rflags, 0x2, "bit 1 always reads 1")
        cpu.rflags = FL.arith
        XCTAssertEqual(cpu.rflags, FL.arith | 2)
        XCTAssertTrue(cpu.cf && cpu.pf && cpu.af && cpu.zf && cpu.sf && cpu.of)
        cpu.rflags = ~0
        XCTAssertEqual(cpu.rflags, FL.defined | 2, "reserved bits 3, 5, 15, 22-63 read as 0")
        for bit in 0..<22 where FL.defined & (1 << UInt64(bit)) != 0 {
            cpu.rflags = 1 << UInt64(bit)
            XCTAssertEqual(cpu.rflags, (1 << UInt64(bit)) | 2, "bit \(bit)")
        }
        // Conditions from stored flags (the eflags kind).
        var g = SplitMix64(state: 42)
        for _ in 0..<256 {
            let v = g.next()
            cpu.rflags = v
            let f = RefFlags(cf: v & FL.cf != 0, pf: v & FL.pf != 0, af: v & FL.af != 0,
                             zf: v & FL.zf != 0, sf: v & FL.sf != 0, of: v & FL.of != 0)
            for cc: UInt8 in 0..<16 { XCTAssertEqual(cpu.condition(cc), f.condition(cc), "rflags 0x\(String(v, radix: 16)) cc \(cc)") }
        }
    }

    func testLazyFlagsSurviveSystemBitChanges() {
        cpu.setCC(CC.sub, 1, 1, 2, 0xFF)            // CF SF AF PF
        let arith = cpu.arithFlags
        XCTAssertEqual(arith, FL.cf | FL.sf | FL.af | FL.pf)
        cpu.s.pointee.flags |= FL.if | FL.df
        XCTAssertEqual(cpu.rflags, arith | FL.if | FL.df | 2)
        cpu.setCF(false)
        XCTAssertEqual(cpu.rflags, (arith & ~FL.cf) | FL.if | FL.df | 2)
        cpu.setCF(true)
        XCTAssertEqual(cpu.arithFlags, arith)
    }

    func testIncDecKeepCarry() {
        for c in [false, true] {
            cpu.setCC(CC.inc, 4, 0xFFFF_FFFF, c ? 1 : 0, 0)
            XCTAssertEqual(cpu.cf, c)
            XCTAssertTrue(cpu.zf)
            XCTAssertFalse(cpu.of)
            cpu.setCC(CC.dec, 1, 0x80, c ? 1 : 0, 0x7F)
            XCTAssertEqual(cpu.cf, c)
            XCTAssertTrue(cpu.of)
        }
    }

    func testRegisterAccessBySize() {
        cpu.gpr[Reg.rax] = 0x1122_3344_5566_7788
        XCTAssertEqual(cpu.reg(0, 1), 0x88)
        XCTAssertEqual(cpu.reg(16, 1), 0x77, "AH")
        XCTAssertEqual(cpu.reg(0, 2), 0x7788)
        XCTAssertEqual(cpu.reg(0, 4), 0x5566_7788)
        cpu.setReg(16, 1, 0xAB)
        XCTAssertEqual(cpu.gpr[Reg.rax], 0x1122_3344_5566_AB88)
        cpu.setReg(0, 2, 0xCDEF)
        XCTAssertEqual(cpu.gpr[Reg.rax], 0x1122_3344_5566_CDEF)
        cpu.setReg(0, 4, 0x1)
        XCTAssertEqual(cpu.gpr[Reg.rax], 1, "32-bit writes zero-extend")
        cpu.gpr[Reg.rbx] = 0xFF00
        XCTAssertEqual(cpu.reg(19, 1), 0xFF, "BH")
    }
}
