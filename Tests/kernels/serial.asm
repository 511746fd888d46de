; serial.asm - PC16550D UART: COM2 (0x2f8, IRQ3 through the 8259) in loopback
; (MCR bit 4), so nothing leaves the machine. Scratch register; FCR FIFO
; enable and trigger level 8 (IIR bits 7:6 = 11); received-data interrupt only
; at the trigger level, character timeout interrupt (IIR 0x0C) when fewer
; bytes sit unread for 4 character times, timed against the TSC at 9600 8N1,
; 115200 8N1 and 2400 7E2 and restarted by an RBR read; FIFO overrun (the
; 17th byte is lost, OE is a line status interrupt outranking data); THR
; empty interrupt (cleared by the IIR read that reports it, raised again by a
; THR write, not cleared by IIR reads that report received data); OUT2 (MCR
; bit 3) gating IRQ3; MSR in loopback (MCR outputs to the MSR inputs, delta
; bits set on changes and cleared by reading MSR, TERI only on the trailing
; edge of RI, modem status interrupt); 16450 mode (no FIFO bits, the
; overrunning byte replaces the unread one).
; QEMU 7.2 deviations from the datasheet (SKIP, FAIL with -append strict):
; OUT2 does not gate the interrupt (IRQ3 arrives with OUT2 = 0), and in
; loopback MSR has no delta bits (so no modem status interrupt).
; swemu-args: -serial null
%include "lib.inc"
%include "pc.inc"

COM2        equ 0x2f8
RBR         equ 0
THR         equ 0
IER         equ 1
IIR         equ 2
FCR         equ 2
LCR         equ 3
MCR         equ 4
LSR         equ 5
MSR         equ 6
SCR         equ 7

%macro OUTB 2                       ; register, value
    mov dx, COM2+%1
    mov al, %2
    out dx, al
%endmacro
%macro INB 1                        ; register -> eax (zero-extended)
    mov dx, COM2+%1
    in al, dx
    movzx eax, al
%endmacro
%macro TSTART 0                     ; t_start = TSC
    push eax
    push edx
    rdtsc
    mov [t_start], eax
    mov [t_start+4], edx
    pop edx
    pop eax
%endmacro
%macro IRQ3_SINCE 0                 ; eax = IRQ3s since the last IRQ3_MARK (after letting them in)
    OPEN_IF
    mov eax, [irq_count+3*4]
    sub eax, [irq3_mark]
%endmacro
%macro IRQ3_MARK 0
    push eax
    OPEN_IF
    mov eax, [irq_count+3*4]
    mov [irq3_mark], eax
    pop eax
%endmacro

main:
    call irq_setup
    cli
    call pic_init
    mov ax, 0xffff
    call pic_set_mask
    mov dx, ELCR1
    in al, dx
    and al, ~0x08                   ; IRQ3 edge triggered (ISA)
    out dx, al

    ; ==================================================== presence, scratch
    OUTB SCR, 0x5a
    INB SCR
    cmp eax, 0x5a
    jne .absent
    OUTB SCR, 0xa5
    INB SCR
    cmp eax, 0xa5
    je .present
.absent:
    SKIPMSG "no 16550 at 0x2f8 (run with -serial null after the console)"
    ret
.present:
    PASS_IF e, "COM2 scratch register holds 0x5a and 0xa5"

    call tsc_calibrate
    PASS_IF nc, "TSC calibrated from PIT channel 2"

    ; 9600 baud 8N1, loopback without OUT2, FIFOs on with trigger level 8
    OUTB IER, 0
    OUTB LCR, 0x80
    OUTB 0, 12
    OUTB 1, 0
    OUTB LCR, 0x03
    INB LCR
    CHECK eax, 0x03, "LCR reads back 8N1"
    OUTB MCR, 0x10
    INB MCR
    CHECK eax, 0x10, "MCR reads back loopback"
    OUTB FCR, 0x87
    INB IIR
    CHECK eax, 0xc1, "FIFOs enabled: IIR bits 7:6 set, nothing pending"
    INB LSR
    CHECK eax, 0x60, "LSR: THRE and TEMT, no data"
    INB MSR                         ; drop the deltas from entering loopback
    OUTB IER, 0x01                  ; ERBFI
    mov ax, 0xfff7                  ; IRQ3 only
    call pic_set_mask
    IRQ3_MARK

    ; ==================================================== timeout, OUT2 = 0
    mov bl, 0x41
    mov ecx, 3
    call send
    TSTART
    INB LSR
    CHECK eax, 0x61, "looped-back bytes: DR (and THRE, TEMT)"
    INB IIR
    CHECK eax, 0xc1, "3 bytes below trigger 8: no data interrupt"
    call wait_iir
    CHECK eax, 0xcc, "character timeout (IIR 0x0C) with 3 bytes unread"
    INFO "9600 8N1 timeout after (us, expected 4167)", ebx
    CHECK_RANGE ebx, 3900, 40000, "timeout after 4 character times at 9600 8N1"
    IRQ3_SINCE
    mov ebx, eax
    CHECK_ALT ebx, 0, 1, "OUT2 = 0: the interrupt does not reach IRQ3"
    IRQ3_MARK
    OUTB MCR, 0x18                  ; OUT2 on
    IRQ3_SINCE
    mov ebx, eax
    CHECK_ALT ebx, 1, 0, "OUT2 = 1 lets the pending interrupt through to IRQ3"
    IRQ3_MARK
    INB RBR
    CHECK eax, 0x41, "first byte out of the FIFO"
    INB IIR
    CHECK eax, 0xc1, "reading RBR clears the timeout interrupt"
    INB RBR
    mov ebx, eax
    INB RBR
    shl eax, 8
    or eax, ebx
    CHECK eax, 0x4342, "second and third bytes in order"
    INB LSR
    CHECK eax, 0x60, "FIFO empty: DR clear"

    ; ==================================================== trigger level 8
    IRQ3_MARK
    mov bl, 0x50
    mov ecx, 7
    call send
    INB IIR
    CHECK eax, 0xc1, "7 bytes: below the trigger level"
    IRQ3_SINCE
    CHECK eax, 0, "no IRQ3 below the trigger level"
    mov bl, 0x57
    mov ecx, 1
    call send
    INB IIR
    CHECK eax, 0xc4, "8th byte: received data available (IIR 0x04)"
    IRQ3_SINCE
    CHECK eax, 1, "IRQ3 at the trigger level (OUT2 = 1)"
    IRQ3_MARK
    INB RBR
    TSTART
    CHECK eax, 0x50, "read one byte"
    INB IIR
    CHECK eax, 0xc1, "7 left: data interrupt cleared below the trigger level"
    call wait_iir
    CHECK eax, 0xcc, "character timeout 4 character times after the last read"
    CHECK_RANGE ebx, 3900, 40000, "the RBR read restarted the timeout counter"
    IRQ3_SINCE
    CHECK eax, 1, "IRQ3 for the character timeout"
    mov ecx, 7
    xor ebx, ebx
.rd7:
    INB RBR
    shl ebx, 4
    and eax, 0x0f
    or ebx, eax
    loop .rd7
    CHECK ebx, 0x1234567, "the other 7 bytes in order"
    INB IIR
    CHECK eax, 0xc1, "FIFO empty: nothing pending"

    ; ==================================================== overrun
    OUTB IER, 0x05                  ; ELSI + ERBFI
    mov bl, 0x60
    mov ecx, 17
    call send
    INB IIR
    CHECK eax, 0xc6, "17 bytes: overrun, line status interrupt first"
    INB LSR
    CHECK eax, 0x63, "LSR: OE with DR"
    INB IIR
    CHECK eax, 0xc4, "OE cleared by reading LSR: then received data"
    INB LSR
    CHECK eax, 0x61, "OE clear on the second LSR read"
    INB RBR
    mov ebx, eax
    mov ecx, 15
.rd15:
    INB RBR
    loop .rd15
    shl eax, 8
    or eax, ebx
    CHECK eax, 0x6f60, "FIFO kept bytes 1-16, the 17th was lost"
    INB LSR
    CHECK eax, 0x60, "FIFO empty after 16 reads"
    IRQ3_MARK

    ; ==================================================== other baud rates
    OUTB IER, 0x01
    OUTB LCR, 0x80
    OUTB 0, 1                       ; 115200
    OUTB LCR, 0x03
    mov bl, 0x31
    mov ecx, 1
    call send
    TSTART
    call wait_iir
    CHECK eax, 0xcc, "character timeout at 115200 8N1"
    INFO "115200 8N1 timeout after (us, expected 347)", ebx
    CHECK_RANGE ebx, 320, 20000, "timeout after 4 character times at 115200 8N1"
    INB RBR
    CHECK eax, 0x31, "byte at 115200"
    OUTB LCR, 0x80
    OUTB 0, 48                      ; 2400
    OUTB LCR, 0x1e                  ; 7 data bits, even parity, 2 stop bits: 11 bits
    mov bl, 0x35
    mov ecx, 1
    call send
    TSTART
    call wait_iir
    CHECK eax, 0xcc, "character timeout at 2400 7E2"
    INFO "2400 7E2 timeout after (us, expected 18333)", ebx
    CHECK_RANGE ebx, 17800, 100000, "timeout after 4 11-bit character times at 2400"
    INB RBR
    CHECK eax, 0x35, "byte at 2400 7E2"
    OUTB LCR, 0x80
    OUTB 0, 12
    OUTB LCR, 0x03
    IRQ3_MARK

    ; ==================================================== THR empty
    OUTB IER, 0x02                  ; ETBEI with THR empty
    IRQ3_SINCE
    CHECK eax, 1, "enabling ETBEI with THR empty: IRQ3"
    IRQ3_MARK
    INB IIR
    CHECK eax, 0xc2, "IIR: THR empty"
    INB IIR
    CHECK eax, 0xc1, "cleared by the IIR read that reported it"
    IRQ3_SINCE
    CHECK eax, 0, "no IRQ3 after the IIR read"
    mov bl, 0x7a
    mov ecx, 1
    call send
    IRQ3_SINCE
    CHECK eax, 1, "THR write: THR empty again, a new IRQ3"
    IRQ3_MARK
    INB IIR
    CHECK eax, 0xc2, "IIR: THR empty after the write"
    INB IIR
    CHECK eax, 0xc1, "and cleared by reading IIR"
    INB LSR
    CHECK eax, 0x61, "the byte looped back, transmitter empty"
    INB RBR
    OUTB IER, 0
    OUTB FCR, 0x07                  ; trigger level 1, both FIFOs reset
    INB IIR
    OUTB IER, 0x03                  ; ERBFI + ETBEI: THR empty pending
    mov bl, 0x7b
    mov ecx, 1
    call send
    INB IIR
    CHECK eax, 0xc4, "trigger 1: received data outranks THR empty"
    INB IIR
    CHECK eax, 0xc4, "still received data on a second IIR read"
    INB RBR
    CHECK eax, 0x7b, "byte read"
    INB IIR
    CHECK eax, 0xc2, "THR empty survived the IIR reads that reported data"
    INB IIR
    CHECK eax, 0xc1, "then cleared"
    OUTB IER, 0
    OUTB FCR, 0x87
    IRQ3_MARK

    ; ==================================================== modem status in loopback
    INB MSR
    and eax, 0xf0
    CHECK eax, 0x80, "loopback: OUT2 drives DCD, nothing else"
    OUTB MCR, 0x19                  ; + DTR
    INB MSR
    mov ebx, eax
    CHECK_ALT ebx, 0xa2, 0xa0, "DTR -> DSR with DDSR"
    INB MSR
    CHECK eax, 0xa0, "delta bits cleared by reading MSR"
    OUTB MCR, 0x1b                  ; + RTS
    INB MSR
    mov ebx, eax
    CHECK_ALT ebx, 0xb1, 0xb0, "RTS -> CTS with DCTS"
    OUTB MCR, 0x1f                  ; + OUT1
    INB MSR
    CHECK eax, 0xf0, "OUT1 -> RI, no TERI on the leading edge"
    OUTB MCR, 0x1b                  ; - OUT1
    INB MSR
    mov ebx, eax
    CHECK_ALT ebx, 0xb4, 0xb0, "RI off: TERI"
    OUTB MCR, 0x13                  ; - OUT2
    INB MSR
    mov ebx, eax
    CHECK_ALT ebx, 0x38, 0x30, "OUT2 off: DCD off with DDCD"
    OUTB MCR, 0x1b
    INB MSR
    OUTB IER, 0x08                  ; EMSI
    INB IIR
    CHECK eax, 0xc1, "no modem status change pending"
    IRQ3_MARK
    OUTB MCR, 0x1a                  ; - DTR
    INB IIR
    mov ebx, eax
    CHECK_ALT ebx, 0xc0, 0xc1, "DSR change: modem status interrupt (IIR 0x00)"
    IRQ3_SINCE
    mov ebx, eax
    CHECK_ALT ebx, 1, 0, "IRQ3 for the modem status interrupt"
    INB MSR
    mov ebx, eax
    CHECK_ALT ebx, 0x92, 0x90, "MSR: CTS, DCD, DDSR"
    INB IIR
    CHECK eax, 0xc1, "reading MSR cleared the modem status interrupt"
    OUTB IER, 0

    ; ==================================================== 16450 mode
    OUTB FCR, 0x00
    INB IIR
    CHECK eax, 0x01, "FIFOs off: IIR bits 7:6 clear"
    OUTB IER, 0x01
    mov bl, 0x11
    mov ecx, 1
    call send
    INB IIR
    CHECK eax, 0x04, "16450 mode: data interrupt for one byte"
    mov bl, 0x22
    mov ecx, 1
    call send
    INB LSR
    CHECK eax, 0x63, "16450 mode: second byte overruns (OE)"
    INB RBR
    CHECK eax, 0x22, "16450 mode: the new byte replaced the unread one"
    INB IIR
    CHECK eax, 0x01, "nothing pending"

    ; ==================================================== leave COM2 quiet
    OUTB IER, 0
    OUTB MCR, 0
    INB LSR
    INB MSR
    INB IIR
    mov ax, 0xffff
    call pic_set_mask
    OPEN_IF
    ret

; bl = first byte, ecx = count: write incrementing bytes to THR
send:
    push eax
    push edx
    mov dx, COM2+THR
.l: mov al, bl
    out dx, al
    inc bl
    loop .l
    pop edx
    pop eax
    ret

; Poll IIR until an interrupt is pending (bits 3:0 != 1) or 200 ms have
; passed since t_start. -> eax = IIR, ebx = microseconds since t_start.
wait_iir:
    push ecx
    push edx
    push esi
    mov esi, t_start
.l: mov dx, COM2+IIR
    in al, dx
    movzx ecx, al
    and al, 0x0f
    cmp al, 1
    jne .d
    call tsc_since_us
    cmp eax, 200000
    jb .l
.d: call tsc_since_us
    mov ebx, eax
    mov eax, ecx
    pop esi
    pop edx
    pop ecx
    ret

section .bss
alignb 8
t_start:    resq 1
irq3_mark:  resd 1
