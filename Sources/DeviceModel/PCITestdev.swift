/// QEMU's pci-testdev (Red Hat 1B36:0005, class 00FFh), the PCI device kvm-unit-tests uses to
/// exercise MMIO and port I/O exits (lib/pci-testdev.c pci_testdev(), x86/vmexit.c). There is
/// no datasheet; QEMU's hw/misc/pci-testdev.c defines the device and is followed here.
///
/// BAR0: 4 KiB memory, BAR1: 256 bytes I/O. Both windows show the header of the currently
/// selected test, laid out as
///     0 test (u8)   1 width (u8)   4 offset (u32)   8 data (u8)   12 count (u32)   16 name (NUL)
/// Writing a test number n to byte 0 of a window selects test n of that window's kind (0-2 =
/// "no-eventfd", "wildcard-eventfd", "datamatch-eventfd") and zeroes its count; n >= 3
/// deselects (every register then reads 0, so the guest's scan stops at width 0). A write at
/// the test's `offset` with matching data counts one hit:
///     i  name                       offset  data   counts
///     0  mmio-no-eventfd            2048    0xFA   byte == 0xFA
///     1  mmio-wildcard-eventfd      2049    0xCE   any byte
///     2  mmio-datamatch-eventfd     2050    0xFA   byte == 0xFA
///     3  portio-no-eventfd          131     0xFA   byte == 0xFA
///     4  portio-wildcard-eventfd    132     0xCE   any byte
///     5  portio-datamatch-eventfd   133     0xFA   byte == 0xFA
/// The "eventfd" variants in QEMU/KVM hand matching writes to a host eventfd instead of the
/// device (the count then stays 0, which the guest also accepts); there is no host side here,
/// so every test counts its writes. The device handles one byte at a time: wider accesses
/// are split into bytes (QEMU impl.max_access_size = 1), so a word or dword write hits at
/// most once, with its low byte. Reads at or past the header's terminating NUL return 0.
public final class PCITestdev: PCIFunction {
    public struct State: Codable, Equatable {
        public var config: PCIConfigSpace
        /// Selected test index 0-5, or -1 for none.
        public var current: Int = -1
        /// Hit count of each test (only the selected one changes).
        public var counts: [UInt32] = Array(repeating: 0, count: 6)
        public init() {
            config = PCIConfigSpace(vendorID: 0x1B36, deviceID: 0x0005, classCode: 0x00_FF_00)
            config.setBAR(0, .memory32, size: 4096)
            config.setBAR(1, .io, size: 256)
        }
    }

    public private(set) var state: State
    public var config: PCIConfigSpace { state.config }

    /// BAR0 window (MMIO, 4 KiB) and BAR1 window (I/O, 256 ports).
    public private(set) lazy var mmio: MMIODevice = MemWindow(self)
    public private(set) lazy var io: PortDevice = IOWindow(self)

    public init(state: State = State()) { self.state = state }

    public func reset() { state.current = -1 }

    public func configWrite(offset: Int, size: Int, value: UInt32) {
        state.config.write(offset: offset, size: size, value: value)
    }

    public func barDevice(_ index: Int) -> AnyObject? {
        switch index { case 0: return mmio; case 1: return io; default: return nil }
    }

    // MARK: the test table

    static let testsPerKind = 3
    static let names: [[UInt8]] = ["mmio-no-eventfd", "mmio-wildcard-eventfd", "mmio-datamatch-eventfd",
                                   "portio-no-eventfd", "portio-wildcard-eventfd", "portio-datamatch-eventfd"]
        .map { Array($0.utf8) + [0] }
    static let headerSize = 16
    /// Test i's trigger offset: half the window size (mmio 2048, portio 128) plus i.
    static func offset(_ i: Int) -> UInt32 { UInt32((i < testsPerKind ? 2048 : 128) + i) }
    static func matchesData(_ i: Int) -> Bool { i % testsPerKind != 1 }       // not "wildcard"
    static func data(_ i: Int) -> UInt8 { matchesData(i) ? 0xFA : 0xCE }

    /// One header byte of the selected test (the device's only read path).
    func readByte(_ addr: UInt64) -> UInt8 {
        guard state.current >= 0 else { return 0 }
        let i = state.current
        let name = Self.names[i]
        guard addr + 1 < UInt64(Self.headerSize + name.count) else { return 0 }
        let a = Int(addr)
        switch a {
        case 0: return UInt8(i)
        case 1: return 1                                    // width: one byte
        case 4..<8: return UInt8(truncatingIfNeeded: Self.offset(i) >> (8 * UInt32(a - 4)))
        case 8: return Self.data(i)
        case 12..<16: return UInt8(truncatingIfNeeded: state.counts[i] >> (8 * UInt32(a - 12)))
        case 16...: return name[a - 16]
        default: return 0                                   // padding
        }
    }

    /// One byte written to the window of kind `kind` (0 = mmio, 1 = portio).
    func writeByte(_ addr: UInt64, _ v: UInt8, kind: Int) {
        if addr == 0 {
            state.current = -1
            guard Int(v) < Self.testsPerKind else { return }
            let t = kind * Self.testsPerKind + Int(v)
            state.counts[t] = 0
            state.current = t
            return
        }
        let t = state.current
        guard t >= 0, addr == UInt64(Self.offset(t)) else { return }
        if Self.matchesData(t) && v != Self.data(t) { return }
        state.counts[t] &+= 1
    }

    final class MemWindow: MMIODevice {
        unowned let dev: PCITestdev
        init(_ d: PCITestdev) { dev = d }
        func read(offset: UInt64, size: Int) -> UInt64 {
            var v: UInt64 = 0
            for k in 0..<min(size, 8) { v |= UInt64(dev.readByte(offset + UInt64(k))) << (8 * UInt64(k)) }
            return v
        }
        func write(offset: UInt64, size: Int, value: UInt64) {
            for k in 0..<min(size, 8) {
                dev.writeByte(offset + UInt64(k), UInt8(truncatingIfNeeded: value >> (8 * UInt64(k))), kind: 0)
            }
        }
    }

    final class IOWindow: PortDevice {
        unowned let dev: PCITestdev
        init(_ d: PCITestdev) { dev = d }
        func read(offset: UInt16, size: Int) -> UInt32 {
            var v: UInt32 = 0
            for k in 0..<min(size, 4) { v |= UInt32(dev.readByte(UInt64(offset) + UInt64(k))) << (8 * UInt32(k)) }
            return v
        }
        func write(offset: UInt16, size: Int, value: UInt32) {
            for k in 0..<min(size, 4) {
                dev.writeByte(UInt64(offset) + UInt64(k), UInt8(truncatingIfNeeded: value >> (8 * UInt32(k))), kind: 1)
            }
        }
    }
}
