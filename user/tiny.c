/* The smallest useful program: exits with status argv[1] (default 0).
 * Exec'ed by the leak test and the exec tests. */
#include <stdlib.h>

int main(int argc, char **argv)
{
    return argc > 1 ? atoi(argv[1]) : 0;
}
