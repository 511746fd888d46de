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

/// A device reached through guest-physical MMIO. Offsets are relative to the device's base;
/// accesses are 1, 2, 4 or 8 bytes (the bus splits nothing: a device decides what an
/// unaligned or odd-sized access does, as its datasheet says).
public protocol MMIODevice: AnyObject {
    func read(offset: UInt64, size: Int) -> UInt64
    func write(offset: UInt64, size: Int, value: UInt64)
}

/// What a device sees of guest memory for DMA (shared/design.md, "Memory"): bounds-checked
/// copies. A range that is not entirely RAM fails (returns nil / false) and the device does
/// what its hardware does on a master abort; it never touches host memory outside guest RAM.
public protocol GuestMemory: AnyObject {
    func read(_ pa: UInt64, count: Int) -> [UInt8]?
    @discardableResult func write(_ pa: UInt64, _ bytes: [UInt8]) -> Bool
}

/// A message on the APIC bus (Intel SDM Vol. 3, 10.6 "Issuing Interprocessor Interrupts" and
/// 10.11 "Message Signalled Interrupts"): what a local APIC's ICR, an I/O APIC redirection
/// entry or an MSI write sends to the local APICs.
public struct APICMessage: Equatable, Codable {
    public enum DeliveryMode: UInt8, Codable {
        case fixed = 0, lowestPriority = 1, smi = 2, remoteRead = 3, nmi = 4, initialize = 5, startup = 6, extINT = 7
    }
    public enum Shorthand: UInt8, Codable { case none = 0, selfOnly = 1, allIncludingSelf = 2, allExcludingSelf = 3 }
    public var vector: UInt8
    public var mode: DeliveryMode
    /// Destination field: 8 bits in xAPIC mode (0xFF = broadcast), 32 bits in x2APIC mode
    /// (0xFFFF_FFFF = broadcast).
    public var destination: UInt32
    public var logical: Bool              // destination mode: false = physical, true = logical
    public var level: Bool = true         // level (assert/de-assert, INIT level de-assert)
    public var levelTriggered: Bool = false
    public var shorthand: Shorthand = .none
    /// APIC ID of the sender (for the self / all-excluding-self shorthands).
    public var source: UInt32 = 0
    public init(vector: UInt8, mode: DeliveryMode, destination: UInt32, logical: Bool,
                level: Bool = true, levelTriggered: Bool = false, shorthand: Shorthand = .none, source: UInt32 = 0) {
        self.vector = vector; self.mode = mode; self.destination = destination; self.logical = logical
        self.level = level; self.levelTriggered = levelTriggered; self.shorthand = shorthand; self.source = source
    }
}
