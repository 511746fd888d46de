// Shifts and rotates (SDM Vol. 2: SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD, SHRD).
// Counts are masked to 5 bits (6 with a 64-bit operand); a masked count of 0 changes nothing.
// OF is architecturally defined only for 1-bit shifts; for larger counts swemu computes it
// with the 1-bit formula, as Intel Core CPUs do for SHL/SHR/SAR.

extension CPU {
    /// Returns nil when the count masks to zero (no change at all).
    func shiftValue(_ op: UInt8, _ n: Int, _ a: UInt64, _ rawCount: UInt64) -> (UInt64, UInt64)? {
        let bits = n * 8
        let count = Int(rawCount & (n == 8 ? 63 : 31))
        if count == 0 { return nil }
        let m = mask(n), msb = UInt64(1) << UInt64(bits - 1)
        // Rotates keep SF/ZF/AF/PF, so only they need the current flags materialised.
        var f: UInt64 = op < 4 ? arithFlags : 0
        let oldCF: UInt64 = op < 4 ? (f & FL.cf != 0 ? 1 : 0) : 0
        var r: UInt64
        switch op {
        case 0: // ROL
            let c = count % bits
            r = c == 0 ? a : ((a << UInt64(c)) | (a >> UInt64(bits - c))) & m
            let cfb = r & 1
            f = (f & ~(FL.cf | FL.of)) | (cfb != 0 ? FL.cf : 0) | (((r & msb != 0 ? 1 : 0) ^ cfb) != 0 ? FL.of : 0)
            return (r, f)
        case 1: // ROR
            let c = count % bits
            r = c == 0 ? a : ((a >> UInt64(c)) | (a << UInt64(bits - c))) & m
            let top = r & msb != 0, next = r & (msb >> 1) != 0
            f = (f & ~(FL.cf | FL.of)) | (top ? FL.cf : 0) | (top != next ? FL.of : 0)
            return (r, f)
        case 2, 3: // RCL, RCR: rotate through CF over bits+1 positions
            let c = n < 4 ? count % (bits + 1) : count
            var v = a, carry = oldCF != 0
            if op == 2 {
                for _ in 0..<c { let out = v & msb != 0; v = ((v << 1) | (carry ? 1 : 0)) & m; carry = out }
                let ofv = (v & msb != 0) != carry
                f = (f & ~(FL.cf | FL.of)) | (carry ? FL.cf : 0) | (ofv ? FL.of : 0)
            } else {
                let ofv = (a & msb != 0) != carry
                for _ in 0..<c { let out = v & 1 != 0; v = (v >> 1) | (carry ? msb : 0); carry = out }
                f = (f & ~(FL.cf | FL.of)) | (carry ? FL.cf : 0) | (ofv ? FL.of : 0)
            }
            return (v, f)
        case 4, 6: // SHL/SAL
            let wide = count >= 64 ? 0 : a << UInt64(count)
            r = wide & m
            let cfb = count <= bits ? (a >> UInt64(bits - count)) & 1 : 0
            f = flagsSZP(r, n) | (cfb != 0 ? FL.cf : 0) | (((r & msb != 0 ? 1 : 0) ^ cfb) != 0 ? FL.of : 0)
            return (r, f)
        case 5: // SHR
            r = count >= bits ? 0 : a >> UInt64(count)
            let cfb = count <= bits ? (a >> UInt64(count - 1)) & 1 : 0
            f = flagsSZP(r, n) | (cfb != 0 ? FL.cf : 0) | (a & msb != 0 ? FL.of : 0)
            return (r, f)
        default: // SAR
            let sa = sx(a, n)
            let c = min(count, 63)
            r = UInt64(bitPattern: sa >> Int64(c)) & m
            let cfb = UInt64(bitPattern: sa >> Int64(min(c - 1, 63))) & 1
            f = flagsSZP(r, n) | (cfb != 0 ? FL.cf : 0)
            return (r, f)
        }
    }

    @inline(__always) func shiftE(_ i: I, _ count: UInt64) throws(Fault) {
        let n = osz(i), op = i.pointee.aux
        if i.pointee.isMem {
            let off = ea(i), sg = seg(i)
            let a = try readRMW(sg, off, n)
            guard let (r, f) = shiftValue(op, n, a, count) else { return }
            try writeMem(sg, off, n, r)
            setArithFlags(f)
        } else {
            // A 32-bit destination is written (zero-extended) even when the count masks to 0.
            guard let (r, f) = shiftValue(op, n, reg(i.pointee.rm, n), count) else {
                if n == 4 { setReg(i.pointee.rm, 4, reg(i.pointee.rm, 4)) }
                return
            }
            setReg(i.pointee.rm, n, r); setArithFlags(f)
        }
    }
    func shiftEI(_ i: I) throws(Fault) { try shiftE(i, i.pointee.imm) }
    func shiftECL(_ i: I) throws(Fault) { try shiftE(i, gpr[1] & 0xFF) }

    /// SHLD/SHRD. For 16-bit operands with counts above 16 the result is undefined; swemu
    /// shifts through the 32-bit concatenation dest:src:dest as Intel CPUs do.
    func doubleShift(_ i: I, _ rawCount: UInt64, left: Bool) throws(Fault) {
        let n = osz(i), bits = n * 8
        let count = Int(rawCount & (n == 8 ? 63 : 31))
        if count == 0 {
            if n == 4 && !i.pointee.isMem { setReg(i.pointee.rm, 4, reg(i.pointee.rm, 4)) }
            return
        }
        let sg = seg(i), off = i.pointee.isMem ? ea(i) : 0
        let a = i.pointee.isMem ? try readRMW(sg, off, n) : reg(i.pointee.rm, n)
        let b = reg(i.pointee.reg, n), m = mask(n), msb = UInt64(1) << UInt64(bits - 1)
        var r: UInt64, cfb: UInt64
        if n == 2 {
            // 48-bit pattern a:b:a (left) or a:b:a for right as the hardware does.
            if left {
                // dest:src:dest shifted left; the result is the top 16 bits.
                let pat = (a << 32) | (b << 16) | a
                r = (pat >> UInt64(32 - count)) & 0xFFFF
                cfb = (pat >> UInt64(48 - count)) & 1
            } else {
                let pat = (a << 32) | (b << 16) | a
                r = (pat >> UInt64(count)) & 0xFFFF
                cfb = (pat >> UInt64(count - 1)) & 1
            }
        } else if left {
            r = ((a << UInt64(count)) | (b >> UInt64(bits - count))) & m
            cfb = (a >> UInt64(bits - count)) & 1
        } else {
            r = ((a >> UInt64(count)) | (b << UInt64(bits - count))) & m
            cfb = (a >> UInt64(count - 1)) & 1
        }
        if i.pointee.isMem { try writeMem(sg, off, n, r) } else { setReg(i.pointee.rm, n, r) }
        let ofv = (r & msb != 0) != (a & msb != 0)
        setArithFlags(flagsSZP(r, n) | (cfb != 0 ? FL.cf : 0) | (ofv ? FL.of : 0))
    }
}
