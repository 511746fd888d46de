import XCTest
@testable import DeviceModel

/// Drives the 8254 through ports 0x40-0x43 and 0x61 with a stepped virtual clock. Expected
/// times are computed here from the 1.193182 MHz input: pulse k happens at ceil(k*1e9/F) ns,
/// and a count written during pulse interval T is loaded at pulse T+1 (datasheet: "the
/// initial count will be loaded on the next CLK pulse").
final class PIT8254Tests: XCTestCase {
    static let F: UInt64 = 1_193_182
    var clock: UInt64 = 0
    var edges: [(UInt64, Bool)] = []
    var pit: PIT8254!

    override func setUp() {
        clock = 0; edges = []
        let line = IRQLine { [unowned self] in self.edges.append((self.clock, $0)) }
        pit = PIT8254(now: { [unowned self] in self.clock }, irq0: line)
    }

    /// Pulses up to time ns (small ns: no overflow in 64 bits).
    func tick(_ ns: UInt64) -> UInt64 { ns * Self.F / 1_000_000_000 }
    /// Virtual time of pulse k.
    func at(_ k: UInt64) -> UInt64 { (k * 1_000_000_000 + Self.F - 1) / Self.F }

    func w(_ port: UInt16, _ v: UInt8) { pit.write(offset: port - 0x40, size: 1, value: UInt32(v)) }
    func r(_ port: UInt16) -> UInt8 { UInt8(truncatingIfNeeded: pit.read(offset: port - 0x40, size: 1)) }
    func read16(_ port: UInt16) -> UInt16 { let lo = UInt16(r(port)); return lo | UInt16(r(port)) << 8 }

    /// Control word, then LSB and MSB; returns the load pulse.
    @discardableResult
    func program(_ counter: UInt16, control: UInt8, count: UInt16) -> UInt64 {
        w(0x43, control); w(0x40 + counter, UInt8(count & 0xFF)); w(0x40 + counter, UInt8(count >> 8))
        return tick(clock) + 1
    }

    /// Jump to the next event and update, as the machine's timer queue does.
    func step() -> UInt64? {
        guard let e = pit.nextEvent() else { return nil }
        XCTAssertGreaterThan(e, clock)
        clock = e; pit.update()
        return e
    }

    // MARK: mode 2, as Linux programs it

    func testMode2LinuxPeriodicIRQ0() {
        let hz: UInt64 = 100
        let latch = UInt16((Self.F + hz / 2) / hz)          // LATCH = 11932
        XCTAssertEqual(latch, 11932)
        clock = 1_000
        let l = program(0, control: 0x34, count: latch)
        XCTAssertEqual(edges.map { $0.1 }, [true], "mode 2 OUT is high after the control word")
        edges = []
        for _ in 0..<6 { XCTAssertNotNil(step()) }
        let n = UInt64(latch)
        var expect: [(UInt64, Bool)] = []
        for k in 1...3 as ClosedRange<UInt64> {
            expect.append((at(l + k * n - 1), false))      // OUT low while count is 1
            expect.append((at(l + k * n), true))           // reload: rising edge = IRQ0
        }
        XCTAssertEqual(edges.map { $0.0 }, expect.map { $0.0 })
        XCTAssertEqual(edges.map { $0.1 }, expect.map { $0.1 })
        // 100 Hz: third rising edge 30 ms after the load, to within a pulse.
        XCTAssertEqual(Double(edges[5].0 - 1_000) / 1e6, 3 * 11932 / 1193.182, accuracy: 0.002)
    }

    func testMode2CountReadsDown() {
        let l = program(0, control: 0x34, count: 1000)
        clock = at(l + 2500) + 10                     // 2.5 periods after the load
        XCTAssertEqual(read16(0x40), UInt16(1000 - (2500 % 1000)))
        clock = at(l + 3999)
        XCTAssertEqual(read16(0x40), 1, "count 1 just before the reload")
        XCTAssertFalse(pit.out(0))
    }

    func testMode2NewCountTakesEffectAtEndOfPeriod() {
        let l = program(0, control: 0x34, count: 1000)
        clock = at(l + 300)
        w(0x40, 0xF4); w(0x40, 0x01)                       // 500
        XCTAssertEqual(read16(0x40), 700, "current period unaffected")
        XCTAssertEqual(step(), at(l + 999)); XCTAssertEqual(step(), at(l + 1000))
        XCTAssertEqual(step(), at(l + 1499)); XCTAssertEqual(step(), at(l + 1500))
    }

    // MARK: mode 0

    func testMode0OneShot() {
        clock = 5_000
        w(0x43, 0x30)
        XCTAssertFalse(pit.out(0), "mode 0 OUT low after the control word")
        w(0x40, 0xE8); w(0x40, 0x03)                        // 1000
        let l = tick(5_000) + 1
        XCTAssertEqual(pit.nextEvent(), at(l + 1000), "high N+1 pulses after the write")
        clock = at(l + 1000) - 1; pit.update()
        XCTAssertFalse(pit.out(0)); XCTAssertEqual(read16(0x40), 1)
        XCTAssertEqual(step(), at(l + 1000))
        XCTAssertEqual(edges.last?.1, true)
        XCTAssertNil(pit.nextEvent(), "OUT stays high")
        clock = at(l + 1005)
        XCTAssertEqual(read16(0x40), 0xFFFB, "counting wraps after terminal count")
        XCTAssertTrue(pit.out(0))
    }

    func testMode0GateLowSuspendsCounting() {
        writePort61(0)
        let l = program(2, control: 0xB0, count: 100)
        clock = at(l + 20)
        XCTAssertEqual(read16(0x42), 100, "loaded, but GATE low inhibits counting")
        clock = at(l + 50)
        writePort61(1)                                      // counting starts from 100
        let g = tick(clock)
        clock = at(g + 30)
        XCTAssertEqual(read16(0x42), 70)
        writePort61(0)
        clock = at(g + 500)
        XCTAssertEqual(read16(0x42), 70, "held while GATE is low")
        XCTAssertEqual(pit.readPort61() & 0x20, 0)
        writePort61(1)
        let g2 = tick(clock)
        clock = at(g2 + 70)
        XCTAssertEqual(pit.readPort61() & 0x20, 0x20)
        clock = at(g2 + 69)
        XCTAssertEqual(pit.readPort61() & 0x20, 0)
    }

    // MARK: mode 3

    func testMode3EvenCountHalfPeriods() {
        let l = program(0, control: 0x36, count: 100)
        XCTAssertEqual(step(), at(l + 50)); XCTAssertFalse(pit.out(0))
        XCTAssertEqual(step(), at(l + 100)); XCTAssertTrue(pit.out(0))
        XCTAssertEqual(step(), at(l + 150))
        clock = at(l + 110)
        XCTAssertEqual(read16(0x40), 80, "decrements by two")
    }

    func testMode3OddCountHighLongerByOne() {
        let l = program(0, control: 0x36, count: 101)
        XCTAssertEqual(step(), at(l + 51), "high for (N+1)/2")
        XCTAssertEqual(step(), at(l + 101), "low for (N-1)/2")
        XCTAssertEqual(step(), at(l + 152))
        XCTAssertEqual(step(), at(l + 202))
    }

    // MARK: modes 1, 4, 5

    func testMode1NeedsGateRisingEdge() {
        writePort61(0)
        program(2, control: 0xB2, count: 500)
        XCTAssertEqual(pit.readPort61() & 0x20, 0x20, "mode 1 OUT high until triggered")
        clock = 10_000_000
        XCTAssertEqual(pit.readPort61() & 0x20, 0x20)
        writePort61(1)
        let t1 = tick(clock) + 1
        clock = at(t1) - 1; XCTAssertEqual(pit.readPort61() & 0x20, 0x20)
        clock = at(t1); XCTAssertEqual(pit.readPort61() & 0x20, 0, "low from the load pulse")
        clock = at(t1 + 499); XCTAssertEqual(pit.readPort61() & 0x20, 0)
        clock = at(t1 + 500); XCTAssertEqual(pit.readPort61() & 0x20, 0x20, "high after N pulses")
        // Retrigger while running restarts the full one-shot.
        clock = at(t1 + 600); writePort61(0); writePort61(1)
        let t2 = tick(clock) + 1
        clock = at(t2 + 499); XCTAssertEqual(pit.readPort61() & 0x20, 0)
        clock = at(t2 + 500); XCTAssertEqual(pit.readPort61() & 0x20, 0x20)
    }

    func testMode5StrobeAfterGateEdge() {
        writePort61(0)
        program(2, control: 0xBA, count: 300)
        clock = 2_000_000
        XCTAssertEqual(pit.readPort61() & 0x20, 0x20)
        writePort61(1)
        let t1 = tick(clock) + 1
        clock = at(t1 + 299); XCTAssertEqual(pit.readPort61() & 0x20, 0x20)
        clock = at(t1 + 300); XCTAssertEqual(pit.readPort61() & 0x20, 0, "one-pulse strobe")
        clock = at(t1 + 301); XCTAssertEqual(pit.readPort61() & 0x20, 0x20)
    }

    func testMode4SoftwareStrobe() {
        clock = 777
        let l = program(0, control: 0x38, count: 200)
        XCTAssertTrue(pit.out(0))
        XCTAssertEqual(step(), at(l + 200)); XCTAssertFalse(pit.out(0))
        XCTAssertEqual(step(), at(l + 201)); XCTAssertTrue(pit.out(0))
        XCTAssertNil(pit.nextEvent())
    }

    // MARK: reading

    func testCounterLatchFreezesValue() {
        let l = program(0, control: 0x34, count: 60000)
        clock = at(l + 12345)
        w(0x43, 0x00)                                       // latch counter 0
        clock = at(l + 20000)
        w(0x43, 0x00)                                       // ignored: already latched
        XCTAssertEqual(read16(0x40), UInt16(60000 - 12345))
        XCTAssertEqual(read16(0x40), UInt16(60000 - 20000), "latch released: live count")
    }

    func testReadFlipFlopAndSingleByteModes() {
        let l = program(0, control: 0x34, count: 0x1234)
        clock = at(l + 0x10)
        XCTAssertEqual(r(0x40), 0x24)                       // LSB of 0x1224
        clock = at(l + 0x300)
        XCTAssertEqual(r(0x40), 0x0F, "MSB now of 0x0F34")
        XCTAssertEqual(r(0x40), 0x34, "flip-flop back to LSB")
        w(0x43, 0x24)                                       // counter 0, MSB only, mode 2
        w(0x40, 0x12)                                       // 0x1200
        let l2 = tick(clock) + 1
        clock = at(l2 + 0x100)
        XCTAssertEqual(r(0x40), 0x11); XCTAssertEqual(r(0x40), 0x11)
        w(0x43, 0x14)                                       // LSB only, mode 2
        w(0x40, 0x80)
        let l3 = tick(clock) + 1
        clock = at(l3 + 0x10)
        XCTAssertEqual(r(0x40), 0x70); XCTAssertEqual(r(0x40), 0x70)
    }

    func testReadBackStatus() {
        w(0x43, 0xB6)                                       // counter 2, LSB/MSB, mode 3
        w(0x43, 0xE8)                                       // read-back status of counter 2
        XCTAssertEqual(r(0x42), 0x80 | 0x40 | 0x30 | 0x06, "OUT high, null count")
        w(0x42, 0x00); w(0x42, 0x10)                        // 0x1000
        let l = tick(clock) + 1
        w(0x43, 0xE8)
        XCTAssertEqual(r(0x42), 0xF6, "null until the load pulse")
        clock = at(l)
        w(0x43, 0xE8)
        XCTAssertEqual(r(0x42), 0xB6)
        clock = at(l + 0x900)                               // low half
        w(0x43, 0xC8)                                       // status and count
        XCTAssertEqual(r(0x42), 0x36)
        XCTAssertEqual(read16(0x42), UInt16(0x1000 - 2 * (0x900 - 0x800)))
        w(0x43, 0x30); w(0x43, 0xE2)                        // counter 0 mode 0, status
        XCTAssertEqual(r(0x40), 0x70, "OUT low, null, LSB/MSB, mode 0, binary")
    }

    // MARK: counting formats

    func testBCDCounting() {
        let l = program(0, control: 0x31, count: 0x1000)   // BCD 1000
        clock = at(l + 1); XCTAssertEqual(read16(0x40), 0x0999)
        clock = at(l + 123); XCTAssertEqual(read16(0x40), 0x0877)
        XCTAssertEqual(pit.nextEvent(), at(l + 1000))
        w(0x43, 0xE2)
        XCTAssertEqual(r(0x40), 0x31)
    }

    func testCountZeroIsMaximum() {
        let l = program(0, control: 0x34, count: 0)
        XCTAssertEqual(step(), at(l + 65535)); XCTAssertEqual(step(), at(l + 65536))
        clock = at(l + 65536 + 1); XCTAssertEqual(read16(0x40), 65535)
        let l2 = program(0, control: 0x35, count: 0)       // BCD: 10^4
        XCTAssertEqual(step(), at(l2 + 9999)); XCTAssertEqual(step(), at(l2 + 10000))
        clock = at(l2 + 10001); XCTAssertEqual(read16(0x40), 0x9999)
    }

    func testLargeTimesExact() {
        clock = 1_000_000_000_000_000_123                   // ~31.7 years
        let whole = clock / 1_000_000_000, frac = clock % 1_000_000_000
        let t = whole * Self.F + frac * Self.F / 1_000_000_000
        XCTAssertEqual(PIT8254.ticks(atNs: clock), t)
        w(0x43, 0x34); w(0x40, 0xE8); w(0x40, 0x03)        // 1000 (no 64-bit tick() here)
        let k = t + 1 + 999
        let e = pit.nextEvent()!
        XCTAssertEqual(PIT8254.ticks(atNs: e), k)
        XCTAssertEqual(PIT8254.ticks(atNs: e - 1), k - 1)
    }

    // MARK: port 0x61

    func writePort61(_ v: UInt8) { pit.writePort61(v) }

    func testPort61FollowsCounter2AndRefresh() {
        writePort61(0x03)
        let l = program(2, control: 0xB6, count: 1000)     // speaker square wave
        clock = at(l + 499); XCTAssertEqual(pit.readPort61() & 0x23, 0x23)
        clock = at(l + 500); XCTAssertEqual(pit.readPort61() & 0x23, 0x03)
        writePort61(0x02)                                   // GATE low forces OUT high
        XCTAssertEqual(pit.readPort61() & 0x23, 0x22)
        clock = 15_084; XCTAssertEqual(pit.readPort61() & 0x10, 0)
        clock = 15_085; XCTAssertEqual(pit.readPort61() & 0x10, 0x10)
        clock = 30_169; XCTAssertEqual(pit.readPort61() & 0x10, 0x10)
        clock = 30_170; XCTAssertEqual(pit.readPort61() & 0x10, 0)
    }

    // MARK: state

    func testStateCodableRoundTrip() throws {
        let l = program(0, control: 0x34, count: 5000)
        clock = at(l + 1234)
        w(0x43, 0x00)
        let data = try JSONEncoder().encode(pit.state)
        let st = try JSONDecoder().decode(PIT8254.State.self, from: data)
        XCTAssertEqual(st, pit.state)
        let copy = PIT8254(state: st, now: { [unowned self] in self.clock }, irq0: IRQLine())
        clock = at(l + 3000)
        XCTAssertEqual(copy.nextEvent(), at(l + 4999))
        let lo = copy.read(offset: 0, size: 1), hi = copy.read(offset: 0, size: 1)
        XCTAssertEqual(lo | hi << 8, UInt32(5000 - 1234), "latched count survives")
        XCTAssertEqual(copy.read(offset: 0, size: 1), UInt32((5000 - 3000) & 0xFF))
    }
}
