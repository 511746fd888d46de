; longmode.asm - 64-bit mode: 64-bit IDT gates, #UD/#GP/#SS/#PF with error
; codes and RIP, non-canonical addresses, IST stacks (INT n and #DF), 16-byte
; stack alignment on interrupts, SYSCALL/SYSRET (STAR/LSTAR/FMASK), SWAPGS and
; the FS/GS base MSRs, RIP-relative addressing, CMPXCHG16B, RDTSCP/TSC_AUX,
; RDPID, INT n from ring 3 through a DPL3 gate and IRETQ back.
; swemu-args: -cpu max
%include "lib.inc"

MSR_EFER    equ 0xC0000080
MSR_STAR    equ 0xC0000081
MSR_LSTAR   equ 0xC0000082
MSR_FMASK   equ 0xC0000084
MSR_FSBASE  equ 0xC0000100
MSR_GSBASE  equ 0xC0000101
MSR_KGSBASE equ 0xC0000102
MSR_TSCAUX  equ 0xC0000103

main:
    ; 64-bit TSS descriptor (16 bytes at SEL_TSS, upper half already zero)
    mov eax, SEL_TSS
    mov ebx, tss64
    mov ecx, 103
    mov dl, 0x89
    mov dh, 0
    call gdt_set
    call lm_enter
bits 64
    mov ecx, MSR_EFER
    rdmsr
    and eax, 1 << 10
    CHECK64 rax, 1 << 10, "EFER.LMA set in 64-bit mode"
    mov ax, cs
    movzx eax, ax
    CHECK64 rax, SEL_KCODE64, "CS is the 64-bit code segment"

    ; TSS: RSP0, IST1, IST2
    mov rax, kstack_top
    mov [tss64+4], rax
    mov rax, ist1_top
    mov [tss64+36], rax
    mov rax, ist2_top
    mov [tss64+44], rax
    mov word [tss64+102], 104
    mov ax, SEL_TSS
    ltr ax
    ; make all identity pages user-accessible (U at every level) for ring 3
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
    mov rax, cr3
    mov cr3, rax

    ; ------------------------------------------------ exceptions in 64-bit mode
    TRY64 .ud
.udi:
    ud2
.ud:
    ENDTRY64
    CHECK64 qword [exc_vector], 6, "64-bit #UD from ud2"
    CHECK64 qword [exc_eip], .udi, "64-bit #UD RIP"
    CHECK64 qword [exc_cs], SEL_KCODE64, "64-bit exception frame CS"

    mov rax, 0x0000800000000000
    TRY64 .gp1
.gp1i:
    mov rbx, [rax]
.gp1:
    ENDTRY64
    CHECK64 qword [exc_vector], 13, "non-canonical data address -> #GP"
    CHECK64 qword [exc_error], 0, "non-canonical #GP error code 0"
    CHECK64 qword [exc_eip], .gp1i, "non-canonical #GP RIP"
    mov rax, 0xffff7fffffffff00
    TRY64 .gp2
    mov qword [rax], 1
.gp2:
    ENDTRY64
    CHECK64 qword [exc_vector], 13, "non-canonical (upper half hole) write -> #GP"
    mov rbp, 0x0000900000000000
    TRY64 .ss1
    mov rax, [rbp]
.ss1:
    ENDTRY64
    CHECK64_ALT qword [exc_vector], 12, 13, "non-canonical SS-relative address -> #SS (QEMU: #GP)"
    CHECK64 qword [exc_error], 0, "non-canonical #SS error code 0"
    mov rax, 0x0001000000000000
    TRY64 .gp3
.gp3i:
    jmp rax
.gp3:
    ENDTRY64
    CHECK64 qword [exc_vector], 13, "jmp to non-canonical address -> #GP"
    mov rcx, 0x0001000000000000
    CHECK64_ALT qword [exc_eip], .gp3i, rcx, "jmp non-canonical: RIP = the jmp (QEMU: the target)"
    mov ax, GDT_ENTRIES*8
    TRY64 .gp4
    mov fs, ax
.gp4:
    ENDTRY64
    CHECK64 qword [exc_error], GDT_ENTRIES*8, "64-bit #GP error code = selector"
    mov ecx, MSR_FSBASE
    mov edx, 0x00008000
    xor eax, eax
    TRY64 .gp5
    wrmsr
.gp5:
    ENDTRY64
    NOT_RAISED64 .gp5s, "wrmsr FS_BASE non-canonical -> #GP"
    CHECK64 qword [exc_vector], 13, "wrmsr FS_BASE non-canonical -> #GP"
.gp5s:
    mov rax, 0x100000010                ; beyond the 4 GiB identity map
    TRY64 .pf1
.pf1i:
    mov rbx, [rax]
.pf1:
    ENDTRY64
    CHECK64 qword [exc_vector], 14, "64-bit #PF not present"
    CHECK64 qword [exc_error], 0, "64-bit #PF error code 0"
    mov rax, 0x100000010
    CHECK64 qword [exc_cr2], rax, "64-bit #PF CR2 above 4 GiB"
    CHECK64 qword [exc_eip], .pf1i, "64-bit #PF RIP"
    mov rax, 0x100000010
    TRY64 .pf2
    mov [rax], rbx
.pf2:
    ENDTRY64
    CHECK64 qword [exc_error], 2, "64-bit #PF write error code 2"
    TRY64 .sc0
    syscall                             ; EFER.SCE=0
.sc0:
    ENDTRY64
    CHECK64 qword [exc_vector], 6, "syscall with EFER.SCE=0 -> #UD"

    ; ------------------------------------------------ interrupt stack alignment and IST
    mov eax, 0x40
    mov rbx, int_probe
    mov edx, 0x008e                     ; no IST
    call idt64_set
    mov eax, 0x41
    mov edx, 0x018e                     ; IST1
    call idt64_set
    mov [saved_rsp], rsp
    and rsp, ~15
    sub rsp, 8                          ; misaligned by 8
    mov [probe_old_rsp], rsp
    int 0x40
    mov rsp, [saved_rsp]
    mov rax, [probe_old_rsp]
    and rax, ~15
    sub rax, 40
    CHECK64 qword [probe_rsp], rax, "interrupt without IST: RSP aligned to 16 then 5 qwords pushed"
    mov rax, [probe_old_rsp]
    CHECK64 qword [probe_frame_rsp], rax, "interrupt frame: pushed RSP is the unaligned old RSP"
    CHECK64 qword [probe_frame_ss], SEL_KDATA64, "64-bit interrupt frame pushes SS"
    int 0x41
    mov rax, ist1_top-40
    CHECK64 qword [probe_rsp], rax, "IST1: handler RSP = IST1 - 40"
    mov rax, rsp
    CHECK64 qword [probe_frame_rsp], rax, "IST1: pushed RSP = interrupted RSP"

    ; #DF on IST2: #DE gate not present -> #NP -> #DF
    mov eax, 8
    mov rbx, df_handler
    mov edx, 0x028e
    call idt64_set
    and byte [idt64+0*16+5], 0x7f
    mov [saved_rsp], rsp
    xor ecx, ecx
    mov eax, 1
    xor edx, edx
    div ecx
    ; not reached: df_handler resumes at .df_back
.df_back:
    or byte [idt64+0*16+5], 0x80
    CHECK64 qword [df_count], 1, "#DF delivered (contributory #DE then #NP)"
    mov rax, ist2_top-48
    CHECK64 qword [df_rsp], rax, "#DF on IST2: RSP = IST2 - 48 (frame + error code)"
    CHECK64 qword [df_err], 0, "#DF error code 0"

    ; ------------------------------------------------ FS/GS base, SWAPGS
    mov ecx, MSR_FSBASE
    mov eax, fsarea
    xor edx, edx
    wrmsr
    mov ecx, MSR_GSBASE
    mov eax, gsarea_a
    wrmsr
    mov ecx, MSR_KGSBASE
    mov eax, gsarea_b
    wrmsr
    mov rax, [fs:0]
    CHECK64 rax, 0xf5f5, "FS base MSR: fs:0 reads fsarea"
    mov rax, [gs:0]
    CHECK64 rax, 0xaaaa, "GS base MSR: gs:0 reads area A"
    swapgs
    mov rax, [gs:0]
    CHECK64 rax, 0xbbbb, "SWAPGS: gs:0 reads area B"
    mov ecx, MSR_GSBASE
    rdmsr
    CHECK64 rax, gsarea_b, "SWAPGS: GS_BASE now B"
    mov ecx, MSR_KGSBASE
    rdmsr
    CHECK64 rax, gsarea_a, "SWAPGS: KERNEL_GS_BASE now A"
    swapgs
    mov rax, [gs:8]
    CHECK64 rax, 0xa8a8, "SWAPGS twice: back to A"
    mov ecx, MSR_GSBASE
    mov rax, 0xffff800000001000         ; canonical high address is accepted
    mov rdx, rax
    shr rdx, 32
    wrmsr
    rdmsr
    shl rdx, 32
    or rax, rdx
    mov rbx, 0xffff800000001000
    CHECK64 rax, rbx, "GS_BASE holds a 64-bit canonical address"
    mov ecx, MSR_GSBASE
    mov eax, gsarea_a
    xor edx, edx
    wrmsr

    ; ------------------------------------------------ RIP-relative addressing
    lea rax, [rel ripvar]
    mov rbx, ripvar
    CHECK64 rax, rbx, "lea rip-relative = absolute address"
    mov rax, [rel ripvar]
    mov rbx, 0x0123456789abcdef
    CHECK64 rax, rbx, "mov rip-relative load"
    mov dword [rel ripvar+8], 0x5555
    CHECK64 qword [ripvar+8], 0x5555, "rip-relative store with immediate (disp after imm)"
    ; copy a rip-relative lea to another address: the result must follow the code
    mov rsi, riprel_blob
    mov rdi, codebuf
    mov ecx, riprel_blob_len
    rep movsb
    call codebuf
    lea rbx, [codebuf+7]
    CHECK64 rax, rbx, "rip-relative lea in relocated code uses its own RIP"

    ; ------------------------------------------------ CMPXCHG16B
    mov eax, 1
    cpuid
    test ecx, 1 << 13
    jnz .cx16
    SKIPMSG64 "cmpxchg16b (no CPUID CX16)"
    jmp .cx16_done
.cx16:
    mov qword [cx16var], 1
    mov qword [cx16var+8], 2
    mov eax, 1
    mov edx, 2
    mov ebx, 3
    mov ecx, 4
    lock cmpxchg16b [cx16var]
    PASS_IF64 z, "cmpxchg16b equal: ZF=1"
    CHECK64 qword [cx16var], 3, "cmpxchg16b equal: low qword stored"
    CHECK64 qword [cx16var+8], 4, "cmpxchg16b equal: high qword stored"
    mov eax, 1
    mov edx, 2
    mov ebx, 5
    mov ecx, 6
    cmpxchg16b [cx16var]
    PASS_IF64 nz, "cmpxchg16b not equal: ZF=0"
    CHECK64 rax, 3, "cmpxchg16b not equal: RAX loaded"
    CHECK64 rdx, 4, "cmpxchg16b not equal: RDX loaded"
    CHECK64 qword [cx16var], 3, "cmpxchg16b not equal: memory unchanged"
    TRY64 .cx16b
    cmpxchg16b [cx16var+8]
.cx16b:
    ENDTRY64
    CHECK64 qword [exc_vector], 13, "cmpxchg16b misaligned -> #GP"
.cx16_done:

    ; ------------------------------------------------ RDTSCP / TSC_AUX / RDPID
    mov eax, 0x80000001
    cpuid
    test edx, 1 << 27
    jnz .rdtscp
    SKIPMSG64 "rdtscp (no CPUID RDTSCP)"
    jmp .rdtscp_done
.rdtscp:
    mov ecx, MSR_TSCAUX
    mov eax, 0x1234
    xor edx, edx
    wrmsr
    rdtsc
    shl rdx, 32
    or rax, rdx
    mov rbx, rax
    xor ecx, ecx
    rdtscp
    CHECK64 rcx, 0x1234, "rdtscp: ECX = TSC_AUX"
    shl rdx, 32
    or rax, rdx
    cmp rax, rbx
    PASS_IF64 ae, "rdtscp: TSC does not go backwards"
.rdtscp_done:
    mov eax, 7
    xor ecx, ecx
    cpuid
    test ecx, 1 << 22
    jnz .rdpid
    SKIPMSG64 "rdpid (no CPUID RDPID)"
    jmp .rdpid_done
.rdpid:
    mov ecx, MSR_TSCAUX
    mov eax, 0x4321
    xor edx, edx
    wrmsr
    xor eax, eax
    rdpid rax
    CHECK64 rax, 0x4321, "rdpid = TSC_AUX"
.rdpid_done:

    ; ------------------------------------------------ SYSCALL / SYSRET, ring 3, INT n
    mov eax, 0x80
    mov rbx, int80_handler
    mov edx, 0x00ee                     ; DPL3
    call idt64_set
    mov eax, 0x81
    mov edx, 0x008e                     ; DPL0
    call idt64_set
    mov ecx, MSR_STAR
    xor eax, eax
    mov edx, (SEL_UCODE32 << 16) | SEL_KCODE64   ; SYSRET base 0x28, SYSCALL CS 0x18
    wrmsr
    mov ecx, MSR_LSTAR
    mov eax, syscall_entry
    xor edx, edx
    wrmsr
    mov ecx, MSR_FMASK
    mov eax, 0x700                      ; TF | IF | DF
    xor edx, edx
    wrmsr
    mov ecx, MSR_EFER
    rdmsr
    or eax, 1                           ; SCE
    wrmsr
    mov ecx, MSR_KGSBASE
    mov eax, percpu
    xor edx, edx
    wrmsr
    mov rax, kstack2_top
    mov [percpu], rax
    mov [saved_rsp], rsp
    mov rcx, user_main
    mov r11, 0x2
    mov rsp, ustack_top
    o64 sysret
.user_back:
    CHECK64 qword [u_cs], SEL_UCODE64, "SYSRET: CS = STAR[63:48]+16 | 3"
    CHECK64 qword [u_ss], SEL_UDATA, "SYSRET: SS = STAR[63:48]+8 | 3"
    CHECK64 qword [sc_cs], SEL_KCODE64, "SYSCALL: CS = STAR[47:32]"
    CHECK64 qword [sc_ss], SEL_KDATA64, "SYSCALL: SS = STAR[47:32]+8"
    CHECK64 qword [sc_rcx], user_main.after_sc, "SYSCALL: RCX = return RIP"
    mov rax, [sc_r11]
    and eax, 0x400
    CHECK64 rax, 0x400, "SYSCALL: R11 = user RFLAGS (DF=1)"
    mov rax, [sc_rflags]
    and eax, 0x700
    CHECK64 rax, 0, "SYSCALL: RFLAGS masked by FMASK"
    mov rax, ustack_top-8
    CHECK64 qword [sc_ursp], rax, "SYSCALL: RSP unchanged (user stack), saved via SWAPGS area"
    CHECK64 qword [sc_gs], 0x9999, "SYSCALL handler: SWAPGS gives kernel GS base"
    CHECK64 qword [u_sc_ret], 0x5678, "SYSRET: RAX returned to ring 3"
    CHECK64 qword [u_df], 0x400, "SYSRET: RFLAGS restored from R11 (DF=1)"
    CHECK64 qword [u_gs0], 0xaaaa, "ring 3 GS base restored by SWAPGS"
    CHECK64 qword [i80_cs], SEL_UCODE64, "int 0x80 from ring 3: pushed CS"
    CHECK64 qword [i80_rip], user_main.after_int, "int 0x80 from ring 3: pushed RIP"
    CHECK64 qword [i80_ss], SEL_UDATA, "int 0x80 from ring 3: pushed SS"
    mov rax, ustack_top-8
    CHECK64 qword [i80_ursp], rax, "int 0x80 from ring 3: pushed RSP"
    mov rax, kstack_top-40
    CHECK64 qword [i80_ksp], rax, "int 0x80 from ring 3: RSP0 from TSS"
    CHECK64 qword [u_i80_ret], 0x8080, "IRETQ back to ring 3"
    CHECK64 qword [u_i80_cs], SEL_UCODE64, "after IRETQ: CS is ring 3"
    CHECK64 qword [u_gp_vec], 13, "ring 3 int to DPL0 gate -> #GP"
    CHECK64_ALT qword [u_gp_err], 0x81*8+2, 0x81*16+2, "ring 3 int to DPL0 gate: error code vector*8+2 (QEMU: vector*16+2)"
    CHECK64 qword [u_priv_vec], 13, "ring 3 hlt -> #GP"
    CHECK64 qword [u_done], 1, "ring 3 code completed"
    jmp finish64

; ------------------------------------------------ handlers
int_probe:
    mov [probe_rsp], rsp
    push rax
    mov rax, [rsp+8+24]
    mov [probe_frame_rsp], rax
    mov rax, [rsp+8+32]
    mov [probe_frame_ss], rax
    pop rax
    iretq

df_handler:
    mov [df_rsp], rsp
    pop qword [df_err]
    inc qword [df_count]
    mov rsp, [saved_rsp]
    jmp main.df_back

syscall_entry:
    swapgs
    mov [gs:8], rsp
    mov rsp, [gs:0]
    test rax, rax
    jz .exit
    push rax
    mov [sc_rcx], rcx
    mov [sc_r11], r11
    pushfq
    pop qword [sc_rflags]
    mov ax, cs
    movzx eax, ax
    mov [sc_cs], rax
    mov ax, ss
    movzx eax, ax
    mov [sc_ss], rax
    mov rax, [gs:8]
    mov [sc_ursp], rax
    mov rax, [gs:16]
    mov [sc_gs], rax
    pop rax
    mov eax, 0x5678
    mov rsp, [gs:8]
    swapgs
    o64 sysret
.exit:
    swapgs
    mov rsp, [saved_rsp]
    jmp main.user_back

int80_handler:
    mov [i80_ksp], rsp
    push rax
    mov rax, [rsp+8]
    mov [i80_rip], rax
    mov rax, [rsp+16]
    mov [i80_cs], rax
    mov rax, [rsp+32]
    mov [i80_ursp], rax
    mov rax, [rsp+40]
    mov [i80_ss], rax
    pop rax
    mov eax, 0x8080
    iretq

; ------------------------------------------------ ring 3 (64-bit)
user_main:
    mov ax, cs
    movzx eax, ax
    mov [u_cs], rax
    mov ax, ss
    movzx eax, ax
    mov [u_ss], rax
    push 0                              ; RSP = ustack_top-8
    std
    mov eax, 1
    syscall
.after_sc:
    pushfq
    pop rbx
    cld
    and ebx, 0x400
    mov [u_df], rbx
    mov [u_sc_ret], rax
    mov rax, [gs:0]
    mov [u_gs0], rax
    int 0x80
.after_int:
    mov [u_i80_ret], rax
    mov ax, cs
    movzx eax, ax
    mov [u_i80_cs], rax
    TRY64 .g1
    int 0x81
.g1:
    ENDTRY64
    mov rax, [exc_vector]
    mov [u_gp_vec], rax
    mov rax, [exc_error]
    mov [u_gp_err], rax
    TRY64 .g2
    hlt
.g2:
    ENDTRY64
    mov rax, [exc_vector]
    mov [u_priv_vec], rax
    mov qword [u_done], 1
    xor eax, eax
    syscall

riprel_blob:
    lea rax, [rel $ + 7]                ; 7-byte instruction: rax = its own end
    ret
riprel_blob_len equ $ - riprel_blob
bits 32

section .data
align 16
ripvar:     dq 0x0123456789abcdef, 0
cx16var:    dq 0, 0, 0, 0
fsarea:     dq 0xf5f5
gsarea_a:   dq 0xaaaa, 0xa8a8
gsarea_b:   dq 0xbbbb
percpu:     dq 0, 0, 0x9999             ; kernel RSP, saved user RSP, marker
saved_rsp:  dq 0
probe_rsp:  dq 0
probe_old_rsp: dq 0
probe_frame_rsp: dq 0
probe_frame_ss: dq 0
df_rsp:     dq 0
df_err:     dq -1
df_count:   dq 0
sc_rcx:     dq 0
sc_r11:     dq 0
sc_rflags:  dq 0
sc_cs:      dq 0
sc_ss:      dq 0
sc_ursp:    dq 0
sc_gs:      dq 0
u_cs:       dq 0
u_ss:       dq 0
u_df:       dq 0
u_sc_ret:   dq 0
u_gs0:      dq 0
i80_ksp:    dq 0
i80_rip:    dq 0
i80_cs:     dq 0
i80_ursp:   dq 0
i80_ss:     dq 0
u_i80_ret:  dq 0
u_i80_cs:   dq 0
u_gp_vec:   dq 0
u_gp_err:   dq 0
u_priv_vec: dq 0
u_done:     dq 0

section .bss
alignb 16
tss64:      resb 128
codebuf:    resb 64
alignb 16
kstack:     resb 8192
kstack_top:
kstack2:    resb 8192
kstack2_top:
ist1:       resb 4096
ist1_top:
ist2:       resb 4096
ist2_top:
ustack:     resb 8192
ustack_top:
