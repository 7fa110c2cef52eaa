/* Intrusive doubly linked lists. */
#ifndef LIST_H
#define LIST_H

#include "kernel.h"

struct list_head {
    struct list_head *next, *prev;
};

#define LIST_HEAD_INIT(name) { &(name), &(name) }

static inline void list_init(struct list_head *h)
{
    h->next = h;
    h->prev = h;
}

static inline bool list_empty(const struct list_head *h)
{
    return h->next == h;
}

static inline void list_insert(struct list_head *n, struct list_head *prev,
                               struct list_head *next)
{
    n->next = next;
    n->prev = prev;
    prev->next = n;
    next->prev = n;
}

static inline void list_add(struct list_head *n, struct list_head *h)
{
    list_insert(n, h, h->next);
}

static inline void list_add_tail(struct list_head *n, struct list_head *h)
{
    list_insert(n, h->prev, h);
}

static inline void list_del(struct list_head *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->next = n;
    n->prev = n;
}

#define list_entry(p, type, member) container_of(p, type, member)
#define list_first(h, type, member) list_entry((h)->next, type, member)
#define list_for_each(pos, h) \
    for ((pos) = (h)->next; (pos) != (h); (pos) = (pos)->next)
#define list_for_each_safe(pos, n, h) \
    for ((pos) = (h)->next, (n) = (pos)->next; (pos) != (h); \
         (pos) = (n), (n) = (pos)->next)

#endif
