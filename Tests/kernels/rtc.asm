; rtc.asm - MC146818 RTC / CMOS through ports 0x70/0x71.
; Register D (VRT), register A (divider and rate bits, UIP read-only),
; register B (SET clears UIE), register C (read-to-clear, IRQF only for
; enabled flags), NVRAM read/write (and port 0x70 bit 7 not part of the
; index), the PC CMOS memory-size bytes against the multiboot mem_upper,
; valid BCD time at boot, update-ended interrupts on IRQ8 through the slave
; PIC (1 s apart, UIP seen just before the update, seconds advance after
; 1.1 s), periodic interrupts at RS=6 (1024 Hz) counted over a TSC window,
; IRQ8 held until reg C is read, alarm interrupt with don't-care hours and
; minutes, time setting with SET in BCD 24 h, BCD 12 h and binary modes
; (midnight roll-over, leap and non-leap February), and the divider reset
; (time held; first update 500 ms after release).
; QEMU 7.2 TCG deviation (SKIP, FAIL with -append strict): PF is only set
; while PIE=1 (the datasheet sets PF at the periodic rate regardless of PIE).
%include "lib.inc"
%include "pc.inc"

%macro RDCMOS 1                     ; -> eax
    mov al, %1
    call cmos_read
    movzx eax, al
%endmacro
%macro WRCMOS 2                     ; index, value (immediate or bl/cl/dl)
    mov al, %1
    mov ah, %2
    call cmos_write
%endmacro

REG_A equ 0x0a
REG_B equ 0x0b
REG_C equ 0x0c
REG_D equ 0x0d

main:
    call irq_setup
    cli
    call pic_init
    mov ax, 0xffff
    call pic_set_mask
    call tsc_calibrate
    PASS_IF nc, "TSC calibrated from PIT channel 2"
    ; PIT channel 0 at 1 kHz wakes the sti/hlt waits
    mov al, 0x34
    out PIT_CMD, al
    mov ax, 1193
    out PIT_CH0, al
    mov al, ah
    out PIT_CH0, al
    mov dword [irq_hook+8*4], rtc_hook
    RDCMOS REG_C
    mov ax, 0xfefa                  ; IRQ0, cascade, IRQ8
    call pic_set_mask

    ; ==================================================== static registers
    RDCMOS REG_D
    CHECK eax, 0x80, "reg D: VRT set, other bits 0"
    RDCMOS REG_A
    and eax, 0x7f
    CHECK eax, 0x26, "reg A: DV=010 (32.768 kHz), RS=0110"
    RDCMOS REG_B
    CHECK eax, 0x02, "reg B: 24 h, BCD, no interrupts enabled"
    WRCMOS REG_A, 0x2a
    RDCMOS REG_A
    and eax, 0x7f
    CHECK eax, 0x2a, "reg A: rate bits read back"
    WRCMOS REG_A, 0x26
    WRCMOS REG_B, 0x92              ; SET | UIE | 24h
    RDCMOS REG_B
    CHECK eax, 0x82, "reg B: setting SET clears UIE"
    WRCMOS REG_B, 0x02
    RDCMOS REG_C
    RDCMOS REG_C
    and eax, 0x8f
    CHECK eax, 0, "reg C: IRQF clear, bits 3-0 read 0"

    ; NVRAM
    RDCMOS 0x50
    mov [nv_save], al
    WRCMOS 0x50, 0x5a
    RDCMOS 0x50
    CHECK eax, 0x5a, "NVRAM 0x50 holds 0x5a"
    WRCMOS 0x50, 0xa5
    RDCMOS 0x50
    CHECK eax, 0xa5, "NVRAM 0x50 holds 0xa5"
    RDCMOS 0xd0
    CHECK eax, 0xa5, "port 0x70 bit 7 (NMI mask) is not part of the index"
    mov bl, [nv_save]
    WRCMOS 0x50, bl
    RDCMOS 0x7f
    mov [nv_save], al
    WRCMOS 0x7f, 0x3c
    RDCMOS 0x7f
    CHECK eax, 0x3c, "NVRAM 0x7f (last byte) round trip"
    mov bl, [nv_save]
    WRCMOS 0x7f, bl

    ; memory size bytes (QEMU pc_cmos_init) against multiboot mem_upper
    mov ebx, [mb_info]
    test dword [ebx], 1
    jnz .mem
    SKIPMSG "CMOS memory size (no multiboot mem_upper)"
    jmp .memd
.mem:
    mov esi, [ebx+8]                ; KiB above 1 MiB
    INFO "multiboot mem_upper (KiB)", esi
    call cmos_word_15
    CHECK eax, 640, "CMOS 0x15/0x16: 640 KiB base memory"
    ; The firmware may keep the top of RAM out of mem_upper (SeaBIOS
    ; reserves 128 KiB there under QEMU): allow up to 1 MiB of difference.
    mov ebx, esi                    ; lo = min(mem_upper, 65535)
    cmp ebx, 0xffff
    jbe .c1
    mov ebx, 0xffff
.c1:lea ecx, [esi+1024]             ; hi = min(mem_upper + 1 MiB, 65535)
    cmp ecx, 0xffff
    jbe .c1b
    mov ecx, 0xffff
.c1b:
    mov al, 0x17
    call cmos_word
    CHECK_RANGE eax, ebx, ecx, "CMOS 0x17/0x18: KiB above 1 MiB (max 65535)"
    mov al, 0x30
    call cmos_word
    CHECK_RANGE eax, ebx, ecx, "CMOS 0x30/0x31: KiB above 1 MiB (max 65535)"
    ; 0x34/0x35: 64 KiB blocks above 16 MiB; 16 MiB + 64 KiB * n must cover
    ; 1 MiB + mem_upper, by at most 1 MiB
    mov al, 0x34
    call cmos_word
    shl eax, 6
    add eax, 16384                  ; KiB of RAM below the PCI hole
    lea ebx, [esi+1024]
    sub eax, ebx
    INFO "CMOS top of RAM minus (1 MiB + mem_upper), KiB", eax
    CHECK_RANGE eax, 0, 1024, "CMOS 0x34/0x35 matches multiboot mem_upper (64 KiB blocks above 16 MiB)"
    RDCMOS 0x5b
    mov ebx, eax
    RDCMOS 0x5c
    or ebx, eax
    RDCMOS 0x5d
    or ebx, eax
    CHECK ebx, 0, "CMOS 0x5b-0x5d: no RAM above 4 GiB"
.memd:

    ; time at boot: valid BCD, 24 h
    call wait_no_uip
    xor ebx, ebx                    ; bit n set: register n invalid
    mov al, 0x00
    mov ah, 0x59
    call bcd_check
    mov al, 0x02
    mov ah, 0x59
    call bcd_check
    mov al, 0x04
    mov ah, 0x23
    call bcd_check
    mov al, 0x06
    mov ah, 0x07
    call bcd_check_nz
    mov al, 0x07
    mov ah, 0x31
    call bcd_check_nz
    mov al, 0x08
    mov ah, 0x12
    call bcd_check_nz
    mov al, 0x09
    mov ah, 0x99
    call bcd_check
    CHECK ebx, 0, "time/date registers at boot are valid BCD"
    RDCMOS 0x32
    CHECK eax, 0x20, "century byte 0x32 is 0x20 (BCD)"

    ; ==================================================== update-ended interrupt
    call irq_reset_counts
    mov dword [rtc_orc], 0
    RDCMOS REG_C
    mov ecx, [irq_count+8*4]
    WRCMOS REG_B, 0x12              ; UIE | 24h
    mov ebx, 8
    mov eax, 1500
    call wait_irq_hlt
    PASS_IF nc, "update-ended interrupt on IRQ8 within 1.5 s"
    movzx eax, byte [rtc_lastc]
    and eax, 0xb0
    CHECK eax, 0x90, "reg C in the handler: IRQF and UF"
    movzx eax, word [irq_isr+8*2]
    CHECK eax, 0x0104, "IRQ8 in service: slave ISR bit 0, master ISR bit 2"
    CHECK dword [irq_count+8*4], 1, "exactly one update-ended interrupt"
    RDCMOS REG_C
    and eax, 0xb0
    CHECK eax, 0, "reg C reads 0 after the handler read it"
    RDCMOS REG_A
    and eax, 0x80
    CHECK eax, 0, "UIP clear right after an update"
    mov eax, [irq_tsc+8*8]
    mov edx, [irq_tsc+8*8+4]
    mov [t0], eax
    mov [t0+4], edx
    RDCMOS 0x00
    mov [sec0], eax
    mov ecx, [irq_count+8*4]
    mov [cnt0], ecx
    mov eax, 500
    call wait_from_t0
    mov eax, [irq_count+8*4]
    sub eax, [cnt0]
    CHECK eax, 0, "no update within 0.5 s of the last one"
    RDCMOS 0x00
    CHECK eax, dword [sec0], "seconds unchanged after 0.5 s"
    mov eax, 975
    call wait_from_t0
    ; poll UIP until the next update-ended interrupt (or 1.1 s)
    mov byte [uip_seen], 0
    call uip_poll
    mov eax, [irq_count+8*4]
    sub eax, [cnt0]
    CHECK eax, 1, "next update-ended interrupt"
    mov eax, [irq_tsc+8*8]
    mov edx, [irq_tsc+8*8+4]
    sub eax, [t0]
    sbb edx, [t0+4]
    call tsc_delta_us
    INFO "us between update-ended interrupts", eax
    CHECK_RANGE eax, 950000, 1050000, "updates 1 s apart"
    mov eax, 1100
    call wait_from_t0
    mov eax, [sec0]
    call bcd_inc60
    mov ebx, eax
    RDCMOS 0x00
    CHECK eax, ebx, "seconds advanced by one after 1.1 s"
    ; UIP: if the 244 us window was missed (QEMU's vCPU thread can be
    ; descheduled that long on a busy host), try the next two updates
    mov ecx, 2
.uipr:
    cmp byte [uip_seen], 0
    jne .uipok
    mov eax, [irq_tsc+8*8]
    mov edx, [irq_tsc+8*8+4]
    mov [t0], eax
    mov [t0+4], edx
    mov eax, [irq_count+8*4]
    mov [cnt0], eax
    mov eax, 975
    call wait_from_t0
    call uip_poll
    loop .uipr
.uipok:
    movzx eax, byte [uip_seen]
    CHECK eax, 1, "UIP seen set just before the update"
    WRCMOS REG_B, 0x02
    RDCMOS REG_C

    ; ==================================================== periodic interrupt
    WRCMOS REG_A, 0x26              ; RS=6: 1024 Hz
    RDCMOS REG_C
    WRCMOS REG_B, 0x42              ; PIE | 24h
    mov ebx, 8
    mov eax, 200
    call count_irqs
    INFO "periodic interrupts in 200 ms (RS=6)", eax
    CHECK_RANGE eax, 150, 206, "periodic interrupt at 1024 Hz: count in 200 ms (205)"
    movzx eax, byte [rtc_lastc]
    and eax, 0xc0
    CHECK eax, 0xc0, "reg C in the handler: IRQF and PF"
    ; without the reg C read the IRQ line stays asserted: after one more
    ; interrupt the (edge-triggered) PIC sees no further edge
    mov byte [rtc_noack], 1
    mov ecx, [irq_count+8*4]
    mov [cnt0], ecx
    mov eax, 5
    call delay_ms_hlt
    mov eax, [irq_count+8*4]
    sub eax, [cnt0]
    CHECK_RANGE eax, 1, 2, "reg C not read: the next periodic interrupt arrives"
    mov ecx, [irq_count+8*4]
    mov [cnt0], ecx
    mov eax, 30
    call delay_ms_hlt
    mov eax, [irq_count+8*4]
    sub eax, [cnt0]
    CHECK eax, 0, "reg C not read: no further interrupt in 30 ms"
    RDCMOS REG_C
    and eax, 0xc0
    CHECK eax, 0xc0, "reg C: IRQF and PF pending"
    mov byte [rtc_noack], 0
    mov ecx, [irq_count+8*4]
    mov [cnt0], ecx
    mov eax, 20
    call delay_ms_hlt
    mov eax, [irq_count+8*4]
    sub eax, [cnt0]
    CHECK_RANGE eax, 10, 22, "reading reg C re-arms the periodic interrupt"
    ; RS=0: no periodic interrupt even with PIE
    WRCMOS REG_A, 0x20
    RDCMOS REG_C
    OPEN_IF                         ; an edge latched in the PIC before
    mov ecx, [irq_count+8*4]
    mov [cnt0], ecx
    mov eax, 20
    call delay_ms_hlt
    mov eax, [irq_count+8*4]
    sub eax, [cnt0]
    CHECK eax, 0, "RS=0 disables the periodic interrupt"
    WRCMOS REG_A, 0x26
    ; PIE=0: no interrupt, no IRQF; PF still set at the periodic rate
    WRCMOS REG_B, 0x02
    RDCMOS REG_C
    OPEN_IF
    RDCMOS REG_C
    mov ecx, [irq_count+8*4]
    mov [cnt0], ecx
    mov eax, 10
    call delay_ms_hlt
    mov eax, [irq_count+8*4]
    sub eax, [cnt0]
    CHECK eax, 0, "PIE=0: no periodic interrupt"
    RDCMOS REG_C
    mov ebx, eax
    and eax, 0x80
    CHECK eax, 0, "PIE=0: IRQF stays clear"
    and ebx, 0x40
    CHECK_ALT ebx, 0x40, 0, "PIE=0: PF still set at the periodic rate"

    ; ==================================================== set time: BCD 24 h, alarm
    ; 2024-02-28 (Wed) 23:59:59, alarm ss=00 with don't-care hh:mm, AIE only
    mov esi, set_bcd24
    mov bl, 0x22                    ; AIE | 24h
    mov bh, 0x02
    call rtc_set_and_run
    PASS_IF nc, "alarm interrupt (don't-care hours/minutes) after setting the time"
    movzx eax, byte [rtc_lastc]
    and eax, 0xb0
    CHECK eax, 0xb0, "reg C: IRQF, AF and UF"
    call read_hms
    CHECK eax, 0x000000, "BCD 24 h: 23:59:59 -> 00:00:00"
    call read_date
    CHECK eax, 0x24022905, "BCD: 2024-02-28 Wed -> 2024-02-29 Thu (leap year)"
    RDCMOS 0x32
    CHECK eax, 0x20, "century unchanged"

    ; ==================================================== set time: BCD 12 h
    ; 2024-02-29 (Thu) 11:59:59 PM -> 2024-03-01 (Fri) 12:00:00 AM; alarm ss=30
    mov esi, set_bcd12
    mov bl, 0x10                    ; UIE | 12h
    mov bh, 0x00
    call rtc_set_and_run
    PASS_IF nc, "update interrupt after setting the time (12 h)"
    movzx eax, byte [rtc_lastc]
    and eax, 0xb0
    CHECK eax, 0x90, "reg C: UF without AF (alarm seconds do not match)"
    call read_hms
    CHECK eax, 0x120000, "BCD 12 h: 11:59:59 PM -> 12:00:00 AM"
    call read_date
    CHECK eax, 0x24030106, "BCD: 2024-02-29 Thu -> 2024-03-01 Fri"

    ; ==================================================== set time: binary 24 h, divider reset
    ; 2023-02-28 (Tue) 23:59:59 binary; divider held in reset for 1.1 s first
    mov esi, set_bin24
    mov bl, 0x16                    ; UIE | DM | 24h
    mov bh, 0x06
    mov dword [hold_ms], 1100
    call rtc_set_and_run
    mov dword [hold_ms], 0
    PASS_IF nc, "update interrupt after releasing the divider reset"
    mov eax, [held_updates]
    CHECK eax, 0, "no update while the divider is held in reset"
    mov eax, [held_sec]
    CHECK eax, 59, "time frozen while the divider is held in reset"
    mov eax, [irq_tsc+8*8]
    mov edx, [irq_tsc+8*8+4]
    sub eax, [t0]
    sbb edx, [t0+4]
    call tsc_delta_us
    INFO "us from divider release to the first update", eax
    CHECK_RANGE eax, 480000, 560000, "first update 500 ms after the divider reset ends"
    call read_hms
    CHECK eax, 0x000000, "binary 24 h: 23:59:59 -> 00:00:00"
    call read_date
    CHECK eax, 0x17030104, "binary: 2023-02-28 Tue -> 2023-03-01 Wed (not leap)"

    ; back to BCD 24 h, interrupts off
    WRCMOS REG_B, 0x82
    WRCMOS 0x32, 0x20
    WRCMOS 0x09, 0x24
    WRCMOS REG_B, 0x02
    RDCMOS REG_C
    mov ax, 0xffff
    call pic_set_mask
    ret

; esi = list of (index, value) bytes ending in 0xff, bh = format bits of reg B,
; bl = reg B to run with; [hold_ms] = time to keep the divider in reset.
; Sets SET and the divider reset, writes the registers, clears SET, releases
; the divider (t0 = TSC then) and waits up to 1 s for an IRQ8 (CF=1 if none).
rtc_set_and_run:
    push ebx
    mov al, REG_B
    mov ah, bh
    or ah, 0x80
    call cmos_write
    WRCMOS REG_A, 0x66              ; divider reset
.l: mov al, [esi]
    cmp al, 0xff
    je .w
    mov ah, [esi+1]
    call cmos_write
    add esi, 2
    jmp .l
.w: RDCMOS REG_C
    mov byte [rtc_lastc], 0
    pop ebx
    mov al, REG_B
    mov ah, bl
    call cmos_write                 ; SET off (divider still in reset)
    mov ecx, [irq_count+8*4]
    mov eax, [hold_ms]
    test eax, eax
    jz .rel
    call delay_ms_hlt
    mov eax, [irq_count+8*4]
    sub eax, ecx
    mov [held_updates], eax
    RDCMOS 0x00
    mov [held_sec], eax
.rel:
    mov ecx, [irq_count+8*4]
    rdtsc
    mov [t0], eax
    mov [t0+4], edx
    WRCMOS REG_A, 0x26              ; release: first update 500 ms later
    mov ebx, 8
    mov eax, 1000
    call wait_irq_hlt
    ret

read_hms:                           ; eax = hours << 16 | minutes << 8 | seconds
    push ebx
    RDCMOS 0x04
    shl eax, 16
    mov ebx, eax
    RDCMOS 0x02
    shl eax, 8
    or ebx, eax
    RDCMOS 0x00
    or eax, ebx
    pop ebx
    ret

read_date:                          ; eax = year << 24 | month << 16 | day << 8 | weekday
    push ebx
    RDCMOS 0x09
    shl eax, 24
    mov ebx, eax
    RDCMOS 0x08
    shl eax, 16
    or ebx, eax
    RDCMOS 0x07
    shl eax, 8
    or ebx, eax
    RDCMOS 0x06
    or eax, ebx
    pop ebx
    ret

cmos_word_15:
    mov al, 0x15
cmos_word:                          ; al = low index -> eax = [al] | [al+1] << 8
    push ebx
    mov bl, al
    call cmos_read
    movzx eax, al
    push eax
    mov al, bl
    inc al
    call cmos_read
    movzx eax, al
    shl eax, 8
    pop ebx
    or eax, ebx
    pop ebx
    ret

; al = index, ah = max (BCD): sets bit <index> of ebx if the register is not
; valid BCD <= max (bcd_check_nz: also not 0)
bcd_check_nz:
    push eax
    push ecx
    mov cl, al
    call cmos_read
    test al, al
    jz bcd_bad
    jmp bcd_common
bcd_check:
    push eax
    push ecx
    mov cl, al
    call cmos_read
bcd_common:
    cmp al, ah
    ja bcd_bad
    mov ch, al
    and ch, 0x0f
    cmp ch, 9
    ja bcd_bad
    mov ch, al
    shr ch, 4
    cmp ch, 9
    ja bcd_bad
    pop ecx
    pop eax
    ret
bcd_bad:
    movzx ecx, cl
    bts ebx, ecx
    pop ecx
    pop eax
    ret

bcd_inc60:                          ; eax = BCD seconds -> next second
    inc eax
    mov ecx, eax
    and ecx, 0x0f
    cmp ecx, 0x0a
    jb .n
    add eax, 6
.n: cmp eax, 0x60
    jb .d
    xor eax, eax
.d: ret

; poll reg A until irq_count[8] != [cnt0] or 1.1 s after [t0]; uip_seen = 1
; if UIP was read as 1
uip_poll:
    pushad
.l: RDCMOS REG_A
    test al, 0x80
    jz .n
    mov byte [uip_seen], 1
.n: sti
    nop
    cli
    mov eax, [irq_count+8*4]
    cmp eax, [cnt0]
    jne .d
    mov esi, t0
    call tsc_since_us
    cmp eax, 1100000
    jb .l
.d: popad
    ret

wait_no_uip:                        ; until reg A UIP = 0 (bounded)
    push ecx
    mov ecx, 100000
.l: RDCMOS REG_A
    test al, 0x80
    jz .d
    loop .l
.d: pop ecx
    ret

wait_from_t0:                       ; eax = ms after [t0]
    pushad
    call ms_to_tsc
    add eax, [t0]
    adc edx, [t0+4]
    call wait_until_hlt
    popad
    ret

rtc_hook:                           ; IRQ8: read reg C (unless rtc_noack)
    cmp byte [rtc_noack], 0
    jne .r
    mov al, REG_C
    out CMOS_INDEX, al
    in al, CMOS_DATA
    mov [rtc_lastc], al
    or [rtc_orc], al
.r: ret

section .rodata
set_bcd24:  db 0x00, 0x59, 0x02, 0x59, 0x04, 0x23, 0x06, 0x04, 0x07, 0x28
            db 0x08, 0x02, 0x09, 0x24, 0x32, 0x20
            db 0x01, 0x00, 0x03, 0xc0, 0x05, 0xc0, 0xff
set_bcd12:  db 0x00, 0x59, 0x02, 0x59, 0x04, 0x91, 0x06, 0x05, 0x07, 0x29
            db 0x08, 0x02, 0x09, 0x24, 0x32, 0x20
            db 0x01, 0x30, 0x03, 0xc0, 0x05, 0xc0, 0xff
set_bin24:  db 0x00, 59, 0x02, 59, 0x04, 23, 0x06, 3, 0x07, 28
            db 0x08, 2, 0x09, 23, 0x32, 20
            db 0x01, 0x30, 0x03, 0xc0, 0x05, 0xc0, 0xff

section .data
align 8
t0:         dq 0
sec0:       dd 0
cnt0:       dd 0
hold_ms:    dd 0
held_updates: dd 0
held_sec:   dd 0
rtc_orc:    dd 0
rtc_lastc:  db 0
rtc_noack:  db 0
uip_seen:   db 0
nv_save:    db 0
section .text
