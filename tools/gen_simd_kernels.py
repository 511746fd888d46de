#!/usr/bin/env python3
"""Generates swemu's host SIMD kernels (Sources/CSIMD/simd_kernels.c) and their op numbers
for Swift (Sources/CPU/Semantics/SIMDKernelOps.swift).

Guest and host are both x86-64, so a guest SSE/AVX/MMX operation runs as the same host
instruction on 128-bit (or 64-bit MMX) values: the results, NaN propagation, rounding,
DAZ/FTZ and exception flags are the hardware's. Floating-point kernels load the guest's
MXCSR control bits with every exception masked and return the flags raised; the caller
applies the SDM's unmasked-exception rules (Vol. 1, 11.5). An instruction with an immediate
operand is expanded into one host instruction per immediate value (a switch).

Run: python3 tools/gen_simd_kernels.py   (rewrites both files)
"""
import os, sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")

# ---- floating point (swemu_vfp): MXCSR applies ------------------------------------------
# kind: f     x = a; INSN b, x; d = x
#       fi:N  the same with an immediate 0..N-1
#       f2r32 / f2r64   FP -> general register (d.q[0])
#       r2f32 / r2f64   general register (b.q[0]) -> FP, x = a
#       comi  x = a; INSN b, x; d.q[0] = RFLAGS
#       fma   x = a (destination); INSN c, b, x  (Intel: INSN x, b, c)
FP = []
def fp(name, kind, insn=None):
    FP.append((name, kind, insn or name.lower()))

for op in ["ADD", "SUB", "MUL", "DIV", "MIN", "MAX", "SQRT"]:
    for t in ["PS", "PD", "SS", "SD"]:
        fp(op + t, "f")
for t in ["PS", "SS"]:
    fp("RCP" + t, "f"); fp("RSQRT" + t, "f")
for t in ["PS", "PD", "SS", "SD"]:
    fp("CMP" + t, "fi:32", "vcmp" + t.lower() + "_v")   # vex form, 32 predicates (see below)
    fp("CMPL" + t, "fi:8", "cmp" + t.lower())           # legacy form, imm8[2:0]
for t in ["PS", "PD"]:
    fp("ADDSUB" + t, "f"); fp("HADD" + t, "f"); fp("HSUB" + t, "f")
for t in ["PS", "PD", "SS", "SD"]:
    fp("ROUND" + t, "fi:16")
fp("DPPS", "fi:256"); fp("DPPD", "fi:256")
# conversions
fp("CVTSS2SI32", "f2r32", "cvtss2si"); fp("CVTSS2SI64", "f2r64", "cvtss2si")
fp("CVTTSS2SI32", "f2r32", "cvttss2si"); fp("CVTTSS2SI64", "f2r64", "cvttss2si")
fp("CVTSD2SI32", "f2r32", "cvtsd2si"); fp("CVTSD2SI64", "f2r64", "cvtsd2si")
fp("CVTTSD2SI32", "f2r32", "cvttsd2si"); fp("CVTTSD2SI64", "f2r64", "cvttsd2si")
fp("CVTSI2SS32", "r2f32", "cvtsi2ssl"); fp("CVTSI2SS64", "r2f64", "cvtsi2ssq")
fp("CVTSI2SD32", "r2f32", "cvtsi2sdl"); fp("CVTSI2SD64", "r2f64", "cvtsi2sdq")
for n in ["CVTPS2PD", "CVTPD2PS", "CVTSS2SD", "CVTSD2SS", "CVTDQ2PS", "CVTPS2DQ", "CVTTPS2DQ",
          "CVTDQ2PD", "CVTPD2DQ", "CVTTPD2DQ"]:
    fp(n, "f")
# MMX-register conversions: the MMX operand travels in the low 64 bits of an XMM value
# (the host converts through CVTDQ2PS etc., identical element semantics).
fp("CVTPI2PS", "f", "cvtpi2ps_x"); fp("CVTPS2PI", "f", "cvtps2pi_x"); fp("CVTTPS2PI", "f", "cvttps2pi_x")
fp("CVTPI2PD", "f", "cvtdq2pd"); fp("CVTPD2PI", "f", "cvtpd2dq"); fp("CVTTPD2PI", "f", "cvttpd2dq")
for n in ["COMISS", "UCOMISS", "COMISD", "UCOMISD"]:
    fp(n, "comi")
# FMA3 (VEX): 132, 213, 231 operand orders of each operation.
for o in ["132", "213", "231"]:
    for op in ["VFMADD", "VFMSUB", "VFNMADD", "VFNMSUB"]:
        for t in ["PS", "PD", "SS", "SD"]:
            fp(op + o + t, "fma")
    for op in ["VFMADDSUB", "VFMSUBADD"]:
        for t in ["PS", "PD"]:
            fp(op + o + t, "fma")
fp("VCVTPH2PS", "f", "vcvtph2ps")
fp("VCVTPS2PH", "fi:8", "vcvtps2ph")

# ---- integer (swemu_vint): no MXCSR -------------------------------------------------------
# kind: v     x = a; INSN b, x; d = x
#       vi:N  with an immediate 0..N-1
#       vsh:N shift by immediate: x = a; INSN $imm, x (b unused)
#       vc    blend with the mask in c (XMM0 for the legacy form)
#       vfl   x = a; INSN b, x; d.q[0] = RFLAGS (PTEST)
#       msk   d.q[0] = INSN b  (PMOVMSKB, MOVMSKPS/PD)
#       str:N PCMPxSTRx: d = XMM0 result (M) or d.q[0] = ECX (I), d.q[1] = RFLAGS
VI = []
def vi(name, kind, insn=None):
    VI.append((name, kind, insn or name.lower()))

for n in ["PADDB", "PADDW", "PADDD", "PADDQ", "PADDSB", "PADDSW", "PADDUSB", "PADDUSW",
          "PSUBB", "PSUBW", "PSUBD", "PSUBQ", "PSUBSB", "PSUBSW", "PSUBUSB", "PSUBUSW",
          "PMULLW", "PMULHW", "PMULHUW", "PMULUDQ", "PMADDWD", "PSADBW", "PAVGB", "PAVGW",
          "PMINUB", "PMAXUB", "PMINSW", "PMAXSW", "PCMPEQB", "PCMPEQW", "PCMPEQD",
          "PCMPGTB", "PCMPGTW", "PCMPGTD", "PAND", "PANDN", "POR", "PXOR",
          "PACKSSWB", "PACKSSDW", "PACKUSWB",
          "PUNPCKLBW", "PUNPCKLWD", "PUNPCKLDQ", "PUNPCKLQDQ",
          "PUNPCKHBW", "PUNPCKHWD", "PUNPCKHDQ", "PUNPCKHQDQ",
          "PSLLW", "PSLLD", "PSLLQ", "PSRLW", "PSRLD", "PSRLQ", "PSRAW", "PSRAD",
          "UNPCKLPS", "UNPCKHPS", "UNPCKLPD", "UNPCKHPD",
          "MOVSLDUP", "MOVSHDUP", "MOVDDUP",
          "PSHUFB", "PHADDW", "PHADDD", "PHADDSW", "PHSUBW", "PHSUBD", "PHSUBSW",
          "PMADDUBSW", "PMULHRSW", "PSIGNB", "PSIGNW", "PSIGND", "PABSB", "PABSW", "PABSD",
          "PMINSB", "PMINSD", "PMINUW", "PMINUD", "PMAXSB", "PMAXSD", "PMAXUW", "PMAXUD",
          "PMULLD", "PMULDQ", "PCMPEQQ", "PCMPGTQ", "PACKUSDW", "PHMINPOSUW",
          "PMOVSXBW", "PMOVSXBD", "PMOVSXBQ", "PMOVSXWD", "PMOVSXWQ", "PMOVSXDQ",
          "PMOVZXBW", "PMOVZXBD", "PMOVZXBQ", "PMOVZXWD", "PMOVZXWQ", "PMOVZXDQ",
          "AESENC", "AESENCLAST", "AESDEC", "AESDECLAST", "AESIMC"]:
    vi(n, "v")
for n in ["PSLLW", "PSLLD", "PSLLQ", "PSRLW", "PSRLD", "PSRLQ", "PSRAW", "PSRAD", "PSLLDQ", "PSRLDQ"]:
    vi(n + "I", "vsh:256", n.lower())
for n in ["PSHUFD", "PSHUFLW", "PSHUFHW", "SHUFPS", "PALIGNR", "PBLENDW", "INSERTPS", "AESKEYGENASSIST"]:
    vi(n, "vi:256")
vi("SHUFPD", "vi:4"); vi("BLENDPS", "vi:16"); vi("BLENDPD", "vi:4"); vi("MPSADBW", "vi:8")
vi("PCLMULQDQ", "vi:256")
vi("PBLENDVB", "vc"); vi("BLENDVPS", "vc"); vi("BLENDVPD", "vc")
vi("PTEST", "vfl"); vi("VTESTPS", "vfl"); vi("VTESTPD", "vfl")
vi("PMOVMSKB", "msk"); vi("MOVMSKPS", "msk"); vi("MOVMSKPD", "msk")
vi("PCMPESTRI", "str:128"); vi("PCMPESTRM", "str:128"); vi("PCMPISTRI", "str:128"); vi("PCMPISTRM", "str:128")

# ---- MMX (swemu_mmx): 64-bit operands in MMX registers ------------------------------------
# kind: m     a = INSN(a, b)
#       mi:N  with an immediate (PSHUFW, PALIGNR)
#       msh:N shift by immediate
MM = []
def mm(name, kind, insn=None):
    MM.append((name, kind, insn or name.lower()))
for n in ["PADDB", "PADDW", "PADDD", "PADDQ", "PADDSB", "PADDSW", "PADDUSB", "PADDUSW",
          "PSUBB", "PSUBW", "PSUBD", "PSUBQ", "PSUBSB", "PSUBSW", "PSUBUSB", "PSUBUSW",
          "PMULLW", "PMULHW", "PMULHUW", "PMULUDQ", "PMADDWD", "PSADBW", "PAVGB", "PAVGW",
          "PMINUB", "PMAXUB", "PMINSW", "PMAXSW", "PCMPEQB", "PCMPEQW", "PCMPEQD",
          "PCMPGTB", "PCMPGTW", "PCMPGTD", "PAND", "PANDN", "POR", "PXOR",
          "PACKSSWB", "PACKSSDW", "PACKUSWB",
          "PUNPCKLBW", "PUNPCKLWD", "PUNPCKLDQ", "PUNPCKHBW", "PUNPCKHWD", "PUNPCKHDQ",
          "PSLLW", "PSLLD", "PSLLQ", "PSRLW", "PSRLD", "PSRLQ", "PSRAW", "PSRAD",
          "PSHUFB", "PHADDW", "PHADDD", "PHADDSW", "PHSUBW", "PHSUBD", "PHSUBSW",
          "PMADDUBSW", "PMULHRSW", "PSIGNB", "PSIGNW", "PSIGND", "PABSB", "PABSW", "PABSD"]:
    mm(n, "m")
for n in ["PSLLW", "PSLLD", "PSLLQ", "PSRLW", "PSRLD", "PSRLQ", "PSRAW", "PSRAD"]:
    mm(n + "I", "msh:256", n.lower())
mm("PSHUFW", "mi:256"); mm("PALIGNR", "mi:256")
mm("PMOVMSKB", "mmsk")

def gen_c():
    o = []
    w = o.append
    w("// Generated by tools/gen_simd_kernels.py: do not edit. See the script for the design.")
    w("#define _GNU_SOURCE")
    w('#include "include/csimd.h"')
    w("#include <immintrin.h>")
    w("#include <string.h>")
    w("#include <signal.h>")
    w("#include <setjmp.h>")
    w("#include <ucontext.h>")
    w("")
    w("typedef __m128i V;")
    w("static inline V ld(const void *p) { V v; memcpy(&v, p, 16); return v; }")
    w("static inline void st(void *p, V v) { memcpy(p, &v, 16); }")
    w("")
    # FP
    w("// Unmasked SIMD floating-point exceptions: the kernel runs with the guest's masks and the")
    w("// host's #XM (SIGFPE) ends it; the handler reports MXCSR as the CPU left it. Only used")
    w("// when the guest unmasks an exception, so the usual path has no signal handling at all.")
    w("static __thread sigjmp_buf *fpe_jmp;")
    w("static __thread uint32_t fpe_mxcsr;")
    w("static void fpe_handler(int sig, siginfo_t *si, void *vctx) {")
    w("    (void)si;")
    w("    if (!fpe_jmp) { signal(sig, SIG_DFL); return; }   /* not from a kernel: default action */")
    w("    ucontext_t *uc = (ucontext_t *)vctx;")
    w("    fpe_mxcsr = uc->uc_mcontext.fpregs ? uc->uc_mcontext.fpregs->mxcsr : 0;")
    w("    siglongjmp(*fpe_jmp, 1);")
    w("}")
    w("static void fpe_install(void) {")
    w("    static int done;")
    w("    if (done) return;")
    w("    struct sigaction sa;")
    w("    memset(&sa, 0, sizeof sa);")
    w("    sa.sa_sigaction = fpe_handler;")
    w("    sa.sa_flags = SA_SIGINFO | SA_NODEFER;")
    w("    sigemptyset(&sa.sa_mask);")
    w("    sigaction(SIGFPE, &sa, NULL);")
    w("    done = 1;")
    w("}")
    w("")
    w("static V fp_op(uint32_t op, V x, V b, V c, uint32_t imm) {")
    w("    uint64_t r = 0;")
    w("    switch (op) {")
    for k, (name, kind, insn) in enumerate(FP):
        w(f"    case {k}: /* {name} */")
        if kind == "f":
            if insn in ("cvtpi2ps_x", "cvtps2pi_x", "cvttps2pi_x"):
                # Through the MMX-free equivalents on the low two elements.
                real = {"cvtpi2ps_x": "cvtdq2ps", "cvtps2pi_x": "cvtps2dq", "cvttps2pi_x": "cvttps2dq"}[insn]
                if insn == "cvtpi2ps_x":
                    # Only the low two floats are written; the upper two keep the destination's.
                    w(f"        {{ V t = _mm_move_epi64(b); __asm__ volatile(\"{real} %[b], %[t]\" : [t]\"=x\"(t) : [b]\"x\"(t));")
                    w("          x = _mm_castps_si128(_mm_shuffle_ps(_mm_castsi128_ps(t), _mm_castsi128_ps(x), 0xE4)); }")
                else:
                    w(f"        {{ V t = _mm_move_epi64(b); __asm__ volatile(\"{real} %[b], %[t]\" : [t]\"=x\"(t) : [b]\"x\"(t)); x = _mm_move_epi64(t); }}")
            else:
                w(f"        __asm__ volatile(\"{insn} %[b], %[x]\" : [x]\"+x\"(x) : [b]\"x\"(b)); break;")
                continue
            w("        break;")
        elif kind.startswith("fi:"):
            n = int(kind[3:])
            w(f"        switch (imm & {n - 1}u) {{")
            for v in range(n):
                if insn.endswith("_v"):
                    ins = insn[:-2]
                    w(f"        case {v}: __asm__ volatile(\"{ins} ${v}, %[b], %[x], %[x]\" : [x]\"+x\"(x) : [b]\"x\"(b)); break;")
                elif insn == "vcvtps2ph":
                    w(f"        case {v}: __asm__ volatile(\"vcvtps2ph ${v}, %[b], %[x]\" : [x]\"=x\"(x) : [b]\"x\"(b)); break;")
                else:
                    w(f"        case {v}: __asm__ volatile(\"{insn} ${v}, %[b], %[x]\" : [x]\"+x\"(x) : [b]\"x\"(b)); break;")
            w("        }")
            w("        break;")
        elif kind in ("f2r32", "f2r64"):
            reg = "%k[r]" if kind == "f2r32" else "%q[r]"
            w(f"        __asm__ volatile(\"{insn} %[b], {reg}\" : [r]\"=r\"(r) : [b]\"x\"(b)); x = _mm_cvtsi64_si128((long long)r); break;")
        elif kind in ("r2f32", "r2f64"):
            reg = "%k[r]" if kind == "r2f32" else "%q[r]"
            w(f"        r = (uint64_t)_mm_cvtsi128_si64(b); __asm__ volatile(\"{insn} {reg}, %[x]\" : [x]\"+x\"(x) : [r]\"r\"(r)); break;")
        elif kind == "comi":
            w(f"        __asm__ volatile(\"{insn} %[b], %[x]\\n\\tleaq -128(%%rsp), %%rsp\\n\\tpushfq\\n\\tpopq %[r]\\n\\tleaq 128(%%rsp), %%rsp\" : [r]\"=r\"(r) : [x]\"x\"(x), [b]\"x\"(b) : \"cc\"); x = _mm_cvtsi64_si128((long long)r); break;")
        elif kind == "fma":
            w(f"        __asm__ volatile(\"{insn.lower()} %[c], %[b], %[x]\" : [x]\"+x\"(x) : [b]\"x\"(b), [c]\"x\"(c)); break;")
        else:
            raise SystemExit("bad kind " + kind)
    w("    default: break;")
    w("    }")
    w("    (void)c; (void)r;")
    w("    return x;")
    w("}")
    w("")
    w("uint32_t swemu_vfp(uint32_t op, void *d, const void *pa, const void *pb, const void *pc, uint32_t mxcsr, uint32_t imm) {")
    w("    V a = ld(pa), b = ld(pb), c = ld(pc), x;")
    w("    uint32_t host = 0x1F80u, after;")
    w("    if ((mxcsr & 0x1F80u) == 0x1F80u) {")
    w("        uint32_t g = mxcsr & 0xFFC0u;")
    w("        __asm__ volatile(\"ldmxcsr %0\" :: \"m\"(g));")
    w("        x = fp_op(op, a, b, c, imm);")
    w("        __asm__ volatile(\"stmxcsr %0\" : \"=m\"(after));")
    w("        __asm__ volatile(\"ldmxcsr %0\" :: \"m\"(host));")
    w("        st(d, x);")
    w("        return after & 0x3Fu;")
    w("    }")
    w("    fpe_install();")
    w("    sigjmp_buf jb;")
    w("    if (sigsetjmp(jb, 0) == 0) {")
    w("        fpe_jmp = &jb;")
    w("        uint32_t g = mxcsr & 0xFFC0u;")
    w("        __asm__ volatile(\"ldmxcsr %0\" :: \"m\"(g));")
    w("        x = fp_op(op, a, b, c, imm);")
    w("        __asm__ volatile(\"stmxcsr %0\" : \"=m\"(after));")
    w("        __asm__ volatile(\"ldmxcsr %0\" :: \"m\"(host));")
    w("        fpe_jmp = 0;")
    w("        st(d, x);")
    w("        return after & 0x3Fu;")
    w("    }")
    w("    fpe_jmp = 0;")
    w("    __asm__ volatile(\"ldmxcsr %0\" :: \"m\"(host));")
    w("    return (fpe_mxcsr & 0x3Fu) | SWEMU_VFP_UNMASKED;")
    w("}")
    w("")
    # integer
    w("void swemu_vint(uint32_t op, void *d, const void *pa, const void *pb, const void *pc, uint32_t imm) {")
    w("    V x = ld(pa), b = ld(pb), c = ld(pc);")
    w("    uint64_t r = 0, fl = 0;")
    w("    switch (op) {")
    for k, (name, kind, insn) in enumerate(VI):
        w(f"    case {k}: /* {name} */")
        if kind == "v":
            if insn.startswith("pmov") or insn in ("movsldup", "movshdup", "movddup", "pabsb", "pabsw", "pabsd", "aesimc", "phminposuw"):
                w(f"        __asm__ volatile(\"{insn} %[b], %[x]\" : [x]\"=x\"(x) : [b]\"x\"(b)); break;")
            else:
                w(f"        __asm__ volatile(\"{insn} %[b], %[x]\" : [x]\"+x\"(x) : [b]\"x\"(b)); break;")
        elif kind.startswith("vi:"):
            n = int(kind[3:])
            unary = insn in ("pshufd", "pshuflw", "pshufhw", "aeskeygenassist")
            w(f"        switch (imm & {n - 1}u) {{")
            for v in range(n):
                c = "=x" if unary else "+x"
                w(f"        case {v}: __asm__ volatile(\"{insn} ${v}, %[b], %[x]\" : [x]\"{c}\"(x) : [b]\"x\"(b)); break;")
            w("        }")
            w("        break;")
        elif kind.startswith("vsh:"):
            n = int(kind[4:])
            w("        switch (imm) {")
            for v in range(n):
                w(f"        case {v}: __asm__ volatile(\"{insn} ${v}, %[x]\" : [x]\"+x\"(x)); break;")
            w("        }")
            w("        break;")
        elif kind == "vc":
            w(f"        {{ register V m __asm__(\"xmm0\") = c; __asm__ volatile(\"{insn} %[m], %[b], %[x]\" : [x]\"+x\"(x) : [b]\"x\"(b), [m]\"x\"(m)); }} break;")
        elif kind == "vfl":
            w(f"        __asm__ volatile(\"{insn} %[b], %[x]\\n\\tleaq -128(%%rsp), %%rsp\\n\\tpushfq\\n\\tpopq %[r]\\n\\tleaq 128(%%rsp), %%rsp\" : [r]\"=r\"(r) : [x]\"x\"(x), [b]\"x\"(b) : \"cc\"); x = _mm_cvtsi64_si128((long long)r); break;")
        elif kind == "msk":
            w(f"        __asm__ volatile(\"{insn} %[b], %k[r]\" : [r]\"=r\"(r) : [b]\"x\"(b)); x = _mm_cvtsi64_si128((long long)r); break;")
        elif kind.startswith("str:"):
            n = int(kind[4:])
            est = "estr" in insn
            idx = insn.endswith("i")
            w("        {")
            if est:
                w("        uint64_t la = (uint64_t)_mm_cvtsi128_si64(c), ld_ = (uint64_t)_mm_extract_epi64(c, 1);")
            w("        switch (imm) {")
            for v in range(n):
                if idx:
                    outs = "[r]\"=c\"(r), [f]\"=r\"(fl)"
                else:
                    outs = "[m]\"=Yz\"(x), [f]\"=r\"(fl)"
                ins_ = "[x]\"x\"(x), [b]\"x\"(b)" + (", \"a\"(la), \"d\"(ld_)" if est else "")
                clob = "\"cc\"" + (", \"rcx\"" if not idx else "") + (", \"xmm0\"" if idx else "")
                w(f"        case {v}: __asm__ volatile(\"{insn} ${v}, %[b], %[x]\\n\\tleaq -128(%%rsp), %%rsp\\n\\tpushfq\\n\\tpopq %[f]\\n\\tleaq 128(%%rsp), %%rsp\" : {outs} : {ins_} : {clob}); break;")
            w("        }")
            if idx:
                w("        x = _mm_set_epi64x((long long)fl, (long long)r);")
            else:
                w("        st(d, x); ((uint64_t *)pc)[0] = fl; return;")
            w("        }")
            w("        break;")
        else:
            raise SystemExit("bad kind " + kind)
    w("    default: break;")
    w("    }")
    w("    (void)c; (void)fl;")
    w("    st(d, x);")
    w("}")
    w("")
    # MMX
    w("uint64_t swemu_mmx(uint32_t op, uint64_t a, uint64_t b, uint32_t imm) {")
    w("    uint64_t r = a;")
    w("    switch (op) {")
    for k, (name, kind, insn) in enumerate(MM):
        w(f"    case {k}: /* {name} MMX */")
        if kind == "m":
            w(f"        __asm__ volatile(\"movq %[a], %%mm0\\n\\tmovq %[b], %%mm1\\n\\t{insn} %%mm1, %%mm0\\n\\tmovq %%mm0, %[r]\\n\\temms\" : [r]\"=r\"(r) : [a]\"r\"(a), [b]\"r\"(b) : \"mm0\", \"mm1\"); break;")
        elif kind == "mmsk":
            w(f"        __asm__ volatile(\"movq %[b], %%mm1\\n\\t{insn} %%mm1, %k[r]\\n\\temms\" : [r]\"=r\"(r) : [b]\"r\"(b) : \"mm1\"); break;")
        elif kind.startswith("mi:") or kind.startswith("msh:"):
            n = int(kind.split(":")[1])
            w("        switch (imm) {")
            for v in range(n):
                if kind.startswith("msh"):
                    body = f"movq %[a], %%mm0\\n\\t{insn} ${v}, %%mm0\\n\\tmovq %%mm0, %[r]\\n\\temms"
                else:
                    body = f"movq %[a], %%mm0\\n\\tmovq %[b], %%mm1\\n\\t{insn} ${v}, %%mm1, %%mm0\\n\\tmovq %%mm0, %[r]\\n\\temms"
                w(f"        case {v}: __asm__ volatile(\"{body}\" : [r]\"=r\"(r) : [a]\"r\"(a), [b]\"r\"(b) : \"mm0\", \"mm1\"); break;")
            w("        }")
            w("        break;")
    w("    default: break;")
    w("    }")
    w("    return r;")
    w("}")
    return "\n".join(o) + "\n"

def gen_swift():
    o = ["// Generated by tools/gen_simd_kernels.py: do not edit.",
         "// Operation numbers of the host SIMD kernels (Sources/CSIMD), as `Insn.aux` of the",
         "// .vfp, .vint and .mmx handlers.", ""]
    for enum, lst in (("KFP", FP), ("KInt", VI), ("KMMX", MM)):
        o.append(f"public enum {enum} {{")
        for k, (name, kind, insn) in enumerate(lst):
            o.append(f"    public static let {name}: UInt8 = {k}")
        o.append("}")
        o.append("")
    return "\n".join(o)

for lst, what in ((FP, "FP"), (VI, "int"), (MM, "MMX")):
    if len(lst) > 256:
        raise SystemExit(f"too many {what} kernels: {len(lst)}")
open(os.path.join(ROOT, "Sources/CSIMD/simd_kernels.c"), "w").write(gen_c())
open(os.path.join(ROOT, "Sources/CPU/Semantics/SIMDKernelOps.swift"), "w").write(gen_swift())
print(f"kernels: {len(FP)} FP, {len(VI)} integer, {len(MM)} MMX")
