; smp.asm - multiprocessor start-up and IPIs with 4 CPUs: fw_cfg NB_CPUS, the
; BSP copies a real-mode trampoline to 0x8000 and sends INIT, SIPI (vector
; 0x08), SIPI to all-excluding-self (SDM 8.4.4.1); each AP starts in real mode
; at CS = 0x0800, loads the lib GDT, enters 32-bit protected mode, takes its own
; stack, checks its APIC ID against CPUID.1:EBX[31:24] and IA32_APIC_BASE (BSP
; flag clear), and counts itself in with lock xadd, then loads the shared IDT
; and idles in sti; hlt. The BSP then checks APIC IDs 1, 2, 3, sends a fixed
; IPI to each AP (physical destination), broadcasts (all-excluding-self and
; all-including-self), a logical flat-model IPI to two APs, asks every AP to
; run a one-shot timer of its own local APIC, and sends an NMI to AP 2.
; Every wait is bounded by the TSC (a missing AP or interrupt is a FAIL).
; swemu-args: -smp 4
%include "lib.inc"
%include "apic.inc"

TRAMP       equ 0x8000              ; SIPI vector 0x08 -> CS = 0x0800, IP = 0
NAPS        equ 3
AP_STACK    equ 4096

VEC_FIXED   equ 0x40
VEC_OTHERS  equ 0x41
VEC_ALL     equ 0x42
VEC_LOGICAL equ 0x43
VEC_WAKE    equ 0x44
VEC_TIMER   equ 0x48

CMD_TIMER   equ 1

%define TR(x) ((x) - tramp_start + TRAMP)

main:
    call apic_idt_init
    call pic_mask_all
    call apic_cpu_init
    APIC_RD eax, APIC_ID
    shr eax, 24
    mov [bsp_id], eax
    CHECK eax, 0, "BSP APIC ID is 0"
    mov ecx, MSR_APIC_BASE
    rdmsr
    and eax, 0xFFFFF900
    CHECK eax, 0xFEE00900, "BSP: IA32_APIC_BASE enabled with the BSP flag"
    mov eax, 0x05
    call fw_cfg_read16
    CHECK eax, 4, "fw_cfg NB_CPUS (key 0x05) = 4"

    ; ------------------------------------------------ start the APs
    mov esi, tramp_start
    mov edi, TRAMP
    mov ecx, tramp_end - tramp_start
    rep movsb
    call pit_ch0_freerun
    SEND ICR_OTHERS | ICR_INIT | ICR_ASSERT, 0          ; 0x000C4500
    mov ecx, 11932                                      ; 10 ms
    call pit_delay
    CHECK eax, 1, "10 ms INIT delay measured on PIT channel 0"
    SEND ICR_OTHERS | ICR_SIPI | ICR_ASSERT | (TRAMP >> 12), 0   ; 0x000C4608
    mov ecx, 239                                        ; 200 us
    call pit_delay
    SEND ICR_OTHERS | ICR_SIPI | ICR_ASSERT | (TRAMP >> 12), 0
    WAIT_GE ap_online, NAPS, TIMEOUT_TSC
    CHECK eax, NAPS, "3 APs started by INIT-SIPI-SIPI"
    DELAY SHORT_TSC
    CHECK dword [ap_count], NAPS, "lock xadd counter = 3 (second SIPI ignored by running APs)"
    movzx eax, word [TR(tr_cs)]
    CHECK eax, 0x0800, "AP started at CS = 0x0800 (SIPI vector 0x08)"
    mov eax, [TR(tr_cr0)]
    and eax, 1
    CHECK eax, 0, "AP started in real mode (CR0.PE = 0)"
    xor ebx, ebx
    xor ecx, ecx
.ids:
    mov edx, [ap_slot_id + ecx*4]
    bts ebx, edx
    inc ecx
    cmp ecx, NAPS
    jb .ids
    CHECK ebx, 0x0E, "AP APIC IDs are 1, 2 and 3 (all present, distinct)"
    CHECK dword [cpuid_ok], 0x0E, "each AP: CPUID.1:EBX[31:24] = its APIC ID"
    CHECK dword [apicbase_ok], 0x0E, "each AP: IA32_APIC_BASE = 0xFEE00800 (BSP flag clear)"

    ; ------------------------------------------------ fixed IPI to each AP
    call irq_reset
    sti
%macro FIXED_TO 2                   ; APIC ID, name
    SEND ICR_FIXED | VEC_FIXED, %1
    WAIT_GE CNT(%1, VEC_FIXED), 1, TIMEOUT_TSC
    CHECK eax, 1, %2
%endmacro
    FIXED_TO 1, "fixed IPI (physical destination 1) counted by AP 1"
    FIXED_TO 2, "fixed IPI (physical destination 2) counted by AP 2"
    FIXED_TO 3, "fixed IPI (physical destination 3) counted by AP 3"
    DELAY SHORT_TSC
    mov eax, [CNT(1, VEC_FIXED)]
    add eax, [CNT(2, VEC_FIXED)]
    add eax, [CNT(3, VEC_FIXED)]
    CHECK eax, 3, "each AP received exactly its own fixed IPI"
    CHECK dword [CNT(0, VEC_FIXED)], 0, "the BSP received none of them"

    ; ------------------------------------------------ broadcasts
    SEND ICR_OTHERS | VEC_OTHERS, 0
%macro COUNTED 3                    ; cpu, vector, name
    WAIT_GE CNT(%1, %2), 1, TIMEOUT_TSC
    CHECK eax, 1, %3
%endmacro
    COUNTED 1, VEC_OTHERS, "all-excluding-self IPI counted by AP 1"
    COUNTED 2, VEC_OTHERS, "all-excluding-self IPI counted by AP 2"
    COUNTED 3, VEC_OTHERS, "all-excluding-self IPI counted by AP 3"
    DELAY SHORT_TSC
    CHECK dword [CNT(0, VEC_OTHERS)], 0, "all-excluding-self IPI not received by the BSP"
    SEND ICR_ALL | VEC_ALL, 0
    COUNTED 0, VEC_ALL, "all-including-self IPI counted by the BSP"
    COUNTED 1, VEC_ALL, "all-including-self IPI counted by AP 1"
    COUNTED 2, VEC_ALL, "all-including-self IPI counted by AP 2"
    COUNTED 3, VEC_ALL, "all-including-self IPI counted by AP 3"

    ; ------------------------------------------------ logical flat IPI to APs 1 and 3
    SEND ICR_LOGICAL | VEC_LOGICAL, 0x0A        ; LDR of AP n is 1 << n
    COUNTED 1, VEC_LOGICAL, "logical IPI to 0x0A counted by AP 1"
    COUNTED 3, VEC_LOGICAL, "logical IPI to 0x0A counted by AP 3"
    DELAY SHORT_TSC
    CHECK dword [CNT(2, VEC_LOGICAL)], 0, "logical IPI to 0x0A not received by AP 2"
    CHECK dword [CNT(0, VEC_LOGICAL)], 0, "logical IPI to 0x0A not received by the BSP"

    ; ------------------------------------------------ per-AP one-shot timers
    mov dword [ap_cmd], CMD_TIMER
    lock inc dword [ap_cmd_seq]
    SEND ICR_OTHERS | VEC_WAKE, 0
    COUNTED 1, VEC_TIMER, "AP 1: interrupt from its own one-shot APIC timer"
    COUNTED 2, VEC_TIMER, "AP 2: interrupt from its own one-shot APIC timer"
    COUNTED 3, VEC_TIMER, "AP 3: interrupt from its own one-shot APIC timer"
    CHECK dword [timer_ok], 0x0E, "each AP saw its TMCCT counting down"
    DELAY 2*SHORT_TSC
    mov eax, [CNT(1, VEC_TIMER)]
    add eax, [CNT(2, VEC_TIMER)]
    add eax, [CNT(3, VEC_TIMER)]
    CHECK eax, 3, "one timer interrupt per AP (one-shot)"
    CHECK dword [CNT(0, VEC_TIMER)], 0, "no AP timer interrupt on the BSP"

    ; ------------------------------------------------ NMI to AP 2
    SEND ICR_NMI, 2
    WAIT_GE nmi_cnt + 2*4, 1, TIMEOUT_TSC
    CHECK eax, 1, "NMI IPI to AP 2 delivered through vector 2"
    DELAY SHORT_TSC
    mov eax, [nmi_cnt]
    add eax, [nmi_cnt + 1*4]
    add eax, [nmi_cnt + 3*4]
    CHECK eax, 0, "no NMI on the other CPUs"
    cli
    CHECK dword [CNT(0, 0xFF)], 0, "no spurious interrupt on the BSP"
    ret

; ---------------------------------------------------------------- AP side

ap_entry32:
    mov ax, SEL_KDATA
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov esi, [APIC_BASE + APIC_ID]
    shr esi, 24                         ; esi = APIC ID for the whole AP life
    cmp esi, MAX_CPUS
    jae .park
    lea esp, [esi + 1]
    shl esp, 12
    add esp, ap_stacks                  ; top of stack slot [id]
    lidt [idt32_desc]
    call apic_cpu_init
    mov dword [APIC_BASE + APIC_DFR], 0xFFFFFFFF
    mov ecx, esi
    mov eax, 1
    shl eax, cl
    shl eax, 24
    mov [APIC_BASE + APIC_LDR], eax
    mov edi, 1
    mov ecx, esi
    shl edi, cl                         ; edi = 1 << id
    mov eax, 1
    cpuid
    shr ebx, 24
    cmp ebx, esi
    jne .c1
    lock or [cpuid_ok], edi
.c1:
    mov ecx, MSR_APIC_BASE
    rdmsr
    cmp eax, 0xFEE00800
    jne .c2
    lock or [apicbase_ok], edi
.c2:
    mov eax, 1
    lock xadd [ap_count], eax           ; eax = arrival slot
    cmp eax, MAX_CPUS
    jae .loop
    mov [ap_slot_id + eax*4], esi
    lock inc dword [ap_online]
.loop:
    cli
    mov eax, [ap_cmd_seq]
    cmp eax, [ap_seen + esi*4]
    jne .cmd
    sti
    hlt
    jmp .loop
.cmd:
    mov [ap_seen + esi*4], eax
    cmp dword [ap_cmd], CMD_TIMER
    jne .loop
    APIC_WR APIC_TDCR, 0xB              ; divide by 1
    APIC_WR APIC_LVT_TIMER, LVT_MASKED | VEC_TIMER
    mov eax, 200000
    call timer_arm_probe                ; masked: is the count running?
    dec eax
    cmp eax, 200000
    jae .arm
    lock or [timer_ok], edi
.arm:
    APIC_WR APIC_TMICT, 0
    APIC_WR APIC_LVT_TIMER, VEC_TIMER   ; one-shot, unmasked
    APIC_WR APIC_TMICT, 200000
    jmp .loop
.park:
    cli
    hlt
    jmp .park

; ---------------------------------------------------------------- trampoline
; copied to TRAMP; runs in real mode with CS = 0x0800 and DS = 0 (absolute
; addresses below 64 KiB)
bits 16
tramp_start:
    cli
    cld
    xor ax, ax
    mov ds, ax
    mov ax, cs
    mov [TR(tr_cs)], ax
    mov eax, cr0
    mov [TR(tr_cr0)], eax
    o32 lgdt [TR(tr_gdtr)]
    and eax, 0x9FFFFFFF                 ; caches on (CD, NW clear)
    or eax, 1
    mov cr0, eax
    jmp dword SEL_KCODE32:ap_entry32
align 4
tr_gdtr:
    dw gdt_end - gdt - 1
    dd gdt
tr_cs:  dw 0
        dw 0
tr_cr0: dd 0
tramp_end:
bits 32

section .data
align 4
bsp_id:      dd 0
ap_count:    dd 0
ap_online:   dd 0
ap_slot_id:  times MAX_CPUS dd 31
cpuid_ok:    dd 0
apicbase_ok: dd 0
timer_ok:    dd 0
ap_cmd:      dd 0
ap_cmd_seq:  dd 0
ap_seen:     times MAX_CPUS dd 0

section .bss
alignb 4096
ap_stacks:   resb MAX_CPUS * AP_STACK

section .text
