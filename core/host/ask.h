/* ask.h — starting the watcher (`monocache __watch`) and reading its answer.
 * Shared by the shim (inside the host program) and `monocache run`. Libc only. */
#ifndef MC_ASK_H
#define MC_ASK_H

#include <stddef.h>
#include <sys/types.h>

/* How long a starter waits for the watcher's answer. */
#define MC_ASK_TIMEOUT_MS 60000

/* Runs `helper __watch` with envp (stderr shared, nothing else) and waits
 * for its answer. Returns the answer's length (text in buf) with *hold_fd
 * the received holder descriptor or -1, and *go_between the process to reap
 * with mc_launch_reap once the watcher has ended; -1 with `why` filled if
 * the watcher could not be started or did not answer. */
long mc_ask_watcher(const char *helper, char *const envp[], char *buf, size_t size,
                    int *hold_fd, pid_t *go_between, char *why, size_t why_size);

#endif
