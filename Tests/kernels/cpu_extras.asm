; cpu_extras.asm - debug exceptions (DR6 fixed bits, single-step over MOV SS /
; POP SS / STI / ICEBP / INT3, RF suppressing an instruction breakpoint once),
; x87 control words (FNINIT, FNSTSW, FNSTCW, FLDCW, FNCLEX) with the CR0.EM /
; CR0.TS / CR0.MP #NM rules, and protection keys in 64-bit mode (PKU: PKRU,
; RDPKRU/WRPKRU, CR4.PKE; PKS: IA32_PKRS, CR4.PKS).
; Known QEMU 7.2 TCG deviations (SKIP, FAIL with -append strict): DR6 bit 12
; reads back 1; the single-step trap after STI is deferred one instruction;
; ICEBP (F1) raises #UD; fault-class exceptions push RF=0.
; swemu-args: -cpu max
%include "lib.inc"

HI          equ 0x0000008000000000      ; PML4 index 1: 4 KiB test pages
PK_SHIFT    equ 59                      ; PTE bits 62:59 = protection key
MSR_PKRS    equ 0x6E1
CR0_MP      equ 1 << 1
CR0_EM      equ 1 << 2
CR0_TS      equ 1 << 3
TF          equ 1 << 8
RF          equ 1 << 16

; HI + 0x0000  user page,       key 0   (pg_k0)
; HI + 0x1000  user page,       key 1   (pg_k1; code at +0x800)
; HI + 0x2000  supervisor page, key 2   (pg_s2; code at +0x800)
; HI + 0x3000  supervisor page, key 0   (pg_s0)
O_K0  equ 0x0000
O_K1  equ 0x1000
O_S2  equ 0x2000
O_S0  equ 0x3000

; GAP "name": report a known QEMU TCG deviation (SKIP, FAIL with -append strict)
%macro GAP 1
[section .rodata]
%%s: db %1, 0
__SECT__
    push %%s
    call report_gap
%endmacro

main:
    ; 64-bit TSS descriptor for the ring 3 tests (upper half already zero)
    mov eax, SEL_TSS
    mov ebx, tss64
    mov ecx, 103
    mov dl, 0x89
    mov dh, 0
    call gdt_set
    ; mask both 8259s: the STI single-step test briefly runs with IF=1
    mov al, 0xff
    out 0x21, al
    out 0xa1, al
    xor eax, eax
    cpuid
    cmp eax, 7
    jb .no7
    mov eax, 7
    xor ecx, ecx
    cpuid
    mov [cpuid7_ebx], ebx
    mov [cpuid7_ecx], ecx
.no7:
    ; DR6 value after writing 0 (SDM Vol. 3, 17.2.3, Figure 17-2): bits 31:16
    ; and 11:4 read as 1, bit 12 reads 0. RTM (bit 16) and BLD (bit 11) are
    ; writable only when CPUID reports RTM (7.0:EBX[11]) / bus-lock detection
    ; (7.0:ECX[24]); then they read back the 0 written.
    mov eax, 0xFFFF0FF0
    test dword [cpuid7_ebx], 1 << 11
    jz .nortm
    and eax, ~0x10000
.nortm:
    test dword [cpuid7_ecx], 1 << 24
    jz .nobld
    and eax, ~0x800
.nobld:
    mov [dr6_init], eax

    call test_debug
    call test_x87
    call lm_enter
bits 64
    call setup64
    call test_pku
    call test_pks
    jmp finish64
bits 32

; ============================================================ debug exceptions
; SDM Vol. 3, 17.2 (debug registers), 17.3.1 (#DB conditions), 6.8.3 (MOV SS /
; POP SS blocking), Vol. 2 STI / INT1 / INT3.

; eax = number of #DBs after which the handler clears TF in the frame
db_reset:
    push edi
    push ecx
    mov [db_limit], eax
    mov dword [db_n], 0
    mov dword [bp_n], 0
    mov dword [bp_eip], 0xeeeeeeee
    mov edi, db_eips
    mov ecx, 3*4
    mov eax, 0xeeeeeeee
    rep stosd
    xor eax, eax
    mov dr6, eax
    pop ecx
    pop edi
    ret

test_debug:
    MSG "-- debug exceptions"
    mov eax, 1
    mov ebx, db_handler
    mov dl, 0x8e
    call idt32_set
    mov eax, 3
    mov ebx, bp_handler
    call idt32_set

    ; ---------------------------------------------------- DR6 fixed bits
    xor eax, eax
    mov dr7, eax
    mov dr6, eax
    mov ecx, dr6
    CHECK ecx, dword [dr6_init], "DR6 after writing 0 reads 0xFFFF0FF0 (bit 16 RTM reads 1 without RTM)"
    mov eax, 0xFFFFFFFF
    mov dr6, eax
    mov ecx, dr6
    ; SDM Figure 17-2: DR6 bit 12 is reserved and reads 0. QEMU 7.2 TCG ORs
    ; writes with 0xFFFF0FF0 only and keeps bit 12 set.
    CHECK_ALT ecx, 0xFFFFEFFF, 0xFFFFFFFF, "DR6 after writing all ones reads 0xFFFFEFFF (bit 12 reads 0)"
    xor eax, eax
    mov dr6, eax

    ; ---------------------------------------------------- TF over MOV SS
    ; SDM 6.8.3: MOV SS inhibits debug exceptions (including the single-step
    ; trap) until the end of the next instruction.
    mov eax, 1
    call db_reset
    mov ax, ss
    pushfd
    or dword [esp], TF
    popfd
    mov ss, ax                  ; TF=1 here: trap suppressed
    nop                         ; trap after this one
.mss_after:
    CHECK dword [db_n], 1, "TF over MOV SS: one #DB"
    CHECK dword [db_eips], .mss_after, "TF over MOV SS: no #DB after MOV SS, first #DB after the next instruction"
    mov eax, [db_dr6s]
    and eax, 0x4000
    CHECK eax, 0x4000, "TF over MOV SS: DR6.BS set"

    ; ---------------------------------------------------- TF over POP SS
    mov eax, 1
    call db_reset
    push ss
    pushfd
    or dword [esp], TF
    popfd
    pop ss                      ; trap suppressed
    nop
.pss_after:
    CHECK dword [db_n], 1, "TF over POP SS: one #DB"
    CHECK dword [db_eips], .pss_after, "TF over POP SS: first #DB after the next instruction"

    ; ---------------------------------------------------- TF over STI
    ; Vol. 2 STI: the STI shadow inhibits maskable interrupts only; the
    ; single-step trap after STI is delivered (8259s masked above).
    cli
    mov eax, 1
    call db_reset
    pushfd
    or dword [esp], TF
    popfd
    sti                         ; trap after this one
.sti_after:
    nop
.sti_after2:
    cli
    CHECK dword [db_n], 1, "TF over STI: one #DB"
    ; QEMU 7.2 TCG defers the trap past the instruction after STI.
    CHECK_ALT dword [db_eips], .sti_after, .sti_after2, "TF over STI: #DB right after STI (STI blocking does not block #DB)"
    mov eax, [db_dr6s]
    and eax, 0x4000
    CHECK eax, 0x4000, "TF over STI: DR6.BS set"

    ; ---------------------------------------------------- ICEBP with TF
    ; Vol. 2 INT1: a trap-like #DB that sets no DR6 condition bit. Like INT n,
    ; it enters the handler with TF cleared, so no single-step trap follows
    ; the ICEBP itself; the handler returns with TF=1 and stepping resumes.
    mov eax, 2
    call db_reset
    TRY .ice_ud
    pushfd
    or dword [esp], TF
    popfd
    db 0xf1                     ; ICEBP / INT1
.ice_after:
    nop
.ice_after2:
    ENDTRY
    jmp .ice_chk
.ice_ud:                        ; QEMU 7.2 TCG: #UD (INT1 not implemented)
    mov dword [db_limit], 0     ; the next single-step #DB clears TF
    ENDTRY
    pushfd
    and dword [esp], ~TF
    popfd
    GAP "ICEBP (INT1) raises #DB: got #UD (not implemented by QEMU 7.2 TCG)"
    jmp .ice_done
.ice_chk:
    CHECK dword [db_n], 2, "ICEBP with TF: ICEBP #DB then the next single-step #DB"
    CHECK dword [db_eips], .ice_after, "ICEBP with TF: #DB EIP after ICEBP"
    mov eax, [db_dr6s]
    and eax, 0x4000
    CHECK eax, 0, "ICEBP with TF: DR6.BS clear"
    CHECK dword [db_dr6s], dword [dr6_init], "ICEBP: DR6 has no condition bit (0xFFFF0FF0)"
    CHECK dword [db_eips+4], .ice_after2, "ICEBP with TF: no single-step #DB for ICEBP itself, next after the NOP"
    mov eax, [db_dr6s+4]
    and eax, 0x4000
    CHECK eax, 0x4000, "ICEBP with TF: the following single-step #DB has DR6.BS"
.ice_done:

    ; ---------------------------------------------------- INT3 with TF
    ; Vol. 3 17.3.1.4 / Vol. 2 INT3: no single-step trap after INT3 (the
    ; handler is entered with TF=0); IRET restores TF and stepping continues.
    mov eax, 1
    call db_reset
    pushfd
    or dword [esp], TF
    popfd
    int3
.i3_after:
    nop
.i3_after2:
    CHECK dword [bp_n], 1, "INT3 with TF: #BP handler ran once"
    CHECK dword [bp_eip], .i3_after, "INT3 with TF: #BP EIP after INT3"
    CHECK dword [db_n], 1, "INT3 with TF: one #DB in all"
    CHECK dword [db_eips], .i3_after2, "INT3 with TF: no single-step #DB after INT3, next after the NOP"

    ; ---------------------------------------------------- RF
    ; Vol. 3 17.3.1.1: with EFLAGS.RF=1 instruction breakpoints are ignored
    ; for one instruction; the processor clears RF after it completes. A #UD
    ; handler resumes at a DR0 breakpoint with RF=1: the first execution
    ; does not fault, the next one does. Also 17.3.1.1: for any fault-class
    ; exception other than an instruction-breakpoint #DB, the EFLAGS image
    ; pushed has RF=1 (the control case below clears it in the handler).
    mov eax, 6
    mov ebx, ud_rf_handler
    mov dl, 0x8e
    call idt32_set
    mov dword [ud_rf_flags], RF
    mov eax, 0
    call db_reset
    mov eax, .rfx
    mov dr0, eax
    mov eax, 1                  ; L0, R/W0 = 00 (execute), LEN0 = 00
    mov dr7, eax
    xor ecx, ecx
    ud2                         ; handler: EIP += 2, RF=1
.rfx:
    inc ecx
    cmp ecx, 2
    jb .rfx
    xor eax, eax
    mov dr7, eax
    ; QEMU 7.2 TCG pushes the current RF (0) for faults.
    CHECK_ALT dword [ud_pushed_rf], RF, 0, "#UD (fault) pushes EFLAGS with RF=1"
    CHECK dword [db_n], 1, "RF=1 from IRET: DR0 breakpoint fires once in two executions"
    CHECK dword [db_ecxs], 1, "RF=1 from IRET: no #DB on the first execution, #DB on the second"
    CHECK dword [db_eips], .rfx, "RF: #DB (fault) EIP = breakpoint address"
    mov eax, [db_dr6s]
    and eax, 0xf
    CHECK eax, 1, "RF: DR6.B0 on the second execution"
    ; control: the same sequence with RF cleared in the frame faults both times
    mov dword [ud_rf_flags], 0
    mov eax, 0
    call db_reset
    mov eax, .rfy
    mov dr0, eax
    mov eax, 1
    mov dr7, eax
    xor ecx, ecx
    ud2
.rfy:
    inc ecx
    cmp ecx, 2
    jb .rfy
    xor eax, eax
    mov dr7, eax
    mov dr6, eax
    CHECK dword [db_n], 2, "RF=0 from IRET: DR0 breakpoint fires on both executions"
    CHECK dword [db_ecxs], 0, "RF=0 from IRET: #DB on the first execution"
    mov eax, 6
    mov ebx, exc_stub_6
    mov dl, 0x8e
    call idt32_set
    ret

db_handler:
    push eax
    push ebx
    ; [esp+8] = EIP, [esp+12] = CS, [esp+16] = EFLAGS
    mov ebx, [db_n]
    cmp ebx, 4
    jae .full
    mov eax, [esp+8]
    mov [db_eips+ebx*4], eax
    mov eax, dr6
    mov [db_dr6s+ebx*4], eax
    mov [db_ecxs+ebx*4], ecx
.full:
    inc ebx
    mov [db_n], ebx
    mov eax, dr6
    test al, 0xf
    jz .nrf
    or dword [esp+16], RF       ; resume past an instruction breakpoint
.nrf:
    cmp ebx, [db_limit]
    jb .keep
    and dword [esp+16], ~TF
.keep:
    xor eax, eax
    mov dr6, eax
    pop ebx
    pop eax
    iret

bp_handler:
    inc dword [bp_n]
    push eax
    mov eax, [esp+4]
    mov [bp_eip], eax
    pop eax
    iret

ud_rf_handler:                  ; resume after ud2 with RF = ud_rf_flags
    add dword [esp], 2          ; skip ud2
    push eax
    mov eax, [esp+12]
    and eax, RF
    mov [ud_pushed_rf], eax
    and dword [esp+12], ~RF
    mov eax, [ud_rf_flags]
    or [esp+12], eax
    pop eax
    iret

; ============================================================ x87 control words
; SDM Vol. 1, 8.1.5 (control word), 8.1.3 (status word), Vol. 2 FINIT/FNINIT,
; FSTSW, FSTCW, FLDCW, FCLEX, WAIT; Vol. 3, 2.5 and Table 2-2 (EM/MP/TS).
test_x87:
    MSG "-- x87 control words"
    mov eax, cr0
    and eax, ~(CR0_EM | CR0_TS)
    or eax, CR0_MP
    mov cr0, eax
    fninit
    mov dword [fpu_m], 0xa5a5ffff
    fnstsw [fpu_m]
    movzx eax, word [fpu_m]
    CHECK eax, 0, "FNINIT: FNSTSW m16 = 0"
    movzx eax, word [fpu_m+2]
    CHECK eax, 0xa5a5, "FNSTSW m16 stores 2 bytes"
    mov eax, 0x1234ffff
    fnstsw ax
    CHECK eax, 0x12340000, "FNINIT: FNSTSW AX = 0 (upper EAX kept)"
    mov dword [fpu_m], 0xa5a50000
    fnstcw [fpu_m]
    CHECK dword [fpu_m], 0xa5a5037f, "FNINIT: FNSTCW = 0x037F (2 bytes stored)"
    mov word [fpu_cw], 0x027f
    fldcw [fpu_cw]
    mov word [fpu_m], 0
    fnstcw [fpu_m]
    movzx eax, word [fpu_m]
    CHECK eax, 0x027f, "FLDCW 0x027F then FNSTCW = 0x027F"
    fnclex
    mov eax, 0xffff
    fnstsw ax
    CHECK eax, 0, "FNCLEX: status word 0"
    fnstcw [fpu_m]
    movzx eax, word [fpu_m]
    CHECK eax, 0x027f, "FNCLEX leaves the control word"
    fninit
    fnstcw [fpu_m]
    movzx eax, word [fpu_m]
    CHECK eax, 0x037f, "FNINIT resets the control word after FLDCW"
    TRY .w0
    wait
.w0:
    ENDTRY
    CHECK dword [exc_vector], -1, "WAIT with MP=1, TS=0: no exception"

    ; CR0.TS=1 (MP=1)
    mov eax, cr0
    or eax, CR0_TS
    mov cr0, eax
    TRY .nm1
.nm1i:
    fninit
.nm1:
    ENDTRY
    CHECK dword [exc_vector], 7, "CR0.TS=1: FNINIT -> #NM"
    CHECK dword [exc_eip], .nm1i, "CR0.TS=1: #NM EIP = FNINIT"
    TRY .nm2
    fnstsw ax
.nm2:
    ENDTRY
    CHECK dword [exc_vector], 7, "CR0.TS=1: FNSTSW AX -> #NM"
    TRY .nm3
    fldcw [fpu_cw]
.nm3:
    ENDTRY
    CHECK dword [exc_vector], 7, "CR0.TS=1: FLDCW -> #NM"
    TRY .nm4
.nm4i:
    wait
.nm4:
    ENDTRY
    CHECK dword [exc_vector], 7, "CR0.MP=1, TS=1: WAIT -> #NM"
    CHECK dword [exc_eip], .nm4i, "CR0.MP=1, TS=1: #NM EIP = WAIT"
    mov eax, cr0
    and eax, ~CR0_MP
    mov cr0, eax
    TRY .nm5
    wait
.nm5:
    ENDTRY
    CHECK dword [exc_vector], -1, "CR0.MP=0, TS=1: WAIT does not fault"
    clts
    TRY .nm6
    fninit
.nm6:
    ENDTRY
    CHECK dword [exc_vector], -1, "CLTS: FNINIT runs again"

    ; CR0.EM=1 (TS=0, MP=0)
    mov eax, cr0
    or eax, CR0_EM
    mov cr0, eax
    TRY .em1
.em1i:
    fninit
.em1:
    ENDTRY
    CHECK dword [exc_vector], 7, "CR0.EM=1: FNINIT -> #NM"
    CHECK dword [exc_eip], .em1i, "CR0.EM=1: #NM EIP = FNINIT"
    TRY .em2
    fnstcw [fpu_m]
.em2:
    ENDTRY
    CHECK dword [exc_vector], 7, "CR0.EM=1: FNSTCW -> #NM"
    TRY .em3
    wait
.em3:
    ENDTRY
    CHECK dword [exc_vector], -1, "CR0.EM=1, MP=0, TS=0: WAIT does not fault"
    mov eax, cr0
    or eax, CR0_MP
    mov cr0, eax
    TRY .em4
    wait
.em4:
    ENDTRY
    CHECK dword [exc_vector], -1, "CR0.EM=1, MP=1, TS=0: WAIT does not fault"
    mov eax, cr0
    and eax, ~(CR0_EM | CR0_TS)
    or eax, CR0_MP
    mov cr0, eax
    ret

; ============================================================ 64-bit setup
bits 64
setup64:
    mov rax, kstack_top
    mov [tss64+4], rax
    mov word [tss64+102], 104
    mov ax, SEL_TSS
    ltr ax
    mov eax, 0x80                       ; ring 3 -> ring 0 return
    mov rbx, int80_handler
    mov edx, 0x00ee
    call idt64_set
    ; identity pages user-accessible (key 0) so ring 3 can run the kernel code
    or qword [lm_pml4], 4
    xor ecx, ecx
.u1:or qword [lm_pdpt+rcx*8], 4
    inc ecx
    cmp ecx, 4
    jb .u1
    xor ecx, ecx
.u2:or qword [lm_pd+rcx*8], 4
    inc ecx
    cmp ecx, 2048
    jb .u2
    ; 4 KiB test pages at HI
    mov qword [lm_pml4+8], pdpt_hi + 7
    mov qword [pdpt_hi], pd_hi + 7
    mov qword [pd_hi], pt_hi + 7
    mov qword [pt_hi+0*8], pg_k0 + 7
    mov rax, (1 << PK_SHIFT) | 7
    or rax, pg_k1
    mov [pt_hi+1*8], rax
    mov rax, (2 << PK_SHIFT) | 3
    or rax, pg_s2
    mov [pt_hi+2*8], rax
    mov qword [pt_hi+3*8], pg_s0 + 3
    mov dword [pg_k0], 0x10101010
    mov dword [pg_k1], 0x11111111
    mov dword [pg_s2], 0x22222222
    mov dword [pg_s0], 0x20202020
    mov byte [pg_k1+0x800], 0xb8        ; mov eax, 0x51515151 ; ret
    mov dword [pg_k1+0x801], 0x51515151
    mov byte [pg_k1+0x805], 0xc3
    mov byte [pg_s2+0x800], 0xb8        ; mov eax, 0x52525252 ; ret
    mov dword [pg_s2+0x801], 0x52525252
    mov byte [pg_s2+0x805], 0xc3
    mov rax, cr3
    mov cr3, rax
    ret

; rbx = ring 3 entry (64-bit code); returns when ring 3 executes int 0x80
run_user:
    push rbx
    push rbp
    mov [saved_ksp], rsp
    push SEL_UDATA
    push ustack_top
    push 2
    push SEL_UCODE64
    push rbx
    iretq
int80_handler:
    mov ax, SEL_KDATA64
    mov ss, ax
    mov rsp, [saved_ksp]
    pop rbp
    pop rbx
    ret

%macro WRPKRU_IMM 1
    mov eax, %1
    xor ecx, ecx
    xor edx, edx
    wrpkru
%endmacro

%macro SET_WP 1                         ; CR0.WP = %1, then flush the TLB
    mov rax, cr0
%if %1
    bts rax, 16
%else
    btr rax, 16
%endif
    mov cr0, rax
    mov rax, cr3
    mov cr3, rax
%endmacro

; ============================================================ PKU
; SDM Vol. 3, 4.6.2 (protection keys), 4.7 (#PF error code bit 5 PK),
; Vol. 2 RDPKRU / WRPKRU, Vol. 2 CPUID leaf 7 (ECX[3] PKU, ECX[4] OSPKE).
test_pku:
    MSG64 "-- protection keys for user pages (PKU)"
    test dword [cpuid7_ecx], 1 << 3
    jnz .have
    SKIPMSG64 "PKU (CPUID.7.0:ECX[3] not set)"
    ret
.have:
    mov eax, [cpuid7_ecx]
    and eax, 1 << 4
    CHECK64 rax, 0, "CPUID.7.0:ECX[4] OSPKE = 0 while CR4.PKE = 0"
    xor ecx, ecx
    TRY64 .u1
.u1i:
    rdpkru
.u1:
    ENDTRY64
    CHECK64 qword [exc_vector], 6, "RDPKRU with CR4.PKE=0 -> #UD"
    CHECK64 qword [exc_eip], .u1i, "RDPKRU #UD RIP"
    xor eax, eax
    xor ecx, ecx
    xor edx, edx
    TRY64 .u2
    wrpkru
.u2:
    ENDTRY64
    CHECK64 qword [exc_vector], 6, "WRPKRU with CR4.PKE=0 -> #UD"

    mov rax, cr4
    bts rax, 22                         ; PKE
    mov cr4, rax
    mov eax, 7
    xor ecx, ecx
    cpuid
    and ecx, 1 << 4
    CHECK64 rcx, 1 << 4, "CPUID.7.0:ECX[4] OSPKE = 1 after setting CR4.PKE"

    mov ecx, 1
    TRY64 .g1
    rdpkru
.g1:
    ENDTRY64
    CHECK64 qword [exc_vector], 13, "RDPKRU with ECX=1 -> #GP"
    CHECK64 qword [exc_error], 0, "RDPKRU #GP(0)"
    xor eax, eax
    xor edx, edx
    mov ecx, 1
    TRY64 .g2
    wrpkru
.g2:
    ENDTRY64
    CHECK64 qword [exc_vector], 13, "WRPKRU with ECX=1 -> #GP"
    xor eax, eax
    xor ecx, ecx
    mov edx, 1
    TRY64 .g3
    wrpkru
.g3:
    ENDTRY64
    CHECK64 qword [exc_vector], 13, "WRPKRU with EDX=1 -> #GP"
    WRPKRU_IMM 0x0000000c
    mov rax, -1
    mov rdx, -1
    xor ecx, ecx
    rdpkru
    CHECK64 rax, 0xc, "RDPKRU returns the value WRPKRU wrote"
    CHECK64 rdx, 0, "RDPKRU clears EDX"

    mov rbx, HI
    ; ---------------------------------------------------- supervisor, AD
    WRPKRU_IMM 0
    SET_WP 1
    mov eax, [rbx+O_K1]
    CHECK64 rax, 0x11111111, "PKRU=0: supervisor read of a key-1 user page"
    WRPKRU_IMM 1 << 2                   ; AD1
    TRY64 .ad1
.ad1i:
    mov eax, [rbx+O_K1+0x10]
.ad1:
    ENDTRY64
    CHECK64 qword [exc_vector], 14, "AD1: supervisor read of a key-1 user page -> #PF"
    CHECK64 qword [exc_error], 0x21, "AD1: supervisor read error code P|PK (0x21)"
    lea rax, [rbx+O_K1+0x10]
    CHECK64 qword [exc_cr2], rax, "AD1: CR2 = the address read"
    CHECK64 qword [exc_eip], .ad1i, "AD1: RIP = the faulting instruction"
    TRY64 .ad2
    mov dword [rbx+O_K1+0x14], 1
.ad2:
    ENDTRY64
    CHECK64 qword [exc_vector], 14, "AD1: supervisor write -> #PF"
    CHECK64 qword [exc_error], 0x23, "AD1: supervisor write error code P|W|PK (0x23)"
    TRY64 .ad3
    mov eax, [rbx+O_K0]
    mov dword [rbx+O_K0+4], 0x4444
.ad3:
    ENDTRY64
    CHECK64 qword [exc_vector], -1, "AD1: key-0 user page unaffected (read and write)"
    CHECK64 rax, 0x10101010, "AD1: key-0 page value"
    TRY64 .ad4
    lea rax, [rbx+O_K1+0x800]
    call rax
.ad4:
    ENDTRY64
    CHECK64 qword [exc_vector], -1, "AD1: supervisor fetch from a key-1 page is not affected"
    CHECK64 rax, 0x51515151, "AD1: code on the key-1 page ran"

    ; ---------------------------------------------------- supervisor, WD
    WRPKRU_IMM 2 << 2                   ; WD1
    TRY64 .wd1
    mov eax, [rbx+O_K1]
.wd1:
    ENDTRY64
    CHECK64 qword [exc_vector], -1, "WD1: supervisor read allowed"
    CHECK64 rax, 0x11111111, "WD1: value read"
    TRY64 .wd2
.wd2i:
    mov dword [rbx+O_K1+0x18], 0x5555
.wd2:
    ENDTRY64
    CHECK64 qword [exc_vector], 14, "WD1, CR0.WP=1: supervisor write -> #PF"
    CHECK64 qword [exc_error], 0x23, "WD1, CR0.WP=1: error code P|W|PK (0x23)"
    lea rax, [rbx+O_K1+0x18]
    CHECK64 qword [exc_cr2], rax, "WD1, CR0.WP=1: CR2"
    CHECK64 qword [exc_eip], .wd2i, "WD1, CR0.WP=1: RIP"
    CHECK64 qword [pg_k1+0x18], 0, "WD1, CR0.WP=1: nothing written"
    SET_WP 0
    TRY64 .wd3
    mov dword [rbx+O_K1+0x18], 0x6666
.wd3:
    ENDTRY64
    CHECK64 qword [exc_vector], -1, "WD1, CR0.WP=0: supervisor write allowed"
    CHECK64 qword [pg_k1+0x18], 0x6666, "WD1, CR0.WP=0: write landed"
    SET_WP 1

    ; ---------------------------------------------------- PKRU is not cached in the TLB
    WRPKRU_IMM 0
    mov eax, [rbx+O_K1]                   ; translation now cached
    mov dword [rbx+O_K1+0x1c], 1          ; (dirty too)
    WRPKRU_IMM 1 << 2                   ; AD1, no TLB invalidation
    TRY64 .st1
    mov eax, [rbx+O_K1]
.st1:
    ENDTRY64
    CHECK64 qword [exc_vector], 14, "WRPKRU AD1 after an access: next read -> #PF (no stale TLB rights)"
    CHECK64 qword [exc_error], 0x21, "stale-TLB check: error code P|PK"
    WRPKRU_IMM 0
    TRY64 .st2
    mov eax, [rbx+O_K1]
.st2:
    ENDTRY64
    CHECK64 qword [exc_vector], -1, "WRPKRU 0: next read allowed again"
    WRPKRU_IMM 2 << 2                   ; WD1
    TRY64 .st3
    mov dword [rbx+O_K1+0x1c], 2
.st3:
    ENDTRY64
    CHECK64 qword [exc_vector], 14, "WRPKRU WD1 after a write: next write -> #PF"

    ; ---------------------------------------------------- CPL 3
    WRPKRU_IMM 2 << 2                   ; WD1
    SET_WP 0                            ; user writes ignore CR0.WP
    mov rbx, user_wd
    call run_user
    mov rbx, HI
    CHECK64 qword [u_val], 0x11111111, "CPL3, WD1: read allowed"
    CHECK64 qword [u_vec], 14, "CPL3, WD1: write -> #PF (even with CR0.WP=0)"
    CHECK64 qword [u_err], 0x27, "CPL3, WD1: error code P|W|U|PK (0x27)"
    lea rax, [rbx+O_K1+0x20]
    CHECK64 qword [u_cr2], rax, "CPL3, WD1: CR2"
    CHECK64 qword [u_rip], user_wd.wi, "CPL3, WD1: RIP"
    CHECK64 qword [u_vec2], -1, "CPL3, WD1: key-0 page writable"
    SET_WP 1
    WRPKRU_IMM 1 << 2                   ; AD1
    mov rbx, user_ad
    call run_user
    mov rbx, HI
    CHECK64 qword [u_vec], 14, "CPL3, AD1: read -> #PF"
    CHECK64 qword [u_err], 0x25, "CPL3, AD1: error code P|U|PK (0x25)"
    lea rax, [rbx+O_K1+0x30]
    CHECK64 qword [u_cr2], rax, "CPL3, AD1: CR2"
    CHECK64 qword [u_vec2], -1, "CPL3, AD1: fetch from the key-1 page is not affected"
    CHECK64 qword [u_val], 0x51515151, "CPL3, AD1: code on the key-1 page ran"

    ; ---------------------------------------------------- CR4.PKE = 0
    mov rax, cr4
    btr rax, 22
    mov cr4, rax
    mov rax, cr3
    mov cr3, rax
    TRY64 .off1
    mov eax, [rbx+O_K1]
.off1:
    ENDTRY64
    CHECK64 qword [exc_vector], -1, "CR4.PKE=0: keys not checked (PKRU AD1 still set)"
    mov eax, 7
    xor ecx, ecx
    cpuid
    and ecx, 1 << 4
    CHECK64 rcx, 0, "CPUID OSPKE = 0 again after clearing CR4.PKE"
    mov rax, cr4
    bts rax, 22
    mov cr4, rax
    WRPKRU_IMM 0
    ret

user_wd:                                ; ring 3, PKRU = WD1
    mov rbx, HI
    mov eax, [rbx+O_K1]
    mov [u_val], rax
    TRY64 .w
.wi:
    mov dword [rbx+O_K1+0x20], 0x7777
.w:
    ENDTRY64
    mov rax, [exc_vector]
    mov [u_vec], rax
    mov rax, [exc_error]
    mov [u_err], rax
    mov rax, [exc_cr2]
    mov [u_cr2], rax
    mov rax, [exc_eip]
    mov [u_rip], rax
    TRY64 .w2
    mov dword [rbx+O_K0+8], 0x8888
.w2:
    ENDTRY64
    mov rax, [exc_vector]
    mov [u_vec2], rax
    int 0x80

user_ad:                                ; ring 3, PKRU = AD1
    mov rbx, HI
    TRY64 .r
    mov eax, [rbx+O_K1+0x30]
.r:
    ENDTRY64
    mov rax, [exc_vector]
    mov [u_vec], rax
    mov rax, [exc_error]
    mov [u_err], rax
    mov rax, [exc_cr2]
    mov [u_cr2], rax
    TRY64 .f
    lea rax, [rbx+O_K1+0x800]
    call rax
    mov [u_val], rax
.f:
    ENDTRY64
    mov rax, [exc_vector]
    mov [u_vec2], rax
    int 0x80

; ============================================================ PKS
; SDM Vol. 3, 4.6.2: with CR4.PKS=1 (bit 24), IA32_PKRS (MSR 0x6E1) controls
; data accesses to supervisor-mode addresses by key; CPUID.7.0:ECX[31].
%macro WRPKRS_IMM 1
    mov ecx, MSR_PKRS
    mov eax, %1
    xor edx, edx
    wrmsr
%endmacro

test_pks:
    MSG64 "-- protection keys for supervisor pages (PKS)"
    test dword [cpuid7_ecx], 1 << 31
    jnz .have
    SKIPMSG64 "PKS (CPUID.7.0:ECX[31] not set)"
    ret
.have:
    mov rbx, HI
    mov rax, cr4
    bts rax, 24
    mov cr4, rax
    mov rax, cr3
    mov cr3, rax
    mov rax, cr4
    shr rax, 24
    and eax, 1
    CHECK64 rax, 1, "CR4.PKS can be set"
    WRPKRS_IMM 0x30
    mov ecx, MSR_PKRS
    rdmsr
    CHECK64 rax, 0x30, "IA32_PKRS reads back"
    CHECK64 rdx, 0, "IA32_PKRS high half 0"
    mov ecx, MSR_PKRS
    xor eax, eax
    mov edx, 1
    TRY64 .r1
    wrmsr
.r1:
    ENDTRY64
    CHECK64 qword [exc_vector], 13, "IA32_PKRS bits 63:32 reserved -> #GP"

    WRPKRS_IMM 0
    mov eax, [rbx+O_S2]
    CHECK64 rax, 0x22222222, "PKRS=0: read of a key-2 supervisor page"
    WRPKRS_IMM 1 << 4                   ; AD2
    TRY64 .a1
.a1i:
    mov eax, [rbx+O_S2+0x10]
.a1:
    ENDTRY64
    CHECK64 qword [exc_vector], 14, "PKRS AD2: read of a key-2 supervisor page -> #PF"
    CHECK64 qword [exc_error], 0x21, "PKRS AD2: error code P|PK (0x21)"
    lea rax, [rbx+O_S2+0x10]
    CHECK64 qword [exc_cr2], rax, "PKRS AD2: CR2"
    CHECK64 qword [exc_eip], .a1i, "PKRS AD2: RIP"
    TRY64 .a2
    mov dword [rbx+O_S2+0x14], 1
.a2:
    ENDTRY64
    CHECK64 qword [exc_error], 0x23, "PKRS AD2: write error code P|W|PK (0x23)"
    TRY64 .a3
    mov eax, [rbx+O_S0]
.a3:
    ENDTRY64
    CHECK64 qword [exc_vector], -1, "PKRS AD2: key-0 supervisor page unaffected"
    TRY64 .a4
    lea rax, [rbx+O_S2+0x800]
    call rax
.a4:
    ENDTRY64
    CHECK64 qword [exc_vector], -1, "PKRS AD2: fetch from the key-2 page is not affected"
    CHECK64 rax, 0x52525252, "PKRS AD2: code on the key-2 page ran"
    WRPKRS_IMM 0
    TRY64 .a5
    mov eax, [rbx+O_S2]
.a5:
    ENDTRY64
    CHECK64 qword [exc_vector], -1, "PKRS 0 again: read allowed (WRMSR takes effect at once)"

    ; PKRS and PKRU each govern only their own kind of page
    WRPKRS_IMM 1 << 2                   ; PKRS AD1
    WRPKRU_IMM 1 << 4                   ; PKRU AD2
    TRY64 .x1
    mov eax, [rbx+O_K1]
    mov eax, [rbx+O_S2]
.x1:
    ENDTRY64
    CHECK64 qword [exc_vector], -1, "PKRS does not affect user pages, PKRU does not affect supervisor pages"
    WRPKRU_IMM 0

    WRPKRS_IMM 2 << 4                   ; WD2
    SET_WP 1
    TRY64 .w1
    mov eax, [rbx+O_S2]
.w1:
    ENDTRY64
    CHECK64 qword [exc_vector], -1, "PKRS WD2: read allowed"
    TRY64 .w2
    mov dword [rbx+O_S2+0x18], 0x9999
.w2:
    ENDTRY64
    CHECK64 qword [exc_vector], 14, "PKRS WD2, CR0.WP=1: write -> #PF"
    CHECK64 qword [exc_error], 0x23, "PKRS WD2, CR0.WP=1: error code P|W|PK (0x23)"
    SET_WP 0
    TRY64 .w3
    mov dword [rbx+O_S2+0x18], 0xaaaa
.w3:
    ENDTRY64
    CHECK64 qword [exc_vector], -1, "PKRS WD2, CR0.WP=0: write allowed"
    CHECK64 qword [pg_s2+0x18], 0xaaaa, "PKRS WD2, CR0.WP=0: write landed"
    SET_WP 1

    WRPKRS_IMM 1 << 4                   ; AD2
    mov rax, cr4
    btr rax, 24
    mov cr4, rax
    mov rax, cr3
    mov cr3, rax
    TRY64 .o1
    mov eax, [rbx+O_S2]
.o1:
    ENDTRY64
    CHECK64 qword [exc_vector], -1, "CR4.PKS=0: supervisor keys not checked"
    WRPKRS_IMM 0
    ret
bits 32

section .data
align 8
cpuid7_ebx: dd 0
cpuid7_ecx: dd 0
dr6_init:   dd 0
db_n:       dd 0
db_limit:   dd 0
db_eips:    dd 0, 0, 0, 0
db_dr6s:    dd 0, 0, 0, 0
db_ecxs:    dd 0, 0, 0, 0
bp_n:       dd 0
bp_eip:     dd 0
ud_rf_flags: dd 0
ud_pushed_rf: dd 0
fpu_m:      dd 0
fpu_cw:     dd 0
align 8
saved_ksp:  dq 0
u_val:      dq 0
u_vec:      dq 0
u_err:      dq 0
u_cr2:      dq 0
u_rip:      dq 0
u_vec2:     dq 0

section .bss
alignb 4096
pdpt_hi:    resb 4096
pd_hi:      resb 4096
pt_hi:      resb 4096
pg_k0:      resb 4096
pg_k1:      resb 4096
pg_s2:      resb 4096
pg_s0:      resb 4096
alignb 16
tss64:      resb 128
kstack:     resb 8192
kstack_top:
ustack:     resb 8192
ustack_top:
