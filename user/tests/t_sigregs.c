/* sigreturn restores every register (Linux arm64 rt_sigframe: x0-x30, sp,
 * pc, pstate in the sigcontext, V0-V31/FPSR/FPCR in the fpsimd record).
 *
 * Each case fills x0-x30 (but the few a case needs), the NZCV flags, FPCR
 * and q0-q31 with a pattern, gets a signal whose handler scrambles all the
 * registers it may (caller-saved x0-x18, every V register, FPCR, the
 * flags), and after the return stores them all and compares:
 *   sync:  the signal comes from kill(getpid()) issued inside the asm
 *          region (delivered on the way out of the syscall; x0 = 0, x8 =
 *          the syscall number are the only expected changes)
 *   async: a tight loop spinning on a flag the handler sets, interrupted
 *          by a signal a child sends (delivered on the way out of an
 *          interrupt or a context switch); x15-x17 are the loop's. */
#include "check.h"
#include <stdint.h>
#include <sys/syscall.h>

uint64_t xpat[31], xgot[31];
uint64_t vpat[64], vgot[64];
uint64_t fpcr_got, nzcv_got;
volatile uint32_t sig_flag;
static volatile int handler_hits;

#define FPCR_PATTERN 0x00c00000UL   /* RMode = round towards zero */
#define NZCV_PATTERN 0xa0000000UL   /* N and C set */

static void scramble(int sig)
{
    handler_hits++;
    sig_flag = 1;
    /* Trash everything a C function may trash. */
    __asm__ volatile(
        "mov x0, #0x1111\n mov x1, x0\n mov x2, x0\n mov x3, x0\n mov x4, x0\n"
        "mov x5, x0\n mov x6, x0\n mov x7, x0\n mov x8, x0\n mov x9, x0\n"
        "mov x10, x0\n mov x11, x0\n mov x12, x0\n mov x13, x0\n mov x14, x0\n"
        "mov x15, x0\n mov x16, x0\n mov x17, x0\n mov x18, x0\n"
        "dup v0.2d, x0\n mov v1.16b, v0.16b\n mov v2.16b, v0.16b\n mov v3.16b, v0.16b\n"
        "mov v4.16b, v0.16b\n mov v5.16b, v0.16b\n mov v6.16b, v0.16b\n mov v7.16b, v0.16b\n"
        "mov v8.16b, v0.16b\n mov v9.16b, v0.16b\n mov v10.16b, v0.16b\n mov v11.16b, v0.16b\n"
        "mov v12.16b, v0.16b\n mov v13.16b, v0.16b\n mov v14.16b, v0.16b\n mov v15.16b, v0.16b\n"
        "mov v16.16b, v0.16b\n mov v17.16b, v0.16b\n mov v18.16b, v0.16b\n mov v19.16b, v0.16b\n"
        "mov v20.16b, v0.16b\n mov v21.16b, v0.16b\n mov v22.16b, v0.16b\n mov v23.16b, v0.16b\n"
        "mov v24.16b, v0.16b\n mov v25.16b, v0.16b\n mov v26.16b, v0.16b\n mov v27.16b, v0.16b\n"
        "mov v28.16b, v0.16b\n mov v29.16b, v0.16b\n mov v30.16b, v0.16b\n mov v31.16b, v0.16b\n"
        "msr fpcr, xzr\n msr nzcv, xzr\n"
        ::: "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11",
            "x12", "x13", "x14", "x15", "x16", "x17", "x18",
            "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11",
            "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21",
            "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31",
            "cc", "memory");
}

/* Loads q0-q31 from vpat, FPCR, then x0-x30 from xpat (x9 last). */
#define LOAD_ALL \
    "stp x29, x30, [sp, #-16]!\n" \
    "adrp x9, vpat\n add x9, x9, :lo12:vpat\n" \
    "ldp q0, q1, [x9, #0]\n ldp q2, q3, [x9, #32]\n ldp q4, q5, [x9, #64]\n" \
    "ldp q6, q7, [x9, #96]\n ldp q8, q9, [x9, #128]\n ldp q10, q11, [x9, #160]\n" \
    "ldp q12, q13, [x9, #192]\n ldp q14, q15, [x9, #224]\n ldp q16, q17, [x9, #256]\n" \
    "ldp q18, q19, [x9, #288]\n ldp q20, q21, [x9, #320]\n ldp q22, q23, [x9, #352]\n" \
    "ldp q24, q25, [x9, #384]\n ldp q26, q27, [x9, #416]\n ldp q28, q29, [x9, #448]\n" \
    "ldp q30, q31, [x9, #480]\n" \
    "mov x10, #" "0x00c00000" "\n msr fpcr, x10\n" \
    "mov x10, #" "0xa0000000" "\n msr nzcv, x10\n" \
    "adrp x9, xpat\n add x9, x9, :lo12:xpat\n" \
    "ldp x0, x1, [x9, #0]\n ldp x2, x3, [x9, #16]\n ldp x4, x5, [x9, #32]\n" \
    "ldp x6, x7, [x9, #48]\n ldr x8, [x9, #64]\n ldp x10, x11, [x9, #80]\n" \
    "ldp x12, x13, [x9, #96]\n ldp x14, x15, [x9, #112]\n ldp x16, x17, [x9, #128]\n" \
    "ldp x18, x19, [x9, #144]\n ldp x20, x21, [x9, #160]\n ldp x22, x23, [x9, #176]\n" \
    "ldp x24, x25, [x9, #192]\n ldp x26, x27, [x9, #208]\n ldp x28, x29, [x9, #224]\n" \
    "ldr x30, [x9, #240]\n ldr x9, [x9, #72]\n"

/* Stores x0-x30 to xgot (through the stack, so no register is lost),
 * then NZCV, FPCR and q0-q31, and restores x29/x30. */
#define STORE_ALL \
    "sub sp, sp, #256\n" \
    "stp x0, x1, [sp, #0]\n stp x2, x3, [sp, #16]\n stp x4, x5, [sp, #32]\n" \
    "stp x6, x7, [sp, #48]\n stp x8, x9, [sp, #64]\n stp x10, x11, [sp, #80]\n" \
    "stp x12, x13, [sp, #96]\n stp x14, x15, [sp, #112]\n stp x16, x17, [sp, #128]\n" \
    "stp x18, x19, [sp, #144]\n stp x20, x21, [sp, #160]\n stp x22, x23, [sp, #176]\n" \
    "stp x24, x25, [sp, #192]\n stp x26, x27, [sp, #208]\n stp x28, x29, [sp, #224]\n" \
    "str x30, [sp, #240]\n" \
    "mrs x0, nzcv\n adrp x1, nzcv_got\n str x0, [x1, :lo12:nzcv_got]\n" \
    "mrs x0, fpcr\n adrp x1, fpcr_got\n str x0, [x1, :lo12:fpcr_got]\n" \
    "adrp x9, vgot\n add x9, x9, :lo12:vgot\n" \
    "stp q0, q1, [x9, #0]\n stp q2, q3, [x9, #32]\n stp q4, q5, [x9, #64]\n" \
    "stp q6, q7, [x9, #96]\n stp q8, q9, [x9, #128]\n stp q10, q11, [x9, #160]\n" \
    "stp q12, q13, [x9, #192]\n stp q14, q15, [x9, #224]\n stp q16, q17, [x9, #256]\n" \
    "stp q18, q19, [x9, #288]\n stp q20, q21, [x9, #320]\n stp q22, q23, [x9, #352]\n" \
    "stp q24, q25, [x9, #384]\n stp q26, q27, [x9, #416]\n stp q28, q29, [x9, #448]\n" \
    "stp q30, q31, [x9, #480]\n" \
    "adrp x9, xgot\n add x9, x9, :lo12:xgot\n mov x10, #0\n" \
    "1: ldr x11, [sp, x10]\n str x11, [x9, x10]\n add x10, x10, #8\n" \
    "cmp x10, #248\n b.ne 1b\n" \
    "add sp, sp, #256\n" \
    "mov x0, #0\n msr fpcr, x0\n" \
    "ldp x29, x30, [sp], #16\n"

#define CLOBBERS \
    "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", \
    "x12", "x13", "x14", "x15", "x16", "x17", "x18", "x19", "x20", "x21", "x22", \
    "x23", "x24", "x25", "x26", "x27", "x28", \
    "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", \
    "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", \
    "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31", \
    "cc", "memory"

static void fill_patterns(unsigned salt)
{
    for (int i = 0; i < 31; i++)
        xpat[i] = 0x5a00000000000000ULL | ((uint64_t)(salt + i) << 40) | 0xdead0000ULL | i;
    for (int i = 0; i < 64; i++)
        vpat[i] = 0xc3c3000000000000ULL | ((uint64_t)salt << 32) | (uint64_t)i * 0x01010101ULL;
    memset(xgot, 0, sizeof xgot);
    memset(vgot, 0, sizeof vgot);
}

/* Compares, skipping the registers in skip (a bit mask of x numbers). */
static void compare(const char *name, uint32_t skip)
{
    char why[300] = "";
    int bad = 0;
    for (int i = 0; i < 31; i++) {
        if ((skip >> i) & 1 || xgot[i] == xpat[i])
            continue;
        if (!bad++)
            snprintf(why, sizeof why, "x%d = %#llx, want %#llx", i,
                     (unsigned long long)xgot[i], (unsigned long long)xpat[i]);
    }
    for (int i = 0; i < 64; i++) {
        if (vgot[i] == vpat[i])
            continue;
        if (!bad++)
            snprintf(why, sizeof why, "v%d.d[%d] = %#llx, want %#llx", i / 2, i % 2,
                     (unsigned long long)vgot[i], (unsigned long long)vpat[i]);
    }
    if ((nzcv_got & 0xf0000000) != NZCV_PATTERN && !bad++)
        snprintf(why, sizeof why, "nzcv = %#llx", (unsigned long long)nzcv_got);
    if ((fpcr_got & FPCR_PATTERN) != FPCR_PATTERN && !bad++)
        snprintf(why, sizeof why, "fpcr = %#llx", (unsigned long long)fpcr_got);
    CHECKF(bad == 0 && handler_hits == 1, name, "%d registers differ, first %s; handler ran %d",
           bad, why, handler_hits);
}

int main(void)
{
    struct sigaction sa = { .sa_handler = scramble };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);

    /* Sync: x0 = pid, x1 = signal, x8 = kill's number, set after loading
     * the pattern; expected afterwards: x0 = 0 (kill's result), x8 and x1
     * as set. */
    fill_patterns(1);
    xpat[0] = getpid();
    xpat[1] = SIGUSR1;
    xpat[8] = SYS_kill;
    handler_hits = 0;
    __asm__ volatile(LOAD_ALL "svc #0\n" STORE_ALL ::: CLOBBERS);
    xpat[0] = 0;
    compare("sigregs.sync_kill", 0);

    /* Async: x15 counts down a bound on the spin, x16 = &sig_flag,
     * x17 the loaded flag. */
    fill_patterns(2);
    xpat[15] = 1ULL << 34;
    sig_flag = 0;
    handler_hits = 0;
    pid_t parent = getpid();
    pid_t k = fork();
    if (k == 0) {
        msleep(100);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    __asm__ volatile(LOAD_ALL
                     "adrp x16, sig_flag\n add x16, x16, :lo12:sig_flag\n"
                     "2: ldr w17, [x16]\n cbnz w17, 3f\n sub x15, x15, #1\n cbnz x15, 2b\n"
                     "3:\n" STORE_ALL ::: CLOBBERS);
    int st;
    waitpid(k, &st, 0);
    CHECKF(xgot[15] != 0 && sig_flag, "sigregs.async_delivered", "spin ended without the signal");
    compare("sigregs.async_spin", (1u << 15) | (1u << 16) | (1u << 17));
    return check_done();
}
