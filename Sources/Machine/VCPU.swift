import CPU
import Translator
import DeviceModel

/// One virtual CPU of the machine: the architectural CPU, its translator engine and its
/// local APIC. All vCPUs run on the machine thread in round-robin slices (shared/design.md,
/// "Threads and determinism"), so LOCK and memory ordering hold trivially.
final class VCPU {
    let index: Int
    let cpu: CPU
    let engine: Engine
    var lapic: LocalAPIC!

    init(index: Int, cpu: CPU, engine: Engine) {
        self.index = index; self.cpu = cpu; self.engine = engine
    }

    /// Whether a slice can make progress: running, or halted with an event that wakes HLT
    /// (an NMI, or a maskable interrupt with IF = 1; SDM Vol. 2, HLT). Shutdown (2) and
    /// wait-for-SIPI (3) only leave through INIT/SIPI/reset, which set `halted` directly.
    var runnable: Bool {
        let st = cpu.s
        switch st.pointee.halted {
        case 0: return true
        case 1:
            if st.pointee.nmiPending != 0 { return true }
            return st.pointee.flags & FL.if != 0 && lapic.hasInterrupt
        default: return false
        }
    }
}
