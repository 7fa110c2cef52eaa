/* Kernel random bytes (kernel/random.c): for AT_RANDOM, getrandom(2) and
 * /dev/urandom.  Not cryptographically strong on this machine (seeded from
 * the counter and the RTC; QEMU virt without virtio-rng has no better
 * source), but never repeats across boots in practice. */
#ifndef RANDOM_H
#define RANDOM_H

#include "kernel.h"

void random_bytes(void *buf, size_t n);

#endif
