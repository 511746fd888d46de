// Unicorn oracle: runs one instruction in Unicorn 2.x (16-bit real mode, 32-bit
// protected mode, or 64-bit long mode, all at CPL 0 and without paging).
// libunicorn.so.2 is loaded at run time with dlopen; nothing links against it.
// The API subset and constants below are declared here; the values are copied
// from unicorn 2.1.4's python package (unicorn_const.py / x86_const.py).
#define _GNU_SOURCE
#include "oracle_internal.h"

#include <dlfcn.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ---- unicorn API subset ----
typedef struct uc_struct uc_engine;
typedef struct uc_context uc_context;
typedef size_t uc_hook;
typedef int uc_err;

#define UC_ARCH_X86 4
#define UC_MODE_16 2
#define UC_MODE_32 4
#define UC_MODE_64 8

#define UC_ERR_OK 0
#define UC_ERR_READ_UNMAPPED 6
#define UC_ERR_WRITE_UNMAPPED 7
#define UC_ERR_FETCH_UNMAPPED 8
#define UC_ERR_INSN_INVALID 10
#define UC_ERR_WRITE_PROT 12
#define UC_ERR_READ_PROT 13
#define UC_ERR_FETCH_PROT 14
#define UC_ERR_READ_UNALIGNED 16
#define UC_ERR_WRITE_UNALIGNED 17
#define UC_ERR_FETCH_UNALIGNED 18
#define UC_ERR_EXCEPTION 21

#define UC_PROT_READ 1
#define UC_PROT_WRITE 2
#define UC_PROT_EXEC 4
#define UC_PROT_ALL 7

#define UC_MEM_READ_UNMAPPED 19
#define UC_MEM_WRITE_UNMAPPED 20
#define UC_MEM_FETCH_UNMAPPED 21
#define UC_MEM_WRITE_PROT 22
#define UC_MEM_READ_PROT 23
#define UC_MEM_FETCH_PROT 24

#define UC_HOOK_INTR 1
#define UC_HOOK_MEM_INVALID 1008
#define UC_HOOK_INSN_INVALID 16384

#define UC_CTL_IO_WRITE 1
#define UC_CTL_TB_REMOVE_CACHE 9
#define UC_CTL_TB_FLUSH 10
#define UC_CTL(type, nr, rw) ((type) | ((nr) << 26) | ((rw) << 30))

#define UC_X86_REG_CS 11
#define UC_X86_REG_DS 17
#define UC_X86_REG_EAX 19
#define UC_X86_REG_EBP 20
#define UC_X86_REG_EBX 21
#define UC_X86_REG_ECX 22
#define UC_X86_REG_EDI 23
#define UC_X86_REG_EDX 24
#define UC_X86_REG_EFLAGS 25
#define UC_X86_REG_EIP 26
#define UC_X86_REG_ES 28
#define UC_X86_REG_ESI 29
#define UC_X86_REG_ESP 30
#define UC_X86_REG_FS 32
#define UC_X86_REG_GS 33
#define UC_X86_REG_IP 34
#define UC_X86_REG_RAX 35
#define UC_X86_REG_RBP 36
#define UC_X86_REG_RBX 37
#define UC_X86_REG_RCX 38
#define UC_X86_REG_RDI 39
#define UC_X86_REG_RDX 40
#define UC_X86_REG_RIP 41
#define UC_X86_REG_RSI 43
#define UC_X86_REG_RSP 44
#define UC_X86_REG_SS 49
#define UC_X86_REG_R8 106
#define UC_X86_REG_R9 107
#define UC_X86_REG_R10 108
#define UC_X86_REG_R11 109
#define UC_X86_REG_R12 110
#define UC_X86_REG_R13 111
#define UC_X86_REG_R14 112
#define UC_X86_REG_R15 113
#define UC_X86_REG_RFLAGS 253

static struct {
    void *lib;
    uc_err (*open)(int arch, int mode, uc_engine **uc);
    uc_err (*close)(uc_engine *uc);
    uc_err (*mem_map)(uc_engine *uc, uint64_t address, uint64_t size, uint32_t perms);
    uc_err (*mem_write)(uc_engine *uc, uint64_t address, const void *bytes, uint64_t size);
    uc_err (*mem_read)(uc_engine *uc, uint64_t address, void *bytes, uint64_t size);
    uc_err (*reg_write)(uc_engine *uc, int regid, const void *value);
    uc_err (*reg_read)(uc_engine *uc, int regid, void *value);
    uc_err (*emu_start)(uc_engine *uc, uint64_t begin, uint64_t until, uint64_t timeout, size_t count);
    uc_err (*emu_stop)(uc_engine *uc);
    uc_err (*hook_add)(uc_engine *uc, uc_hook *hh, int type, void *callback, void *user_data, uint64_t begin, uint64_t end, ...);
    uc_err (*ctl)(uc_engine *uc, int control, ...);
    uc_err (*context_alloc)(uc_engine *uc, uc_context **context);
    uc_err (*context_save)(uc_engine *uc, uc_context *context);
    uc_err (*context_restore)(uc_engine *uc, uc_context *context);
    uc_err (*context_free)(uc_context *context);
    const char *(*strerror)(uc_err code);
    unsigned (*version)(unsigned *major, unsigned *minor);
} U;

static int load_symbols(void *lib) {
#define SYM(field, name) if (!(*(void **)&U.field = dlsym(lib, name))) return 0;
    SYM(open, "uc_open") SYM(close, "uc_close") SYM(mem_map, "uc_mem_map")
    SYM(mem_write, "uc_mem_write") SYM(mem_read, "uc_mem_read")
    SYM(reg_write, "uc_reg_write") SYM(reg_read, "uc_reg_read")
    SYM(emu_start, "uc_emu_start") SYM(emu_stop, "uc_emu_stop") SYM(hook_add, "uc_hook_add")
    SYM(ctl, "uc_ctl") SYM(context_alloc, "uc_context_alloc") SYM(context_save, "uc_context_save")
    SYM(context_restore, "uc_context_restore") SYM(context_free, "uc_context_free")
    SYM(strerror, "uc_strerror") SYM(version, "uc_version")
#undef SYM
    return 1;
}

static int try_load(const char *path) {
    if (!path || !*path) return 0;
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib) return 0;
    if (!load_symbols(lib)) { dlclose(lib); memset(&U, 0, sizeof U); return 0; }
    unsigned major = 0, minor = 0;
    U.version(&major, &minor);
    if (major != 2) { dlclose(lib); memset(&U, 0, sizeof U); return 0; }
    U.lib = lib;
    return 1;
}

static int try_glob(const char *pattern) {
    glob_t g;
    int ok = 0;
    if (glob(pattern, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc && !ok; i++) ok = try_load(g.gl_pathv[i]);
        globfree(&g);
    }
    return ok;
}

const char *oracle_unicorn_init(const char *path) {
    if (U.lib) return NULL;
    if (path) {
        if (try_load(path)) return NULL;
        return "unicorn: cannot dlopen the given library path (or it is not unicorn 2.x)";
    }
    if (try_load(getenv("SWEMU_UNICORN_LIB"))) return NULL;
    // Ask python where the unicorn package is.
    FILE *p = popen("python3 -c 'import unicorn,os;print(os.path.dirname(unicorn.__file__))' 2>/dev/null", "r");
    if (p) {
        char dir[4096];
        char *ok = fgets(dir, sizeof dir - 32, p);
        pclose(p);
        if (ok) {
            dir[strcspn(dir, "\r\n")] = 0;
            char lib[4200];
            snprintf(lib, sizeof lib, "%s/lib/libunicorn.so.2", dir);
            if (try_load(lib)) return NULL;
            snprintf(lib, sizeof lib, "%s/lib/libunicorn.so", dir);
            if (try_load(lib)) return NULL;
        }
    }
    static const char *patterns[] = {
        "/root/.pyenv/versions/*/lib/python3*/site-packages/unicorn/lib/libunicorn.so.2",
        "/usr/local/lib/python3*/site-packages/unicorn/lib/libunicorn.so.2",
        "/usr/local/lib/python3*/dist-packages/unicorn/lib/libunicorn.so.2",
        "/usr/lib/python3*/site-packages/unicorn/lib/libunicorn.so.2",
        "/usr/lib/python3/dist-packages/unicorn/lib/libunicorn.so.2",
        "/home/*/.local/lib/python3*/site-packages/unicorn/lib/libunicorn.so.2",
        "/root/.local/lib/python3*/site-packages/unicorn/lib/libunicorn.so.2",
        NULL,
    };
    for (int i = 0; patterns[i]; i++) if (try_glob(patterns[i])) return NULL;
    const char *home = getenv("HOME");
    if (home) {
        char pat[4200];
        snprintf(pat, sizeof pat, "%s/.local/lib/python3*/site-packages/unicorn/lib/libunicorn.so.2", home);
        if (try_glob(pat)) return NULL;
    }
    if (try_load("libunicorn.so.2") || try_load("libunicorn.so")) return NULL;
    return "unicorn: libunicorn.so.2 not found (pip install unicorn, or set SWEMU_UNICORN_LIB)";
}

// ---- engines ----
typedef struct {
    uc_engine *uc;
    uc_context *ctx;        // pristine CPU state right after setup, restored before every run
    uint64_t code_base, data_base;
    uint64_t runs;
    size_t last_len;          // instruction currently in the code page (0: unknown)
    uint8_t last_code[16], last_page16[16];
} engine_t;
static engine_t engines[3]; // 16, 32, 64

// Upper bound on single steps for one instruction (REP iterations; a branch to itself).
#define ORACLE_UNICORN_MAX_STEPS 1000000u
// Full translation-cache flush period (runs).
#define ORACLE_UNICORN_FLUSH_EVERY 2048u

// Per-run hook results.
static int hit_intr = -1;
static int hit_mem_type = 0;
static uint64_t hit_mem_addr = 0;
static int hit_insn_invalid = 0;

static void hook_intr(uc_engine *uc, uint32_t intno, void *user) {
    (void)user;
    if (hit_intr < 0) hit_intr = (int)intno;
    U.emu_stop(uc);
}
static bool hook_mem_invalid(uc_engine *uc, int type, uint64_t address, int size, int64_t value, void *user) {
    (void)uc; (void)size; (void)value; (void)user;
    if (!hit_mem_type) { hit_mem_type = type; hit_mem_addr = address; }
    return false;
}
static bool hook_insn_invalid(uc_engine *uc, void *user) {
    (void)uc; (void)user;
    hit_insn_invalid = 1;
    return false;
}

static const int regs64[16] = {
    UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX,
    UC_X86_REG_RSP, UC_X86_REG_RBP, UC_X86_REG_RSI, UC_X86_REG_RDI,
    UC_X86_REG_R8, UC_X86_REG_R9, UC_X86_REG_R10, UC_X86_REG_R11,
    UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15,
};
static const int regs32[8] = {
    UC_X86_REG_EAX, UC_X86_REG_ECX, UC_X86_REG_EDX, UC_X86_REG_EBX,
    UC_X86_REG_ESP, UC_X86_REG_EBP, UC_X86_REG_ESI, UC_X86_REG_EDI,
};

static char errbuf[256];
static int uc_fail(const char *what, uc_err e) {
    snprintf(errbuf, sizeof errbuf, "unicorn: %s: %s", what, U.strerror ? U.strerror(e) : "?");
    return oracle_fail_(ORACLE_ERR_UNICORN, errbuf);
}

static int engine_get(int mode, engine_t **out) {
    int idx = mode == 16 ? 0 : mode == 32 ? 1 : mode == 64 ? 2 : -1;
    if (idx < 0) return oracle_fail_(ORACLE_ERR_ARG, "unicorn: mode must be 16, 32 or 64");
    engine_t *e = &engines[idx];
    if (e->uc) { *out = e; return 0; }
    if (!U.lib) {
        const char *msg = oracle_unicorn_init(NULL);
        if (msg) return oracle_fail_(ORACLE_ERR_UNICORN, msg);
    }
    int ucmode = mode == 16 ? UC_MODE_16 : mode == 32 ? UC_MODE_32 : UC_MODE_64;
    uc_engine *uc = NULL;
    uc_err err = U.open(UC_ARCH_X86, ucmode, &uc);
    if (err) return uc_fail("uc_open", err);
    e->code_base = mode == 16 ? ORACLE_CODE_BASE16 : ORACLE_CODE_BASE;
    e->data_base = mode == 16 ? ORACLE_DATA_BASE16 : ORACLE_DATA_BASE;
    if ((err = U.mem_map(uc, e->code_base, 0x1000, UC_PROT_ALL)) ||
        (err = U.mem_map(uc, e->data_base, ORACLE_DATA_SIZE, UC_PROT_READ | UC_PROT_WRITE))) {
        U.close(uc);
        return uc_fail("uc_mem_map", err);
    }
    uc_hook h;
    if ((err = U.hook_add(uc, &h, UC_HOOK_INTR, (void *)hook_intr, NULL, 1, 0)) ||
        (err = U.hook_add(uc, &h, UC_HOOK_MEM_INVALID, (void *)hook_mem_invalid, NULL, 1, 0)) ||
        (err = U.hook_add(uc, &h, UC_HOOK_INSN_INVALID, (void *)hook_insn_invalid, NULL, 1, 0))) {
        U.close(uc);
        return uc_fail("uc_hook_add", err);
    }
    if (mode == 16) {
        uint64_t z = 0;
        U.reg_write(uc, UC_X86_REG_CS, &z); U.reg_write(uc, UC_X86_REG_DS, &z);
        U.reg_write(uc, UC_X86_REG_ES, &z); U.reg_write(uc, UC_X86_REG_SS, &z);
        U.reg_write(uc, UC_X86_REG_FS, &z); U.reg_write(uc, UC_X86_REG_GS, &z);
    }
    if ((err = U.context_alloc(uc, &e->ctx)) || (err = U.context_save(uc, e->ctx))) {
        U.close(uc);
        return uc_fail("uc_context_save", err);
    }
    e->uc = uc;
    *out = e;
    return 0;
}

void oracle_unicorn_shutdown(void) {
    for (int i = 0; i < 3; i++) {
        if (engines[i].ctx) U.context_free(engines[i].ctx);
        if (engines[i].uc) U.close(engines[i].uc);
        memset(&engines[i], 0, sizeof engines[i]);
    }
}

static uint64_t pf_error_code(int type) {
    uint64_t ec = 4; // U/S: report as a user access, like the host oracle
    switch (type) {
    case UC_MEM_WRITE_UNMAPPED: ec |= 2; break;
    case UC_MEM_FETCH_UNMAPPED: ec |= 0x10; break;
    case UC_MEM_WRITE_PROT: ec |= 3; break;
    case UC_MEM_READ_PROT: ec |= 1; break;
    case UC_MEM_FETCH_PROT: ec |= 0x11; break;
    default: break;
    }
    return ec;
}

int oracle_unicorn_run(int mode, const uint8_t *code, size_t len, oracle_regs *regs, uint8_t *mem, oracle_fault *fault) {
    if (!code || !regs || !mem || !fault || len == 0 || len > 15)
        return oracle_fail_(ORACLE_ERR_ARG, "unicorn: bad argument");
    engine_t *e;
    int rc = engine_get(mode, &e);
    if (rc) return rc;
    uc_engine *uc = e->uc;
    uc_err err;

    if ((err = U.context_restore(uc, e->ctx))) return uc_fail("uc_context_restore", err);

    // Code page: the instruction, then INT3 filler (like the host oracle).
    // When the same instruction bytes are still in place from the previous run
    // (checked by reading them back), keep the page and its cached translation:
    // the tester typically runs one instruction with many register values.
    uint8_t cur[16];
    int same = e->last_len == len && memcmp(e->last_code, code, len) == 0 &&
               U.mem_read(uc, e->code_base, cur, 16) == UC_ERR_OK && memcmp(cur, e->last_page16, 16) == 0;
    if (!same) {
        uint8_t page[0x1000];
        memset(page, 0xCC, sizeof page);
        memcpy(page, code, len);
        e->last_len = 0;
        if ((err = U.mem_write(uc, e->code_base, page, sizeof page))) return uc_fail("uc_mem_write(code)", err);
        memcpy(e->last_code, code, len);
        memcpy(e->last_page16, page, 16);
        e->last_len = len;
        // Drop translations of the previous instruction at the same address. Removed
        // translations still occupy the TCG code buffer (RSS would grow ~0.5 KB per run
        // until unicorn's large buffer fills), so flush everything now and then; a full
        // flush on every run would cost ~3x the run time.
        if (++e->runs % ORACLE_UNICORN_FLUSH_EVERY == 0)
            U.ctl(uc, UC_CTL(UC_CTL_TB_FLUSH, 0, UC_CTL_IO_WRITE));
        else
            U.ctl(uc, UC_CTL(UC_CTL_TB_REMOVE_CACHE, 2, UC_CTL_IO_WRITE), e->code_base, e->code_base + 0x1000);
    }
    if ((err = U.mem_write(uc, e->data_base, mem, ORACLE_DATA_SIZE))) return uc_fail("uc_mem_write(data)", err);

    uint64_t mask = ORACLE_RFLAGS_IN_MASK | ((oracle_opts_ & ORACLE_OPT_ALLOW_AC) ? ORACLE_RFLAGS_AC : 0);
    uint64_t fl = 0x202 | (regs->rflags & mask);
    if (mode == 64) {
        for (int r = 0; r < 16; r++) U.reg_write(uc, regs64[r], &regs->gpr[r]);
        U.reg_write(uc, UC_X86_REG_RFLAGS, &fl);
    } else {
        for (int r = 0; r < 8; r++) {
            uint64_t v = (uint32_t)regs->gpr[r];
            U.reg_write(uc, regs32[r], &v);
        }
        U.reg_write(uc, UC_X86_REG_EFLAGS, &fl);
    }

    hit_intr = -1; hit_mem_type = 0; hit_mem_addr = 0; hit_insn_invalid = 0;
    err = U.emu_start(uc, e->code_base, e->code_base + 0xFFF, 0, 1);
    // Unicorn counts each iteration of a REP string instruction as one instruction
    // (it re-executes the same RIP): keep stepping while RIP stays at the start.
    for (unsigned step = 1; err == UC_ERR_OK && hit_intr < 0 && !hit_mem_type && !hit_insn_invalid
                            && step < ORACLE_UNICORN_MAX_STEPS; step++) {
        uint64_t pc = 0;
        if (mode == 16) {
            uint64_t cs = 0;
            U.reg_read(uc, UC_X86_REG_IP, &pc);
            U.reg_read(uc, UC_X86_REG_CS, &cs);
            pc = ((cs & 0xFFFF) << 4) + (pc & 0xFFFF);
        } else {
            U.reg_read(uc, mode == 64 ? UC_X86_REG_RIP : UC_X86_REG_EIP, &pc);
            if (mode == 32) pc = (uint32_t)pc;
        }
        if (pc != e->code_base) break;
        err = U.emu_start(uc, e->code_base, e->code_base + 0xFFF, 0, 1);
    }

    uint64_t rip = 0;
    if (mode == 64) {
        for (int r = 0; r < 16; r++) { regs->gpr[r] = 0; U.reg_read(uc, regs64[r], &regs->gpr[r]); }
        U.reg_read(uc, UC_X86_REG_RFLAGS, &regs->rflags);
        U.reg_read(uc, UC_X86_REG_RIP, &rip);
        regs->rip = rip - e->code_base;
    } else {
        for (int r = 0; r < 8; r++) {
            uint64_t v = 0;
            U.reg_read(uc, regs32[r], &v);
            regs->gpr[r] = (uint32_t)v;
        }
        uint64_t f = 0;
        U.reg_read(uc, UC_X86_REG_EFLAGS, &f);
        regs->rflags = (uint32_t)f;
        if (mode == 32) {
            U.reg_read(uc, UC_X86_REG_EIP, &rip);
            regs->rip = (uint32_t)rip - e->code_base;
        } else {
            uint64_t cs = 0;
            U.reg_read(uc, UC_X86_REG_IP, &rip);
            U.reg_read(uc, UC_X86_REG_CS, &cs);
            regs->rip = (((cs & 0xFFFF) << 4) + (rip & 0xFFFF)) - e->code_base;
        }
    }
    U.mem_read(uc, e->data_base, mem, ORACLE_DATA_SIZE);

    fault->fault = -1; fault->error_code = 0; fault->fault_addr = 0;
    if (hit_intr >= 0) {
        fault->fault = hit_intr;
    } else if (hit_mem_type) {
        fault->fault = 14;
        fault->fault_addr = hit_mem_addr;
        fault->error_code = pf_error_code(hit_mem_type);
    } else if (hit_insn_invalid || err == UC_ERR_INSN_INVALID) {
        fault->fault = 6;
    } else if (err != UC_ERR_OK) {
        switch (err) {
        case UC_ERR_READ_UNMAPPED: case UC_ERR_WRITE_UNMAPPED: case UC_ERR_FETCH_UNMAPPED:
        case UC_ERR_READ_PROT: case UC_ERR_WRITE_PROT: case UC_ERR_FETCH_PROT:
            fault->fault = 14;
            break;
        case UC_ERR_READ_UNALIGNED: case UC_ERR_WRITE_UNALIGNED: case UC_ERR_FETCH_UNALIGNED:
            fault->fault = 17;
            break;
        case UC_ERR_EXCEPTION:
            fault->fault = 13;
            break;
        default:
            return uc_fail("uc_emu_start", err);
        }
    }
    return 0;
}
