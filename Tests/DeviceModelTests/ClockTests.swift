import XCTest
@testable import DeviceModel

final class ClockTests: XCTestCase {
    func testTimersFireInDeadlineOrderAtTheirDeadline() {
        let c = VirtualClock()
        var log: [(String, UInt64)] = []
        let a = DeviceTimer(clock: c) { log.append(("a", c.now)) }
        let b = DeviceTimer(clock: c) { log.append(("b", c.now)) }
        a.schedule(at: 300); b.schedule(at: 100)
        XCTAssertEqual(c.nextDeadline, 100)
        c.advance(to: 250)
        XCTAssertEqual(log.map { $0.0 }, ["b"]); XCTAssertEqual(log[0].1, 100)
        XCTAssertEqual(c.now, 250)
        c.advance(to: 1000)
        XCTAssertEqual(log.map { $0.0 }, ["b", "a"]); XCTAssertEqual(log[1].1, 300)
        XCTAssertNil(c.nextDeadline)
    }
    func testRearmFromCallbackAndCancel() {
        let c = VirtualClock()
        var n = 0
        var t: DeviceTimer! = nil
        t = DeviceTimer(clock: c) { n += 1; if n < 5 { t.schedule(at: c.now + 10) } }
        t.schedule(at: 10)
        c.advance(to: 35)
        XCTAssertEqual(n, 3)
        t.cancel()
        c.advance(to: 1000)
        XCTAssertEqual(n, 3)
        c.sync(to: 500); XCTAssertEqual(c.now, 1000, "time never goes back")
    }
}
