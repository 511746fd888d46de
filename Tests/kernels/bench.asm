; bench.asm - CPU-bound benchmark in 64-bit long mode. About 12 guest
; instructions per iteration (loads, stores, add/xor/rotate/shift, a
; data-dependent compare-and-branch) over a 512-byte array. The only check is
; the final checksum, which was computed by an independent C model
; (see the comment at the end of this file) and matches QEMU.
%include "lib.inc"

%ifndef BENCH_ITERS
BENCH_ITERS equ 120000000           ; ~1.5 G guest instructions (~12.5 per iteration)
%endif
BENCH_CHECKSUM equ 0x0c29254ceb9e72b4  ; from the C model below, for BENCH_ITERS = 120000000

main:
    ; initialise the array: a[i] = i * 0x9e3779b97f4a7c15
    call lm_enter
bits 64
    MSG64 "bench: 64-bit integer loop"
    mov rax, 0x9e3779b97f4a7c15
    xor ecx, ecx
    xor edx, edx
.init:
    mov [bench_arr+rcx*8], rdx
    add rdx, rax
    inc ecx
    cmp ecx, 64
    jb .init

    mov esi, bench_arr
    mov rbx, 0x0123456789abcdef     ; hash
    mov ecx, BENCH_ITERS
    xor edi, edi                    ; branch-taken counter
.loop:
    mov eax, ecx
    and eax, 63
    mov rdx, [rsi+rax*8]
    xor rdx, rbx
    rol rdx, 13
    add rbx, rdx
    cmp rdx, rbx
    jb .skip
    inc edi
    shr rbx, 1
.skip:
    lea rdx, [rdx+rcx*4]
    mov [rsi+rax*8], rdx
    dec ecx
    jnz .loop

    add rbx, rdi
    mov rax, BENCH_CHECKSUM
    CHECK64 rbx, rax, "bench checksum"
    jmp finish64
bits 32

section .bss
alignb 64
bench_arr: resq 64

; C model used to compute BENCH_CHECKSUM (update both constants together):
;   uint64_t a[64], d = 0; for (i = 0; i < 64; i++) { a[i] = d; d += 0x9e3779b97f4a7c15; }
;   uint64_t h = 0x0123456789abcdef, taken = 0; uint32_t c = BENCH_ITERS;
;   do { uint32_t i = c & 63; uint64_t x = rotl64(a[i] ^ h, 13); h += x;
;        if (!(x < h)) { taken = (uint32_t)(taken + 1); h >>= 1; }
;        a[i] = x + (uint64_t)c * 4; } while (--c);
;   checksum = h + taken;
; Reference values: BENCH_ITERS = 16000000 (~200 M instructions, ~0.25 s under
; QEMU TCG on the validation host) -> 0xf4fe9d83b543498b;
; 80000000 -> 0x4c8e0ae7ea0f5f8a; 120000000 -> 0x0c29254ceb9e72b4.
