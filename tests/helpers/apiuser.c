/* apiuser.c — a program linked with -lmonocache that uses the C API. */
#include "monocache.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t sigchld_seen;

static void on_sigchld(int sig)
{
    (void)sig;
    sigchld_seen++;
}

int main(int argc, char **argv)
{
    char value[256];
    char err[256];

    if (argc > 1 && strcmp(argv[1], "path") == 0) {
        printf("path %s\nid %s\n", monocache_path() ? monocache_path() : "(none)", monocache_id() ? monocache_id() : "(none)");
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "lock-counting-sigchld") == 0) {
        struct sigaction act;
        int rc;

        memset(&act, 0, sizeof(act));
        act.sa_handler = on_sigchld;
        sigaction(SIGCHLD, &act, NULL);
        rc = monocache_lock(err, sizeof(err));
        usleep(200000);
        printf("lock %d sigchld %d\n", rc, (int)sigchld_seen);
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "lock") == 0)
        return monocache_lock(err, sizeof(err)) == 0 ? 0 : (fprintf(stderr, "%s\n", err), 1);
    if (argc > 1 && strcmp(argv[1], "unlock") == 0)
        return monocache_unlock(err, sizeof(err)) == 0 ? 0 : (fprintf(stderr, "%s\n", err), 1);
    if (argc > 2 && strcmp(argv[1], "set-null") == 0)
        return monocache_meta_set(argv[2], NULL, err, sizeof(err)) == 0
                   ? 0 : (fprintf(stderr, "%s\n", err), 1);
    if (argc > 3 && strcmp(argv[1], "set") == 0)
        return monocache_meta_set(argv[2], argv[3], err, sizeof(err)) == 0
                   ? 0 : (fprintf(stderr, "%s\n", err), 1);
    if (argc > 2 && strcmp(argv[1], "get") == 0) {
        if (monocache_meta_get(argv[2], value, sizeof(value), err, sizeof(err)) != 0) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        printf("%s\n", value);
        return 0;
    }
    fprintf(stderr, "usage: apiuser path|lock|unlock|set KEY JSON|get KEY\n");
    return 2;
}
