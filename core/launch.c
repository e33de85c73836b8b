/* launch.c — clone-based helper start that the host program cannot observe
 * (see launch.h). The child shares our memory until it execs, so it only makes
 * system calls, and reports an exec failure through `exec_errno`. */
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MC_LAUNCH_STACK_BYTES (64 * 1024)
#define MC_LAUNCH_TEMP_FD_MIN 4    /* above the targets 0-3 */
#define MC_LAUNCH_CHILD_FDS 4

struct child_args {
    const char *path;
    char *const *argv;
    char *const *envp;
    int fds[MC_LAUNCH_CHILD_FDS];
    int exec_errno;
};

static void child_fail(struct child_args *args)
{
    args->exec_errno = errno ? errno : EINVAL;
    syscall(SYS_exit, 127);
}

/* Runs in the clone child, on its own stack, sharing our memory: system calls
 * only, and never our own interposed functions. */
static int child_main(void *arg)
{
    struct child_args *args = arg;
    int temp[MC_LAUNCH_CHILD_FDS];
    int i;

    /* First move every source above the targets, so that installing one
     * target cannot clobber another source. */
    for (i = 0; i < MC_LAUNCH_CHILD_FDS; i++) {
        temp[i] = -1;
        if (args->fds[i] < 0)
            continue;
        temp[i] = fcntl(args->fds[i], F_DUPFD, MC_LAUNCH_TEMP_FD_MIN);
        if (temp[i] < 0)
            child_fail(args);
    }
    for (i = 0; i < MC_LAUNCH_CHILD_FDS; i++) {
        if (temp[i] < 0) {
            close(i);
            continue;
        }
        if (dup2(temp[i], i) < 0)
            child_fail(args);
    }
    if (syscall(SYS_close_range, MC_LAUNCH_CHILD_FDS, ~0U, 0) != 0) {
        for (i = MC_LAUNCH_CHILD_FDS; i < 1024; i++)
            close(i);
    }
    execve(args->path, args->argv, args->envp);
    child_fail(args);
    return 127;
}

int mc_launch(const char *path, char *const argv[], char *const envp[],
             const int fds[4], pid_t *pid)
{
    struct child_args args = { path, argv, envp, { -1, -1, -1, -1 }, 0 };
    int devnull = -1;
    void *stack;
    int status;
    int child;
    int i;

    for (i = 0; i < MC_LAUNCH_CHILD_FDS; i++) {
        args.fds[i] = fds[i];
        if (i < 3 && fds[i] == MC_LAUNCH_NONE) {
            if (devnull < 0)
                devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
            if (devnull < 0)
                return -1;
            args.fds[i] = devnull;
        }
    }
    stack = mmap(NULL, MC_LAUNCH_STACK_BYTES, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) {
        if (devnull >= 0)
            close(devnull);
        return -1;
    }
    /* No exit signal in the low byte: the child is a "clone" child. */
    child = clone(child_main, (char *)stack + MC_LAUNCH_STACK_BYTES,
                  CLONE_VM | CLONE_VFORK, &args);
    munmap(stack, MC_LAUNCH_STACK_BYTES);
    if (devnull >= 0)
        close(devnull);
    if (child < 0)
        return -1;
    if (args.exec_errno) {
        mc_launch_wait(child, &status);
        errno = args.exec_errno;
        return -1;
    }
    *pid = child;
    return 0;
}

int mc_launch_wait(pid_t pid, int *status)
{
    pid_t done;

    do {
        done = waitpid(pid, status, __WCLONE);
    } while (done < 0 && errno == EINTR);
    return done == pid ? 0 : -1;
}
