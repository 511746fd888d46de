/// The machine's virtual clock and timer queue (shared/design.md, "Clock").
///
/// Time is nanoseconds of virtual time. The machine derives it from retired CPU cycles at the
/// CPU model's nominal TSC frequency and updates `now` before every device access and after
/// every CPU slice, so a device reading `clock.now` during a register access sees the exact
/// time of that access. Devices never read host time (except in the host-time mode, which the
/// machine implements by feeding host time into the same clock).
///
/// Timers fire in deadline order when the machine advances the clock past their deadline
/// (`advance(to:)`); callbacks run on the machine thread and may re-arm any timer.
public final class VirtualClock {
    /// Current virtual time in ns. Only the machine moves it (monotonic).
    public private(set) var now: UInt64 = 0
    var timers: [DeviceTimer] = []          // armed timers, unsorted (there are a handful)

    public init(now: UInt64 = 0) { self.now = now }

    /// Earliest armed deadline, if any.
    public var nextDeadline: UInt64? {
        var best: UInt64? = nil
        for t in timers { if best == nil || t.deadline! < best! { best = t.deadline } }
        return best
    }

    /// Set the time without firing timers (the machine calls this before a device access
    /// in the middle of a CPU slice; expired timers fire at the end of the slice).
    public func sync(to t: UInt64) { if t > now { now = t } }

    /// Move time to `t` and fire every timer whose deadline is <= t, earliest first. A timer
    /// fires with `now` equal to its deadline, so devices see the exact expiry time.
    public func advance(to t: UInt64) {
        while let d = nextDeadline, d <= t {
            if d > now { now = d }
            // Earliest first; ties in arming order (deterministic).
            var k = 0
            for (i, tm) in timers.enumerated() where tm.deadline! == d { k = i; break }
            let tm = timers.remove(at: k)
            tm.deadline = nil
            tm.callback()
        }
        if t > now { now = t }
    }
}

/// One device timer: `callback` runs once when the clock reaches `deadline`.
public final class DeviceTimer {
    public unowned let clock: VirtualClock
    public fileprivate(set) var deadline: UInt64? = nil
    let callback: () -> Void
    public init(clock: VirtualClock, _ callback: @escaping () -> Void) {
        self.clock = clock; self.callback = callback
    }
    public var isArmed: Bool { deadline != nil }
    /// Arm (or re-arm) for absolute virtual time `t` ns. A deadline in the past fires at the
    /// next `advance`.
    public func schedule(at t: UInt64) {
        if deadline == nil { clock.timers.append(self) }
        deadline = t
    }
    public func cancel() {
        guard deadline != nil else { return }
        clock.timers.removeAll { $0 === self }
        deadline = nil
    }
}
