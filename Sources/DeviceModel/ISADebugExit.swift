/// QEMU's isa-debug-exit: any write stops the emulator with exit status (value << 1) | 1
/// (the convention kvm-unit-tests relies on; shared/reference/test-suite-interface.md).
public final class ISADebugExit: PortDevice {
    public let iobase: UInt16, iosize: UInt16
    public var onExit: (Int32) -> Void
    public init(iobase: UInt16 = 0x501, iosize: UInt16 = 2, onExit: @escaping (Int32) -> Void) {
        self.iobase = iobase; self.iosize = iosize; self.onExit = onExit
    }
    public func read(offset: UInt16, size: Int) -> UInt32 { 0xFFFF_FFFF }
    public func write(offset: UInt16, size: Int, value: UInt32) {
        let v = size == 1 ? value & 0xFF : size == 2 ? value & 0xFFFF : value
        onExit(Int32(truncatingIfNeeded: (v << 1) | 1))
    }
}
