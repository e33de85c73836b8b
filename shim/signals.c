/* signals.c — crash hooks in the process that created the cache, and the
 * sigaction()/signal() wrappers that keep them invisible.
 *
 * Runs inside someone else's process. Only the first process of a tree hooks
 * signals (one process, not every exec): for each signal whose default action
 * kills and whose disposition is still the default, our handler lets go of the
 * hold (releasing synchronously if this was the last holder), restores the
 * default and re-raises, so the process dies of the same signal, with the
 * same wait status and core dump. The wrappers make the program see exactly
 * what it would see without us: its own handlers replace ours outright, and
 * queries report the default. A program that later restores the default gets
 * our hook back. */
#include "shim.h"
#include "proto.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* Declared by <signal.h> only for some feature macros. */
__sighandler_t bsd_signal(int sig, __sighandler_t handler);

/* Signals whose default action terminates the process (signal(7)). */
static const int crash_signals[] = {
    SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTERM, SIGINT, SIGHUP,
    SIGQUIT, SIGPIPE, SIGALRM, SIGUSR1, SIGUSR2, SIGXCPU, SIGXFSZ, SIGSYS,
    SIGTRAP, SIGVTALRM, SIGPROF, SIGIO, SIGPWR, SIGSTKFLT,
};

static volatile sig_atomic_t hooked[NSIG];     /* our handler is installed */
/* What the program set (a default action) for each hooked signal. Allocated
 * by the creating process only: every other process keeps a small .bss. */
static struct sigaction *program_view;
static volatile sig_atomic_t hooks_enabled;     /* this process created the cache */

static int really_hooked(int sig);
/* Bit sig-1: siginterrupt(sig, 1) is in force, so signal() must not set
 * SA_RESTART (glibc keeps the same set privately for its own signal()). */
static unsigned long long interrupting;

static int is_crash_signal(int sig)
{
    size_t i;

    for (i = 0; i < sizeof(crash_signals) / sizeof(crash_signals[0]); i++) {
        if (crash_signals[i] == sig)
            return 1;
    }
    return 0;
}

/* A fault the processor will raise again when the instruction is retried. */
static int recurring_fault(int sig, const siginfo_t *info)
{
    if (info->si_code <= 0 || info->si_code == SI_KERNEL)
        return 0;       /* sent by kill(), tgkill(), sigqueue(), or the kernel */
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL;
}

/* Async-signal-safe: let go (synchronous release if last), then die of the
 * same signal with the default action. */
static void crash_handler(int sig, siginfo_t *info, void *context)
{
    struct sigaction dfl;
    int saved_errno = errno;

    (void)context;
    mc_shim_let_go(MC_END_SIGNAL(sig));
    hooked[sig] = 0;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    mc_real_sigaction(sig, &dfl, NULL);
    /* A fault recurs when we return, now with the default action, so the
     * core dump shows the original fault. Anything else is raised again:
     * pending until we return (sig is blocked in here), then fatal. */
    if (!recurring_fault(sig, info))
        raise(sig);
    errno = saved_errno;
}

/* Only SIGSEGV runs on the program's alternate stack, if it set one up: a
 * stack overflow can be handled nowhere else. Any other signal on a stack
 * too small for its frame would turn the program's death by that signal
 * into a SIGSEGV. */
int mc_shim_is_hooked(int sig)
{
    return hooks_enabled && sig > 0 && sig < NSIG && really_hooked(sig);
}

void mc_shim_die_of(int sig)
{
    siginfo_t info;

    memset(&info, 0, sizeof(info));
    info.si_code = SI_USER;
    crash_handler(sig, &info, NULL);
}

static void our_action(int sig, struct sigaction *action)
{
    memset(action, 0, sizeof(*action));
    action->sa_sigaction = crash_handler;
    action->sa_flags = SA_SIGINFO | (sig == SIGSEGV ? SA_ONSTACK : 0);
    sigfillset(&action->sa_mask);
}

void mc_shim_hook_crash_signals(void)
{
    struct sigaction ours;
    struct sigaction current;
    size_t i;

    program_view = calloc(NSIG, sizeof(*program_view));
    if (!program_view)
        return;
    hooks_enabled = 1;
    for (i = 0; i < sizeof(crash_signals) / sizeof(crash_signals[0]); i++) {
        int sig = crash_signals[i];

        our_action(sig, &ours);
        if (mc_real_sigaction(sig, NULL, &current) != 0 || current.sa_handler != SIG_DFL)
            continue;   /* ignored or handled already: the program's choice stands */
        program_view[sig] = current;
        if (mc_real_sigaction(sig, &ours, NULL) == 0)
            hooked[sig] = 1;
    }
}

/* SIG_DFL whether set through sa_handler or sa_sigaction (a union). */
static int is_default(const struct sigaction *act)
{
    return act->sa_handler == SIG_DFL;
}

/* Our bookkeeping can be stale: sigset(), sigignore() and siginterrupt() go
 * through glibc's internal sigaction, and a vfork child shares our memory.
 * The kernel's answer decides. */
static int really_hooked(int sig)
{
    struct sigaction current;

    if (!hooked[sig])
        return 0;
    if (mc_real_sigaction(sig, NULL, &current) == 0 && (current.sa_flags & SA_SIGINFO) &&
        current.sa_sigaction == crash_handler)
        return 1;
    hooked[sig] = 0;
    return 0;
}

/* sigaction() as the program sees it; our other wrappers call this, never
 * the exported name. */
static int wrapped_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    struct sigaction previous;
    struct sigaction ours;

    if (sig > 0 && sig < NSIG && really_hooked(sig)) {
        previous = program_view[sig];
        if (act && is_default(act)) {
            program_view[sig] = *act;
        } else if (act) {
            hooked[sig] = 0;
            if (mc_real_sigaction(sig, act, NULL) != 0) {
                hooked[sig] = 1;
                return -1;
            }
        }
        if (old)
            *old = previous;
        return 0;
    }
    if (hooks_enabled && act && is_default(act) && is_crash_signal(sig)) {
        our_action(sig, &ours);
        if (mc_real_sigaction(sig, &ours, &previous) != 0)
            return -1;
        program_view[sig] = *act;
        hooked[sig] = 1;
        if (old)
            *old = previous;
        return 0;
    }
    return mc_real_sigaction(sig, act, old);
}

__attribute__((visibility("default")))
int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    return wrapped_sigaction(sig, act, old);
}

static __sighandler_t install(int sig, __sighandler_t handler, int flags, int mask_self)
{
    struct sigaction act;
    struct sigaction old;

    if (handler == SIG_ERR || sig <= 0 || sig >= NSIG) {
        errno = EINVAL;
        return SIG_ERR;
    }
    memset(&act, 0, sizeof(act));
    act.sa_handler = handler;
    sigemptyset(&act.sa_mask);
    if (mask_self)
        sigaddset(&act.sa_mask, sig);
    act.sa_flags = flags;
    if (wrapped_sigaction(sig, &act, &old) != 0)
        return SIG_ERR;
    return old.sa_handler;
}

static unsigned long long signal_bit(int sig)
{
    return 1ULL << (sig - 1);
}

/* BSD semantics, as glibc's signal(): block the signal in its handler, and
 * restart interrupted calls unless siginterrupt() said otherwise. */
static int bsd_flags(int sig)
{
    if (sig > 0 && sig < NSIG && (interrupting & signal_bit(sig)))
        return 0;
    return SA_RESTART;
}

__attribute__((visibility("default"))) __sighandler_t signal(int sig, __sighandler_t handler)
{
    return install(sig, handler, bsd_flags(sig), 1);
}

__attribute__((visibility("default"))) __sighandler_t bsd_signal(int sig, __sighandler_t handler)
{
    return install(sig, handler, bsd_flags(sig), 1);
}

/* As glibc's: remembered for later signal() calls, and applied to the
 * current action now (through our sigaction, so a hooked signal keeps its
 * hook and the program's view changes). */
__attribute__((visibility("default"))) int siginterrupt(int sig, int interrupt)
{
    struct sigaction action;

    if (sig <= 0 || sig >= NSIG) {
        errno = EINVAL;
        return -1;
    }
    if (wrapped_sigaction(sig, NULL, &action) != 0)
        return -1;
    if (interrupt) {
        interrupting |= signal_bit(sig);
        action.sa_flags &= ~SA_RESTART;
    } else {
        interrupting &= ~signal_bit(sig);
        action.sa_flags |= SA_RESTART;
    }
    return wrapped_sigaction(sig, &action, NULL);
}

/* System V semantics: one-shot, not blocked in its handler. */
__attribute__((visibility("default"))) __sighandler_t sysv_signal(int sig, __sighandler_t handler)
{
    return install(sig, handler, SA_RESETHAND | SA_NODEFER, 0);
}

__attribute__((visibility("default"))) __sighandler_t __sysv_signal(int sig, __sighandler_t handler)
{
    return install(sig, handler, SA_RESETHAND | SA_NODEFER, 0);
}
