import XCTest
import CPU
import Translator
@testable import Machine

/// QEMUCommandLine.parse: qemu-options.hx syntax for the options swemu implements.
final class CommandLineTests: XCTestCase {
    func config(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> MachineConfig {
        switch try QEMUCommandLine.parse(args) {
        case .run(let c): return c
        case .help(let s): XCTFail("expected a machine, got help: \(s.prefix(40))", file: file, line: line)
        case .exit(let s): XCTFail("expected a machine, got exit: \(s.prefix(40))", file: file, line: line)
        }
        throw XCTSkip("unreachable")
    }
    /// The error message parse throws, or nil (with a failure) when it does not throw.
    func error(_ args: [String], file: StaticString = #filePath, line: UInt = #line) -> String? {
        do {
            _ = try QEMUCommandLine.parse(args)
            XCTFail("\(args) should be rejected", file: file, line: line)
            return nil
        } catch {
            return "\(error)"
        }
    }

    func testKvmUnitTestsCommandLine() throws {
        // What kvm-unit-tests' scripts/arch-run.bash hands to qemu-system-x86_64.
        let args = ["--no-reboot", "-nodefaults", "-global", "kvm-pit.lost_tick_policy=discard",
                    "-device", "isa-debug-exit,iobase=0xf4,iosize=0x4", "-display", "none",
                    "-serial", "stdio", "-machine", "accel=tcg", "-kernel", "x.flat", "-smp", "1",
                    "-append", "a b", "-initrd", "env"]
        let c = try config(args)
        XCTAssertTrue(c.noReboot)
        XCTAssertTrue(c.noDefaults)
        XCTAssertEqual(c.devices, [.debugExit(iobase: 0xF4, iosize: 4)])
        XCTAssertEqual(c.serial, [.stdio])
        XCTAssertEqual(c.kernel, "x.flat")
        XCTAssertEqual(c.append, "a b")
        XCTAssertEqual(c.initrd, ["env"])
        XCTAssertEqual(c.cpus, 1)
        XCTAssertEqual(c.maxCPUs, 1)
        XCTAssertEqual(c.ramSize, 128 << 20, "QEMU's default RAM")
        XCTAssertEqual(c.cpuModel.name, CPUModel.default.name)
        XCTAssertEqual(c.trace, [])
        XCTAssertNil(c.traceFile)
        XCTAssertNil(c.name)
    }

    func testDefaults() throws {
        let c = try config([])
        XCTAssertEqual(c.ramSize, 128 << 20)
        XCTAssertEqual(c.serial, [])
        XCTAssertEqual(c.devices, [])
        XCTAssertFalse(c.noReboot)
        XCTAssertNil(c.kernel)
        XCTAssertEqual(c.append, "")
    }

    func testSingleAndDoubleDashAreTheSame() throws {
        XCTAssertTrue(try config(["-no-reboot"]).noReboot)
        XCTAssertTrue(try config(["--no-reboot"]).noReboot)
        XCTAssertEqual(try config(["--kernel", "k"]).kernel, "k")
    }

    func testIsaDebugExitDefaultsAndDecimal() throws {
        XCTAssertEqual(try config(["-device", "isa-debug-exit"]).devices, [.debugExit(iobase: 0x501, iosize: 2)])
        XCTAssertEqual(try config(["-device", "isa-debug-exit,iobase=244,iosize=1"]).devices,
                       [.debugExit(iobase: 0xF4, iosize: 1)])
        XCTAssertNotNil(error(["-device", "isa-debug-exit,iobase=0xffff,iosize=4"]))
        XCTAssertNotNil(error(["-device", "isa-debug-exit,iobase=zz"]))
        XCTAssertNotNil(error(["-device", "isa-debug-exit,colour=red"]))
    }

    func testMultipleInitrdModules() throws {
        XCTAssertEqual(try config(["-initrd", "a,b,c"]).initrd, ["a", "b", "c"])
    }

    // MARK: -m

    func testMemorySizes() throws {
        XCTAssertEqual(try config(["-m", "128"]).ramSize, 128 << 20, "no suffix means MiB")
        XCTAssertEqual(try config(["-m", "512M"]).ramSize, 512 << 20)
        XCTAssertEqual(try config(["-m", "512m"]).ramSize, 512 << 20)
        XCTAssertEqual(try config(["-m", "2G"]).ramSize, 2 << 30)
        XCTAssertEqual(try config(["-m", "1.5G"]).ramSize, 3 << 29)
        XCTAssertEqual(try config(["-m", "16G"]).ramSize, 16 << 30)
        XCTAssertEqual(try config(["-m", "size=256M"]).ramSize, 256 << 20)
        XCTAssertEqual(try config(["-m", "1024K"]).ramSize, 1 << 20)
    }

    func testInvalidMemorySizes() {
        for bad in ["abc", "0", "-5", "G", "", "12Q", "nan"] {
            let e = error(["-m", bad])
            XCTAssertNotNil(e, "-m \(bad)")
            if let e { XCTAssertTrue(e.contains("-m"), e) }
        }
        for big in ["17G", "16385M", "1T"] {
            let e = error(["-m", big])
            XCTAssertTrue(e?.contains("16G") ?? false, "\(big): \(e ?? "accepted")")
        }
        XCTAssertNotNil(error(["-m"]), "missing argument")
    }

    func testAbsurdMemorySizesThrowRatherThanTrap() {
        // Double(...) accepts these; converting them to UInt64 must not trap.
        for bad in ["inf", "1e30", "1e30G", "18446744073709551615G"] {
            XCTAssertNotNil(error(["-m", bad]), "-m \(bad)")
        }
    }

    // MARK: -cpu

    func testCPUModels() throws {
        let q = try config(["-cpu", "qemu64"]).cpuModel
        XCTAssertEqual(q.name, "qemu64")
        XCTAssertEqual(q.family, 15)
        XCTAssertTrue(q.features.contains(.lm))
        XCTAssertFalse(q.features.contains(.bmi2))
        let m = try config(["-cpu", "max"]).cpuModel
        XCTAssertTrue(m.features.isSuperset(of: CPUModel.allInteger))
        XCTAssertEqual(try config(["-cpu", "Skylake-Client"]).cpuModel.name, "Skylake-Client")
        let e = error(["-cpu", "pentium9"])
        XCTAssertTrue(e?.contains("pentium9") ?? false, e ?? "")
    }

    func testCPUFeatureToggles() throws {
        let a = try config(["-cpu", "qemu64,+bmi1,+bmi2,-popcnt"]).cpuModel
        XCTAssertTrue(a.features.contains(.bmi1))
        XCTAssertTrue(a.features.contains(.bmi2))
        XCTAssertFalse(a.features.contains(.popcnt))
        XCTAssertTrue(a.features.contains(.cx8), "untouched features stay")
        let b = try config(["-cpu", "max,rdrand=off,movbe=on,lahf_lm=false"]).cpuModel
        XCTAssertFalse(b.features.contains(.rdrand))
        XCTAssertTrue(b.features.contains(.movbe))
        XCTAssertFalse(b.features.contains(.lahf64))
        XCTAssertTrue(try config(["-cpu", "qemu64,abm"]).cpuModel.features.contains(.lzcnt), "bare name turns it on")
    }

    func testUnknownCPUFeatureIsAnError() {
        let e = error(["-cpu", "max,+avx512-frobnicate"])
        XCTAssertTrue(e?.contains("avx512-frobnicate") ?? false, e ?? "")
        let f = error(["-cpu", "max,rdrand=maybe"])
        XCTAssertTrue(f?.contains("maybe") ?? false, f ?? "")
    }

    // MARK: accelerators, machines, unknown options

    func testAccelerators() throws {
        _ = try config(["-machine", "accel=tcg"])
        _ = try config(["-accel", "tcg"])
        _ = try config(["-machine", "pc,accel=tcg"])
        for args in [["-accel", "kvm"], ["-machine", "accel=kvm"], ["-enable-kvm"]] {
            let e = error(args)
            XCTAssertTrue(e?.lowercased().contains("kvm") ?? false, "\(args): \(e ?? "")")
            XCTAssertTrue(e?.contains("tcg") ?? false, "the error suggests tcg: \(e ?? "")")
        }
        XCTAssertNotNil(error(["-accel", "warp"]))
        XCTAssertNotNil(error(["-machine", "isapc-2000"]))
    }

    func testUnknownOptionNamesTheOption() {
        let e = error(["-kernel", "k", "-frobnicate", "7"])
        XCTAssertTrue(e?.contains("-frobnicate") ?? false, e ?? "")
        let f = error(["--bogus-thing"])
        XCTAssertTrue(f?.contains("--bogus-thing") ?? false, f ?? "")
        let g = error(["stray"])
        XCTAssertTrue(g?.contains("stray") ?? false, g ?? "")
    }

    func testMissingArgument() {
        let e = error(["-kernel"])
        XCTAssertTrue(e?.contains("-kernel") ?? false, e ?? "")
    }

    func testUnsupportedDeviceAndGlobal() {
        let e = error(["-device", "virtio-gpu-pci"])
        XCTAssertTrue(e?.contains("virtio-gpu-pci") ?? false, e ?? "")
        XCTAssertNotNil(error(["-global", "foo.bar=1"]))
        XCTAssertNotNil(error(["-display", "gtk"]))
    }

    func testDeviceHelp() throws {
        guard case .exit(let text) = try QEMUCommandLine.parse(["-device", "help"]) else {
            return XCTFail("-device help should print and exit")
        }
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertFalse(lines.isEmpty)
        // QEMU's format: name "isa-serial", bus ISA, desc "..."
        for l in lines {
            XCTAssertTrue(l.hasPrefix("name \""), l)
            XCTAssertTrue(l.contains("\", bus "), l)
            XCTAssertTrue(l.contains(", desc \""), l)
            XCTAssertTrue(l.hasSuffix("\""), l)
        }
        XCTAssertTrue(lines.contains { $0.hasPrefix("name \"pc-testdev\", bus ISA") })
        XCTAssertTrue(lines.contains { $0.hasPrefix("name \"isa-debug-exit\", bus ISA") })
    }

    func testHelpAndVersion() throws {
        guard case .help(let h) = try QEMUCommandLine.parse(["-h"]) else { return XCTFail() }
        XCTAssertTrue(h.contains("-kernel"))
        guard case .exit(let v) = try QEMUCommandLine.parse(["-version"]) else { return XCTFail() }
        XCTAssertTrue(v.contains(QEMUCommandLine.version))
    }

    // MARK: serial

    func testNographicImpliesMonStdio() throws {
        XCTAssertEqual(try config(["-nographic"]).serial, [.muxStdio])
        XCTAssertEqual(try config(["-nographic", "-serial", "null"]).serial, [.null], "an explicit -serial wins")
        XCTAssertEqual(try config(["-serial", "mon:stdio"]).serial, [.muxStdio])
    }

    func testSerialBackends() throws {
        XCTAssertEqual(try config(["-serial", "file:/tmp/out.log"]).serial, [.file("/tmp/out.log")])
        XCTAssertEqual(try config(["-serial", "pty"]).serial, [.pty])
        XCTAssertEqual(try config(["-serial", "null"]).serial, [.null])
        XCTAssertEqual(try config(["-serial", "none"]).serial, [.none])
        XCTAssertEqual(try config(["-serial", "stdio", "-serial", "file:b"]).serial, [.stdio, .file("b")],
                       "each -serial is the next COM port")
        let e = error(["-serial", "tcp:localhost:4444"])
        XCTAssertTrue(e?.contains("tcp:localhost:4444") ?? false, e ?? "")
    }

    // MARK: -d

    func testTraceItems() throws {
        let c = try config(["-d", "in_asm,exec,cpu,int", "-D", "/tmp/trace"])
        XCTAssertEqual(c.trace, [.inAsm, .exec, .cpu, .int])
        XCTAssertEqual(c.traceFile, "/tmp/trace")
        XCTAssertEqual(try config(["-d", "int"]).trace, [.int])
        let e = error(["-d", "int,mmu"])
        XCTAssertTrue(e?.contains("mmu") ?? false, e ?? "")
    }

    func testSMP() throws {
        XCTAssertEqual(try config(["-smp", "1"]).cpus, 1)
        XCTAssertEqual(try config(["-smp", "cpus=1,maxcpus=4"]).maxCPUs, 4)
        XCTAssertNotNil(error(["-smp", "0"]))
        XCTAssertNotNil(error(["-smp", "1,bananas=2"]))
        XCTAssertEqual(try config(["-smp", "4"]).cpus, 4)
        XCTAssertEqual(try config(["-smp", "cpus=64"]).cpus, 64)
        XCTAssertNotNil(error(["-smp", "65"]))
    }

    func testRTCAndIcount() throws {
        XCTAssertFalse(try config([]).hostTime, "deterministic by default")
        XCTAssertTrue(try config(["-rtc", "clock=host"]).hostTime)
        XCTAssertFalse(try config(["-rtc", "clock=vm"]).hostTime)
        XCTAssertEqual(try config(["-rtc", "base=2006-06-17T16:01:21"]).rtcBase, 1_150_560_081)
        XCTAssertEqual(try config(["-rtc", "base=2000-01-01"]).rtcBase, 946_684_800)
        XCTAssertNotNil(error(["-rtc", "base=2006-13-01"]))
        XCTAssertNotNil(error(["-rtc", "clock=sundial"]))
        XCTAssertEqual(try config(["-icount", "shift=1"]).cpuModel.tscHz, 500_000_000)
        XCTAssertEqual(try config(["-icount", "shift=auto"]).cpuModel.tscHz, CPUModel.default.tscHz)
        XCTAssertNotNil(error(["-icount", "shift=99"]))
    }
}
