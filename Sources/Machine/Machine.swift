import CPU
import Translator
import DeviceModel
#if canImport(Glibc)
import Glibc
#endif

/// The PC of the test-suite machine (QEMU's `pc` as kvm-unit-tests sees it): RAM, the I/O
/// port space and MMIO map, the chipset devices (Board.swift), and N vCPUs driven by the
/// translator in deterministic round-robin slices on this one thread.
public final class Machine: CPUBus {
    public let config: MachineConfig
    public let memory: PhysicalMemory
    public let ports = PortBus()
    let vcpus: [VCPU]
    /// The CPU whose slice is running (the bus answers interrupt and APIC questions for it).
    unowned(unsafe) var current: VCPU
    var inSlice = false
    /// The bootstrap processor.
    public var cpu: CPU { vcpus[0].cpu }
    public var engine: Engine { vcpus[0].engine }
    public var cpuCount: Int { vcpus.count }
    public func cpu(_ i: Int) -> CPU { vcpus[i].cpu }
    public func engine(_ i: Int) -> Engine { vcpus[i].engine }
    /// Instructions retired by all CPUs since power-on.
    public var retiredInstructions: UInt64 { vcpus.reduce(0) { $0 &+ $1.cpu.s.pointee.icount } }

    // Time: the global cycle count and the device clock derived from it.
    public let clock = VirtualClock()
    var mclock: MachineClock
    /// Cycles retired by all CPUs together (the virtual clock's source).
    public private(set) var cycles: UInt64 = 0

    // Devices (assembled in Board.swift).
    public var serials: [Serial16550] = []
    var board: Board!
    var mmio: [MMIORegion] = []

    /// Set when the guest asked to stop (debug-exit) or on poweroff/triple fault.
    public private(set) var exitStatus: Int32? = nil
    public var log: (String) -> Void = { FileHandleStderr.write($0) }
    /// Polled between time slices for host input (serial receive) and stop signals.
    public var pollInput: () -> Void = {}
    var kernelImage: [UInt8] = []
    var modules: [(String, [UInt8])] = []
    var resetRequested = false

    /// Instructions per slice when several CPUs share the thread: short enough that a CPU
    /// spinning on another one's progress wastes little, long enough to amortise the switch.
    static let smpSlice: UInt64 = 8192
    static let uniSlice: UInt64 = 1_000_000
    let portIOCycles: UInt64
    var sliceDeadline: UInt64 = .max

    public init(config: MachineConfig) throws {
        self.config = config
        guard config.ramSize >= 1 << 20 else { throw MachineError.config("-m: RAM size must be at least 1 MiB") }
        guard (1...64).contains(config.cpus) else { throw MachineError.config("-smp: the number of CPUs must be 1 to 64") }
        memory = PhysicalMemory(size: config.ramSize)
        var model = config.cpuModel
        model.packageCPUs = config.cpus
        mclock = MachineClock(tscHz: model.tscHz)
        portIOCycles = max(1, model.tscHz / 1_000_000)
        mclock.hostTime = config.hostTime
        var list: [VCPU] = []
        let placeholder = PlaceholderBus()
        for i in 0..<config.cpus {
            let c = CPU(memory: memory, bus: placeholder, model: model, apicID: UInt32(i))
            let e = Engine(cpu: c)
            e.trace = config.trace
            list.append(VCPU(index: i, cpu: c, engine: e))
        }
        vcpus = list
        current = list[0]
        for v in vcpus {
            v.cpu.bus = self
            v.cpu.log = { [unowned self] in self.log($0) }
            // Application processors wait for INIT/SIPI (SDM Vol. 3, 9.4.2).
            if v.index != 0 { v.cpu.s.pointee.halted = 3 }
        }
        ports.log = { [unowned self] in self.log($0) }
        DeviceLog.sink = { [unowned self] in self.log($0) }
        board = try Board(machine: self)
    }

    public func requestExit(_ status: Int32) {
        if exitStatus == nil { exitStatus = status }
        for v in vcpus { v.engine.stopRequested = true }
    }

    /// A system reset (port 0xCF9, port 0x92, keyboard controller, triple fault without
    /// --no-reboot): taken at the end of the current slice.
    func requestReset(_ reason: String) {
        if config.noReboot {
            log("swemu: \(reason): guest stopped (--no-reboot)\n")
            requestExit(0)
            return
        }
        log("swemu: \(reason): resetting\n")
        resetRequested = true
        for v in vcpus { v.engine.stopRequested = true }
    }

    /// Load the `-kernel` (Multiboot) and modules; the boot state is the loader's.
    public func loadKernel() throws {
        guard let path = config.kernel else { throw MachineError.config("no -kernel given (swemu has no firmware yet)") }
        // QEMU's wording: test runners (kvm-unit-tests' run_tests.sh) probe for it.
        do { kernelImage = try readFile(path) } catch {
            throw MachineError.load("could not open kernel file '\(path)': \(String(cString: strerror(errno)))")
        }
        modules = try config.initrd.map { ($0, try readFile($0)) }
        guard MultibootLoader.isMultiboot(kernelImage) else {
            throw MachineError.load("\(path): not a Multiboot kernel (Linux bzImage boot comes with the PC machine)")
        }
        try boot()
    }

    func boot() throws {
        for v in vcpus {
            v.cpu.reset()
            v.cpu.s.pointee.cycles = cycles
            v.lapic.reset()
            v.cpu.apicEnabled = true
            if v.index != 0 { v.cpu.s.pointee.halted = 3 }
            v.engine.cache.flushAll()
            v.engine.stopRequested = exitStatus != nil
        }
        board.reset()
        board.installBIOSState()
        let cmd = config.kernel! + (config.append.isEmpty ? "" : " " + config.append)
        _ = try MultibootLoader.load(kernel: config.kernel!, image: kernelImage, cmdline: cmd, modules: modules,
                                     memory: memory, cpu: cpu)
        board.installFirmwareTables()
        memory.clearCodeBits()
    }

    // MARK: ACPI S3 (suspend to RAM)

    var suspended = false
    /// SLP_TYP = S3 with SLP_EN: every CPU stops (RAM and devices keep their state) until a
    /// wake event; the RTC alarm is the one the test suites use.
    func suspend() {
        suspended = true
        for v in vcpus { v.cpu.s.pointee.halted = 3; v.cpu.s.pointee.exitRequest = 1 }
    }
    /// Resume as a PC firmware does (ACPI 6.4, 16.3.2): processors reset, the bootstrap
    /// processor jumps to the FACS firmware waking vector in real mode (CS = vector >> 4,
    /// IP = vector & 0xF), application processors wait for SIPI; WAK_STS is set.
    func wakeFromSuspend() {
        guard suspended else { return }
        suspended = false
        let fv = board.wakingVector
        for v in vcpus {
            v.cpu.initReset(bsp: v.index == 0)
            v.lapic.reset()
            v.engine.cache.flushAll()
        }
        let bsp = vcpus[0].cpu
        bsp.segs[Seg.cs] = SegmentCache(selector: UInt16(truncatingIfNeeded: fv >> 4), base: UInt64(fv >> 4) << 4,
                                        limit: 0xFFFF, attr: 0x9B)
        bsp.s.pointee.rip = UInt64(fv & 0xF)
        bsp.updateMode()
        board.pm.wake()
    }

    // MARK: the run loop

    /// Run until the guest exits; returns the process exit status (QEMU's conventions).
    public func run() -> Int32 {
        var rounds = 0
        let slice = vcpus.count > 1 ? Machine.smpSlice : Machine.uniSlice
        while exitStatus == nil {
            var ran = false
            for v in vcpus where exitStatus == nil && !resetRequested {
                guard v.runnable else { continue }
                ran = true
                runSlice(v, budget: slice)
            }
            if resetRequested {
                resetRequested = false
                do { try boot() } catch { log("swemu: reset failed: \(error)\n"); requestExit(1) }
                continue
            }
            if !ran { idle() }
            rounds += 1
            if rounds & 7 == 0 || !ran { pollInput() }
        }
        return exitStatus!
    }

    func runSlice(_ v: VCPU, budget: UInt64) {
        let st = v.cpu.s
        current = v
        st.pointee.cycles = cycles
        // A request raised while the CPU was being reset or loaded (INIT, boot) has no edge
        // left to signal it: look once per slice.
        if v.lapic.hasInterrupt { v.cpu.signalEvent() }
        var b = budget
        sliceDeadline = .max
        if let d = clock.nextDeadline {
            // Stop at the next timer deadline (every instruction costs at least one cycle).
            let dc = mclock.cycles(atNs: d)
            b = dc > cycles ? min(b, dc - cycles) : 1
            sliceDeadline = dc
        }
        inSlice = true
        _ = v.engine.run(budget: b)
        inSlice = false
        if exitStatus == nil && !resetRequested { v.engine.stopRequested = false }
        cycles = st.pointee.cycles
        if mclock.hostTime { catchUpWithHost() }
        clock.advance(to: mclock.ns(cycles))
    }

    /// No CPU can run: jump virtual time to the next timer event (HLT with nothing pending),
    /// or wait for host input when nothing is scheduled.
    func idle() {
        guard let d = clock.nextDeadline else {
            usleep(5_000)
            if mclock.hostTime { catchUpWithHost(); clock.advance(to: mclock.ns(cycles)) }
            return
        }
        if mclock.hostTime {
            let now = mclock.hostElapsedNs
            if d > now { usleep(UInt32(min((d - now) / 1000, 10_000))) }
            catchUpWithHost(limit: d)
        } else {
            cycles = max(cycles, mclock.cycles(atNs: d))
        }
        clock.advance(to: mclock.ns(cycles))
    }

    /// Host-time mode: virtual time never falls behind host time (up to `limit` ns).
    func catchUpWithHost(limit: UInt64 = .max) {
        cycles = max(cycles, mclock.cycles(atNs: min(limit, mclock.hostElapsedNs)))
    }

    /// The device clock at the current point of the running slice.
    @inline(__always) func syncClock() {
        if inSlice { clock.sync(to: mclock.ns(current.cpu.s.pointee.cycles)) }
    }
    /// TSC-domain cycles now (inside a slice: the running CPU's count).
    var nowCycles: UInt64 { inSlice ? current.cpu.s.pointee.cycles : cycles }

    // MARK: CPUBus

    public func portRead(_ port: UInt16, size: Int) -> UInt32 { chargeIO(); syncClock(); return ports.read(port, size: size) }
    public func portWrite(_ port: UInt16, size: Int, value: UInt32) { chargeIO(); syncClock(); ports.write(port, size: size, value: value) }

    /// An I/O port access takes about a microsecond on a PC (an ISA bus cycle at 8.33 MHz is
    /// several bus clocks; the classic `out 0x80` delay relies on it). Charging it keeps
    /// device timing that software assumes, e.g. a PIT count written by two OUTs has been
    /// loaded by the time a third OUT latches it (8254 datasheet: the count is loaded on
    /// the next CLK pulse, 838 ns).
    @inline(__always) func chargeIO() {
        guard inSlice else { return }
        let st = current.cpu.s
        st.pointee.cycles &+= portIOCycles
        // The slice was budgeted in instructions; stop it at the next timer deadline.
        if st.pointee.cycles >= sliceDeadline { current.engine.stopRequested = true }
    }

    var mmioWarned = Set<UInt64>()
    public func mmioRead(_ addr: UInt64, size: Int) -> UInt64 {
        syncClock()
        let l = current.lapic!
        if l.mmioActive && addr &- l.mmioBase < 0x1000 { return l.read(offset: addr &- l.mmioBase, size: size) }
        for r in mmio where addr &- r.base < r.size { return r.device.read(offset: addr &- r.base, size: size) }
        if mmioWarned.insert(addr & ~0xFFF).inserted {
            log("swemu: warning: guest read unassigned physical address 0x\(String(addr, radix: 16)) (size \(size)); reads as all ones\n")
        }
        return size == 8 ? ~0 : (UInt64(1) << UInt64(8 * size)) - 1
    }
    public func mmioWrite(_ addr: UInt64, size: Int, value: UInt64) {
        syncClock()
        let l = current.lapic!
        if l.mmioActive && addr &- l.mmioBase < 0x1000 { l.write(offset: addr &- l.mmioBase, size: size, value: value); return }
        for r in mmio where addr &- r.base < r.size { r.device.write(offset: addr &- r.base, size: size, value: value); return }
        if mmioWarned.insert(addr & ~0xFFF).inserted {
            log("swemu: warning: guest wrote 0x\(String(value, radix: 16)) to unassigned physical address 0x\(String(addr, radix: 16)) (size \(size)); ignored\n")
        }
    }
    public func codeWritten(page: UInt64) { for v in vcpus { v.engine.codeWritten(page: page) } }
    public var interruptPending: Bool { current.lapic.hasInterrupt }
    public func acknowledgeInterrupt() -> UInt8? { syncClock(); return current.lapic.acknowledge() }
    public func shutdown(reason: String) {
        // A triple fault shuts down only the CPU that took it; the chipset turns the shutdown
        // special cycle into a reset (PIIX3: as QEMU does), unless --no-reboot.
        requestReset(reason)
    }

    public func readBusMSR(_ msr: UInt32) -> MSRAccess {
        let l = current.lapic!
        switch msr {
        case 0x1B: return .ok(l.baseMSR)
        case 0x6E0:
            guard config.cpuModel.features.contains(.tscDeadline) else { return .fault }
            return .ok(l.readTSCDeadline())
        case 0x800...0x8FF:
            syncClock()
            guard l.x2apicMode, let v = l.readMSR(msr) else { return .fault }
            return .ok(v)
        default: return .unhandled
        }
    }
    public func writeBusMSR(_ msr: UInt32, _ value: UInt64) -> MSRAccess {
        let l = current.lapic!
        switch msr {
        case 0x1B:
            if value & (1 << 10) != 0 && !config.cpuModel.features.contains(.x2apic) { return .fault }
            guard l.writeBaseMSR(value) else { return .fault }
            current.cpu.apicEnabled = l.baseMSR & 0x800 != 0
            return .ok(0)
        case 0x6E0:
            guard config.cpuModel.features.contains(.tscDeadline) else { return .fault }
            syncClock()
            l.writeTSCDeadline(value, tscNow: nowCycles &+ current.cpu.s.pointee.tscOffset)
            return .ok(0)
        case 0x800...0x8FF:
            syncClock()
            return l.x2apicMode && l.writeMSR(msr, value) ? .ok(0) : .fault
        default: return .unhandled
        }
    }
    public func readCR8() -> UInt64? { current.lapic.cr8 }
    public func writeCR8(_ value: UInt64) -> Bool { current.lapic.cr8 = value; return true }
    public func assertFERR() { syncClock(); board.ferr.raise() }
}

struct MMIORegion {
    let base: UInt64, size: UInt64
    let device: MMIODevice
    let name: String
}

/// Stands in for the machine while the CPUs are created (the machine is not yet whole).
final class PlaceholderBus: CPUBus {
    func portRead(_ port: UInt16, size: Int) -> UInt32 { ~0 }
    func portWrite(_ port: UInt16, size: Int, value: UInt32) {}
    func mmioRead(_ addr: UInt64, size: Int) -> UInt64 { ~0 }
    func mmioWrite(_ addr: UInt64, size: Int, value: UInt64) {}
    func codeWritten(page: UInt64) {}
    var interruptPending: Bool { false }
    func acknowledgeInterrupt() -> UInt8? { nil }
    func shutdown(reason: String) {}
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
