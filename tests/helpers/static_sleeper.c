/* static_sleeper.c — built with -static, so LD_PRELOAD cannot enter it: the
 * "programs the preload cannot enter" case. Sleeps, writes a file into
 * $MONOCACHE_PATH, exits. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    const char *dir = getenv("MONOCACHE_PATH");
    char path[4096];
    FILE *file;

    usleep((useconds_t)(argc > 1 ? atof(argv[1]) * 1e6 : 0));
    if (!dir)
        return 3;
    snprintf(path, sizeof(path), "%s/static", dir);
    file = fopen(path, "w");
    if (!file)
        return 4;
    fputs("written\n", file);
    return fclose(file) == 0 ? 0 : 5;
}
