#!/usr/bin/env python3
# Decoder oracle for `swemu-difftest --decoder` (Sources/swemu-difftest/DecoderDiff.swift).
#
# Protocol (stdin -> stdout), one batch per line:
#   in:  "<bits> <count> <hex of count*15 bytes>"    (bits = 16, 32 or 64)
#   out: <count> lines, one per 15-byte case, then nothing else:
#        "I"                         iced: invalid (or an instruction an Intel CPU lacks)
#        "V <len> <canonical text>"  iced: valid, length, and the canonical form below
# Canonical form (the Swift side prints the same): lowercase mnemonic, then space-separated
# operands: register name; memory "m<size>[<seg>:<base>,<index>,<scale>,<disp hex>]" (segment
# empty in 64-bit mode unless fs/gs; RIP-relative: base rip/eip and disp = target with ip 0);
# immediate "i<hex>" masked to the operand's width; branch target "j<hex>"; far pointer
# "f<sel>:<off>"; string operands "s<seg>:<reg>". Prefix words "lock", "rep", "repne" first.
import sys, os
from iced_x86 import Decoder, DecoderOptions, OpKind, Register, Mnemonic, MemorySizeInfo
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from iced_common import intel_code

REG = {}
for k, v in vars(Register).items():
    if isinstance(v, int) and k.isupper():
        n = k.lower()
        if n.startswith('r') and n.endswith('l') and n[1:-1].isdigit(): n = n[:-1] + 'b'   # R8L -> r8b
        REG[v] = n
MNEM = {v: k.lower() for k, v in vars(Mnemonic).items() if isinstance(v, int) and not k.startswith('_')}
MSIZE = {}
def msize(ms):
    s = MSIZE.get(ms)
    if s is None: s = MSIZE[ms] = MemorySizeInfo(ms).size
    return s
SEGS = {Register.ES, Register.CS, Register.SS, Register.DS}
IMMW = {OpKind.IMMEDIATE8: 0xFF, OpKind.IMMEDIATE8_2ND: 0xFF, OpKind.IMMEDIATE16: 0xFFFF,
        OpKind.IMMEDIATE32: 0xFFFFFFFF, OpKind.IMMEDIATE64: (1 << 64) - 1, OpKind.IMMEDIATE8TO16: 0xFFFF,
        OpKind.IMMEDIATE8TO32: 0xFFFFFFFF, OpKind.IMMEDIATE8TO64: (1 << 64) - 1, OpKind.IMMEDIATE32TO64: (1 << 64) - 1}
STR_SI = {OpKind.MEMORY_SEG_SI: 'si', OpKind.MEMORY_SEG_ESI: 'esi', OpKind.MEMORY_SEG_RSI: 'rsi',
          OpKind.MEMORY_SEG_DI: 'di', OpKind.MEMORY_SEG_EDI: 'edi', OpKind.MEMORY_SEG_RDI: 'rdi'}
STR_DI = {OpKind.MEMORY_ESDI: 'di', OpKind.MEMORY_ESEDI: 'edi', OpKind.MEMORY_ESRDI: 'rdi'}

def seg(ins, bits):
    s = ins.memory_segment
    if bits == 64 and s in SEGS: return ''
    return REG[s]

def canon(ins, bits):
    out = []
    if ins.has_lock_prefix: out.append('lock')
    if ins.is_string_instruction:
        if ins.has_repne_prefix: out.append('repne')
        elif ins.has_rep_prefix or ins.has_repe_prefix: out.append('rep')
    out.append(MNEM[ins.mnemonic])
    for i in range(ins.op_count):
        k = ins.op_kind(i)
        if k == OpKind.REGISTER: out.append(REG[ins.op_register(i)])
        elif k == OpKind.MEMORY:
            b, x = ins.memory_base, ins.memory_index
            out.append('m%d[%s:%s,%s,%d,%x]' % (msize(ins.memory_size), seg(ins, bits), REG[b] if b else '',
                                               REG[x] if x else '', ins.memory_index_scale if x else 1, ins.memory_displacement))
        elif k in IMMW: out.append('i%x' % (ins.immediate(i) & IMMW[k]))
        elif k in (OpKind.NEAR_BRANCH16, OpKind.NEAR_BRANCH32, OpKind.NEAR_BRANCH64): out.append('j%x' % ins.near_branch_target)
        elif k in (OpKind.FAR_BRANCH16, OpKind.FAR_BRANCH32): out.append('f%x:%x' % (ins.far_branch_selector, ins.far_branch32 if k == OpKind.FAR_BRANCH32 else ins.far_branch16))
        elif k in STR_SI: out.append('s%s:%s' % (seg(ins, bits), STR_SI[k]))
        elif k in STR_DI: out.append('s%s:%s' % ('' if bits == 64 else 'es', STR_DI[k]))
        elif k in (OpKind.MEMORY_SEG_BX, OpKind.MEMORY_SEG_EBX, OpKind.MEMORY_SEG_RBX):
            out.append('x%s:%s' % (seg(ins, bits), {OpKind.MEMORY_SEG_BX: 'bx', OpKind.MEMORY_SEG_EBX: 'ebx', OpKind.MEMORY_SEG_RBX: 'rbx'}[k]))
        else: out.append('?%d' % k)
    return ' '.join(out)

def main():
    inp, outp = sys.stdin.buffer, sys.stdout.buffer
    while True:
        line = inp.readline()
        if not line: break
        bits, count, hx = line.split()
        bits, count = int(bits), int(count)
        data = bytes.fromhex(hx.decode())
        dec = Decoder(bits, data, DecoderOptions.NONE)
        res = []
        for i in range(count):
            dec.position = i * 15
            dec.ip = 0
            ins = dec.decode()
            if ins.is_invalid or not intel_code(ins.code): res.append('I')
            else: res.append('V %d %s' % (ins.len, canon(ins, bits)))
        outp.write(('\n'.join(res) + '\n').encode())
        outp.flush()

if __name__ == '__main__':
    main()
