#if canImport(Glibc)
import Glibc
#endif

/// Virtual time from retired cycles (shared/design.md, "Clock"): the CPUs' cycle counters
/// are one global count (each slice starts from it and adds to it), and virtual ns are that
/// count at the CPU model's nominal TSC frequency, the frequency CPUID leaves 0x15/0x16
/// report. So TSC, PIT, RTC, HPET, ACPI PM timer and APIC timer all read one clock.
///
/// Host-time mode (`-rtc clock=host`) keeps the same arithmetic but never lets the cycle count
/// fall behind host time elapsed since start, and idles in host time: interactive guests see
/// wall-clock timers, at the price of determinism.
struct MachineClock {
    let tscHz: UInt64
    var hostTime = false
    var hostStart: UInt64 = MachineClock.hostNs()

    /// ns of virtual time at `cycles` (128-bit intermediate: no overflow for centuries).
    func ns(_ cycles: UInt64) -> UInt64 {
        let p = cycles.multipliedFullWidth(by: 1_000_000_000)
        return tscHz.dividingFullWidth(p).quotient
    }
    /// The first cycle count whose time is >= ns.
    func cycles(atNs ns: UInt64) -> UInt64 {
        let p = ns.multipliedFullWidth(by: tscHz)
        if p.high >= 1_000_000_000 { return .max }
        let (q, r) = UInt64(1_000_000_000).dividingFullWidth(p)
        // ns(q) may still round down below `ns`; step up until it does not.
        var c = r == 0 ? q : q + 1
        while self.ns(c) < ns { c += 1 }
        return c
    }
    static func hostNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
    var hostElapsedNs: UInt64 { MachineClock.hostNs() &- hostStart }
}
