import CPU
import Translator

/// One machine description; the QEMU-style command line (and later xl.cfg) produce it.
public struct MachineConfig {
    public enum SerialBackend: Equatable { case stdio, muxStdio, file(String), pty, null, none }
    public enum DeviceSpec: Equatable { case debugExit(iobase: UInt16, iosize: UInt16), pcTestdev, pciTestdev }

    public var ramSize: UInt64 = 128 << 20
    public var cpus = 1
    public var maxCPUs = 1
    public var cpuModel: CPUModel = .default
    public var kernel: String? = nil
    public var append = ""
    public var initrd: [String] = []
    public var serial: [SerialBackend] = []
    public var devices: [DeviceSpec] = []
    public var noReboot = false
    public var noDefaults = false
    public var name: String? = nil
    public var trace: TraceFlags = []
    public var traceFile: String? = nil
    /// Virtual time follows host time (-rtc clock=host|rt): interactive use, not deterministic.
    public var hostTime = false
    /// RTC time at power-on in Unix seconds (-rtc base=); nil = swemu's fixed default date.
    public var rtcBase: Int64? = nil
    /// -machine pit=off: no 8254 at ports 0x40-0x43 (and no port 0x61 PIT bits).
    public var pit = true
    public init() {}
}
