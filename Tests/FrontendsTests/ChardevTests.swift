import XCTest
import Machine
@testable import Frontends

final class ChardevTests: XCTestCase {
    func testFileBackendWritesEveryByteAndFlushesOnClose() throws {
        let path = NSTemporaryDirectory() + "swemu-chardev-\(getpid()).txt"
        defer { unlink(path) }
        let cd = try Chardev(.file(path), label: "serial0")
        let text = Array("hello, serial\r\n".utf8) + [UInt8](repeating: 0x41, count: 10_000)
        for b in text { cd.write(b) }
        cd.close()
        let got = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual([UInt8](got), text)
    }

    func testUnwritableFileIsAClearError() {
        XCTAssertThrowsError(try Chardev(.file("/nonexistent-dir/x"), label: "serial0")) { e in
            XCTAssertTrue("\(e)".contains("/nonexistent-dir/x"), "\(e)")
        }
    }

    func testPtyBackendNamesItsDevice() throws {
        let cd = try Chardev(.pty, label: "serial0")
        XCTAssertNotNil(cd.ptyPath)
        XCTAssertTrue(cd.ptyPath!.hasPrefix("/dev/pts/"), cd.ptyPath!)
        cd.close()
    }

    func testNullBackendDiscards() throws {
        let cd = try Chardev(.null, label: "serial0")
        cd.write(0x41); cd.flush(); cd.close()
    }
}
