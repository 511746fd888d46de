import Machine
import CHost
#if canImport(Glibc)
import Glibc
#endif

/// Host ends of the guest's serial ports (QEMU's chardevs): stdio (optionally multiplexed
/// with the Ctrl-A escape of -nographic / mon:stdio), a file, a pty, or nothing.
public final class Chardev {
    public enum Kind { case stdio(mux: Bool), file, pty, null }
    let kind: Kind
    let outFD: Int32
    let inFD: Int32
    var out: [UInt8] = []
    var escape = false
    var savedTermios: termios? = nil
    public var onQuit: () -> Void = {}
    public private(set) var ptyPath: String? = nil

    public init(_ backend: MachineConfig.SerialBackend, label: String) throws {
        switch backend {
        case .stdio, .muxStdio:
            kind = .stdio(mux: backend == .muxStdio); outFD = 1; inFD = 0
            if isatty(0) != 0 {
                var t = termios()
                tcgetattr(0, &t); savedTermios = t
                cfmakeraw(&t)
                t.c_oflag |= tcflag_t(OPOST | ONLCR)
                if backend == .stdio { t.c_lflag |= tcflag_t(ISIG) }   // Ctrl-C still stops swemu
                tcsetattr(0, TCSANOW, &t)
            }
            _ = fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK)
        case .file(let path):
            kind = .file
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            if fd < 0 { throw MachineError.config("-serial file:\(path): could not open: \(String(cString: strerror(errno)))") }
            outFD = fd; inFD = -1
        case .pty:
            kind = .pty
            var name = [CChar](repeating: 0, count: 256)
            let fd = chost_open_pty(&name, 256)
            if fd < 0 { throw MachineError.config("-serial pty: could not create a pseudo-terminal") }
            outFD = fd; inFD = fd
            ptyPath = String(cString: name)
            // QEMU's message, which tools parse.
            FileHandleStderrShim.write("char device redirected to \(ptyPath!) (label \(label))\n")
        case .null, .none:
            kind = .null; outFD = -1; inFD = -1
        }
    }

    public func write(_ b: UInt8) {
        if outFD < 0 { return }
        out.append(b)
        if out.count >= 4096 { flush() }
    }
    public func flush() {
        var off = 0
        while off < out.count {
            let n = out.withUnsafeBytes { Glibc.write(outFD, $0.baseAddress! + off, out.count - off) }
            if n <= 0 { if errno == EAGAIN || errno == EINTR { usleep(1000); continue }; break }
            off += n
        }
        out.removeAll(keepingCapacity: true)
    }
    /// Bytes typed by the user, with the mux escape (Ctrl-A X quits, Ctrl-A Ctrl-A sends one Ctrl-A).
    /// Read at most `max` bytes of host input (what the UART's FIFO can take now: the rest
    /// stays in the host's buffer instead of overrunning the guest's FIFO).
    public func poll(max: Int = 256, into deliver: ([UInt8]) -> Void) {
        guard inFD >= 0, max > 0 else { return }
        var buf = [UInt8](repeating: 0, count: Swift.min(max, 256))
        let n = read(inFD, &buf, buf.count)
        guard n > 0 else { return }
        var got: [UInt8] = []
        for b in buf[0..<n] {
            if case .stdio(mux: true) = kind {
                if escape {
                    escape = false
                    switch b {
                    case UInt8(ascii: "x"), UInt8(ascii: "X"): onQuit(); return
                    case 1: got.append(1)
                    default: break
                    }
                    continue
                }
                if b == 1 { escape = true; continue }
            }
            got.append(b)
        }
        if !got.isEmpty { deliver(got) }
    }
    public func close() {
        flush()
        if let t = savedTermios { var t = t; tcsetattr(0, TCSANOW, &t) }
        if case .file = kind { Glibc.close(outFD) }
    }
}

enum FileHandleStderrShim {
    static func write(_ s: String) { var s = s; s.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) } }
}
