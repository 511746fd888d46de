; platform.asm - PC platform devices of QEMU's pc machine.
; fw_cfg (0x510/0x511): signature, ID, NB_CPUS (= -smp, also CMOS 0x5f),
;   RAM_SIZE (= -m, vs. multiboot mem_upper), reads past an item's end, the file directory (big-endian count, sorted
;   names); DMA interface (0x514/0x518) when ID bit 1 is set: signature
;   register, select+read, skip, read continuing at the item offset, error
;   on a write to a read-only item.
; ACPI: RSDP in 0xE0000-0xFFFFF (checksums, rev 2 length/extended checksum),
;   RSDT/XSDT and every table's checksum, FADT (PM1a_EVT 0x600, PM1a_CNT
;   0x604, PM_TMR 0x608, lengths, SCI 9, DSDT, FACS), MADT (local APIC
;   address, PCAT_COMPAT, one enabled local APIC per CPU incl. the BSP, one
;   I/O APIC at 0xFEC00000 matching its ID/version registers, IRQ0 -> GSI2
;   override), HPET table vs. the HPET registers.
; ACPI PM timer: 24-bit, monotonic, 3.579545 MHz against the TSC (itself
;   calibrated from PIT channel 2; reads bracketed against host preemption).
; PCI mechanism #1: CONFIG_ADDRESS read-back, 00:00.0 i440FX, 00:01.0 PIIX3
;   (multi-function), 00:01.3 PIIX4 PM base = FADT PM1a_EVT, byte/word
;   accesses to CONFIG_DATA, an empty slot, pci-testdev (class, BAR0 memory
;   and BAR1 I/O sizing and restore, unimplemented BAR2, the "no-eventfd"
;   test protocol on both BARs).
; pc-testdev: scratch register lanes (0xe0 and the byte-split 0xe8 window),
;   iomem at 0xff000000.
; HPET (0xFED00000): capabilities (vendor 8086, LEG_RT_CAP, 64-bit, period
;   10 ns and timer 0 INT_ROUTE_CAP = IRQ2 as on QEMU's pc machine),
;   reset state, halted counter writable, counter rate against the TSC,
;   timer 0 in legacy replacement mode: one-shot edge IRQ0 through the PIC
;   with the PIT's IRQ0 suppressed, level-triggered status bit, periodic
;   mode with Tn_VAL_SET_CNF; leaving legacy mode gives IRQ0 back to the PIT.
; Interrupt counts allow for ticks QEMU loses when the host deschedules it.
; swemu-args: -device pc-testdev -device pci-testdev -smp 2 -m 256
%include "lib.inc"
%include "pc.inc"

EXPECT_CPUS equ 2
EXPECT_RAM  equ 256                 ; MiB
HPET        equ 0xfed00000
IOAPIC      equ 0xfec00000
LAPIC       equ 0xfee00000

main:
    call irq_setup
    cli
    call pic_init
    mov ax, 0xffff
    call pic_set_mask
    call tsc_calibrate
    PASS_IF nc, "TSC calibrated from PIT channel 2"
    call fwcfg_tests
    call acpi_tests
    call pmtimer_tests
    call pci_tests
    call pctestdev_tests
    call hpet_tests
    mov ax, 0xffff
    call pic_set_mask
    ret

; ================================================================ fw_cfg

fw_select:                          ; ax = key
    push edx
    mov dx, 0x510
    out dx, ax
    pop edx
    ret

fw_read:                            ; ecx = bytes, edi = buffer
    push edx
    push edi
    push ecx
    mov dx, 0x511
    rep insb
    pop ecx
    pop edi
    pop edx
    ret

fw_read32:                          ; -> eax (little-endian bytes)
    push ecx
    push edi
    mov edi, fwbuf
    mov ecx, 4
    call fw_read
    mov eax, [fwbuf]
    pop edi
    pop ecx
    ret

fwcfg_tests:
    mov ax, 0x0000
    call fw_select
    call fw_read32
    CHECK eax, 'QEMU', "fw_cfg key 0: signature QEMU"
    mov dx, 0x511
    in al, dx
    movzx eax, al
    CHECK eax, 0, "fw_cfg: data past the end of an item reads 0"
    mov ax, 0x0001
    call fw_select
    call fw_read32
    mov [fw_id], eax
    INFO "fw_cfg ID", eax
    and eax, 1
    CHECK eax, 1, "fw_cfg ID bit 0: traditional interface"
    mov ax, 0x0005
    call fw_select
    mov dword [fwbuf], 0xffffffff
    mov edi, fwbuf
    mov ecx, 2
    call fw_read
    movzx eax, word [fwbuf]
    mov [nb_cpus], eax
    CHECK eax, EXPECT_CPUS, "fw_cfg NB_CPUS (0x05) = -smp count"
    mov al, 0x5f
    call cmos_read
    movzx eax, al
    CHECK eax, EXPECT_CPUS-1, "CMOS 0x5f = CPU count - 1 (QEMU pc_cmos_init)"
    mov ax, 0x0003
    call fw_select
    mov edi, fwbuf
    mov ecx, 8
    call fw_read
    CHECK dword [fwbuf], EXPECT_RAM << 20, "fw_cfg RAM_SIZE (0x03) = -m, low dword"
    CHECK dword [fwbuf+4], 0, "fw_cfg RAM_SIZE (0x03), high dword"
    ; consistent with multiboot mem_upper (firmware may hold back <= 1 MiB)
    mov ebx, [mb_info]
    test dword [ebx], 1
    jz .nomb
    mov eax, [fwbuf]
    shr eax, 10
    sub eax, [ebx+8]
    sub eax, 1024
    CHECK_RANGE eax, 0, 1024, "RAM_SIZE vs multiboot mem_upper (KiB difference)"
.nomb:
    ; file directory
    mov ax, 0x0019
    call fw_select
    call fw_read32
    bswap eax
    mov [fw_nfiles], eax
    INFO "fw_cfg files", eax
    CHECK_RANGE eax, 1, 4096, "fw_cfg file directory count (big-endian)"
    xor esi, esi                    ; index
    xor ebx, ebx                    ; unsorted / unterminated names
    xor ebp, ebp                    ; bad selectors
    mov byte [prevname], 0
.f: cmp esi, [fw_nfiles]
    jae .fd
    cmp esi, 4096
    jae .fd
    mov edi, fwent
    mov ecx, 64
    call fw_read
    test esi, esi
    jnz .nf
    push esi                        ; keep entry 0 for the DMA checks
    mov esi, fwent
    mov edi, fwent0
    mov ecx, 64
    rep movsb
    pop esi
.nf:
    movzx eax, word [fwent+4]
    xchg al, ah
    cmp eax, 0x20
    jb .badsel
    cmp eax, 0x4000
    jb .selok
.badsel:
    inc ebp
.selok:
    cmp byte [fwent+8+55], 0
    jne .bad
    cmp byte [fwent+8], 0
    je .bad
    ; strcmp(prevname, name) < 0 (first entry: anything)
    test esi, esi
    jz .ok
    push esi
    mov esi, prevname
    mov edi, fwent+8
.cmp:
    mov al, [esi]
    mov ah, [edi]
    cmp al, ah
    jne .cd
    test al, al
    jz .cd                          ; equal: not sorted
    inc esi
    inc edi
    jmp .cmp
.cd:pop esi
    jb .ok
.bad:
    inc ebx
.ok:
    push esi
    mov esi, fwent+8
    mov edi, prevname
    mov ecx, 56
    rep movsb
    pop esi
    inc esi
    jmp .f
.fd:
    CHECK ebx, 0, "fw_cfg file names NUL-terminated and strictly ascending"
    CHECK ebp, 0, "fw_cfg file selectors in 0x20..0x3fff"

    ; DMA interface
    test dword [fw_id], 2
    jnz .dma
    SKIPMSG "fw_cfg DMA interface (ID bit 1 clear)"
    ret
.dma:
    mov dx, 0x514
    in eax, dx
    CHECK eax, 'QEMU', "fw_cfg DMA register reads the signature (QEMU)"
    mov dx, 0x518
    in eax, dx
    CHECK eax, ' CFG', "fw_cfg DMA register reads the signature ( CFG)"
    ; select key 0 and read 4 bytes
    mov dword [fwbuf], 0
    mov eax, 0x0000000a             ; select key 0 | select | read
    mov ebx, 4
    mov edi, fwbuf
    call fw_dma
    CHECK eax, 0, "fw_cfg DMA select+read: control ends 0"
    CHECK dword [fwbuf], 'QEMU', "fw_cfg DMA read of key 0"
    ; the file directory head equals what port I/O read
    mov eax, 0x0019000a
    mov ebx, 68
    mov edi, dmabuf
    call fw_dma
    CHECK eax, 0, "fw_cfg DMA read of key 0x19: control ends 0"
    mov eax, [dmabuf]
    bswap eax
    CHECK eax, dword [fw_nfiles], "fw_cfg DMA: file count matches port I/O"
    mov esi, dmabuf+4
    mov edi, fwent0
    mov ecx, 64
    repe cmpsb
    PASS_IF e, "fw_cfg DMA: first directory entry matches port I/O"
    ; select + skip 4, then a read without select continues at offset 4
    mov eax, 0x0019000c             ; select | skip
    mov ebx, 4
    mov edi, dmabuf
    call fw_dma
    CHECK eax, 0, "fw_cfg DMA skip: control ends 0"
    mov edi, dmabuf
    mov ecx, 64
    xor eax, eax
    rep stosb
    mov eax, 0x00000002             ; read (no select)
    mov ebx, 64
    mov edi, dmabuf
    call fw_dma
    mov esi, dmabuf
    mov edi, fwent0
    mov ecx, 64
    repe cmpsb
    PASS_IF e, "fw_cfg DMA: read after skip continues at the item offset"
    ; write to a read-only item: error bit
    mov eax, 0x00000018             ; select key 0 | write
    mov ebx, 4
    mov edi, fwbuf
    call fw_dma
    CHECK eax, 1, "fw_cfg DMA write to a read-only item sets the error bit"
    mov ax, 0x0000
    call fw_select
    call fw_read32
    CHECK eax, 'QEMU', "fw_cfg key 0 unchanged after the refused write"
    ret

; eax = control, ebx = length, edi = address -> eax = control after (host order)
fw_dma:
    push edx
    bswap eax
    mov [dmadesc], eax
    bswap ebx
    mov [dmadesc+4], ebx
    mov dword [dmadesc+8], 0
    bswap edi
    mov [dmadesc+12], edi
    bswap edi
    mov dx, 0x514
    xor eax, eax
    out dx, eax                     ; high half of the descriptor address
    mov eax, dmadesc
    bswap eax
    mov dx, 0x518
    out dx, eax                     ; low half: starts the transfer
    mov eax, [dmadesc]
    bswap eax
    pop edx
    ret

; ================================================================ ACPI

; esi = address, ecx = length -> al = byte sum
acpi_sum:
    push esi
    push ecx
    xor eax, eax
.l: add al, [esi]
    inc esi
    loop .l
    pop ecx
    pop esi
    ret

acpi_tests:
    mov esi, 0xe0000
.scan:
    cmp dword [esi], 'RSD '
    jne .nx
    cmp dword [esi+4], 'PTR '
    jne .nx
    mov ecx, 20
    call acpi_sum
    test al, al
    jz .found
.nx:add esi, 16
    cmp esi, 0x100000
    jb .scan
    FAILMSG "ACPI: no RSDP in 0xE0000-0xFFFFF"
    ret
.found:
    mov [rsdp], esi
    PASS_IF e, "ACPI: RSDP found on a 16-byte boundary, 20-byte checksum 0"
    movzx eax, byte [esi+15]
    mov [rsdp_rev], eax
    INFO "RSDP revision", eax
    cmp eax, 2
    jb .rev0
    CHECK dword [esi+20], 36, "RSDP rev 2: length 36"
    mov ecx, 36
    call acpi_sum
    movzx eax, al
    CHECK eax, 0, "RSDP rev 2: extended checksum over 36 bytes"
    mov eax, [esi+24]
    mov [xsdt], eax
    CHECK dword [esi+28], 0, "XSDT below 4 GiB"
.rev0:
    mov esi, [esi+16]
    mov [rsdt], esi
    CHECK dword [esi], 'RSDT', "RSDT signature"
    mov ecx, [esi+4]
    call acpi_sum
    movzx eax, al
    CHECK eax, 0, "RSDT checksum"
    mov ecx, [esi+4]
    sub ecx, 36
    shr ecx, 2
    mov [nrsdt], ecx
    INFO "RSDT entries", ecx
    xor ebx, ebx                    ; bad checksums
    xor edx, edx
.tab:
    cmp edx, [nrsdt]
    jae .tabd
    mov edi, [esi+36+edx*4]
    push esi
    push ecx
    mov esi, edi
    mov ecx, [esi+4]
    cmp ecx, 36
    jb .tbad
    call acpi_sum
    test al, al
    jz .tok
.tbad:
    inc ebx
.tok:
    mov eax, [esi]
    cmp eax, 'FACP'
    jne .t1
    mov [facp], esi
.t1:cmp eax, 'APIC'
    jne .t2
    mov [madt], esi
.t2:cmp eax, 'HPET'
    jne .t3
    mov [hpett], esi
.t3:pop ecx
    pop esi
    inc edx
    jmp .tab
.tabd:
    CHECK ebx, 0, "checksum of every table in the RSDT"

    ; XSDT (revision 2): same tables as the RSDT
    mov esi, [xsdt]
    test esi, esi
    jz .noxsdt
    CHECK dword [esi], 'XSDT', "XSDT signature"
    mov ecx, [esi+4]
    call acpi_sum
    movzx eax, al
    CHECK eax, 0, "XSDT checksum"
    mov ecx, [esi+4]
    sub ecx, 36
    shr ecx, 3
    CHECK ecx, dword [nrsdt], "XSDT and RSDT have the same number of entries"
    xor ebx, ebx
    xor edx, edx
    mov edi, [rsdt]
.xl:cmp edx, ecx
    jae .xd
    cmp edx, [nrsdt]
    jae .xd
    mov eax, [esi+36+edx*8]
    cmp eax, [edi+36+edx*4]
    jne .xb
    cmp dword [esi+36+edx*8+4], 0
    je .xo
.xb:inc ebx
.xo:inc edx
    jmp .xl
.xd:CHECK ebx, 0, "XSDT entries equal the RSDT entries"
.noxsdt:

    ; FADT
    mov esi, [facp]
    test esi, esi
    jnz .fadt
    FAILMSG "ACPI: no FADT"
    jmp .madt
.fadt:
    PASS_IF nz, "FADT (FACP) present"
    CHECK dword [esi+56], 0x600, "FADT PM1a_EVT_BLK"
    CHECK dword [esi+64], 0x604, "FADT PM1a_CNT_BLK"
    CHECK dword [esi+76], 0x608, "FADT PM_TMR_BLK"
    mov eax, [esi+76]
    mov [pmtmr], eax
    mov eax, [esi+56]
    mov [pm1a_evt], eax
    movzx eax, byte [esi+88]
    CHECK eax, 4, "FADT PM1_EVT_LEN"
    movzx eax, byte [esi+89]
    CHECK eax, 2, "FADT PM1_CNT_LEN"
    movzx eax, byte [esi+91]
    CHECK eax, 4, "FADT PM_TMR_LEN"
    movzx eax, word [esi+46]
    CHECK eax, 9, "FADT SCI_INT"
    mov eax, [esi+112]
    mov [fadt_flags], eax
    mov edi, [esi+40]
    CHECK dword [edi], 'DSDT', "DSDT signature (FADT DSDT)"
    push esi
    mov esi, edi
    mov ecx, [esi+4]
    call acpi_sum
    pop esi
    movzx eax, al
    CHECK eax, 0, "DSDT checksum"
    mov edi, [esi+36]
    CHECK dword [edi], 'FACS', "FACS signature (FADT FIRMWARE_CTRL)"
    mov eax, edi
    and eax, 63
    CHECK eax, 0, "FACS 64-byte aligned"
    mov eax, [edi+4]
    CHECK_RANGE eax, 64, 4096, "FACS length"

.madt:
    mov esi, [madt]
    test esi, esi
    jnz .m1
    FAILMSG "ACPI: no MADT"
    jmp .hp
.m1:
    CHECK dword [esi+36], LAPIC, "MADT local APIC address"
    mov eax, [esi+40]
    and eax, 1
    CHECK eax, 1, "MADT flags: PCAT_COMPAT (dual 8259)"
    mov eax, [LAPIC+0x20]
    shr eax, 24
    mov [bsp_id], eax
    xor ebx, ebx                    ; enabled local APICs
    xor ebp, ebp                    ; I/O APICs
    mov byte [bsp_seen], 0
    mov byte [iso0], 0
    mov edi, esi
    add edi, 44
    mov edx, esi
    add edx, [esi+4]                ; end
.ml:cmp edi, edx
    jae .md
    movzx ecx, byte [edi+1]
    cmp ecx, 2
    jb .md                          ; malformed: stop
    mov al, [edi]
    cmp al, 0
    jne .m_io
    test byte [edi+4], 1
    jz .mn
    inc ebx
    movzx eax, byte [edi+3]
    cmp eax, [bsp_id]
    jne .mn
    mov byte [bsp_seen], 1
    jmp .mn
.m_io:
    cmp al, 1
    jne .m_iso
    inc ebp
    mov eax, [edi+4]
    mov [ioapic_addr], eax
    mov eax, [edi+8]
    mov [ioapic_gsi], eax
    movzx eax, byte [edi+2]
    mov [ioapic_id], eax
    jmp .mn
.m_iso:
    cmp al, 2
    jne .mn
    cmp byte [edi+3], 0
    jne .mn
    cmp byte [edi+2], 0
    jne .mn
    cmp dword [edi+4], 2
    jne .mn
    mov byte [iso0], 1
.mn:add edi, ecx
    jmp .ml
.md:
    CHECK ebx, dword [nb_cpus], "MADT: one enabled local APIC per CPU (fw_cfg NB_CPUS)"
    movzx eax, byte [bsp_seen]
    CHECK eax, 1, "MADT lists the BSP's local APIC ID"
    CHECK ebp, 1, "MADT: one I/O APIC"
    CHECK dword [ioapic_addr], IOAPIC, "MADT I/O APIC address"
    CHECK dword [ioapic_gsi], 0, "MADT I/O APIC GSI base"
    movzx eax, byte [iso0]
    CHECK eax, 1, "MADT interrupt source override: ISA IRQ0 -> GSI 2"
    mov dword [IOAPIC], 0           ; IOAPICID
    mov eax, [IOAPIC+0x10]
    shr eax, 24
    and eax, 0x0f
    CHECK eax, dword [ioapic_id], "I/O APIC ID register matches the MADT"
    mov dword [IOAPIC], 1           ; IOAPICVER
    mov eax, [IOAPIC+0x10]
    CHECK eax, 0x00170020, "I/O APIC version 0x20, 24 redirection entries"

.hp:
    mov esi, [hpett]
    test esi, esi
    jnz .h1
    SKIPMSG "ACPI: no HPET table"
    ret
.h1:
    CHECK dword [esi+44], HPET, "ACPI HPET table: base address"
    CHECK dword [esi+48], 0, "ACPI HPET table: base address high"
    mov eax, [HPET]
    CHECK dword [esi+36], eax, "ACPI HPET table: event timer block ID = GCAP_ID"
    ret

; ================================================================ ACPI PM timer

pm_read:                            ; -> eax
    push edx
    mov edx, [pmtmr]
    in eax, dx
    pop edx
    ret

pmtimer_tests:
    cmp dword [pmtmr], 0
    jne .go
    SKIPMSG "ACPI PM timer (no FADT)"
    ret
.go:
    mov eax, 0x00ffffff
    test dword [fadt_flags], 1 << 8 ; TMR_VAL_EXT: 32-bit counter
    jz .m24
    mov eax, 0xffffffff
.m24:
    mov [pm_mask], eax
    ; monotonic, within the counter width
    xor ebx, ebx
    xor esi, esi                    ; OR of out-of-width bits
    call pm_read
    mov edi, eax
    mov ecx, 2000
.mono:
    call pm_read
    mov edx, eax
    and edx, 0xff000000             ; bits above 23
    test dword [fadt_flags], 1 << 8
    jnz .ext
    or esi, edx
.ext:
    push eax
    sub eax, edi
    and eax, [pm_mask]
    cmp eax, 0x10000
    jb .mok
    inc ebx
.mok:
    pop edi
    loop .mono
    CHECK esi, 0, "PM timer: bits 31-24 read 0 (24-bit, TMR_VAL_EXT=0)"
    CHECK ebx, 0, "PM timer: consecutive reads never go backwards"
    ; rate against the TSC (calibrated from PIT channel 2) over 50 ms
    mov ebx, pm_read
    mov eax, 50
    call measure_rate
    and eax, [pm_mask]
    mov ebx, eax
    INFO "PM timer ticks", ebx
    INFO "in TSC-measured us", ecx
    mov eax, ecx
    mov ecx, 3579545
    mul ecx
    mov ecx, 1000000
    div ecx
    mov ecx, eax
    shr ecx, 7                      ; 0.8 %
    mov esi, eax
    sub esi, ecx
    add eax, ecx
    CHECK_RANGE ebx, esi, eax, "PM timer at 3.579545 MHz (TSC from PIT, +-0.8%)"
    ret

; ebx = reader (-> eax), eax = ms -> eax = reader delta, ecx = microseconds
; between the two reads by the TSC; each read is bracketed by TSC reads and
; retried if they are more than ~30 us apart (host preemption under QEMU).
measure_rate:
    push edx
    push esi
    push edi
    push eax
    call bracket_read
    mov esi, eax
    mov eax, [br_tsc]
    mov [br_start], eax
    mov eax, [br_tsc+4]
    mov [br_start+4], eax
    pop eax
    call ms_to_tsc
    add eax, [br_start]
    adc edx, [br_start+4]
.w: push eax
    push edx
    rdtsc
    mov edi, edx
    mov ecx, eax
    pop edx
    pop eax
    cmp edi, edx
    jb .w
    ja .d
    cmp ecx, eax
    jb .w
.d: call bracket_read
    sub eax, esi
    push eax
    mov eax, [br_tsc]
    mov edx, [br_tsc+4]
    sub eax, [br_start]
    sbb edx, [br_start+4]
    call tsc_delta_us
    mov ecx, eax
    pop eax
    pop edi
    pop esi
    pop edx
    ret

bracket_read:                       ; ebx = reader -> eax, [br_tsc] = TSC before it
    push edx
    push esi
    push ecx
    mov ecx, [tsc_per_ms]
    shr ecx, 5
.r: rdtsc
    mov [br_tsc], eax
    mov [br_tsc+4], edx
    call ebx
    mov esi, eax
    rdtsc
    sub eax, [br_tsc]
    cmp eax, ecx
    ja .r
    mov eax, esi
    pop ecx
    pop esi
    pop edx
    ret

hpet_read:
    mov eax, [HPET+0xf0]
    ret

hpet_hook:                          ; IRQ0: main counter at the interrupt
    mov eax, [HPET+0xf0]
    mov [hpet_at_irq], eax
    ret

; ================================================================ PCI

pci_rd:                             ; eax = bus/dev/fn/reg -> eax
    push edx
    or eax, 0x80000000
    mov dx, 0xcf8
    out dx, eax
    mov dx, 0xcfc
    in eax, dx
    pop edx
    ret

pci_wr:                             ; eax = address, ebx = value
    push edx
    push eax
    or eax, 0x80000000
    mov dx, 0xcf8
    out dx, eax
    mov dx, 0xcfc
    mov eax, ebx
    out dx, eax
    pop eax
    pop edx
    ret

%define PCIADDR(d, f, r) (((d) << 11) | ((f) << 8) | (r))

pci_tests:
    mov dx, 0xcf8
    mov eax, 0x80000000
    out dx, eax
    in eax, dx
    CHECK eax, 0x80000000, "PCI CONFIG_ADDRESS (0xcf8) reads back"
    mov dx, 0xcfe
    in ax, dx
    movzx eax, ax
    CHECK eax, 0x1237, "PCI word read at 0xcfe: 00:00.0 device ID"
    mov dx, 0xcfd
    in al, dx
    movzx eax, al
    CHECK eax, 0x80, "PCI byte read at 0xcfd: vendor ID high byte"
    mov eax, PCIADDR(0, 0, 0)
    call pci_rd
    CHECK eax, 0x12378086, "00:00.0 is 8086:1237 (i440FX)"
    mov eax, PCIADDR(0, 0, 8)
    call pci_rd
    shr eax, 8
    CHECK eax, 0x060000, "00:00.0 class: host bridge"
    mov eax, PCIADDR(1, 0, 0)
    call pci_rd
    CHECK eax, 0x70008086, "00:01.0 is 8086:7000 (PIIX3 ISA)"
    mov eax, PCIADDR(1, 0, 8)
    call pci_rd
    shr eax, 8
    CHECK eax, 0x060100, "00:01.0 class: ISA bridge"
    mov eax, PCIADDR(1, 0, 0x0c)
    call pci_rd
    shr eax, 16
    and eax, 0x80
    CHECK eax, 0x80, "00:01.0 header type: multi-function"
    mov eax, PCIADDR(1, 3, 0)
    call pci_rd
    cmp eax, 0x71138086
    je .pm
    SKIPMSG "00:01.3 PIIX4 PM function not present"
    jmp .pmd
.pm:
    mov eax, PCIADDR(1, 3, 0x40)
    call pci_rd
    and eax, 0xffc1
    mov ebx, [pm1a_evt]
    or ebx, 1
    CHECK eax, ebx, "00:01.3 PMBA (I/O, bit 0 set) = FADT PM1a_EVT_BLK"
.pmd:
    mov eax, PCIADDR(31, 0, 0)
    call pci_rd
    CHECK eax, 0xffffffff, "empty slot 00:1f.0 reads all ones"

    ; find pci-testdev
    xor esi, esi
.scan:
    mov eax, esi
    shl eax, 11
    call pci_rd
    cmp eax, 0x00051b36
    je .found
    inc esi
    cmp esi, 32
    jb .scan
    FAILMSG "pci-testdev (1b36:0005) not found on bus 0"
    ret
.found:
    PASS_IF e, "pci-testdev 1b36:0005 found on bus 0"
    shl esi, 11
    mov [tdev], esi
    lea eax, [esi+8]
    call pci_rd
    CHECK eax, 0x00ff0000, "pci-testdev class 00/ff/00 (PCI_CLASS_OTHERS), revision 0"
    ; BAR0: 4 KiB memory
    lea eax, [esi+0x10]
    call pci_rd
    mov [bar0], eax
    mov ebx, 0xffffffff
    lea eax, [esi+0x10]
    call pci_wr
    call pci_rd
    CHECK eax, 0xfffff000, "pci-testdev BAR0 sizing: 4 KiB, 32-bit memory"
    mov ebx, [bar0]
    lea eax, [esi+0x10]
    call pci_wr
    call pci_rd
    CHECK eax, dword [bar0], "pci-testdev BAR0 restored"
    ; BAR1: 256 bytes I/O
    lea eax, [esi+0x14]
    call pci_rd
    mov [bar1], eax
    mov ebx, 0xffffffff
    lea eax, [esi+0x14]
    call pci_wr
    call pci_rd
    and eax, 0xffff
    CHECK eax, 0xff01, "pci-testdev BAR1 sizing: 256 bytes, I/O"
    mov ebx, [bar1]
    lea eax, [esi+0x14]
    call pci_wr
    call pci_rd
    CHECK eax, dword [bar1], "pci-testdev BAR1 restored"
    ; BAR2 not implemented
    mov ebx, 0xffffffff
    lea eax, [esi+0x18]
    call pci_wr
    call pci_rd
    CHECK eax, 0, "pci-testdev BAR2 not implemented (reads 0)"
    ; enable decoding and run the "no-eventfd" tests
    lea eax, [esi+4]
    call pci_rd
    mov ebx, eax
    and ebx, 0xffff
    or ebx, 3
    lea eax, [esi+4]
    call pci_wr
    mov edi, [bar0]
    and edi, 0xfffffff0
    jnz .mmio
    SKIPMSG "pci-testdev BAR0 not assigned"
    jmp .pio
.mmio:
    mov byte [edi], 0               ; select test 0 (mmio-no-eventfd)
    push edi
    lea esi, [edi+16]
    mov edi, name_mmio
    mov ecx, name_mmio_len
    repe cmpsb
    pop edi
    PASS_IF e, "pci-testdev MMIO test 0 name: mmio-no-eventfd"
    CHECK dword [edi+4], 2048, "pci-testdev MMIO test 0 offset"
    movzx eax, byte [edi+8]
    CHECK eax, 0xfa, "pci-testdev MMIO test 0 data"
    CHECK dword [edi+12], 0, "pci-testdev MMIO test 0 count starts at 0"
    mov byte [edi+2048], 0xfa
    mov byte [edi+2048], 0xfa
    mov byte [edi+2048], 0x11       ; data mismatch: not counted
    mov byte [edi+2048], 0xfa
    mov byte [edi+2047], 0xfa       ; wrong offset: not counted
    CHECK dword [edi+12], 3, "pci-testdev MMIO test 0 counts matching writes"
.pio:
    mov edx, [bar1]
    and edx, 0xfffc
    jnz .pio1
    SKIPMSG "pci-testdev BAR1 not assigned"
    ret
.pio1:
    mov al, 0
    out dx, al                      ; select test 0 (portio-no-eventfd)
    push edx
    add edx, 16
    mov edi, pcibuf
    mov ecx, name_pio_len
.nm:in al, dx
    stosb
    inc edx
    loop .nm
    pop edx
    mov esi, pcibuf
    mov edi, name_pio
    mov ecx, name_pio_len
    repe cmpsb
    PASS_IF e, "pci-testdev I/O test 0 name: portio-no-eventfd"
    push edx
    add edx, 4
    in eax, dx
    pop edx
    mov ebx, eax
    CHECK ebx, 131, "pci-testdev I/O test 0 offset"
    push edx
    add edx, ebx
    mov al, 0xfa
    out dx, al
    out dx, al
    pop edx
    push edx
    add edx, 12
    in eax, dx
    pop edx
    CHECK eax, 2, "pci-testdev I/O test 0 counts matching writes"
    ret

; ================================================================ pc-testdev

pctestdev_tests:
    mov dx, 0xe0
    mov eax, 0x12345678
    out dx, eax
    in eax, dx
    CHECK eax, 0x12345678, "pc-testdev 0xe0 dword round trip"
    mov dx, 0xe1
    mov al, 0xab
    out dx, al
    mov dx, 0xe2
    mov ax, 0xcdef
    out dx, ax
    mov dx, 0xe0
    in eax, dx
    CHECK eax, 0xcdefab78, "pc-testdev byte lane 1 and word lane 2 writes"
    mov dx, 0xe3
    in al, dx
    movzx eax, al
    CHECK eax, 0xcd, "pc-testdev byte read of lane 3"
    mov dx, 0xe2
    in ax, dx
    movzx eax, ax
    CHECK eax, 0xcdef, "pc-testdev word read of lanes 2-3"
    mov dx, 0xe8
    in eax, dx
    CHECK eax, 0xcdefab78, "pc-testdev byte-split window 0xe8 shows the register"
    mov dx, 0xea
    mov al, 0x55
    out dx, al
    mov dx, 0xe0
    in eax, dx
    CHECK eax, 0xcd55ab78, "pc-testdev byte write through 0xea lands in lane 2"
    ; iomem
    mov dword [0xff000000], 0xdeadbeef
    mov dword [0xff00fffc], 0x01234567
    CHECK dword [0xff000000], 0xdeadbeef, "pc-testdev iomem 0xff000000 dword"
    CHECK dword [0xff00fffc], 0x01234567, "pc-testdev iomem last dword"
    mov byte [0xff000001], 0x11
    CHECK dword [0xff000000], 0xdead11ef, "pc-testdev iomem byte write"
    movzx eax, word [0xff000002]
    CHECK eax, 0xdead, "pc-testdev iomem word read"
    ret

; ================================================================ HPET

hpet_tests:
    mov eax, [HPET]
    mov [gcap], eax
    INFO "HPET GCAP_ID low", eax
    shr eax, 16
    CHECK eax, 0x8086, "HPET vendor ID 8086"
    mov eax, [gcap]
    and eax, 0xa000
    CHECK eax, 0xa000, "HPET LEG_RT_CAP and COUNT_SIZE_CAP (64-bit)"
    mov eax, [gcap]
    shr eax, 8
    and eax, 0x1f
    inc eax
    CHECK_RANGE eax, 3, 32, "HPET has at least 3 timers"
    movzx eax, byte [gcap]
    CHECK_RANGE eax, 1, 255, "HPET revision ID nonzero"
    mov eax, [HPET+4]
    mov [hpet_period], eax
    CHECK eax, 0x00989680, "HPET period 10 ns (QEMU)"
    mov eax, [HPET+0x10]
    and eax, 3
    CHECK eax, 0, "HPET disabled, legacy routing off at reset"
    mov eax, [HPET+0x100]
    and eax, 0x30
    CHECK eax, 0x30, "HPET timer 0: periodic and 64-bit capable"
    mov eax, [HPET+0x104]
    INFO "HPET timer 0 INT_ROUTE_CAP", eax
    CHECK eax, 0x00000004, "HPET timer 0 INT_ROUTE_CAP = IRQ2 (QEMU pc)"
    CHECK dword [HPET+0x108], 0xffffffff, "HPET timer 0 comparator resets to all ones (low)"
    CHECK dword [HPET+0x10c], 0xffffffff, "HPET timer 0 comparator resets to all ones (high)"
    ; halted counter: writable, does not move
    mov dword [HPET+0xf0], 0x12345678
    mov dword [HPET+0xf4], 0
    mov eax, 1000
    call delay_us_poll
    CHECK dword [HPET+0xf0], 0x12345678, "HPET halted main counter holds a written value"
    ; enabled: rate against the TSC (calibrated from PIT channel 2)
    mov dword [HPET+0xf0], 0
    mov dword [HPET+0x10], 1
    mov ebx, hpet_read
    mov eax, 50
    call measure_rate
    mov ebx, eax
    INFO "HPET ticks", ebx
    INFO "in TSC-measured us", ecx
    cmp dword [hpet_period], 100000
    jae .rate
    SKIPMSG "HPET rate (implausible period)"
    jmp .rated
.rate:
    mov eax, ecx                    ; expected = us * 1e9 fs / period
    mov ecx, 1000000000
    mul ecx
    div dword [hpet_period]
    mov ecx, eax
    shr ecx, 7                      ; ~0.8 %
    mov esi, eax
    sub esi, ecx
    add eax, ecx
    CHECK_RANGE ebx, esi, eax, "HPET main counter rate (TSC from PIT, +-0.8%)"
.rated:
    mov eax, [HPET+0xf4]
    CHECK eax, 0, "HPET counter high dword still 0"

    ; PIT IRQ0 at 200 Hz as the reference
    mov dword [HPET+0x10], 0
    mov al, 0x34
    out PIT_CMD, al
    mov ax, 5966
    out PIT_CH0, al
    mov al, ah
    out PIT_CH0, al
    mov ax, 0xfffe
    call pic_set_mask
    OPEN_IF
    call irq_reset_counts
    sti
    mov eax, 50000
    call delay_us_poll
    cli
    mov eax, [irq_count]
    INFO "PIT IRQ0 in 50 ms", eax
    CHECK_RANGE eax, 3, 11, "PIT IRQ0 (200 Hz) arrives before legacy replacement"

    ; timer 0 one-shot, edge, legacy replacement route -> IRQ0 after 10 ms
    mov dword [HPET+0xf0], 0
    mov dword [HPET+0xf4], 0
    mov dword [HPET+0x100], 0x04    ; Tn_INT_ENB, edge, one-shot, 64-bit
    mov dword [HPET+0x108], 1000000
    mov dword [HPET+0x10c], 0
    rdtsc
    mov [t0], eax
    mov [t0+4], edx
    mov dword [HPET+0x10], 3        ; ENABLE | LEG_RT
    OPEN_IF                         ; a PIT IRQ0 latched before the switch
    call irq_reset_counts
    mov dword [hpet_at_irq], 0
    mov dword [irq_hook], hpet_hook
    sti
    mov eax, 50000
    call delay_us_poll
    cli
    CHECK dword [irq_count], 1, "legacy route: one IRQ0 in 50 ms (HPET one-shot, PIT suppressed)"
    mov eax, [irq_tsc]
    mov edx, [irq_tsc+4]
    sub eax, [t0]
    sbb edx, [t0+4]
    call tsc_delta_us
    INFO "us until the HPET timer 0 interrupt", eax
    CHECK_RANGE eax, 9800, 30000, "HPET timer 0 interrupt 10 ms after the enable"
    mov eax, [hpet_at_irq]
    INFO "HPET counter in the IRQ0 handler", eax
    CHECK_RANGE eax, 1000000, 3000000, "HPET timer 0 fires once the counter reaches the comparator"
    mov dword [irq_hook], 0

    ; level-triggered one-shot: GINTR_STA bit 0 until written with 1
    mov dword [HPET+0x100], 0
    mov eax, [HPET+0xf0]
    add eax, 500000                 ; +5 ms
    mov dword [HPET+0x10c], 0
    mov [HPET+0x108], eax
    mov eax, [HPET+0xf4]
    mov [HPET+0x10c], eax
    call irq_reset_counts
    mov dword [HPET+0x100], 0x06    ; Tn_INT_ENB | level
    sti
    mov eax, 20000
    call delay_us_poll
    cli
    CHECK dword [irq_count], 1, "level-triggered timer 0: one IRQ0 (PIC edge)"
    mov eax, [HPET+0x20]
    and eax, 1
    CHECK eax, 1, "GINTR_STA bit 0 set for the level-triggered timer"
    mov dword [HPET+0x20], 1
    mov eax, [HPET+0x20]
    and eax, 1
    CHECK eax, 0, "writing 1 to GINTR_STA bit 0 clears it"

    ; periodic, 32-bit mode, period 1 ms through Tn_VAL_SET_CNF
    mov dword [HPET+0x10], 2        ; halt (legacy route kept)
    mov dword [HPET+0x100], 0
    mov dword [HPET+0xf0], 0
    mov dword [HPET+0xf4], 0
    mov dword [HPET+0x100], 0x14c   ; 32MODE | VAL_SET | TYPE periodic | INT_ENB
    mov dword [HPET+0x108], 500000  ; 5 ms
    mov eax, [HPET+0x100]
    and eax, 0x14e
    CHECK eax, 0x10c, "Tn_VAL_SET_CNF clears itself after the comparator write"
    call irq_reset_counts
    mov dword [HPET+0x10], 3
    sti
    hlt
    cli
    xor ebx, ebx
    mov eax, 100
    call count_irqs
    INFO "HPET periodic IRQ0 in 100 ms", eax
    CHECK_RANGE eax, 14, 21, "HPET periodic timer 0 at 200 Hz: IRQ0 count in 100 ms (20)"

    ; legacy route off: the PIT has IRQ0 again
    mov dword [HPET+0x100], 0
    mov dword [HPET+0x10], 0
    OPEN_IF
    call irq_reset_counts
    sti
    mov eax, 50000
    call delay_us_poll
    cli
    mov eax, [irq_count]
    CHECK_RANGE eax, 3, 11, "PIT IRQ0 back after leaving legacy replacement"
    mov ax, 0xffff
    call pic_set_mask
    ret

section .rodata
name_mmio:  db "mmio-no-eventfd", 0
name_mmio_len equ $ - name_mmio
name_pio:   db "portio-no-eventfd", 0
name_pio_len equ $ - name_pio

section .data
align 16
dmadesc:    dd 0, 0, 0, 0
align 8
t0:         dq 0
fw_id:      dd 0
fw_nfiles:  dd 0
nb_cpus:    dd 0
rsdp:       dd 0
rsdp_rev:   dd 0
rsdt:       dd 0
xsdt:       dd 0
nrsdt:      dd 0
facp:       dd 0
madt:       dd 0
hpett:      dd 0
pmtmr:      dd 0
pm1a_evt:   dd 0
pm_mask:    dd 0
fadt_flags: dd 0
bsp_id:     dd 0
ioapic_addr: dd 0
ioapic_gsi: dd 0
ioapic_id:  dd 0
tdev:       dd 0
bar0:       dd 0
bar1:       dd 0
gcap:       dd 0
hpet_period: dd 0
hpet_at_irq: dd 0
bsp_seen:   db 0
iso0:       db 0

section .bss
alignb 16
br_tsc:     resq 1
br_start:   resq 1
fwbuf:      resb 16
fwent:      resb 64
fwent0:     resb 64
prevname:   resb 64
dmabuf:     resb 128
pcibuf:     resb 64

section .text
