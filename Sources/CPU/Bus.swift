// What the CPU sees of the machine (shared/design.md: "CPU knows no device"): RAM through
// PhysicalMemory's host pointers, everything else through this small interface.

public protocol CPUBus: AnyObject {
    func portRead(_ port: UInt16, size: Int) -> UInt32
    func portWrite(_ port: UInt16, size: Int, value: UInt32)
    /// Guest-physical access that is not RAM (MMIO or unassigned).
    func mmioRead(_ addr: UInt64, size: Int) -> UInt64
    func mmioWrite(_ addr: UInt64, size: Int, value: UInt64)
    /// A write hit a physical page that holds translated code.
    func codeWritten(page: UInt64)
    /// An external interrupt controller has a maskable interrupt for this CPU.
    var interruptPending: Bool { get }
    /// Acknowledge (INTA): the vector to deliver, or nil if it went away.
    func acknowledgeInterrupt() -> UInt8?
    /// Triple fault or shutdown (SDM Vol. 3, 6.15, "Interrupt 8"): the machine resets or stops.
    func shutdown(reason: String)
    /// MSRs that belong to the local APIC (IA32_APIC_BASE 0x1B, IA32_TSC_DEADLINE 0x6E0,
    /// x2APIC 0x800-0x8FF): the machine answers for the CPU that is running.
    func readBusMSR(_ msr: UInt32) -> MSRAccess
    func writeBusMSR(_ msr: UInt32, _ value: UInt64) -> MSRAccess
    /// CR8 is the local APIC's TPR[7:4] (SDM Vol. 3, 10.8.6.1); nil when there is no APIC.
    func readCR8() -> UInt64?
    func writeCR8(_ value: UInt64) -> Bool
    /// The x87 FERR# output went active (an unmasked x87 exception with CR0.NE = 0): a PC
    /// routes it to IRQ 13 until software writes port 0xF0 (SDM Vol. 1, D.2.1).
    func assertFERR()
}

/// How the bus answered an MSR access.
public enum MSRAccess: Equatable { case unhandled, ok(UInt64), fault }

extension CPUBus {
    public func readBusMSR(_ msr: UInt32) -> MSRAccess { .unhandled }
    public func writeBusMSR(_ msr: UInt32, _ value: UInt64) -> MSRAccess { .unhandled }
    public func readCR8() -> UInt64? { nil }
    public func writeCR8(_ value: UInt64) -> Bool { false }
    public func assertFERR() {}
}

/// Guest-physical RAM: one host mapping, low part [0, lowSize) and high part from 4 GiB.
public final class PhysicalMemory {
    public let host: UnsafeMutableRawPointer
    public let lowSize: UInt64
    public let highSize: UInt64
    /// One bit per RAM page: the page holds translated code (writes must invalidate).
    public let codeBits: UnsafeMutablePointer<UInt64>
    let pages: Int

    public init(size: UInt64, lowLimit: UInt64 = 0xE000_0000) {
        lowSize = min(size, lowLimit)
        highSize = size - lowSize
        // mmap gives zeroed pages lazily; 16 GiB guests cost nothing until touched.
        let p = mmap(nil, Int(size), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let p, p != MAP_FAILED else { fatalError("swemu: cannot allocate \(size >> 20) MiB of guest RAM") }
        host = p
        pages = Int((size + 0xFFF) >> 12)
        codeBits = .allocate(capacity: (pages + 63) / 64)
        codeBits.initialize(repeating: 0, count: (pages + 63) / 64)
    }
    deinit { munmap(host, Int(lowSize + highSize)); codeBits.deallocate() }

    /// RAM page index for a physical address, or -1 when it is not RAM.
    @inline(__always) public func ramIndex(_ pa: UInt64) -> Int {
        if pa < lowSize { return Int(pa >> 12) }
        if pa >= 0x1_0000_0000 && pa - 0x1_0000_0000 < highSize { return Int((pa - 0x1_0000_0000 + lowSize) >> 12) }
        return -1
    }
    /// Host address of a RAM byte, or nil when the address is not RAM.
    @inline(__always) public func hostAddress(_ pa: UInt64) -> UnsafeMutableRawPointer? {
        if pa < lowSize { return host + Int(pa) }
        if pa >= 0x1_0000_0000 && pa - 0x1_0000_0000 < highSize { return host + Int(pa - 0x1_0000_0000 + lowSize) }
        return nil
    }
    @inline(__always) public func isCode(_ index: Int) -> Bool { codeBits[index >> 6] & (1 << UInt64(index & 63)) != 0 }
    public func setCode(_ index: Int, _ v: Bool) {
        if v { codeBits[index >> 6] |= 1 << UInt64(index & 63) } else { codeBits[index >> 6] &= ~(1 << UInt64(index & 63)) }
    }

    /// Forget every code page (after the translation cache was flushed).
    public func clearCodeBits() { codeBits.update(repeating: 0, count: (pages + 63) / 64) }

    /// Bounds-checked copy into guest RAM (loaders, DMA). Returns false if any byte is outside RAM.
    @discardableResult
    public func write(_ pa: UInt64, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        while i < bytes.count {
            guard let h = hostAddress(pa + UInt64(i)) else { return false }
            let n = min(bytes.count - i, 4096 - Int((pa + UInt64(i)) & 0xFFF))
            h.copyMemory(from: bytes.baseAddress! + i, byteCount: n)
            i += n
        }
        return true
    }
    @discardableResult
    public func write(_ pa: UInt64, _ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { write(pa, $0) } }
    public func read(_ pa: UInt64, count: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: count)
        for i in 0..<count { guard let h = hostAddress(pa + UInt64(i)) else { return nil }; out[i] = h.load(as: UInt8.self) }
        return out
    }
}

#if canImport(Glibc)
import Glibc
#endif
