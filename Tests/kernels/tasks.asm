; tasks.asm - hardware task switching (32-bit TSS): JMP to a TSS, CALL to a
; TSS (NT + back-link + busy bits), IRET through the back-link, a task gate
; in the IDT (INT n), registers saved to / loaded from TSSs, LDT and LDT-based
; segment loaded during a switch, and #TS/#NP/#GP for invalid switches.
%include "lib.inc"

SEL_TSSA    equ SEL_FREE+0x00
SEL_TSSB    equ SEL_FREE+0x08
SEL_TSSC    equ SEL_FREE+0x10
SEL_LDT     equ SEL_FREE+0x18
SEL_BADTSS  equ SEL_FREE+0x20       ; limit too small
SEL_NPTSS   equ SEL_FREE+0x28       ; not present
SEL_LDTDATA equ 0x0c                ; LDT index 1, TI=1, RPL 0

; tss_init: edi = TSS, eax = EIP, ebx = ESP
tss_init:
    pushad
    push eax
    push edi
    mov ecx, 104/4
    xor eax, eax
    rep stosd
    pop edi
    pop eax
    mov [edi+32], eax
    mov dword [edi+36], 2
    mov [edi+56], ebx
    mov dword [edi+72], SEL_KDATA
    mov dword [edi+76], SEL_KCODE32
    mov dword [edi+80], SEL_KDATA
    mov dword [edi+84], SEL_KDATA
    mov dword [edi+88], SEL_KDATA
    mov dword [edi+92], SEL_KDATA
    mov word [edi+102], 104
    popad
    ret

; gdt_tss: eax = selector, ebx = TSS base, ecx = limit, dl = access
gdt_tss:
    push edx
    mov dh, 0
    call gdt_set
    pop edx
    ret

main:
    call tss32_install
    ; task A (entered by JMP)
    mov edi, tssA
    mov eax, task_a
    mov ebx, stackA_top
    call tss_init
    mov dword [tssA+40], 0xa0000001     ; EAX
    mov dword [tssA+44], 0xa0000002     ; ECX
    mov dword [tssA+48], 0xa0000003     ; EDX
    mov dword [tssA+52], 0xa0000004     ; EBX
    mov dword [tssA+60], 0xa0000006     ; EBP
    mov dword [tssA+64], 0xa0000007     ; ESI
    mov dword [tssA+68], 0xa0000008     ; EDI
    mov eax, SEL_TSSA
    mov ebx, tssA
    mov ecx, 103
    mov dl, 0x89
    call gdt_tss
    ; task B (entered by CALL), with an LDT
    mov edi, tssB
    mov eax, task_b
    mov ebx, stackB_top
    call tss_init
    mov dword [tssB+88], SEL_LDTDATA    ; FS from the task's LDT
    mov dword [tssB+96], SEL_LDT
    mov eax, SEL_TSSB
    mov ebx, tssB
    mov ecx, 103
    mov dl, 0x89
    call gdt_tss
    ; LDT: entry 1 = data segment based at ldt_area
    mov dword [ldt_table], 0
    mov dword [ldt_table+4], 0
    mov eax, ldt_area
    mov edx, eax
    shl eax, 16
    or eax, 0xfff
    mov [ldt_table+8], eax
    mov eax, edx
    shr eax, 16
    and eax, 0xff
    and edx, 0xff000000
    or eax, edx
    or eax, 0x00409200                  ; P, DPL0, data RW, D/B=1, byte granular
    mov [ldt_table+12], eax
    mov eax, SEL_LDT
    mov ebx, ldt_table
    mov ecx, 15
    mov dl, 0x82                        ; LDT
    mov dh, 0
    call gdt_set
    ; task C (task gate at vector 0x50)
    mov edi, tssC
    mov eax, task_c
    mov ebx, stackC_top
    call tss_init
    mov eax, SEL_TSSC
    mov ebx, tssC
    mov ecx, 103
    mov dl, 0x89
    call gdt_tss
    mov eax, 0x50
    mov ebx, SEL_TSSC
    call idt32_set_task
    ; invalid TSS descriptors
    mov eax, SEL_BADTSS
    mov ebx, tssBad
    mov ecx, 0x50
    mov dl, 0x89
    call gdt_tss
    mov eax, SEL_NPTSS
    mov ebx, tssBad
    mov ecx, 103
    mov dl, 0x09                        ; not present
    call gdt_tss

    ; ------------------------------------------------ JMP to a TSS
    MSG "-- JMP to TSS"
    mov ebx, 0x5a5a0001
    mov esi, 0x5a5a0002
    mov ebp, 0x5a5a0003
    jmp SEL_TSSA:0
.after_jmp:
    CHECK ebx, 0x5a5a0001, "JMP back to main task: EBX restored from main TSS"
    CHECK esi, 0x5a5a0002, "JMP back to main task: ESI restored"
    CHECK ebp, 0x5a5a0003, "JMP back to main task: EBP restored"
    CHECK dword [a_ran], 1, "task A ran"
    CHECK dword [tssA+32], task_a.after, "task A's TSS: EIP saved at its JMP back"
    CHECK dword [tssA+40], 0xa0a0a0a0, "task A's TSS: EAX saved"
    movzx eax, byte [gdt+SEL_TSSA+5]
    CHECK eax, 0x89, "task A's TSS descriptor no longer busy after it JMPed away"
    movzx eax, byte [gdt+SEL_TSS+5]
    CHECK eax, 0x8b, "main TSS busy again"
    str ax
    movzx eax, ax
    CHECK eax, SEL_TSS, "TR = main TSS"
    pushfd
    pop eax
    and eax, 0x4000
    CHECK eax, 0, "JMP task switch: NT clear"

    ; ------------------------------------------------ CALL to a TSS, IRET back
    MSG "-- CALL to TSS, IRET via back-link"
    mov eax, 0xc0000001
    mov ecx, 0xc0000002
    mov edx, 0xc0000003
    mov ebx, 0xc0000004
    mov ebp, 0xc0000006
    mov esi, 0xc0000007
    mov edi, 0xc0000008
    call SEL_TSSB:0
.after_call:
    CHECK eax, 0xc0000001, "after IRET task return: EAX restored"
    CHECK ecx, 0xc0000002, "after IRET task return: ECX restored"
    CHECK edx, 0xc0000003, "after IRET task return: EDX restored"
    CHECK ebx, 0xc0000004, "after IRET task return: EBX restored"
    CHECK ebp, 0xc0000006, "after IRET task return: EBP restored"
    CHECK esi, 0xc0000007, "after IRET task return: ESI restored"
    CHECK edi, 0xc0000008, "after IRET task return: EDI restored"
    CHECK dword [b_ran], 1, "task B ran"
    movzx eax, byte [gdt+SEL_TSSB+5]
    CHECK eax, 0x89, "IRET task return clears the nested task's busy bit"
    movzx eax, byte [gdt+SEL_TSS+5]
    CHECK eax, 0x8b, "main TSS still busy"
    pushfd
    pop eax
    and eax, 0x4000
    CHECK eax, 0, "main task NT clear after return"
    sldt ax
    movzx eax, ax
    CHECK eax, 0, "main task LDTR restored (0)"
    mov ax, fs
    movzx eax, ax
    CHECK eax, SEL_KDATA, "main task FS restored"
    CHECK dword [tssB+32], task_b.after_iret, "task B's TSS: EIP saved at its IRET"

    ; ------------------------------------------------ task gate in the IDT
    MSG "-- task gate (INT 0x50)"
    mov dword [c_count], 0
    int 0x50
    CHECK dword [c_count], 1, "INT through task gate runs task C"
    CHECK dword [c_link], SEL_TSS, "task C back-link = main TSS"
    mov eax, [c_eflags]
    and eax, 0x4000
    CHECK eax, 0x4000, "task C runs with NT set"
    CHECK dword [c_tr], SEL_TSSC, "task C: TR"
    movzx eax, byte [gdt+SEL_TSSC+5]
    CHECK eax, 0x89, "task C not busy after IRET"
    int 0x50
    CHECK dword [c_count], 2, "second INT resumes task C after its IRET, ECX kept in its TSS"

    ; ------------------------------------------------ invalid task switches
    MSG "-- invalid task switches"
    TRY .ts1
.ts1i:
    jmp SEL_BADTSS:0
.ts1:
    ENDTRY
    CHECK dword [exc_vector], 10, "JMP to TSS with limit < 0x67 -> #TS"
    CHECK dword [exc_error], SEL_BADTSS, "#TS error code = TSS selector"
    CHECK dword [exc_eip], .ts1i, "#TS EIP = the JMP (old task context)"
    TRY .np1
    call SEL_NPTSS:0
.np1:
    ENDTRY
    CHECK dword [exc_vector], 11, "CALL to not-present TSS -> #NP"
    CHECK dword [exc_error], SEL_NPTSS, "#NP error code = TSS selector"
    TRY .gp1
    jmp SEL_TSS:0
.gp1:
    ENDTRY
    CHECK dword [exc_vector], 13, "JMP to a busy TSS (own) -> #GP"
    CHECK dword [exc_error], SEL_TSS, "#GP error code = busy TSS selector"
    mov word [tss32], SEL_TSSA          ; back-link to a non-busy TSS
    pushfd
    or dword [esp], 0x4000              ; NT
    popfd
    TRY .ts2
    iret
.ts2:
    ENDTRY
    pushfd
    and dword [esp], ~0x4000
    popfd
    mov word [tss32], 0
    CHECK dword [exc_vector], 10, "IRET with NT to a non-busy back-link TSS -> #TS"
    CHECK dword [exc_error], SEL_TSSA, "#TS error code = back-link selector"
    ret

; ------------------------------------------------ task A (JMP)
task_a:
    CHECK eax, 0xa0000001, "task A: EAX loaded from TSS"
    CHECK ecx, 0xa0000002, "task A: ECX loaded from TSS"
    CHECK edx, 0xa0000003, "task A: EDX loaded from TSS"
    CHECK ebx, 0xa0000004, "task A: EBX loaded from TSS"
    CHECK ebp, 0xa0000006, "task A: EBP loaded from TSS"
    CHECK esi, 0xa0000007, "task A: ESI loaded from TSS"
    CHECK edi, 0xa0000008, "task A: EDI loaded from TSS"
    mov eax, esp
    CHECK eax, stackA_top, "task A: ESP loaded from TSS"
    str ax
    movzx eax, ax
    CHECK eax, SEL_TSSA, "task A: TR = task A TSS"
    pushfd
    pop eax
    and eax, 0x4000
    CHECK eax, 0, "task A: JMP does not set NT"
    movzx eax, word [tssA]
    CHECK eax, 0, "task A: JMP does not write the back-link"
    movzx eax, byte [gdt+SEL_TSSA+5]
    CHECK eax, 0x8b, "task A: new TSS descriptor busy"
    movzx eax, byte [gdt+SEL_TSS+5]
    CHECK eax, 0x89, "task A: old TSS busy bit cleared by JMP"
    CHECK dword [tss32+32], main.after_jmp, "main TSS: EIP saved = after the JMP"
    CHECK dword [tss32+52], 0x5a5a0001, "main TSS: EBX saved"
    CHECK dword [tss32+64], 0x5a5a0002, "main TSS: ESI saved"
    mov dword [a_ran], 1
    mov eax, 0xa0a0a0a0
    jmp SEL_TSS:0
.after:
    jmp $

; ------------------------------------------------ task B (CALL, IRET)
task_b:
    mov dword [b_ran], 1
    pushfd
    pop eax
    and eax, 0x4000
    CHECK eax, 0x4000, "task B: CALL sets NT"
    movzx eax, word [tssB]
    CHECK eax, SEL_TSS, "task B: back-link = main TSS"
    movzx eax, byte [gdt+SEL_TSSB+5]
    CHECK eax, 0x8b, "task B: its TSS busy"
    movzx eax, byte [gdt+SEL_TSS+5]
    CHECK eax, 0x8b, "task B: caller TSS stays busy"
    sldt ax
    movzx eax, ax
    CHECK eax, SEL_LDT, "task B: LDTR loaded from TSS"
    mov ax, fs
    movzx eax, ax
    CHECK eax, SEL_LDTDATA, "task B: FS loaded from TSS (LDT selector)"
    mov eax, [fs:0]
    CHECK eax, 0x1d71d7, "task B: FS base from the task's LDT descriptor"
    mov ax, SEL_LDTDATA
    mov gs, ax
    mov eax, [gs:4]
    CHECK eax, 0x2d72d7, "task B: load GS from the LDT"
    CHECK dword [tss32+32], main.after_call, "main TSS: EIP saved = after the CALL"
    CHECK dword [tss32+40], 0xc0000001, "main TSS: EAX saved"
    CHECK dword [tss32+44], 0xc0000002, "main TSS: ECX saved"
    CHECK dword [tss32+48], 0xc0000003, "main TSS: EDX saved"
    CHECK dword [tss32+52], 0xc0000004, "main TSS: EBX saved"
    CHECK dword [tss32+60], 0xc0000006, "main TSS: EBP saved"
    CHECK dword [tss32+64], 0xc0000007, "main TSS: ESI saved"
    CHECK dword [tss32+68], 0xc0000008, "main TSS: EDI saved"
    mov eax, [tss32+36]
    and eax, 0x4000
    CHECK eax, 0, "main TSS: saved EFLAGS has NT clear"
    xor eax, eax
    mov gs, ax
    iret
.after_iret:
    jmp $

; ------------------------------------------------ task C (task gate)
task_c:
.loop:
    inc ecx
    mov [c_count], ecx
    pushfd
    pop eax
    mov [c_eflags], eax
    movzx eax, word [tssC]
    mov [c_link], eax
    str ax
    movzx eax, ax
    mov [c_tr], eax
    iret
    jmp .loop

section .data
align 4
a_ran:      dd 0
b_ran:      dd 0
c_count:    dd 0
c_eflags:   dd 0
c_link:     dd 0
c_tr:       dd 0
ldt_area:   dd 0x1d71d7, 0x2d72d7

section .bss
alignb 16
tssA:       resb 128
tssB:       resb 128
tssC:       resb 128
tssBad:     resb 128
ldt_table:  resb 16
stackA:     resb 4096
stackA_top:
stackB:     resb 4096
stackB_top:
stackC:     resb 4096
stackC_top:
