/* sigwait.c — sigwait(), sigwaitinfo() and sigtimedwait() in the process that
 * created the cache, where our crash hooks stand in for default actions.
 *
 * Runs inside someone else's process. Waiting for a signal the thread has not
 * blocked, whose action is the default: Linux kills the process as soon as
 * that signal arrives (the mask from before the wait decides), but with our
 * handler installed the wait would return it instead. So a wait that returns
 * such a signal dies of it here, after letting go — as the program would
 * have died without us. Every other wait is glibc's, untouched. */
#include "shim.h"
#include "sys.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>

/* The signals of `set` that would be fatal on arrival without us. */
static void fatal_while_waiting(const sigset_t *set, sigset_t *fatal)
{
    sigset_t blocked;
    int sig;

    sigemptyset(fatal);
    sigemptyset(&blocked);
    if (!set || mc_sys_sigmask(SIG_BLOCK, NULL, &blocked) != 0)
        return;
    for (sig = 1; sig < NSIG; sig++) {
        if (sigismember(set, sig) == 1 && sigismember(&blocked, sig) == 0 &&
            mc_shim_is_hooked(sig))
            sigaddset(fatal, sig);
    }
}

static void die_if_fatal(int sig, const sigset_t *fatal)
{
    if (sig > 0 && sigismember(fatal, sig) == 1)
        mc_shim_die_of(sig);
}

__attribute__((visibility("default"))) int sigwait(const sigset_t *set, int *sig)
{
    sigset_t fatal;
    int rc;

    fatal_while_waiting(set, &fatal);
    rc = mc_real_sigwait(set, sig);
    if (rc == 0)
        die_if_fatal(*sig, &fatal);
    return rc;
}

__attribute__((visibility("default"))) int sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
    sigset_t fatal;
    int sig;

    fatal_while_waiting(set, &fatal);
    sig = mc_real_sigwaitinfo(set, info);
    die_if_fatal(sig, &fatal);
    return sig;
}

__attribute__((visibility("default")))
int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *timeout)
{
    sigset_t fatal;
    int sig;

    fatal_while_waiting(set, &fatal);
    sig = mc_real_sigtimedwait(set, info, timeout);
    die_if_fatal(sig, &fatal);
    return sig;
}
