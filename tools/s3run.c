/* s3run.c — running monocache-s3 (see s3run.h). */
#include "s3run.h"
#include "buf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MC_S3_ARGS_MAX 8

extern char **environ;

static char *tool_path(void)
{
    char *self = realpath("/proc/self/exe", NULL);
    char *slash = self ? strrchr(self, '/') : NULL;
    char *path = NULL;

    if (slash) {
        *slash = '\0';
        path = mc_concat(self, "/" MC_S3_TOOL_NAME, NULL);
        if (path && access(path, X_OK) != 0) {
            free(path);
            path = NULL;
        }
    }
    free(self);
    if (!path) {
        path = mc_concat(MC_BINDIR, "/" MC_S3_TOOL_NAME, NULL);
        if (path && access(path, X_OK) != 0) {
            free(path);
            path = NULL;
        }
    }
    return path;
}

/* Its first line of stderr, read from the pipe until the tool ends. */
static void read_said(int fd, char *said, size_t size)
{
    size_t len = 0;
    ssize_t got;
    char skip[256];
    char *nl;

    while (len + 1 < size && (got = read(fd, said + len, size - 1 - len)) > 0)
        len += (size_t)got;
    while (read(fd, skip, sizeof(skip)) > 0)
        ;
    said[len] = '\0';
    nl = strchr(said, '\n');
    if (nl)
        *nl = '\0';
    if (strncmp(said, "monocache: ", 11) == 0)
        memmove(said, said + 11, strlen(said + 11) + 1);
}

static int run(const char *const *args, char *said, size_t size, struct mc_err *err)
{
    char *argv[MC_S3_ARGS_MAX + 2];
    char *path = tool_path();
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
        mc_err_set(err, MC_S3_TOOL_NAME " not found next to monocache or in " MC_BINDIR);
        return -1;
    }
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
    posix_spawn_file_actions_init(&actions);
    if (said)
        posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
    rc = posix_spawn(&pid, path, &actions, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (said) {
        close(pipe_fds[1]);
        if (rc == 0)
            read_said(pipe_fds[0], said, size);
        close(pipe_fds[0]);
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
    return run(args, NULL, 0, err);
}

int mc_s3_tool_run_quiet(const char *const *args, char *said, size_t size, struct mc_err *err)
{
    said[0] = '\0';
    return run(args, said, size, err);
}
