// swemu: the program. Parses QEMU's command line, builds the machine, wires chardevs,
// runs, and exits with QEMU's status conventions.
import Machine
import Frontends
import CPU
import CHost
#if canImport(Glibc)
import Glibc
#endif

func fail(_ msg: String) -> Never {
    FileHandleStderr.write("swemu: \(msg)\n")
    exit(1)
}

let action: QEMUCommandLine.Action
do { action = try QEMUCommandLine.parse(Array(CommandLine.arguments.dropFirst())) }
catch { fail("\(error)") }

switch action {
case .help(let t): print(t); exit(0)
case .exit(let t): print(t, terminator: ""); exit(0)
case .run(let config):
    var traceFD: UnsafeMutablePointer<FILE>? = nil
    if let path = config.traceFile {
        traceFD = fopen(path, "w")
        if traceFD == nil { fail("-D \(path): could not open for writing") }
    }
    let machine: Machine
    do { machine = try Machine(config: config) } catch { fail("\(error)") }
    if let f = traceFD {
        for i in 0..<machine.cpuCount {
            machine.engine(i).traceSink = { s in _ = s.withCString { fputs($0, f) } }
            machine.cpu(i).log = { s in _ = s.withCString { fputs($0, f) } }
        }
    }
    var chardevs: [Chardev] = []
    do {
        for (k, b) in config.serial.enumerated() where b != .none && k < machine.serials.count + 1 {
            let cd = try Chardev(b, label: "serial\(k)")
            chardevs.append(cd)
            if k < machine.serials.count {
                machine.serials[k].transmit = { cd.write($0) }
            }
            cd.onQuit = { FileHandleStderr.write("swemu: terminating on signal from the console\n"); machine.requestExit(0) }
        }
    } catch { fail("\(error)") }
    let stopSignal = chost_install_stop_signals()!
    machine.pollInput = {
        if stopSignal.pointee != 0 {
            FileHandleStderr.write("swemu: terminating on signal \(stopSignal.pointee)\n")
            machine.requestExit(0)
        }
        for (k, cd) in chardevs.enumerated() {
            cd.flush()
            if k < machine.serials.count, machine.serials[k].canReceive {
                cd.poll(max: machine.serials[k].receiveCapacity) { machine.serials[k].receive($0) }
            }
        }
    }
    do { try machine.loadKernel() } catch { fail("\(error)") }
    var t0 = timespec(); clock_gettime(CLOCK_MONOTONIC, &t0)
    let status = machine.run()
    if getenv("SWEMU_STATS") != nil {
        // Not a QEMU option: a measurement aid (bench/ reads it).
        var t1 = timespec(); clock_gettime(CLOCK_MONOTONIC, &t1)
        let secs = Double(t1.tv_sec - t0.tv_sec) + Double(t1.tv_nsec - t0.tv_nsec) / 1e9
        let n = machine.retiredInstructions
        var translated = 0, invalidated = 0
        for i in 0..<machine.cpuCount { translated += machine.engine(i).cache.translated; invalidated += machine.engine(i).cache.invalidated }
        FileHandleStderr.write("swemu: stats: \(n) guest instructions, \(machine.cycles) cycles, \(translated) blocks translated, \(invalidated) invalidated, \(String(format2: secs)) s, \(Int(Double(n) / secs / 1e6)) M guest instructions/s\n")
    }
    for cd in chardevs { cd.close() }
    if let f = traceFD { fclose(f) }
    exit(status)
}

extension String {
    init(format2 v: Double) { let r = (v * 1000).rounded() / 1000; self = "\(r)" }
}
