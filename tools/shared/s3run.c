/* s3run.c — running monocache-s3 (see s3run.h). */
#include "s3run.h"
#include "common/buf.h"
#include "tool.h"
#include "host/install.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MC_S3_ARGS_MAX 8

#define MC_S3_LINE_MAX 4096

extern char **environ;

static char *tool_path(void)
{
    static const char *const here[] = { "", NULL };
    static const char *const names[] = { MC_S3_TOOL_NAME, NULL };

    return mc_find_installed("/proc/self/exe", here, names, X_OK, tool_bindir);
}

/* One line the tool wrote: a warning goes on to our stderr as it is; an
 * error is kept (the last one), without its "monocache: ", for the caller's
 * own line. */
static void take_line(char *line, char *said, size_t size)
{
    static const char prefix[] = "monocache: ";
    static const char warning[] = "monocache: warning: ";

    if (strncmp(line, warning, sizeof(warning) - 1) == 0) {
        size_t len = strlen(line);

        line[len] = '\n';
        if (write(STDERR_FILENO, line, len + 1) < 0) {
            /* nowhere to say it */
        }
        line[len] = '\0';
        return;
    }
    if (strncmp(line, prefix, sizeof(prefix) - 1) == 0)
        line += sizeof(prefix) - 1;
    if (*line)
        snprintf(said, size, "%s", line);
}

/* What a run waits for at most before it calls late() (once), then goes
 * on waiting. */
struct bound {
    long long timeout_ms;       /* 0: none */
    void (*late)(void *ctx);
    void *ctx;
};

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd can be read; past the bound's time, calls late() first. */
static void wait_readable(int fd, const struct bound *bound, long long deadline_ms, int *told)
{
    struct pollfd pfd = { fd, POLLIN, 0 };

    while (bound && bound->timeout_ms && !*told) {
        long long left = deadline_ms - now_ms();

        if (left <= 0) {
            *told = 1;
            bound->late(bound->ctx);
            return;
        }
        if (poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left) != 0)
            return;     /* readable, or an error read() will tell */
    }
}

/* The tool's stderr, line by line, until it ends. */
static void read_said(int fd, char *said, size_t size, const struct bound *bound)
{
    char buf[MC_S3_LINE_MAX];
    long long deadline_ms = bound ? now_ms() + bound->timeout_ms : 0;
    int told = 0;
    size_t len = 0;
    ssize_t got;
    char *nl;

    while (wait_readable(fd, bound, deadline_ms, &told),
           (got = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0) {
        len += (size_t)got;
        buf[len] = '\0';
        while ((nl = strchr(buf, '\n')) != NULL) {
            *nl = '\0';
            take_line(buf, said, size);
            len -= (size_t)(nl + 1 - buf);
            memmove(buf, nl + 1, len + 1);
        }
        if (len == sizeof(buf) - 1) {   /* a line too long: cut */
            take_line(buf, said, size);
            len = 0;
        }
    }
    if (len) {
        buf[len] = '\0';
        take_line(buf, said, size);
    }
}

/* The tool's figures line (MC_S3_REPORT_FORMAT) from its stdout, read to
 * its end. */
static void read_report(int fd, struct mc_s3_report *report)
{
    char buf[MC_S3_LINE_MAX];
    size_t len = 0;
    ssize_t got;
    const char *line;

    while ((got = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0 || (got < 0 && errno == EINTR))
        len += got > 0 ? (size_t)got : 0;
    buf[len] = '\0';
    line = strstr(buf, MC_S3_REPORT_WORD " ");
    report->got = line && sscanf(line, MC_S3_REPORT_FORMAT, &report->files, &report->bytes,
                                 &report->ms, &report->unchanged, &report->deleted) == 5;
}

static int run(const char *const *args, char *said, size_t size, const struct bound *bound,
               struct mc_s3_report *report, struct mc_err *err)
{
    int out_fds[2] = { -1, -1 };
    char *argv[MC_S3_ARGS_MAX + 2];
    char *path = tool_path();
    struct mc_s3_report unread;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t actions;
    int pipe_fds[2] = { -1, -1 };
    struct sigaction dfl, old_chld;
    sigset_t none;
    pid_t pid;
    int status;
    int rc;
    size_t i;

    if (!path) {
        mc_err_set(err, MC_S3_TOOL_NAME " not found next to monocache or in %s", tool_bindir);
        return -1;
    }
    /* push and pull end with their figures on stdout: never the caller's
     * own stdout (a program's output, gc --json), read if not wanted. */
    if (!report && args[0] && (strcmp(args[0], "push") == 0 || strcmp(args[0], "pull") == 0))
        report = &unread;
    argv[0] = (char *)MC_S3_TOOL_NAME;
    for (i = 0; args[i] && i < MC_S3_ARGS_MAX; i++)
        argv[i + 1] = (char *)args[i];
    argv[i + 1] = NULL;
    /* A program's blocked signals and handlers are not the tool's. */
    posix_spawnattr_init(&attr);
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    /* Its status is needed: SIGCHLD ignored (the watcher's) would lose it. */
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGCHLD, &dfl, &old_chld);
    if (said && pipe2(pipe_fds, O_CLOEXEC) != 0) {
        said = NULL;
        pipe_fds[0] = pipe_fds[1] = -1;
    }
    if (report) {
        memset(report, 0, sizeof(*report));
        if (pipe2(out_fds, O_CLOEXEC) != 0)
            out_fds[0] = out_fds[1] = -1;
    }
    posix_spawn_file_actions_init(&actions);
    if (said)
        posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
    if (out_fds[1] >= 0)
        posix_spawn_file_actions_adddup2(&actions, out_fds[1], STDOUT_FILENO);
    rc = posix_spawn(&pid, path, &actions, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (out_fds[1] >= 0)
        close(out_fds[1]);
    if (said) {
        close(pipe_fds[1]);
        if (rc == 0)
            read_said(pipe_fds[0], said, size, bound);
        close(pipe_fds[0]);
    }
    /* Its figures, one short line written as it ends: never more than a
     * pipe holds, so stderr is read first without a deadlock. */
    if (out_fds[0] >= 0) {
        if (rc == 0)
            read_report(out_fds[0], report);
        close(out_fds[0]);
    }
    if (rc != 0) {
        sigaction(SIGCHLD, &old_chld, NULL);
        mc_err_sys(err, rc, "%s", path);
        free(path);
        return -1;
    }
    free(path);
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            sigaction(SIGCHLD, &old_chld, NULL);
            mc_err_sys(err, errno, MC_S3_TOOL_NAME);
            return -1;
        }
    }
    sigaction(SIGCHLD, &old_chld, NULL);
    if (WIFSIGNALED(status)) {
        mc_err_set(err, MC_S3_TOOL_NAME " died of signal %d", WTERMSIG(status));
        return -1;
    }
    return WEXITSTATUS(status);
}

int mc_s3_tool_run(const char *const *args, struct mc_err *err)
{
    return run(args, NULL, 0, NULL, NULL, err);
}

int mc_s3_tool_run_report(const char *const *args, struct mc_s3_report *report,
                          struct mc_err *err)
{
    return run(args, NULL, 0, NULL, report, err);
}

int mc_s3_tool_run_quiet(const char *const *args, char *said, size_t size, struct mc_err *err)
{
    said[0] = '\0';
    return run(args, said, size, NULL, NULL, err);
}

int mc_s3_tool_run_bounded(const char *const *args, char *said, size_t size, int timeout_s,
                           void (*late)(void *ctx), void *ctx, struct mc_s3_report *report,
                           struct mc_err *err)
{
    struct bound bound = { late ? (long long)timeout_s * 1000 : 0, late, ctx };

    said[0] = '\0';
    return run(args, said, size, &bound, report, err);
}
