/* real.c — the one table of the functions the shim's wrappers stand in
 * front of, and how each is reached. Runs inside someone else's process.
 *
 *   close        glibc's __close: a cancellation point, as the program's
 *                close() is (the system call alone would not be)
 *   sigaction    glibc's __sigaction: glibc adds its signal-return
 *                trampoline and guards its own signals
 *   sigwait, sigwaitinfo, sigtimedwait,
 *   posix_spawn_file_actions_addclose, _addclosefrom_np
 *                glibc's, found with dlsym(RTLD_NEXT) on first use: rare
 *                calls, never made between fork and exec by us
 *   dup2, dup3, close_range, _exit
 *                the system calls themselves (core/host/sys.h: mc_sys_*),
 *                which is all glibc's functions do; async-signal-safe
 *
 * The lookups by glibc's reserved names bind lazily, so a process that
 * never calls the wrapper pays nothing; the dlsym() ones cost their caller a
 * lookup once. Nothing here is exported. */
#include "shim.h"

#include <dlfcn.h>
#include <errno.h>

extern int __close(int fd);
extern int __sigaction(int sig, const struct sigaction *act, struct sigaction *old);

int mc_real_close(int fd)
{
    return __close(fd);
}

int mc_real_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    return __sigaction(sig, act, old);
}

/* The dlsym() part of the table, filled on first use of each. */
static struct {
    int (*sigwait)(const sigset_t *set, int *sig);
    int (*sigwaitinfo)(const sigset_t *set, siginfo_t *info);
    int (*sigtimedwait)(const sigset_t *set, siginfo_t *info, const struct timespec *timeout);
    int (*addclose)(posix_spawn_file_actions_t *actions, int fd);
    int (*addclosefrom)(posix_spawn_file_actions_t *actions, int from);
} real;

static void *next(void **slot, const char *name)
{
    if (!*slot)
        *slot = dlsym(RTLD_NEXT, name);
    return *slot;
}

#define MC_REAL(field, name) next((void **)&real.field, name)

int mc_real_sigwait(const sigset_t *set, int *sig)
{
    if (!MC_REAL(sigwait, "sigwait"))
        return ENOSYS;
    return real.sigwait(set, sig);
}

int mc_real_sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
    if (!MC_REAL(sigwaitinfo, "sigwaitinfo")) {
        errno = ENOSYS;
        return -1;
    }
    return real.sigwaitinfo(set, info);
}

int mc_real_sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *timeout)
{
    if (!MC_REAL(sigtimedwait, "sigtimedwait")) {
        errno = ENOSYS;
        return -1;
    }
    return real.sigtimedwait(set, info, timeout);
}

int mc_real_addclose(posix_spawn_file_actions_t *actions, int fd)
{
    if (!MC_REAL(addclose, "posix_spawn_file_actions_addclose"))
        return ENOSYS;
    return real.addclose(actions, fd);
}

int mc_real_addclosefrom(posix_spawn_file_actions_t *actions, int from)
{
    if (!MC_REAL(addclosefrom, "posix_spawn_file_actions_addclosefrom_np"))
        return ENOSYS;
    return real.addclosefrom(actions, from);
}
