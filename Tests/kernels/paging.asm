; paging.asm - 32-bit paging (4 KiB, 4 MiB PSE pages), PAE (4 KiB, 2 MiB),
; 4-level long-mode paging (4 KiB, 2 MiB, 1 GiB), accessed/dirty bits,
; INVLPG and CR3 reloads, CR0.WP, reserved bits, NX, global pages, SMEP, SMAP.
; swemu-args: -cpu max
%include "lib.inc"

P0  equ 0x300000                ; marker 0x11111111
P1  equ 0x301000                ; marker 0x22222222
P2  equ 0x302000                ; code: mov eax, 0x33333333 ; ret
BIG4M equ 0x400000              ; 4 MiB page; marker at +0x123456
BIG2M equ 0x600000              ; 2 MiB page; marker at +0x1234
LIN4K equ 0x40000000
LINBIG equ 0x80000000
PTE_A equ 0x20
PTE_D equ 0x40

main:
    mov dword [P0], 0x11111111
    mov dword [P1], 0x22222222
    mov byte [P2], 0xb8
    mov dword [P2+1], 0x33333333
    mov byte [P2+5], 0xc3
    mov dword [BIG4M+0x123456], 0x44444444
    mov dword [BIG2M+0x1234], 0x66666666
    mov dword [P0+0x234], 0x77777777

    ; CPUID feature bits
    mov eax, 1
    cpuid
    mov [cpuid1_edx], edx
    mov eax, 0x80000001
    cpuid
    mov [cpuid81_edx], edx
    mov eax, 7
    xor ecx, ecx
    cpuid
    mov [cpuid7_ebx], ebx

    call test_paging32
    call test_pae
    call lm_enter
bits 64
    call test_lm
    jmp finish64
bits 32

; ============================================================ 32-bit paging
test_paging32:
    MSG "-- 32-bit paging"
    ; identity 0-4 MiB via pt_id (4 KiB), 4-128 MiB via 4 MiB pages
    xor ecx, ecx
.id:mov eax, ecx
    shl eax, 12
    or eax, 3
    mov [pt_id+ecx*4], eax
    inc ecx
    cmp ecx, 1024
    jb .id
    mov dword [pd32], pt_id+3
    mov ecx, 1
.pd:mov eax, ecx
    shl eax, 22
    or eax, 0x83 | PTE_A | PTE_D
    mov [pd32+ecx*4], eax
    inc ecx
    cmp ecx, 32
    jb .pd
    mov dword [pd32+(LIN4K>>22)*4], pt_test+3       ; A=0
    mov dword [pt_test+0], P0 | 3                   ; A=0, D=0
    mov dword [pd32+(LINBIG>>22)*4], BIG4M | 0x83   ; 4 MiB page, A=0 D=0
    mov eax, cr4
    or eax, 0x10                                    ; PSE
    mov cr4, eax
    mov eax, pd32
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    and eax, ~0x10000                               ; WP=0 for now
    mov cr0, eax

    mov eax, [LIN4K]
    CHECK eax, 0x11111111, "32-bit 4 KiB page maps linear 0x40000000 -> phys 0x300000"
    mov eax, [LIN4K+0x234]
    CHECK eax, 0x77777777, "32-bit 4 KiB page: offset within page"
    mov eax, [pt_test]
    and eax, PTE_A | PTE_D
    CHECK eax, PTE_A, "32-bit PTE: accessed set by read, dirty clear"
    mov eax, [pd32+(LIN4K>>22)*4]
    and eax, PTE_A
    CHECK eax, PTE_A, "32-bit PDE: accessed set"
    mov dword [LIN4K+8], 5
    mov eax, [pt_test]
    and eax, PTE_A | PTE_D
    CHECK eax, PTE_A | PTE_D, "32-bit PTE: dirty set by write"
    CHECK dword [P0+8], 5, "32-bit write through mapping reaches physical page"

    mov eax, [LINBIG+0x123456]
    CHECK eax, 0x44444444, "32-bit 4 MiB PSE page"
    mov eax, [pd32+(LINBIG>>22)*4]
    and eax, PTE_A | PTE_D
    CHECK eax, PTE_A, "4 MiB PDE: accessed set, dirty clear after read"
    mov dword [LINBIG+0x100], 1
    mov eax, [pd32+(LINBIG>>22)*4]
    and eax, PTE_A | PTE_D
    CHECK eax, PTE_A | PTE_D, "4 MiB PDE: dirty set by write"

    ; INVLPG makes a remapping visible
    mov dword [pt_test], P1 | 3
    invlpg [LIN4K]
    mov eax, [LIN4K]
    CHECK eax, 0x22222222, "32-bit: remap + INVLPG -> new mapping"
    ; CR3 reload makes a remapping visible
    mov dword [pt_test], P0 | 3
    mov eax, cr3
    mov cr3, eax
    mov eax, [LIN4K]
    CHECK eax, 0x11111111, "32-bit: remap + CR3 reload -> new mapping"

    ; CR0.WP
    mov dword [pt_test], P0 | 1                     ; read-only
    invlpg [LIN4K]
    TRY .wp0
    mov dword [LIN4K+12], 0xabcd
.wp0:
    ENDTRY
    CHECK dword [exc_vector], -1, "CR0.WP=0: supervisor write to read-only page allowed"
    CHECK dword [P0+12], 0xabcd, "CR0.WP=0: write landed"
    mov eax, cr0
    or eax, 0x10000
    mov cr0, eax
    TRY .wp1
.wp1i:
    mov dword [LIN4K+16], 1
.wp1:
    ENDTRY
    CHECK dword [exc_vector], 14, "CR0.WP=1: supervisor write to read-only page -> #PF"
    CHECK dword [exc_error], 3, "CR0.WP=1: error code 3"
    CHECK dword [exc_cr2], LIN4K+16, "CR0.WP=1: CR2"
    CHECK dword [exc_eip], .wp1i, "CR0.WP=1: EIP"

    ; not-present PDE
    mov dword [pd32+((LIN4K>>22)+1)*4], 0
    TRY .np
    mov eax, [LIN4K+0x400000+0x20]
.np:
    ENDTRY
    CHECK dword [exc_vector], 14, "32-bit: not-present PDE -> #PF"
    CHECK dword [exc_error], 0, "32-bit: not-present PDE error code 0"
    CHECK dword [exc_cr2], LIN4K+0x400020, "32-bit: not-present PDE CR2"

    ; global pages
    test dword [cpuid1_edx], 1 << 13
    jnz .pge
    SKIPMSG "global pages (no CPUID PGE)"
    jmp .pge_done
.pge:
    mov eax, cr4
    or eax, 0x80
    mov cr4, eax
    mov dword [pt_test], P0 | 0x103                 ; global
    invlpg [LIN4K]
    mov eax, [LIN4K]
    CHECK eax, 0x11111111, "global page mapped"
    mov dword [pt_test], P1 | 0x103
    invlpg [LIN4K]
    mov eax, [LIN4K]
    CHECK eax, 0x22222222, "global page: INVLPG flushes it"
    mov dword [pt_test], P0 | 0x103
    mov eax, cr3
    mov cr3, eax
    mov eax, [LIN4K]                                ; stale or new: both allowed
    cmp eax, 0x11111111
    je .g_ok
    cmp eax, 0x22222222
.g_ok:
    PASS_IF e, "global page after CR3 reload (stale or new entry both allowed)"
    mov eax, cr4
    and eax, ~0x80
    mov cr4, eax                                    ; clearing PGE flushes globals
    or eax, 0x80
    mov cr4, eax
    mov eax, [LIN4K]
    CHECK eax, 0x11111111, "global page: toggling CR4.PGE flushes it"
    mov dword [pt_test], P0 | 3                     ; non-global now
    invlpg [LIN4K]                                  ; drop the global entry
    mov eax, [LIN4K]                                ; cached as non-global
    mov dword [pt_test], P1 | 3
    mov eax, cr3
    mov cr3, eax
    mov eax, [LIN4K]
    CHECK eax, 0x22222222, "non-global page: CR3 reload -> new mapping"
    mov eax, cr4
    and eax, ~0x80
    mov cr4, eax
.pge_done:
    ; paging off
    mov eax, cr0
    and eax, ~0x80000000
    mov cr0, eax
    ret

; ============================================================ PAE
test_pae:
    MSG "-- PAE paging"
    test dword [cpuid1_edx], 1 << 6
    jnz .have
    SKIPMSG "PAE paging (no CPUID PAE)"
    ret
.have:
    ; PDPT[0] -> identity 0-1 GiB (2 MiB pages), [1] -> pd_pae1 (4 KiB test pages), [2] -> pd_pae2 (2 MiB test page)
    mov edi, pd_pae0
    mov ecx, 4096*4/4
    xor eax, eax
    rep stosd
    xor ecx, ecx
.id:mov eax, ecx
    shl eax, 21
    or eax, 0x83 | PTE_A | PTE_D
    mov [pd_pae0+ecx*8], eax
    inc ecx
    cmp ecx, 512
    jb .id
    mov dword [pdpt_pae+0], pd_pae0+1
    mov dword [pdpt_pae+4], 0
    mov dword [pdpt_pae+8], pd_pae1+1
    mov dword [pdpt_pae+12], 0
    mov dword [pdpt_pae+16], pd_pae2+1
    mov dword [pdpt_pae+20], 0
    mov dword [pdpt_pae+24], 0
    mov dword [pdpt_pae+28], 0
    mov dword [pd_pae1], pt_pae+3
    mov dword [pt_pae], P0 | 3
    mov dword [pt_pae+8], P2 | 3                    ; code page, later NX
    mov dword [pd_pae2], BIG2M | 0x83
    mov eax, cr4
    or eax, 0x20
    mov cr4, eax
    mov eax, pdpt_pae
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80010000
    mov cr0, eax

    mov eax, [LIN4K+0x234]
    CHECK eax, 0x77777777, "PAE 4 KiB page"
    mov eax, [pt_pae]
    and eax, PTE_A | PTE_D
    CHECK eax, PTE_A, "PAE PTE: accessed set by read"
    mov dword [LIN4K+0x20], 9
    mov eax, [pt_pae]
    and eax, PTE_A | PTE_D
    CHECK eax, PTE_A | PTE_D, "PAE PTE: dirty set by write"
    mov eax, [LINBIG+0x1234]
    CHECK eax, 0x66666666, "PAE 2 MiB page"
    mov eax, [pd_pae2]
    and eax, PTE_A | PTE_D
    CHECK eax, PTE_A, "PAE 2 MiB PDE: accessed set"
    mov dword [pt_pae], P1 | 3
    invlpg [LIN4K]
    mov eax, [LIN4K]
    CHECK eax, 0x22222222, "PAE: remap + INVLPG -> new mapping"
    call LIN4K+0x1000
    CHECK eax, 0x33333333, "PAE: execute from a 4 KiB mapped page"

    ; reserved bit: XD (bit 63) with EFER.NXE=0 is reserved
    mov dword [pt_pae+4], 0x80000000
    invlpg [LIN4K]
    TRY .rsv
    mov eax, [LIN4K]
.rsv:
    ENDTRY
    mov dword [pt_pae+4], 0
    invlpg [LIN4K]
    CHECK dword [exc_vector], 14, "PAE: XD bit set with EFER.NXE=0 -> #PF (reserved)"
    mov eax, [exc_error]
    and eax, 0xfffffffe
    CHECK eax, 8, "PAE: reserved-bit error code has RSVD (bit 3), W=U=I/D=0"
    ; SDM 4.7: RSVD can only be set together with P. QEMU 7.2 TCG reports 0x8.
    test dword [exc_error], 1
    jz .rsv_gap
    PASS_IF nz, "PAE: reserved-bit error code has P set (0x9)"
    jmp .rsv_done
[section .rodata]
.rsv_name: db "PAE: reserved-bit error code has P set (0x9): P=0 (QEMU TCG deviation)", 0
__SECT__
.rsv_gap:
    push .rsv_name
    call report_gap
.rsv_done:

    ; NX
    test dword [cpuid81_edx], 1 << 20
    jnz .nx
    SKIPMSG "PAE NX (no CPUID NX)"
    jmp .nx_done
.nx:
    mov ecx, 0xC0000080
    rdmsr
    or eax, 1 << 11                                 ; NXE
    wrmsr
    mov dword [pt_pae+12], 0x80000000               ; XD on the code page
    invlpg [LIN4K+0x1000]
    mov eax, [LIN4K+0x1000+1]
    CHECK eax, 0x33333333, "PAE NX page: data read allowed"
    TRY .nx1
    call LIN4K+0x1000
.nx1:
    ENDTRY
    CHECK dword [exc_vector], 14, "PAE NX page: instruction fetch -> #PF"
    CHECK dword [exc_error], 0x11, "PAE NX: error code has I/D bit (P|I/D)"
    CHECK dword [exc_cr2], LIN4K+0x1000, "PAE NX: CR2 = fetch address"
    CHECK dword [exc_eip], LIN4K+0x1000, "PAE NX: EIP = fetch address"
    add esp, 4                                      ; return address of the call
    mov dword [pt_pae+12], 0
    invlpg [LIN4K+0x1000]
    mov ecx, 0xC0000080
    rdmsr
    and eax, ~(1 << 11)
    wrmsr
.nx_done:
    mov eax, cr0
    and eax, ~0x80000000
    mov cr0, eax
    mov eax, cr4
    and eax, ~0x20
    mov cr4, eax
    ret

; ============================================================ long mode 4-level
bits 64
HI equ 0x0000008000000000           ; PML4 index 1

test_lm:
    MSG64 "-- long mode 4-level paging"
    mov qword [lm_pml4+8], pdpt_hi + 7
    mov qword [pdpt_hi], pd_hi + 7
    mov qword [pd_hi], pt_hi + 7
    mov qword [pt_hi], P0 | 7                       ; user 4 KiB page
    mov qword [pt_hi+8], P2 | 7                     ; user code page
    mov qword [pt_hi+16], P2 | 3                    ; supervisor code page (NX later)
    mov qword [pd_hi+8], BIG2M | 0x83               ; 2 MiB page (supervisor)
    mov rax, cr3
    mov cr3, rax
    mov rbx, HI
    mov eax, [rbx+0x234]
    CHECK64 rax, 0x77777777, "4-level 4 KiB page"
    mov rax, [pt_hi]
    and eax, PTE_A | PTE_D
    CHECK64 rax, PTE_A, "4-level PTE: accessed set by read"
    mov rax, [lm_pml4+8]
    and eax, PTE_A
    CHECK64 rax, PTE_A, "PML4E: accessed set"
    mov rax, [pdpt_hi]
    and eax, PTE_A
    CHECK64 rax, PTE_A, "PDPTE: accessed set"
    mov dword [rbx+0x30], 1
    mov rax, [pt_hi]
    and eax, PTE_A | PTE_D
    CHECK64 rax, PTE_A | PTE_D, "4-level PTE: dirty set by write"
    mov eax, [rbx+0x200000+0x1234]
    CHECK64 rax, 0x66666666, "4-level 2 MiB page"
    mov rax, [pd_hi+8]
    and eax, PTE_A | PTE_D
    CHECK64 rax, PTE_A, "2 MiB PDE: accessed set, dirty clear"
    mov dword [rbx+0x200000+0x40], 1
    mov rax, [pd_hi+8]
    and eax, PTE_A | PTE_D
    CHECK64 rax, PTE_A | PTE_D, "2 MiB PDE: dirty set by write"

    ; 1 GiB page
    test dword [cpuid81_edx], 1 << 26
    jnz .gb
    SKIPMSG64 "1 GiB pages (no CPUID Page1GB)"
    jmp .gb_done
.gb:
    mov qword [pdpt_hi+8], 0x83                     ; 1 GiB page -> phys 0
    mov rax, cr3
    mov cr3, rax
    mov eax, [rbx+0x40000000+P0+0x234]
    CHECK64 rax, 0x77777777, "4-level 1 GiB page"
    mov eax, [rbx+0x40000000+BIG2M+0x1234]
    CHECK64 rax, 0x66666666, "1 GiB page: another offset"
    mov rax, [pdpt_hi+8]
    and eax, PTE_A | PTE_D
    CHECK64 rax, PTE_A, "1 GiB PDPTE: accessed set"
    mov dword [rbx+0x40000000+P0+0x50], 3
    mov rax, [pdpt_hi+8]
    and eax, PTE_A | PTE_D
    CHECK64 rax, PTE_A | PTE_D, "1 GiB PDPTE: dirty set by write"
    CHECK64 qword [P0+0x50], 3, "1 GiB page: write reaches phys memory"
.gb_done:

    ; INVLPG
    mov qword [pt_hi], P1 | 7
    invlpg [rbx]
    mov eax, [rbx]
    CHECK64 rax, 0x22222222, "4-level: remap + INVLPG -> new mapping"
    mov qword [pt_hi], P0 | 7
    mov rax, cr3
    mov cr3, rax
    mov eax, [rbx]
    CHECK64 rax, 0x11111111, "4-level: remap + CR3 reload -> new mapping"

    ; not-present PML4E
    mov rcx, 0x0000010000000000                     ; PML4 index 2, not present
    TRY64 .np
    mov eax, [rcx+0x10]
.np:
    ENDTRY64
    CHECK64 qword [exc_vector], 14, "4-level: not-present PML4E -> #PF"
    CHECK64 qword [exc_error], 0, "4-level: error code 0"
    mov rax, 0x0000010000000010
    CHECK64 qword [exc_cr2], rax, "4-level: CR2 is the 64-bit linear address"

    ; NX
    test dword [cpuid81_edx], 1 << 20
    jnz .nx
    SKIPMSG64 "long mode NX (no CPUID NX)"
    jmp .nx_done
.nx:
    mov ecx, 0xC0000080
    rdmsr
    or eax, 1 << 11
    wrmsr
    lea rax, [rbx+0x2000]
    call rax
    CHECK64 rax, 0x33333333, "long mode: execute from page with XD=0"
    mov rax, 0x8000000000000000 | P2 | 3
    mov [pt_hi+16], rax
    lea rax, [rbx+0x2000]
    invlpg [rax]
    TRY64 .nx1
    call rax
.nx1:
    ENDTRY64
    CHECK64 qword [exc_vector], 14, "long mode NX page: fetch -> #PF"
    CHECK64 qword [exc_error], 0x11, "long mode NX: error code P|I/D"
    lea rax, [rbx+0x2000]
    CHECK64 qword [exc_eip], rax, "long mode NX: RIP = fetch address"
    CHECK64 qword [exc_cr2], rax, "long mode NX: CR2"
    add rsp, 8
.nx_done:

    ; SMEP
    test dword [cpuid7_ebx], 1 << 7
    jnz .smep
    SKIPMSG64 "SMEP (no CPUID SMEP)"
    jmp .smep_done
.smep:
    lea rax, [rbx+0x1000]
    call rax
    CHECK64 rax, 0x33333333, "SMEP off: supervisor may execute a user page"
    mov rax, cr4
    bts rax, 20
    mov cr4, rax
    lea rax, [rbx+0x1000]
    TRY64 .sm1
    call rax
.sm1:
    ENDTRY64
    CHECK64 qword [exc_vector], 14, "SMEP: supervisor fetch from user page -> #PF"
    CHECK64 qword [exc_error], 0x11, "SMEP: error code P|I/D"
    lea rax, [rbx+0x1000]
    CHECK64 qword [exc_cr2], rax, "SMEP: CR2"
    add rsp, 8
    mov rax, cr4
    btr rax, 20
    mov cr4, rax
.smep_done:

    ; SMAP
    test dword [cpuid7_ebx], 1 << 20
    jnz .smap
    SKIPMSG64 "SMAP (no CPUID SMAP)"
    jmp .smap_done
.smap:
    mov rax, cr4
    bts rax, 21
    mov cr4, rax
    clac
    TRY64 .sa1
.sa1i:
    mov eax, [rbx]
.sa1:
    ENDTRY64
    CHECK64 qword [exc_vector], 14, "SMAP: supervisor read of user page -> #PF"
    CHECK64 qword [exc_error], 1, "SMAP: read error code P"
    CHECK64 qword [exc_eip], .sa1i, "SMAP: RIP"
    TRY64 .sa2
    mov dword [rbx+4], 0
.sa2:
    ENDTRY64
    CHECK64 qword [exc_error], 3, "SMAP: write error code P|W"
    stac
    TRY64 .sa3
    mov eax, [rbx]
.sa3:
    ENDTRY64
    CHECK64 qword [exc_vector], -1, "SMAP: access allowed with EFLAGS.AC=1 (STAC)"
    CHECK64 rax, 0x11111111, "SMAP: value read with STAC"
    clac
    TRY64 .sa4
    mov eax, [rbx]
.sa4:
    ENDTRY64
    CHECK64 qword [exc_vector], 14, "SMAP: CLAC re-enables protection"
    mov eax, [rbx+0x200000+0x1234]
    CHECK64 rax, 0x66666666, "SMAP: supervisor page unaffected"
    mov rax, cr4
    btr rax, 21
    mov cr4, rax
.smap_done:
    ret
bits 32

section .data
cpuid1_edx:  dd 0
cpuid81_edx: dd 0
cpuid7_ebx:  dd 0

section .bss
alignb 4096
pd32:       resb 4096
pt_id:      resb 4096
pt_test:    resb 4096
pd_pae0:    resb 4096
pd_pae1:    resb 4096
pd_pae2:    resb 4096
pt_pae:     resb 4096
pdpt_hi:    resb 4096
pd_hi:      resb 4096
pt_hi:      resb 4096
pdpt_pae:   resb 32
