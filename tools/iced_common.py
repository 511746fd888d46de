# Shared by tools/iced_oracle.py and tools/gen_known_opcodes.py: which iced instructions a
# current Intel CPU (swemu's model) has. iced's default DecoderOptions already model an Intel
# CPU for branch sizes etc., but iced always decodes AMD/VIA/Cyrix/Xeon Phi-only opcodes
# (3DNow!, XOP, FMA4, TBM, SSE4A, SVM, CLZERO, MONITORX, RDPRU, PadLock, ...): those are #UD
# on an Intel CPU, so they count as invalid here.
from iced_x86 import CpuidFeature as CF, Instruction, OpCodeInfo, Code

NOT_INTEL = {
    CF.D3NOW, CF.D3NOWEXT, CF.SSE4A, CF.XOP, CF.TBM, CF.FMA4, CF.LWP, CF.CLZERO, CF.MONITORX,
    CF.SVM, CF.SKINIT, CF.SKINIT_OR_SVM, CF.RDPRU, CF.MCOMMIT, CF.INVLPGB, CF.SEV_ES, CF.SEV_SNP,
    CF.RMPQUERY, CF.CENTAUR_AIS, CF.PADLOCK_ACE, CF.PADLOCK_GMI, CF.PADLOCK_PHE, CF.PADLOCK_PMM,
    CF.PADLOCK_RNG, CF.PADLOCK_UNDOC, CF.CYRIX_D3NOW, CF.CYRIX_DDI, CF.CYRIX_DMI, CF.CYRIX_EMMI,
    CF.CYRIX_FPU, CF.CYRIX_SHR, CF.CYRIX_SMINT, CF.CYRIX_SMINT_0F7E, CF.CYRIX_SMM,
    CF.AVX512ER, CF.AVX512PF, CF.AVX512_4FMAPS, CF.AVX512_4VNNIW, CF.KNC, CF.IA64,
    CF.INTEL8086_ONLY, CF.INTEL286_ONLY, CF.INTEL386_ONLY, CF.INTEL386_A0_ONLY, CF.INTEL486_A_ONLY,
    CF.FPU287XL_ONLY, CF.FPU387SL_ONLY,
}

_cache = {}
def intel_code(code):
    """True if `code` (an iced Code) exists on a current Intel CPU."""
    v = _cache.get(code)
    if v is None:
        v = code != Code.INVALID and not any(f in NOT_INTEL for f in Instruction.create(code).cpuid_features())
        _cache[code] = v
    return v
