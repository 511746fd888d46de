; exceptions.asm - 32-bit protected-mode exceptions and privilege transitions:
; #DE, #DB (TF single-step, DR0-DR3 breakpoints), #BP, #OF, #BR, #UD, #NP, #GP,
; #SS, #PF (CR2 + error codes), #AC, ring 3 <-> ring 0 via a DPL3 interrupt
; gate and a call gate with parameter copy, IRET to ring 3, and finally a #DF
; delivered through a task gate to a separate TSS.
%include "lib.inc"

SEL_NP      equ SEL_FREE+0x00       ; not-present data segment
SEL_RO      equ SEL_FREE+0x08       ; read-only data segment
SEL_SMALL   equ SEL_FREE+0x10       ; data segment limit 0xfff
SEL_SS2M    equ SEL_FREE+0x18       ; stack segment limit 2 MiB-1
SEL_CGATE   equ SEL_FREE+0x20       ; call gate DPL3 -> ring 0, 2 params
SEL_DFTSS   equ SEL_FREE+0x28       ; #DF task TSS

PAGE_NP     equ 0x300000            ; not present
PAGE_RO     equ 0x301000            ; read-only
PAGE_SUP    equ 0x302000            ; supervisor-only

%macro EXPECT_EXC 3                 ; vector, eip label, name
    CHECK dword [exc_vector], %1, %3
    CHECK dword [exc_eip], %2, %3 %+ ": EIP"
%endmacro

main:
    ; ---------------------------------------------------- #DE
    mov eax, 10
    xor edx, edx
    xor ecx, ecx
    TRY .de1
.de_insn:
    div ecx
.de1:
    ENDTRY
    CHECK dword [exc_vector], 0, "#DE on divide by zero"
    CHECK dword [exc_eip], .de_insn, "#DE EIP = faulting div"
    mov eax, 0x80000000
    cdq
    mov ecx, -1
    TRY .de2
.de2_insn:
    idiv ecx
.de2:
    ENDTRY
    CHECK dword [exc_vector], 0, "#DE on idiv overflow (INT_MIN / -1)"
    CHECK dword [exc_eip], .de2_insn, "#DE (idiv) EIP"

    ; ---------------------------------------------------- #BP
    TRY .bp1
    int3
.bp1:
    ENDTRY
    CHECK dword [exc_vector], 3, "#BP from int3"
    CHECK dword [exc_eip], .bp1, "#BP EIP after int3"
    TRY .bp2
    int 3
.bp2:
    ENDTRY
    CHECK dword [exc_eip], .bp2, "#BP EIP after int 3 (CD 03)"

    ; ---------------------------------------------------- #OF
    mov al, 0x7f
    add al, 1                       ; OF=1
    TRY .of1
    into
.of1:
    ENDTRY
    CHECK dword [exc_vector], 4, "#OF from into with OF=1"
    CHECK dword [exc_eip], .of1, "#OF EIP after into"
    mov al, 1
    add al, 1                       ; OF=0
    TRY .of2
    into
.of2:
    ENDTRY
    CHECK dword [exc_vector], -1, "into with OF=0 does nothing"

    ; ---------------------------------------------------- #BR
    mov eax, 15
    TRY .br1
    bound eax, [bounds]
.br1:
    ENDTRY
    CHECK dword [exc_vector], -1, "bound in range: no exception"
    mov eax, 21
    TRY .br2
.br2_insn:
    bound eax, [bounds]
.br2:
    ENDTRY
    CHECK dword [exc_vector], 5, "#BR from bound above range"
    CHECK dword [exc_eip], .br2_insn, "#BR EIP = bound"
    mov eax, 9
    TRY .br3
    bound eax, [bounds]
.br3:
    ENDTRY
    CHECK dword [exc_vector], 5, "#BR from bound below range"

    ; ---------------------------------------------------- #UD
    TRY .ud1
.ud1_insn:
    ud2
.ud1:
    ENDTRY
    CHECK dword [exc_vector], 6, "#UD from ud2"
    CHECK dword [exc_eip], .ud1_insn, "#UD EIP = ud2"
    TRY .ud2
.ud2_insn:
    db 0xf0, 0x90                   ; lock nop: LOCK on a non-lockable instruction
.ud2:
    ENDTRY
    CHECK dword [exc_vector], 6, "#UD from lock nop"

    ; ---------------------------------------------------- segments: #NP, #GP, #SS
    mov eax, SEL_NP
    xor ebx, ebx
    mov ecx, 0xfffff
    mov dl, 0x12                    ; data RW, DPL0, P=0
    mov dh, 0xc0
    call gdt_set
    mov eax, SEL_RO
    mov dl, 0x90                    ; data read-only, P=1
    call gdt_set
    mov eax, SEL_SMALL
    mov ecx, 0xfff
    mov dl, 0x92
    mov dh, 0x40                    ; byte granular
    call gdt_set
    mov eax, SEL_SS2M
    mov ecx, 0x1ff                  ; 4 KiB granular: 2 MiB - 1
    mov dl, 0x92
    mov dh, 0xc0
    call gdt_set

    mov ax, SEL_NP
    TRY .np1
.np1_insn:
    mov es, ax
.np1:
    ENDTRY
    CHECK dword [exc_vector], 11, "#NP loading not-present segment into ES"
    CHECK dword [exc_error], SEL_NP, "#NP error code = selector"
    CHECK dword [exc_eip], .np1_insn, "#NP EIP = faulting mov"
    mov ax, SEL_NP
    TRY .np2
    mov ss, ax
.np2:
    ENDTRY
    CHECK dword [exc_vector], 12, "#SS loading not-present segment into SS"
    CHECK dword [exc_error], SEL_NP, "#SS error code = selector"

    xor eax, eax
    TRY .gp1
.gp1_insn:
    mov ss, ax
.gp1:
    ENDTRY
    CHECK dword [exc_vector], 13, "#GP loading null selector into SS"
    CHECK dword [exc_error], 0, "#GP(0) for null SS"
    CHECK dword [exc_eip], .gp1_insn, "#GP EIP = faulting mov ss"
    mov ax, GDT_ENTRIES*8
    TRY .gp2
    mov es, ax
.gp2:
    ENDTRY
    CHECK dword [exc_vector], 13, "#GP selector beyond GDT limit"
    CHECK dword [exc_error], GDT_ENTRIES*8, "#GP error code = selector beyond limit"
    mov ax, SEL_KCODE32
    TRY .gp3
    mov ss, ax
.gp3:
    ENDTRY
    CHECK dword [exc_error], SEL_KCODE32, "#GP loading code segment into SS"
    TRY .gp4
    jmp SEL_KDATA:.gp4
.gp4:
    ENDTRY
    CHECK dword [exc_vector], 13, "#GP far jmp to a data segment"
    CHECK dword [exc_error], SEL_KDATA, "#GP far jmp error code = selector"
    mov ax, SEL_RO
    mov es, ax
    TRY .gp5
    mov dword [es:0x2000], 1
.gp5:
    ENDTRY
    NOT_RAISED .gp5s, "#GP write to read-only data segment"
    CHECK dword [exc_vector], 13, "#GP write to read-only data segment"
    CHECK dword [exc_error], 0, "#GP(0) write to read-only segment"
.gp5s:
    mov ax, SEL_SMALL
    mov es, ax
    TRY .gp6
    mov eax, [es:0xffd]             ; last byte at 0x1000 > limit
.gp6:
    ENDTRY
    NOT_RAISED .gp6s, "#GP access crossing data segment limit"
    CHECK dword [exc_vector], 13, "#GP access crossing segment limit"
    CHECK dword [exc_error], 0, "#GP(0) for segment limit violation"
.gp6s:
    TRY .gp7
    mov eax, [es:0xffc]
.gp7:
    ENDTRY
    CHECK dword [exc_vector], -1, "access ending exactly at the limit is fine"
    mov ax, SEL_KDATA
    mov es, ax

    mov ax, SEL_SS2M
    mov ss, ax
    mov ebp, 0x300000
    TRY .ss1
.ss1_insn:
    mov eax, [ebp]                  ; SS-relative, beyond the 2 MiB limit
.ss1:
    ENDTRY
    mov ax, SEL_KDATA
    mov ss, ax
    NOT_RAISED .ss1s, "#SS on SS-relative access beyond limit"
    CHECK dword [exc_vector], 12, "#SS on SS-relative access beyond limit"
    CHECK dword [exc_error], 0, "#SS(0) error code"
    CHECK dword [exc_eip], .ss1_insn, "#SS EIP"
.ss1s:

    ; ---------------------------------------------------- #DB: TF single-step
    mov eax, 1
    mov ebx, db_handler
    mov dl, 0x8e
    call idt32_set
    xor eax, eax
    mov dr6, eax
    mov dr7, eax
    mov dword [db_count], 0
    mov dword [db_steps], 0
    pushfd
    or dword [esp], 0x100
    popfd
    mov eax, 1                      ; traps after this instruction
.tf1:
    nop
    CHECK dword [db_count], 1, "TF: one single-step #DB"
    CHECK dword [db_eip], .tf1, "TF: #DB EIP is after the stepped instruction"
    mov eax, [db_dr6]
    and eax, 0x4000
    CHECK eax, 0x4000, "TF: DR6.BS set"
    ; count several steps
    mov dword [db_count], 0
    mov dword [db_steps], 3
    pushfd
    or dword [esp], 0x100
    popfd
    inc eax
    inc eax
    inc eax
    inc eax
.tf2:
    CHECK dword [db_count], 4, "TF: four consecutive single-steps"
    CHECK dword [db_eip], .tf2, "TF: last step EIP"

    ; ---------------------------------------------------- #DB: DR0-DR3
    xor eax, eax
    mov dr6, eax
    mov dword [db_count], 0
    mov dword [db_steps], 0
    mov eax, .hw0
    mov dr0, eax
    mov eax, 0x00000001             ; L0, execute, len 1
    mov dr7, eax
    xor ecx, ecx
.hw0:
    mov ecx, 0x1234
    xor eax, eax
    mov dr7, eax
    CHECK dword [db_count], 1, "DR0 execute breakpoint: one #DB"
    CHECK dword [db_eip], .hw0, "DR0 execute: fault, EIP = breakpoint address"
    mov eax, [db_dr6]
    and eax, 1
    CHECK eax, 1, "DR0 execute: DR6.B0"
    CHECK ecx, 0x1234, "DR0 execute: instruction runs after RF resume"

    xor eax, eax
    mov dr6, eax
    mov dword [db_count], 0
    mov eax, dbvar
    mov dr1, eax
    mov eax, 0x00d00004 | 0x200     ; L1, RW1=01 (write), LEN1=11 (4 bytes), GE
    mov dr7, eax
    mov eax, [dbvar]                ; read: no trap
    CHECK dword [db_count], 0, "DR1 write breakpoint: read does not trigger"
    mov dword [dbvar], 0x55
.hw1:
    xor eax, eax
    mov dr7, eax
    CHECK dword [db_count], 1, "DR1 write breakpoint: one #DB"
    CHECK dword [db_eip], .hw1, "DR1 write: trap, EIP after the store"
    mov eax, [db_dr6]
    and eax, 2
    CHECK eax, 2, "DR1 write: DR6.B1"
    CHECK dword [dbvar], 0x55, "DR1 write: store completed"

    xor eax, eax
    mov dr6, eax
    mov dword [db_count], 0
    mov eax, dbvar+4
    mov dr2, eax
    mov eax, 0x03000010 | 0x200     ; L2, RW2=11 (read/write), LEN2=00 (1 byte)
    mov dr7, eax
    mov eax, [dbvar+4]              ; 4-byte read overlapping the byte
.hw2:
    xor eax, eax
    mov dr7, eax
    CHECK dword [db_count], 1, "DR2 read/write breakpoint: read triggers"
    CHECK dword [db_eip], .hw2, "DR2 read: trap EIP"
    mov eax, [db_dr6]
    and eax, 4
    CHECK eax, 4, "DR2: DR6.B2"

    xor eax, eax
    mov dr6, eax
    mov dword [db_count], 0
    mov eax, dbvar+8
    mov dr3, eax
    mov eax, 0x70000040 | 0x200     ; L3, RW3=11, LEN3=01 (2 bytes)
    mov dr7, eax
    mov byte [dbvar+10], 1          ; outside the 2-byte range: no trap
    CHECK dword [db_count], 0, "DR3 len 2: access outside range does not trigger"
    mov byte [dbvar+9], 1
.hw3:
    xor eax, eax
    mov dr7, eax
    CHECK dword [db_count], 1, "DR3 len 2: byte write inside range triggers"
    CHECK dword [db_eip], .hw3, "DR3 trap EIP"
    mov eax, [db_dr6]
    and eax, 8
    CHECK eax, 8, "DR3: DR6.B3"
    ; disabled breakpoint: address set, DR7 clear
    mov dword [db_count], 0
    mov eax, .hw4
    mov dr0, eax
.hw4:
    nop
    CHECK dword [db_count], 0, "disabled DR0 (DR7=0) does not trigger"

    ; ---------------------------------------------------- paging + ring 3
    call paging_on
    call tss32_install
    mov eax, 0x80
    mov ebx, user_exit
    mov dl, 0xee                    ; DPL3 interrupt gate
    call idt32_set
    mov eax, 0x81
    mov ebx, user_exit
    mov dl, 0x8e                    ; DPL0 gate: int from ring 3 -> #GP
    call idt32_set
    ; call gate DPL3 -> SEL_KCODE32:cgate_handler, 2 dword params
    mov eax, cgate_handler
    mov edx, eax
    and eax, 0xffff
    or eax, SEL_KCODE32 << 16
    mov [gdt+SEL_CGATE], eax
    and edx, 0xffff0000
    or edx, 0xec02                  ; P, DPL3, type C (32-bit call gate), 2 params
    mov [gdt+SEL_CGATE+4], edx

    ; supervisor #PF
    TRY .pf1
.pf1_insn:
    mov eax, [PAGE_NP+0x123]
.pf1:
    ENDTRY
    CHECK dword [exc_vector], 14, "#PF supervisor read of not-present page"
    CHECK dword [exc_error], 0, "#PF error code 0 (read, not present, supervisor)"
    CHECK dword [exc_cr2], PAGE_NP+0x123, "#PF CR2 = faulting address"
    CHECK dword [exc_eip], .pf1_insn, "#PF EIP = faulting instruction"
    TRY .pf2
    mov dword [PAGE_NP+0x10], 1
.pf2:
    ENDTRY
    CHECK dword [exc_error], 2, "#PF error code 2 (write, not present)"
    mov eax, [PAGE_RO]
    TRY .pf3
    mov dword [PAGE_RO+0x44], 1
.pf3:
    ENDTRY
    CHECK dword [exc_vector], 14, "#PF supervisor write to read-only page with CR0.WP=1"
    CHECK dword [exc_error], 3, "#PF error code 3 (write, protection)"
    CHECK dword [exc_cr2], PAGE_RO+0x44, "#PF CR2 (read-only page)"

    ; ring 3: run user_main, which records its own results
    mov eax, cr0
    or eax, 1 << 18                 ; CR0.AM
    mov cr0, eax
    mov ax, SEL_KDATA
    mov fs, ax                      ; must be nulled by IRET to ring 3
    mov ebx, user_main
    call run_user
    CHECK dword [u_cpl], 3, "IRET to ring 3: CPL=3"
    CHECK dword [u_fs], 0, "IRET to ring 3 nulls FS holding a DPL0 data segment"
    CHECK dword [u_gate_cs], SEL_UCODE32, "int 0x80 from ring 3: pushed CS"
    CHECK dword [u_gate_eip], user_main.after_int, "int 0x80 from ring 3: pushed EIP"
    CHECK dword [u_gate_ss], SEL_UDATA, "int 0x80 from ring 3: pushed SS"
    CHECK dword [u_gate_esp], user_stack_top-16, "int 0x80 from ring 3: pushed ESP"
    CHECK dword [u_gate_kesp], kstack0_top-20, "int 0x80 from ring 3: stack switched to TSS ESP0"
    CHECK dword [u_gate_ret_eax], 0x600d, "int 0x80 handler returned to ring 3"
    CHECK dword [cg_cs], SEL_UCODE32, "call gate: pushed caller CS"
    CHECK dword [cg_eip], user_main.after_cg, "call gate: pushed caller EIP"
    CHECK dword [cg_p1], 0x2222, "call gate: parameter 1 copied"
    CHECK dword [cg_p2], 0x1111, "call gate: parameter 2 copied"
    CHECK dword [cg_ss], SEL_UDATA, "call gate: pushed caller SS"
    CHECK dword [cg_esp], user_stack_top-16-8, "call gate: pushed caller ESP (after params)"
    CHECK dword [cg_kesp], kstack0_top-24, "call gate: ring 0 stack from TSS ESP0"
    CHECK dword [cg_cpl], 0, "call gate: handler runs at CPL 0"
    CHECK dword [u_cg_esp], user_stack_top-16, "call gate: retf 8 pops params from user stack"
    CHECK dword [u_cg_ret], 0xc0de, "call gate: returned value"
    CHECK dword [u_gp_cli_vec], 13, "ring 3 cli with IOPL=0: #GP"
    CHECK dword [u_gp_cli_err], 0, "ring 3 cli: error code 0"
    CHECK dword [u_gp_int_vec], 13, "ring 3 int to DPL0 gate: #GP"
    CHECK dword [u_gp_int_err], 0x81*8+2, "ring 3 int to DPL0 gate: error code = IDT selector"
    CHECK dword [u_pf_sup_vec], 14, "ring 3 read of supervisor page: #PF"
    CHECK dword [u_pf_sup_err], 5, "ring 3 read of supervisor page: error code 5"
    CHECK dword [u_pf_sup_cr2], PAGE_SUP+8, "ring 3 read of supervisor page: CR2"
    CHECK dword [u_pf_ro_err], 7, "ring 3 write to read-only page: error code 7"
    mov eax, [u_ac_vec]
    mov [exc_vector], eax
    NOT_RAISED .acs, "#AC: misaligned access at ring 3 with CR0.AM and EFLAGS.AC"
    CHECK dword [u_ac_vec], 17, "#AC: misaligned access at ring 3 with CR0.AM and EFLAGS.AC"
    CHECK dword [u_ac_err], 0, "#AC error code 0"
.acs:
    CHECK dword [u_noac_vec], -1, "misaligned access with EFLAGS.AC=0: no #AC"
    CHECK dword [u_done], 1, "ring 3 code ran to completion"

    ; ---------------------------------------------------- #DF through a task gate
    mov dword [df_tss+28], pd       ; CR3
    mov dword [df_tss+32], df_task  ; EIP
    mov dword [df_tss+36], 2        ; EFLAGS
    mov dword [df_tss+56], df_stack_top
    mov dword [df_tss+72], SEL_KDATA
    mov dword [df_tss+76], SEL_KCODE32
    mov dword [df_tss+80], SEL_KDATA
    mov dword [df_tss+84], SEL_KDATA
    mov dword [df_tss+88], SEL_KDATA
    mov dword [df_tss+92], SEL_KDATA
    mov word [df_tss+102], 104
    mov eax, SEL_DFTSS
    mov ebx, df_tss
    mov ecx, 103
    mov dl, 0x89
    mov dh, 0
    call gdt_set
    mov eax, 8
    mov ebx, SEL_DFTSS
    call idt32_set_task
    and byte [idt32+0*8+5], 0x7f    ; #DE gate not present -> #NP -> #DF
    mov ebx, 0xdfdfdfdf             ; marker, saved in the old TSS
    xor ecx, ecx
    mov eax, 1
    xor edx, edx
    div ecx
    ; not reached
    SKIPMSG "never here"
    jmp finish

; #DF task: runs on its own TSS, reports and exits
df_task:
    mov eax, [esp]
    CHECK eax, 0, "#DF task: error code 0 pushed on the new task stack"
    mov eax, esp
    CHECK eax, df_stack_top-4, "#DF task: ESP from its TSS, minus error code"
    movzx eax, word [df_tss]
    CHECK eax, SEL_TSS, "#DF task: TSS back-link = previous task"
    pushfd
    pop eax
    and eax, 0x4000
    CHECK eax, 0x4000, "#DF task: EFLAGS.NT set"
    str ax
    movzx eax, ax
    CHECK eax, SEL_DFTSS, "#DF task: TR = #DF TSS"
    movzx eax, byte [gdt+SEL_DFTSS+5]
    CHECK eax, 0x8b, "#DF task: its TSS descriptor busy"
    movzx eax, byte [gdt+SEL_TSS+5]
    CHECK eax, 0x8b, "#DF task: previous TSS still busy (nested)"
    CHECK dword [tss32+52], 0xdfdfdfdf, "#DF task: old task EBX saved in old TSS"
    jmp finish

; ---------------------------------------------------- handlers
db_handler:
    push eax
    inc dword [db_count]
    mov eax, dr6
    mov [db_dr6], eax
    mov eax, [esp+4]
    mov [db_eip], eax
    or dword [esp+12], 0x10000          ; RF
    cmp dword [db_steps], 0
    je .clr
    dec dword [db_steps]
    jmp .o
.clr:
    and dword [esp+12], ~0x100          ; clear TF
.o: xor eax, eax
    mov dr6, eax
    pop eax
    iret

run_user:                               ; ebx = ring 3 entry; returns on int 0x80 with eax=0
    pushad
    mov [saved_ksp], esp
    mov ax, SEL_UDATA
    mov ds, ax
    mov es, ax
    push dword SEL_UDATA
    push dword user_stack_top
    push dword 0x2                      ; EFLAGS: IF=0, IOPL=0
    push dword SEL_UCODE32
    push ebx
    iret

user_exit:                              ; int 0x80 (DPL3): eax=0 -> leave ring 3, else record frame and return
    test eax, eax
    jz .leave
    push ds
    push eax
    mov ax, SEL_KDATA
    mov ds, ax
    mov eax, [esp+8]
    mov [u_gate_eip], eax
    mov eax, [esp+12]
    mov [u_gate_cs], eax
    mov eax, [esp+20]
    mov [u_gate_esp], eax
    mov eax, [esp+24]
    mov [u_gate_ss], eax
    lea eax, [esp+8]
    mov [u_gate_kesp], eax
    pop eax
    pop ds
    mov eax, 0x600d
    iret
.leave:
    mov ax, SEL_KDATA
    mov ds, ax
    mov es, ax
    mov esp, [saved_ksp]
    popad
    ret

cgate_handler:                          ; ring 0 via call gate
    push ds
    push eax
    mov ax, SEL_KDATA
    mov ds, ax
    mov eax, [esp+8]
    mov [cg_eip], eax
    mov eax, [esp+12]
    mov [cg_cs], eax
    mov eax, [esp+16]
    mov [cg_p1], eax
    mov eax, [esp+20]
    mov [cg_p2], eax
    mov eax, [esp+24]
    mov [cg_esp], eax
    mov eax, [esp+28]
    mov [cg_ss], eax
    lea eax, [esp+8]
    mov [cg_kesp], eax
    mov ax, cs
    and eax, 3
    mov [cg_cpl], eax
    pop eax
    pop ds
    mov eax, 0xc0de
    retf 8

; ---------------------------------------------------- ring 3 code
user_main:
    mov ax, cs
    and eax, 3
    mov [u_cpl], eax
    mov ax, fs
    movzx eax, ax
    mov [u_fs], eax
    ; int 0x80 with eax != 0: handler records the frame and returns
    push 1
    push 2
    push 3
    push 4                              ; ESP = top-16
    mov eax, 1
    int 0x80
.after_int:
    mov [u_gate_ret_eax], eax
    ; call gate with two parameters
    push 0x1111
    push 0x2222
    call SEL_CGATE:0
.after_cg:
    mov [u_cg_ret], eax
    mov [u_cg_esp], esp
    ; privileged instruction
    TRY .gp1
    cli
.gp1:
    ENDTRY
    mov eax, [exc_vector]
    mov [u_gp_cli_vec], eax
    mov eax, [exc_error]
    mov [u_gp_cli_err], eax
    TRY .gp2
    int 0x81
.gp2:
    ENDTRY
    mov eax, [exc_vector]
    mov [u_gp_int_vec], eax
    mov eax, [exc_error]
    mov [u_gp_int_err], eax
    ; #PF from ring 3
    TRY .pf1
    mov eax, [PAGE_SUP+8]
.pf1:
    ENDTRY
    mov eax, [exc_vector]
    mov [u_pf_sup_vec], eax
    mov eax, [exc_error]
    mov [u_pf_sup_err], eax
    mov eax, [exc_cr2]
    mov [u_pf_sup_cr2], eax
    TRY .pf2
    mov dword [PAGE_RO+8], 1
.pf2:
    ENDTRY
    mov eax, [exc_error]
    mov [u_pf_ro_err], eax
    ; misaligned access, AC=0: fine
    TRY .ac0
    mov eax, [misaligned+1]
.ac0:
    ENDTRY
    mov eax, [exc_vector]
    mov [u_noac_vec], eax
    ; #AC with EFLAGS.AC=1
    pushfd
    or dword [esp], 0x40000
    popfd
    TRY .ac1
    mov eax, [misaligned+1]
.ac1:
    ENDTRY
    pushfd
    and dword [esp], ~0x40000
    popfd
    mov eax, [exc_vector]
    mov [u_ac_vec], eax
    mov eax, [exc_error]
    mov [u_ac_err], eax
    mov dword [u_done], 1
    xor eax, eax
    int 0x80

; 32-bit paging, 4 KiB pages for 0-4 MiB (user-accessible), 4 MiB pages above
paging_on:
    pushad
    xor ecx, ecx
.pt:mov eax, ecx
    shl eax, 12
    or eax, 7
    mov [pt0+ecx*4], eax
    inc ecx
    cmp ecx, 1024
    jb .pt
    mov dword [pt0+(PAGE_NP>>12)*4], PAGE_NP | 6
    mov dword [pt0+(PAGE_RO>>12)*4], PAGE_RO | 5
    mov dword [pt0+(PAGE_SUP>>12)*4], PAGE_SUP | 3
    mov dword [pd], pt0+7
    mov ecx, 1
.pd:mov eax, ecx
    shl eax, 22
    or eax, 0x87
    mov [pd+ecx*4], eax
    inc ecx
    cmp ecx, 32
    jb .pd
    mov eax, cr4
    or eax, 0x10
    mov cr4, eax
    mov eax, pd
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80010000          ; PG | WP
    mov cr0, eax
    popad
    ret

section .data
align 4
bounds:     dd 10, 20
misaligned: dd 0x11223344, 0x55667788
dbvar:      dd 0, 0, 0, 0
db_count:   dd 0
db_steps:   dd 0
db_dr6:     dd 0
db_eip:     dd 0
saved_ksp:  dd 0
u_cpl:      dd -1
u_fs:       dd -1
u_gate_eip: dd 0
u_gate_cs:  dd 0
u_gate_esp: dd 0
u_gate_ss:  dd 0
u_gate_kesp: dd 0
u_gate_ret_eax: dd 0
cg_eip:     dd 0
cg_cs:      dd 0
cg_p1:      dd 0
cg_p2:      dd 0
cg_esp:     dd 0
cg_ss:      dd 0
cg_kesp:    dd 0
cg_cpl:     dd -1
u_cg_esp:   dd 0
u_cg_ret:   dd 0
u_gp_cli_vec: dd 0
u_gp_cli_err: dd -1
u_gp_int_vec: dd 0
u_gp_int_err: dd 0
u_pf_sup_vec: dd 0
u_pf_sup_err: dd 0
u_pf_sup_cr2: dd 0
u_pf_ro_err:  dd 0
u_ac_vec:   dd 0
u_ac_err:   dd -1
u_noac_vec: dd 0
u_done:     dd 0

section .bss
alignb 4096
pd:         resb 4096
pt0:        resb 4096
df_tss:     resb 128
alignb 16
user_stack: resb 4096
user_stack_top:
df_stack:   resb 4096
df_stack_top:
