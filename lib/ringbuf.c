/* Byte rings (include/ringbuf.h).  Copies are split at most in two at the
 * wrap point. */
#include "ringbuf.h"
#include "mm.h"
#include "string.h"

int rb_alloc(struct ringbuf *rb, size_t size)
{
    rb->buf = size ? kmalloc(size) : NULL;
    if (size && !rb->buf)
        return -ENOMEM;
    rb->size = size;
    rb->head = 0;
    rb->len = 0;
    return 0;
}

void rb_release(struct ringbuf *rb)
{
    kfree(rb->buf);
    rb->buf = NULL;
    rb->size = rb->head = rb->len = 0;
}

size_t rb_write(struct ringbuf *rb, const void *src, size_t n)
{
    const uint8_t *s = src;

    n = MIN(n, rb_space(rb));
    size_t tail = (rb->head + rb->len) % (rb->size ? rb->size : 1);
    size_t first = MIN(n, rb->size - tail);
    memcpy(rb->buf + tail, s, first);
    memcpy(rb->buf, s + first, n - first);
    rb->len += n;
    return n;
}

size_t rb_peek(const struct ringbuf *rb, size_t off, void *dst, size_t n)
{
    uint8_t *d = dst;

    if (off >= rb->len)
        return 0;
    n = MIN(n, rb->len - off);
    size_t start = (rb->head + off) % rb->size;
    size_t first = MIN(n, rb->size - start);
    memcpy(d, rb->buf + start, first);
    memcpy(d + first, rb->buf, n - first);
    return n;
}

size_t rb_drop(struct ringbuf *rb, size_t n)
{
    n = MIN(n, rb->len);
    rb->len -= n;
    rb->head = rb->len ? (rb->head + n) % rb->size : 0;
    return n;
}

size_t rb_read(struct ringbuf *rb, void *dst, size_t n)
{
    return rb_drop(rb, rb_peek(rb, 0, dst, n));
}
