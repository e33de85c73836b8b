/* launch.c — starting a helper the host program cannot observe (see
 * launch.h).
 *
 * parent --clone(no exit signal)--> go-between --clone(SIGCHLD)--> helper
 *
 * Both children are copies of the parent (no shared memory), made with the
 * raw system call so that no atfork handler runs, and they make only system
 * calls: the parent may have other threads holding locks. The go-between
 * never execs, so it stays a "clone" child: invisible to the program's
 * wait(), no SIGCHLD when it ends. (A clone child that execs becomes an
 * ordinary child again: that is why the helper is not our child directly.) */
#include "launch.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MC_LAUNCH_TEMP_FD_MIN 4     /* above the targets 0-3 */
#define MC_LAUNCH_CHILD_FDS 4
#define MC_LAUNCH_CLOSE_FALLBACK_MAX 65536
#define MC_LAUNCH_EXIT_REPORT_FAILED 126
#define MC_LAUNCH_EXIT_EXEC_FAILED 127
#define MC_REPORT_EXEC_FAILED 'E'
#define MC_REPORT_STATUS 'S'
#define MC_LAUNCH_REAP_PAUSE_NS 1000000L   /* 1 ms */
#define MC_LAUNCH_STAT_MAX 1024
#define MC_STAT_ARG_START 48                /* proc(5): arg_start, arg_end */
#define MC_STAT_ARG_END 49
#define MC_LAUNCH_GO_BETWEEN_TITLE "monocache: go-between of a watcher"
#define MC_LAUNCH_GO_BETWEEN_NAME "monocache-gb"

/* glibc's sigaction without our wrapper in front (the shim interposes it):
 * the system call alone would lack glibc's signal-return trampoline. */
extern int __sigaction(int sig, const struct sigaction *act, struct sigaction *old);

struct report {
    char kind;
    int value;
};

/* Async-signal-safe. */
static void send_report(int fd, char kind, int value)
{
    struct report report;

    memset(&report, 0, sizeof(report));     /* no stray padding bytes */
    report.kind = kind;
    report.value = value;
    if (mc_sys_write(fd, &report, sizeof(report)) != (long)sizeof(report))
        mc_sys_exit_group(MC_LAUNCH_EXIT_REPORT_FAILED);
}

/* Async-signal-safe. Closes every descriptor from `first` up (kernels before
 * 5.9 have no close_range: then one by one up to the open-file limit). */
static void close_from(int first)
{
    struct rlimit limit;
    long last = MC_LAUNCH_CLOSE_FALLBACK_MAX;
    long fd;

    if (mc_sys_close_range((unsigned int)first, ~0U, 0) == 0)
        return;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
        last = (long)limit.rlim_cur;
    for (fd = first; fd < last; fd++)
        mc_sys_close((int)fd);
}

/* In the helper, before exec: system calls only (async-signal-safe). */
static void become_helper(const char *path, char *const argv[], char *const envp[],
                          const int fds[4], int report_fd, const sigset_t *program_mask)
{
    int temp[MC_LAUNCH_CHILD_FDS];
    int i;

    /* Move every source above the targets first, so that installing one
     * target cannot clobber another source. */
    for (i = 0; i < MC_LAUNCH_CHILD_FDS; i++) {
        temp[i] = fds[i] < 0 ? -1 : mc_sys_fcntl(fds[i], F_DUPFD, MC_LAUNCH_TEMP_FD_MIN);
        if (fds[i] >= 0 && temp[i] < 0)
            goto failed;
    }
    for (i = 0; i < MC_LAUNCH_CHILD_FDS; i++) {
        if (temp[i] < 0)
            mc_sys_close(i);
        else if (mc_sys_dup2(temp[i], i) < 0)
            goto failed;
    }
    /* The report pipe is close-on-exec: keep it until the exec succeeds. */
    if (report_fd < MC_LAUNCH_CHILD_FDS)
        goto failed;
    if (report_fd > MC_LAUNCH_CHILD_FDS)
        mc_sys_close_range(MC_LAUNCH_CHILD_FDS, (unsigned int)report_fd - 1, 0);
    close_from(report_fd + 1);
    mc_sys_sigmask(SIG_SETMASK, program_mask, NULL);
    mc_sys_execve(path, argv, envp);
failed:
    send_report(report_fd, MC_REPORT_EXEC_FAILED, errno ? errno : EINVAL);
    mc_sys_exit_group(MC_LAUNCH_EXIT_EXEC_FAILED);
}

/* Field `n` (1-based) of /proc/self/stat as a number, from the text after
 * the command name's closing ')' (field 3 on). Async-signal-safe. */
static unsigned long stat_field(const char *after_name, int n)
{
    const char *p = after_name;
    unsigned long value = 0;
    int field = 3;

    while (*p && field < n) {
        if (*p++ == ' ')
            field++;
    }
    while (*p >= '0' && *p <= '9')
        value = value * 10 + (unsigned long)(*p++ - '0');
    return value;
}

/* The go-between is a copy of the program: without a title of its own, ps
 * shows the program's command line (`monocache run ...`) as long as the
 * cache lives, as if the program still ran. Writes `title` over its copy of
 * the argument strings (arg_start..arg_end in /proc/self/stat), and the
 * process name. Async-signal-safe: system calls and stores. */
static void retitle(const char *title)
{
    char text[MC_LAUNCH_STAT_MAX];
    const char *close_paren = NULL;
    unsigned long start, end, i;
    long got = -1;
    int fd = mc_sys_open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    char *args;

    mc_sys6(SYS_prctl, PR_SET_NAME, (long)MC_LAUNCH_GO_BETWEEN_NAME, 0, 0, 0, 0);
    if (fd >= 0) {
        got = mc_sys_read(fd, text, sizeof(text) - 1);
        mc_sys_close(fd);
    }
    if (got <= 0)
        return;
    text[got] = '\0';
    for (i = 0; i < (unsigned long)got; i++) {
        if (text[i] == ')')
            close_paren = text + i;
    }
    if (!close_paren)
        return;
    start = stat_field(close_paren + 2, MC_STAT_ARG_START);
    end = stat_field(close_paren + 2, MC_STAT_ARG_END);
    if (!start || end <= start)
        return;
    args = (char *)start;
    for (i = 0; i + 1 < end - start && title[i]; i++)
        args[i] = title[i];
    for (; i < end - start; i++)
        args[i] = '\0';
}

/* In the go-between: start the helper, wait for it, report. All signals are
 * blocked here (the program's handlers must not run in our process), and
 * SIGCHLD is set to its default: if the program ignores it, the kernel would
 * reap the helper before we could wait for it. Async-signal-safe. */
static void go_between(const char *path, char *const argv[], char *const envp[],
                       const int fds[4], int report_fd, const sigset_t *program_mask)
{
    struct sigaction dfl;
    long helper;
    int status = 0;
    long done;

    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    __sigaction(SIGCHLD, &dfl, NULL);
    helper = mc_sys_clone(SIGCHLD);
    if (helper == 0)
        become_helper(path, argv, envp, fds, report_fd, program_mask);
    if (helper < 0) {
        send_report(report_fd, MC_REPORT_EXEC_FAILED, errno);
        mc_sys_exit_group(MC_LAUNCH_EXIT_EXEC_FAILED);
    }
    /* Only now: the helper's arguments may point into the program's own
     * argument strings, which the title overwrites (in our copy). */
    retitle(MC_LAUNCH_GO_BETWEEN_TITLE);
    /* We may live as long as the helper (a watcher: the cache's whole life):
     * keep nothing of the program's open, or a pipe it had would stay open
     * and `out=$(program)` would wait for us. */
    if (report_fd > 0)
        mc_sys_close_range(0U, (unsigned int)report_fd - 1, 0);
    close_from(report_fd + 1);
    do {
        done = mc_sys_wait4((pid_t)helper, &status, 0);
    } while (done < 0 && errno == EINTR);
    send_report(report_fd, MC_REPORT_STATUS,
                done == helper ? status : W_EXITCODE(MC_LAUNCH_EXIT_EXEC_FAILED, 0));
    mc_sys_exit_group(0);
}

int mc_launch(const char *path, char *const argv[], char *const envp[], const int fds[4],
              struct mc_launch *launch)
{
    int helper_fds[MC_LAUNCH_CHILD_FDS];
    sigset_t program_mask;
    int report[2];
    int devnull = -1;
    long child;
    int saved;
    int i;

    for (i = 0; i < MC_LAUNCH_CHILD_FDS; i++) {
        helper_fds[i] = fds[i];
        if (i < 3 && fds[i] == MC_LAUNCH_NONE) {
            if (devnull < 0)
                devnull = mc_sys_open("/dev/null", O_RDWR | O_CLOEXEC);
            if (devnull < 0)
                return -1;
            helper_fds[i] = devnull;
        }
    }
    if (mc_sys_pipe2(report, O_CLOEXEC) != 0) {
        saved = errno;
        if (devnull >= 0)
            mc_sys_close(devnull);
        errno = saved;
        return -1;
    }
    sigemptyset(&program_mask);
    mc_sys_block_all(&program_mask);
    /* No exit signal: a "clone" child. */
    child = mc_sys_clone(0);
    if (child == 0) {
        mc_sys_close(report[0]);
        go_between(path, argv, envp, helper_fds, report[1], &program_mask);
    }
    saved = errno;
    mc_sys_sigmask(SIG_SETMASK, &program_mask, NULL);
    mc_sys_close(report[1]);
    if (devnull >= 0)
        mc_sys_close(devnull);
    if (child < 0) {
        mc_sys_close(report[0]);
        errno = saved;
        return -1;
    }
    launch->go_between = (pid_t)child;
    launch->report_fd = report[0];
    return 0;
}

int mc_launch_wait(struct mc_launch *launch, int *status)
{
    struct report report;
    int exec_errno = 0;
    int have_status = 0;
    long got;

    for (;;) {
        got = mc_sys_read(launch->report_fd, &report, sizeof(report));
        if (got < 0 && errno == EINTR)
            continue;
        if (got != (long)sizeof(report))
            break;
        if (report.kind == MC_REPORT_EXEC_FAILED)
            exec_errno = report.value;
        else if (report.kind == MC_REPORT_STATUS) {
            *status = report.value;
            have_status = 1;
        }
    }
    mc_sys_close(launch->report_fd);
    while (mc_sys_wait4(launch->go_between, NULL, __WCLONE) < 0 && errno == EINTR)
        ;
    if (exec_errno) {
        errno = exec_errno;
        return -1;
    }
    if (!have_status) {
        errno = ECHILD;
        return -1;
    }
    return 0;
}

/* Waits up to wait_ms for the go-between to end, exactly (its pidfd turns
 * readable when it does). 0, or -1: no pidfds here (before Linux 5.3). */
static int wait_for_end(pid_t go_between, int wait_ms)
{
    struct timespec until = { wait_ms / 1000, (long)(wait_ms % 1000) * 1000000L };
    struct pollfd ready;
    int fd = mc_sys_pidfd_open(go_between);

    if (fd < 0)
        return -1;
    ready.fd = fd;
    ready.events = POLLIN;
    ready.revents = 0;
    while (mc_sys_ppoll(&ready, 1, &until) < 0 && errno == EINTR)
        ;
    mc_sys_close(fd);
    return 0;
}

/* Async-signal-safe. */
void mc_launch_reap(pid_t go_between, int wait_ms)
{
    struct timespec pause = { 0, MC_LAUNCH_REAP_PAUSE_NS };
    int waited;
    long done;

    if (go_between <= 0)
        return;
    if (wait_for_end(go_between, wait_ms) == 0) {
        mc_sys_wait4(go_between, NULL, __WCLONE | WNOHANG);
        return;
    }
    for (waited = 0; waited <= wait_ms; waited++) {
        done = mc_sys_wait4(go_between, NULL, __WCLONE | WNOHANG);
        if (done != 0 && !(done < 0 && errno == EINTR))
            return;     /* reaped, or not our child (any more) */
        mc_sys_nanosleep(&pause);
    }
}
