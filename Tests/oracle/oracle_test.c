// Standalone self-test for Sources/COracle (built and run by Tests/oracle/run.sh).
#define _GNU_SOURCE
#include "oracle.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int passed, failed;
static uint8_t mem[ORACLE_DATA_SIZE];

#define CHECK(cond, ...) do { \
    if (cond) passed++; \
    else { failed++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } \
} while (0)

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void init_regs(oracle_regs *r) {
    memset(r, 0, sizeof *r);
    for (int i = 0; i < 16; i++) r->gpr[i] = 0x1111111111111111ull * (uint64_t)(i + 1);
    r->gpr[4] = ORACLE_DATA_BASE + 0x1000;
    r->rflags = 0;
}

typedef int (*runner)(const uint8_t *, size_t, oracle_regs *, uint8_t *, oracle_fault *);
static int run_u64(const uint8_t *c, size_t l, oracle_regs *r, uint8_t *m, oracle_fault *f) { return oracle_unicorn_run(64, c, l, r, m, f); }
static int run_u32(const uint8_t *c, size_t l, oracle_regs *r, uint8_t *m, oracle_fault *f) { return oracle_unicorn_run(32, c, l, r, m, f); }
static int run_u16(const uint8_t *c, size_t l, oracle_regs *r, uint8_t *m, oracle_fault *f) { return oracle_unicorn_run(16, c, l, r, m, f); }

struct oracle { const char *name; runner run; };
static const struct oracle o64[2] = { { "host", oracle_host_run64 }, { "unicorn64", run_u64 } };

#define RUN(o, code, r, f) do { \
    int rc_ = (o).run(code, sizeof(code), r, mem, f); \
    CHECK(rc_ == 0, "%s: run returned %d (%s)", (o).name, rc_, oracle_last_error()); \
} while (0)

static void test_basic64(void) {
    oracle_regs r; oracle_fault f;
    for (int k = 0; k < 2; k++) {
        const struct oracle o = o64[k];
        // add rax, rbx
        static const uint8_t add[] = { 0x48, 0x01, 0xD8 };
        init_regs(&r); r.gpr[0] = 0x7fffffffffffffffull; r.gpr[3] = 1;
        RUN(o, add, &r, &f);
        CHECK(f.fault == -1, "%s add: fault %d", o.name, f.fault);
        CHECK(r.gpr[0] == 0x8000000000000000ull, "%s add: rax %" PRIx64, o.name, r.gpr[0]);
        CHECK((r.rflags & ORACLE_RFLAGS_CMP_MASK) == 0x894, "%s add: flags %" PRIx64, o.name, r.rflags); // OF SF AF PF
        CHECK(r.rip == 3, "%s add: rip %" PRIx64, o.name, r.rip);
        CHECK(r.gpr[4] == ORACLE_DATA_BASE + 0x1000, "%s add: rsp %" PRIx64, o.name, r.gpr[4]);
        CHECK(r.gpr[15] == 0x1111111111111111ull * 16, "%s add: r15 %" PRIx64, o.name, r.gpr[15]);

        // div rcx with rcx = 0 -> #DE
        static const uint8_t divz[] = { 0x48, 0xF7, 0xF1 };
        init_regs(&r); r.gpr[1] = 0;
        RUN(o, divz, &r, &f);
        CHECK(f.fault == 0, "%s div0: fault %d", o.name, f.fault);
        CHECK(r.rip == 0, "%s div0: rip %" PRIx64, o.name, r.rip);

        // ud2
        static const uint8_t ud2[] = { 0x0F, 0x0B };
        init_regs(&r);
        RUN(o, ud2, &r, &f);
        CHECK(f.fault == 6, "%s ud2: fault %d", o.name, f.fault);
        CHECK(r.rip == 0, "%s ud2: rip %" PRIx64, o.name, r.rip);

        // mov [rdi], rax
        static const uint8_t st[] = { 0x48, 0x89, 0x07 };
        memset(mem, 0, sizeof mem);
        init_regs(&r); r.gpr[7] = ORACLE_DATA_BASE + 0x10; r.gpr[0] = 0x0123456789abcdefull;
        RUN(o, st, &r, &f);
        uint64_t got; memcpy(&got, mem + 0x10, 8);
        CHECK(f.fault == -1 && got == 0x0123456789abcdefull, "%s store: fault %d value %" PRIx64, o.name, f.fault, got);

        // push rax; RSP inside the data area
        static const uint8_t push[] = { 0x50 };
        memset(mem, 0, sizeof mem);
        init_regs(&r); r.gpr[0] = 0xfeedfacecafebeefull;
        RUN(o, push, &r, &f);
        memcpy(&got, mem + 0x1000 - 8, 8);
        CHECK(f.fault == -1 && got == 0xfeedfacecafebeefull && r.gpr[4] == ORACLE_DATA_BASE + 0x1000 - 8,
              "%s push: fault %d value %" PRIx64 " rsp %" PRIx64, o.name, f.fault, got, r.gpr[4]);

        // jz rel32 -> code + 0x800, taken and not taken
        uint8_t jz[6] = { 0x0F, 0x84 };
        int32_t rel = (int32_t)ORACLE_BRANCH_TARGET_OFFSET - 6; memcpy(jz + 2, &rel, 4);
        init_regs(&r); r.rflags = 0x40;
        RUN(o, jz, &r, &f);
        CHECK(f.fault == -1 && r.rip == 0x800, "%s jz taken: fault %d rip %" PRIx64, o.name, f.fault, r.rip);
        init_regs(&r); r.rflags = 0;
        RUN(o, jz, &r, &f);
        CHECK(f.fault == -1 && r.rip == 6, "%s jz not taken: fault %d rip %" PRIx64, o.name, f.fault, r.rip);

        // call rel32 -> 0x800, pushes code + 5
        uint8_t call[5] = { 0xE8 };
        rel = (int32_t)ORACLE_BRANCH_TARGET_OFFSET - 5; memcpy(call + 1, &rel, 4);
        memset(mem, 0, sizeof mem);
        init_regs(&r);
        RUN(o, call, &r, &f);
        memcpy(&got, mem + 0x1000 - 8, 8);
        CHECK(f.fault == -1 && r.rip == 0x800 && got == ORACLE_CODE_BASE + 5,
              "%s call: fault %d rip %" PRIx64 " pushed %" PRIx64, o.name, f.fault, r.rip, got);

        // std ; rep stosb
        static const uint8_t std_[] = { 0xFD };
        init_regs(&r);
        RUN(o, std_, &r, &f);
        CHECK(f.fault == -1 && (r.rflags & 0x400), "%s std: flags %" PRIx64, o.name, r.rflags);
        static const uint8_t rep_stosb[] = { 0xF3, 0xAA };
        memset(mem, 0, sizeof mem);
        init_regs(&r); r.gpr[7] = ORACLE_DATA_BASE + 0x100; r.gpr[1] = 5; r.gpr[0] = 0x5A;
        RUN(o, rep_stosb, &r, &f);
        CHECK(f.fault == -1 && r.gpr[1] == 0 && r.gpr[7] == ORACLE_DATA_BASE + 0x105 && mem[0x104] == 0x5A && mem[0x105] == 0
              && r.rip == 2,
              "%s rep stosb: fault %d rcx %" PRIx64 " rdi %" PRIx64 " rip %" PRIx64, o.name, f.fault, r.gpr[1], r.gpr[7], r.rip);

        // mov rax, [0] -> #PF
        static const uint8_t ld0[] = { 0x48, 0x8B, 0x04, 0x25, 0, 0, 0, 0 };
        init_regs(&r);
        RUN(o, ld0, &r, &f);
        CHECK(f.fault == 14 && f.fault_addr == 0 && r.rip == 0, "%s load [0]: fault %d addr %" PRIx64 " ec %" PRIx64,
              o.name, f.fault, f.fault_addr, f.error_code);
        // write to unmapped memory right after the data area
        static const uint8_t st_end[] = { 0x88, 0x07 }; // mov [rdi], al
        init_regs(&r); r.gpr[7] = ORACLE_DATA_BASE + ORACLE_DATA_SIZE;
        RUN(o, st_end, &r, &f);
        CHECK(f.fault == 14 && f.fault_addr == ORACLE_DATA_BASE + ORACLE_DATA_SIZE && (f.error_code & 2),
              "%s store past end: fault %d addr %" PRIx64 " ec %" PRIx64, o.name, f.fault, f.fault_addr, f.error_code);
    }
}

// Host-only behaviour (user mode faults).
static void test_host_only(void) {
    oracle_regs r; oracle_fault f;
    const struct oracle o = o64[0];
    static const uint8_t int3[] = { 0xCC };
    init_regs(&r);
    RUN(o, int3, &r, &f);
    CHECK(f.fault == 3 && r.rip == 1, "int3: fault %d rip %" PRIx64, f.fault, r.rip);
    static const uint8_t hlt[] = { 0xF4 };
    init_regs(&r);
    RUN(o, hlt, &r, &f);
    CHECK(f.fault == 13 && r.rip == 0, "hlt: fault %d rip %" PRIx64, f.fault, r.rip);
    static const uint8_t int21[] = { 0xCD, 0x21 };
    init_regs(&r);
    RUN(o, int21, &r, &f);
    CHECK(f.fault == 13 && f.error_code == 0x21 * 8 + 2, "int 0x21: fault %d ec %" PRIx64, f.fault, f.error_code);
    static const uint8_t cli[] = { 0xFA };
    init_regs(&r);
    RUN(o, cli, &r, &f);
    CHECK(f.fault == 13, "cli: fault %d", f.fault);
    static const uint8_t syscall_[] = { 0x0F, 0x05 };
    init_regs(&r);
    int rc = oracle_host_run64(syscall_, 2, &r, mem, &f);
    CHECK(rc == ORACLE_ERR_REFUSED, "syscall not refused: %d", rc);
    // Unaligned access with AC: #AC only when asked for.
    static const uint8_t ld_un[] = { 0x8B, 0x07 }; // mov eax, [rdi]
    init_regs(&r); r.gpr[7] = ORACLE_DATA_BASE + 1; r.rflags = ORACLE_RFLAGS_AC;
    RUN(o, ld_un, &r, &f);
    CHECK(f.fault == -1 && !(r.rflags & ORACLE_RFLAGS_AC), "AC default off: fault %d flags %" PRIx64, f.fault, r.rflags);
    oracle_set_options(ORACLE_OPT_ALLOW_AC);
    init_regs(&r); r.gpr[7] = ORACLE_DATA_BASE + 1; r.rflags = ORACLE_RFLAGS_AC;
    RUN(o, ld_un, &r, &f);
    CHECK(f.fault == 17, "AC on: fault %d", f.fault);
    oracle_set_options(0);
    // Instruction that trashes host FS base, MXCSR and the x87 control word: host must survive.
    static const uint8_t wrfs[] = { 0xF3, 0x48, 0x0F, 0xAE, 0xD0 }; // wrfsbase rax
    init_regs(&r); r.gpr[0] = 0;
    RUN(o, wrfs, &r, &f);
    CHECK(f.fault == -1 || f.fault == 6, "wrfsbase: fault %d", f.fault);
    static const uint8_t ldmx[] = { 0x0F, 0xAE, 0x17 }; // ldmxcsr [rdi]
    memset(mem, 0, sizeof mem); uint32_t mx = 0x6000; memcpy(mem, &mx, 4); // round toward zero, exceptions unmasked
    init_regs(&r); r.gpr[7] = ORACLE_DATA_BASE;
    RUN(o, ldmx, &r, &f);
    unsigned host_mx = __builtin_ia32_stmxcsr();
    CHECK(f.fault == -1 && host_mx == 0x1F80, "ldmxcsr: fault %d host mxcsr %x", f.fault, host_mx);
    // Self-modifying write into the code page (the next run must be unaffected).
    static const uint8_t smc[] = { 0xC6, 0x07, 0x90 }; // mov byte [rdi], 0x90
    init_regs(&r); r.gpr[7] = ORACLE_CODE_BASE + 0x100;
    RUN(o, smc, &r, &f);
    CHECK(f.fault == -1 && r.rip == 3, "smc: fault %d rip %" PRIx64, f.fault, r.rip);
    // Garbage RSP: push faults, the handler runs on its own stack.
    static const uint8_t push[] = { 0x50 };
    init_regs(&r); r.gpr[4] = 0x8;
    RUN(o, push, &r, &f);
    CHECK(f.fault == 14 && f.fault_addr == 0, "push with rsp=8: fault %d addr %" PRIx64, f.fault, f.fault_addr);
    // Handlers restored after the run (default mode).
    struct sigaction sa;
    sigaction(SIGSEGV, NULL, &sa);
    CHECK(sa.sa_handler == SIG_DFL, "SIGSEGV handler not restored");
}

static void test_unicorn_16_32(void) {
    oracle_regs r; oracle_fault f;
    struct oracle u32 = { "unicorn32", run_u32 }, u16 = { "unicorn16", run_u16 };
    // 32-bit: add eax, ebx
    static const uint8_t add[] = { 0x01, 0xD8 };
    init_regs(&r); r.gpr[0] = 0xffffffff; r.gpr[3] = 1; r.gpr[4] = ORACLE_DATA_BASE + 0x1000;
    RUN(u32, add, &r, &f);
    CHECK(f.fault == -1 && r.gpr[0] == 0 && (r.rflags & ORACLE_RFLAGS_CMP_MASK) == 0x55 && r.rip == 2,
          "u32 add: fault %d eax %" PRIx64 " flags %" PRIx64 " rip %" PRIx64, f.fault, r.gpr[0], r.rflags, r.rip);
    // 32-bit: mov [edi], eax ; push eax
    static const uint8_t st[] = { 0x89, 0x07 };
    memset(mem, 0, sizeof mem);
    init_regs(&r); r.gpr[7] = ORACLE_DATA_BASE + 0x20; r.gpr[0] = 0xdeadbeef; r.gpr[4] = ORACLE_DATA_BASE + 0x1000;
    RUN(u32, st, &r, &f);
    uint32_t got32; memcpy(&got32, mem + 0x20, 4);
    CHECK(f.fault == -1 && got32 == 0xdeadbeef, "u32 store: %x", got32);
    static const uint8_t divz[] = { 0xF7, 0xF1 };
    init_regs(&r); r.gpr[1] = 0; r.gpr[4] = ORACLE_DATA_BASE + 0x1000;
    RUN(u32, divz, &r, &f);
    CHECK(f.fault == 0 && r.rip == 0, "u32 div0: fault %d rip %" PRIx64, f.fault, r.rip);
    uint8_t jz[6] = { 0x0F, 0x84 };
    int32_t rel = (int32_t)ORACLE_BRANCH_TARGET_OFFSET - 6; memcpy(jz + 2, &rel, 4);
    init_regs(&r); r.rflags = 0x40; r.gpr[4] = ORACLE_DATA_BASE + 0x1000;
    RUN(u32, jz, &r, &f);
    CHECK(f.fault == -1 && r.rip == 0x800, "u32 jz: fault %d rip %" PRIx64, f.fault, r.rip);

    // 16-bit: add ax, bx
    init_regs(&r); r.gpr[0] = 0xffff; r.gpr[3] = 2; r.gpr[4] = ORACLE_DATA_BASE16 + 0x1000;
    RUN(u16, add, &r, &f);
    CHECK(f.fault == -1 && r.gpr[0] == 1 && (r.rflags & 1) && r.rip == 2,
          "u16 add: fault %d ax %" PRIx64 " flags %" PRIx64 " rip %" PRIx64, f.fault, r.gpr[0], r.rflags, r.rip);
    // 16-bit: mov [di], ax ; push ax
    memset(mem, 0, sizeof mem);
    init_regs(&r); r.gpr[7] = ORACLE_DATA_BASE16 + 0x30; r.gpr[0] = 0xbeef; r.gpr[4] = ORACLE_DATA_BASE16 + 0x1000;
    static const uint8_t st16[] = { 0x89, 0x05 }; // mov [di], ax
    RUN(u16, st16, &r, &f);
    uint16_t got16; memcpy(&got16, mem + 0x30, 2);
    CHECK(f.fault == -1 && got16 == 0xbeef, "u16 store: %x", got16);
    static const uint8_t push[] = { 0x50 };
    memset(mem, 0, sizeof mem);
    init_regs(&r); r.gpr[0] = 0x1234; r.gpr[4] = ORACLE_DATA_BASE16 + 0x1000;
    RUN(u16, push, &r, &f);
    memcpy(&got16, mem + 0x1000 - 2, 2);
    CHECK(f.fault == -1 && got16 == 0x1234 && r.gpr[4] == ORACLE_DATA_BASE16 + 0x1000 - 2, "u16 push: %x sp %" PRIx64, got16, r.gpr[4]);
    // 16-bit: jz rel16 -> 0x800
    uint8_t jz16[4] = { 0x0F, 0x84 };
    int16_t rel16 = (int16_t)(ORACLE_BRANCH_TARGET_OFFSET - 4); memcpy(jz16 + 2, &rel16, 2);
    init_regs(&r); r.rflags = 0x40; r.gpr[4] = ORACLE_DATA_BASE16 + 0x1000;
    RUN(u16, jz16, &r, &f);
    CHECK(f.fault == -1 && r.rip == 0x800, "u16 jz: fault %d rip %" PRIx64, f.fault, r.rip);
    // 16-bit: div by zero, ud2, int 0x21
    RUN(u16, divz, &r, &f);
    static const uint8_t ud2[] = { 0x0F, 0x0B };
    init_regs(&r); r.gpr[1] = 0; r.gpr[4] = ORACLE_DATA_BASE16 + 0x1000;
    RUN(u16, divz, &r, &f);
    CHECK(f.fault == 0, "u16 div0: fault %d", f.fault);
    RUN(u16, ud2, &r, &f);
    CHECK(f.fault == 6, "u16 ud2: fault %d", f.fault);
    static const uint8_t int21[] = { 0xCD, 0x21 };
    RUN(u16, int21, &r, &f);
    CHECK(f.fault == 0x21, "u16 int 0x21: fault %d", f.fault);
}

// The same instruction repeated with different inputs (unicorn reuses its translation).
static void test_repeat(void) {
    oracle_regs r; oracle_fault f;
    static const uint8_t div[] = { 0x48, 0xF7, 0xF1 };       // div rcx
    static const uint8_t rep_stosb[] = { 0xF3, 0xAA };
    for (int k = 0; k < 2; k++) {
        const struct oracle o = o64[k];
        int bad = 0;
        for (int i = 0; i < 40; i++) {
            init_regs(&r); r.gpr[0] = 100; r.gpr[2] = 0; r.gpr[1] = (uint64_t)(i % 3);
            if (o.run(div, sizeof div, &r, mem, &f) != 0) bad++;
            if (i % 3 == 0) { if (f.fault != 0 || r.rip != 0) bad++; }
            else if (f.fault != -1 || r.gpr[0] != 100u / (unsigned)(i % 3) || r.rip != 3) bad++;
            memset(mem, 0, sizeof mem);
            init_regs(&r); r.gpr[7] = ORACLE_DATA_BASE + 0x200; r.gpr[1] = (uint64_t)(i % 7); r.gpr[0] = 0x77;
            if (o.run(rep_stosb, sizeof rep_stosb, &r, mem, &f) != 0) bad++;
            if (f.fault != -1 || r.gpr[1] != 0 || r.gpr[7] != ORACLE_DATA_BASE + 0x200 + (uint64_t)(i % 7) || r.rip != 2) bad++;
            for (int j = 0; j < 8; j++) if (mem[0x200 + j] != (j < i % 7 ? 0x77 : 0)) bad++;
        }
        CHECK(bad == 0, "%s repeat: %d bad", o.name, bad);
    }
}

// Host vs unicorn64 on random ALU operations (flags compared under the documented mask).
static void test_random_alu(void) {
    static const uint8_t ops[][3] = {
        { 0x48, 0x01, 0xD8 }, { 0x48, 0x29, 0xD8 }, { 0x48, 0x11, 0xD8 }, { 0x48, 0x19, 0xD8 },
        { 0x48, 0x21, 0xD8 }, { 0x48, 0x09, 0xD8 }, { 0x48, 0x31, 0xD8 }, { 0x48, 0x39, 0xD8 },
        { 0x01, 0xD8, 0x90 }, { 0x66, 0x29, 0xD8 }, { 0x00, 0xD8, 0x90 }, { 0x48, 0xF7, 0xD8 },
        { 0x48, 0xFF, 0xC0 }, { 0x48, 0xFF, 0xC8 }, { 0x48, 0x0F, 0xAF }, { 0x48, 0x85, 0xD8 },
    };
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    int mismatches = 0;
    for (int i = 0; i < 4000; i++) {
        const uint8_t *op = ops[i % 16];
        size_t len = (op[2] == 0x90) ? 2 : 3;
        uint8_t code[4]; memcpy(code, op, 3);
        if (op[2] == 0xAF) { code[3] = 0xC3; len = 4; } // imul rax, rbx
        oracle_regs a, b; oracle_fault fa, fb;
        init_regs(&a);
        for (int k = 0; k < 16; k++) {
            if (k == 4) continue;
            seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
            a.gpr[k] = (i & 1) ? seed : (seed & 0x8000000000000003ull) | ((seed >> 32) & 0xff);
        }
        seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
        a.rflags = seed & ORACLE_RFLAGS_IN_MASK & ~0x400ull;
        b = a;
        memset(mem, 0, sizeof mem);
        int r1 = oracle_host_run64(code, len, &a, mem, &fa);
        int r2 = oracle_unicorn_run(64, code, len, &b, mem, &fb);
        uint64_t m = ORACLE_RFLAGS_CMP_MASK;
        if (code[1] == 0x0F || (code[0] == 0x48 && code[1] == 0xAF)) m = 0x801 | 0x400; // imul: only CF OF defined
        int same = r1 == 0 && r2 == 0 && fa.fault == fb.fault && a.rip == b.rip && (a.rflags & m) == (b.rflags & m)
                   && memcmp(a.gpr, b.gpr, sizeof a.gpr) == 0;
        if (!same && mismatches++ < 5)
            printf("mismatch op %02x %02x %02x: host rax %" PRIx64 " fl %" PRIx64 " / uc rax %" PRIx64 " fl %" PRIx64 "\n",
                   code[0], code[1], code[2], a.gpr[0], a.rflags, b.gpr[0], b.rflags);
    }
    CHECK(mismatches == 0, "random ALU: %d mismatches of 4000", mismatches);
}

static void bench(void) {
    static const uint8_t add[] = { 0x48, 0x01, 0xD8 };
    oracle_regs r; oracle_fault f;
    int n = 1000000, bad = 0;
    double t0 = now();
    for (int i = 0; i < n; i++) {
        init_regs(&r); r.gpr[3] = (uint64_t)i;
        if (oracle_host_run64(add, 3, &r, mem, &f) != 0 || r.gpr[0] != 0x1111111111111111ull + (uint64_t)i) bad++;
    }
    double t1 = now();
    CHECK(bad == 0, "bench host: %d bad", bad);
    printf("host oracle: %d runs in %.2f s = %.0f runs/s (%.2f us/run)\n", n, t1 - t0, n / (t1 - t0), (t1 - t0) * 1e6 / n);

    oracle_set_options(ORACLE_OPT_KEEP_HANDLERS);
    t0 = now();
    for (int i = 0; i < n; i++) {
        init_regs(&r); r.gpr[3] = (uint64_t)i;
        if (oracle_host_run64(add, 3, &r, mem, &f) != 0 || r.gpr[0] != 0x1111111111111111ull + (uint64_t)i) bad++;
    }
    t1 = now();
    CHECK(bad == 0, "bench host keep: %d bad", bad);
    printf("host oracle (ORACLE_OPT_KEEP_HANDLERS): %d runs in %.2f s = %.0f runs/s (%.2f us/run)\n", n, t1 - t0, n / (t1 - t0), (t1 - t0) * 1e6 / n);
    // faulting runs
    static const uint8_t ud2[] = { 0x0F, 0x0B };
    int nf = 100000;
    t0 = now();
    for (int i = 0; i < nf; i++) {
        init_regs(&r);
        if (oracle_host_run64(ud2, 2, &r, mem, &f) != 0 || f.fault != 6) bad++;
    }
    t1 = now();
    CHECK(bad == 0, "bench host faults: %d bad", bad);
    printf("host oracle, faulting (ud2, keep handlers): %.0f runs/s\n", nf / (t1 - t0));
    oracle_host_release();
    oracle_set_options(0);
    struct sigaction sa;
    sigaction(SIGSEGV, NULL, &sa);
    CHECK(sa.sa_handler == SIG_DFL, "SIGSEGV handler not restored by oracle_host_release");

    for (int mode = 16; mode <= 64; mode *= 2) {
        int nu = 100000;
        t0 = now();
        for (int i = 0; i < nu; i++) {
            init_regs(&r); r.gpr[3] = (uint64_t)i;
            if (mode == 16) r.gpr[4] = ORACLE_DATA_BASE16 + 0x1000;
            if (oracle_unicorn_run(mode, add + (mode == 64 ? 0 : 1), mode == 64 ? 3 : 2, &r, mem, &f) != 0) bad++;
        }
        t1 = now();
        CHECK(bad == 0, "bench unicorn%d: %d bad", mode, bad);
        printf("unicorn%d oracle, same instruction: %d runs in %.2f s = %.0f runs/s (%.2f us/run)\n", mode, nu, t1 - t0, nu / (t1 - t0), (t1 - t0) * 1e6 / nu);
        // Alternating instructions: every run needs a fresh translation.
        static const uint8_t alt[2][3] = { { 0x48, 0x01, 0xD8 }, { 0x48, 0x29, 0xD8 } };
        nu = 50000;
        t0 = now();
        for (int i = 0; i < nu; i++) {
            init_regs(&r); r.gpr[3] = 1;
            if (mode == 16) r.gpr[4] = ORACLE_DATA_BASE16 + 0x1000;
            const uint8_t *c = alt[i & 1] + (mode == 64 ? 0 : 1);
            if (oracle_unicorn_run(mode, c, mode == 64 ? 3 : 2, &r, mem, &f) != 0) bad++;
            uint64_t want = (i & 1) ? 0x1111111111111110ull : 0x1111111111111112ull;
            if (mode != 64) want &= 0xffffffffu;
            if (r.gpr[0] != want) bad++;
        }
        t1 = now();
        CHECK(bad == 0, "bench unicorn%d alternating: %d bad", mode, bad);
        printf("unicorn%d oracle, alternating instructions: %.0f runs/s (%.2f us/run)\n", mode, nu / (t1 - t0), (t1 - t0) * 1e6 / nu);
    }
}

int main(void) {
    const char *err = oracle_unicorn_init(NULL);
    if (err) { printf("unicorn init: %s\n", err); return 1; }
    test_basic64();
    test_host_only();
    test_unicorn_16_32();
    test_repeat();
    test_random_alu();
    bench();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
