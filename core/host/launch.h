/* launch.h — starting one of our helper programs from inside someone else's
 * process without that process noticing.
 *
 * The helper runs under a go-between process created with no exit signal
 * (a "clone" child): the program gets no SIGCHLD from us, its wait() and
 * waitpid(-1) never see our processes, and no pthread_atfork handler runs.
 * The go-between waits for the helper and passes its wait status back
 * through a pipe. The helper inherits only descriptors 0-3 as given.
 * Libc only. */
#ifndef MC_LAUNCH_H
#define MC_LAUNCH_H

#include <sys/types.h>

#define MC_LAUNCH_NONE (-1)

struct mc_launch {
    pid_t go_between;   /* our clone child; reaped by mc_launch_wait */
    int report_fd;      /* its reports: exec error or wait status */
};

/* fds[0..2] become the helper's 0, 1, 2 (MC_LAUNCH_NONE: /dev/null); fds[3]
 * becomes its descriptor 3 (MC_LAUNCH_NONE: closed). Returns 0, or -1 with
 * errno set. */
int mc_launch(const char *path, char *const argv[], char *const envp[], const int fds[4],
              struct mc_launch *launch);
/* Waits for the helper to end. 0 with *status its wait status; -1 with errno
 * set, to the exec's error if the helper could not be started. */
int mc_launch_wait(struct mc_launch *launch, int *status);
/* Reaps the go-between of a helper that has ended (a watcher, after the
 * release it was waited for), waiting up to wait_ms for it to exit; nothing
 * if it is not our child. Async-signal-safe: it runs in exit hooks. */
void mc_launch_reap(pid_t go_between, int wait_ms);

#endif
