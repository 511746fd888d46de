; string.asm - REP string instructions: MOVS/STOS/CMPS/SCAS with DF=0/1,
; overlapping buffers, counts 0 and 1, 16-bit address/operand size prefixes,
; and restartable REP MOVS across a not-present page (#PF mid-copy).
%include "lib.inc"

; memeq: esi, edi, ecx bytes -> ZF=1 if equal (no string instructions)
memeq:
    push eax
    push ecx
    push esi
    push edi
    test ecx, ecx
    jz .eq
.l: mov al, [esi]
    cmp al, [edi]
    jne .out
    inc esi
    inc edi
    dec ecx
    jnz .l
.eq:cmp eax, eax
.out:
    pop edi
    pop esi
    pop ecx
    pop eax
    ret

; fill: edi, ecx bytes, al = value
fill:
    push ecx
    push edi
.l: test ecx, ecx
    jz .d
    mov [edi], al
    inc edi
    dec ecx
    jmp .l
.d: pop edi
    pop ecx
    ret

main:
    cld
    ; ---- REP MOVSB forward
    mov edi, dst
    mov ecx, 64
    mov al, 0
    call fill
    mov esi, hello_s
    mov edi, dst
    mov ecx, 13
    rep movsb
    CHECK ecx, 0, "rep movsb: ECX=0 after"
    CHECK esi, hello_s+13, "rep movsb: ESI advanced"
    CHECK edi, dst+13, "rep movsb: EDI advanced"
    mov esi, hello_s
    mov edi, dst
    mov ecx, 13
    call memeq
    PASS_IF e, "rep movsb: data copied"
    CHECK dword [dst+13], 0, "rep movsb: no write past end"

    ; ---- count 0
    mov esi, hello_s
    mov edi, dst+32
    xor ecx, ecx
    rep movsb
    CHECK esi, hello_s, "rep movsb count 0: ESI unchanged"
    CHECK edi, dst+32, "rep movsb count 0: EDI unchanged"
    CHECK dword [dst+32], 0, "rep movsb count 0: nothing written"

    ; ---- count 1
    mov esi, hello_s
    mov edi, dst+32
    mov ecx, 1
    rep movsb
    CHECK ecx, 0, "rep movsb count 1: ECX"
    CHECK edi, dst+33, "rep movsb count 1: EDI"
    CHECK dword [dst+32], 'H', "rep movsb count 1: one byte"

    ; ---- REP MOVSW / MOVSD forward
    mov esi, words_src
    mov edi, dst
    mov ecx, 4
    rep movsw
    CHECK edi, dst+8, "rep movsw: EDI += 8"
    CHECK dword [dst], 0x22221111, "rep movsw: data lo"
    CHECK dword [dst+4], 0x44443333, "rep movsw: data hi"
    mov esi, dwords_src
    mov edi, dst
    mov ecx, 3
    rep movsd
    CHECK esi, dwords_src+12, "rep movsd: ESI += 12"
    CHECK dword [dst+8], 0xcccccccc, "rep movsd: last dword"

    ; ---- DF=1 backwards copies
    mov edi, dst
    mov ecx, 64
    mov al, 0
    call fill
    std
    mov esi, words_src+6
    mov edi, dst+6
    mov ecx, 4
    rep movsw
    cld
    CHECK esi, words_src-2, "rep movsw DF=1: ESI decremented"
    CHECK edi, dst-2, "rep movsw DF=1: EDI decremented"
    CHECK dword [dst], 0x22221111, "rep movsw DF=1: data lo"
    CHECK dword [dst+4], 0x44443333, "rep movsw DF=1: data hi"
    std
    mov esi, dwords_src+8
    mov edi, dst+8
    mov ecx, 3
    rep movsd
    cld
    CHECK edi, dst-4, "rep movsd DF=1: EDI"
    CHECK dword [dst], 0xaaaaaaaa, "rep movsd DF=1: first dword"
    std
    mov esi, hello_s+12
    mov edi, dst+12
    mov ecx, 13
    rep movsb
    cld
    CHECK ecx, 0, "rep movsb DF=1: ECX"
    mov esi, hello_s
    mov edi, dst
    mov ecx, 13
    call memeq
    PASS_IF e, "rep movsb DF=1: data"

    ; ---- overlapping: forward copy to src+1 replicates the first byte
    mov esi, abc_s
    mov edi, buf
    mov ecx, 8
    rep movsb
    mov esi, buf
    mov edi, buf+1
    mov ecx, 7
    rep movsb
    CHECK dword [buf], 'AAAA', "overlap forward movsb replicates (lo)"
    CHECK dword [buf+4], 'AAAA', "overlap forward movsb replicates (hi)"
    ; backward copy (memmove style) shifts right by one
    mov esi, abc_s
    mov edi, buf
    mov ecx, 8
    rep movsb
    std
    mov esi, buf+6
    mov edi, buf+7
    mov ecx, 7
    rep movsb
    cld
    CHECK dword [buf], 'AABC', "overlap backward movsb shifts (lo)"
    CHECK dword [buf+4], 'DEFG', "overlap backward movsb shifts (hi)"
    ; overlapping forward movsd with distance 4 (one element)
    mov dword [buf], 0x11111111
    mov dword [buf+4], 0x22222222
    mov dword [buf+8], 0x33333333
    mov dword [buf+12], 0x44444444
    mov esi, buf
    mov edi, buf+4
    mov ecx, 3
    rep movsd
    CHECK dword [buf+12], 0x11111111, "overlap forward movsd propagates"

    ; ---- REP STOS
    mov edi, dst
    mov eax, 0x5a5a5a5a
    mov ecx, 4
    rep stosd
    CHECK edi, dst+16, "rep stosd: EDI"
    CHECK dword [dst+12], 0x5a5a5a5a, "rep stosd: data"
    std
    mov edi, dst+15
    mov al, 0x77
    mov ecx, 3
    rep stosb
    cld
    CHECK edi, dst+12, "rep stosb DF=1: EDI"
    CHECK dword [dst+12], 0x7777775a, "rep stosb DF=1: data"
    mov edi, dst
    mov ax, 0x1234
    mov ecx, 2
    rep stosw
    CHECK dword [dst], 0x12341234, "rep stosw"
    xor ecx, ecx
    mov edi, dst
    mov eax, 0xffffffff
    rep stosd
    CHECK dword [dst], 0x12341234, "rep stosd count 0 writes nothing"

    ; ---- REPE CMPSB
    mov esi, cmp_a
    mov edi, cmp_b
    mov ecx, 8
    repe cmpsb
    PASS_IF nz, "repe cmpsb: mismatch leaves ZF=0"
    CHECK ecx, 2, "repe cmpsb: ECX at mismatch"
    CHECK esi, cmp_a+6, "repe cmpsb: ESI past mismatch"
    CHECK edi, cmp_b+6, "repe cmpsb: EDI past mismatch"
    mov esi, cmp_a
    mov edi, cmp_a2
    mov ecx, 8
    repe cmpsb
    PASS_IF z, "repe cmpsb: equal strings ZF=1"
    CHECK ecx, 0, "repe cmpsb: equal strings ECX=0"
    ; count 0: flags untouched
    xor ecx, ecx
    mov eax, 1
    test eax, eax               ; ZF=0
    mov esi, cmp_a
    mov edi, cmp_a2
    repe cmpsb
    PASS_IF nz, "repe cmpsb count 0: flags unchanged"
    CHECK esi, cmp_a, "repe cmpsb count 0: ESI unchanged"
    ; DF=1 compare from the end: mismatch at index 5 from the back
    std
    mov esi, cmp_a+7
    mov edi, cmp_b+7
    mov ecx, 8
    repe cmpsb
    cld
    CHECK ecx, 5, "repe cmpsb DF=1: ECX"
    CHECK esi, cmp_a+4, "repe cmpsb DF=1: ESI"
    ; repne cmpsb: stop at first equal element
    mov esi, cmp_a
    mov edi, cmp_c
    mov ecx, 8
    repne cmpsb
    PASS_IF z, "repne cmpsb: found equal ZF=1"
    CHECK ecx, 4, "repne cmpsb: ECX"

    ; ---- REPNE SCASB
    mov edi, scan_s
    mov al, 'x'
    mov ecx, 7
    repne scasb
    PASS_IF z, "repne scasb: found ZF=1"
    CHECK ecx, 3, "repne scasb: ECX"
    CHECK edi, scan_s+4, "repne scasb: EDI after match"
    mov edi, scan_s
    mov al, 'q'
    mov ecx, 7
    repne scasb
    PASS_IF nz, "repne scasb: not found ZF=0"
    CHECK ecx, 0, "repne scasb: not found ECX=0"
    std
    mov edi, scan_s+6
    mov al, 'b'
    mov ecx, 7
    repne scasb
    cld
    CHECK ecx, 1, "repne scasb DF=1: ECX"
    CHECK edi, scan_s, "repne scasb DF=1: EDI"
    mov edi, scan_s
    mov al, 'a'
    mov ecx, 7
    repe scasb
    CHECK ecx, 5, "repe scasb: stops at first mismatch (2nd byte)"
    mov edi, dwords_src
    mov eax, 0xbbbbbbbb
    mov ecx, 3
    repne scasd
    CHECK edi, dwords_src+8, "repne scasd: EDI"

    ; ---- 16-bit address size (a16) in 32-bit code: SI/DI/CX only
    mov edi, 0x8000
    mov ecx, 16
    mov al, 0x42
    call fill
    mov edi, 0x9000
    mov ecx, 16
    mov al, 0
    call fill
    mov esi, 0xabcd8000
    mov edi, 0x55559000
    mov ecx, 0x77770005
    a16 rep movsb
    CHECK ecx, 0x77770000, "a16 rep movsb: only CX decremented"
    CHECK esi, 0xabcd8005, "a16 rep movsb: only SI advanced"
    CHECK edi, 0x55559005, "a16 rep movsb: only DI advanced"
    CHECK dword [0x9004], 0x42, "a16 rep movsb: data"
    ; SI wraps within 16 bits
    mov byte [0xffff], 0x99
    mov esi, 0x1234ffff
    mov edi, 0x9010
    a16 movsb
    CHECK esi, 0x12340000, "a16 movsb: SI wraps 0xffff->0"
    CHECK dword [0x9010], 0x99, "a16 movsb: byte from DS:0xffff"
    ; o16 rep stosw with a16
    mov edi, 0x9020
    mov eax, 0xaaaabeef
    mov ecx, 0x10002
    a16 rep stosw
    CHECK ecx, 0x10000, "a16 rep stosw: CX"
    CHECK dword [0x9020], 0xbeefbeef, "a16 rep stosw: data"
    ; a16 repne scasb
    mov dword [0x9030], 'abcd'
    mov edi, 0x9030
    mov al, 'c'
    mov ecx, 0xffff0004
    a16 repne scasb
    CHECK ecx, 0xffff0001, "a16 repne scasb: CX"

    ; ---- REP MOVS across a not-present page
    call paging_on
    ; src: 0x300f80..0x30107f (present), dst: 0x302f80.. (0x303000 not present)
    mov edi, 0x300f80
    mov ecx, 0x100
    mov al, 0
.fs:mov [edi], al
    inc edi
    inc al
    loop .fs
    and dword [pt0 + (0x303000>>12)*4], ~1
    invlpg [0x303000]
    mov eax, 14
    mov ebx, pf_handler
    mov dl, 0x8e
    call idt32_set
    mov dword [pf_count], 0
    mov esi, 0x300f80
    mov edi, 0x302f80
    mov ecx, 0x100
movsb_insn:
    rep movsb
    CHECK dword [pf_count], 1, "rep movsb into not-present page: one #PF"
    CHECK dword [pf_eip], movsb_insn, "#PF EIP points at rep movsb"
    CHECK dword [pf_err], 2, "#PF error code (write, not present)"
    CHECK dword [pf_cr2], 0x303000, "#PF CR2"
    CHECK dword [pf_ecx], 0x80, "#PF: ECX = remaining count"
    CHECK dword [pf_esi], 0x301000, "#PF: ESI = next source"
    CHECK dword [pf_edi], 0x303000, "#PF: EDI = next destination"
    CHECK ecx, 0, "restarted rep movsb completes: ECX"
    CHECK edi, 0x303080, "restarted rep movsb completes: EDI"
    mov esi, 0x300f80
    mov edi, 0x302f80
    mov ecx, 0x100
    call memeq
    PASS_IF e, "restarted rep movsb: all data copied"

    ; source page not present, rep movsd
    mov edi, 0x304fc0
    mov ecx, 0x80
    mov al, 0x80
.fs2:mov [edi], al
    inc edi
    inc al
    loop .fs2
    and dword [pt0 + (0x305000>>12)*4], ~1
    invlpg [0x305000]
    mov dword [pf_count], 0
    mov esi, 0x304fc0
    mov edi, 0x306000
    mov ecx, 0x20
movsd_insn:
    rep movsd
    CHECK dword [pf_count], 1, "rep movsd from not-present page: one #PF"
    CHECK dword [pf_eip], movsd_insn, "#PF EIP points at rep movsd"
    CHECK dword [pf_err], 0, "#PF error code (read, not present)"
    CHECK dword [pf_cr2], 0x305000, "#PF CR2 (source)"
    CHECK dword [pf_ecx], 0x10, "#PF: ECX = remaining dwords"
    CHECK dword [pf_esi], 0x305000, "#PF: ESI"
    CHECK dword [pf_edi], 0x306040, "#PF: EDI"
    mov esi, 0x304fc0
    mov edi, 0x306000
    mov ecx, 0x80
    call memeq
    PASS_IF e, "restarted rep movsd: all data copied"

    ; DF=1 rep stosb down into a not-present page
    and dword [pt0 + (0x307000>>12)*4], ~1
    invlpg [0x307000]
    mov dword [pf_count], 0
    std
    mov edi, 0x308010
    mov al, 0xee
    mov ecx, 0x20
    rep stosb
    cld
    CHECK dword [pf_count], 1, "rep stosb DF=1 into not-present page: one #PF"
    CHECK dword [pf_ecx], 0x0f, "#PF: ECX (DF=1)"
    CHECK dword [pf_edi], 0x307fff, "#PF: EDI (DF=1)"
    CHECK dword [pf_cr2], 0x307fff, "#PF CR2 (DF=1)"
    CHECK edi, 0x307ff0, "restarted rep stosb DF=1: EDI"
    CHECK dword [0x307ff1], 0xeeeeeeee, "restarted rep stosb DF=1: data"
    ret

pf_handler:
    pushad
    ; [esp]=edi +4 esi +8 ebp +12 esp +16 ebx +20 edx +24 ecx +28 eax +32 err +36 eip
    inc dword [pf_count]
    mov eax, [esp+32]
    mov [pf_err], eax
    mov eax, [esp+36]
    mov [pf_eip], eax
    mov eax, [esp+24]
    mov [pf_ecx], eax
    mov eax, [esp+4]
    mov [pf_esi], eax
    mov eax, [esp]
    mov [pf_edi], eax
    mov eax, cr2
    mov [pf_cr2], eax
    cmp dword [pf_count], 3
    ja .bad
    shr eax, 12
    cmp eax, 1024
    jae .bad
    or dword [pt0+eax*4], 1
    mov eax, cr2
    invlpg [eax]
    popad
    add esp, 4
    iret
.bad:
    popad
    add esp, 4
    jmp exc_stub_14

; 32-bit paging: first 4 MiB with 4 KiB pages, 4..128 MiB with 4 MiB pages
paging_on:
    pushad
    xor ecx, ecx
.pt:mov eax, ecx
    shl eax, 12
    or eax, 3
    mov [pt0+ecx*4], eax
    inc ecx
    cmp ecx, 1024
    jb .pt
    mov dword [pd], pt0+3
    mov ecx, 1
.pd:mov eax, ecx
    shl eax, 22
    or eax, 0x83
    mov [pd+ecx*4], eax
    inc ecx
    cmp ecx, 32
    jb .pd
    mov eax, cr4
    or eax, 0x10                ; PSE
    mov cr4, eax
    mov eax, pd
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80010000          ; PG | WP
    mov cr0, eax
    popad
    ret

section .rodata
hello_s:    db "Hello, World!", 0, 0, 0
abc_s:      db "ABCDEFGH"
align 4
words_src:  dw 0x1111, 0x2222, 0x3333, 0x4444
dwords_src: dd 0xaaaaaaaa, 0xbbbbbbbb, 0xcccccccc
cmp_a:      db "abcdefgh"
cmp_a2:     db "abcdefgh"
cmp_b:      db "abcdeXgh"
cmp_c:      db "ABCdEFGH"
scan_s:     db "abcxdef"

section .data
align 4
pf_count:   dd 0
pf_err:     dd 0
pf_eip:     dd 0
pf_ecx:     dd 0
pf_esi:     dd 0
pf_edi:     dd 0
pf_cr2:     dd 0

section .bss
alignb 4096
pd:         resb 4096
pt0:        resb 4096
dst:        resb 64
buf:        resb 64
