import DeviceModel

/// The I/O port space: non-overlapping ranges, each bound to a device at a base port
/// (shared/examples.md, 10). Accesses to unassigned ports read as all ones and are logged
/// once per port, as the guest must never get a silent success.
public final class PortBus {
    struct Binding { let base: UInt16; let size: UInt16; let device: PortDevice; let name: String }
    var bindings: [Binding] = []
    var freeSlots: [Int] = []          // bindings detached and reusable (PCI BARs move)
    var map = [Int16](repeating: -1, count: 65536)
    var warned = Set<UInt16>()
    public var log: (String) -> Void = { _ in }

    public init() {}

    public func attach(_ device: PortDevice, base: UInt16, size: UInt16, name: String) throws {
        guard Int(base) + Int(size) <= 0x10000 else {
            throw MachineError.config("I/O ports 0x\(String(base, radix: 16))+\(size) of \(name) run past 0xffff")
        }
        for p in Int(base)..<Int(base) + Int(size) where map[p] >= 0 {
            throw MachineError.config("I/O port 0x\(String(p, radix: 16)) of \(name) overlaps \(bindings[Int(map[p])].name)")
        }
        let binding = Binding(base: base, size: size, device: device, name: name)
        let slot: Int
        if let f = freeSlots.popLast() { slot = f; bindings[f] = binding } else { slot = bindings.count; bindings.append(binding) }
        for p in Int(base)..<Int(base) + Int(size) { map[p] = Int16(slot) }
    }

    /// Remove the binding at `base` (a PCI BAR that moved); the ports become unassigned and
    /// the slot is reused, so a guest remapping a BAR forever does not grow the table.
    public func detach(base: UInt16) {
        let i = Int(map[Int(base)])
        guard i >= 0 else { return }
        let b = bindings[i]
        for p in Int(b.base)..<Int(b.base) + Int(b.size) { map[p] = -1 }
        freeSlots.append(i)
    }

    public func read(_ port: UInt16, size: Int) -> UInt32 {
        let i = map[Int(port)]
        if i < 0 {
            warnUnassigned(port, size, write: false, value: 0)
            return size == 1 ? 0xFF : size == 2 ? 0xFFFF : 0xFFFF_FFFF
        }
        let b = bindings[Int(i)]
        return b.device.read(offset: port &- b.base, size: size)
    }
    public func write(_ port: UInt16, size: Int, value: UInt32) {
        let i = map[Int(port)]
        if i < 0 { warnUnassigned(port, size, write: true, value: value); return }
        let b = bindings[Int(i)]
        b.device.write(offset: port &- b.base, size: size, value: value)
    }
    func warnUnassigned(_ port: UInt16, _ size: Int, write: Bool, value: UInt32) {
        if warned.insert(port).inserted {
            log("swemu: warning: guest \(write ? "wrote 0x\(String(value, radix: 16)) to" : "read") unassigned I/O port 0x\(String(port, radix: 16)) (size \(size)); further accesses to it are not logged\n")
        }
    }
}

public enum MachineError: Error, CustomStringConvertible {
    case config(String), load(String)
    public var description: String {
        switch self { case .config(let s): return s; case .load(let s): return s }
    }
}
