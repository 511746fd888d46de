import CPU
import Translator
import DeviceModel
#if canImport(Glibc)
import Glibc
#endif

/// The machine: RAM, the I/O port bus and its devices, one CPU driven by the translator.
/// (The test-suite and PC issues grow this into the full board.)
public final class Machine: CPUBus {
    public let config: MachineConfig
    public let memory: PhysicalMemory
    public let ports = PortBus()
    public private(set) var cpu: CPU!
    public private(set) var engine: Engine!
    public var serials: [Serial16550] = []
    /// Set when the guest asked to stop (debug-exit) or on poweroff/triple fault.
    public private(set) var exitStatus: Int32? = nil
    public var log: (String) -> Void = { FileHandleStderr.write($0) }
    /// Polled between time slices for host input (serial receive).
    public var pollInput: () -> Void = {}
    var kernelImage: [UInt8] = []
    var modules: [(String, [UInt8])] = []

    public init(config: MachineConfig) throws {
        self.config = config
        guard config.ramSize >= 1 << 20 else { throw MachineError.config("-m: RAM size must be at least 1 MiB") }
        memory = PhysicalMemory(size: config.ramSize)
        cpu = CPU(memory: memory, bus: self, model: config.cpuModel)
        engine = Engine(cpu: cpu)
        engine.trace = config.trace
        ports.log = { [unowned self] in self.log($0) }
        cpu.log = { [unowned self] in self.log($0) }
        try attachDevices()
    }

    func attachDevices() throws {
        let comBases: [UInt16] = [0x3F8, 0x2F8, 0x3E8, 0x2E8]
        for (k, backend) in config.serial.prefix(4).enumerated() where backend != .none {
            let u = Serial16550()
            serials.append(u)
            try ports.attach(u, base: comBases[k], size: 8, name: "COM\(k + 1)")
        }
        for d in config.devices {
            switch d {
            case .debugExit(let base, let size):
                let dev = ISADebugExit(iobase: base, iosize: size) { [unowned self] status in self.requestExit(status) }
                try ports.attach(dev, base: base, size: size, name: "isa-debug-exit")
            case .pcTestdev, .pciTestdev:
                log("swemu: warning: -device \(d == .pcTestdev ? "pc-testdev" : "pci-testdev") is accepted but not implemented yet\n")
            }
        }
    }

    public func requestExit(_ status: Int32) {
        if exitStatus == nil { exitStatus = status }
        engine.stopRequested = true
    }

    /// Load the `-kernel` (Multiboot) and modules; the boot state is the loader's.
    public func loadKernel() throws {
        guard let path = config.kernel else { throw MachineError.config("no -kernel given (swemu has no firmware yet)") }
        kernelImage = try readFile(path)
        modules = try config.initrd.map { ($0, try readFile($0)) }
        guard MultibootLoader.isMultiboot(kernelImage) else {
            throw MachineError.load("\(path): not a Multiboot kernel (Linux bzImage boot comes with the PC machine)")
        }
        try boot()
    }
    func boot() throws {
        let cmd = config.kernel! + (config.append.isEmpty ? "" : " " + config.append)
        _ = try MultibootLoader.load(kernel: config.kernel!, image: kernelImage, cmdline: cmd, modules: modules,
                                     memory: memory, cpu: cpu)
        engine.cache.flushAll()
        memory.clearCodeBits()
    }

    /// Run until the guest exits; returns the process exit status (QEMU's conventions).
    public func run() -> Int32 {
        while exitStatus == nil {
            let r = engine.run(budget: 1_000_000)
            pollInput()
            if r == .halted && cpu.s.pointee.eventPending == 0 {
                // Nothing can wake a halted CPU until interrupt controllers exist: idle
                // (input and signals are still polled).
                usleep(5_000)
            }
        }
        return exitStatus!
    }

    // MARK: CPUBus

    public func portRead(_ port: UInt16, size: Int) -> UInt32 { ports.read(port, size: size) }
    public func portWrite(_ port: UInt16, size: Int, value: UInt32) { ports.write(port, size: size, value: value) }
    var mmioWarned = Set<UInt64>()
    public func mmioRead(_ addr: UInt64, size: Int) -> UInt64 {
        if mmioWarned.insert(addr & ~0xFFF).inserted {
            log("swemu: warning: guest read unassigned physical address 0x\(String(addr, radix: 16)) (size \(size)); reads as all ones\n")
        }
        return size == 8 ? ~0 : (UInt64(1) << UInt64(8 * size)) - 1
    }
    public func mmioWrite(_ addr: UInt64, size: Int, value: UInt64) {
        if mmioWarned.insert(addr & ~0xFFF).inserted {
            log("swemu: warning: guest wrote 0x\(String(value, radix: 16)) to unassigned physical address 0x\(String(addr, radix: 16)) (size \(size)); ignored\n")
        }
    }
    public func codeWritten(page: UInt64) { engine.codeWritten(page: page) }
    public var interruptPending: Bool { false }
    public func acknowledgeInterrupt() -> UInt8? { nil }
    public func shutdown(reason: String) {
        if config.noReboot {
            log("swemu: \(reason): guest stopped (--no-reboot)\n")
            requestExit(0)
        } else {
            log("swemu: \(reason): resetting\n")
            do { try boot() } catch { log("swemu: reset failed: \(error)\n"); requestExit(1) }
        }
    }
}

func readFile(_ path: String) throws -> [UInt8] {
    guard let f = fopen(path, "rb") else { throw MachineError.load("could not open '\(path)': \(String(cString: strerror(errno)))") }
    defer { fclose(f) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = fread(&buf, 1, buf.count, f)
        if n > 0 { out += buf[0..<n] }
        if n < buf.count { break }
    }
    if ferror(f) != 0 { throw MachineError.load("error reading '\(path)'") }
    return out
}
