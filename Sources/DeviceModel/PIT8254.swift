/// Intel 8254 Programmable Interval Timer (datasheet 231164), as wired in the PC: CLK of all
/// three counters is 1.193182 MHz; counter 0 OUT drives IRQ0, counter 1 (DRAM refresh) has
/// GATE tied high, counter 2 GATE and OUT go through system control port B (0x61) to the
/// speaker. Ports 0x40-0x42 are the counters, 0x43 the control word register.
///
/// No timer and no stepping: each counter remembers the CLK pulse at which its counting
/// element (CE) was loaded, and count and OUT are pure functions of the pulses since then,
/// computed from the machine's virtual clock (shared/design.md, "Clock").
/// Pulse k (k >= 1) happens at virtual time ceil(k * 1e9 / 1193182) ns, so the number of
/// pulses up to time t is floor(t * 1193182 / 1e9).
public final class PIT8254: PortDevice {
    public static let clockHz: UInt64 = 1_193_182
    /// Port B bit 4 toggles on every DRAM refresh request, 15.085 us on PC/AT-class machines.
    public static let refreshPeriodNs: UInt64 = 15_085

    /// One counting run: CE holds `count` at pulse `s` and changes on each later pulse.
    /// For modes 2 and 3 `count` is the period N in pulses (0 already turned into 2^16 / 10^4)
    /// and `phase` the position within the period at pulse `s`.
    public struct Run: Codable, Equatable {
        public var s: UInt64
        public var count: UInt32
        public var phase: UInt32 = 0
        public var done = false
    }

    public struct Counter: Codable, Equatable {
        public var modeBits: UInt8 = 0        // M2 M1 M0 as programmed (6, 7 alias 2, 3)
        public var rw: UInt8 = 3              // RW1 RW0: 1 LSB, 2 MSB, 3 LSB then MSB
        public var bcd = false
        public var cr: UInt16 = 0             // count register, raw as written
        public var countWritten = false
        public var writeMSBNext = false
        public var readMSBNext = false
        public var latch: UInt16? = nil       // output latch frozen by a latch command
        public var status: UInt8? = nil       // status latched by read-back
        public var gate = true
        public var nullUntil: UInt64 = 0      // null count until this pulse (max: until a trigger)
        public var held: UInt32 = 0           // CE value while not counting
        public var heldDone = false
        public var outHeld = false            // OUT while not counting / before the load pulse
        public var frozen = false             // modes 0, 4: counting suspended by GATE low
        public var run: Run? = nil
        public var pending: Run? = nil        // modes 2, 3: new count taking effect later

        var mode: UInt8 { modeBits > 5 ? modeBits & 3 : modeBits }
        var modulus: UInt32 { bcd ? 10_000 : 65_536 }
        /// "0 is the largest count": 2^16 binary, 10^4 BCD (datasheet, "Write Operations").
        func span(_ v: UInt32) -> UInt32 { v == 0 ? modulus : v }
        var numericCR: UInt32 { bcd ? PIT8254.fromBCD(cr) : UInt32(cr) }
        func raw(_ v: UInt32) -> UInt16 {
            bcd ? PIT8254.toBCD(v % 10_000) : UInt16(truncatingIfNeeded: v)
        }

        /// Count, OUT and "terminal count passed" at pulse `t` (t >= r.s), per mode.
        func eval(_ r: Run, _ t: UInt64) -> (count: UInt32, out: Bool, done: Bool) {
            let d = t - r.s, m = modulus
            switch mode {
            case 0, 1:
                // Mode 0: OUT low until the count reaches 0. Mode 1: OUT low from the load
                // pulse until 0. Both keep decrementing (wrapping) with OUT high afterwards.
                let done = r.done || d >= UInt64(span(r.count))
                return ((r.count + m - UInt32(d % UInt64(m))) % m, done, done)
            case 4, 5:
                // OUT goes low for exactly one CLK pulse when the count reaches 0.
                let dd = UInt64(span(r.count))
                let count = (r.count + m - UInt32(d % UInt64(m))) % m
                return (count, r.done || d != dd, r.done || d > dd)
            case 2:
                // Rate generator: OUT low while the count is 1, reload of N on the next pulse.
                let n = r.count, p = UInt32((d + UInt64(r.phase)) % UInt64(n))
                return (n - p, p != n - 1, false)
            default:
                // Square wave: decrement by two; OUT high for ceil(N/2) pulses, low for
                // floor(N/2) (datasheet, mode 3, "odd counts").
                let n = r.count, p = UInt32((d + UInt64(r.phase)) % UInt64(n))
                let hi = (n + 1) / 2, top = n - (n & 1)
                return p < hi ? (top - 2 * p, true, false) : (top - 2 * (p - hi), false, false)
            }
        }

        func current(_ t: UInt64) -> (count: UInt32, out: Bool, done: Bool) {
            if let p = pending, t >= p.s { return eval(p, t) }
            if let r = run, t >= r.s { return eval(r, t) }
            return (held, outHeld, heldDone)
        }

        mutating func sync(_ t: UInt64) {
            if let p = pending, t >= p.s { run = p; pending = nil }
        }

        /// First pulse after `t` (t >= r.s) at which OUT of run `r` changes.
        func nextInRun(_ r: Run, _ t: UInt64) -> UInt64? {
            let d = t - r.s
            switch mode {
            case 0, 1:
                let dd = UInt64(span(r.count))
                return !r.done && d < dd ? r.s + dd : nil
            case 4, 5:
                let dd = UInt64(span(r.count))
                if r.done || d > dd { return nil }
                return d < dd ? r.s + dd : r.s + dd + 1
            case 2:
                let n = r.count
                if n <= 1 { return nil }
                let p = UInt32((d + UInt64(r.phase)) % UInt64(n))
                return p < n - 1 ? t + UInt64(n - 1 - p) : t + 1
            default:
                let n = r.count, hi = (n + 1) / 2
                if n - hi == 0 { return nil }
                let p = UInt32((d + UInt64(r.phase)) % UInt64(n))
                return p < hi ? t + UInt64(hi - p) : t + UInt64(n - p)
            }
        }

        /// First pulse after `now` at which OUT differs from its level at `now`.
        func nextChange(after now: UInt64) -> UInt64? {
            let level = current(now).out
            var t = now
            for _ in 0..<4 {
                if let p = pending, t >= p.s { return nextInRun(p, t) }
                guard let r = run else { return nil }
                if t < r.s {
                    if eval(r, r.s).out != level { return r.s }
                    t = r.s; continue
                }
                let c = nextInRun(r, t)
                guard let p = pending else { return c }
                if let c = c, c < p.s { return c }
                if eval(p, p.s).out != level { return p.s }
                t = p.s
            }
            return nil
        }
    }

    public struct State: Codable, Equatable {
        public var counters = [Counter](repeating: Counter(), count: 3)
        public var speakerData = false         // port 0x61 bit 1
    }

    public var state: State { s }
    private var s = State()
    private let now: () -> UInt64
    public let irq0: IRQLine

    public init(now: @escaping () -> UInt64, irq0: IRQLine) {
        self.now = now; self.irq0 = irq0
    }

    public convenience init(state: State, now: @escaping () -> UInt64, irq0: IRQLine) {
        self.init(now: now, irq0: irq0)
        s = state
        update()
    }

    // MARK: time

    /// Pulses of the 1.193182 MHz clock up to virtual time `ns` (128-bit intermediate).
    public static func ticks(atNs ns: UInt64) -> UInt64 {
        let p = ns.multipliedFullWidth(by: clockHz)
        return UInt64(1_000_000_000).dividingFullWidth(p).quotient
    }

    /// Virtual time (ns) of pulse `k`: the first ns whose tick count reaches k.
    public static func ns(ofTick k: UInt64) -> UInt64 {
        let p = k.multipliedFullWidth(by: 1_000_000_000)
        if p.high >= clockHz { return .max }
        let (q, r) = clockHz.dividingFullWidth(p)
        return r == 0 ? q : q + 1
    }

    static func fromBCD(_ v: UInt16) -> UInt32 {
        UInt32(v >> 12 & 15) * 1000 + UInt32(v >> 8 & 15) * 100 + UInt32(v >> 4 & 15) * 10 + UInt32(v & 15)
    }
    static func toBCD(_ v: UInt32) -> UInt16 {
        UInt16(v / 1000 % 10) << 12 | UInt16(v / 100 % 10) << 8 | UInt16(v / 10 % 10) << 4 | UInt16(v % 10)
    }

    private var tick: UInt64 { PIT8254.ticks(atNs: now()) }

    // MARK: machine interface

    public func nextEvent() -> UInt64? {
        let t = tick
        return s.counters[0].nextChange(after: t).map(PIT8254.ns(ofTick:))
    }

    public func update() {
        let t = tick
        s.counters[0].sync(t)
        irq0.set(s.counters[0].current(t).out)
    }

    /// OUT of counter `i` at the current virtual time.
    public func out(_ i: Int) -> Bool { s.counters[i].current(tick).out }

    // MARK: ports 0x40-0x43

    public func read(offset: UInt16, size: Int) -> UInt32 {
        let i = Int(offset & 3)
        guard i < 3 else { return 0xFF }       // control word register is write-only
        let t = tick
        var c = s.counters[i]
        c.sync(t)
        defer { s.counters[i] = c }
        // Read-back status comes before any latched count (datasheet, "Read-Back Command").
        if let st = c.status { c.status = nil; return UInt32(st) }
        let v: UInt16
        if let l = c.latch { v = l } else { v = c.raw(c.current(t).count) }
        let msb: Bool
        switch c.rw {
        case 1: msb = false
        case 2: msb = true
        default: msb = c.readMSBNext; c.readMSBNext.toggle()
        }
        // A latched count stays until read completely, per the programmed RW format.
        if c.latch != nil && (c.rw != 3 || msb) { c.latch = nil }
        return UInt32(msb ? v >> 8 : v & 0xFF)
    }

    public func write(offset: UInt16, size: Int, value: UInt32) {
        let t = tick, b = UInt8(truncatingIfNeeded: value)
        if offset & 3 == 3 { control(b, t) } else { writeCount(Int(offset & 3), b, t) }
        s.counters[0].sync(t)
        irq0.set(s.counters[0].current(t).out)
    }

    private func control(_ v: UInt8, _ t: UInt64) {
        let sc = Int(v >> 6)
        if sc == 3 { readBack(v, t); return }
        var c = s.counters[sc]
        c.sync(t)
        let cur = c.current(t)
        let rw = v >> 4 & 3
        if rw == 0 {
            // Counter latch command; a second one before the read is ignored.
            if c.latch == nil { c.latch = c.raw(cur.count) }
        } else {
            // "When a Control Word is written to a Counter, all Control Logic is immediately
            // reset and OUT goes to a known initial state": low in mode 0, high otherwise.
            c.modeBits = v >> 1 & 7; c.rw = rw; c.bcd = v & 1 != 0
            c.held = cur.count % c.modulus; c.heldDone = false
            c.run = nil; c.pending = nil; c.frozen = false; c.countWritten = false
            c.outHeld = c.mode != 0
            c.nullUntil = .max
            c.latch = nil; c.status = nil
            c.writeMSBNext = false; c.readMSBNext = false
        }
        s.counters[sc] = c
    }

    /// Read-back: D5 = 0 latches count, D4 = 0 latches status, D3..D1 select counters 2..0.
    private func readBack(_ v: UInt8, _ t: UInt64) {
        for i in 0..<3 where v & (2 << i) != 0 {
            var c = s.counters[i]
            c.sync(t)
            let cur = c.current(t)
            if v & 0x20 == 0 && c.latch == nil { c.latch = c.raw(cur.count) }
            if v & 0x10 == 0 && c.status == nil {
                // Status byte: OUT, NULL COUNT, RW1 RW0, M2 M1 M0, BCD.
                c.status = (cur.out ? 0x80 : 0) | (t < c.nullUntil ? 0x40 : 0)
                    | c.rw << 4 | c.modeBits << 1 | (c.bcd ? 1 : 0)
            }
            s.counters[i] = c
        }
    }

    private func writeCount(_ i: Int, _ b: UInt8, _ t: UInt64) {
        var c = s.counters[i]
        c.sync(t)
        defer { s.counters[i] = c }
        switch c.rw {
        case 1: c.cr = UInt16(b)
        case 2: c.cr = UInt16(b) << 8
        default:
            if !c.writeMSBNext {
                c.cr = c.cr & 0xFF00 | UInt16(b)
                c.writeMSBNext = true
                if c.mode == 0 {
                    // Mode 0: "Writing the first byte disables counting. OUT is set low
                    // immediately (no clock pulse required)."
                    c.held = c.current(t).count; c.run = nil; c.frozen = false
                    c.outHeld = false; c.heldDone = false
                }
                return
            }
            c.cr = c.cr & 0x00FF | UInt16(b) << 8
            c.writeMSBNext = false
        }
        load(&c, t)
    }

    /// A complete initial count was written: CR goes to CE on the next CLK pulse, which does
    /// not decrement, hence OUT changes N+1 pulses after the write in modes 0 and 4.
    private func load(_ c: inout Counter, _ t: UInt64) {
        c.countWritten = true
        let v = c.numericCR
        switch c.mode {
        case 0, 4:
            // A new count restarts the one-shot; GATE low loads it but inhibits counting.
            c.outHeld = c.mode == 4; c.heldDone = false; c.pending = nil
            c.nullUntil = t + 1
            if c.gate { c.run = Run(s: t + 1, count: v); c.frozen = false }
            else { c.run = nil; c.frozen = true; c.held = v }
        case 1, 5:
            c.nullUntil = .max                 // transferred only by a GATE trigger
        default:
            let n = c.span(v)
            if let r = c.run {
                if t < r.s {
                    c.run = Run(s: r.s, count: n); c.nullUntil = r.s
                    return
                }
                // Mode 2: a new count takes effect at the end of the current period;
                // mode 3: at the end of the current half-cycle (datasheet, modes 2 and 3).
                let cur = r.count, p = UInt32((t - r.s + UInt64(r.phase)) % UInt64(cur))
                let hi = (cur + 1) / 2
                var next = Run(s: t + UInt64(cur - p), count: n)
                if c.mode == 3 && p < hi && cur - hi > 0 {
                    next = Run(s: t + UInt64(hi - p), count: n, phase: (n + 1) / 2)
                }
                c.pending = next; c.nullUntil = next.s
            } else if c.gate {
                c.outHeld = true; c.run = Run(s: t + 1, count: n); c.nullUntil = t + 1
            } else {
                c.nullUntil = .max             // loaded by the GATE rising edge
            }
        }
    }

    /// GATE input of counter `i` (0 and 1 are tied high on the PC).
    public func setGate(_ i: Int, _ g: Bool) {
        let t = tick
        var c = s.counters[i]
        c.sync(t)
        defer { s.counters[i] = c; if i == 0 { update() } }
        guard c.gate != g else { return }
        let cur = c.current(t)
        c.gate = g
        switch c.mode {
        case 0, 4:
            // GATE = 0 suspends counting; counting resumes from the held count.
            if !g, let r = c.run {
                c.held = t < r.s ? r.count : cur.count
                c.heldDone = cur.done; c.outHeld = cur.out
                c.run = nil; c.frozen = true
            } else if g && c.frozen {
                c.frozen = false
                c.run = Run(s: t, count: c.held, done: c.heldDone)
            }
        case 1, 5:
            // A rising edge (re)triggers: CR is loaded into CE on the next CLK pulse.
            guard g && c.countWritten else { return }
            c.outHeld = cur.out; c.held = cur.count
            c.run = Run(s: t + 1, count: c.numericCR); c.pending = nil
            c.nullUntil = min(c.nullUntil, t + 1)
        default:
            // Modes 2, 3: GATE low forces OUT high and stops; a rising edge reloads.
            if !g {
                c.held = cur.count % c.modulus; c.outHeld = true
                c.run = nil; c.pending = nil
            } else if c.countWritten {
                c.outHeld = true
                c.run = Run(s: t + 1, count: c.span(c.numericCR))
                c.nullUntil = min(c.nullUntil, t + 1)
            }
        }
    }

    // MARK: port 0x61 (system control port B)

    /// Bit 0 counter 2 GATE, bit 1 speaker data, bit 4 refresh toggle, bit 5 counter 2 OUT.
    public func readPort61() -> UInt8 {
        let ns = now()
        var v: UInt8 = s.counters[2].gate ? 1 : 0
        if s.speakerData { v |= 2 }
        if (ns / PIT8254.refreshPeriodNs) & 1 != 0 { v |= 0x10 }
        if s.counters[2].current(PIT8254.ticks(atNs: ns)).out { v |= 0x20 }
        return v
    }

    public func writePort61(_ v: UInt8) {
        s.speakerData = v & 2 != 0
        setGate(2, v & 1 != 0)
    }
}
