/* The kernel command line (DTB /chosen/bootargs), Linux style:
 * space-separated `key` or `key=value` words; values may be double-quoted;
 * everything after a lone `--` is for init.  Junk is tolerated: overlong
 * words are truncated, unknown keys are ignored. */
#ifndef CMDLINE_H
#define CMDLINE_H

#include "kernel.h"

#define CMDLINE_MAX 1024

void cmdline_init(const char *bootargs);
const char *cmdline_raw(void);
/* Value of key ("" for a bare key), NULL if absent.  The last one wins. */
const char *cmdline_get(const char *key);
/* Unsigned decimal value of key, or def when absent or not a number. */
uint64_t cmdline_get_uint(const char *key, uint64_t def);
/* Words after "--", for init; count in *argc. */
const char *const *cmdline_init_args(int *argc);

#endif
