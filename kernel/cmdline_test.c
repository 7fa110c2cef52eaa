/* Tests of command line parsing, including junk. */
#include "cmdline.h"
#include "ktest.h"
#include "string.h"

KTEST(cmdline, parse)
{
    char saved[CMDLINE_MAX];
    strlcpy(saved, cmdline_raw(), sizeof(saved));

    cmdline_init("a=1 flag  b=\"x y\" a=2 tick_hz=abc -- init1 --x");
    KT_EXPECT(t, strcmp(cmdline_get("a") ?: "?", "2") == 0, "last a wins");
    KT_EXPECT(t, strcmp(cmdline_get("flag") ?: "?", "") == 0, "bare flag");
    KT_EXPECT(t, strcmp(cmdline_get("b") ?: "?", "x y") == 0, "quoted value");
    KT_EXPECT(t, cmdline_get("fla") == NULL, "prefix matched");
    KT_EXPECT(t, cmdline_get_uint("tick_hz", 7) == 7, "junk number accepted");
    KT_EXPECT(t, cmdline_get("init1") == NULL, "init arg seen as kernel arg");
    int argc;
    const char *const *argv = cmdline_init_args(&argc);
    KT_EXPECT(t, argc == 2 && strcmp(argv[0], "init1") == 0 &&
                 strcmp(argv[1], "--x") == 0, "init args (%d)", argc);

    /* Junk: overlong, unbalanced quote, control characters. */
    char junk[CMDLINE_MAX + 100];
    memset(junk, 'x', sizeof(junk) - 1);
    junk[sizeof(junk) - 1] = 0;
    cmdline_init(junk);
    KT_EXPECT(t, strlen(cmdline_raw()) == CMDLINE_MAX - 1, "not truncated");
    cmdline_init("\"unterminated a=1 =  = \x01\x02 ==");
    KT_EXPECT(t, cmdline_get("a") == NULL, "quoted key leaked");
    cmdline_init(NULL);
    KT_EXPECT(t, cmdline_get("a") == NULL, "empty line has keys");

    cmdline_init(saved);
}
