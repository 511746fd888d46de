// Host SIMD kernels (generated from tools/gen_simd_kernels.py): one guest SSE/AVX/MMX
// operation on 128-bit (or 64-bit MMX) values, executed by the same host instruction.
#ifndef CSIMD_csimd_h
#define CSIMD_csimd_h
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Floating-point operation `op` (KFP in Swift) on 16-byte values: a = first source (and the
/// destination's old value), b = second source, c = third (FMA, blends), imm = immediate.
/// Runs with the guest's MXCSR control bits (rounding, DAZ, FTZ) and masks; writes 16 bytes
/// to d and returns the exception flags raised (MXCSR bits 0-5). When an unmasked exception
/// occurs (the host's #XM), d is not written and the result is the flags the CPU set with
/// SWEMU_VFP_UNMASKED added.
#define SWEMU_VFP_UNMASKED 0x80000000u
uint32_t swemu_vfp(uint32_t op, void *d, const void *a, const void *b, const void *c, uint32_t mxcsr, uint32_t imm);

/// Integer or data-movement operation `op` (KInt) on 16-byte values, as swemu_vfp. PCMPxSTRM
/// also writes RFLAGS to ((uint64_t *)c)[0].
void swemu_vint(uint32_t op, void *d, const void *a, const void *b, const void *c, uint32_t imm);

/// MMX operation `op` (KMMX) on 64-bit values.
uint64_t swemu_mmx(uint32_t op, uint64_t a, uint64_t b, uint32_t imm);

/// One x87 instruction (opcode byte `op` D8-DF and its ModRM byte; for a memory form mod = 0,
/// rm = 0 and the operand is the buffer `mem`) run on the host with the state in `fx`, a
/// 16-byte-aligned FXSAVE64 image that is loaded before and written back after. *rflags in:
/// the guest's arithmetic flags (FCMOVcc tests them); out: RFLAGS after FCOMI/FUCOMI(P). Returns 0 for an encoding the kernel does not have.
int swemu_x87(uint32_t op, uint32_t modrm, void *fx, void *mem, uint64_t *rflags);

#ifdef __cplusplus
}
#endif
#endif
