; smc.asm - self-modifying code. Every modification is followed by executing
; the modified bytes; the new code must run. Covers: patching the very next
; instruction (P6+ snoop the prefetch queue: SDM Vol.3 11.6), patching further
; ahead in the same straight-line block, patching after a jump, patching a
; previously executed function (many times), a loop that patches its own
; immediate, REP MOVSB overwriting the code that follows it, code copied into
; a data buffer and rewritten, an instruction straddling a page boundary, and
; writing through a different linear alias (followed by CPUID, as the SDM
; requires for cross-alias modification).
%include "lib.inc"

main:
    ; ---- 1. patch the immediately following instruction, new value each pass
    xor edx, edx                    ; mismatches
    mov ecx, 20
.l1:
    mov [.t1+1], cl
.t1:
    mov al, 0
    cmp al, cl
    je .ok1
    inc edx
.ok1:
    loop .l1
    CHECK edx, 0, "patch next instruction (20 passes, no jump in between)"

    ; ---- 2. patch an instruction ~100 bytes ahead in the same straight-line code
    xor edx, edx
    mov ecx, 20
.l2:
    mov [.t2+1], ecx
    times 100 nop
.t2:
    mov eax, 0
    cmp eax, ecx
    je .ok2
    inc edx
.ok2:
    loop .l2
    CHECK edx, 0, "patch instruction 100 bytes ahead in same block"

    ; ---- 3. patch, then jump to the patched code
    mov dword [.t3+1], 0xcafef00d
    jmp .t3
.t3:
    mov eax, 0
    CHECK eax, 0xcafef00d, "patch then jmp to patched instruction"

    ; ---- 4. patch the opcode (not just an immediate) of the next instruction
    mov eax, 5
    mov byte [.t4], 0x48            ; inc eax (0x40) -> dec eax (0x48)
.t4:
    inc eax
    CHECK eax, 4, "patch opcode of next instruction (inc->dec)"
    mov byte [.t4], 0x40

    ; ---- 5. previously executed function, patched and called again (many times)
    call func_ret_imm
    CHECK eax, 0x1111, "function before patching"
    xor edx, edx
    mov ecx, 200
.l5:
    mov [func_ret_imm+1], ecx
    call func_ret_imm
    cmp eax, ecx
    je .ok5
    inc edx
.ok5:
    loop .l5
    CHECK edx, 0, "patched function called 200 times sees each new immediate"
    ; change the whole body of the function
    mov dword [func_ret_imm], 0x90c3c031    ; xor eax,eax ; ret ; nop
    mov eax, 77
    call func_ret_imm
    CHECK eax, 0, "function body replaced (xor eax,eax; ret)"

    ; ---- 6. patch a branch: jmp short displacement
    mov eax, 1
    call func_branch
    CHECK eax, 10, "branch before patch"
    mov byte [func_branch.jmp+1], func_branch.b - func_branch.jmp - 2
    call func_branch
    CHECK eax, 20, "branch after patching its displacement"

    ; ---- 7. a loop that patches its own immediate each iteration
    xor ebx, ebx
    mov ecx, 100
    mov dword [.t7+2], 1
.l7:
.t7:
    add ebx, strict dword 1
    inc dword [.t7+2]
    dec ecx
    jnz .l7
    CHECK ebx, 5050, "loop patching its own add immediate (sum 1..100)"

    ; variant: the patch comes after the patched instruction in the body and
    ; also flips the operation on the last iteration
    mov eax, 0
    mov ecx, 10
.l7b:
.t7b:
    add eax, 3                      ; 83 c0 03
    cmp ecx, 2
    jne .n7b
    mov byte [.t7b+1], 0xe8         ; add eax,3 -> sub eax,3 (83 e8 03)
.n7b:
    loop .l7b
    mov byte [.t7b+1], 0xc0
    CHECK eax, 9*3 - 3, "loop patching its own opcode on the last iteration"

    ; ---- 8. REP MOVSB overwriting the code right after it
    mov esi, new_mov
    mov edi, .t8
    mov ecx, 5
    rep movsb
.t8:
    mov eax, 0x11111111
    CHECK eax, 0x77777777, "rep movsb overwrites the following instruction"

    ; ---- 9. code copied into a buffer, executed, rewritten, executed again
    mov esi, blob1
    mov edi, codebuf
    mov ecx, blob1_len
    rep movsb
    call codebuf
    CHECK eax, 0x11111111, "buffer code, first version"
    mov esi, blob2
    mov edi, codebuf
    mov ecx, blob2_len
    rep movsb
    call codebuf
    CHECK eax, 0x44444444, "buffer code rewritten (different length)"
    ; rewrite only one byte in the middle (the add -> sub opcode)
    mov byte [codebuf+5], 0x29      ; add eax,eax (01 c0) -> sub eax,eax (29 c0)
    call codebuf
    CHECK eax, 0, "buffer code, one byte changed"
    ; rewrite many times with dword stores, call each time
    xor edx, edx
    mov ecx, 100
.l9:
    mov byte [codebuf], 0xb8
    mov [codebuf+1], ecx
    mov byte [codebuf+5], 0xc3
    call codebuf
    cmp eax, ecx
    je .ok9
    inc edx
.ok9:
    loop .l9
    CHECK edx, 0, "buffer code rewritten and run 100 times"

    ; ---- 10. instruction straddling a 4 KiB page boundary
    mov byte [codebuf2+0xffe], 0xb8     ; mov eax, imm32 at 0xffe..0x1002
    mov dword [codebuf2+0xfff], 0x01020304
    mov byte [codebuf2+0x1003], 0xc3
    mov eax, codebuf2+0xffe
    call eax
    CHECK eax, 0x01020304, "page-straddling instruction"
    mov byte [codebuf2+0x1001], 0x55    ; patch a byte in the second page
    mov eax, codebuf2+0xffe
    call eax
    CHECK eax, 0x01550304, "page-straddling instruction, 2nd page byte patched"
    mov byte [codebuf2+0xfff], 0x66     ; patch a byte in the first page
    mov eax, codebuf2+0xffe
    call eax
    CHECK eax, 0x01550366, "page-straddling instruction, 1st page byte patched"

    ; ---- 11. data writes into the page of the running code do not disturb it
    xor eax, eax
    mov ecx, 1000
.l11:
    add eax, ecx
    mov [near_data], eax
    loop .l11
    CHECK eax, 500500, "loop storing to data in its own code page"
    CHECK dword [near_data], 500500, "data in code page"

    ; ---- 12. modify through a different linear alias (paging), then CPUID
    call paging_on
    mov esi, blob1
    mov edi, 0x400000
    mov ecx, blob1_len
    rep movsb
    mov eax, 0x400000
    call eax
    CHECK eax, 0x11111111, "code at phys 4 MiB via identity mapping"
    mov dword [0x800001], 0x5a5a5a5a    ; alias: linear 8 MiB -> phys 4 MiB
    xor eax, eax
    cpuid                               ; serializing
    mov eax, 0x400000
    call eax
    CHECK eax, 0x5a5a5a5a, "code modified through another linear alias + CPUID"
    ; remap the executing linear page to a different physical page
    mov esi, blob2
    mov edi, 0xc00000
    mov ecx, blob2_len
    rep movsb
    mov dword [pd+1*4], 0xc00000 | 0x83  ; linear 4 MiB -> phys 12 MiB
    mov eax, 0x400000
    invlpg [eax]
    call eax
    CHECK eax, 0x44444444, "same linear code address remapped to new physical page"
    ret

func_ret_imm:
    mov eax, 0x1111
    ret
    nop
    nop

func_branch:
.jmp:
    jmp short .a
.a: mov eax, 10
    ret
.b: mov eax, 20
    ret

; 32-bit paging, 4 MiB pages identity, plus linear 8 MiB -> physical 4 MiB
paging_on:
    pushad
    xor ecx, ecx
.pd:mov eax, ecx
    shl eax, 22
    or eax, 0x83
    mov [pd+ecx*4], eax
    inc ecx
    cmp ecx, 32
    jb .pd
    mov dword [pd+2*4], 0x400000 | 0x83
    mov eax, cr4
    or eax, 0x10
    mov cr4, eax
    mov eax, pd
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    popad
    ret

near_data: dd 0

section .rodata
new_mov:    mov eax, 0x77777777
blob1:      mov eax, 0x11111111
            ret
blob1_len   equ $ - blob1
blob2:      mov eax, 0x22222222     ; b8 imm32 (5 bytes)
            add eax, eax            ; 01 c0 at offset 5
            ret
blob2_len   equ $ - blob2

section .bss
alignb 4096
pd:         resb 4096
codebuf:    resb 4096
codebuf2:   resb 8192
