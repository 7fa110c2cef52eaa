/* A byte ring of fixed capacity: TCP's send and receive buffers.  Not
 * locked; its owner's lock protects it.  Offsets count from the oldest
 * byte, so a sender can re-read unacknowledged data (rb_peek) before it
 * is dropped (rb_drop). */
#ifndef RINGBUF_H
#define RINGBUF_H

#include "kernel.h"

struct ringbuf {
    uint8_t *buf;
    size_t size;        /* capacity in bytes */
    size_t head;        /* index of the oldest byte */
    size_t len;         /* bytes held */
};

/* Allocates the storage; returns 0 or -ENOMEM. */
int rb_alloc(struct ringbuf *rb, size_t size);
void rb_release(struct ringbuf *rb);

static inline size_t rb_len(const struct ringbuf *rb) { return rb->len; }
static inline size_t rb_space(const struct ringbuf *rb)
{
    return rb->size - rb->len;
}

/* Appends up to n bytes; returns how many fit. */
size_t rb_write(struct ringbuf *rb, const void *src, size_t n);
/* Copies up to n bytes starting off bytes after the oldest one, without
 * removing them; returns the count copied. */
size_t rb_peek(const struct ringbuf *rb, size_t off, void *dst, size_t n);
/* Removes up to n of the oldest bytes; returns the count removed. */
size_t rb_drop(struct ringbuf *rb, size_t n);
/* rb_peek from offset 0, then rb_drop. */
size_t rb_read(struct ringbuf *rb, void *dst, size_t n);

#endif
