// COracle: run ONE x86 instruction on a reference implementation (the host CPU
// for 64-bit user mode, or Unicorn for 16/32/64-bit) and report the final state.
// Used by the differential tester (swemu-difftest). Not thread-safe: all calls
// must come from one thread at a time (the host oracle uses fixed addresses).
#ifndef COracle_oracle_h
#define COracle_oracle_h

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

// Register file, in x86 encoding order: rax rcx rdx rbx rsp rbp rsi rdi r8..r15.
typedef struct {
    uint64_t gpr[16];
    uint64_t rflags;     // in: initial flags (arithmetic flags + DF; the oracle forces IF/TF etc. as needed). out: final
    uint64_t rip;        // out: RIP after the instruction (offset from code start = length of the instruction if no branch), or the faulting RIP
} oracle_regs;

// The data area: the tested instruction may access memory only inside [ORACLE_DATA_BASE, ORACLE_DATA_BASE + ORACLE_DATA_SIZE).
#define ORACLE_DATA_BASE  0x10000000ull
#define ORACLE_DATA_SIZE  0x2000u      // two 4 KiB pages
#define ORACLE_CODE_BASE  0x20000000ull  // where the instruction bytes are placed (same address for both oracles)

// A near branch may target either the next instruction (code start + len) or
// code start + ORACLE_BRANCH_TARGET_OFFSET; both are valid landing points, and
// the reported rip is then len or ORACLE_BRANCH_TARGET_OFFSET respectively.
// Any other target is not supported: on the host the rest of the code page is
// INT3 (0xCC) filler, so a stray branch normally reports fault 3 with rip =
// target + 1 (the 5 bytes at code + len hold a JMP rel32 to the real epilogue, so
// a target in len+1..len+4 runs garbage); Unicorn just reports rip = target.
#define ORACLE_BRANCH_TARGET_OFFSET 0x800u

// Input RFLAGS bits that are taken from regs->rflags:
//   CF PF AF ZF SF DF OF  (ORACLE_RFLAGS_IN_MASK), plus AC when ORACLE_OPT_ALLOW_AC is set.
// Everything else is forced: bit 1 = 1, IF = 1, TF = 0 (IOPL 0, NT 0, ID/VIF/VIP 0 for unicorn).
// Output rflags is the raw value (host: what PUSHFQ / the signal context gives;
// it includes bit 1 and IF=0x200). Compare with ORACLE_RFLAGS_CMP_MASK.
#define ORACLE_RFLAGS_IN_MASK  0x0CD5ull   // CF|PF|AF|ZF|SF|DF|OF
#define ORACLE_RFLAGS_AC       0x40000ull
#define ORACLE_RFLAGS_CMP_MASK 0x0CD5ull

typedef struct {
    int      fault;        // -1: no fault; else the x86 exception vector (0 #DE, 1 #DB, 3 #BP, 4 #OF, 5 #BR, 6 #UD, 13 #GP, 14 #PF, 12 #SS, 17 #AC, ...)
    uint64_t error_code;   // when the CPU pushes one (e.g. #PF error code), else 0
    uint64_t fault_addr;   // CR2 for #PF
} oracle_fault;

// 64-bit user mode on the host CPU. code/len: instruction bytes (len <= 15). regs: in/out. mem: ORACLE_DATA_SIZE bytes in/out (contents of the data area).
// Returns 0 on success (including when the instruction faulted: see *fault), nonzero on an internal error
// (ORACLE_ERR_*; oracle_last_error() describes it).
// On a fault, regs hold the state the kernel reports at the fault and rip is the
// faulting RIP minus ORACLE_CODE_BASE (for traps like INT3: the RIP after it).
int oracle_host_run64(const uint8_t *code, size_t len, oracle_regs *regs, uint8_t *mem, oracle_fault *fault);

// Unicorn. mode: 16, 32 or 64. Same meaning. For 16/32-bit modes, segment bases are 0 (flat); in 16-bit mode the data area is not reachable with 16-bit offsets, so ALSO map the same data contents at linear 0x0000-0x1FFF... => instead: for 16-bit mode use ORACLE_DATA_BASE16 = 0x8000 and ORACLE_CODE_BASE16 = 0x1000 (define both), with CS=DS=ES=SS=0 real-mode style segments (unicorn UC_MODE_16 is real mode).
// For mode 16/32 only the low 32 bits of gpr[0..7] are loaded (E-registers); on
// output gpr[0..7] are the 32-bit values zero-extended and gpr[8..15] are copied
// from the input. rip is always relative to the code base of the mode.
#define ORACLE_DATA_BASE16 0x8000ull
#define ORACLE_CODE_BASE16 0x1000ull
int oracle_unicorn_run(int mode, const uint8_t *code, size_t len, oracle_regs *regs, uint8_t *mem, oracle_fault *fault);
// Load unicorn (path may be NULL to search). Returns NULL on success or a static error string.
// Search order: path argument, $SWEMU_UNICORN_LIB, the unicorn python package's
// lib/libunicorn.so.2 (found by asking python3, then common site-packages paths),
// then plain "libunicorn.so.2" / "libunicorn.so" through the dynamic loader.
const char *oracle_unicorn_init(const char *path);

// ---- notes and known differences ----
// Host oracle:
//  * Runs at CPL 3 under Linux: privileged instructions (HLT, CLI, IN/OUT, RDMSR...)
//    and INT n (n != 3, 4) give #GP (13, error code n*8+2 for INT n); INT3 gives 3 with
//    rip after it; INT1 (F1) gives 1. Values are what the kernel reports (REG_TRAPNO,
//    REG_ERR, REG_CR2); fault_addr is only set for #PF. Non-canonical accesses give 13.
//  * On a fault, rflags is the kernel's context value and usually has RF (0x10000) set.
//  * SYSCALL, SYSENTER and INT 0x80 are refused (ORACLE_ERR_REFUSED).
//  * FS/GS selectors and bases (when FSGSBASE is usable), and the x87/SSE state (FXSAVE)
//    are restored after every run; the guest starts with a clean FP/SSE state
//    (FCW 0x037F, MXCSR 0x1F80, all registers 0).
//  * The instruction must terminate (a branch to itself hangs), must only touch the
//    data area (anything else in the process is reachable), and must not switch
//    code segments (far JMP/CALL/RET, IRET).
// Unicorn oracle:
//  * Runs at CPL 0 without paging: HLT, CLI, IN/OUT, RDMSR... execute; INT n reports
//    fault n with rip after the instruction; INT1 (F1) reports 6; POPF can clear IF.
//  * Memory faults (unmapped access) report 14 with the address and an error code
//    built like the host's (4 = user, |2 write, |0x10 fetch, |1 protection).
//  * REP string instructions are stepped to completion (at most 1e6 steps).
//  * rflags out is EFLAGS as unicorn reports it (bit 1 set, IF as left by the insn).

// ---- additions ----

// Internal error codes returned by the run functions.
#define ORACLE_OK            0
#define ORACLE_ERR_MAP       1   // could not map the fixed areas (address in use?)
#define ORACLE_ERR_ARG       2   // bad argument (len 0 or > 15, mode, NULL pointer)
#define ORACLE_ERR_REFUSED   3   // host: instruction refused for safety (SYSCALL, SYSENTER, INT 0x80)
#define ORACLE_ERR_SIGNAL    4   // host: sigaction/sigaltstack failed
#define ORACLE_ERR_UNICORN   5   // unicorn not loaded or an unexpected unicorn error

// Text for the most recent internal error (static storage, never NULL).
const char *oracle_last_error(void);

// Options (bit set) for both oracles.
#define ORACLE_OPT_ALLOW_AC       1u  // take AC (bit 18) from the input rflags (alignment checks)
#define ORACLE_OPT_KEEP_HANDLERS  2u  // host: leave the signal handlers installed between runs
                                      // (faster; foreign faults are forwarded to the previous handlers).
                                      // Default: install before and restore after every run.
void oracle_set_options(unsigned opts);
unsigned oracle_get_options(void);

// Host: restore the signal handlers if ORACLE_OPT_KEEP_HANDLERS left them installed.
// The fixed mappings are kept for reuse (they are small).
void oracle_host_release(void);

// Unicorn: close the engines (they are created lazily, one per mode, and reused).
void oracle_unicorn_shutdown(void);


// ---- extended (x87 / SSE / AVX) state: the floating-point issue ----

// The state in the XSAVE standard (non-compacted) format, SDM Vol. 1, 13.4-13.5:
//   +0    FCW (16)   +2 FSW (16, TOP in bits 11-13)   +4 abridged FTW (8 bits, 1 = valid)
//   +6    FOP        +8 FIP (64)   +16 FDP (64)        +24 MXCSR   +28 MXCSR_MASK
//   +32   ST0-7 / MM0-7, 16 bytes each (80-bit value in the low 10 bytes), in ST(i) order
//   +160  XMM0-15, 16 bytes each
//   +512  XSAVE header: XSTATE_BV (64), XCOMP_BV (64), zeros
//   +576  YMM_Hi128: bits 255:128 of YMM0-15, 16 bytes each
#define ORACLE_XSTATE_SIZE 1024u
#define ORACLE_XS_FCW      0
#define ORACLE_XS_FSW      2
#define ORACLE_XS_FTW      4
#define ORACLE_XS_FOP      6
#define ORACLE_XS_FIP      8
#define ORACLE_XS_FDP      16
#define ORACLE_XS_MXCSR    24
#define ORACLE_XS_ST       32
#define ORACLE_XS_XMM      160
#define ORACLE_XS_HEADER   512
#define ORACLE_XS_YMMH     576
typedef struct { _Alignas(64) uint8_t b[ORACLE_XSTATE_SIZE]; } oracle_xstate;
// The functions take the area as `void *` (ORACLE_XSTATE_SIZE bytes, any alignment: Swift
// cannot import the over-aligned struct); they copy it to an aligned buffer of their own.

// Like oracle_host_run64, with the extended state: `xs` in is loaded (x87, SSE and AVX
// components; XSTATE_BV in the input is ignored, all three are loaded; MXCSR bits the host
// does not support are cleared) right before the instruction; `xs` out is the state right
// after it, or at the fault (taken from the signal frame). The output is normalized:
// XSTATE_BV = 7, a component the CPU reported in its init state is written out with its
// init values (FCW 0x037F, FSW 0, FTW 0, MXCSR kept, registers 0), FIP/FDP/FOP as saved.
int oracle_host_run64x(const uint8_t *code, size_t len, oracle_regs *regs, uint8_t *mem,
                       void *xs, oracle_fault *fault);

// 32-bit code on the host CPU, in compatibility mode (a 64-bit Linux process far-jumps to
// its 32-bit user code segment, selector 0x23, and back to 0x33 afterwards). Same contract
// as oracle_host_run64x; only gpr[0..7] (low 32 bits) are loaded and reported (gpr[8..15]
// are copied from the input), only XMM0-7/YMM0-7 are reachable (8-15 are loaded and
// reported all the same), rip is relative to ORACLE_CODE_BASE. The instruction runs at
// CPL 3 with paging, as in 64-bit mode: ORACLE_DATA_BASE and ORACLE_CODE_BASE are below
// 4 GiB.
int oracle_host_run32x(const uint8_t *code, size_t len, oracle_regs *regs, uint8_t *mem,
                       void *xs, oracle_fault *fault);

#ifdef __cplusplus
}
#endif
#endif
