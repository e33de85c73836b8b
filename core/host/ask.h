/* ask.h — starting the watcher (`monocache __watch`) and reading its answer.
 * Shared by the shim (inside the host program) and `monocache run`. Libc only. */
#ifndef MC_ASK_H
#define MC_ASK_H

#include "proto.h"

#include <stddef.h>
#include <sys/types.h>

/* How long a starter waits for the watcher's answer, or for the next of
 * the "busy" messages a watcher sends while it works (a download from S3
 * takes as long as it takes; a watcher alive but silent this long is stuck). */
#ifndef MC_ASK_TIMEOUT_MS     /* tests build with it shorter */
#define MC_ASK_TIMEOUT_MS 60000
#endif

#define MC_ASK_WHY_MAX (MC_PATH_MAX + 128)
/* The watcher's third argument, which it overwrites with "of <cache id>"
 * (a title for ps): as many blanks as the longest. */
#define MC_ASK_TITLE_ROOM "                                                                " \
    "                                                                      "

/* What came with the answer, or why there was none. */
struct mc_asked {
    int hold_fd;        /* the received holder descriptor, or -1 */
    pid_t go_between;   /* to reap with mc_launch_reap once the watcher has ended */
    int errnum;         /* no answer: the errno of what failed (0: the watcher ended) */
    char why[MC_ASK_WHY_MAX];   /* no answer: one line saying why */
};

/* Runs `helper __watch` with envp (stderr shared, nothing else) and waits
 * for its answer. Returns the answer's length (text in buf), or -1 with
 * asked->why and asked->errnum filled if the watcher could not be started
 * or did not answer. */
long mc_ask_watcher(const char *helper, char *const envp[], char *buf, size_t size,
                    struct mc_asked *asked);

#endif
