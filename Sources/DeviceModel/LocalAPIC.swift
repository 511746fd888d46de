/// Intel local APIC, xAPIC and x2APIC modes (Intel SDM Vol. 3A, chapter 10 "Advanced
/// Programmable Interrupt Controller"; x2APIC in 10.12). One instance per logical CPU.
///
/// Wiring (the machine does this; see APICBus.swift for the bus):
/// - xAPIC registers: `MMIODevice` at `mmioBase` (4 KiB), only while `mmioActive`. In x2APIC
///   mode and while globally disabled the page is not decoded (SDM 10.4.5, 10.12.1.2).
/// - IA32_APIC_BASE (MSR 1Bh): `baseMSR` / `writeBaseMSR`; x2APIC MSRs 800h-8FFh: `readMSR` /
///   `writeMSR`; IA32_TSC_DEADLINE (MSR 6E0h): `readTSCDeadline` / `writeTSCDeadline`; CR8: `cr8`.
///   A nil read or a false write means the CPU raises #GP(0).
/// - INTR: the CPU polls `hasInterrupt` at instruction boundaries (after `signalCPU` woke it)
///   and calls `acknowledge()` for the INTA cycle. NMI, INIT and SIPI arrive through the hooks.
/// - LINT0/LINT1 inputs: `setLINT`. On the PC the 8259's INTR goes to LINT0 of every APIC (the
///   BSP's LVT LINT0 is ExtINT after reset, "virtual wire") and the ExtINT vector comes from the
///   8259 itself (`extINTPending` / `extINTAcknowledge`).
///
/// Time: the timer counts bus-clock ticks of 1 ns (QEMU's APIC bus clock is 1 GHz) divided by
/// the divide configuration. The current count is a pure function of `clock.now`; a single
/// `DeviceTimer` is armed for the next expiry only when it would deliver an interrupt.
public final class LocalAPIC: MMIODevice {
    // IA32_APIC_BASE bits (SDM 10.4.4, Figure 10-5; 10.12.1 for EXTD).
    public static let baseBSP: UInt64 = 1 << 8
    public static let baseEXTD: UInt64 = 1 << 10
    public static let baseEN: UInt64 = 1 << 11
    public static let defaultBase: UInt64 = 0xFEE0_0000
    /// Version register (SDM 10.4.8, Figure 10-7): version 14h (integrated xAPIC), max LVT
    /// entry 5 (timer, thermal, performance counters, LINT0, LINT1, error; no CMCI), as QEMU.
    /// Bit 24 (EOI-broadcast suppression) is added when `eoiBroadcastSuppression` is on.
    public static let versionValue: UInt32 = 0x0005_0014

    static let lvtMasked: UInt32 = 1 << 16
    static let lvtRemoteIRR: UInt32 = 1 << 14
    static let lvtLevel: UInt32 = 1 << 15
    static let lvtActiveLow: UInt32 = 1 << 13
    // LVT indices, in register order 320h..370h (SDM 10.5.1, Figure 10-8).
    static let lvtTimer = 0, lvtThermal = 1, lvtPerf = 2, lvtLINT0 = 3, lvtLINT1 = 4, lvtError = 5
    /// Writable bits per LVT (Figure 10-8): delivery status (12) and remote IRR (14) are
    /// read-only; the timer has mode bits 18:17 and no delivery mode; only LINT0/1 have polarity
    /// and trigger mode.
    static let lvtWritable: [UInt32] = [0x700FF, 0x107FF, 0x107FF, 0x1A7FF, 0x1A7FF, 0x100FF]
    /// ICR low writable bits (Figure 10-12): vector, delivery mode, destination mode, level,
    /// trigger mode, shorthand. Delivery status (12) reads 0: a message is sent at once.
    static let icrWritable: UInt32 = 0x000C_CFFF
    // ESR bits (SDM 10.5.3, Figure 10-9).
    static let esrSendIllegalVector: UInt32 = 1 << 5
    static let esrReceiveIllegalVector: UInt32 = 1 << 6
    static let esrIllegalRegister: UInt32 = 1 << 7
    /// Periodic timer interrupts closer than this are coalesced (the counter itself stays
    /// exact); a guest programming a period of a few ns must not make the machine run one timer
    /// callback per ns. A real APIC would coalesce them in the IRR anyway.
    static let minPeriodicInterruptNs: UInt64 = 1_000

    /// Timer modes, LVT timer bits 18:17 (SDM 10.5.4, 10.5.4.1).
    enum TimerMode: UInt32 { case oneShot = 0, periodic = 1, tscDeadline = 2, reserved = 3 }

    /// 256 vector bits (IRR, ISR, TMR; SDM 10.8.4). Four words so the state is a plain value.
    public struct VectorBits: Codable, Equatable {
        public var w0: UInt64 = 0, w1: UInt64 = 0, w2: UInt64 = 0, w3: UInt64 = 0
        public init() {}
        func word(_ i: Int) -> UInt64 {
            switch i { case 0: return w0; case 1: return w1; case 2: return w2; default: return w3 }
        }
        mutating func setWord(_ i: Int, _ v: UInt64) {
            switch i { case 0: w0 = v; case 1: w1 = v; case 2: w2 = v; default: w3 = v }
        }
        public func contains(_ v: UInt8) -> Bool { word(Int(v >> 6)) & (1 << UInt64(v & 63)) != 0 }
        mutating func insert(_ v: UInt8) { setWord(Int(v >> 6), word(Int(v >> 6)) | 1 << UInt64(v & 63)) }
        mutating func remove(_ v: UInt8) { setWord(Int(v >> 6), word(Int(v >> 6)) & ~(1 << UInt64(v & 63))) }
        /// Highest set vector (the highest-priority one, SDM 10.8.3), or nil.
        public var highest: UInt8? {
            for i in stride(from: 3, through: 0, by: -1) where word(i) != 0 {
                return UInt8(i * 64 + 63 - word(i).leadingZeroBitCount)
            }
            return nil
        }
        /// The 32-bit register k (0-7) as the guest sees it (bits 32k..32k+31).
        func register(_ k: Int) -> UInt32 { UInt32(truncatingIfNeeded: word(k >> 1) >> UInt64(32 * (k & 1))) }
    }

    public struct State: Codable, Equatable {
        public var base: UInt64
        public var xapicID: UInt8                 // xAPIC ID register bits 31:24 (writable)
        public var tpr: UInt8 = 0
        public var ldr: UInt32 = 0                // xAPIC: bits 31:24; x2APIC: derived from the ID
        public var dfr: UInt32 = 0xFFFF_FFFF
        public var svr: UInt32 = 0xFF
        public var irr = VectorBits(), isr = VectorBits(), tmr = VectorBits()
        public var esr: UInt32 = 0                // value read from the ESR
        public var esrPending: UInt32 = 0         // errors detected since the last ESR write
        public var icrLow: UInt32 = 0
        public var icrHigh: UInt32 = 0            // xAPIC: bits 31:24; x2APIC: 32-bit destination
        public var lvt: [UInt32] = Array(repeating: LocalAPIC.lvtMasked, count: 6)
        public var divideConfig: UInt32 = 0
        public var initialCount: UInt32 = 0
        /// One-shot / periodic counting: the count was `timerRefCount` (> 0) at `timerRef` ns and
        /// decrements once per divided bus tick since then.
        public var timerRunning = false
        public var timerRef: UInt64 = 0
        public var timerRefCount: UInt32 = 0
        public var tscDeadline: UInt64 = 0        // 0 = disarmed
        public var tscDeadlineAt: UInt64 = 0      // virtual ns when the TSC reaches it
        public var lintLevel: [Bool] = [false, false]   // LINT0/LINT1 input levels
        public var extINTRequested = false        // an ExtINT message waits for INTA
        public init(base: UInt64, xapicID: UInt8) { self.base = base; self.xapicID = xapicID }
    }

    /// Initial (hardware) APIC ID: CPUID.1:EBX[31:24] / CPUID.0Bh:EDX, the x2APIC ID.
    public let id: UInt32
    public let isBSP: Bool
    public let clock: VirtualClock
    public let tscHz: UInt64
    /// CPUID.1:ECX[21]. Without it, setting EXTD in IA32_APIC_BASE is #GP.
    public var x2apicSupported = true
    /// MAXPHYADDR: IA32_APIC_BASE bits at and above it are reserved (#GP).
    public var physAddrBits = 39
    /// Directed EOI support (version bit 24, SVR bit 12). Off by default, as QEMU's 50014h.
    public var eoiBroadcastSuppression = false

    public var signalCPU: () -> Void = {}
    public var sendMessage: (APICMessage) -> Void = { _ in }
    public var onINIT: () -> Void = {}
    public var onSIPI: (UInt8) -> Void = { _ in }
    public var onNMI: () -> Void = {}
    public var onEOI: (UInt8) -> Void = { _ in }
    public var extINTPending: () -> Bool = { false }
    public var extINTAcknowledge: () -> UInt8 = { 0xFF }
    public var tsc: () -> UInt64 = { 0 }

    var s: State
    private var timer: DeviceTimer! = nil

    public init(id: UInt32, clock: VirtualClock, tscHz: UInt64, isBSP: Bool) {
        self.id = id; self.clock = clock; self.tscHz = max(tscHz, 1); self.isBSP = isBSP
        s = State(base: LocalAPIC.defaultBase, xapicID: UInt8(truncatingIfNeeded: id))
        timer = DeviceTimer(clock: clock) { [unowned self] in self.timerFired() }
        // Without a bus, a lone APIC talks to itself (the machine replaces this with the bus).
        sendMessage = { [unowned self] m in
            if m.shorthand == .selfOnly || m.shorthand == .allIncludingSelf
                || (m.shorthand == .none && self.matches(m)) { self.accept(m) }
        }
        // TSC from the virtual clock at tscHz, until the machine supplies the CPU's TSC.
        tsc = { [unowned self] in
            let p = self.clock.now.multipliedFullWidth(by: self.tscHz)
            return p.high >= 1_000_000_000 ? UInt64.max
                : UInt64(1_000_000_000).dividingFullWidth((p.high, p.low)).quotient
        }
        reset()
    }

    /// The whole register state. Setting it (snapshot restore) re-arms the timer from it.
    public var state: State {
        get { s }
        set { s = newValue; rearmTimer() }
    }

    // MARK: - modes

    public var baseMSR: UInt64 { s.base }
    var enabled: Bool { s.base & LocalAPIC.baseEN != 0 }
    public var x2apicMode: Bool { s.base & LocalAPIC.baseEXTD != 0 }
    var softwareEnabled: Bool { s.svr & 0x100 != 0 }
    public var mmioBase: UInt64 { s.base & ~UInt64(0xFFF) & (UInt64(1) << UInt64(physAddrBits) - 1) }
    public var mmioActive: Bool { enabled && !x2apicMode }
    public var version: UInt32 { LocalAPIC.versionValue | (eoiBroadcastSuppression ? 1 << 24 : 0) }
    /// Logical x2APIC ID (SDM 10.12.10.2): cluster = ID[19:4] in bits 31:16, one bit of 16 for
    /// ID[3:0].
    var x2apicLDR: UInt32 { (id >> 4) << 16 | 1 << (id & 15) }

    /// WRMSR IA32_APIC_BASE. Mode transitions follow SDM 10.12.5 (Figure 10-27): EXTD without
    /// EN is invalid, x2APIC -> xAPIC and disabled -> x2APIC are illegal; those and reserved
    /// bits (7:0, 9, MAXPHYADDR and up) return false (#GP). BSP is read-only here.
    public func writeBaseMSR(_ v: UInt64) -> Bool {
        let addrBits = (UInt64(1) << UInt64(physAddrBits) - 1) & ~UInt64(0xFFF)
        let defined = addrBits | LocalAPIC.baseBSP | LocalAPIC.baseEXTD | LocalAPIC.baseEN
        guard v & ~defined == 0 else { return false }
        let newEN = v & LocalAPIC.baseEN != 0, newX = v & LocalAPIC.baseEXTD != 0
        if newX && !x2apicSupported { return false }
        if newX && !newEN { return false }                       // invalid state
        if x2apicMode && newEN && !newX { return false }          // x2APIC -> xAPIC
        if !enabled && newX { return false }                      // disabled -> x2APIC
        let wasEnabled = enabled, wasX2 = x2apicMode
        s.base = (v & ~LocalAPIC.baseBSP) | (s.base & LocalAPIC.baseBSP)
        if wasEnabled && !newEN {
            // Globally disabled: the APIC is off and "prior initialization may be lost, the APIC
            // may return to the power-up state" (SDM 10.4.3); 10.12.5.1 says no register state
            // but the x2APIC ID survives x2APIC -> disabled -> xAPIC. We reset to power-up
            // values (ID = initial ID) here, so nothing fires while disabled. CR8 keeps working.
            resetRegisters(keepID: false)
        } else if !wasX2 && newX {
            // xAPIC -> x2APIC: the x2APIC ID is the initial ID (read-only) and the logical ID is
            // initialized by hardware (SDM 10.12.5.1, 10.12.10.2); other registers keep values.
            s.ldr = x2apicLDR
        }
        signalCPU()     // INTR routing may have changed (8259 passthrough while disabled)
        return true
    }

    /// Power-on/RESET (SDM 10.4.7.1, Table 10-1 via 10.12.5.1): xAPIC mode at FEE00000h,
    /// ID = initial ID, all LVTs masked, SVR = FFh. As QEMU (apic_reset_common), the BSP's
    /// LVT LINT0 is ExtINT unmasked (virtual-wire mode a BIOS would set up) so the 8259 reaches
    /// the BSP without guest APIC programming.
    public func reset() {
        s.base = LocalAPIC.defaultBase | LocalAPIC.baseEN | (isBSP ? LocalAPIC.baseBSP : 0)
        resetRegisters(keepID: false)
        if isBSP { s.lvt[LocalAPIC.lvtLINT0] = 0x700 }
        signalCPU()
    }

    /// INIT (SDM 10.4.7.3; 10.12.5.1 for x2APIC): IA32_APIC_BASE (mode, base) and the APIC ID
    /// are kept, everything else returns to its power-up value. The machine calls this when
    /// the CPU actually takes the INIT it was told about through `onINIT`.
    public func initReset() {
        resetRegisters(keepID: true)
        signalCPU()
    }

    func resetRegisters(keepID: Bool) {
        timer.cancel()
        var n = State(base: s.base, xapicID: keepID ? s.xapicID : UInt8(truncatingIfNeeded: id))
        n.lintLevel = s.lintLevel           // the input pins keep their electrical level
        if x2apicMode { n.ldr = x2apicLDR }
        s = n
    }

    // MARK: - priorities (SDM 10.8.3)

    /// PPR (SDM 10.8.3.1): TPR if TPR[7:4] >= ISRV[7:4], else ISRV[7:4] with low bits 0.
    public var processorPriority: UInt8 {
        let isrv = s.isr.highest ?? 0
        return s.tpr >> 4 >= isrv >> 4 ? s.tpr : isrv & 0xF0
    }

    /// APR (SDM 10.8.3.1, "Arbitration Priority Register"), used for lowest-priority delivery.
    public var arbitrationPriority: UInt8 {
        let isrv = s.isr.highest ?? 0, irrv = s.irr.highest ?? 0
        if s.tpr >> 4 >= irrv >> 4 && s.tpr >> 4 > isrv >> 4 { return s.tpr }
        return max(s.tpr >> 4, isrv >> 4, irrv >> 4) << 4
    }

    /// CR8 = TPR[7:4]; writing CR8 clears TPR[3:0] (SDM 10.8.6.1). Works while disabled too.
    public var cr8: UInt64 {
        get { UInt64(s.tpr >> 4) }
        set { setTPR(UInt8(truncatingIfNeeded: newValue & 0xF) << 4) }
    }

    func setTPR(_ v: UInt8) { s.tpr = v; signalCPU() }

    /// The ExtINT source (8259) is routed to INTR: through an unmasked LVT LINT0 in ExtINT
    /// mode, or by an ExtINT message (I/O APIC). ExtINT bypasses priorities (SDM 10.5.1).
    var extINTRouted: Bool {
        if s.extINTRequested { return true }
        let e = s.lvt[LocalAPIC.lvtLINT0]
        return e & LocalAPIC.lvtMasked == 0 && (e >> 8) & 7 == 7
    }

    public var hasInterrupt: Bool {
        // Globally disabled: the 8259's INTR goes straight to the CPU (SDM 10.4.3; QEMU
        // apic_accept_pic_intr).
        if !enabled { return extINTPending() }
        if extINTRouted && extINTPending() { return true }
        guard softwareEnabled, let v = s.irr.highest else { return false }
        return v >> 4 > processorPriority >> 4
    }

    /// INTA. The highest IRR vector whose class is above PPR moves to ISR (SDM 10.8.4); if
    /// nothing is eligible any more (TPR raised, request gone) the spurious vector from SVR is
    /// returned without touching ISR (SDM 10.9).
    public func acknowledge() -> UInt8 {
        if !enabled { return extINTAcknowledge() }
        if extINTRouted && extINTPending() {
            s.extINTRequested = false
            return extINTAcknowledge()
        }
        if softwareEnabled, let v = s.irr.highest, v >> 4 > processorPriority >> 4 {
            s.irr.remove(v)
            s.isr.insert(v)
            return v
        }
        return UInt8(truncatingIfNeeded: s.svr)
    }

    /// EOI (SDM 10.8.5): clear the highest ISR bit; for a level-triggered vector (TMR set)
    /// broadcast the EOI to the I/O APICs unless SVR bit 12 suppresses it, and clear the remote
    /// IRR of a level-triggered LINT entry with that vector.
    func eoi() {
        guard let v = s.isr.highest else { return }
        s.isr.remove(v)
        if s.tmr.contains(v) {
            for pin in 0...1 {
                let i = LocalAPIC.lvtLINT0 + pin
                guard s.lvt[i] & LocalAPIC.lvtRemoteIRR != 0, UInt8(truncatingIfNeeded: s.lvt[i]) == v else { continue }
                s.lvt[i] &= ~LocalAPIC.lvtRemoteIRR
                evaluateLINT(pin, edge: false)      // a level still asserted is delivered again
            }
            if !(eoiBroadcastSuppression && s.svr & 0x1000 != 0) { onEOI(v) }
        }
        signalCPU()
    }

    // MARK: - errors (SDM 10.5.3)

    func raiseError(_ bit: UInt32) {
        s.esrPending |= bit
        let e = s.lvt[LocalAPIC.lvtError]
        guard e & LocalAPIC.lvtMasked == 0 else { return }
        let v = UInt8(truncatingIfNeeded: e)
        if v < 16 { s.esrPending |= LocalAPIC.esrReceiveIllegalVector; return }   // no recursion
        setIRR(v, levelTriggered: false)
    }

    /// "Write then read": a write latches the errors found since the previous write.
    func writeESR() { s.esr = s.esrPending; s.esrPending = 0 }

    /// A fixed interrupt reaches the IRR (vectors 0-15 are illegal, SDM 10.5.2).
    func setIRR(_ v: UInt8, levelTriggered: Bool) {
        if v < 16 { raiseError(LocalAPIC.esrReceiveIllegalVector); return }
        s.irr.insert(v)
        if levelTriggered { s.tmr.insert(v) } else { s.tmr.remove(v) }
        signalCPU()
    }

    /// Deliver LVT entry `i` (SDM 10.5.1): masked entries deliver nothing.
    func deliverLVT(_ i: Int) {
        let e = s.lvt[i]
        guard e & LocalAPIC.lvtMasked == 0 else { return }
        switch (e >> 8) & 7 {
        case 0:
            let level = (i == LocalAPIC.lvtLINT0 || i == LocalAPIC.lvtLINT1) && e & LocalAPIC.lvtLevel != 0
            setIRR(UInt8(truncatingIfNeeded: e), levelTriggered: level)
        case 4: onNMI()
        case 5: onINIT()
        case 7: signalCPU()
        case 2: DeviceLog.warnOnce("lapic", "LVT SMI delivery not implemented (no SMM)")
        default: DeviceLog.warnOnce("lapic", "LVT entry \(i) with reserved delivery mode \((e >> 8) & 7)")
        }
    }

    // MARK: - LINT0 / LINT1

    /// Input level of LINT0 (pin 0) or LINT1 (pin 1). While the APIC is globally disabled the
    /// pins are INTR and NMI of the CPU (SDM 10.4.3).
    public func setLINT(_ pin: Int, _ level: Bool) {
        guard pin == 0 || pin == 1 else { return }
        let old = s.lintLevel[pin]
        s.lintLevel[pin] = level
        guard enabled else {
            if pin == 0 { signalCPU() } else if level && !old { onNMI() }
            return
        }
        let e = s.lvt[LocalAPIC.lvtLINT0 + pin]
        let low = e & LocalAPIC.lvtActiveLow != 0
        let wasActive = old != low
        evaluateLINT(pin, edge: !wasActive)
    }

    /// Deliver the LINT entry if its input is active: edge-triggered entries (and NMI, INIT,
    /// SMI, which are always edge, SDM 10.5.1) on a rising edge, level-triggered fixed entries
    /// while active and not already in service (remote IRR). ExtINT is level-sensitive and is
    /// read through `extINTPending` when the CPU looks.
    func evaluateLINT(_ pin: Int, edge: Bool) {
        let i = LocalAPIC.lvtLINT0 + pin
        let e = s.lvt[i]
        let active = s.lintLevel[pin] != (e & LocalAPIC.lvtActiveLow != 0)
        let mode = (e >> 8) & 7
        if mode == 7 { signalCPU(); return }
        guard e & LocalAPIC.lvtMasked == 0 else { return }
        if mode == 0 && e & LocalAPIC.lvtLevel != 0 {
            if active && e & LocalAPIC.lvtRemoteIRR == 0 {
                s.lvt[i] |= LocalAPIC.lvtRemoteIRR
                deliverLVT(i)
            } else if !active && e & LocalAPIC.lvtRemoteIRR != 0 && !s.isr.contains(UInt8(truncatingIfNeeded: e)) {
                // De-asserted before INTA: the request goes away (QEMU apic_deliver_pic_intr).
                s.irr.remove(UInt8(truncatingIfNeeded: e))
                s.lvt[i] &= ~LocalAPIC.lvtRemoteIRR
            }
        } else if active && edge {
            deliverLVT(i)
        }
    }

    // MARK: - APIC bus side

    /// Does this APIC accept a message with this destination (SDM 10.6.2)? A globally disabled
    /// APIC accepts nothing. Broadcast (FFh xAPIC, FFFFFFFFh x2APIC) matches in both
    /// destination modes (as KVM). xAPIC logical: flat model = any common bit of the 8-bit
    /// LDR; cluster model = same cluster (high nibble) and a common bit in the low nibble
    /// (SDM 10.6.2.2). x2APIC logical: same cluster (bits 31:16) and a common bit in 15:0
    /// (SDM 10.12.10.2). xAPIC receivers compare the low 8 bits of the destination.
    public func matches(_ m: APICMessage) -> Bool {
        guard enabled else { return false }
        let d = m.destination
        if x2apicMode {
            if d == 0xFFFF_FFFF { return true }
            if !m.logical { return d == id }
            return d >> 16 == s.ldr >> 16 && d & s.ldr & 0xFFFF != 0
        }
        let d8 = UInt8(truncatingIfNeeded: d)
        if d8 == 0xFF { return true }
        if !m.logical { return d8 == s.xapicID }
        let l = UInt8(truncatingIfNeeded: s.ldr >> 24)
        switch s.dfr >> 28 {
        case 0xF: return d8 & l != 0
        case 0x0: return d8 >> 4 == l >> 4 && d8 & l & 0xF != 0
        default:
            DeviceLog.warnOnce("lapic", "DFR model \(s.dfr >> 28) is reserved; logical messages not accepted")
            return false
        }
    }

    /// A message for this APIC (the bus has done destination matching and arbitration).
    /// While software-disabled (SVR bit 8 clear) fixed and lowest-priority messages are
    /// dropped; NMI, INIT, SIPI still work (SDM 10.4.7.2).
    public func accept(_ m: APICMessage) {
        guard enabled else { return }
        switch m.mode {
        case .fixed, .lowestPriority:
            guard softwareEnabled else { return }
            setIRR(m.vector, levelTriggered: m.levelTriggered)
        case .nmi: onNMI()
        case .initialize:
            if m.levelTriggered && !m.level { return }   // INIT level de-assert: no effect
            onINIT()
        case .startup: onSIPI(m.vector)
        case .extINT:
            s.extINTRequested = true
            signalCPU()
        case .smi: DeviceLog.warnOnce("lapic", "SMI message not implemented (no SMM)")
        case .remoteRead: DeviceLog.warnOnce("lapic", "remote read message not implemented")
        }
    }

    /// Send the message in ICR (SDM 10.6.1). Vectors 0-15 in fixed / lowest-priority mode set
    /// "send illegal vector" and nothing is sent. Modes 011b (remote read) and 111b are
    /// reserved for IPIs on current processors.
    func sendICR() {
        let lo = s.icrLow
        let vector = UInt8(truncatingIfNeeded: lo)
        let mode: APICMessage.DeliveryMode
        switch (lo >> 8) & 7 {
        case 0: mode = .fixed
        case 1: mode = .lowestPriority
        case 2: mode = .smi
        case 4: mode = .nmi
        case 5: mode = .initialize
        case 6: mode = .startup
        default:
            DeviceLog.warnOnce("lapic", "ICR delivery mode \((lo >> 8) & 7) is reserved; IPI not sent")
            return
        }
        if (mode == .fixed || mode == .lowestPriority) && vector < 16 {
            raiseError(LocalAPIC.esrSendIllegalVector)
            return
        }
        let dest = x2apicMode ? s.icrHigh : s.icrHigh >> 24
        sendMessage(APICMessage(vector: vector, mode: mode, destination: dest, logical: lo & 0x800 != 0,
                                level: lo & 0x4000 != 0, levelTriggered: lo & 0x8000 != 0,
                                shorthand: APICMessage.Shorthand(rawValue: UInt8((lo >> 18) & 3))!,
                                source: id))
    }

    func selfIPI(_ vector: UInt8) {
        if vector < 16 { raiseError(LocalAPIC.esrSendIllegalVector); return }
        sendMessage(APICMessage(vector: vector, mode: .fixed, destination: id, logical: false,
                                shorthand: .selfOnly, source: id))
    }

    // MARK: - registers shared by xAPIC and x2APIC (index = offset >> 4 = MSR - 800h)

    func writeSVR(_ v: UInt32) {
        s.svr = v & (0x3FF | (eoiBroadcastSuppression ? 0x1000 : 0))
        if !softwareEnabled {
            // Software disable sets every LVT mask bit (SDM 10.4.7.2).
            for i in 0..<6 { s.lvt[i] |= LocalAPIC.lvtMasked }
            rearmTimer()
        }
        signalCPU()
    }

    func writeLVT(_ i: Int, _ v: UInt32) {
        var n = v & LocalAPIC.lvtWritable[i]
        if !softwareEnabled { n |= LocalAPIC.lvtMasked }   // masks cannot be cleared (10.4.7.2)
        if i == LocalAPIC.lvtTimer {
            let now = clock.now
            catchUp(now)
            let oldDeadline = timerMode == .tscDeadline
            s.lvt[i] = n
            if timerMode == .reserved {
                DeviceLog.warnOnce("lapic", "LVT timer mode 11b is reserved; treated as one-shot")
            }
            if oldDeadline != (timerMode == .tscDeadline) {
                // Switching to or from TSC-deadline mode disarms the timer (SDM 10.5.4.1);
                // the initial count is cleared too, as KVM does.
                s.initialCount = 0; s.timerRunning = false
                s.tscDeadline = 0; s.tscDeadlineAt = 0
            }
            rearmTimer()
        } else {
            if i == LocalAPIC.lvtLINT0 || i == LocalAPIC.lvtLINT1 {
                n |= s.lvt[i] & LocalAPIC.lvtRemoteIRR
                if n & LocalAPIC.lvtLevel == 0 { n &= ~LocalAPIC.lvtRemoteIRR }
                s.lvt[i] = n
                evaluateLINT(i - LocalAPIC.lvtLINT0, edge: false)
                signalCPU()
            } else {
                s.lvt[i] = n
            }
        }
    }

    // MARK: - timer (SDM 10.5.4)

    var timerMode: TimerMode { TimerMode(rawValue: (s.lvt[LocalAPIC.lvtTimer] >> 17) & 3)! }

    /// Bus ticks (1 ns) per count: divide configuration bits 3, 1:0 (SDM 10.5.4, Figure 10-10).
    var tickNs: UInt64 {
        let d = s.divideConfig
        let v = (d & 3) | ((d >> 1) & 4)
        return 1 << UInt64((v + 1) & 7)
    }

    /// Bring the one-shot/periodic reference up to `now`: a periodic timer that passed zero
    /// reloads (reference = last reload), a one-shot timer that reached zero stops.
    func catchUp(_ now: UInt64) {
        guard s.timerRunning, timerMode != .tscDeadline, now >= s.timerRef else { return }
        let div = tickNs
        let k = (now - s.timerRef) / div
        guard k >= UInt64(s.timerRefCount) else { return }
        if timerMode == .periodic && s.initialCount != 0 {
            let ic = UInt64(s.initialCount)
            let n = (k - UInt64(s.timerRefCount)) / ic
            s.timerRef += (UInt64(s.timerRefCount) + n * ic) * div
            s.timerRefCount = s.initialCount
        } else {
            s.timerRunning = false
        }
    }

    /// Current-count register: 0 when stopped and always in TSC-deadline mode.
    func currentCount() -> UInt32 {
        let now = clock.now
        catchUp(now)
        guard s.timerRunning, timerMode != .tscDeadline else { return 0 }
        let k = (now - s.timerRef) / tickNs
        return s.timerRefCount - UInt32(k)
    }

    /// Arm the device timer for the next interrupt the timer would deliver, or cancel it.
    /// One-shot/periodic: only while the LVT entry is unmasked (the count itself needs no
    /// timer). TSC-deadline: while armed, masked or not (expiry clears the MSR either way).
    func rearmTimer() {
        let now = clock.now
        if timerMode == .tscDeadline {
            if s.tscDeadline != 0 { timer.schedule(at: max(s.tscDeadlineAt, now)) } else { timer.cancel() }
            return
        }
        catchUp(now)
        guard s.timerRunning, s.lvt[LocalAPIC.lvtTimer] & LocalAPIC.lvtMasked == 0 else { timer.cancel(); return }
        var at = s.timerRef + UInt64(s.timerRefCount) * tickNs
        if timerMode == .periodic && UInt64(s.initialCount) * tickNs < LocalAPIC.minPeriodicInterruptNs {
            at = max(at, now + LocalAPIC.minPeriodicInterruptNs)
        }
        timer.schedule(at: at)
    }

    func timerFired() {
        if timerMode == .tscDeadline {
            guard s.tscDeadline != 0 else { return }
            let t = tsc()
            if t < s.tscDeadline {          // rounding or a TSC offset: not there yet
                s.tscDeadlineAt = clock.now + max(1, tscToNs(s.tscDeadline - t))
                timer.schedule(at: s.tscDeadlineAt)
                return
            }
            s.tscDeadline = 0; s.tscDeadlineAt = 0
            deliverLVT(LocalAPIC.lvtTimer)
            return
        }
        catchUp(clock.now)
        deliverLVT(LocalAPIC.lvtTimer)
        rearmTimer()
    }

    func writeInitialCount(_ v: UInt32) {
        guard timerMode != .tscDeadline else { return }   // ignored in TSC-deadline mode
        s.initialCount = v
        s.timerRef = clock.now
        s.timerRefCount = v
        s.timerRunning = v != 0
        rearmTimer()
    }

    /// A new divider applies from now on; the count continues from its current value.
    func writeDivideConfig(_ v: UInt32) {
        let c = currentCount()
        s.divideConfig = v & 0xB
        if s.timerRunning { s.timerRef = clock.now; s.timerRefCount = c }
        rearmTimer()
    }

    /// ceil(ticks * 1e9 / tscHz), saturating.
    func tscToNs(_ ticks: UInt64) -> UInt64 {
        let p = ticks.multipliedFullWidth(by: 1_000_000_000)
        guard p.high < tscHz else { return UInt64.max / 2 }
        let (q, r) = tscHz.dividingFullWidth((p.high, p.low))
        return r == 0 ? q : q + 1
    }

    /// IA32_TSC_DEADLINE reads 0 and ignores writes unless the LVT timer is in TSC-deadline
    /// mode (SDM 10.5.4.1).
    public func readTSCDeadline() -> UInt64 {
        enabled && timerMode == .tscDeadline ? s.tscDeadline : 0
    }

    /// Arm (nonzero) or disarm (0) the TSC-deadline timer. A deadline already reached fires at
    /// once, during the WRMSR, so the interrupt is taken at the next instruction boundary.
    public func writeTSCDeadline(_ v: UInt64, tscNow: UInt64) {
        guard enabled, timerMode == .tscDeadline else { return }
        s.tscDeadline = v
        if v == 0 { s.tscDeadlineAt = 0; timer.cancel(); return }
        if v <= tscNow {
            s.tscDeadline = 0; s.tscDeadlineAt = 0
            timer.cancel()
            deliverLVT(LocalAPIC.lvtTimer)
            return
        }
        s.tscDeadlineAt = clock.now + tscToNs(v - tscNow)
        timer.schedule(at: s.tscDeadlineAt)
    }

    // MARK: - xAPIC MMIO (SDM 10.4.1, Table 10-1)

    /// Registers are 32 bits at 16-byte aligned offsets. Reads of 1, 2, 4 (or 8) bytes inside
    /// the first 4 bytes of a register return those bytes (as KVM); bytes 4-15 read 0.
    public func read(offset: UInt64, size: Int) -> UInt64 {
        guard mmioActive else { return size >= 8 ? UInt64.max : (UInt64(1) << UInt64(8 * size)) - 1 }
        let byte = offset & 0xF
        guard byte < 4 else { return 0 }
        let v = UInt64(readRegister(Int((offset >> 4) & 0xFF), offset: offset)) >> (8 * byte)
        return size >= 8 ? v : v & ((UInt64(1) << UInt64(8 * size)) - 1)
    }

    /// Only 32-bit (and 64-bit, low half) writes at the start of a register take effect
    /// (SDM 10.4.1: "must be accessed using 128-bit aligned 32-bit loads or stores").
    public func write(offset: UInt64, size: Int, value: UInt64) {
        guard mmioActive else { return }
        guard offset & 0xF == 0, size >= 4 else {
            DeviceLog.warnOnce("lapic", "ignored \(size)-byte write at APIC offset \(String(offset, radix: 16))")
            return
        }
        writeRegister(Int((offset >> 4) & 0xFF), UInt32(truncatingIfNeeded: value), offset: offset)
    }

    func readRegister(_ index: Int, offset: UInt64) -> UInt32 {
        if offset >= 0x400 { raiseError(LocalAPIC.esrIllegalRegister); return 0 }
        switch index {
        case 0x02: return UInt32(s.xapicID) << 24
        case 0x03: return version
        case 0x08: return UInt32(s.tpr)
        case 0x09: return UInt32(arbitrationPriority)
        case 0x0A: return UInt32(processorPriority)
        case 0x0B: return 0                         // EOI: write-only
        case 0x0C: return 0                         // remote read: never valid
        case 0x0D: return s.ldr & 0xFF00_0000
        case 0x0E: return s.dfr | 0x0FFF_FFFF
        case 0x0F: return s.svr
        case 0x10...0x17: return s.isr.register(index - 0x10)
        case 0x18...0x1F: return s.tmr.register(index - 0x18)
        case 0x20...0x27: return s.irr.register(index - 0x20)
        case 0x28: return s.esr
        case 0x30: return s.icrLow
        case 0x31: return s.icrHigh
        case 0x32...0x37: return s.lvt[index - 0x32]
        case 0x38: return s.initialCount
        case 0x39: return currentCount()
        case 0x3E: return s.divideConfig
        default:
            raiseError(LocalAPIC.esrIllegalRegister)
            return 0
        }
    }

    func writeRegister(_ index: Int, _ v: UInt32, offset: UInt64) {
        if offset >= 0x400 { raiseError(LocalAPIC.esrIllegalRegister); return }
        switch index {
        case 0x02: s.xapicID = UInt8(v >> 24)
        case 0x08: setTPR(UInt8(truncatingIfNeeded: v))
        case 0x0B: eoi()
        case 0x0D: s.ldr = v & 0xFF00_0000
        case 0x0E: s.dfr = v | 0x0FFF_FFFF
        case 0x0F: writeSVR(v)
        case 0x28: writeESR()
        case 0x30: s.icrLow = v & LocalAPIC.icrWritable; sendICR()
        case 0x31: s.icrHigh = v & 0xFF00_0000
        case 0x32...0x37: writeLVT(index - 0x32, v)
        case 0x38: writeInitialCount(v)
        case 0x3E: writeDivideConfig(v)
        case 0x03, 0x09, 0x0A, 0x0C, 0x10...0x27, 0x39: break    // read-only: writes ignored
        default: raiseError(LocalAPIC.esrIllegalRegister)
        }
    }

    // MARK: - x2APIC MSRs (SDM 10.12.1.2, Table 10-6)

    /// RDMSR 800h-8FFh. nil (#GP) outside x2APIC mode, for unimplemented or write-only
    /// registers (EOI, SELF IPI), and for those x2APIC dropped (APR, RRD, DFR, ICR high, CMCI).
    public func readMSR(_ msr: UInt32) -> UInt64? {
        guard x2apicMode, msr >= 0x800, msr <= 0x8FF else { return nil }
        let index = Int(msr - 0x800)
        switch index {
        case 0x02: return UInt64(id)
        case 0x03: return UInt64(version)
        case 0x08: return UInt64(s.tpr)
        case 0x0A: return UInt64(processorPriority)
        case 0x0D: return UInt64(s.ldr)
        case 0x0F: return UInt64(s.svr)
        case 0x10...0x17: return UInt64(s.isr.register(index - 0x10))
        case 0x18...0x1F: return UInt64(s.tmr.register(index - 0x18))
        case 0x20...0x27: return UInt64(s.irr.register(index - 0x20))
        case 0x28: return UInt64(s.esr)
        case 0x30: return UInt64(s.icrHigh) << 32 | UInt64(s.icrLow)
        case 0x32...0x37: return UInt64(s.lvt[index - 0x32])
        case 0x38: return UInt64(s.initialCount)
        case 0x39: return UInt64(currentCount())
        case 0x3E: return UInt64(s.divideConfig)
        default: return nil
        }
    }

    /// WRMSR 800h-8FFh. false (#GP) outside x2APIC mode, for read-only or absent registers,
    /// bits 63:32 set (all registers but ICR), a nonzero EOI or ESR write, SELF IPI bits
    /// 31:8 set. Other reserved bits inside the low 32 are ignored (as KVM) rather than #GP.
    public func writeMSR(_ msr: UInt32, _ v: UInt64) -> Bool {
        guard x2apicMode, msr >= 0x800, msr <= 0x8FF else { return false }
        let index = Int(msr - 0x800)
        if index != 0x30 && v >> 32 != 0 { return false }
        let lo = UInt32(truncatingIfNeeded: v)
        switch index {
        case 0x08: setTPR(UInt8(truncatingIfNeeded: lo))
        case 0x0B:
            guard lo == 0 else { return false }
            eoi()
        case 0x0F: writeSVR(lo)
        case 0x28:
            guard lo == 0 else { return false }
            writeESR()
        case 0x30:
            s.icrLow = lo & LocalAPIC.icrWritable
            s.icrHigh = UInt32(truncatingIfNeeded: v >> 32)
            sendICR()
        case 0x32...0x37: writeLVT(index - 0x32, lo)
        case 0x38: writeInitialCount(lo)
        case 0x3E: writeDivideConfig(lo)
        case 0x3F:
            guard lo & ~0xFF == 0 else { return false }
            selfIPI(UInt8(lo))
        default: return false
        }
        return true
    }
}
