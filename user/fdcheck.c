/* Helper exec'ed by t_fd: `fdcheck <open fd>... -- <closed fd>...` exits
 * 0 if every fd before `--` is open and every one after is closed (EBADF),
 * else 1 + the index of the first argument that was wrong.  Tests
 * close-on-exec from the inside of the new image. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    int want_open = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            want_open = 0;
            continue;
        }
        int r = fcntl(atoi(argv[i]), F_GETFD);
        int is_open = r >= 0;
        if (!is_open && errno != EBADF)
            return 100;
        if (is_open != want_open)
            return 1 + i;
    }
    return 0;
}
