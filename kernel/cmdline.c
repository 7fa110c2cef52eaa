/* Kernel command line parsing (see cmdline.h).  The line is copied once
 * and split in place into at most CMDLINE_MAX_WORDS words. */
#include "cmdline.h"
#include "string.h"

#define CMDLINE_MAX_WORDS 64

static char line[CMDLINE_MAX];
static char words_buf[CMDLINE_MAX];
static const char *words[CMDLINE_MAX_WORDS];
static int nwords;
static const char *init_args[CMDLINE_MAX_WORDS + 1];
static int ninit_args;

void cmdline_init(const char *bootargs)
{
    strlcpy(line, bootargs ? bootargs : "", sizeof(line));
    memcpy(words_buf, line, sizeof(words_buf));
    nwords = ninit_args = 0;

    char *p = words_buf;
    bool for_init = false;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            *p++ = 0;
        if (!*p)
            break;
        char *start = p, *out = p;
        bool quoted = false;
        /* A word ends at unquoted white space; quotes are removed. */
        for (; *p && (quoted || (*p != ' ' && *p != '\t' && *p != '\n')); p++) {
            if (*p == '"')
                quoted = !quoted;
            else
                *out++ = *p;
        }
        bool more = *p != 0;
        if (more)
            p++;
        *out = 0;
        if (!for_init && strcmp(start, "--") == 0) {
            for_init = true;
            continue;
        }
        if (for_init) {
            if (ninit_args < CMDLINE_MAX_WORDS)
                init_args[ninit_args++] = start;
        } else if (nwords < CMDLINE_MAX_WORDS) {
            words[nwords++] = start;
        }
    }
    init_args[ninit_args] = NULL;
}

const char *cmdline_raw(void)
{
    return line;
}

const char *cmdline_get(const char *key)
{
    size_t klen = strlen(key);
    const char *found = NULL;

    for (int i = 0; i < nwords; i++) {
        if (strncmp(words[i], key, klen) != 0)
            continue;
        if (words[i][klen] == '=')
            found = words[i] + klen + 1;
        else if (words[i][klen] == 0)
            found = "";
    }
    return found;
}

uint64_t cmdline_get_uint(const char *key, uint64_t def)
{
    const char *v = cmdline_get(key);
    uint64_t n = 0;

    if (!v || !*v)
        return def;
    for (; *v; v++) {
        if (*v < '0' || *v > '9' || n > UINT64_MAX / 10 - 9)
            return def;
        n = n * 10 + (uint64_t)(*v - '0');
    }
    return n;
}

const char *const *cmdline_init_args(int *argc)
{
    if (argc)
        *argc = ninit_args;
    return init_args;
}
