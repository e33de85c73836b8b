/* init.c — what libmonocache.so does when a process starts.
 *
 * Runs inside someone else's process, before its main. The common case — a
 * process that inherited a live cache from its parent — costs one pass over
 * the environment and one mc_sys_fstat(): nothing else. Only a process that must
 * create or attach a cache (the first of a tree) starts the watcher and waits
 * for its answer. */
#include "shim.h"
#include "answer.h"
#include "ask.h"
#include "hold.h"
#include "lockfile.h"
#include "proto.h"
#include "sys.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MC_INIT_PID 1

int mc_shim_hold_fd = -1;
unsigned long long mc_shim_hold_dev;
unsigned long long mc_shim_hold_ino;
const char *mc_shim_lock_path;
pid_t mc_shim_go_between;

struct scan {
    const char *hold;       /* MONOCACHE_HOLD value */
    int new_cache;          /* MONOCACHE_NEW set and not "0" */
    int existing;           /* MONOCACHE_EXISTING or MONOCACHE_NAME set, not empty */
};

/* The rest of `text` after `prefix`, or NULL. Our own loop rather than
 * strncmp: each libc function's first call costs a symbol lookup, in every
 * process. */
MC_HOT static const char *after(const char *text, const char *prefix)
{
    while (*prefix) {
        if (*text++ != *prefix++)
            return NULL;
    }
    return text;
}

/* A boolean's false spellings (config.c MC_BOOLEAN_SPELLINGS): empty, 0,
 * false, no, off, in any case. Anything else is an order; a bad value is
 * the watcher's to report. */
MC_HOT static int says_false(const char *v)
{
    char c = (char)(v[0] | 0x20);

    if (v[0] == '\0' || (v[0] == '0' && v[1] == '\0'))
        return 1;
    if (c == 'n')
        return (v[1] | 0x20) == 'o' && v[2] == '\0';
    if (c == 'o')
        return (v[1] | 0x20) == 'f' && (v[2] | 0x20) == 'f' && v[3] == '\0';
    if (c == 'f')
        return (v[1] | 0x20) == 'a' && (v[2] | 0x20) == 'l' && (v[3] | 0x20) == 's' &&
               (v[4] | 0x20) == 'e' && v[5] == '\0';
    return 0;
}

/* One pass over the environment for the three variables the fast path needs. */
MC_HOT static void scan_environment(char **env, struct scan *scan)
{
    const char *value;
    char **entry;

    for (entry = env; entry && *entry; entry++) {
        const char *text = *entry;

        if (text[0] != 'M' || !(text = after(text, "MONOCACHE_")))
            continue;
        if ((value = after(text, &MC_ENV_HOLD[sizeof("MONOCACHE_") - 1])) && *value == '=')
            scan->hold = value + 1;
        else if ((value = after(text, "NEW=")))
            scan->new_cache = !says_false(value);
        else if ((value = after(text, "EXISTING=")) || (value = after(text, "NAME=")))
            scan->existing |= value[0] != '\0';
    }
}

/* The descriptor named by MONOCACHE_HOLD, if it is still that lock file. */
MC_HOT static int inherited_fd(const char *hold_text, struct mc_hold *hold)
{
    struct stat st;

    if (!hold_text || mc_hold_parse(hold_text, hold) != 0)
        return -1;
    if (mc_sys_fstat(hold->fd, &st) != 0 || (unsigned long long)st.st_dev != hold->dev ||
        (unsigned long long)st.st_ino != hold->ino)
        return -1;
    return hold->fd;
}

/* The fast path: is the inherited descriptor still the lock it names? The
 * path is kept only as a fallback for a system without /proc: the exit hook
 * reopens the lock through /proc/self/fd, since programs that set their
 * process title write over the environment's strings. */
MC_HOT static int adopt_inherited(const char *hold_text)
{
    struct mc_hold hold;

    if (inherited_fd(hold_text, &hold) < 0)
        return 0;
    mc_shim_hold_fd = hold.fd;
    mc_shim_hold_dev = hold.dev;
    mc_shim_hold_ino = hold.ino;
    mc_shim_lock_path = hold.lock_path;
    return 1;
}

static void say(const char *what, const char *message)
{
    char line[MC_PATH_MAX + 128];
    int len = snprintf(line, sizeof(line), "monocache: %s%s\n", what, message);

    if (len > 0)
        mc_sys_write(STDERR_FILENO, line, (size_t)len < sizeof(line) ? (size_t)len
                                                                     : sizeof(line) - 1);
}

/* Our own failure: stop the program (status 125) or, with
 * MONOCACHE_ON_ERROR=continue, warn and let it run without a cache. */
static void fail(const char *message)
{
    const char *on_error = getenv(MC_ENV_ON_ERROR);

    if (on_error && strcmp(on_error, "continue") == 0) {
        say("warning: ", message);
        setenv(MC_ENV_HOLD, MC_HOLD_DISABLED, 1);
        return;
    }
    say("", message);
    mc_sys_exit_group(MC_EXIT_OWN_ERROR);
}

/* Records the hold in this process and in MONOCACHE_HOLD for its children. */
static int publish_hold(int fd, const char *lock_path)
{
    struct mc_hold hold;

    if (mc_hold_publish(fd, lock_path, &hold) != 0 || !adopt_inherited(getenv(MC_ENV_HOLD)))
        return -1;
    return 0;
}

/* The inherited hold, wherever it is: a parent that took our number for a
 * descriptor of its own (bash's `exec 1000>file`) moved it without telling
 * MONOCACHE_HOLD. Looks through /proc/self/fd (the slow path: rare). */
static int find_moved_hold(const struct mc_hold *hold)
{
    DIR *dir = opendir("/proc/self/fd");
    struct dirent *entry;
    struct stat st;
    int found = -1;

    while (dir && found < 0 && (entry = readdir(dir)) != NULL) {
        char *end;
        long fd = strtol(entry->d_name, &end, 10);

        if (*end || end == entry->d_name || fd == dirfd(dir))
            continue;
        if (mc_sys_fstat((int)fd, &st) == 0 && (unsigned long long)st.st_dev == hold->dev &&
            (unsigned long long)st.st_ino == hold->ino)
            found = (int)fd;
    }
    if (dir)
        closedir(dir);
    return found;
}

/* The inherited descriptor is not where MONOCACHE_HOLD says: adopt it where
 * it is; if it is gone (e.g. the parent closed all descriptors before exec,
 * as Python's subprocess does), join the lock again by path. */
static int rejoin(const char *hold_text)
{
    struct mc_hold hold;
    int placed;
    int fd;

    if (mc_hold_parse(hold_text, &hold) != 0)
        return 0;
    fd = find_moved_hold(&hold);
    if (fd >= 0)
        return publish_hold(fd, hold.lock_path) == 0;
    if (mc_lock_join(hold.lock_path, &fd) != MC_JOIN_OK) {
        if (fd >= 0)
            mc_sys_close(fd);
        return 0;
    }
    placed = mc_hold_place_fd(fd);
    return placed >= 0 && publish_hold(placed, hold.lock_path) == 0;
}

/* Applies the watcher's answer: environment, then the hold. `outer_fd` is a
 * hold on another tree's cache this process inherited (MONOCACHE_NEW or
 * MONOCACHE_EXISTING), or -1: this process keeps it, its children do not. */
static void apply_answer(char *text, size_t len, int hold_fd, int outer_fd)
{
    struct mc_hold hold;
    const char *why;

    switch (mc_answer_apply(text, len, hold_fd, &hold, &why)) {
    case MC_ANSWER_REFUSED:
        /* The watcher has told the user why. */
        mc_sys_exit_group(MC_EXIT_OWN_ERROR);
    case MC_ANSWER_DISABLED:
        return;
    case MC_ANSWER_BROKEN:
        fail(why);
        return;
    case MC_ANSWER_HELD:
        break;
    }
    if (!adopt_inherited(getenv(MC_ENV_HOLD))) {
        fail("cannot keep the holder descriptor");
        return;
    }
    if (outer_fd >= 0)
        mc_sys_fcntl(outer_fd, F_SETFD, FD_CLOEXEC);
    /* An init process (pid 1) ignores default-action signals from its own
     * namespace: hooking them would release its cache and let it run on. */
    if (mc_sys_getpid() != MC_INIT_PID)
        mc_shim_hook_crash_signals();
}

static void obtain_cache(int outer_fd)
{
    const char *helper = mc_shim_helper_path();
    struct mc_asked asked;
    char *answer = NULL;
    char **env;
    long len;

    if (!helper) {
        fail(mc_shim_helper_missing);
        return;
    }
    env = mc_shim_helper_env();
    answer = malloc(MC_REPLY_MAX);
    if (!env || !answer) {
        free(env);
        free(answer);
        fail("out of memory");
        return;
    }
    len = mc_ask_watcher(helper, env, answer, MC_REPLY_MAX, &asked);
    free(env);
    if (len < 0) {
        if (asked.errnum == EMFILE || asked.errnum == ENFILE || asked.errnum == EAGAIN ||
            asked.errnum == ENOMEM)
            strncat(asked.why, " (" MC_ENV_ON_ERROR "=continue runs the program without a cache)",
                    sizeof(asked.why) - strlen(asked.why) - 1);
        fail(asked.why);
    } else {
        mc_shim_go_between = asked.go_between;
        apply_answer(answer, (size_t)len, asked.hold_fd, outer_fd);
    }
    free(answer);
}

/* Everything but the fast path. Keeps errno. */
static void slow_path(const struct scan *scan)
{
    int saved_errno = errno;
    struct mc_hold hold;

    if (scan->hold && !scan->new_cache && !scan->existing && rejoin(scan->hold)) {
        errno = saved_errno;
        return;
    }
    /* Not the monocache tool itself: it makes its caches on purpose. */
    if (!dlsym(RTLD_DEFAULT, "monocache_cli_no_auto_cache"))
        obtain_cache(inherited_fd(scan->hold, &hold));
    errno = saved_errno;
}

/* The fast path touches no errno: a successful mc_sys_fstat() leaves it alone, and
 * reading errno would itself cost a symbol lookup in every process. It reads
 * the environment glibc passes to initialisers (the `environ` symbol would
 * cost a lookup at load time). */
__attribute__((constructor)) MC_HOT static void mc_shim_init(int argc, char **argv, char **env)
{
    struct scan scan = { NULL, 0, 0 };

    (void)argc;
    if (mc_sys_secure())
        return;     /* set-uid/set-gid: do nothing (the descriptor still holds) */
    scan_environment(env, &scan);
    if (scan.hold && !scan.new_cache && !scan.existing &&
        ((scan.hold[0] == MC_HOLD_DISABLED[0] && scan.hold[1] == '\0') ||
         adopt_inherited(scan.hold)))
        return;
    mc_shim_program = argv ? argv[0] : NULL;
    slow_path(&scan);
}
