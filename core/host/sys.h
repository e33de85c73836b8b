/* sys.h — the system calls of core/host and the shim: the one way this
 * code reaches the kernel for them, inline where the instruction is known
 * (x86_64, aarch64), through syscall(2) elsewhere.
 *
 * Why not the libc functions of the same names: inside the preloaded
 * library, close, dup2, dup3, close_range and _exit are our own wrappers
 * (calling them by name would go through the wrapper), and every other libc
 * function the library calls costs every process a symbol lookup and often
 * one more symbol version to check at load. A system call made inline is
 * no import at all, and async-signal-safe: the exit path and
 * the code between clone and exec use nothing else. Each returns what the
 * system call returns, -1 with errno set on failure, as libc's would.
 *
 * Libc only; included by code that runs inside other people's processes. */
#ifndef MC_SYS_H
#define MC_SYS_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

/* The system call itself, inline where we know the instruction: the fast
 * path and the exit path then call no libc function at all (each one's
 * first call costs every process a symbol lookup). Elsewhere, syscall(2). */
#if defined(__x86_64__)
static inline long mc_sys6(long n, long a, long b, long c, long d, long e, long f)
{
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long ret;

    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    if (ret < 0 && ret > -4096) {
        errno = (int)-ret;
        return -1;
    }
    return ret;
}
#elif defined(__aarch64__)
static inline long mc_sys6(long n, long a, long b, long c, long d, long e, long f)
{
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;

    __asm__ volatile("svc 0"
                     : "+r"(x0)
                     : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                     : "memory");
    if (x0 < 0 && x0 > -4096) {
        errno = (int)-x0;
        return -1;
    }
    return x0;
}
#else
static inline long mc_sys6(long n, long a, long b, long c, long d, long e, long f)
{
    return syscall(n, a, b, c, d, e, f);
}
#endif

#define mc_syscall(n, ...) mc_sys_args(n, __VA_ARGS__, 0, 0, 0, 0, 0, 0)
#define mc_sys_args(n, a, b, c, d, e, f, ...) \
    mc_sys6((long)(n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

/* The kernel's signal set is 64 bits (glibc's sigset_t is larger). */
#define MC_SYS_SIGSET_BYTES 8
/* glibc's own signals (thread cancellation, set*id across threads): never
 * blocked by us, as glibc's sigprocmask never blocks them. */
#define MC_SYS_SIG_CANCEL 32
#define MC_SYS_SIG_SETXID 33

static inline int mc_sys_openat(int dir_fd, const char *path, int flags, mode_t mode)
{
    return (int)mc_syscall(SYS_openat, dir_fd, path, flags, mode);
}

static inline int mc_sys_open(const char *path, int flags)
{
    return mc_sys_openat(AT_FDCWD, path, flags, 0);
}

static inline int mc_sys_close(int fd)
{
    return (int)mc_syscall(SYS_close, fd);
}

static inline int mc_sys_dup3(int old_fd, int new_fd, int flags)
{
    return (int)mc_syscall(SYS_dup3, old_fd, new_fd, flags);
}

/* dup2(2), also where the kernel has only dup3 (which refuses old == new). */
static inline int mc_sys_dup2(int old_fd, int new_fd)
{
#ifdef SYS_dup2
    return (int)mc_syscall(SYS_dup2, old_fd, new_fd);
#else
    if (old_fd == new_fd)
        return mc_syscall(SYS_fcntl, old_fd, F_GETFD) < 0 ? -1 : new_fd;
    return mc_sys_dup3(old_fd, new_fd, 0);
#endif
}

static inline int mc_sys_fcntl(int fd, int cmd, long arg)
{
    return (int)mc_syscall(SYS_fcntl, fd, cmd, arg);
}

static inline int mc_sys_close_range(unsigned int first, unsigned int last, int flags)
{
    return (int)mc_syscall(SYS_close_range, first, last, flags);
}

static inline int mc_sys_flock(int fd, int operation)
{
    return (int)mc_syscall(SYS_flock, fd, operation);
}

static inline long mc_sys_read(int fd, void *data, size_t size)
{
    return mc_syscall(SYS_read, fd, data, size);
}

static inline long mc_sys_write(int fd, const void *data, size_t size)
{
    return mc_syscall(SYS_write, fd, data, size);
}

static inline long mc_sys_pread(int fd, void *data, size_t size, long offset)
{
    return mc_syscall(SYS_pread64, fd, data, size, offset);
}

static inline long mc_sys_pwrite(int fd, const void *data, size_t size, long offset)
{
    return mc_syscall(SYS_pwrite64, fd, data, size, offset);
}

static inline int mc_sys_pipe2(int fds[2], int flags)
{
    return (int)mc_syscall(SYS_pipe2, fds, flags);
}

static inline pid_t mc_sys_getpid(void)
{
    return (pid_t)mc_sys6(SYS_getpid, 0, 0, 0, 0, 0, 0);
}

static inline uid_t mc_sys_geteuid(void)
{
    return (uid_t)mc_sys6(SYS_geteuid, 0, 0, 0, 0, 0, 0);
}

/* fstat(2): the kernel's struct stat is glibc's on x86_64 and aarch64. */
static inline int mc_sys_fstat(int fd, struct stat *st)
{
#if defined(__x86_64__) || defined(__aarch64__)
    return (int)mc_sys6(SYS_newfstatat, fd, (long)"", (long)st, AT_EMPTY_PATH, 0, 0);
#else
    return fstat(fd, st);
#endif
}

/* 1 unless the real and effective ids agree: a set-uid or set-gid program. */
static inline int mc_sys_secure(void)
{
    unsigned int real, effective, saved;
    unsigned int gid_real, gid_effective, gid_saved;

    if (mc_sys6(SYS_getresuid, (long)&real, (long)&effective, (long)&saved, 0, 0, 0) != 0 ||
        mc_sys6(SYS_getresgid, (long)&gid_real, (long)&gid_effective, (long)&gid_saved, 0, 0,
                0) != 0)
        return 1;
    return real != effective || gid_real != gid_effective;
}

static inline int mc_sys_kill(pid_t pid, int sig)
{
    return (int)mc_syscall(SYS_kill, pid, sig);
}

static inline pid_t mc_sys_wait4(pid_t pid, int *status, int options)
{
    return (pid_t)mc_syscall(SYS_wait4, pid, status, options, NULL);
}

/* A child with the given exit signal (0: none, a "clone" child), sharing
 * nothing: fork without atfork handlers. */
static inline long mc_sys_clone(unsigned long exit_signal)
{
    return mc_syscall(SYS_clone, exit_signal, 0UL, NULL, NULL, 0UL);
}

static inline int mc_sys_execve(const char *path, char *const argv[], char *const envp[])
{
    return (int)mc_syscall(SYS_execve, path, argv, envp);
}

static inline int mc_sys_nanosleep(const struct timespec *pause)
{
    return (int)mc_syscall(SYS_nanosleep, pause, NULL);
}

/* A descriptor that turns readable when the process ends (Linux 5.3). */
static inline int mc_sys_pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)mc_syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

/* ppoll(2); `until` is updated with the time left, as the kernel does. */
static inline int mc_sys_ppoll(struct pollfd *fds, unsigned long count, struct timespec *until)
{
    return (int)mc_syscall(SYS_ppoll, fds, count, until, NULL, MC_SYS_SIGSET_BYTES);
}

/* The calling thread's signal mask, as sigprocmask(2). */
static inline int mc_sys_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    return (int)mc_syscall(SYS_rt_sigprocmask, how, set, old, MC_SYS_SIGSET_BYTES);
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
        mc_sys6(SYS_exit_group, status, 0, 0, 0, 0, 0);
        mc_sys6(SYS_exit, status, 0, 0, 0, 0, 0);
    }
}

#endif
