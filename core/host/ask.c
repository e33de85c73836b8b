/* ask.c — start the watcher and read its answer (see ask.h). */
#include "ask.h"
#include "reply.h"
#include "launch.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

long mc_ask_watcher(const char *helper, char *const envp[], char *buf, size_t size,
                    int *hold_fd, pid_t *go_between, char *why, size_t why_size)
{
    char *argv[] = { "monocache", "__watch", NULL };
    int fds[4] = { MC_LAUNCH_NONE, MC_LAUNCH_NONE, 2, -1 };
    struct mc_launch launch;
    int pair[2];
    int status;
    long got;

    *hold_fd = -1;
    *go_between = -1;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
        snprintf(why, why_size, "cannot start the watcher: socketpair: %s", strerror(errno));
        return -1;
    }
    fds[3] = pair[1];
    if (mc_launch(helper, argv, envp, fds, &launch) != 0) {
        snprintf(why, why_size, "cannot start the watcher %s: %s", helper, strerror(errno));
        close(pair[0]);
        close(pair[1]);
        return -1;
    }
    close(pair[1]);
    got = mc_reply_recv(pair[0], buf, size, hold_fd, MC_ASK_TIMEOUT_MS);
    if (got > 0 && mc_reply_wait_closed(pair[0], MC_ASK_TIMEOUT_MS) != 0) {
        if (*hold_fd >= 0)
            close(*hold_fd);
        *hold_fd = -1;
        got = -1;
    }
    if (got > 0) {
        /* The watcher lives on under its go-between, ours to reap once the
         * release we wait for at our end is done (mc_launch_reap). */
        close(launch.report_fd);
        close(pair[0]);
        *go_between = launch.go_between;
        return got;
    }
    if (got < 0)
        snprintf(why, why_size, "no answer from the watcher %s: %s", helper, strerror(errno));
    if (got < 0)
        kill(launch.go_between, SIGKILL);
    if (mc_launch_wait(&launch, &status) != 0 && got == 0)
        snprintf(why, why_size, "cannot start the watcher %s: %s", helper, strerror(errno));
    else if (got == 0)
        snprintf(why, why_size, "the watcher %s exited without answering", helper);
    close(pair[0]);
    return got > 0 ? got : -1;
}
