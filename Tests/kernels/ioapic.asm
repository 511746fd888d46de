; ioapic.asm - I/O APIC at 0xFEC00000 (IOREGSEL/IOWIN): ID and version
; registers, redirection entry read/write (read-only remote IRR and delivery
; status), masking, and delivery to the boot CPU of ISA IRQs raised through
; pc-testdev (outb(level, 0x2000 + n)) with the 8259 fully masked:
; edge-triggered (pin 14), level-triggered with remote IRR set until EOI and
; re-delivery after EOI while the line stays high (pin 15), a masked level
; interrupt delivered when unmasked while still asserted, the version 0x20 EOI
; register (offset 0x40), and the PIT's IRQ 0 arriving on pin 2 (the ISA IRQ 0
; -> GSI 2 interrupt source override), nothing on pin 0.
; swemu-args: -device pc-testdev
%include "lib.inc"
%include "apic.inc"

%define RTE_LO(n) (0x10 + 2*(n))
%define RTE_HI(n) (0x11 + 2*(n))
RTE_MASKED  equ 0x10000
RTE_LEVEL   equ 0x08000
RTE_RIRR    equ 0x04000
RTE_LOWPOL  equ 0x02000
RTE_DS      equ 0x01000
RTE_LOGICAL equ 0x00800

PIN_EDGE    equ 14
PIN_LEVEL   equ 15
VEC_EDGE    equ 0x50
VEC_LEVEL   equ 0x58
VEC_PIT     equ 0x60
VEC_PIN0    equ 0x61

%macro IRQLINE 2                    ; ISA IRQ n, level (pc-testdev)
    push eax
    push edx
    mov dx, 0x2000 + %1
    mov al, %2
    out dx, al
    pop edx
    pop eax
%endmacro

%macro RTE_SET 3                    ; pin, high dword, low dword
    push eax
    push edx
    mov eax, RTE_HI(%1)
    mov edx, %2
    call ioapic_write
    mov eax, RTE_LO(%1)
    mov edx, %3
    call ioapic_write
    pop edx
    pop eax
%endmacro

%macro RTE_GET 1                    ; EAX = low dword of the pin's entry
    mov eax, RTE_LO(%1)
    call ioapic_read
%endmacro

%macro RIRR 1                       ; EAX = remote IRR bit of the pin's entry
    RTE_GET %1
    and eax, RTE_RIRR
%endmacro

main:
    call apic_idt_init
    call pic_mask_all
    call apic_cpu_init
    APIC_RD eax, APIC_ID
    and eax, 0xff000000
    mov [dest_hi], eax                  ; physical destination: this CPU

    ; ------------------------------------------------ ID, version, IOREGSEL
    xor eax, eax
    call ioapic_read
    mov [orig_id], eax
    xor eax, eax
    mov edx, 0x0A000000
    call ioapic_write
    xor eax, eax
    call ioapic_read
    CHECK eax, 0x0A000000, "I/O APIC ID register: ID bits 27:24 read/write"
    xor eax, eax
    mov edx, [orig_id]
    call ioapic_write
    mov eax, 1
    call ioapic_read
    mov [ioapic_ver], eax
    mov ebx, eax
    shr ebx, 16
    and ebx, 0xff
    CHECK ebx, 23, "version register: maximum redirection entry 23"
    cmp al, 0x11
    je .verok
    cmp al, 0x20
.verok:
    PASS_IF e, "version register: version 0x11 or 0x20"
    and eax, 0xFF00FF00
    CHECK eax, 0, "version register: reserved bits read 0"
    mov dword [IOAPIC_BASE + IOAPIC_REGSEL], RTE_LO(9)
    mov eax, [IOAPIC_BASE + IOAPIC_REGSEL]
    and eax, 0xff
    CHECK eax, RTE_LO(9), "IOREGSEL reads back the selected register"

    xor ecx, ecx
    xor ebx, ebx
.scan:
    lea eax, [0x10 + ecx*2]
    call ioapic_read
    test eax, RTE_MASKED
    jz .scan_n
    inc ebx
.scan_n:
    inc ecx
    cmp ecx, 24
    jb .scan
    CHECK ebx, 24, "all 24 redirection entries masked after reset"

    ; ------------------------------------------------ redirection entry read/write
    RTE_SET PIN_EDGE, 0x0F000000, RTE_MASKED | RTE_LEVEL | RTE_RIRR | RTE_LOWPOL | RTE_DS | RTE_LOGICAL | 0x55
    RTE_GET PIN_EDGE
    CHECK eax, RTE_MASKED | RTE_LEVEL | RTE_LOWPOL | RTE_LOGICAL | 0x55, "RTE low: remote IRR and delivery status are read-only"
    mov eax, RTE_HI(PIN_EDGE)
    call ioapic_read
    CHECK eax, 0x0F000000, "RTE high: destination field read/write"

    ; ------------------------------------------------ edge-triggered, pin 14
    call irq_reset
    RTE_SET PIN_EDGE, [dest_hi], RTE_MASKED | VEC_EDGE
    sti
    IRQLINE PIN_EDGE, 1
    DELAY SHORT_TSC
    IRQLINE PIN_EDGE, 0
    CHECK dword [CNT(0, VEC_EDGE)], 0, "masked edge pin 14: no interrupt"
    RTE_SET PIN_EDGE, [dest_hi], VEC_EDGE
    DELAY SHORT_TSC
    CHECK dword [CNT(0, VEC_EDGE)], 0, "an edge on a masked pin is not held pending"
    IRQLINE PIN_EDGE, 1
    WAIT_GE CNT(0, VEC_EDGE), 1, TIMEOUT_TSC
    CHECK eax, 1, "edge IRQ 14 delivered to the BSP through pin 14"
    CHECK dword [snap_tmr + VEC_EDGE*4], 0, "edge: local APIC TMR bit clear"
    IRQLINE PIN_EDGE, 0
    IRQLINE PIN_EDGE, 1
    WAIT_GE CNT(0, VEC_EDGE), 2, TIMEOUT_TSC
    CHECK eax, 2, "the next rising edge is delivered again"
    IRQLINE PIN_EDGE, 0
    DELAY SHORT_TSC
    CHECK dword [CNT(0, VEC_EDGE)], 2, "no further edge interrupts"
    RTE_GET PIN_EDGE
    CHECK eax, VEC_EDGE, "edge RTE: no remote IRR / delivery status left set"
    RTE_SET PIN_EDGE, [dest_hi], RTE_MASKED | VEC_EDGE

    ; ------------------------------------------------ level-triggered, pin 15
    call irq_reset
    mov dword [irq_hook + VEC_LEVEL*4], hook_level
    mov dword [level_lower], 0
    mov byte [irq_noeoi + VEC_LEVEL], 1         ; first delivery: no EOI
    RTE_SET PIN_LEVEL, [dest_hi], RTE_LEVEL | VEC_LEVEL
    DELAY SHORT_TSC
    CHECK dword [CNT(0, VEC_LEVEL)], 0, "level pin 15 with the line low: no interrupt"
    IRQLINE PIN_LEVEL, 1
    WAIT_GE CNT(0, VEC_LEVEL), 1, TIMEOUT_TSC
    CHECK eax, 1, "level IRQ 15 delivered to the BSP through pin 15"
    CHECK dword [snap_tmr + VEC_LEVEL*4], 1, "level: local APIC TMR bit set"
    CHECK dword [hook_rirr], RTE_RIRR, "remote IRR set while the interrupt is in service"
    DELAY SHORT_TSC
    CHECK dword [CNT(0, VEC_LEVEL)], 1, "no re-delivery before EOI"
    RIRR PIN_LEVEL
    CHECK eax, RTE_RIRR, "remote IRR still set before EOI"
    APIC_BIT VEC_LEVEL, APIC_IRR
    CHECK eax, 0, "I/O APIC did not resend while remote IRR is set (local IRR clear)"
    mov dword [level_lower], 1                  ; next delivery lowers the line
    APIC_WR APIC_EOI, 0                         ; EOI broadcast clears remote IRR
    WAIT_GE CNT(0, VEC_LEVEL), 2, TIMEOUT_TSC
    CHECK eax, 2, "re-delivered after EOI while the line stays high"
    DELAY SHORT_TSC
    CHECK dword [CNT(0, VEC_LEVEL)], 2, "no more interrupts after the handler lowered the line"
    RIRR PIN_LEVEL
    CHECK eax, 0, "remote IRR clear after the final EOI"

    ; ------------------------------------------------ masked level interrupt, unmasked while asserted
    call irq_reset
    mov dword [level_lower], 1
    RTE_SET PIN_LEVEL, [dest_hi], RTE_MASKED | RTE_LEVEL | VEC_LEVEL
    IRQLINE PIN_LEVEL, 1
    DELAY SHORT_TSC
    CHECK dword [CNT(0, VEC_LEVEL)], 0, "masked level pin: no interrupt while masked"
    RIRR PIN_LEVEL
    CHECK eax, 0, "masked level pin: remote IRR not set"
    RTE_SET PIN_LEVEL, [dest_hi], RTE_LEVEL | VEC_LEVEL
    WAIT_GE CNT(0, VEC_LEVEL), 1, TIMEOUT_TSC
    CHECK eax, 1, "masked level interrupt delivered on unmask while still asserted"
    DELAY SHORT_TSC
    CHECK dword [CNT(0, VEC_LEVEL)], 1, "delivered once (handler lowered the line)"
    RIRR PIN_LEVEL
    CHECK eax, 0, "remote IRR clear after EOI"

    ; ------------------------------------------------ EOI register (version 0x20)
    cmp byte [ioapic_ver], 0x20
    je .eoireg
    SKIPMSG "I/O APIC EOI register: version 0x11 has none"
    jmp .eoidone
.eoireg:
    call irq_reset
    mov dword [level_lower], 0
    mov byte [irq_noeoi + VEC_LEVEL], 1
    IRQLINE PIN_LEVEL, 1
    WAIT_GE CNT(0, VEC_LEVEL), 1, TIMEOUT_TSC
    CHECK eax, 1, "EOI register test: level IRQ 15 delivered (no local EOI yet)"
    RIRR PIN_LEVEL
    CHECK eax, RTE_RIRR, "remote IRR set"
    mov dword [IOAPIC_BASE + IOAPIC_EOIREG], VEC_LEVEL + 1
    RIRR PIN_LEVEL
    CHECK eax, RTE_RIRR, "EOI register with another vector leaves remote IRR set"
    mov dword [IOAPIC_BASE + IOAPIC_EOIREG], VEC_LEVEL
    DELAY SHORT_TSC
    APIC_BIT VEC_LEVEL, APIC_IRR
    CHECK eax, 1, "EOI register cleared remote IRR: the asserted pin is re-sent (local IRR set)"
    RIRR PIN_LEVEL
    CHECK eax, RTE_RIRR, "remote IRR set again by the re-sent interrupt"
    CHECK dword [CNT(0, VEC_LEVEL)], 1, "re-sent vector waits in IRR behind the same vector in ISR"
    IRQLINE PIN_LEVEL, 0
    APIC_WR APIC_EOI, 0
    WAIT_GE CNT(0, VEC_LEVEL), 2, TIMEOUT_TSC
    CHECK eax, 2, "pending vector delivered after the local APIC EOI"
    DELAY SHORT_TSC
    CHECK dword [CNT(0, VEC_LEVEL)], 2, "no further deliveries with the line low"
    RIRR PIN_LEVEL
    CHECK eax, 0, "remote IRR clear at the end"
.eoidone:
    RTE_SET PIN_LEVEL, [dest_hi], RTE_MASKED | RTE_LEVEL | VEC_LEVEL
    mov dword [irq_hook + VEC_LEVEL*4], 0

    ; ------------------------------------------------ PIT IRQ 0 -> pin 2
    call irq_reset
    RTE_SET 2, [dest_hi], VEC_PIT
    RTE_SET 0, [dest_hi], VEC_PIN0
    mov al, 0x34                        ; channel 0, lobyte/hibyte, mode 2
    out 0x43, al
    mov al, 1193 & 0xff                 ; ~1 ms
    out 0x40, al
    mov al, 1193 >> 8
    out 0x40, al
    WAIT_GE CNT(0, VEC_PIT), 3, TIMEOUT_TSC
    cmp eax, 3
    PASS_IF ae, "PIT IRQ 0 arrives on I/O APIC pin 2 (3 periodic ticks)"
    CHECK dword [CNT(0, VEC_PIN0)], 0, "nothing arrives on pin 0"
    CHECK dword [snap_tmr + VEC_PIT*4], 0, "PIT interrupt is edge (TMR clear)"
    RTE_SET 2, [dest_hi], RTE_MASKED | VEC_PIT
    RTE_SET 0, [dest_hi], RTE_MASKED | VEC_PIN0
    DELAY SHORT_TSC
    mov ebx, [CNT(0, VEC_PIT)]
    DELAY 4*SHORT_TSC
    CHECK dword [CNT(0, VEC_PIT)], ebx, "masking pin 2 stops the PIT interrupts"
    mov al, 0x30                        ; channel 0, mode 0: output low until a count is written
    out 0x43, al
    cli

    call apic_isr_any
    CHECK eax, 0, "nothing left in service"
    CHECK dword [CNT(0, 0xFF)], 0, "no spurious interrupts"
    ret

; level handler hook: record remote IRR, optionally lower the line
hook_level:
    RIRR PIN_LEVEL
    mov [hook_rirr], eax
    cmp dword [level_lower], 0
    je .d
    IRQLINE PIN_LEVEL, 0
.d: ret

section .data
align 4
dest_hi:    dd 0
orig_id:    dd 0
ioapic_ver: dd 0
level_lower: dd 0
hook_rirr:  dd -1

section .text
