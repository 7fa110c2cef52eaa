/* Kernel random bytes: SipHash-2-4 in counter mode, keyed at first use
 * from the counter, the RTC and the jitter of timing a few loops.  On QEMU
 * virt without virtio-rng that seed is weak (an observer who knows the boot
 * time could guess it), so this is not a cryptographic source; it is enough
 * for AT_RANDOM, stack canaries and getrandom's non-critical users. */
#include "random.h"
#include "spinlock.h"
#include "string.h"
#include "time.h"

#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

static uint64_t key0, key1, counter;
static bool seeded;
/* Protects the key and counter; any context. */
static struct spinlock rnd_lock = SPINLOCK_INIT("random");

static void sipround(uint64_t v[4])
{
    v[0] += v[1]; v[1] = ROTL(v[1], 13); v[1] ^= v[0]; v[0] = ROTL(v[0], 32);
    v[2] += v[3]; v[3] = ROTL(v[3], 16); v[3] ^= v[2];
    v[0] += v[3]; v[3] = ROTL(v[3], 21); v[3] ^= v[0];
    v[2] += v[1]; v[1] = ROTL(v[1], 17); v[1] ^= v[2]; v[2] = ROTL(v[2], 32);
}

/* SipHash-2-4 of one 64-bit word (Aumasson & Bernstein, 2012). */
static uint64_t siphash(uint64_t m)
{
    uint64_t v[4] = { key0 ^ 0x736f6d6570736575ULL, key1 ^ 0x646f72616e646f6dULL,
                      key0 ^ 0x6c7967656e657261ULL, key1 ^ 0x7465646279746573ULL };
    uint64_t b = 8ULL << 56;

    v[3] ^= m;
    sipround(v); sipround(v);
    v[0] ^= m;
    v[3] ^= b;
    sipround(v); sipround(v);
    v[0] ^= b;
    v[2] ^= 0xff;
    sipround(v); sipround(v); sipround(v); sipround(v);
    return v[0] ^ v[1] ^ v[2] ^ v[3];
}

static void seed(void)
{
    uint64_t jitter = 0;

    for (int i = 0; i < 64; i++) {
        uint64_t t0 = time_counter();
        for (volatile int k = 0; k < 100; k++)
            ;
        jitter = ROTL(jitter, 7) ^ (time_counter() - t0);
    }
    key0 = time_counter() ^ ROTL(rtc_epoch_seconds(), 32);
    key1 = jitter ^ 0x9e3779b97f4a7c15ULL;
    seeded = true;
}

void random_bytes(void *buf, size_t n)
{
    uint8_t *out = buf;
    uint64_t flags = spin_lock_irqsave(&rnd_lock);

    if (!seeded)
        seed();
    while (n) {
        uint64_t r = siphash(counter++ ^ time_counter());
        size_t k = MIN(n, sizeof(r));
        memcpy(out, &r, k);
        out += k;
        n -= k;
    }
    spin_unlock_irqrestore(&rnd_lock, flags);
}
