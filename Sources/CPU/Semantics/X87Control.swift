// x87 control instructions (SDM Vol. 1, chapter 8; Vol. 2 FINIT/FNINIT, FCLEX, FSTSW, FSTCW,
// FLDCW, WAIT): the control and status words. WAIT/FWAIT delivers a pending unmasked
// exception (#MF, or FERR# with CR0.NE = 0); the other instructions here do not wait.
extension CPU {
    func x87Control(_ i: I) throws(Fault) {
        let cr0 = s.pointee.cr0
        if i.pointee.h == .fwait {
            // WAIT: #NM when CR0.MP and CR0.TS are both set (SDM Vol. 3, 2.5, Table 2-2).
            if cr0 & CR0.mp != 0 && cr0 & CR0.ts != 0 { throw Fault.nm }
            if s.pointee.fsw & 0x80 != 0 { try x87PendingException() }
            return
        }
        // Every x87 instruction: #NM when CR0.EM or CR0.TS is set.
        if cr0 & (CR0.em | CR0.ts) != 0 { throw Fault.nm }
        switch i.pointee.h {
        case .fninit:
            s.pointee.fcw = 0x037F; s.pointee.fsw = 0; s.pointee.ftw = 0xFFFF
            s.pointee.fop = 0; s.pointee.fip = 0; s.pointee.fdp = 0; s.pointee.fcs = 0; s.pointee.fds = 0
        case .fnclex:
            s.pointee.fsw &= 0x7F00      // clear PE..IE, SF, ES and B
        case .fnstsw:
            if i.pointee.isMem { try writeMem(seg(i), ea(i), 2, UInt64(s.pointee.fsw)) }
            else { setReg(0, 2, UInt64(s.pointee.fsw)) }
        case .fnstcw:
            try writeMem(seg(i), ea(i), 2, UInt64(s.pointee.fcw))
        default:  // .fldcw
            s.pointee.fcw = UInt16(try readMem(seg(i), ea(i), 2)) | 0x0040   // bit 6 reads as 1
        }
    }
}
