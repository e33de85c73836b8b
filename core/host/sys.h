/* sys.h — the system calls of core/host and the shim, made through
 * syscall(2): the one way this code reaches the kernel for them.
 *
 * Why not the libc functions of the same names: inside the preloaded
 * library, close, dup2, dup3, close_range and _exit are our own wrappers
 * (calling them by name would go through the wrapper), and every other libc
 * function the library calls costs every process a symbol lookup and often
 * one more symbol version to check at load. A system call through syscall()
 * is one import for all of them, and async-signal-safe: the exit path and
 * the code between clone and exec use nothing else. Each returns what the
 * system call returns, -1 with errno set on failure, as libc's would.
 *
 * Libc only; included by code that runs inside other people's processes. */
#ifndef MC_SYS_H
#define MC_SYS_H

#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

/* The kernel's signal set is 64 bits (glibc's sigset_t is larger). */
#define MC_SYS_SIGSET_BYTES 8
/* glibc's own signals (thread cancellation, set*id across threads): never
 * blocked by us, as glibc's sigprocmask never blocks them. */
#define MC_SYS_SIG_CANCEL 32
#define MC_SYS_SIG_SETXID 33

static inline int mc_sys_openat(int dir_fd, const char *path, int flags, mode_t mode)
{
    return (int)syscall(SYS_openat, dir_fd, path, flags, mode);
}

static inline int mc_sys_open(const char *path, int flags)
{
    return mc_sys_openat(AT_FDCWD, path, flags, 0);
}

static inline int mc_sys_close(int fd)
{
    return (int)syscall(SYS_close, fd);
}

static inline int mc_sys_dup3(int old_fd, int new_fd, int flags)
{
    return (int)syscall(SYS_dup3, old_fd, new_fd, flags);
}

/* dup2(2), also where the kernel has only dup3 (which refuses old == new). */
static inline int mc_sys_dup2(int old_fd, int new_fd)
{
#ifdef SYS_dup2
    return (int)syscall(SYS_dup2, old_fd, new_fd);
#else
    if (old_fd == new_fd)
        return syscall(SYS_fcntl, old_fd, F_GETFD) < 0 ? -1 : new_fd;
    return mc_sys_dup3(old_fd, new_fd, 0);
#endif
}

static inline int mc_sys_fcntl(int fd, int cmd, long arg)
{
    return (int)syscall(SYS_fcntl, fd, cmd, arg);
}

static inline int mc_sys_close_range(unsigned int first, unsigned int last, int flags)
{
    return (int)syscall(SYS_close_range, first, last, flags);
}

static inline int mc_sys_flock(int fd, int operation)
{
    return (int)syscall(SYS_flock, fd, operation);
}

static inline long mc_sys_read(int fd, void *data, size_t size)
{
    return syscall(SYS_read, fd, data, size);
}

static inline long mc_sys_write(int fd, const void *data, size_t size)
{
    return syscall(SYS_write, fd, data, size);
}

static inline long mc_sys_pread(int fd, void *data, size_t size, long offset)
{
    return syscall(SYS_pread64, fd, data, size, offset);
}

static inline long mc_sys_pwrite(int fd, const void *data, size_t size, long offset)
{
    return syscall(SYS_pwrite64, fd, data, size, offset);
}

static inline int mc_sys_pipe2(int fds[2], int flags)
{
    return (int)syscall(SYS_pipe2, fds, flags);
}

static inline pid_t mc_sys_getpid(void)
{
    return (pid_t)syscall(SYS_getpid);
}

static inline uid_t mc_sys_geteuid(void)
{
    return (uid_t)syscall(SYS_geteuid);
}

static inline int mc_sys_kill(pid_t pid, int sig)
{
    return (int)syscall(SYS_kill, pid, sig);
}

static inline pid_t mc_sys_wait4(pid_t pid, int *status, int options)
{
    return (pid_t)syscall(SYS_wait4, pid, status, options, NULL);
}

/* A child with the given exit signal (0: none, a "clone" child), sharing
 * nothing: fork without atfork handlers. */
static inline long mc_sys_clone(unsigned long exit_signal)
{
    return syscall(SYS_clone, exit_signal, 0UL, NULL, NULL, 0UL);
}

static inline int mc_sys_execve(const char *path, char *const argv[], char *const envp[])
{
    return (int)syscall(SYS_execve, path, argv, envp);
}

static inline int mc_sys_nanosleep(const struct timespec *pause)
{
    return (int)syscall(SYS_nanosleep, pause, NULL);
}

/* The calling thread's signal mask, as sigprocmask(2). */
static inline int mc_sys_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    return (int)syscall(SYS_rt_sigprocmask, how, set, old, MC_SYS_SIGSET_BYTES);
}

/* Every signal blocked but glibc's own. */
static inline void mc_sys_block_all(sigset_t *old)
{
    sigset_t all;

    sigfillset(&all);
    sigdelset(&all, MC_SYS_SIG_CANCEL);
    sigdelset(&all, MC_SYS_SIG_SETXID);
    mc_sys_sigmask(SIG_SETMASK, &all, old);
}

static inline __attribute__((noreturn)) void mc_sys_exit_group(int status)
{
    for (;;) {
        syscall(SYS_exit_group, status);
        syscall(SYS_exit, status);
    }
}

#endif
