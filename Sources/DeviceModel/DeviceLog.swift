#if canImport(Glibc)
import Glibc
#endif

/// Where devices report guest accesses they do not implement (a register, a mode, a command):
/// never silently. The machine replaces `sink` to route messages to its log; each message is
/// printed once per process (a guest polling an unimplemented register must not flood).
public enum DeviceLog {
    nonisolated(unsafe) public static var sink: (String) -> Void = { s in
        var s = s
        s.withUTF8 { p in _ = Glibc.write(2, p.baseAddress, p.count) }
    }
    nonisolated(unsafe) static var seen = Set<String>()
    /// "swemu: warning: <device>: <message>", once per distinct message.
    public static func warnOnce(_ device: String, _ message: String) {
        let line = "swemu: warning: \(device): \(message)\n"
        if seen.insert(line).inserted { sink(line) }
    }
}
