/* exit.c — what libmonocache.so does when a process ends.
 *
 * Runs inside someone else's process, on its way out: from our destructor
 * (return from main, exit() from any thread), from our _exit/_Exit wrappers,
 * and from the creator's crash handlers. Each path lets go of the hold; the
 * last holder hands the release to the watcher and waits for it, so the
 * release is complete before the parent sees this process end. No global is
 * written here: a vfork child shares our memory. */
#include "shim.h"
#include "lockfile.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Async-signal-safe when before_release is. */
void mc_shim_let_go(void (*before_release)(void))
{
    int saved_errno = errno;
    int fd = mc_shim_hold_fd;
    struct stat st;

    if (fd < 0)
        return;
    /* Still the descriptor we were given? (It may have been closed behind our
     * back by a raw system call, and its number reused.) */
    if (fstat(fd, &st) == 0 && (unsigned long long)st.st_dev == mc_shim_hold_dev &&
        (unsigned long long)st.st_ino == mc_shim_hold_ino)
        mc_lock_let_go(fd, mc_shim_lock_path, before_release);
    errno = saved_errno;
}

/* exit() flushes stdio after destructors; flush before the cache is wiped so
 * that buffered writes into it land while it still exists, as they would
 * without us. Only on the exit() path, never from _exit or a signal. */
static void flush_stdio(void)
{
    fflush(NULL);
}

__attribute__((destructor)) static void mc_shim_fini(void)
{
    mc_shim_let_go(flush_stdio);
}

/* _exit skips destructors; releasing here keeps "the last holder's parent
 * sees the release done" true for programs that end with _exit. */
__attribute__((visibility("default"), noreturn)) void _exit(int status)
{
    mc_shim_let_go(NULL);
    for (;;) {
        syscall(SYS_exit_group, status);
        syscall(SYS_exit, status);
    }
}

__attribute__((visibility("default"), noreturn)) void _Exit(int status)
{
    _exit(status);
}
