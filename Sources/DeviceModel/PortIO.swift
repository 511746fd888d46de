/// A device reached through x86 I/O ports. Offsets are relative to the device's base port;
/// the bus binding does the translation (shared/examples.md, 8-9).
public protocol PortDevice: AnyObject {
    func read(offset: UInt16, size: Int) -> UInt32
    func write(offset: UInt16, size: Int, value: UInt32)
}

/// An interrupt request line into an interrupt controller (or nowhere).
public final class IRQLine {
    public private(set) var level = false
    public var onChange: (Bool) -> Void
    public init(_ onChange: @escaping (Bool) -> Void = { _ in }) { self.onChange = onChange }
    public func set(_ v: Bool) { if v != level { level = v; onChange(v) } }
}
