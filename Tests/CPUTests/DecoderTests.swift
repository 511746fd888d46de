import XCTest
@testable import CPU

/// Byte-by-byte decoder tests (shared/design.md: "decoder unit tests", blink's x86_test.c).
/// Encodings are the SDM's (Vol. 2, chapter 2 and the instruction pages); every byte string
/// here was cross-checked with objdump in the matching mode.
final class DecoderTests: XCTestCase {
    let N = Insn.none, RIP = Insn.ripRel
    let AH: UInt8 = 16, CH: UInt8 = 17, DH: UInt8 = 18, BH: UInt8 = 19
    let ES = UInt8(Seg.es), CS = UInt8(Seg.cs), SS = UInt8(Seg.ss), DS = UInt8(Seg.ds), FS = UInt8(Seg.fs), GS = UInt8(Seg.gs)

    func bytes(_ hex: String) -> [UInt8] { hex.split(separator: " ").map { UInt8($0, radix: 16)! } }

    func decode(_ mode: DecodeMode, _ b: [UInt8]) throws(Fault) -> Insn {
        let dec = Decoder(mode: mode, features: CPUModel.difftest.features)
        return try b.withUnsafeBufferPointer { (p) throws(Fault) -> Insn in
            var src = BufferSource(p)
            return try dec.decode(&src)
        }
    }

    /// Decode `hex` in `mode` and compare the fields given (nil = not checked). Displacements
    /// under 16-bit addressing are compared modulo 2^16 (the address wraps there).
    func check(_ mode: DecodeMode, _ hex: String, len: Int? = nil, _ h: H,
               osz: UInt8? = nil, asz: UInt8? = nil, reg: UInt8? = nil, rm: UInt8? = nil,
               mem: Bool? = nil, base: UInt8? = nil, index: UInt8? = nil, scale: UInt8? = nil,
               disp: Int32? = nil, seg: UInt8? = nil, imm: UInt64? = nil, imm2: UInt64? = nil,
               aux: UInt8? = nil, pfx: UInt8? = nil, noPfx: UInt8? = nil, vreg: UInt8? = nil,
               anyLength: Bool = false, file: StaticString = #filePath, line: UInt = #line) {
        let b = bytes(hex)
        let d: Insn
        do { d = try decode(mode, b) } catch {
            return XCTFail("\(mode) \(hex): threw \(error.name)", file: file, line: line)
        }
        let w = "\(mode) \(hex)"
        if !anyLength { XCTAssertEqual(Int(d.len), len ?? b.count, "\(w): length", file: file, line: line) }
        XCTAssertEqual(d.h, h, "\(w): handler", file: file, line: line)
        if let osz { XCTAssertEqual(d.osz, osz, "\(w): operand size", file: file, line: line) }
        if let asz { XCTAssertEqual(d.asz, asz, "\(w): address size", file: file, line: line) }
        if let reg { XCTAssertEqual(d.reg, reg, "\(w): reg", file: file, line: line) }
        if let rm { XCTAssertEqual(d.rm, rm, "\(w): rm", file: file, line: line) }
        if let mem { XCTAssertEqual(d.isMem, mem, "\(w): memory operand", file: file, line: line) }
        if let base { XCTAssertEqual(d.base, base, "\(w): base", file: file, line: line) }
        if let index { XCTAssertEqual(d.index, index, "\(w): index", file: file, line: line) }
        if let scale { XCTAssertEqual(d.scale, scale, "\(w): scale", file: file, line: line) }
        if let disp {
            if d.asz == 2 { XCTAssertEqual(UInt16(truncatingIfNeeded: d.disp), UInt16(truncatingIfNeeded: disp), "\(w): disp16", file: file, line: line) }
            else { XCTAssertEqual(d.disp, disp, "\(w): disp", file: file, line: line) }
        }
        if let seg { XCTAssertEqual(d.seg, seg, "\(w): segment", file: file, line: line) }
        if let imm { XCTAssertEqual(d.imm, imm, "\(w): imm 0x\(String(d.imm, radix: 16))", file: file, line: line) }
        if let imm2 { XCTAssertEqual(d.imm2, imm2, "\(w): imm2", file: file, line: line) }
        if let aux { XCTAssertEqual(d.aux, aux, "\(w): aux", file: file, line: line) }
        if let pfx { XCTAssertEqual(d.pfx & pfx, pfx, "\(w): prefix flags 0x\(String(d.pfx, radix: 16))", file: file, line: line) }
        if let noPfx { XCTAssertEqual(d.pfx & noPfx, 0, "\(w): prefix flags 0x\(String(d.pfx, radix: 16))", file: file, line: line) }
        if let vreg { XCTAssertEqual(d.vreg, vreg, "\(w): VEX.vvvv", file: file, line: line) }
    }

    func neg(_ v: Int64) -> UInt64 { UInt64(bitPattern: v) }

    // MARK: 32-bit protected mode

    func testMode32RegisterAndImmediateForms() {
        let m = DecodeMode.m32
        check(m, "01 D8", .aluEG, osz: 4, reg: 3, rm: 0, mem: false, aux: 0)               // add eax,ebx
        check(m, "29 D8", .aluEG, osz: 4, reg: 3, rm: 0, aux: 5)                            // sub eax,ebx
        check(m, "31 C0", .aluEG, reg: 0, rm: 0, aux: 6)                                    // xor eax,eax
        check(m, "88 E0", .movEG, osz: 1, reg: AH, rm: 0)                                   // mov al,ah
        check(m, "88 F3", .movEG, osz: 1, reg: DH, rm: 3)                                   // mov bl,dh
        check(m, "B8 78 56 34 12", .movEI, osz: 4, rm: 0, imm: 0x1234_5678)                 // mov eax,imm32
        check(m, "B4 12", .movEI, osz: 1, rm: AH, imm: 0x12)                                // mov ah,0x12
        check(m, "66 B8 34 12", .movEI, osz: 2, rm: 0, imm: 0x1234, pfx: Insn.opsizePrefix) // mov ax,0x1234
        check(m, "83 C0 FF", .aluEI, osz: 4, rm: 0, imm: neg(-1), aux: 0)                   // add eax,-1
        check(m, "81 E9 00 01 00 00", .aluEI, rm: 1, imm: 0x100, aux: 5)                    // sub ecx,0x100
        check(m, "3C 7F", .aluEI, osz: 1, imm: 0x7F, aux: 7)                                // cmp al,0x7f
        check(m, "0F B6 C3", .movzx, osz: 4, reg: 0, rm: 3)                                 // movzx eax,bl
        check(m, "0F B6 C7", .movzx, osz: 4, reg: 0, rm: BH)                                // movzx eax,bh
        check(m, "69 C0 10 27 00 00", .imulGEI, reg: 0, rm: 0, imm: 10000)                  // imul eax,eax,10000
        check(m, "6B C9 F6", .imulGEI, reg: 1, rm: 1, imm: neg(-10))                        // imul ecx,ecx,-10
        check(m, "D1 E0", .shiftEI, rm: 0, imm: 1, aux: 4)                                  // shl eax,1
        check(m, "C1 E8 04", .shiftEI, rm: 0, imm: 4, aux: 5)                               // shr eax,4
        check(m, "D3 F8", .shiftECL, rm: 0, aux: 7)                                         // sar eax,cl
        check(m, "40", .incE, osz: 4, rm: 0)                                                // inc eax
        check(m, "4F", .decE, osz: 4, rm: 7)                                                // dec edi
        check(m, "50", .push, osz: 4, rm: 0)                                                // push eax
        check(m, "5F", .pop, osz: 4, rm: 7)                                                 // pop edi
        check(m, "68 44 33 22 11", .pushI, osz: 4, imm: 0x1122_3344)                        // push imm32
        check(m, "6A FF", .pushI, osz: 4, imm: neg(-1))                                     // push -1
        check(m, "90", .nop)
        check(m, "F3 90", .pause)
        check(m, "87 D9", .xchgEG, reg: 3, rm: 1)                                           // xchg ecx,ebx
        check(m, "91", .xchgEG, rm: 1)                                                      // xchg ecx,eax
        check(m, "0F C8", .bswap, rm: 0)                                                    // bswap eax
        check(m, "0F 94 C0", .setcc, osz: 1, rm: 0, aux: 4)                                 // sete al
        check(m, "0F 4C C1", .cmov, reg: 0, rm: 1, aux: 0xC)                                // cmovl eax,ecx
        check(m, "63 C8", .arpl, reg: 1, rm: 0)                                             // arpl ax,cx
        check(m, "0F 20 C0", .movRC, osz: 4, reg: 0, rm: 0)                                 // mov eax,cr0
        check(m, "0F 22 E0", .movCR, reg: 4, rm: 0)                                         // mov cr4,eax
        check(m, "8E D8", .movSE, reg: 3, rm: 0)                                            // mov ds,eax
        check(m, "8C C8", .movES, reg: 1, rm: 0)                                            // mov eax,cs
    }

    func testMode32ControlTransfer() {
        let m = DecodeMode.m32
        check(m, "E8 00 00 00 00", .callRel, osz: 4, imm: 0)
        check(m, "E8 FB FF FF FF", .callRel, imm: neg(-5))
        check(m, "EB FE", .jmpRel, imm: neg(-2))
        check(m, "E9 00 01 00 00", .jmpRel, imm: 0x100)
        check(m, "74 10", .jcc, imm: 0x10, aux: 4)                                          // je
        check(m, "0F 8F 00 01 00 00", .jcc, imm: 0x100, aux: 0xF)                           // jg rel32
        check(m, "66 E9 FD FF", .jmpRel, osz: 2, imm: neg(-3))                              // jmp rel16
        check(m, "FF E0", .jmpE, rm: 0, mem: false)                                         // jmp eax
        check(m, "FF 15 00 20 40 00", .callE, mem: true, base: N, index: N, disp: 0x40_2000)// call [0x402000]
        check(m, "EA 78 56 34 12 08 00", .jmpFar, imm: 0x1234_5678, imm2: 8)                // jmp 0x8:0x12345678
        check(m, "9A 00 00 10 00 10 00", .callFar, imm: 0x10_0000, imm2: 0x10)
        check(m, "FF 2D 00 10 00 00", .jmpFarM, mem: true, disp: 0x1000)                    // jmp far [0x1000]
        check(m, "C3", .ret)
        check(m, "C2 08 00", .ret, imm: 8)
        check(m, "CB", .retFar)
        check(m, "CF", .iret)
        check(m, "CD 80", .intN, imm: 0x80)
        check(m, "CC", .int3)
        check(m, "E2 FE", .loop, imm: neg(-2), aux: 2)
        check(m, "E3 05", .jcxz, imm: 5)
        check(m, "C8 10 00 01", .enter, imm: 16, imm2: 1)
    }

    func testMode32MemoryOperands() {
        let m = DecodeMode.m32
        // ModRM and SIB forms (SDM Vol. 2, Tables 2-2 and 2-3).
        check(m, "8B 03", .movGE, reg: 0, mem: true, base: 3, index: N, disp: 0, seg: DS)               // [ebx]
        check(m, "03 44 24 08", .aluGE, reg: 0, base: 4, index: N, disp: 8, seg: SS, aux: 0)            // [esp+8]
        check(m, "8B 45 FC", .movGE, base: 5, index: N, disp: -4, seg: SS)                              // [ebp-4]
        check(m, "8B 85 00 FF FF FF", .movGE, base: 5, disp: -256, seg: SS)                             // [ebp-0x100]
        check(m, "8B 05 78 56 34 12", .movGE, base: N, index: N, disp: 0x1234_5678, seg: DS)            // [disp32]
        check(m, "8B 04 8D 00 10 00 00", .movGE, base: N, index: 1, scale: 2, disp: 0x1000, seg: DS)    // [ecx*4+0x1000]
        check(m, "8B 84 B3 78 56 34 12", .movGE, base: 3, index: 6, scale: 2, disp: 0x1234_5678, seg: DS) // [ebx+esi*4+disp32]
        check(m, "8B 44 FD 10", .movGE, base: 5, index: 7, scale: 3, disp: 0x10, seg: SS)               // [ebp+edi*8+0x10]
        check(m, "8B 04 24", .movGE, base: 4, index: N, scale: 0, seg: SS)                              // [esp] (index 100 = none)
        check(m, "8B 0C 65 00 00 00 00", .movGE, reg: 1, base: N, index: N, disp: 0)                     // [disp32], SIB with no index
        check(m, "8D 04 40", .lea, base: 0, index: 0, scale: 1)                                         // lea eax,[eax+eax*2]
        check(m, "8D 4C 24 10", .lea, reg: 1, base: 4, disp: 0x10)                                      // lea ecx,[esp+0x10]
        check(m, "66 8B 07", .movGE, osz: 2, base: 7)                                                   // mov ax,[edi]
        check(m, "8A 26", .movGE, osz: 1, reg: AH, base: 6)                                             // mov ah,[esi]
        check(m, "80 38 05", .aluEI, osz: 1, mem: true, base: 0, imm: 5, aux: 7)                        // cmp byte [eax],5
        check(m, "C7 44 24 04 01 00 00 00", .movEI, base: 4, disp: 4, seg: SS, imm: 1)                  // mov dword [esp+4],1
        check(m, "0F BE 4D 08", .movsx, reg: 1, base: 5, disp: 8, seg: SS)                              // movsx ecx,byte [ebp+8]
        check(m, "0F 01 15 00 00 01 00", .lgdt, mem: true, base: N, disp: 0x1_0000)                     // lgdt [0x10000]
        check(m, "0F C7 0F", .cmpxchg8b, base: 7)                                                       // cmpxchg8b [edi]
        check(m, "C4 03", .loadFarPtr, reg: 0, base: 3, aux: 0)                                         // les eax,[ebx]
        check(m, "C5 36", .loadFarPtr, reg: 6, base: 6, aux: 3)                                         // lds esi,[esi]
        check(m, "A1 00 10 00 00", .movRO, osz: 4, seg: DS, imm: 0x1000)                                // mov eax,[0x1000]
        check(m, "A0 44 33 22 11", .movRO, osz: 1, imm: 0x1122_3344)                                    // mov al,[moffs32]
        check(m, "A3 00 80 0B 00", .movOR, imm: 0xB_8000)                                               // mov [0xb8000],eax
    }

    func testMode32PrefixesAndSegments() {
        let m = DecodeMode.m32
        check(m, "26 8B 03", .movGE, seg: ES, pfx: Insn.segOverride)                      // mov eax,es:[ebx]
        check(m, "3E 8B 45 00", .movGE, base: 5, seg: DS)                                  // ds:[ebp]: override beats SS
        check(m, "36 8B 03", .movGE, base: 3, seg: SS)                                     // ss:[ebx]
        check(m, "2E 8B 03", .movGE, seg: CS)
        check(m, "64 A1 30 00 00 00", .movRO, seg: FS, imm: 0x30)                          // mov eax,fs:[0x30]
        check(m, "65 8B 44 24 04", .movGE, base: 4, seg: GS)                               // gs:[esp+4]: override beats SS
        // 67: 16-bit addressing in 32-bit code.
        check(m, "67 8B 07", .movGE, asz: 2, base: 3, index: N, seg: DS)                   // mov eax,[bx]
        check(m, "67 8B 46 FE", .movGE, asz: 2, base: 5, index: N, disp: -2, seg: SS)      // mov eax,[bp-2]
        check(m, "67 A1 34 12", .movRO, asz: 2, imm: 0x1234)                               // mov eax,[0x1234] moffs16
        // String instructions and REP.
        check(m, "F3 A5", .movs, osz: 4, pfx: Insn.rep)
        check(m, "F3 A4", .movs, osz: 1, pfx: Insn.rep)
        check(m, "F2 AE", .scas, osz: 1, pfx: Insn.repne)
        check(m, "66 AB", .stos, osz: 2)
        check(m, "F3 66 AB", .stos, osz: 2, pfx: Insn.rep)
        // LOCK.
        check(m, "F0 01 18", .aluEG, mem: true, base: 0, aux: 0, pfx: Insn.lock)           // lock add [eax],ebx
        check(m, "F0 0F B1 0B", .cmpxchg, mem: true, base: 3, pfx: Insn.lock)              // lock cmpxchg [ebx],ecx
        check(m, "F0 87 07", .xchgEG, mem: true, pfx: Insn.lock)                           // lock xchg [edi],eax
        // I/O and system.
        check(m, "E4 60", .inI, osz: 1, imm: 0x60)
        check(m, "E7 80", .outI, osz: 4, imm: 0x80)
        check(m, "EC", .inDX, osz: 1)
        check(m, "66 EF", .outDX, osz: 2)
        check(m, "0F A2", .cpuid)
        check(m, "0F 0B", .ud)
        check(m, "F4", .hlt)
        check(m, "FA", .cli)
        check(m, "0F 34", .sysenter)
        check(m, "0F 00 D8", .ltr, rm: 0)                                                 // ltr ax
        check(m, "0F 01 38", .invlpg, mem: true, base: 0)                                 // invlpg [eax]
    }

    func testLockOnRegisterDestinationIsInvalid() {
        for m in [DecodeMode.m16, .m32, .m64] {
            check(m, "F0 01 D8", len: 3, .invalid)                                        // lock add eax,ebx
            check(m, "F0 FF C0", len: 3, .invalid)                                        // lock inc eax
            check(m, "F0 87 C1", len: 3, .invalid)                                        // lock xchg ecx,eax
            check(m, "F0 8B 03", len: 3, .invalid)                                        // lock mov: not lockable
            check(m, "F0 3B 03", len: 3, .invalid)                                        // lock cmp r,m: not lockable
        }
        check(.m32, "F0 83 00 01", .aluEI, mem: true, imm: 1, pfx: Insn.lock)             // lock add dword [eax],1
    }

    func testMode32InvalidOpcodesKeepTheirLength() {
        check(.m32, "0F 04 C0 90 90 90 90", .invalid, anyLength: true)                   // undefined: #UD, length not architectural
        check(.m32, "FF FF", len: 2, .invalid)                                            // FF /7
        check(.m32, "0F 01 F8", len: 3, .invalid)                                         // swapgs outside 64-bit
        check(.m32, "8F C8", len: 2, .invalid)                                            // 8F /1
    }

    // MARK: 64-bit mode

    func testMode64REXAndOperandSize() {
        let m = DecodeMode.m64
        check(m, "48 89 D8", .movEG, osz: 8, reg: 3, rm: 0, pfx: Insn.rex | Insn.rexW)    // mov rax,rbx
        check(m, "89 D8", .movEG, osz: 4, reg: 3, rm: 0, noPfx: Insn.rex)                 // mov eax,ebx
        check(m, "66 89 D8", .movEG, osz: 2)                                               // mov ax,bx
        check(m, "4C 89 C0", .movEG, osz: 8, reg: 8, rm: 0)                                // mov rax,r8
        check(m, "49 89 C0", .movEG, osz: 8, reg: 0, rm: 8)                                // mov r8,rax
        check(m, "4D 89 F7", .movEG, osz: 8, reg: 14, rm: 15)                              // mov r15,r14
        check(m, "45 31 C9", .aluEG, osz: 4, reg: 9, rm: 9, aux: 6)                        // xor r9d,r9d
        check(m, "88 E0", .movEG, osz: 1, reg: AH, rm: 0)                                  // mov al,ah
        check(m, "40 88 E0", .movEG, osz: 1, reg: 4, rm: 0)                                // mov al,spl
        check(m, "44 88 C0", .movEG, osz: 1, reg: 8, rm: 0)                                // mov al,r8b
        check(m, "B4 12", .movEI, osz: 1, rm: AH, imm: 0x12)                               // mov ah,0x12
        check(m, "40 B4 12", .movEI, osz: 1, rm: 4, imm: 0x12)                             // mov spl,0x12
        check(m, "41 B7 12", .movEI, osz: 1, rm: 15, imm: 0x12)                            // mov r15b,0x12
        check(m, "48 B8 88 77 66 55 44 33 22 11", .movEI, osz: 8, rm: 0, imm: 0x1122_3344_5566_7788) // movabs
        check(m, "49 BF 01 00 00 00 00 00 00 80", .movEI, osz: 8, rm: 15, imm: 0x8000_0000_0000_0001)
        check(m, "B8 01 00 00 00", .movEI, osz: 4, imm: 1)
        check(m, "48 C7 C0 FF FF FF FF", .movEI, osz: 8, rm: 0, imm: neg(-1))             // mov rax,-1
        check(m, "48 05 00 00 00 80", .aluEI, osz: 8, imm: 0xFFFF_FFFF_8000_0000, aux: 0) // add rax,imm32 sign-extended
        check(m, "48 63 C1", .movsxd, osz: 8, reg: 0, rm: 1)                               // movsxd rax,ecx
        check(m, "48 0F B6 C0", .movzx, osz: 8)                                            // movzx rax,al
        check(m, "40 0F B6 C7", .movzx, reg: 0, rm: 7)                                     // movzx eax,dil
        check(m, "0F B6 C7", .movzx, reg: 0, rm: BH)                                       // movzx eax,bh
        check(m, "48 FF C0", .incE, osz: 8, rm: 0)                                         // inc rax (40-4F are REX)
        check(m, "48 F7 D8", .negE, osz: 8, rm: 0)
        check(m, "48 0F C8", .bswap, osz: 8, rm: 0)
        check(m, "41 0F C8", .bswap, osz: 4, rm: 8)                                        // bswap r8d
    }

    func testMode64DefaultOperandSizes() {
        let m = DecodeMode.m64
        check(m, "50", .push, osz: 8, rm: 0)                                               // push rax
        check(m, "41 57", .push, osz: 8, rm: 15)                                           // push r15
        check(m, "66 50", .push, osz: 2)                                                   // push ax
        check(m, "8F C0", .pop, osz: 8, rm: 0)                                             // pop rax
        check(m, "6A 01", .pushI, osz: 8, imm: 1)
        check(m, "68 00 00 00 80", .pushI, osz: 8, imm: 0xFFFF_FFFF_8000_0000)
        check(m, "FF D0", .callE, osz: 8, rm: 0)                                           // call rax
        check(m, "41 FF E3", .jmpE, osz: 8, rm: 11)                                        // jmp r11
        check(m, "E8 00 00 00 00", .callRel, osz: 8, imm: 0)
        check(m, "66 E8 00 00 00 00", .callRel, osz: 8, imm: 0)                            // 66 ignored (Intel)
        check(m, "0F 84 F0 FF FF FF", .jcc, osz: 8, imm: neg(-16), aux: 4)
        check(m, "C3", .ret, osz: 8)
        check(m, "9C", .pushf, osz: 8)
        check(m, "0F 20 D8", .movRC, osz: 8, reg: 3, rm: 0)                                // mov rax,cr3
        check(m, "44 0F 20 C0", .movRC, reg: 8, rm: 0)                                     // mov rax,cr8
        check(m, "0F 22 D8", .movCR, osz: 8, reg: 3, rm: 0)                                // mov cr3,rax
    }

    func testMode64MemoryOperands() {
        let m = DecodeMode.m64
        check(m, "48 8B 05 10 00 00 00", .movGE, osz: 8, base: RIP, index: N, disp: 0x10)  // mov rax,[rip+0x10]
        check(m, "8B 0D F0 FF FF FF", .movGE, reg: 1, base: RIP, disp: -16)                // mov ecx,[rip-16]
        check(m, "41 8B 05 00 00 00 00", .movGE, base: RIP, disp: 0)                       // REX.B does not change RIP-relative
        check(m, "8B 04 25 00 10 00 00", .movGE, base: N, index: N, disp: 0x1000)          // [0x1000] absolute, via SIB
        check(m, "4A 8B 04 C5 00 00 00 00", .movGE, osz: 8, base: N, index: 8, scale: 3)   // [r8*8]
        check(m, "41 8B 04 24", .movGE, base: 12, index: N)                                // [r12] needs a SIB
        check(m, "43 8B 04 24", .movGE, base: 12, index: 12, scale: 0)                     // [r12+r12]: REX.X makes 100 an index
        check(m, "41 8B 45 00", .movGE, base: 13, index: N, disp: 0)                       // [r13+0] needs a disp8
        check(m, "41 8B 45 F8", .movGE, base: 13, disp: -8)
        check(m, "42 8B 04 2D 00 00 00 00", .movGE, base: N, index: 13, scale: 0)          // [r13*1+0] (base 101, mod 00)
        check(m, "4B 8D 04 7F", .lea, osz: 8, reg: 0, base: 15, index: 15, scale: 1)       // lea rax,[r15+r15*2]
        check(m, "48 8D 64 24 08", .lea, reg: 4, base: 4, disp: 8)                         // lea rsp,[rsp+8]
        check(m, "48 8D 04 C5 00 00 00 00", .lea, base: N, index: 0, scale: 3)             // lea rax,[rax*8]
        check(m, "67 8B 07", .movGE, asz: 4, base: 7)                                      // mov eax,[edi]
        check(m, "67 8B 05 10 00 00 00", .movGE, asz: 4, base: RIP, disp: 0x10)            // mov eax,[eip+0x10]
        check(m, "65 48 8B 04 25 28 00 00 00", .movGE, base: N, disp: 0x28, seg: GS)       // mov rax,gs:[0x28]
        check(m, "64 8B 03", .movGE, seg: FS)
        check(m, "2E 8B 03", .movGE, seg: DS)                                              // CS override ignored in 64-bit mode
        check(m, "26 8B 03", .movGE, seg: DS)                                              // ES override ignored
        check(m, "48 A1 88 77 66 55 44 33 22 11", .movRO, osz: 8, imm: 0x1122_3344_5566_7788) // movabs rax,[moffs64]
        check(m, "67 A1 44 33 22 11", .movRO, osz: 4, asz: 4, imm: 0x1122_3344)
        check(m, "48 0F C7 0E", .cmpxchg8b, osz: 8, base: 6)                               // cmpxchg16b [rsi]
        check(m, "F0 48 0F B1 0F", .cmpxchg, osz: 8, base: 7, pfx: Insn.lock)              // lock cmpxchg [rdi],rcx
        check(m, "48 C7 44 24 F8 01 00 00 00", .movEI, osz: 8, base: 4, disp: -8, imm: 1)  // mov qword [rsp-8],1
        check(m, "0F 01 38", .invlpg, base: 0)
        check(m, "FF 24 C5 00 10 00 00", .jmpE, mem: true, base: N, index: 0, scale: 3, disp: 0x1000) // jmp [rax*8+0x1000]
    }

    func testMode64REXPlacement() {
        let m = DecodeMode.m64
        // REX must come right before the opcode; a legacy prefix after it cancels it.
        check(m, "48 66 89 C8", .movEG, osz: 2, reg: 1, rm: 0, noPfx: Insn.rex | Insn.rexW) // mov ax,cx
        check(m, "66 48 89 C8", .movEG, osz: 8, reg: 1, rm: 0, pfx: Insn.rexW)             // mov rax,rcx: REX.W beats 66
        check(m, "48 F3 AB", .stos, osz: 4, pfx: Insn.rep)                                 // rep stosd
        check(m, "F3 48 AB", .stos, osz: 8, pfx: Insn.rep)                                 // rep stosq
        check(m, "41 2E 8B 00", .movGE, base: 0)                                           // REX.B dropped: [rax], not [r8]
        check(m, "41 48 89 C0", .movEG, osz: 8, rm: 0)                                     // only the last REX counts
        check(m, "90", .nop)
        check(m, "40 90", .nop)
        check(m, "41 90", .xchgEG, rm: 8)                                                  // xchg r8d,eax is not NOP
        check(m, "F3 90", .pause)
    }

    func testMode64SystemAndInvalid() {
        let m = DecodeMode.m64
        check(m, "0F 05", .syscall)
        check(m, "48 0F 07", .sysret, osz: 8)
        check(m, "0F 01 F8", .swapgs)
        check(m, "F3 48 0F AE C0", .rdfsbase, osz: 8, rm: 0)
        check(m, "0F C7 F0", .rdrand, osz: 4, rm: 0)
        // Opcodes that do not exist in 64-bit mode (SDM Appendix A, "i64").
        for hex in ["06", "07", "0E", "16", "17", "1E", "1F", "27", "2F", "37", "3F", "60", "61", "CE", "D6"] {
            check(m, hex, .invalid)
        }
        // Their length is not architectural (#UD at the first byte): only the handler is checked.
        for hex in ["D4 0A", "D5 0A", "EA 00 00 00 00 08 00", "9A 00 00 00 00 08 00", "82 C0 01"] {
            check(m, hex, .invalid, anyLength: true)
        }
        check(m, "63 C8", .movsxd, osz: 4)                                                 // not ARPL
        // C4/C5 are always VEX in 64-bit mode.
        check(m, "C4 E2 78 F2 C3", .andn, osz: 4, reg: 0, rm: 3, vreg: 0)                  // andn eax,eax,ebx
        check(m, "C4 E2 F0 F2 C3", .andn, osz: 8, reg: 0, rm: 3, vreg: 1)                  // andn rax,rcx,rbx
        check(m, "C4 62 78 F2 C3", .andn, reg: 8, rm: 3)                                   // andn r8d,eax,ebx (VEX.R)
        check(m, "C4 C2 78 F2 C3", .andn, reg: 0, rm: 11)                                  // VEX.B
        check(m, "66 C4 E2 78 F2 C3", .invalid)                                            // 66 before VEX: #UD
        check(m, "C4 E3 7B F0 C1 05", .rorx, reg: 0, rm: 1, imm: 5)                        // rorx eax,ecx,5
    }

    func testMandatoryPrefixesAndMultiByteNops() {
        let m = DecodeMode.m64
        check(m, "0F BC C1", .bsf, osz: 4, reg: 0, rm: 1)                                  // bsf eax,ecx
        check(m, "F3 0F BC C1", .tzcnt, osz: 4, reg: 0, rm: 1)                             // tzcnt eax,ecx
        check(m, "F3 0F BD C1", .lzcnt, osz: 4)                                            // lzcnt eax,ecx
        check(m, "F3 0F B8 C1", .popcnt, osz: 4)                                           // popcnt eax,ecx
        check(m, "66 F3 0F B8 C1", .popcnt, osz: 2)                                        // popcnt ax,cx: 66 is operand size here
        check(m, "F3 66 0F B8 C1", .popcnt, osz: 2)
        check(m, "F3 48 0F B8 C1", .popcnt, osz: 8)                                        // popcnt rax,rcx
        check(m, "66 0F 38 F6 C1", .adcx, osz: 4)                                          // adcx eax,ecx
        check(m, "F3 0F 38 F6 C1", .adox, osz: 4)                                          // adox eax,ecx
        check(m, "F2 0F 38 F1 C1", .crc32, osz: 4)                                         // crc32 eax,ecx
        check(m, "0F 38 F0 07", .movbe, osz: 4, base: 7, aux: 0)                           // movbe eax,[rdi]
        check(m, "0F 38 F0 C7", len: 4, .invalid)                                          // movbe needs memory
        check(m, "0F AE E8", .fence)                                                       // lfence
        check(m, "0F AE F0", .fence)                                                       // mfence
        check(m, "0F AE 38", .clflush, base: 0)                                            // clflush [rax]
        check(m, "66 0F AE 38", .clflush, base: 0)                                         // clflushopt [rax]
        check(m, "F2 F3 A5", .movs, pfx: Insn.rep, noPfx: Insn.repne)                      // the last of F2/F3 wins
        check(m, "F3 F2 A7", .cmps, pfx: Insn.repne, noPfx: Insn.rep)
        // Compiler padding NOPs (SDM "NOP", Table 4-12).
        check(m, "66 90", .nop)
        check(m, "0F 1F 00", .nop, base: 0)
        check(m, "0F 1F 40 00", .nop)
        check(m, "0F 1F 44 00 00", .nop)
        check(m, "66 0F 1F 44 00 00", .nop)
        check(m, "0F 1F 80 00 00 00 00", .nop)
        check(m, "0F 1F 84 00 00 00 00 00", .nop)
        check(m, "66 0F 1F 84 00 00 00 00 00", .nop)
        check(m, "66 2E 0F 1F 84 00 00 00 00 00", .nop)
    }

    // MARK: 16-bit mode (real mode and 16-bit protected mode)

    func testMode16AddressingTable() {
        let m = DecodeMode.m16
        // SDM Vol. 2, Table 2-1: 16-bit ModRM addressing.
        check(m, "8B 00", .movGE, osz: 2, asz: 2, base: 3, index: 6, disp: 0, seg: DS)    // [bx+si]
        check(m, "8B 01", .movGE, base: 3, index: 7, seg: DS)                              // [bx+di]
        check(m, "8B 02", .movGE, base: 5, index: 6, seg: SS)                              // [bp+si]
        check(m, "8B 03", .movGE, base: 5, index: 7, seg: SS)                              // [bp+di]
        check(m, "8B 04", .movGE, base: 6, index: N, seg: DS)                              // [si]
        check(m, "8B 05", .movGE, base: 7, index: N, seg: DS)                              // [di]
        check(m, "8B 06 34 12", .movGE, base: N, index: N, disp: 0x1234, seg: DS)         // [disp16]
        check(m, "8B 07", .movGE, base: 3, index: N, seg: DS)                              // [bx]
        check(m, "8B 40 10", .movGE, base: 3, index: 6, disp: 0x10)                        // [bx+si+0x10]
        check(m, "8B 46 FE", .movGE, base: 5, index: N, disp: -2, seg: SS)                // [bp-2]
        check(m, "8B 46 00", .movGE, base: 5, index: N, disp: 0, seg: SS)                 // [bp+0]
        check(m, "8B 86 00 80", .movGE, base: 5, disp: 0x8000, seg: SS)                    // [bp-0x8000]
        check(m, "8B 87 34 12", .movGE, base: 3, disp: 0x1234, seg: DS)                    // [bx+0x1234]
        check(m, "8B 5C FF", .movGE, reg: 3, base: 6, disp: -1)                            // mov bx,[si-1]
        check(m, "26 8B 46 00", .movGE, base: 5, seg: ES)                                  // es:[bp]
        check(m, "3E 8B 02", .movGE, base: 5, index: 6, seg: DS)                           // ds:[bp+si]
        check(m, "36 8B 07", .movGE, base: 3, seg: SS)                                     // ss:[bx]
        // 67: 32-bit addressing in 16-bit code.
        check(m, "67 8B 04 24", .movGE, asz: 4, base: 4, index: N, seg: SS)               // [esp]
        check(m, "67 8B 45 FC", .movGE, asz: 4, base: 5, disp: -4, seg: SS)              // [ebp-4]
        check(m, "67 8B 04 8D 00 10 00 00", .movGE, asz: 4, base: N, index: 1, scale: 2, disp: 0x1000)
        check(m, "67 66 8B 06", .movGE, osz: 4, asz: 4, base: 6)                           // mov eax,[esi]
    }

    func testMode16Forms() {
        let m = DecodeMode.m16
        check(m, "89 D8", .movEG, osz: 2, reg: 3, rm: 0)                                   // mov ax,bx
        check(m, "66 89 D8", .movEG, osz: 4)                                               // mov eax,ebx
        check(m, "B8 34 12", .movEI, osz: 2, imm: 0x1234)
        check(m, "66 B8 78 56 34 12", .movEI, osz: 4, imm: 0x1234_5678)
        check(m, "C6 06 00 10 FF", .movEI, osz: 1, base: N, disp: 0x1000, imm: 0xFF)      // mov byte [0x1000],0xff
        check(m, "C7 46 02 34 12", .movEI, osz: 2, base: 5, disp: 2, seg: SS, imm: 0x1234) // mov word [bp+2],0x1234
        check(m, "83 C4 FE", .aluEI, osz: 2, rm: 4, imm: neg(-2), aux: 0)                 // add sp,-2
        check(m, "E8 00 10", .callRel, osz: 2, imm: 0x1000)                                // call rel16
        check(m, "66 E8 00 00 00 00", .callRel, osz: 4, imm: 0)                            // call rel32
        check(m, "E9 FD FF", .jmpRel, imm: neg(-3))
        check(m, "EB FE", .jmpRel, imm: neg(-2))
        check(m, "0F 84 00 01", .jcc, imm: 0x100, aux: 4)                                  // je rel16
        check(m, "EA 00 7C 00 00", .jmpFar, osz: 2, imm: 0x7C00, imm2: 0)                  // jmp 0:0x7c00
        check(m, "66 EA 00 00 10 00 08 00", .jmpFar, osz: 4, imm: 0x10_0000, imm2: 8)      // jmp dword 8:0x100000
        check(m, "C4 1E 34 12", .loadFarPtr, reg: 3, base: N, disp: 0x1234, aux: 0)        // les bx,[0x1234]
        check(m, "A1 34 12", .movRO, osz: 2, asz: 2, imm: 0x1234)                          // mov ax,[0x1234]
        check(m, "0F 01 16 00 10", .lgdt, base: N, disp: 0x1000)                           // lgdt [0x1000]
        check(m, "66 0F 01 16 00 10", .lgdt, base: N, disp: 0x1000)                        // o32 lgdt
        check(m, "8E D8", .movSE, reg: 3, rm: 0)                                           // mov ds,ax
        check(m, "8E 16 00 10", .movSE, reg: 2, base: N, disp: 0x1000)                     // mov ss,[0x1000]
        check(m, "0F 20 C0", .movRC, osz: 4, reg: 0, rm: 0)                                // mov eax,cr0
        check(m, "0F 22 C0", .movCR, reg: 0, rm: 0)                                        // mov cr0,eax
        check(m, "CD 10", .intN, imm: 0x10)
        check(m, "60", .pusha, osz: 2)
        check(m, "66 61", .popa, osz: 4)
        check(m, "9C", .pushf, osz: 2)
        check(m, "CB", .retFar, osz: 2)
        check(m, "66 CF", .iret, osz: 4)
        check(m, "F3 AA", .stos, osz: 1, pfx: Insn.rep)
        check(m, "F3 66 A5", .movs, osz: 4, pfx: Insn.rep)
        check(m, "F0 87 07", .xchgEG, mem: true, base: 3, pfx: Insn.lock)                  // lock xchg [bx],ax
    }

    // MARK: limits

    func testFifteenByteLimit() throws {
        // 3 prefixes + REX + 81 /0 + SIB + disp32 + imm32 = 15 bytes: allowed.
        let ok = bytes("64 64 64 48 81 84 C8 78 56 34 12 44 33 22 11")
        XCTAssertEqual(ok.count, 15)
        let d = try decode(.m64, ok)
        XCTAssertEqual(d.len, 15)
        XCTAssertEqual(d.h, .aluEI)
        XCTAssertEqual(d.imm, 0x1122_3344)
        XCTAssertEqual(d.disp, 0x1234_5678)
        // One more prefix: 16 bytes, #GP(0) (SDM Vol. 2, 2.3.11).
        // Same in 32-bit code without the REX: 4 prefixes + 11 bytes = 15, 5 prefixes = 16.
        let ok32 = bytes("64 64 64 64 81 84 C8 78 56 34 12 44 33 22 11")
        XCTAssertEqual(try decode(.m32, ok32).len, 15)
        for (mode, hex) in [(DecodeMode.m64, "64 64 64 64 48 81 84 C8 78 56 34 12 44 33 22 11"),
                            (.m32, "64 64 64 64 64 81 84 C8 78 56 34 12 44 33 22 11"),
                            (.m16, "64 64 64 64 64 64 64 64 66 67 81 84 C8 78 56 34 12 44 33 22 11")] {
            do { _ = try decode(mode, bytes(hex)); XCTFail("\(mode): over-long instruction decoded") }
            catch { XCTAssertEqual(error, Fault.gp(0), "\(mode)") }
            // Prefix runs alone are enough.
            let prefixes = [UInt8](repeating: 0x66, count: 15) + [0x90]
            do { _ = try decode(mode, prefixes); XCTFail("\(mode): 15 prefixes + opcode decoded") }
            catch { XCTAssertEqual(error, Fault.gp(0), "\(mode)") }
            let fourteen = [UInt8](repeating: 0x66, count: 14) + [0x90]
            XCTAssertEqual(try decode(mode, fourteen).len, 15, "\(mode): 14 prefixes + opcode is legal")
        }
    }

    func testTruncatedInputThrowsFetchFault() {
        // Running off the buffer is reported as a fetch fault, never a crash.
        for hex in ["", "0F", "8B", "8B 84", "8B 84 24", "B8 01 02", "48", "66 67 F3", "C4 E2 78", "E8 00 00"] {
            for mode in [DecodeMode.m16, .m32, .m64] {
                let b = hex.isEmpty ? [] : bytes(hex)
                if mode != .m64 && hex == "48" { continue }          // dec eax, complete
                if mode == .m16 && (hex == "B8 01 02" || hex == "E8 00 00") { continue }   // complete with 16-bit operands
                XCTAssertThrowsError(try decode(mode, b), "\(mode) \(hex)") { e in
                    XCTAssertEqual((e as? Fault)?.vector, 14, "\(mode) \(hex)")
                }
            }
        }
    }

    func testMovCRIgnoresModField() {
        // SDM "MOV—Move to/from Control Registers": "The 2 bits in the mod field are ignored";
        // 0F 20 05 is MOV EAX,CR0 (3 bytes), not a memory form with a disp32.
        for (mode, osz) in [(DecodeMode.m16, UInt8(4)), (.m32, 4), (.m64, 8)] {
            check(mode, "0F 20 05 90 90 90 90", len: 3, .movRC, osz: osz, reg: 0, rm: 5, mem: false)  // mov eax,cr0
            check(mode, "0F 22 5F 90 90", len: 3, .movCR, reg: 3, rm: 7, mem: false)                  // mov cr3,edi
        }
    }

    func testDecodeIsDeterministicAndPure() throws {
        // The same bytes give the same value every time (no state carried between calls).
        let b = bytes("F0 48 0F B1 0F")
        let a = try decode(.m64, b), c = try decode(.m64, b)
        XCTAssertEqual(a.len, c.len); XCTAssertEqual(a.h, c.h); XCTAssertEqual(a.pfx, c.pfx)
        _ = try decode(.m64, bytes("66 89 D8"))
        XCTAssertEqual(try decode(.m64, bytes("89 D8")).osz, 4, "66 from a previous decode does not leak")
    }
}
