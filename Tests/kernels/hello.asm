; hello.asm - smallest swemu test kernel: banner, a few ALU sanity checks, exit 0.
%include "lib.inc"

main:
    MSG "swemu hello kernel: 32-bit protected mode, COM1 output"
    CHECK dword [mb_magic], 0x2BADB002, "multiboot magic in EAX at entry"

    mov eax, 40
    add eax, 2
    CHECK eax, 42, "add"

    mov eax, 0x12345678
    xor eax, 0xffff0000
    CHECK eax, 0xedcb5678, "xor"

    mov eax, 7
    mov ecx, 6
    imul eax, ecx
    CHECK eax, 42, "imul"

    mov eax, 1000
    xor edx, edx
    mov ecx, 7
    div ecx
    CHECK eax, 142, "div quotient"
    CHECK edx, 6, "div remainder"

    mov eax, 0x80000000
    shr eax, 31
    CHECK eax, 1, "shr"

    mov eax, 0x0000ffff
    sar eax, 4
    mov ebx, -16
    sar ebx, 2
    CHECK eax, 0x0fff, "sar positive"
    CHECK ebx, -4, "sar negative"

    mov eax, 0xffffffff
    add eax, 1
    PASS_IF c, "carry flag on wrap-around"
    mov eax, 0x7fffffff
    add eax, 1
    PASS_IF o, "overflow flag on signed overflow"

    push dword 0xdeadbeef
    pop eax
    CHECK eax, 0xdeadbeef, "push/pop"

    mov ecx, 10
    xor eax, eax
.sum:
    add eax, ecx
    loop .sum
    CHECK eax, 55, "loop sum 1..10"

    bsf eax, dword [bsf_val]
    CHECK eax, 12, "bsf"
    ret

section .data
bsf_val: dd 0x00fff000
