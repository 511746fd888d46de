// Host-CPU oracle: runs one instruction natively in 64-bit user mode.
//
// Fixed mappings (created on first use, reused by every run):
//   ORACLE_DATA_BASE  (0x10000000, 8 KiB, RW)   the data area; `mem` is copied in and out
//   ORACLE_CODE_BASE  (0x20000000, 4 KiB, RWX)  instruction at +0; at +len a JMP to the fall-through
//                                               epilogue at +0xC00; a second epilogue at
//                                               +ORACLE_BRANCH_TARGET_OFFSET (0x800); INT3 elsewhere
//   CTRL_BASE         (0x30000000)              +0x0000 control code (prologue, host return path), RX
//                                               +0x1000 variables (in/out registers, saved host state)
//                                               +0x2000..0x4000 scratch stack for the epilogue
// All absolute addresses are < 2 GiB so generated code can use [disp32] addressing.
//
// Run: C calls the prologue, which saves the callee-saved registers, the host RSP,
// the host FP/SSE state (FXSAVE64) and FS/GS (selectors and bases, when FSGSBASE is
// usable), loads a clean FP/SSE state, POPFQs the input flags from a slot, loads the
// 16 GPRs (RSP last) and jumps to the instruction. The epilogue stores the 16 GPRs,
// switches to the scratch stack, PUSHFQ/POPs the flags into the out area, records
// which epilogue was reached and jumps to the host return path, which restores
// everything and returns to C.
//
// Faults: SIGSEGV/SIGBUS/SIGILL/SIGFPE/SIGTRAP handlers (SA_SIGINFO|SA_ONSTACK on a
// private alternate stack, since the guest RSP points anywhere) copy the faulting
// state out of the ucontext, then rewrite the context so that sigreturn resumes in
// the host return path. No siglongjmp, so no signal-mask syscalls.
#define _GNU_SOURCE
#include "oracle_internal.h"

#include <signal.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/auxv.h>
#include <ucontext.h>
#include <errno.h>
#include <pthread.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1 << 1)
#endif

#define CODE_SIZE   0x1000u
#define CTRL_BASE   0x30000000ull
#define CTRL_SIZE   0x4000u
#define CTRL_CODE   (CTRL_BASE + 0x0000)
#define VARS        (CTRL_BASE + 0x1000)
#define STACK_TOP   (CTRL_BASE + 0x4000 - 0x40)

// Variables (offsets from VARS).
#define V_IN_GPR     0x000   // 16 * 8
#define V_IN_FLAGS   0x080
#define V_TARGET     0x088   // ORACLE_CODE_BASE, for the indirect jump into the instruction
#define V_HOSTRET    0x090   // address of the host return path
#define V_OUT_GPR    0x100   // 16 * 8
#define V_OUT_FLAGS  0x180
#define V_EXIT       0x188   // 1: epilogue at +len, 2: epilogue at +0x800, 3: fault
#define V_HOST_RSP   0x200
#define V_HOST_FS    0x208   // word
#define V_HOST_GS    0x20a   // word
#define V_HOST_FSB   0x210
#define V_HOST_GSB   0x218
#define V_HOST_FX    0x400   // 512 bytes, FXSAVE64 of the host
#define V_OUT_XS     0x800   // 1024 bytes (64-aligned): XSAVE of the guest's x87/SSE/AVX state after the instruction
#define V_IN_XS      0xC00   // 1024 bytes (64-aligned): the guest's state, loaded with XRSTOR (RFBM 7)

// The fall-through epilogue lives at FALL_EPILOGUE_OFFSET; the bytes at code + len are a
// JMP rel32 to it, so a branch to any other offset lands on INT3 filler (fault 3, rip = target + 1)
// instead of silently running part of an epilogue.
#define FALL_EPILOGUE_OFFSET 0xC00u

#define EXIT_FALL   1
#define EXIT_BRANCH 2
#define EXIT_FAULT  3

static int initialized;
static int have_fsgsbase;
static uint8_t code_template[CODE_SIZE];
static uint8_t epilogue_fall[192], epilogue_branch[192];   // (built once, copied into the template)
static size_t epilogue_len;
static void (*enter_guest)(void);
static uint64_t host_ret_addr;

// ---- tiny x86-64 emitter ----
typedef struct { uint8_t *p; } emit_t;
static void eb(emit_t *e, uint8_t b) { *e->p++ = b; }
static void ed(emit_t *e, uint32_t d) { memcpy(e->p, &d, 4); e->p += 4; }
// mov [abs32], reg64
static void st_abs(emit_t *e, int reg, uint32_t addr) {
    eb(e, 0x48 | (reg >= 8 ? 4 : 0)); eb(e, 0x89); eb(e, 0x04 | ((reg & 7) << 3)); eb(e, 0x25); ed(e, addr);
}
// mov reg64, [abs32]
static void ld_abs(emit_t *e, int reg, uint32_t addr) {
    eb(e, 0x48 | (reg >= 8 ? 4 : 0)); eb(e, 0x8B); eb(e, 0x04 | ((reg & 7) << 3)); eb(e, 0x25); ed(e, addr);
}
// REX.W 0F AE /sub [abs32]  (fxsave64 /0, fxrstor64 /1)
static void fx_abs(emit_t *e, int sub, uint32_t addr) {
    eb(e, 0x48); eb(e, 0x0F); eb(e, 0xAE); eb(e, 0x04 | (sub << 3)); eb(e, 0x25); ed(e, addr);
}
// REX.W 0F AE /sub [abs32]  (xsave64 /4, xrstor64 /5); EDX:EAX is the feature bitmap
static void xs_abs(emit_t *e, int sub, uint32_t addr) {
    eb(e, 0x48); eb(e, 0x0F); eb(e, 0xAE); eb(e, 0x04 | (sub << 3)); eb(e, 0x25); ed(e, addr);
}
// mov eax, 7 ; mov edx, 0   (no flags touched)
static void rfbm7(emit_t *e) { eb(e, 0xB8); ed(e, 7); eb(e, 0xBA); ed(e, 0); }
// mov rsp, imm32 (sign-extended)
static void mov_rsp_imm(emit_t *e, uint32_t v) { eb(e, 0x48); eb(e, 0xC7); eb(e, 0xC4); ed(e, v); }
// jmp qword [abs32]
static void jmp_abs(emit_t *e, uint32_t addr) { eb(e, 0xFF); eb(e, 0x24); eb(e, 0x25); ed(e, addr); }

static size_t build_epilogue(uint8_t *buf, uint32_t exit_id) {
    emit_t e = { buf };
    for (int r = 0; r < 16; r++) st_abs(&e, r, (uint32_t)(VARS + V_OUT_GPR + 8 * r));
    mov_rsp_imm(&e, (uint32_t)STACK_TOP);
    eb(&e, 0x9C);                                               // pushfq
    eb(&e, 0x8F); eb(&e, 0x04); eb(&e, 0x25); ed(&e, (uint32_t)(VARS + V_OUT_FLAGS)); // pop qword [out_flags]
    rfbm7(&e); xs_abs(&e, 4, (uint32_t)(VARS + V_OUT_XS));     // xsave64 [out_xs] (x87, SSE, AVX)
    eb(&e, 0xC7); eb(&e, 0x04); eb(&e, 0x25); ed(&e, (uint32_t)(VARS + V_EXIT)); ed(&e, exit_id); // mov dword [exit], id
    jmp_abs(&e, (uint32_t)(VARS + V_HOSTRET));
    return (size_t)(e.p - buf);
}

static void build_control(uint8_t *base) {
    emit_t e = { base };
    // --- prologue (called from C) ---
    eb(&e, 0x53); eb(&e, 0x55);                                 // push rbx; push rbp
    eb(&e, 0x41); eb(&e, 0x54); eb(&e, 0x41); eb(&e, 0x55);     // push r12; push r13
    eb(&e, 0x41); eb(&e, 0x56); eb(&e, 0x41); eb(&e, 0x57);     // push r14; push r15
    st_abs(&e, 4, (uint32_t)(VARS + V_HOST_RSP));               // mov [host_rsp], rsp
    fx_abs(&e, 0, (uint32_t)(VARS + V_HOST_FX));                // fxsave64 [host_fx]
    rfbm7(&e); xs_abs(&e, 5, (uint32_t)(VARS + V_IN_XS));      // xrstor64 [in_xs]: the guest's x87/SSE/AVX state
    if (have_fsgsbase) {
        // mov word [host_fs], fs ; mov word [host_gs], gs
        eb(&e, 0x8C); eb(&e, 0x24); eb(&e, 0x25); ed(&e, (uint32_t)(VARS + V_HOST_FS));
        eb(&e, 0x8C); eb(&e, 0x2C); eb(&e, 0x25); ed(&e, (uint32_t)(VARS + V_HOST_GS));
        // rdfsbase rax ; mov [fsb], rax ; rdgsbase rax ; mov [gsb], rax
        eb(&e, 0xF3); eb(&e, 0x48); eb(&e, 0x0F); eb(&e, 0xAE); eb(&e, 0xC0);
        st_abs(&e, 0, (uint32_t)(VARS + V_HOST_FSB));
        eb(&e, 0xF3); eb(&e, 0x48); eb(&e, 0x0F); eb(&e, 0xAE); eb(&e, 0xC8);
        st_abs(&e, 0, (uint32_t)(VARS + V_HOST_GSB));
    }
    mov_rsp_imm(&e, (uint32_t)(VARS + V_IN_FLAGS));
    eb(&e, 0x9D);                                               // popfq
    for (int r = 0; r < 16; r++) if (r != 4) ld_abs(&e, r, (uint32_t)(VARS + V_IN_GPR + 8 * r));
    ld_abs(&e, 4, (uint32_t)(VARS + V_IN_GPR + 8 * 4));         // rsp last
    jmp_abs(&e, (uint32_t)(VARS + V_TARGET));                   // jmp [target] (no register, no flags)

    // --- host return path (reached from the epilogues, or from the signal handler) ---
    e.p = base + 0x200;
    host_ret_addr = CTRL_CODE + 0x200;
    mov_rsp_imm(&e, (uint32_t)STACK_TOP);
    eb(&e, 0x68); ed(&e, 0x202);                                // push 0x202
    eb(&e, 0x9D);                                               // popfq: clears DF, AC, TF
    if (have_fsgsbase) {
        // mov fs, word [host_fs] ; mov gs, word [host_gs]
        eb(&e, 0x8E); eb(&e, 0x24); eb(&e, 0x25); ed(&e, (uint32_t)(VARS + V_HOST_FS));
        eb(&e, 0x8E); eb(&e, 0x2C); eb(&e, 0x25); ed(&e, (uint32_t)(VARS + V_HOST_GS));
        // mov rax, [fsb] ; wrfsbase rax ; mov rax, [gsb] ; wrgsbase rax
        ld_abs(&e, 0, (uint32_t)(VARS + V_HOST_FSB));
        eb(&e, 0xF3); eb(&e, 0x48); eb(&e, 0x0F); eb(&e, 0xAE); eb(&e, 0xD0);
        ld_abs(&e, 0, (uint32_t)(VARS + V_HOST_GSB));
        eb(&e, 0xF3); eb(&e, 0x48); eb(&e, 0x0F); eb(&e, 0xAE); eb(&e, 0xD8);
    }
    fx_abs(&e, 1, (uint32_t)(VARS + V_HOST_FX));                // fxrstor64 [host_fx]
    ld_abs(&e, 4, (uint32_t)(VARS + V_HOST_RSP));               // mov rsp, [host_rsp]
    eb(&e, 0x41); eb(&e, 0x5F); eb(&e, 0x41); eb(&e, 0x5E);     // pop r15; pop r14
    eb(&e, 0x41); eb(&e, 0x5D); eb(&e, 0x41); eb(&e, 0x5C);     // pop r13; pop r12
    eb(&e, 0x5D); eb(&e, 0x5B);                                 // pop rbp; pop rbx
    eb(&e, 0xC3);                                               // ret
}

static void *map_fixed(uint64_t addr, size_t size, int prot) {
    void *p = mmap((void *)(uintptr_t)addr, size, prot,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED) return NULL;
    if ((uint64_t)(uintptr_t)p != addr) { munmap(p, size); return NULL; } // old kernels ignore the flag
    return p;
}

static int host_init(void) {
    if (initialized) return 0;
    unsigned long hw2 = getauxval(AT_HWCAP2);
    have_fsgsbase = (hw2 & HWCAP2_FSGSBASE) != 0;

    if (!map_fixed(ORACLE_DATA_BASE, ORACLE_DATA_SIZE, PROT_READ | PROT_WRITE))
        return oracle_fail_(ORACLE_ERR_MAP, "host oracle: cannot map the data area at 0x10000000");
    if (!map_fixed(ORACLE_CODE_BASE, CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC)) {
        munmap((void *)(uintptr_t)ORACLE_DATA_BASE, ORACLE_DATA_SIZE);
        return oracle_fail_(ORACLE_ERR_MAP, "host oracle: cannot map the code page at 0x20000000");
    }
    uint8_t *ctrl = map_fixed(CTRL_BASE, CTRL_SIZE, PROT_READ | PROT_WRITE);
    if (!ctrl) {
        munmap((void *)(uintptr_t)ORACLE_DATA_BASE, ORACLE_DATA_SIZE);
        munmap((void *)(uintptr_t)ORACLE_CODE_BASE, CODE_SIZE);
        return oracle_fail_(ORACLE_ERR_MAP, "host oracle: cannot map the control area at 0x30000000");
    }
    memset(ctrl, 0xCC, 0x1000);
    build_control(ctrl);
    uint8_t *v = ctrl + 0x1000;
    uint64_t target = ORACLE_CODE_BASE;
    memcpy(v + V_TARGET, &target, 8);
    memcpy(v + V_HOSTRET, &host_ret_addr, 8);
    // (The guest's extended state is written to V_IN_XS before every run.)
    if (mprotect(ctrl, 0x1000, PROT_READ | PROT_EXEC) != 0)
        return oracle_fail_(ORACLE_ERR_MAP, "host oracle: mprotect of the control code failed");
    enter_guest = (void (*)(void))(uintptr_t)CTRL_CODE;

    epilogue_len = build_epilogue(epilogue_fall, EXIT_FALL);
    build_epilogue(epilogue_branch, EXIT_BRANCH);
    memset(code_template, 0xCC, sizeof code_template);
    memcpy(code_template + ORACLE_BRANCH_TARGET_OFFSET, epilogue_branch, epilogue_len);
    memcpy(code_template + FALL_EPILOGUE_OFFSET, epilogue_fall, epilogue_len);
    memcpy((void *)(uintptr_t)ORACLE_CODE_BASE, code_template, CODE_SIZE);
    initialized = 1;
    return 0;
}

// ---- signals ----
static const int sigs[5] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP };
static struct sigaction old_act[5];
static int handlers_installed;
static volatile int guest_active;
static pthread_t handler_thread;   // the thread whose alternate stack is ours
static volatile int64_t f_trapno;
static volatile uint64_t f_err, f_cr2;
static stack_t old_altstack;
static void *altstack_mem;
#define ALTSTACK_SIZE (256u * 1024u)

static const int greg_of[16] = {
    REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
    REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

static void forward_signal(int sig, siginfo_t *si, void *ctx) {
    int i;
    for (i = 0; i < 5; i++) if (sigs[i] == sig) break;
    if (i == 5) return;
    struct sigaction *o = &old_act[i];
    if (o->sa_flags & SA_SIGINFO) {
        if (o->sa_sigaction) { o->sa_sigaction(sig, si, ctx); return; }
    } else if (o->sa_handler != SIG_DFL && o->sa_handler != SIG_IGN) {
        o->sa_handler(sig);
        return;
    } else if (o->sa_handler == SIG_IGN) {
        return;
    }
    // SIG_DFL: reinstate the default and return; a synchronous fault re-occurs and
    // takes the default action (core dump) with the original context.
    sigaction(sig, o, NULL);
    if (si->si_code <= 0) raise(sig); // sent by kill/raise: deliver again
}

#if defined(__has_attribute)
#if __has_attribute(no_stack_protector)
__attribute__((no_stack_protector))   // the canary lives in TLS, and the guest may have moved FS
#endif
#endif
static void oracle_signal_handler(int sig, siginfo_t *si, void *vctx) {
    // Only the thread running the guest uses our alternate stack (no TLS or syscall
    // needed to tell: the guest may have clobbered FS).
    char here;
    int on_ours = altstack_mem && &here >= (char *)altstack_mem && &here < (char *)altstack_mem + ALTSTACK_SIZE;
    if (!guest_active || !on_ours) { forward_signal(sig, si, vctx); return; }
    ucontext_t *uc = (ucontext_t *)vctx;
    greg_t *g = uc->uc_mcontext.gregs;
    volatile uint64_t *out = (volatile uint64_t *)(uintptr_t)(VARS + V_OUT_GPR);
    for (int r = 0; r < 16; r++) out[r] = (uint64_t)g[greg_of[r]];
    *(volatile uint64_t *)(uintptr_t)(VARS + V_OUT_FLAGS) = (uint64_t)g[REG_EFL];
    *(volatile uint64_t *)(uintptr_t)(VARS + V_IN_GPR) = (uint64_t)g[REG_RIP]; // stash fault RIP (in area no longer needed)
    *(volatile uint32_t *)(uintptr_t)(VARS + V_EXIT) = EXIT_FAULT;
    // The extended state at the fault, from the signal frame (FXSAVE layout, then the XSAVE
    // header and components in the standard format when the kernel marks them present).
    {
        uint8_t *out = (uint8_t *)(uintptr_t)(VARS + V_OUT_XS);
        const uint8_t *fp = (const uint8_t *)uc->uc_mcontext.fpregs;
        for (int k = 0; k < 1024; k++) out[k] = 0;
        if (fp) {
            for (int k = 0; k < 512; k++) out[k] = fp[k];
            uint32_t magic1 = *(const uint32_t *)(fp + 464);
            if (magic1 == 0x46505853u) {            // FP_XSTATE_MAGIC1: header and AVX follow
                for (int k = 512; k < 832; k++) out[k] = fp[k];
            } else {
                out[512] = 3;                        // x87 and SSE only; AVX in its init state
            }
        }
    }
    f_trapno = (int64_t)g[REG_TRAPNO];
    f_err = (uint64_t)g[REG_ERR];
    f_cr2 = (uint64_t)g[REG_CR2];
    (void)sig; (void)si;
    guest_active = 0;
    // Resume in the host return path with a sane state.
    g[REG_RIP] = (greg_t)host_ret_addr;
    g[REG_RSP] = (greg_t)STACK_TOP;
    g[REG_EFL] = 0x202;
}

static int install_handlers(void) {
    if (handlers_installed) return 0;
    if (!altstack_mem) {
        altstack_mem = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (altstack_mem == MAP_FAILED) { altstack_mem = NULL; return oracle_fail_(ORACLE_ERR_SIGNAL, "host oracle: cannot allocate the signal stack"); }
    }
    stack_t ss = { .ss_sp = altstack_mem, .ss_flags = 0, .ss_size = ALTSTACK_SIZE };
    if (sigaltstack(&ss, &old_altstack) != 0)
        return oracle_fail_(ORACLE_ERR_SIGNAL, "host oracle: sigaltstack failed");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = oracle_signal_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < 5; i++) {
        if (sigaction(sigs[i], &sa, &old_act[i]) != 0) {
            for (int j = 0; j < i; j++) sigaction(sigs[j], &old_act[j], NULL);
            sigaltstack(&old_altstack, NULL);
            return oracle_fail_(ORACLE_ERR_SIGNAL, "host oracle: sigaction failed");
        }
    }
    handlers_installed = 1;
    handler_thread = pthread_self();
    return 0;
}

static void restore_handlers(void) {
    if (!handlers_installed) return;
    for (int i = 0; i < 5; i++) sigaction(sigs[i], &old_act[i], NULL);
    // Restore the previous alternate stack (if there was none, disable ours).
    if (old_altstack.ss_flags & SS_DISABLE) {
        stack_t ss = { .ss_sp = NULL, .ss_flags = SS_DISABLE, .ss_size = 0 };
        sigaltstack(&ss, NULL);
    } else {
        stack_t ss = old_altstack;
        ss.ss_flags = 0;
        sigaltstack(&ss, NULL);
    }
    handlers_installed = 0;
}

void oracle_host_release(void) { restore_handlers(); }

// Refuse instructions that would enter the kernel as a system call.
static int dangerous(const uint8_t *c, size_t len) {
    size_t i = 0;
    while (i < len) {
        uint8_t b = c[i];
        if (b == 0x66 || b == 0x67 || b == 0xF0 || b == 0xF2 || b == 0xF3 || b == 0x2E ||
            b == 0x36 || b == 0x3E || b == 0x26 || b == 0x64 || b == 0x65 || (b >= 0x40 && b <= 0x4F)) { i++; continue; }
        break;
    }
    if (i >= len) return 0;
    if (c[i] == 0x0F && i + 1 < len && (c[i + 1] == 0x05 || c[i + 1] == 0x34)) return 1; // syscall, sysenter
    if (c[i] == 0xCD && i + 1 < len && c[i + 1] == 0x80) return 1;                        // int 0x80
    return 0;
}

// The state for the old API: FCW 0x037F, MXCSR 0x1F80, all registers 0.
static void clean_xstate(uint8_t *xs) {
    memset(xs, 0, ORACLE_XSTATE_SIZE);
    uint16_t fcw = 0x037F; memcpy(xs + ORACLE_XS_FCW, &fcw, 2);
    uint32_t mxcsr = 0x1F80; memcpy(xs + ORACLE_XS_MXCSR, &mxcsr, 4);
}

// Normalize a saved area: XSTATE_BV = 7, XCOMP_BV = 0, components reported in their init
// state written out with their init values (SDM Vol. 1, 13.6).
static void normalize_xstate(uint8_t *xs) {
    uint64_t bv; memcpy(&bv, xs + ORACLE_XS_HEADER, 8);
    if (!(bv & 1)) {
        uint16_t fcw = 0x037F; memcpy(xs + ORACLE_XS_FCW, &fcw, 2);
        memset(xs + 2, 0, 6);                 // FSW, FTW, FOP
        memset(xs + 8, 0, 16);                // FIP, FDP
        memset(xs + ORACLE_XS_ST, 0, 128);
    }
    if (!(bv & 2)) memset(xs + ORACLE_XS_XMM, 0, 256);
    if (!(bv & 4)) memset(xs + ORACLE_XS_YMMH, 0, 256);
    uint64_t seven = 7, zero = 0;
    memcpy(xs + ORACLE_XS_HEADER, &seven, 8); memcpy(xs + ORACLE_XS_HEADER + 8, &zero, 8);
}

static uint32_t host_mxcsr_mask(void) {
    static uint32_t mask;
    if (!mask) {
        static uint8_t area[512] __attribute__((aligned(16)));
        __asm__ volatile("fxsave64 %0" : "=m"(area));
        memcpy(&mask, area + 28, 4);
        if (!mask) mask = 0xFFBF;
    }
    return mask;
}

static int host_run(const uint8_t *code, size_t len, oracle_regs *regs, uint8_t *mem, void *xs, oracle_fault *fault);

int oracle_host_run64(const uint8_t *code, size_t len, oracle_regs *regs, uint8_t *mem, oracle_fault *fault) {
    return host_run(code, len, regs, mem, NULL, fault);
}

int oracle_host_run64x(const uint8_t *code, size_t len, oracle_regs *regs, uint8_t *mem, void *xs, oracle_fault *fault) {
    if (!xs) return oracle_fail_(ORACLE_ERR_ARG, "host oracle: bad argument");
    return host_run(code, len, regs, mem, xs, fault);
}

int oracle_host_run32x(const uint8_t *code, size_t len, oracle_regs *regs, uint8_t *mem, void *xs, oracle_fault *fault) {
    (void)code; (void)len; (void)regs; (void)mem; (void)xs; (void)fault;
    return oracle_fail_(ORACLE_ERR_ARG, "host oracle: compatibility mode is not implemented yet");
}

static int host_run(const uint8_t *code, size_t len, oracle_regs *regs, uint8_t *mem, void *xs, oracle_fault *fault) {
    if (!code || !regs || !mem || !fault || len == 0 || len > 15)
        return oracle_fail_(ORACLE_ERR_ARG, "host oracle: bad argument");
    if (dangerous(code, len))
        return oracle_fail_(ORACLE_ERR_REFUSED, "host oracle: refused (SYSCALL/SYSENTER/INT 0x80)");
    int rc = host_init();
    if (rc) return rc;
    if (handlers_installed && !pthread_equal(pthread_self(), handler_thread))
        restore_handlers();   // kept from another thread: its alternate stack is not this thread's
    rc = install_handlers();
    if (rc) return rc;

    uint8_t *cp = (uint8_t *)(uintptr_t)ORACLE_CODE_BASE;
    memcpy(cp, code_template, CODE_SIZE);
    memcpy(cp, code, len);
    cp[len] = 0xE9;                                             // jmp rel32 -> fall-through epilogue
    int32_t rel = (int32_t)(FALL_EPILOGUE_OFFSET - (len + 5));
    memcpy(cp + len + 1, &rel, 4);
    memcpy((void *)(uintptr_t)ORACLE_DATA_BASE, mem, ORACLE_DATA_SIZE);

    uint8_t *v = (uint8_t *)(uintptr_t)VARS;
    memcpy(v + V_IN_GPR, regs->gpr, sizeof regs->gpr);
    uint64_t mask = ORACLE_RFLAGS_IN_MASK | ((oracle_opts_ & ORACLE_OPT_ALLOW_AC) ? ORACLE_RFLAGS_AC : 0);
    uint64_t fl = 0x202 | (regs->rflags & mask);
    memcpy(v + V_IN_FLAGS, &fl, 8);
    uint32_t zero = 0;
    memcpy(v + V_EXIT, &zero, 4);
    uint8_t *in_xs = v + V_IN_XS;
    if (xs) {
        memcpy(in_xs, xs, ORACLE_XSTATE_SIZE);
        uint32_t m; memcpy(&m, in_xs + ORACLE_XS_MXCSR, 4); m &= host_mxcsr_mask(); memcpy(in_xs + ORACLE_XS_MXCSR, &m, 4);
        uint64_t seven = 7; memcpy(in_xs + ORACLE_XS_HEADER, &seven, 8);
        memset(in_xs + ORACLE_XS_HEADER + 8, 0, 56);
    } else {
        clean_xstate(in_xs);
        uint64_t three = 3; memcpy(in_xs + ORACLE_XS_HEADER, &three, 8);
    }

    __asm__ volatile("" ::: "memory");
    guest_active = 1;
    enter_guest();
    guest_active = 0;
    __asm__ volatile("" ::: "memory");

    uint32_t exit_id;
    memcpy(&exit_id, v + V_EXIT, 4);
    memcpy(regs->gpr, v + V_OUT_GPR, sizeof regs->gpr);
    memcpy(&regs->rflags, v + V_OUT_FLAGS, 8);
    memcpy(mem, (void *)(uintptr_t)ORACLE_DATA_BASE, ORACLE_DATA_SIZE);
    if (exit_id == EXIT_FAULT) {
        uint64_t frip;
        memcpy(&frip, v + V_IN_GPR, 8);
        regs->rip = frip - ORACLE_CODE_BASE;
        fault->fault = (int)f_trapno;
        fault->error_code = f_err;
        fault->fault_addr = f_trapno == 14 ? f_cr2 : 0;   // the kernel leaves a stale CR2 otherwise
    } else {
        regs->rip = exit_id == EXIT_BRANCH ? ORACLE_BRANCH_TARGET_OFFSET : len;
        fault->fault = -1;
        fault->error_code = 0;
        fault->fault_addr = 0;
    }
    if (xs) {
        memcpy(xs, v + V_OUT_XS, ORACLE_XSTATE_SIZE);
        normalize_xstate((uint8_t *)xs);
    }
    if (!(oracle_opts_ & ORACLE_OPT_KEEP_HANDLERS)) restore_handlers();
    return 0;
}
