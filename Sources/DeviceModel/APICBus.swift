/// The system bus between local APICs, I/O APICs and MSI writers (Intel SDM Vol. 3A 10.6
/// "Issuing Interprocessor Interrupts", 10.11 "Message Signalled Interrupts"): a message goes
/// to every local APIC its shorthand or destination selects; lowest-priority messages go to
/// exactly one of them.
///
/// The machine adds every CPU's APIC with `add(_:)` (which points the APIC's `sendMessage`
/// here); I/O APICs and MSI writes call `send` directly (source 0, shorthand none).
public final class APICBus {
    public var apics: [LocalAPIC] = []

    public init() {}

    /// Attach an APIC: it joins `apics` and its ICR / SELF IPI messages come here.
    public func add(_ apic: LocalAPIC) {
        apics.append(apic)
        apic.sendMessage = { [weak self] m in self?.send(m) }
    }

    /// Deliver a message. Shorthands (SDM 10.6.1, ICR bits 19:18) pick the sender (by its
    /// initial APIC ID in `m.source`), everyone, or everyone but the sender, ignoring the
    /// destination field; otherwise each APIC's `matches` decides. A globally disabled APIC
    /// receives nothing. INIT level de-assert (level 0, level-triggered) has no effect on
    /// current processors (SDM 10.6.1, "INIT Level De-assert") and is dropped here.
    public func send(_ m: APICMessage) {
        if m.mode == .initialize && m.levelTriggered && !m.level { return }
        if m.mode == .lowestPriority {
            if let t = lowestPriorityTarget(m) { t.accept(m) }
            return
        }
        for a in apics where selected(a, m) { a.accept(m) }
    }

    func selected(_ a: LocalAPIC, _ m: APICMessage) -> Bool {
        switch m.shorthand {
        case .none: return a.matches(m)
        case .selfOnly: return a.id == m.source && a.enabled
        case .allIncludingSelf: return a.enabled
        case .allExcludingSelf: return a.id != m.source && a.enabled
        }
    }

    /// Lowest-priority arbitration (SDM 10.6.2.4): among the selected APICs that are software
    /// enabled, the one with the lowest arbitration priority (APR); ties go to the lowest APIC
    /// ID, so the choice is deterministic. Focus-processor checks (P6 only) are not modelled.
    func lowestPriorityTarget(_ m: APICMessage) -> LocalAPIC? {
        var best: LocalAPIC? = nil
        var bestAPR: UInt8 = 0
        for a in apics where selected(a, m) && a.softwareEnabled {
            let p = a.arbitrationPriority
            if best == nil || p < bestAPR || (p == bestAPR && a.id < best!.id) { best = a; bestAPR = p }
        }
        return best
    }

    /// The message an MSI write (to FEExxxxxh) carries (SDM 10.11.1, 10.11.2): address bits
    /// 19:12 destination ID, bit 2 destination mode; data bits 7:0 vector, 10:8 delivery mode,
    /// 14 level, 15 trigger mode. The redirection hint (address bit 3) is ignored, as in QEMU.
    public static func msiMessage(address: UInt64, data: UInt32) -> APICMessage {
        let mode = APICMessage.DeliveryMode(rawValue: UInt8((data >> 8) & 7))!
        return APICMessage(vector: UInt8(truncatingIfNeeded: data), mode: mode,
                           destination: UInt32((address >> 12) & 0xFF), logical: address & 4 != 0,
                           level: data & 0x4000 != 0, levelTriggered: data & 0x8000 != 0)
    }
}
