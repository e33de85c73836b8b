/* ask.c — start the watcher and read its answer (see ask.h). */
#include "ask.h"
#include "sys.h"
#include "reply.h"
#include "launch.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Fills the reason for no answer, keeping errno's value for the caller. */
static long no_answer(struct mc_asked *asked, int errnum, const char *what, const char *helper)
{
    asked->errnum = errnum;
    if (errnum)
        snprintf(asked->why, sizeof(asked->why), "%s%s: %s", what, helper, strerror(errnum));
    else
        snprintf(asked->why, sizeof(asked->why), "%s%s", what, helper);
    return -1;
}

long mc_ask_watcher(const char *helper, char *const envp[], char *buf, size_t size,
                    struct mc_asked *asked)
{
    /* Room for the watcher to write its cache's name in, for ps. */
    char *argv[] = { "monocache", "__watch", MC_ASK_TITLE_ROOM, NULL };
    int fds[4] = { MC_LAUNCH_NONE, MC_LAUNCH_NONE, 2, -1 };
    struct mc_launch launch;
    int pair[2];
    int status;
    int errnum;
    long got;

    asked->hold_fd = -1;
    asked->go_between = -1;
    asked->errnum = 0;
    asked->why[0] = '\0';
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
        return no_answer(asked, errno, "cannot start the watcher: socketpair", "");
    fds[3] = pair[1];
    if (mc_launch(helper, argv, envp, fds, &launch) != 0) {
        errnum = errno;
        mc_sys_close(pair[0]);
        mc_sys_close(pair[1]);
        return no_answer(asked, errnum, "cannot start the watcher ", helper);
    }
    mc_sys_close(pair[1]);
    do {
        got = mc_reply_recv(pair[0], buf, size, &asked->hold_fd, MC_ASK_TIMEOUT_MS);
    } while (mc_reply_is_busy(buf, got) && asked->hold_fd < 0);
    errnum = got < 0 ? errno : 0;
    if (got > 0 && mc_reply_wait_closed(pair[0], MC_ASK_TIMEOUT_MS) != 0) {
        errnum = errno;
        if (asked->hold_fd >= 0)
            mc_sys_close(asked->hold_fd);
        asked->hold_fd = -1;
        got = -1;
    }
    if (got > 0) {
        /* The watcher lives on under its go-between, ours to reap once the
         * release we wait for at our end is done (mc_launch_reap). */
        mc_sys_close(launch.report_fd);
        mc_sys_close(pair[0]);
        asked->go_between = launch.go_between;
        return got;
    }
    mc_sys_close(pair[0]);
    if (got < 0) {
        mc_sys_kill(launch.go_between, SIGKILL);
        mc_launch_wait(&launch, &status);
        return no_answer(asked, errnum, "no answer from the watcher ", helper);
    }
    if (mc_launch_wait(&launch, &status) != 0)
        return no_answer(asked, errno, "cannot start the watcher ", helper);
    snprintf(asked->why, sizeof(asked->why), "the watcher %s exited without answering", helper);
    return -1;
}
