// swemu: the program. Parses QEMU's command line, builds the machine, wires chardevs,
// runs, and exits with QEMU's status conventions.
import Machine
import Frontends
import CPU
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
        machine.engine.traceSink = { s in _ = s.withCString { fputs($0, f) } }
        machine.cpu.log = { s in _ = s.withCString { fputs($0, f) } }
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
    machine.pollInput = {
        for (k, cd) in chardevs.enumerated() {
            cd.flush()
            if k < machine.serials.count, machine.serials[k].canReceive { cd.poll { machine.serials[k].receive($0) } }
        }
    }
    do { try machine.loadKernel() } catch { fail("\(error)") }
    let status = machine.run()
    for cd in chardevs { cd.close() }
    if let f = traceFD { fclose(f) }
    exit(status)
}
