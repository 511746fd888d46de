; fpbench.asm - floating-point benchmark in 64-bit long mode: a 256x256
; Mandelbrot set (up to 256 iterations per point, computed 8 times) in SSE2
; scalar double arithmetic (8 x 3.7 M iterations of ~17 instructions: MULSD,
; ADDSD, SUBSD, COMISD, MOVAPD), then 8 M terms of the Leibniz series for pi on the x87 in
; 80-bit precision (FDIV, FADD, FCHS; FISTTP at the end). The checks are the
; total iteration count and round(4e9 * sum), computed by the C model at the
; end of this file (IEEE double and x87 long double give the same bits on any
; x86-64 host); QEMU 7.2 TCG agrees.
%include "lib.inc"

MANDEL_REPS  equ 8
MANDEL_TOTAL equ 3727153 * MANDEL_REPS
PI_TERMS     equ 8000000
PI9          equ 3141592529

main:
    call lm_enter
bits 64
    mov rax, cr4
    or eax, (1 << 9) | (1 << 10)        ; CR4.OSFXSR, OSXMMEXCPT
    mov cr4, rax
    MSG64 "fpbench: SSE2 Mandelbrot"
    xor r12d, r12d                      ; total iterations
    mov r13d, MANDEL_REPS
.rep:
    xor r8d, r8d                        ; py
.py:
    xor r9d, r9d                        ; px
.px:
    cvtsi2sd xmm0, r9d
    mulsd xmm0, [fb_dx]
    addsd xmm0, [fb_m2]                 ; cr = px * dx - 2
    cvtsi2sd xmm1, r8d
    mulsd xmm1, [fb_dy]
    addsd xmm1, [fb_m125]               ; ci = py * dy - 1.25
    xorpd xmm2, xmm2                    ; zr
    xorpd xmm3, xmm3                    ; zi
    xor eax, eax
.it:
    movapd xmm4, xmm2
    mulsd xmm4, xmm2                    ; zr^2
    movapd xmm5, xmm3
    mulsd xmm5, xmm3                    ; zi^2
    movapd xmm6, xmm4
    addsd xmm6, xmm5
    comisd xmm6, [fb_four]
    ja .done
    movapd xmm7, xmm2
    mulsd xmm7, xmm3
    addsd xmm7, xmm7
    addsd xmm7, xmm1
    movapd xmm3, xmm7                   ; zi = 2 zr zi + ci
    subsd xmm4, xmm5
    addsd xmm4, xmm0
    movapd xmm2, xmm4                   ; zr = zr^2 - zi^2 + cr
    inc eax
    cmp eax, 256
    jb .it
.done:
    add r12, rax
    inc r9d
    cmp r9d, 256
    jb .px
    inc r8d
    cmp r8d, 256
    jb .py
    dec r13d
    jnz .rep
    mov r13, MANDEL_TOTAL
    CHECK64 r12, r13, "Mandelbrot iteration count"

    MSG64 "fpbench: x87 Leibniz series"
    fninit
    fldz                                ; s
    fld1                                ; d
    fld1                                ; sign
    mov ecx, PI_TERMS
.pi:
    fld st0
    fdiv st0, st2                       ; sign / d
    faddp st3, st0                      ; s += sign / d
    fld1
    fadd st0, st0
    faddp st2, st0                      ; d += 2
    fchs                                ; sign = -sign
    dec ecx
    jnz .pi
    fstp st0
    fstp st0
    fmul qword [fb_four]
    fmul qword [fb_1e9]
    fadd qword [fb_half]
    fisttp qword [fb_out]
    mov r12, [fb_out]
    mov r13, PI9
    CHECK64 r12, r13, "round(4e9 * Leibniz sum) on the x87"
    jmp finish64

section .data
align 8
fb_dx:   dq 0.01171875                  ; 3/256
fb_dy:   dq 0.009765625                 ; 2.5/256
fb_m2:   dq -2.0
fb_m125: dq -1.25
fb_four: dq 4.0
fb_1e9:  dq 1000000000.0
fb_half: dq 0.5
fb_out:  dq 0

; C model (gcc -O0 -mfpmath=sse; long double is the x87's 80-bit format):
;   const double dx = 3.0 / 256, dy = 2.5 / 256; uint64_t total = 0;
;   for (py = 0; py < 256; py++) for (px = 0; px < 256; px++) {
;       double cr = (double)px * dx + -2.0, ci = (double)py * dy + -1.25, zr = 0, zi = 0; int it = 0;
;       while (it < 256) { double zr2 = zr * zr, zi2 = zi * zi; if (zr2 + zi2 > 4.0) break;
;                          double t = zr * zi; zi = (t + t) + ci; zr = (zr2 - zi2) + cr; it++; }
;       total += it; }                                                  -> 3727153
;   long double s = 0, sign = 1, d = 1;
;   for (k = 0; k < 8000000; k++) { s += sign / d; d += 2; sign = -sign; }
;   (long long)(s * 4 * 1000000000.0L + 0.5L)                           -> 3141592529
