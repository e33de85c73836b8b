/* supervise.c — monocache run as the program's parent: starting it (in the
 * terminal's foreground group or a group of its own), passing on the
 * signals run is sent, reaping orphans as an init, and ending as the
 * program ended (see supervise.h). tini's whole job, and nothing else. */
#include "supervise.h"
#include "common/log.h"
#include "host/proto.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MC_INIT_PID 1
#define MC_INIT_GRACE_MS 5000
#define MC_INIT_POLL_MS 10
#define MC_INIT_CHILDREN_MAX 4096

static const int forwarded_signals[] = {
    SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGWINCH,
};

static volatile pid_t program_pid;

/* SIGCHLD as run found it: the program gets it back. */
static struct sigaction inherited_sigchld;

static void forward(int sig, siginfo_t *info, void *context)
{
    pid_t pid = program_pid;

    (void)context;
    /* Terminal signals (si_code > 0) reached the program already. */
    if (pid > 0 && info->si_code <= 0)
        kill(pid, sig);
}

/* The dispositions run found, restored when it stops forwarding. */
static struct sigaction found_actions[sizeof(forwarded_signals) / sizeof(forwarded_signals[0])];

/* Passes the listed signals on to the program, except those run was started
 * ignoring (nohup, a background job): those stay ignored, for the program
 * too, as they would be without run. */
void supervise_forwarding(int on)
{
    struct sigaction action;
    size_t i;

    memset(&action, 0, sizeof(action));
    action.sa_sigaction = forward;
    action.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&action.sa_mask);
    for (i = 0; i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++) {
        if (!on) {
            sigaction(forwarded_signals[i], &found_actions[i], NULL);
            continue;
        }
        if (sigaction(forwarded_signals[i], NULL, &found_actions[i]) == 0 &&
            found_actions[i].sa_handler != SIG_IGN)
            sigaction(forwarded_signals[i], &action, NULL);
    }
}

/* 1 if run is the foreground job of its controlling terminal: then the
 * program shares its process group, so that terminal signals and job
 * control (Ctrl-C, Ctrl-Z) reach it directly. Anywhere else the program gets
 * a process group of its own: a signal sent to run's group (a supervisor,
 * `kill %job`) reaches the program once, through run, not twice. */
static int in_foreground(void)
{
    int tty = open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC);
    int foreground = tty >= 0 && tcgetpgrp(tty) == getpgrp();

    if (tty >= 0)
        close(tty);
    return foreground;
}

int supervise_exec_status(int errnum)
{
    return errnum == ENOENT ? MC_EXIT_NOT_FOUND : MC_EXIT_CANNOT_EXEC;
}

/* Starts the program; 0 with program_pid set, or an exit status. */
int supervise_start(char **program)
{
    int own_group = !in_foreground();
    sigset_t all;
    sigset_t old;
    int report[2];
    int errnum = 0;
    ssize_t got;
    pid_t pid;

    if (pipe2(report, O_CLOEXEC) != 0) {
        mc_log_always(MC_LOG_ERROR, "cannot start %s: pipe: %s", program[0], strerror(errno));
        return MC_EXIT_OWN_ERROR;
    }
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    pid = fork();
    if (pid == 0) {
        if (own_group)
            setpgid(0, 0);
        sigaction(SIGCHLD, &inherited_sigchld, NULL);
        sigprocmask(SIG_SETMASK, &old, NULL);
        close(report[0]);
        execvp(program[0], program);
        errnum = errno;
        if (write(report[1], &errnum, sizeof(errnum)) < 0)
            _exit(MC_EXIT_CANNOT_EXEC);
        _exit(supervise_exec_status(errnum));
    }
    errnum = errno;
    if (pid > 0) {
        program_pid = pid;
        if (own_group)
            setpgid(pid, pid);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(report[1]);
    if (pid < 0) {
        close(report[0]);
        mc_log_always(MC_LOG_ERROR, "cannot start %s: fork: %s", program[0], strerror(errnum));
        return MC_EXIT_OWN_ERROR;
    }
    do {
        got = read(report[0], &errnum, sizeof(errnum));
    } while (got < 0 && errno == EINTR);
    close(report[0]);
    if (got == (ssize_t)sizeof(errnum)) {
        mc_log_always(MC_LOG_ERROR, "%s: %s", program[0], strerror(errnum));
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        program_pid = 0;
        return supervise_exec_status(errnum);
    }
    return 0;
}

/* The program's wait status. As an init (reap_all), every child that ends
 * meanwhile is reaped too: orphans the kernel gave us, our go-between. */
int supervise_wait(int reap_all)
{
    int status;
    pid_t pid;

    for (;;) {
        pid = waitpid(reap_all ? -1 : program_pid, &status, reap_all ? __WALL : 0);
        if (pid < 0 && errno == EINTR)
            continue;
        if (pid < 0)
            return W_EXITCODE(MC_EXIT_OWN_ERROR, 0);
        if (pid == program_pid)
            break;
    }
    program_pid = 0;
    return status;
}

/* Our children but `keep`, from /proc/self/task/<tid>/children: up to
 * `max` pids in out. */
static size_t list_children(pid_t keep, pid_t *out, size_t max)
{
    char path[64];
    size_t count = 0;
    long pid;
    FILE *file;

    snprintf(path, sizeof(path), "/proc/self/task/%ld/children", (long)getpid());
    file = fopen(path, "re");
    if (!file)
        return 0;
    while (count < max && fscanf(file, "%ld", &pid) == 1) {
        if ((pid_t)pid != keep)
            out[count++] = (pid_t)pid;
    }
    fclose(file);
    return count;
}

static void signal_all(const pid_t *pids, size_t count, int sig)
{
    size_t i;

    for (i = 0; i < count; i++)
        kill(pids[i], sig);
}

void supervise_end_the_rest(pid_t keep)
{
    pid_t pids[MC_INIT_CHILDREN_MAX];
    struct timespec pause = { 0, MC_INIT_POLL_MS * 1000000L };
    size_t count = list_children(keep, pids, MC_INIT_CHILDREN_MAX);
    int waited_ms = 0;

    if (count == 0)
        return;
    mc_log(MC_LOG_INFO, "run: the program ended; ending the %zu process(es) it left, as pid 1 "
           "(SIGTERM, SIGKILL after %d ms)", count, MC_INIT_GRACE_MS);
    signal_all(pids, count, SIGTERM);
    while (count > 0 && waited_ms < MC_INIT_GRACE_MS) {
        nanosleep(&pause, NULL);
        waited_ms += MC_INIT_POLL_MS;
        supervise_reap_ended();
        count = list_children(keep, pids, MC_INIT_CHILDREN_MAX);
        /* Grandchildren become ours as their parents end: they get it too. */
        signal_all(pids, count, SIGTERM);
    }
    while (count > 0) {
        signal_all(pids, count, SIGKILL);
        nanosleep(&pause, NULL);
        supervise_reap_ended();
        count = list_children(keep, pids, MC_INIT_CHILDREN_MAX);
    }
}

/* Reaps every child that has ended already. */
void supervise_reap_ended(void)
{
    while (waitpid(-1, NULL, __WALL | WNOHANG) > 0)
        ;
}

/* Ends this process the way the program ended. */
int supervise_exit_like(int status)
{
    struct rlimit no_core = { 0, 0 };
    sigset_t one;
    int sig;

    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    sig = WTERMSIG(status);
    /* Die of the same signal, without a core file of our own. */
    setrlimit(RLIMIT_CORE, &no_core);
    signal(sig, SIG_DFL);
    sigemptyset(&one);
    sigaddset(&one, sig);
    sigprocmask(SIG_UNBLOCK, &one, NULL);
    raise(sig);
    return 128 + sig;
}

/* Reaping orphans, as an init: always as pid 1 (in a container, where a pid
 * 1 that does not reap would collect zombies), or with --init as a child
 * subreaper. */
int supervise_become_init(int asked)
{
    if (getpid() == MC_INIT_PID)
        return 1;
    if (!asked)
        return 0;
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
        mc_log_always(MC_LOG_WARN, "run --init: cannot become a child subreaper: %s",
                      strerror(errno));
        return 0;
    }
    return 1;
}

void supervise_take_sigchld(void)
{
    struct sigaction dfl;

    /* With SIGCHLD ignored (inherited) the kernel would reap the program
     * before we could read its status. */
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGCHLD, &dfl, &inherited_sigchld);
}

void supervise_give_back_sigchld(void)
{
    sigaction(SIGCHLD, &inherited_sigchld, NULL);
}
