/// QEMU's pc-testdev, the ISA test device kvm-unit-tests expects on x86 (x86/run passes
/// `-device pc-testdev`). No datasheet exists; QEMU's hw/misc/pc-testdev.c defines it and is
/// followed here, including what its memory core does with odd-sized accesses under TCG.
///
/// Wiring (each window is its own `PortDevice` / `MMIODevice`, offsets relative to its base):
///   `scratch`      I/O 0xE0-0xE3   a 32-bit scratch register. An access of n bytes at offset
///                                  o covers bytes o..<min(o+n, 4) (byte/word/dword lanes);
///                                  lanes past 0xE3 belong to other ports and are not touched
///                                  (read as 0).
///   `flushPage`    I/O 0xE4-0xE7   dword write of a guest-physical address: QEMU mprotects the
///                                  host page so KVM re-faults it; nothing guest-visible, so
///                                  writes are accepted and ignored. Reads 0.
///   `scratchBytes` I/O 0xE8-0xEB   the same register, every access split into single bytes at
///                                  lane (o + k) & 3 (QEMU impl.max_access_size = 1; lanes wrap).
///   `irqLines`     I/O 0x2000-0x2017  `outb(level, 0x2000 + n)` drives ISA IRQ n to level != 0
///                                  through `setIRQ(n, level)`. Only byte writes are valid;
///                                  wider ones are dropped. Reads 0. (QEMU has 16 ISA IRQs and
///                                  asserts on n >= 16; here n 16-23 are passed on, for the
///                                  machine to route to I/O APIC pins 16-23 or drop.)
///   `iomem`        MMIO 0xFF000000, 64 KiB  scratch memory reached through the MMIO path;
///                                  accesses of 1-8 bytes, little-endian, bytes past the end
///                                  dropped / read 0.
public final class PCTestdev {
    public static let iomemSize = 0x10000

    public struct State: Codable, Equatable {
        public var scratch: UInt32 = 0
        public var iomem: [UInt8] = Array(repeating: 0, count: PCTestdev.iomemSize)
        public init() {}
    }

    public private(set) var state: State
    /// ISA IRQ line output, driven by writes to 0x2000 + n.
    public var setIRQ: (_ irq: Int, _ level: Bool) -> Void

    public private(set) lazy var scratch: PortDevice = Ports(self, .scratch)
    public private(set) lazy var flushPage: PortDevice = Ports(self, .flush)
    public private(set) lazy var scratchBytes: PortDevice = Ports(self, .scratchBytes)
    public private(set) lazy var irqLines: PortDevice = Ports(self, .irq)
    public private(set) lazy var iomem: MMIODevice = IOMem(self)

    public init(state: State = State(), setIRQ: @escaping (_ irq: Int, _ level: Bool) -> Void = { _, _ in }) {
        self.state = state
        self.setIRQ = setIRQ
    }

    func readLane(_ lane: Int) -> UInt32 { (state.scratch >> (8 * UInt32(lane))) & 0xFF }
    func writeLane(_ lane: Int, _ v: UInt32) {
        let shift = 8 * UInt32(lane)
        state.scratch = (state.scratch & ~(0xFF << shift)) | ((v & 0xFF) << shift)
    }

    final class Ports: PortDevice {
        enum Kind { case scratch, flush, scratchBytes, irq }
        unowned let dev: PCTestdev
        let kind: Kind
        init(_ d: PCTestdev, _ k: Kind) { dev = d; kind = k }

        func read(offset: UInt16, size: Int) -> UInt32 {
            let o = Int(offset), n = min(max(size, 1), 4)
            var v: UInt32 = 0
            switch kind {
            case .scratch:
                for k in 0..<n where o + k < 4 { v |= dev.readLane(o + k) << (8 * UInt32(k)) }
            case .scratchBytes:
                for k in 0..<n { v |= dev.readLane((o + k) & 3) << (8 * UInt32(k)) }
            case .flush, .irq:
                break
            }
            return v
        }

        func write(offset: UInt16, size: Int, value: UInt32) {
            let o = Int(offset), n = min(max(size, 1), 4)
            switch kind {
            case .scratch:
                for k in 0..<n where o + k < 4 { dev.writeLane(o + k, value >> (8 * UInt32(k))) }
            case .scratchBytes:
                for k in 0..<n { dev.writeLane((o + k) & 3, value >> (8 * UInt32(k))) }
            case .flush:
                break       // host-side page protection flush; no guest-visible effect
            case .irq:
                guard size == 1, o < 24 else { return }
                dev.setIRQ(o, value & 0xFF != 0)
            }
        }
    }

    final class IOMem: MMIODevice {
        unowned let dev: PCTestdev
        init(_ d: PCTestdev) { dev = d }
        func read(offset: UInt64, size: Int) -> UInt64 {
            var v: UInt64 = 0
            for k in 0..<min(size, 8) where offset + UInt64(k) < UInt64(PCTestdev.iomemSize) {
                v |= UInt64(dev.state.iomem[Int(offset) + k]) << (8 * UInt64(k))
            }
            return v
        }
        func write(offset: UInt64, size: Int, value: UInt64) {
            for k in 0..<min(size, 8) where offset + UInt64(k) < UInt64(PCTestdev.iomemSize) {
                dev.state.iomem[Int(offset) + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(k)))
            }
        }
    }
}
