/* launch.h — starting one of our helper programs from inside someone else's
 * process without that process noticing.
 *
 * The child is created with clone(CLONE_VM | CLONE_VFORK) and no exit signal:
 * the program gets no SIGCHLD, its wait()/waitpid(-1) never see the child, no
 * pthread_atfork handlers run, and the child inherits only descriptors 0-3 as
 * given. Reap it with mc_launch_wait(). Libc only. */
#ifndef MC_LAUNCH_H
#define MC_LAUNCH_H

#include <sys/types.h>

#define MC_LAUNCH_NONE (-1)

/* fds[0..2] become the child's 0, 1, 2 (MC_LAUNCH_NONE: /dev/null); fds[3]
 * becomes its descriptor 3 (MC_LAUNCH_NONE: closed). Everything else is closed.
 * Returns 0 with *pid set, or -1 with errno set (an exec failure sets errno to
 * the exec's error and reaps the child). */
int mc_launch(const char *path, char *const argv[], char *const envp[],
             const int fds[4], pid_t *pid);
/* Waits for a child started by mc_launch; 0 with *status set, -1 on error. */
int mc_launch_wait(pid_t pid, int *status);

#endif
