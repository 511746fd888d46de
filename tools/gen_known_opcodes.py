#!/usr/bin/env python3
# Generates Sources/CPU/Decoder/KnownOpcodes.swift: the opcode map (SDM Vol. 2, Appendix A)
# of every instruction a current Intel CPU decodes, as length/validity data -- legacy maps,
# x87 escapes, VEX and EVEX -- so that swemu's decoder knows the length and validity of
# instructions it does not execute yet (x87, MMX, SSE, AVX, AVX-512, ...). The rows are taken
# from iced-x86's opcode metadata (OpCodeInfo), filtered to Intel (tools/iced_common.py).
# Usage: python3 tools/gen_known_opcodes.py > Sources/CPU/Decoder/KnownOpcodes.swift
import sys
from iced_x86 import OpCodeInfo, EncodingKind as EK, MandatoryPrefix as MP, OpCodeOperandKind as OK
from iced_x86 import OpCodeTableKind as TK
sys.path.insert(0, __import__('os').path.dirname(__file__))
from iced_common import intel_code

kname = {v: k for k, v in vars(OK).items() if isinstance(v, int) and k.isupper()}
MEM_ONLY = {'MEM', 'MEM_MPX', 'MEM_MIB', 'SIBMEM'} | {k for k in kname.values() if k.startswith('MEM_VSIB')}
IMM = {'IMM8': 1, 'IMM8SEX16': 1, 'IMM8SEX32': 1, 'IMM8SEX64': 1, 'IMM16': 2, 'IMM32': 4, 'IMM32SEX64': 4,
       'IMM64': 8, 'BR16_1': 1, 'BR32_1': 1, 'BR64_1': 1, 'BR16_2': 2, 'BR32_4': 4, 'BR64_4': 4,
       'BRDISP_2': 2, 'BRDISP_4': 4, 'XBEGIN_2': 2, 'XBEGIN_4': 4, 'FARBR2_2': 4, 'FARBR4_2': 6}
IS4 = {'XMM_IS4', 'XMM_IS5', 'YMM_IS4', 'YMM_IS5'}
tables = {TK.NORMAL: 0, TK.T0F: 1, TK.T0F38: 2, TK.T0F3A: 3, TK.MAP5: 5, TK.MAP6: 6}
mprefix = {MP.NONE: 0, MP.PNP: 1, MP.P66: 2, MP.PF3: 3, MP.PF2: 4}

rows = {}
code = 1
while True:
    try: o = OpCodeInfo(code)
    except Exception: break
    code += 1
    if not o.is_instruction or o.decoder_option != 0 or o.fwait or not intel_code(o.code): continue
    enc = {EK.LEGACY: 0, EK.VEX: 1, EK.EVEX: 2}.get(o.encoding)
    if enc is None or o.table not in tables: continue
    s = o.op_code_string.split()
    kinds = [kname[k] for k in o.op_kinds()]
    # The opcode and what follows it.
    i = 0
    while s[i] in ('o16', 'o32', 'o64', 'a16', 'a32', 'a64', 'NP', 'REX.W') or s[i].startswith(('VEX.', 'EVEX.')): i += 1
    if enc == 0 and o.mandatory_prefix in (MP.P66, MP.PF3, MP.PF2): assert s[i] in ('66', 'F2', 'F3'); i += 1
    while s[i] in ('o16', 'o32', 'o64', 'a16', 'a32', 'a64', 'REX.W'): i += 1
    if enc == 0: i += {TK.NORMAL: 0, TK.T0F: 1, TK.T0F38: 2, TK.T0F3A: 2}[o.table]
    if '+r' in s[i]: continue   # opcode-register forms: all implemented (INC/DEC/PUSH/POP/XCHG/MOV/BSWAP)
    opc = o.op_code >> 8 if o.op_code_len == 2 else o.op_code
    assert int(s[i], 16) == opc, (o.op_code_string, hex(o.op_code))
    rest = s[i + 1:]
    grp, fixed, mod, modrm = -1, -1, 0, False
    if o.is_group: grp = o.group_index; modrm = True
    for t in rest:
        if t == '/r' or t.startswith('/') and t[1:].isdigit(): modrm = True
        if t.endswith('+i'): modrm = True; b = int(t[:2], 16); grp = (b >> 3) & 7; mod = 2
        if t in ('11:rrr:bbb', '11:rrr:000'): mod = 2
        if t.startswith('!(11)'): mod = 1
        if len(t) == 2 and all(c in '0123456789ABCDEF' for c in t): fixed = int(t, 16); modrm = True
    if o.is_rm_group and fixed < 0: fixed = 1000 + o.rm_group_index; mod = 2
    if any(k in MEM_ONLY for k in kinds): mod = 1
    if any(k.endswith('_RM') or k == 'STI_OPCODE' for k in kinds): mod = 2
    if o.ignores_mod_bits: mod = 3
    if any(k.endswith(('_OR_MEM', '_RM', '_REG', '_VVVV')) or k in MEM_ONLY or k == 'STI_OPCODE' for k in kinds): modrm = modrm or not any(k.endswith('_OPCODE') for k in kinds)
    imm = sum(IMM.get(k, 0) for k in kinds)
    if any(k in IS4 for k in kinds): imm += 1
    if 'MEM_OFFS' in kinds: imm = 100 + o.address_size  # not expected for unimplemented forms
    vsib = any(k.startswith('MEM_VSIB') for k in kinds)
    sib = 'SIBMEM' in kinds or vsib
    vvvv = any('VVVV' in k for k in kinds)
    L = -1 if o.is_lig or enc == 0 else o.l
    W = -1 if o.is_wig or enc == 0 else o.w
    modes = (1 if o.mode16 else 0) | (2 if o.mode32 else 0) | (4 if o.mode64 else 0)
    fl = 0
    if o.can_use_lock_prefix: fl |= 1
    if o.can_use_rounding_control: fl |= 2
    if o.can_suppress_all_exceptions: fl |= 4
    if o.can_broadcast: fl |= 8
    if o.can_use_op_mask_register: fl |= 16
    if o.require_op_mask_register: fl |= 32
    if o.can_use_zeroing_masking: fl |= 64
    if sib: fl |= 128
    if vvvv: fl |= 256
    if o.is_wig32: fl |= 512
    if any(k in ('K_REG', 'KP1_REG') for k in kinds): fl |= 1024
    if 'K_VVVV' in kinds: fl |= 2048
    if o.requires_unique_dest_reg_num: fl |= 4096
    if o.requires_unique_reg_nums: fl |= 8192
    if kinds and (kinds[0].endswith('_OR_MEM') or kinds[0] == 'MEM'): fl |= 16384
    if o.no66: fl |= 32768
    if any(k.startswith('TMM_') for k in kinds): fl |= 65536
    key = (enc, tables[o.table], opc, mprefix[o.mandatory_prefix], grp, fixed, mod, L, W, fl)
    osz = o.operand_size
    if key in rows:
        prev = rows[key]
        if prev[1] != imm:
            pair = {prev[1], imm}
            if pair <= {2, 4, 99}: imm = 99     # 2 bytes with 16-bit operand size, else 4
            elif pair <= {2, 4, 8, 98, 99}: imm = 98  # operand size (MOV r, imm64)
            elif pair <= {4, 6, 97}: imm = 97   # far pointer: 2 + (2 with 16-bit operand size, else 4)
            else: raise SystemExit('imm clash %r %r' % (o.op_code_string, prev))
            prev = (prev[0], imm, prev[2], prev[3])
        rows[key] = (prev[0] | modes, prev[1], prev[2] + [o.code], modrm or prev[3])
    else:
        rows[key] = (modes, imm, [o.code], modrm)

out = []
for k, (modes, imm, codes, modrm) in sorted(rows.items()):
    enc, mp_, op, pf, grp, fixed, mod, L, W, fl = k
    out.append('%d %d %d %d %d %d %d %d %d %d %d %d %d' % (enc, mp_, op, pf, grp, fixed, mod if modrm else 4, L, W, modes, imm, fl, codes[0]))
print('// GENERATED by tools/gen_known_opcodes.py from iced-x86 opcode metadata; do not edit.')
print('// Columns: encoding (0 legacy, 1 VEX, 2 EVEX), map (0 one-byte, 1 0F, 2 0F38, 3 0F3A, 5/6 EVEX maps),')
print('// opcode, mandatory prefix (0 any, 1 none, 2 66, 3 F3, 4 F2), ModRM.reg (-1 any), fixed ModRM (-1 none, 1000+n: ModRM.rm = n),')
print('// ModRM use (0 any, 1 memory only, 2 register only, 3 mod ignored, 4 no ModRM), L (-1 ignored),')
print('// W (-1 ignored), modes (1 16-bit, 2 32-bit, 4 64-bit), immediate bytes (99: 2 with 16-bit operand size,')
print('// else 4; 98: operand size; 97: far pointer), flags (1 lock, 2 er, 4 sae, 8 broadcast, 16 opmask, 32 opmask required, 64 zeroing,')
print('// 128 SIB required, 256 uses vvvv, 512 W ignored outside 64-bit mode, 1024 ModRM.reg is a mask register,')
print('// 2048 vvvv is a mask register, 4096 destination register unique, 8192 all registers unique,')
print('// 16384 ModRM.rm is the destination: no EVEX zeroing-masking with memory, 32768 66 prefix is #UD,')
print('// 65536 tile registers: no register extension bits),')
print('// iced Code (for reference).')
print('let knownOpcodeRows = """')
print('\n'.join(out))
print('"""')
print('let knownOpcodeRowCount = %d' % len(out), file=sys.stderr)
