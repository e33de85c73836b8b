/* exit.c — what libmonocache.so does when a process ends.
 *
 * Runs inside someone else's process, on its way out: from our destructor
 * (return from main, exit() from any thread), from our _exit/_Exit wrappers,
 * and from the creator's crash handlers. Each path lets go of the hold; the
 * last holder hands the release to the watcher and waits for it, so the
 * release is complete before the parent sees this process end. No global is
 * written here: a vfork child shares our memory. */
#include "shim.h"
#include "launch.h"
#include "lockfile.h"
#include "proto.h"
#include "sys.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

/* Async-signal-safe. */
int mc_shim_is_hold(int fd)
{
    struct stat st;

    return fd >= 0 && mc_sys_fstat(fd, &st) == 0 && (unsigned long long)st.st_dev == mc_shim_hold_dev &&
           (unsigned long long)st.st_ino == mc_shim_hold_ino;
}

/* Async-signal-safe. May change errno: callers that return to the program
 * keep it. */
MC_HOT void mc_shim_let_go(int how)
{
    if (mc_shim_hold_fd >= 0 &&
        mc_lock_let_go(mc_shim_hold_fd, mc_shim_hold_dev, mc_shim_hold_ino, mc_shim_lock_path,
                       how) &&
        mc_shim_go_between > 0)
        mc_launch_reap(mc_shim_go_between, MC_REAP_WAIT_MS);
}

/* Runs after the program's atexit handlers and destructors, so nothing of the
 * program looks at errno after it. exit() flushes
 * stdio after this: buffered writes into a kept cache still land; into a
 * wiped one they are lost either way. (Flushing here would take the streams'
 * locks, which another thread may hold for ever, e.g. in fgets(stdin).) */
__attribute__((destructor)) MC_HOT static void mc_shim_fini(void)
{
    mc_shim_let_go(MC_END_UNKNOWN);
}

/* _exit skips destructors; releasing here keeps "the last holder's parent
 * sees the release done" true for programs that end with _exit. */
static __attribute__((noreturn)) void exit_now(int status)
{
    /* A vfork child shares its parent's errno: leave it as it was. */
    int saved_errno = errno;

    mc_shim_let_go(status & 0xff);
    errno = saved_errno;
    mc_sys_exit_group(status);
}

__attribute__((visibility("default"), noreturn)) void _exit(int status)
{
    exit_now(status);
}

__attribute__((visibility("default"), noreturn)) void _Exit(int status)
{
    exit_now(status);
}
