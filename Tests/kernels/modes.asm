; modes.asm - processor mode transitions:
;   32-bit PM -> 16-bit PM -> real mode (IVT INT n handler, #DE through the IVT,
;   far jumps/calls, segment arithmetic, 32-bit operands) -> back to 32-bit PM;
;   virtual-8086 mode entered with IRET (VM=1) using a TSS for ESP0/SS0, INT n
;   from v86 (IOPL=3) to a ring-0 handler with the v86 frame (ES/DS/FS/GS),
;   IRET back into v86, and INT n with IOPL<3 -> #GP(0);
;   long mode (PAE + EFER.LME + CR0.PG), 64-bit code, compatibility mode via
;   far return / far call and back via far jump / far return, and finally
;   leaving long mode to 32-bit legacy protected mode.
%include "lib.inc"

SEL_C16     equ SEL_FREE+0x00       ; 16-bit code, base 0x8000
SEL_D16     equ SEL_FREE+0x08       ; 16-bit data, base 0x8000
LOWBASE     equ 0x8000              ; the 16-bit blob is copied here
LOWSEG      equ LOWBASE >> 4
%define B(x) ((x) - blob_start)
%define R(x) (LOWBASE + B(x))       ; linear address of a blob variable

main:
    ; copy the 16-bit blob to low memory
    mov esi, blob_start
    mov edi, LOWBASE
    mov ecx, blob_end - blob_start
    rep movsb
    mov eax, SEL_C16
    mov ebx, LOWBASE
    mov ecx, 0xffff
    mov dl, 0x9a
    mov dh, 0
    call gdt_set
    mov eax, SEL_D16
    mov dl, 0x92
    call gdt_set

    ; ------------------------------------------------ 16-bit PM and real mode
    MSG "-- 32-bit PM -> 16-bit PM -> real mode -> 32-bit PM"
    mov [saved_esp], esp
    jmp SEL_C16:B(pm16_entry)
pm32_back:
    mov ax, SEL_KDATA
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov esp, [saved_esp]
    lidt [idt32_desc]
    mov eax, cr0
    and eax, 1
    CHECK eax, 1, "back in 32-bit protected mode: CR0.PE=1"
    movzx eax, word [R(r_pm16_push)]
    CHECK eax, 2, "16-bit PM: push ax moves SP by 2"
    mov eax, [R(r_pm16_cr0)]
    and eax, 1
    CHECK eax, 1, "16-bit PM: CR0.PE=1"
    movzx eax, word [R(r_pm16_cs)]
    CHECK eax, SEL_C16, "16-bit PM: CS = 16-bit code selector"
    movzx eax, word [R(r_pm16_data)]
    CHECK eax, 0xbeef, "16-bit PM: data via 16-bit data segment (base 0x8000)"
    movzx eax, word [R(r_rm_cs)]
    CHECK eax, LOWSEG, "real mode: CS after far jump"
    mov eax, [R(r_rm_cr0)]
    and eax, 1
    CHECK eax, 0, "real mode: CR0.PE=0"
    movzx eax, word [R(r_rm_seg)]
    CHECK eax, 0x1234, "real mode: 1000:0010 and 1001:0000 are the same byte"
    CHECK dword [0x10010], 0x1234, "real mode: segment*16+offset = linear 0x10010"
    movzx eax, word [R(r_rm_wrap)]
    CHECK eax, 0x5678, "real mode: 16-bit effective address wraps at 64 KiB"
    movzx eax, word [R(r_int_ip)]
    CHECK eax, B(rm_after_int), "real mode INT n: pushed IP = after int"
    movzx eax, word [R(r_int_cs)]
    CHECK eax, LOWSEG, "real mode INT n: pushed CS"
    movzx eax, word [R(r_int_ax)]
    CHECK eax, 0x4322, "real mode INT n: IVT handler ran and IRET returned"
    movzx eax, word [R(r_int_if)]
    CHECK eax, 0, "real mode INT n: handler runs with TF/IF cleared"
    movzx eax, word [R(r_int_flags)]
    and eax, 0x0001
    CHECK eax, 1, "real mode INT n: pushed FLAGS (CF=1 before int)"
    movzx eax, word [R(r_de_ip)]
    CHECK eax, B(rm_div), "real mode #DE through IVT[0]: pushed IP = div"
    movzx eax, word [R(r_de_count)]
    CHECK eax, 1, "real mode #DE: handler ran once"
    movzx eax, word [R(r_far_cs)]
    CHECK eax, LOWSEG-0x10, "real mode far jmp: CS = 0x07f0 (same code, different segment)"
    movzx eax, word [R(r_fcall_cs)]
    CHECK eax, LOWSEG, "real mode far call: pushed CS"
    movzx eax, word [R(r_fcall_ip)]
    CHECK eax, B(rm_after_fcall), "real mode far call: pushed IP"
    CHECK dword [R(r_rm_32)], 0x23456789, "real mode: 32-bit operand-size arithmetic"
    CHECK dword [R(r_rm_done)], 1, "real mode code ran to the end"

    ; ------------------------------------------------ virtual-8086 mode
    MSG "-- virtual-8086 mode"
    call tss32_install
    mov eax, 0x61
    mov ebx, v86_int61
    mov dl, 0xee
    call idt32_set
    mov eax, 0x62
    mov ebx, v86_exit
    mov dl, 0xee
    call idt32_set
    mov eax, 13
    mov ebx, v86_gp
    mov dl, 0x8e
    call idt32_set
    mov [saved_esp], esp
    push dword 0x0000                   ; GS
    push dword 0x1000                   ; FS
    push dword LOWSEG                   ; DS
    push dword 0x2000                   ; ES
    push dword LOWSEG                   ; SS
    push dword 0x6000                   ; SP
    push dword 0x00023002               ; EFLAGS: VM, IOPL=3
    push dword LOWSEG                   ; CS
    push dword B(v86_code)              ; IP
    iret
v86_done:
    mov ax, SEL_KDATA
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    movzx eax, word [R(r_v86_cs)]
    CHECK eax, LOWSEG, "v86: CS from the IRET frame"
    movzx eax, word [R(r_v86_es)]
    CHECK eax, 0x2000, "v86: ES from the IRET frame"
    movzx eax, word [R(r_v86_fs)]
    CHECK eax, 0x1000, "v86: FS from the IRET frame"
    movzx eax, word [R(r_v86_flags)]
    and eax, 0x3000
    CHECK eax, 0x3000, "v86: PUSHF shows IOPL=3"
    CHECK dword [0x20020], 0xabcd, "v86: store via ES=0x2000 hits linear 0x20020"
    movzx eax, word [R(r_v86_mul)]
    CHECK eax, 42, "v86: arithmetic"
    CHECK dword [v_eip], B(v86_after_int61), "v86 INT 0x61 -> ring 0: pushed EIP"
    CHECK dword [v_cs], LOWSEG, "v86 INT: pushed CS"
    mov eax, [v_eflags]
    and eax, 0x23000
    CHECK eax, 0x23000, "v86 INT: pushed EFLAGS has VM=1, IOPL=3"
    CHECK dword [v_esp], 0x6000-2, "v86 INT: pushed ESP"
    CHECK dword [v_ss], LOWSEG, "v86 INT: pushed SS"
    CHECK dword [v_es], 0x2000, "v86 INT: pushed ES"
    CHECK dword [v_ds], LOWSEG, "v86 INT: pushed DS"
    CHECK dword [v_fs], 0x1000, "v86 INT: pushed FS"
    CHECK dword [v_gs], 0x0000, "v86 INT: pushed GS"
    CHECK dword [v_hds], 0, "v86 INT: DS is null in the ring-0 handler"
    CHECK dword [v_hfs], 0, "v86 INT: FS is null in the ring-0 handler"
    CHECK dword [v_hesp], kstack0_top-36, "v86 INT: ring-0 stack from TSS ESP0, 9 dwords pushed"
    CHECK dword [v_hcs], SEL_KCODE32, "v86 INT: handler CS"
    movzx eax, word [R(r_v86_ret)]
    CHECK eax, 0x6161, "IRET from ring 0 back into v86 resumes v86 code"
    CHECK dword [v_exit], 1, "v86 left through INT 0x62"

    ; IOPL=0: INT n in v86 -> #GP(0)
    mov [saved_esp], esp
    push dword 0
    push dword 0
    push dword LOWSEG
    push dword LOWSEG
    push dword LOWSEG
    push dword 0x6000
    push dword 0x00020002               ; VM, IOPL=0
    push dword LOWSEG
    push dword B(v86_code2)
    iret
v86_gp_done:
    mov ax, SEL_KDATA
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    CHECK dword [g_count], 1, "v86 IOPL=0: INT n -> #GP"
    CHECK dword [g_err], 0, "v86 IOPL=0: #GP error code 0"
    CHECK dword [g_eip], B(v86_code2.int), "v86 #GP: pushed EIP = the int"
    mov eax, [g_eflags]
    and eax, 0x20000
    CHECK eax, 0x20000, "v86 #GP: pushed EFLAGS.VM=1"
    mov eax, 13
    mov ebx, exc_stub_13
    mov dl, 0x8e
    call idt32_set

    ; ------------------------------------------------ long mode and compatibility mode
    MSG "-- long mode, compatibility mode"
    call lm_enter
bits 64
    mov ecx, 0xC0000080
    rdmsr
    and eax, 1 << 10
    CHECK64 rax, 1 << 10, "long mode active (EFER.LMA)"
    mov rax, 0x123456789
    add rax, rax
    mov rbx, 0x2468acf12
    CHECK64 rax, rbx, "64-bit arithmetic"
    mov eax, 5
    db 0x48, 0x90                       ; 64-bit: REX.W nop (xchg rax,rax)
    CHECK64 rax, 5, "64-bit mode: 0x48 is a REX prefix"
    ; far return into a 32-bit compatibility-mode code segment
    push SEL_KCODE32
    push compat1
    o64 retf
bits 32
compat1:
    mov ecx, 0xC0000080
    rdmsr
    and eax, 1 << 10
    CHECK eax, 1 << 10, "compatibility mode: EFER.LMA still 1"
    mov ax, cs
    movzx eax, ax
    CHECK eax, SEL_KCODE32, "compatibility mode: CS = 32-bit code segment"
    mov eax, 5
    db 0x48                             ; compat mode: dec eax
    nop
    CHECK eax, 4, "compatibility mode: 0x48 is dec eax"
    mov ebx, esp
    push eax
    sub ebx, esp
    pop eax
    CHECK ebx, 4, "compatibility mode: push is 4 bytes"
    jmp SEL_KCODE64:lm_back
bits 64
lm_back:
    mov ax, cs
    movzx eax, ax
    CHECK64 rax, SEL_KCODE64, "far jmp from compatibility mode back to 64-bit mode"
    mov rbx, rsp
    push rax
    sub rbx, rsp
    pop rax
    CHECK64 rbx, 8, "64-bit mode again: push is 8 bytes"
    ; far call (m16:32) into compatibility mode, 32-bit far return back
    mov eax, 0
    call far dword [farptr_compat]
    CHECK64 rax, 0xc0c0, "far call into compatibility mode and retf back"
    mov ax, cs
    movzx eax, ax
    CHECK64 rax, SEL_KCODE64, "back in 64-bit code after retf"
    ; leave long mode: compatibility mode, paging off, LME off
    push SEL_KCODE32
    push compat_exit
    o64 retf
bits 32
compat_exit:
    mov eax, cr0
    and eax, ~0x80000000
    mov cr0, eax
    mov ecx, 0xC0000080
    rdmsr
    mov ebx, eax
    and eax, ~(1 << 8)
    wrmsr
    and ebx, 1 << 10
    CHECK ebx, 0, "paging off in compatibility mode deactivates long mode (LMA=0)"
    lidt [idt32_desc]
    mov eax, 7
    db 0x48
    nop
    CHECK eax, 6, "legacy 32-bit protected mode after leaving long mode"
    TRY .ud
    ud2
.ud:
    ENDTRY
    CHECK dword [exc_vector], 6, "32-bit IDT works again after leaving long mode"
    ret

compat_func:
    mov eax, 0xc0c0
    retf

; ------------------------------------------------ v86 ring-0 handlers
v86_int61:
    push eax
    push ebx
    mov bx, ds
    mov ax, SEL_KDATA
    mov ds, ax
    movzx ebx, bx
    mov [v_hds], ebx
    mov bx, fs
    movzx ebx, bx
    mov [v_hfs], ebx
    mov bx, cs
    movzx ebx, bx
    mov [v_hcs], ebx
    lea ebx, [esp+8]
    mov [v_hesp], ebx
    mov eax, [esp+8]
    mov [v_eip], eax
    mov eax, [esp+12]
    mov [v_cs], eax
    mov eax, [esp+16]
    mov [v_eflags], eax
    mov eax, [esp+20]
    mov [v_esp], eax
    mov eax, [esp+24]
    mov [v_ss], eax
    mov eax, [esp+28]
    mov [v_es], eax
    mov eax, [esp+32]
    mov [v_ds], eax
    mov eax, [esp+36]
    mov [v_fs], eax
    mov eax, [esp+40]
    mov [v_gs], eax
    pop ebx
    pop eax
    mov eax, 0x6161
    iret

v86_exit:
    mov ax, SEL_KDATA
    mov ds, ax
    mov ss, ax
    mov dword [v_exit], 1
    mov esp, [saved_esp]
    jmp v86_done

v86_gp:
    mov ax, SEL_KDATA
    mov ds, ax
    inc dword [g_count]
    mov eax, [esp]
    mov [g_err], eax
    mov eax, [esp+4]
    mov [g_eip], eax
    mov eax, [esp+12]
    mov [g_eflags], eax
    mov ax, SEL_KDATA
    mov ss, ax
    mov esp, [saved_esp]
    jmp v86_gp_done

; ================================================ 16-bit blob (runs at LOWBASE)
bits 16
blob_start:
pm16_entry:                             ; 16-bit protected mode, CS = SEL_C16
    mov ax, SEL_D16
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7000
    mov bx, sp
    push ax
    sub bx, sp
    pop ax
    mov [B(r_pm16_push)], bx
    mov eax, cr0
    mov [B(r_pm16_cr0)], eax
    mov ax, cs
    mov [B(r_pm16_cs)], ax
    mov word [B(r_pm16_data)], 0xbeef
    ; to real mode
    mov eax, cr0
    and eax, ~1
    mov cr0, eax
    jmp LOWSEG:B(rm_entry)
rm_entry:
    mov ax, LOWSEG
    mov ds, ax
    mov ss, ax
    mov sp, 0x7000
    mov ax, cs
    mov [B(r_rm_cs)], ax
    mov eax, cr0
    mov [B(r_rm_cr0)], eax
    lidt [B(rm_idtr)]
    ; segment arithmetic
    mov ax, 0x1000
    mov es, ax
    mov dword [es:0x10], 0x1234
    mov ax, 0x1001
    mov fs, ax
    mov ax, [fs:0]
    mov [B(r_rm_seg)], ax
    mov word [es:0x20], 0x5678
    mov bx, 0xfff0
    mov ax, [es:bx+0x30]                ; effective address (0xfff0+0x30) mod 64K = 0x20
    mov [B(r_rm_wrap)], ax
    ; INT n through the IVT
    xor ax, ax
    mov es, ax
    mov word [es:0x60*4], B(rm_int60)
    mov word [es:0x60*4+2], LOWSEG
    mov ax, 0x4321
    stc
    int 0x60
rm_after_int:
    mov [B(r_int_ax)], ax
    ; #DE through IVT[0]
    mov word [es:0], B(rm_de)
    mov word [es:2], LOWSEG
    xor cx, cx
    mov ax, 1
    xor dx, dx
rm_div:
    div cx
    ; far jump to the same code through another segment
    jmp (LOWSEG-0x10):(B(rm_far1)+0x100)
rm_far1:
    mov ax, cs
    mov [B(r_far_cs)], ax
    jmp LOWSEG:B(rm_far2)
rm_far2:
    call LOWSEG:B(rm_farfunc)
rm_after_fcall:
    mov eax, 0x12345678
    add eax, 0x11111111
    mov [B(r_rm_32)], eax
    mov dword [B(r_rm_done)], 1
    ; back to protected mode
    mov eax, cr0
    or eax, 1
    mov cr0, eax
    jmp dword SEL_KCODE32:pm32_back

rm_int60:
    push bp
    mov bp, sp
    mov bx, [bp+2]
    mov [B(r_int_ip)], bx
    mov bx, [bp+4]
    mov [B(r_int_cs)], bx
    mov bx, [bp+6]
    mov [B(r_int_flags)], bx
    pushf
    pop bx
    and bx, 0x0300
    mov [B(r_int_if)], bx
    inc ax
    pop bp
    iret

rm_de:
    push bp
    mov bp, sp
    mov bx, [bp+2]
    mov [B(r_de_ip)], bx
    inc word [B(r_de_count)]
    add word [bp+2], 2                  ; skip the 2-byte div
    pop bp
    iret

rm_farfunc:
    push bp
    mov bp, sp
    mov bx, [bp+2]
    mov [B(r_fcall_ip)], bx
    mov bx, [bp+4]
    mov [B(r_fcall_cs)], bx
    pop bp
    retf

v86_code:                               ; virtual-8086 mode, CS = DS = LOWSEG
    mov ax, cs
    mov [B(r_v86_cs)], ax
    mov ax, es
    mov [B(r_v86_es)], ax
    mov ax, fs
    mov [B(r_v86_fs)], ax
    mov word [es:0x20], 0xabcd
    mov word [es:0x22], 0
    mov ax, 6
    mov bx, 7
    mul bx
    mov [B(r_v86_mul)], ax
    pushf
    pop ax
    mov [B(r_v86_flags)], ax
    cli                                 ; allowed with IOPL=3
    push word 0x1234                    ; SP = 0x6000-2 at the int
    mov ax, 0x5555
    int 0x61
v86_after_int61:
    mov [B(r_v86_ret)], ax
    int 0x62
    jmp $

v86_code2:                              ; v86 with IOPL=0
.int:
    int 0x61
    jmp $

align 4
rm_idtr:        dw 0x3ff
                dd 0
r_pm16_push:    dw 0
r_pm16_cs:      dw 0
r_pm16_data:    dw 0
r_rm_cs:        dw 0
r_rm_seg:       dw 0
r_rm_wrap:      dw 0
r_int_ip:       dw 0
r_int_cs:       dw 0
r_int_ax:       dw 0
r_int_if:       dw 0xffff
r_int_flags:    dw 0
r_de_ip:        dw 0
r_de_count:     dw 0
r_far_cs:       dw 0
r_fcall_ip:     dw 0
r_fcall_cs:     dw 0
r_v86_cs:       dw 0
r_v86_es:       dw 0
r_v86_fs:       dw 0
r_v86_flags:    dw 0
r_v86_mul:      dw 0
r_v86_ret:      dw 0
align 4
r_pm16_cr0:     dd 0
r_rm_cr0:       dd 0
r_rm_32:        dd 0
r_rm_done:      dd 0
blob_end:
bits 32

section .data
align 4
saved_esp:  dd 0
farptr_compat: dd compat_func
               dw SEL_KCODE32
align 4
v_eip:      dd 0
v_cs:       dd 0
v_eflags:   dd 0
v_esp:      dd 0
v_ss:       dd 0
v_es:       dd 0
v_ds:       dd 0
v_fs:       dd 0
v_gs:       dd -1
v_hds:      dd -1
v_hfs:      dd -1
v_hcs:      dd 0
v_hesp:     dd 0
v_exit:     dd 0
g_count:    dd 0
g_err:      dd -1
g_eip:      dd 0
g_eflags:   dd 0
