import XCTest
import CPU
@testable import Translator

/// A bus with one interrupt source the test controls.
final class TestBus: CPUBus {
    var pendingVector: UInt8? = nil
    var outputs: [(UInt16, UInt32)] = []
    func portRead(_ port: UInt16, size: Int) -> UInt32 { 0xFFFF_FFFF }
    func portWrite(_ port: UInt16, size: Int, value: UInt32) { outputs.append((port, value)) }
    func mmioRead(_ addr: UInt64, size: Int) -> UInt64 { ~0 }
    func mmioWrite(_ addr: UInt64, size: Int, value: UInt64) {}
    weak var engine: Engine?
    func codeWritten(page: UInt64) { engine?.codeWritten(page: page) }
    var interruptPending: Bool { pendingVector != nil }
    func acknowledgeInterrupt() -> UInt8? { defer { pendingVector = nil }; return pendingVector }
    var shutdowns: [String] = []
    func shutdown(reason: String) { shutdowns.append(reason) }
}

final class EngineTests: XCTestCase {
    var mem: PhysicalMemory!
    var bus: TestBus!
    var cpu: CPU!
    var engine: Engine!

    /// Real mode at 0000:7C00, as after a BIOS boot.
    override func setUp() {
        mem = PhysicalMemory(size: 1 << 20)
        bus = TestBus()
        cpu = CPU(memory: mem, bus: bus)
        engine = Engine(cpu: cpu)
        bus.engine = engine
        cpu.segs[Seg.cs] = SegmentCache(selector: 0, base: 0, limit: 0xFFFF, attr: 0x9B)
        for r in [Seg.ds, Seg.es, Seg.ss] { cpu.segs[r] = .real(0) }
        cpu.gpr[Reg.rsp] = 0x7000
        cpu.s.pointee.rip = 0x7C00
        cpu.updateMode()
    }

    func load(_ at: UInt64, _ bytes: [UInt8]) { XCTAssertTrue(mem.write(at, bytes)) }

    func testSelfModifyingCodeInTheSameBlockTakesEffect() {
        load(0x7C00, [0xC6, 0x06, 0x09, 0x7C, 0x02,   // mov byte [0x7C09], 2
                      0x90, 0x90, 0x90,               // nop x3
                      0xB0, 0x01,                     // mov al, 1   (patched to mov al, 2)
                      0xF4])                          // hlt
        XCTAssertEqual(engine.run(budget: 1000), .halted)
        XCTAssertEqual(cpu.gpr[Reg.rax] & 0xFF, 2, "the patched immediate must execute")
        XCTAssertGreaterThan(engine.cache.invalidated, 0)
    }

    func testSelfModifyingCodeInAnEarlierBlockIsRetranslated() {
        // A subroutine at 0x7D00 returns AL = 1; it is called, patched, and called again.
        load(0x7D00, [0xB0, 0x01, 0xC3])              // mov al,1 ; ret
        load(0x7C00, [0xE8, 0xFD, 0x00,               // call 0x7D00
                      0x88, 0xC3,                     // mov bl, al
                      0xC6, 0x06, 0x01, 0x7D, 0x07,   // mov byte [0x7D01], 7
                      0xE8, 0xF3, 0x00,               // call 0x7D00
                      0xF4])
        XCTAssertEqual(engine.run(budget: 1000), .halted)
        XCTAssertEqual(cpu.gpr[Reg.rbx] & 0xFF, 1)
        XCTAssertEqual(cpu.gpr[Reg.rax] & 0xFF, 7)
    }

    func testExternalInterruptWakesHLTThroughTheIVT() {
        // IVT[0x20] = 0000:7D00; handler: mov bl, 0x55 ; iret
        load(0x80, [0x00, 0x7D, 0x00, 0x00])
        load(0x7D00, [0xB3, 0x55, 0xCF])
        load(0x7C00, [0xFB, 0xF4, 0xB1, 0x01, 0xF4])  // sti ; hlt ; mov cl,1 ; hlt
        XCTAssertEqual(engine.run(budget: 1000), .halted)
        XCTAssertEqual(cpu.gpr[Reg.rbx] & 0xFF, 0, "no interrupt yet")
        bus.pendingVector = 0x20
        cpu.signalEvent()
        XCTAssertEqual(engine.run(budget: 1000), .halted)
        XCTAssertEqual(cpu.gpr[Reg.rbx] & 0xFF, 0x55, "the handler ran")
        XCTAssertEqual(cpu.gpr[Reg.rcx] & 0xFF, 1, "execution resumed after the first HLT")
    }

    func testInterruptsAreHeldOffWhileIFIsClear() {
        load(0x80, [0x00, 0x7D, 0x00, 0x00])
        load(0x7D00, [0xB3, 0x55, 0xCF])
        load(0x7C00, [0xFA, 0xB1, 0x01, 0xF4])        // cli ; mov cl,1 ; hlt
        bus.pendingVector = 0x20
        cpu.signalEvent()
        XCTAssertEqual(engine.run(budget: 1000), .halted)
        XCTAssertEqual(cpu.gpr[Reg.rbx] & 0xFF, 0)
        XCTAssertNotNil(bus.pendingVector, "not acknowledged while IF = 0")
    }

    func testNMIIsDeliveredEvenWithIFClear() {
        load(0x08, [0x00, 0x7E, 0x00, 0x00])          // IVT[2] = 0000:7E00
        load(0x7E00, [0xB2, 0x66, 0xCF])              // mov dl, 0x66 ; iret
        load(0x7C00, [0xFA, 0xF4, 0xB1, 0x01, 0xF4])  // cli ; hlt ; mov cl,1 ; hlt
        XCTAssertEqual(engine.run(budget: 1000), .halted)
        cpu.raiseNMI()
        XCTAssertEqual(engine.run(budget: 1000), .halted)
        XCTAssertEqual(cpu.gpr[Reg.rdx] & 0xFF, 0x66)
        XCTAssertEqual(cpu.gpr[Reg.rcx] & 0xFF, 1)
    }

    func testTraceShowsBlocksDisassembledFromTheTable() {
        var out = ""
        engine.trace = [.inAsm]
        engine.traceSink = { out += $0 }
        load(0x7C00, [0xB0, 0x05, 0x04, 0x03, 0xF4])  // mov al,5 ; add al,3 ; hlt
        XCTAssertEqual(engine.run(budget: 100), .halted)
        XCTAssertTrue(out.contains("mov al, 0x5"), out)
        XCTAssertTrue(out.contains("add al, 0x3"), out)
        XCTAssertEqual(cpu.gpr[Reg.rax] & 0xFF, 8)
    }

    func testBudgetStopsALongLoopSoTimersCanRun() {
        load(0x7C00, [0xEB, 0xFE])                    // jmp $
        XCTAssertEqual(engine.run(budget: 10_000), .budget)
        XCTAssertGreaterThanOrEqual(cpu.s.pointee.icount, 10_000)
        XCTAssertLessThan(cpu.s.pointee.icount, 10_100)
    }

    func testTripleFaultReachesTheMachine() {
        // Empty IDT limit: #UD -> #GP -> #DF -> shutdown.
        cpu.s.pointee.idtrLimit = 0
        load(0x7C00, [0x0F, 0x0B])                    // ud2
        XCTAssertEqual(engine.run(budget: 10), .halted, "a triple fault leaves the CPU in the shutdown state")
        XCTAssertEqual(bus.shutdowns.count, 1, "\(bus.shutdowns)")
        XCTAssertEqual(cpu.s.pointee.halted, 2)
    }

    func testGeneralDetectFaultsOnMovDR() {
        load(0x04, [0x00, 0x7E, 0x00, 0x00])          // IVT[1] = 0000:7E00
        load(0x7E00, [0xB2, 0x77, 0xF4])              // mov dl, 0x77 ; hlt
        load(0x7C00, [0x66, 0xB8, 0x00, 0x20, 0x00, 0x00,   // mov eax, 0x2000 (DR7.GD)
                      0x0F, 0x23, 0xF8,               // mov dr7, eax
                      0x0F, 0x21, 0xF8,               // mov eax, dr7  -> #DB (fault)
                      0xF4])
        XCTAssertEqual(engine.run(budget: 100), .halted)
        XCTAssertEqual(cpu.gpr[Reg.rdx] & 0xFF, 0x77, "the #DB handler ran")
        XCTAssertNotEqual(cpu.s.pointee.dr6 & 0x2000, 0, "DR6.BD")
        XCTAssertEqual(cpu.s.pointee.dr7 & 0x2000, 0, "GD cleared on entry")
    }

    func testIOBreakpointTrapsAfterOUT() {
        load(0x04, [0x00, 0x7E, 0x00, 0x00])
        load(0x7E00, [0xB2, 0x77, 0xF4])
        load(0x7C00, [0x66, 0xB8, 0x08, 0x00, 0x00, 0x00,   // mov eax, CR4.DE
                      0x0F, 0x22, 0xE0,               // mov cr4, eax
                      0x66, 0xB8, 0x80, 0x00, 0x00, 0x00,   // mov eax, 0x80
                      0x0F, 0x23, 0xC0,               // mov dr0, eax
                      0x66, 0xB8, 0x01, 0x00, 0x02, 0x00,   // mov eax, L0 | R/W0 = 10b (I/O)
                      0x0F, 0x23, 0xF8,               // mov dr7, eax
                      0xE6, 0x80,                     // out 0x80, al  -> #DB trap after it
                      0xB1, 0x01, 0xF4])              // mov cl, 1 ; hlt (not reached first)
        XCTAssertEqual(engine.run(budget: 100), .halted)
        XCTAssertEqual(bus.outputs.map { $0.0 }, [0x80], "the OUT completed")
        XCTAssertEqual(cpu.gpr[Reg.rdx] & 0xFF, 0x77, "then the #DB handler ran")
        XCTAssertEqual(cpu.gpr[Reg.rcx] & 0xFF, 0)
        XCTAssertEqual(cpu.s.pointee.dr6 & 0xF, 1, "DR6.B0")
    }

    func testTaskSwitchToATSSWithTheTFlagTrapsWithDR6BT() {
        func put64(_ a: UInt64, _ v: UInt64) { load(a, (0..<8).map { UInt8(truncatingIfNeeded: v >> UInt64(8 * $0)) }) }
        func put32(_ a: UInt64, _ v: UInt32) { load(a, (0..<4).map { UInt8(truncatingIfNeeded: v >> UInt32(8 * $0)) }) }
        // GDT: flat code 0x08, flat data 0x10, TSS A 0x18 (busy, current), TSS B 0x20 at 0x3000.
        put64(0x1008, 0x00CF_9A00_0000_FFFF); put64(0x1010, 0x00CF_9200_0000_FFFF)
        put64(0x1018, 0x0000_8B00_2000_0067); put64(0x1020, 0x0000_8900_3000_0067)
        // TSS B: EIP 0x5000, EFLAGS 2, ESP 0x6000, CS 0x08, other segments 0x10, T = 1.
        put32(0x3020, 0x5000); put32(0x3024, 2); put32(0x3038, 0x6000)
        for off in [0x48, 0x50, 0x54, 0x58, 0x5C] as [UInt64] { put32(0x3000 + off, 0x10) }
        put32(0x304C, 0x08); put32(0x3064, 1)
        // IDT[1]: 32-bit interrupt gate to 0x08:0x5100.
        put64(0x4008, 0x5100 | 0x08 << 16 | 0x8E00 << 32)
        load(0x5000, [0xB1, 0x01, 0xF4])              // task B: mov cl,1 ; hlt
        load(0x5100, [0xB2, 0x77, 0xF4])              // #DB handler: mov dl,0x77 ; hlt
        load(0x7C00, [0xEA, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00])   // jmp 0x20:0
        let st = cpu.s
        st.pointee.cr0 |= CR0.pe
        st.pointee.gdtrBase = 0x1000; st.pointee.gdtrLimit = 0x27
        st.pointee.idtrBase = 0x4000; st.pointee.idtrLimit = 0xFF
        cpu.segs[Seg.cs] = SegmentCache(selector: 0x08, base: 0, limit: 0xFFFF_FFFF, attr: 0xC09B)
        for r in [Seg.ds, Seg.es, Seg.ss, Seg.fs, Seg.gs] { cpu.segs[r] = SegmentCache(selector: 0x10, base: 0, limit: 0xFFFF_FFFF, attr: 0xC093) }
        cpu.segs[Seg.tr] = SegmentCache(selector: 0x18, base: 0x2000, limit: 0x67, attr: 0x8B)
        cpu.updateMode()
        XCTAssertEqual(engine.run(budget: 100), .halted)
        XCTAssertEqual(cpu.segs[Seg.tr].selector, 0x20, "switched to task B")
        XCTAssertEqual(cpu.gpr[Reg.rdx] & 0xFF, 0x77, "#DB delivered in the new task")
        XCTAssertEqual(cpu.gpr[Reg.rcx] & 0xFF, 0, "before the new task's first instruction")
        XCTAssertNotEqual(st.pointee.dr6 & 0x8000, 0, "DR6.BT")
    }
}
