// swemu-difftest: differential testing of swemu's CPU against real silicon (the host CPU,
// 64-bit user mode), Unicorn (16- and 32-bit modes), and iced-x86 (the decoder).
//
//   swemu-difftest [--mode 16|32|64|all] [--group integer] [--cases N] [--seed S] [--decoder]
//                  [--allowlist FILE] [--max-failures N]
//
// Prints one line per failing case and ends with exactly
//   forms: <distinct instruction forms exercised>
//   difftest: <P> passed, <F> failed

import CPU
import COracle
#if canImport(Glibc)
import Glibc
#endif

func usage(_ msg: String) -> Never {
    FileHandleStderr.write("swemu-difftest: \(msg)\nusage: swemu-difftest [--mode 16|32|64|all] [--group integer|x87|mmx|sse|avx] [--cases N] [--seed S] [--decoder] [--allowlist FILE]\n")
    exit(2)
}

var modes = [64, 32, 16]
var groups = Group.allCases
var totalCases: Int? = nil
var seed: UInt64 = 0x5EED_0001
var decoderMode = false
var allowlistPath: String? = nil
var maxFailures = 200
var args = Array(CommandLine.arguments.dropFirst())
var i = 0
func optValue() -> String { i += 1; if i >= args.count { usage("\(args[i - 1]) needs a value") }; return args[i] }
while i < args.count {
    switch args[i] {
    case "--mode":
        let v = optValue()
        switch v { case "16": modes = [16]; case "32": modes = [32]; case "64": modes = [64]; case "all": modes = [64, 32, 16]
        default: usage("--mode \(v): expected 16, 32, 64 or all") }
    case "--group":
        let v = optValue()
        groups = []
        for g in v.split(separator: ",") {
            guard let gg = Group(rawValue: String(g)) else { usage("--group \(g): unknown group (integer, x87, mmx, sse, avx)") }
            groups.append(gg)
        }
    case "--cases": guard let n = Int(optValue()), n > 0 else { usage("--cases: expected a positive number") }; totalCases = n
    case "--seed":
        let v = optValue()
        guard let s = v.hasPrefix("0x") ? UInt64(v.dropFirst(2), radix: 16) : UInt64(v) else { usage("--seed: expected a number") }
        seed = s
    case "--decoder": decoderMode = true
    case "--allowlist": allowlistPath = optValue()
    case "--max-failures": maxFailures = Int(optValue()) ?? 200
    case "-h", "--help": usage("differential tester")
    default: usage("unknown option \(args[i])")
    }
    i += 1
}

if decoderMode {
    let r = runDecoderDiff(cases: totalCases ?? 1_000_000, seed: seed, modes: modes)
    print("forms: \(r.forms)")
    print("difftest: \(r.passed) passed, \(r.failed) failed")
    exit(r.failed == 0 ? 0 : 1)
}

let allow = Allowlist.load(allowlistPath)
if modes.contains(where: { $0 != 64 }) {
    if let err = oracle_unicorn_init(nil) { usage("Unicorn is needed for 16/32-bit modes: \(String(cString: err)) (pip install unicorn)") }
}
oracle_set_options(ORACLE_OPT_KEEP_HANDLERS)

var passed = 0, failed = 0, allowed = 0
var formsSeen = Set<Int>()
var allowedBy: [String: Int] = [:]
/// Default cases per mode and group: every form many times over (the SIMD groups run in 64-bit
/// mode and, on the host in compatibility mode, in 32-bit mode).
let casesPerMode: [Group: [Int: Int]] = [
    .integer: [64: 600_000, 32: 200_000, 16: 200_000],
    .sse: [64: 200_000, 32: 60_000], .mmx: [64: 40_000, 32: 12_000],
    .x87: [64: 100_000, 32: 30_000], .avx: [64: 200_000, 32: 60_000],
]

for g in groups {
    var groupPassed = 0, groupFailed = 0
    var groupForms = Set<Int>()
    for mode in modes where casesPerMode[g]![mode] != nil {
        var gen = CaseGenerator(seed: seed &+ UInt64(mode) &+ UInt64(g.hashValue == 0 ? 0 : Group.allCases.firstIndex(of: g)!) << 32)
        let runner = SwemuRunner(mode: mode, compat: g != .integer)
        runner.prepare()
        let oracle = Oracle(mode: mode)
        if g != .integer && mode == 32 {
            // Compatibility-mode host runs: skipped (said so) where the oracle lacks them.
            var r = oracle_regs(), f = oracle_fault(), m = [UInt8](repeating: 0, count: Int(ORACLE_DATA_SIZE))
            var x = [UInt8](repeating: 0, count: Int(ORACLE_XSTATE_SIZE))
            let nop: [UInt8] = [0x90]
            if oracle_host_run32x(nop, 1, &r, &m, &x, &f) != ORACLE_OK {
                print("group \(g.rawValue): 32-bit mode skipped: \(String(cString: oracle_last_error()))")
                continue
            }
        }
        let forms = Table.forms.indices.filter { gen.testable(Table.forms[$0], mode: mode) && group(of: Table.forms[$0]) == g }
        if forms.isEmpty { continue }
        let perMode = casesPerMode[g]![mode]!
        let n = totalCases.map { max(forms.count, $0 * perMode / 1_000_000) } ?? perMode
        for k in 0..<n {
            let fi = forms[k % forms.count]
            let c = gen.make(form: fi, mode: mode)
            guard let want = oracle.run(c) else {
                if String(cString: oracle_last_error()).contains("refused") { continue }
                FileHandleStderr.write("swemu-difftest: oracle error: \(String(cString: oracle_last_error()))\n"); exit(2)
            }
            let got = runner.run(c)
            let key0 = fi << 8 | c.osz << 1 | (c.isMem ? 1 : 0)
            formsSeen.insert(key0); groupForms.insert(key0)
            let diffs = compare(c, want, got)
            if diffs.isEmpty { passed += 1; groupPassed += 1; continue }
            let form = Table.forms[fi]
            let locked = c.bytes.prefix(while: { [0xF0, 0x66, 0x67, 0xF2, 0xF3, 0x26, 0x2E, 0x36, 0x3E].contains($0) }).contains(0xF0)
            let key = (locked ? "LOCK_" : "") + form.mnemonic + "/" + form.operands.map { $0.name }.joined(separator: ",")
            let enc = form.encoding.replacingSpaces()
            if let reason = allow.match(mode: mode, key: key, diffs: diffs) ?? allow.match(mode: mode, key: enc, diffs: diffs) {
                allowed += 1; allowedBy[reason, default: 0] += 1; passed += 1; groupPassed += 1; continue
            }
            failed += 1; groupFailed += 1
            if failed <= maxFailures { print(describe(c, want, got, diffs)) }
        }
        runner.cpu.flushTLB(global: true)
    }
    print("group \(g.rawValue): forms: \(groupForms.count), \(groupPassed) passed, \(groupFailed) failed")
}
for (reason, count) in allowedBy.sorted(by: { $0.key < $1.key }) {
    print("allowed: \(count) cases: \(reason)")
}
print("forms: \(formsSeen.count)")
print("difftest: \(passed) passed, \(failed) failed")
exit(failed == 0 ? 0 : 1)
