/* lockfile.c — joining, watching and letting go of a cache's holder lock (see
 * lockfile.h). Only system calls: parts of this run in signal handlers and
 * exit hooks inside other people's processes. */
#include "lockfile.h"
#include "names.h"
#include "proto.h"
#include "safeopen.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MC_LOCK_HEADER_MAX 128
#define MC_LOCK_RECORD_NUMBERS 5

static int flock_retry(int fd, int operation)
{
    int rc;

    do {
        rc = mc_sys_flock(fd, operation);
    } while (rc != 0 && errno == EINTR);
    return rc;
}

/* Async-signal-safe: only system calls and our own parsing. */
MC_HOT int mc_lock_header_ok(int fd)
{
    char text[MC_LOCK_HEADER_MAX];
    struct stat st;
    long got;
    long i = 1;
    int numbers = 0;

    if (mc_sys_fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != mc_sys_geteuid())
        return 0;
    got = mc_sys_pread(fd, text, sizeof(text), 0L);
    if (got < 2 || (text[0] != MC_STATE_HELD && text[0] != MC_STATE_RELEASING))
        return 0;
    if (text[1] == '\n')
        return got == 2;        /* just created: no record yet */
    /* " <dev> <ino> <watcher pid> <birth s> <birth ns>\n" (session.h) */
    while (i < got && numbers < MC_LOCK_RECORD_NUMBERS) {
        long start;

        if (text[i++] != ' ')
            return 0;
        if (i < got && text[i] == '-')
            i++;
        start = i;
        while (i < got && text[i] >= '0' && text[i] <= '9')
            i++;
        if (i == start)
            return 0;
        numbers++;
    }
    /* After the record: nothing, or zeros up to the end note. */
    return numbers == MC_LOCK_RECORD_NUMBERS && i < got && text[i] == '\n' &&
           (i + 1 == got || text[i + 1] == '\0');
}

int mc_lock_file_ours(int fd)
{
    struct stat st;

    return mc_lock_header_ok(fd) && mc_sys_fstat(fd, &st) == 0 && st.st_nlink == 1;
}

enum mc_join mc_lock_join(const char *lock_path, int *fd_out)
{
    struct stat st;
    int fd;
    int state;

    *fd_out = -1;
    if (!mc_path_is_lock(lock_path)) {
        errno = EINVAL;
        return MC_JOIN_ERROR;
    }
    fd = mc_open_regular(AT_FDCWD, lock_path, O_RDONLY, &st);
    if (fd < 0)
        return errno == ENOENT ? MC_JOIN_MISSING : MC_JOIN_ERROR;
    if (!mc_lock_header_ok(fd)) {
        mc_sys_close(fd);
        errno = EINVAL;
        return MC_JOIN_ERROR;
    }
    if (flock_retry(fd, LOCK_SH | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK) {
            mc_sys_close(fd);
            return MC_JOIN_ERROR;
        }
        *fd_out = fd;
        return MC_JOIN_BUSY;
    }
    if (mc_sys_fstat(fd, &st) != 0) {
        mc_sys_close(fd);
        return MC_JOIN_ERROR;
    }
    if (st.st_nlink == 0) {
        mc_sys_close(fd);
        return MC_JOIN_GONE;
    }
    state = mc_lock_state(fd);
    if (state != MC_STATE_HELD) {
        mc_sys_flock(fd, LOCK_UN);
        *fd_out = fd;
        return MC_JOIN_RELEASING;
    }
    *fd_out = fd;
    return MC_JOIN_OK;
}

int mc_lock_state(int fd)
{
    char state;

    if (mc_sys_pread(fd, &state, 1, 0) != 1)
        return -1;
    if (state != MC_STATE_HELD && state != MC_STATE_RELEASING)
        return -1;
    return state;
}

/* Async-signal-safe. */
void mc_lock_wait_watcher(int fd)
{
    struct flock probe = {
        .l_type = F_RDLCK,
        .l_whence = SEEK_SET,
        .l_start = MC_WATCH_BYTE,
        .l_len = 1,
    };
    int rc;

    do {
        rc = mc_sys_fcntl(fd, F_OFD_SETLKW, (long)&probe);
    } while (rc != 0 && errno == EINTR);
    if (rc == 0) {
        probe.l_type = F_UNLCK;
        mc_sys_fcntl(fd, F_OFD_SETLK, (long)&probe);
    }
}

/* "/proc/self/fd/<fd>": opens the very file behind fd (a new description)
 * without trusting any path. Async-signal-safe. */
MC_HOT static void proc_fd_path(int fd, char *out)
{
    static const char prefix[] = "/proc/self/fd/";
    char digits[16];
    int count = 0;
    size_t i;

    do {
        digits[count++] = (char)('0' + fd % 10);
        fd /= 10;
    } while (fd > 0);
    for (i = 0; i < sizeof(prefix) - 1; i++)
        *out++ = prefix[i];
    while (count)
        *out++ = digits[--count];
    *out = '\0';
}

/* Async-signal-safe.
 *
 * Why this is correct with several holders letting go at once: each one keeps
 * a shared lock (the inherited one, then its own) until the instant it tries
 * to convert its own to exclusive. Linux converts under one spinlock: it drops
 * our shared lock and tests the others atomically. So the last one to convert
 * finds nobody and wins, and the others fail and leave: exactly one hands over. */
MC_HOT static int is_file(int fd, unsigned long long dev, unsigned long long ino)
{
    struct stat st;

    return mc_sys_fstat(fd, &st) == 0 && (unsigned long long)st.st_dev == dev &&
           (unsigned long long)st.st_ino == ino;
}

/* A new description of the lock behind hold_fd, or -1 if hold_fd is not that
 * file any more (closed behind our back, its number reused). */
MC_HOT static int reopen_hold(int hold_fd, unsigned long long dev, unsigned long long ino,
                              const char *lock_path)
{
    char own_path[sizeof("/proc/self/fd/") + 16];
    int fd;

    proc_fd_path(hold_fd, own_path);
    fd = mc_sys_open(own_path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (fd >= 0) {
        /* The very file behind hold_fd: checking it checks hold_fd too. */
        if (is_file(fd, dev, ino))
            return fd;
        mc_sys_close(fd);
        return -1;
    }
    /* No /proc: by path, and check both ends (the path may have been written
     * over in memory by a program setting its process title, or forged). */
    if (!lock_path || !mc_path_is_lock(lock_path) || !is_file(hold_fd, dev, ino))
        return -1;
    fd = mc_sys_open(lock_path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd >= 0 && !is_file(fd, dev, ino)) {
        mc_sys_close(fd);
        fd = -1;
    }
    return fd;
}

/* "E <how>\n" at MC_LOCK_END_OFFSET. Async-signal-safe. */
static void note_end(int fd, int how)
{
    char note[24];
    char digits[16];
    int len = 0;
    int count = 0;
    unsigned int value = how < 0 ? 0 : (unsigned int)how;

    note[len++] = 'E';
    note[len++] = ' ';
    if (how < 0)
        note[len++] = '-';
    do {
        digits[count++] = (char)('0' + value % 10);
        value /= 10;
    } while (value && how >= 0);
    while (count)
        note[len++] = digits[--count];
    note[len++] = '\n';
    mc_sys_pwrite(fd, note, (size_t)len, MC_LOCK_END_OFFSET);
}

int mc_lock_end_of(int fd)
{
    char note[24];
    long got = mc_sys_pread(fd, note, sizeof(note) - 1, MC_LOCK_END_OFFSET);
    int how = 0;
    long i;

    if (got < 3 || note[0] != 'E' || note[1] != ' ' || note[2] == '-')
        return MC_END_UNKNOWN;
    for (i = 2; i < got && note[i] >= '0' && note[i] <= '9'; i++)
        how = how * 10 + (note[i] - '0');
    return i > 2 && i < got && note[i] == '\n' ? how : MC_END_UNKNOWN;
}

MC_HOT int mc_lock_let_go(int hold_fd, unsigned long long dev, unsigned long long ino,
                          const char *lock_path, int how)
{
    const char releasing = MC_STATE_RELEASING;
    int fd = reopen_hold(hold_fd, dev, ino, lock_path);

    if (fd < 0)
        return 0;   /* not ours: never close or mark what we cannot prove is */
    if (mc_sys_flock(fd, LOCK_SH | LOCK_NB) != 0) {
        /* LOCK_EX is held: a release is running; do not end before it does. */
        mc_sys_close(hold_fd);
        mc_lock_wait_watcher(fd);
        mc_sys_close(fd);
        return 1;
    }
    mc_sys_close(hold_fd);
    if (mc_sys_flock(fd, LOCK_EX | LOCK_NB) != 0)
        return 0;   /* others still hold the cache; fd holds no lock now */
    if (!mc_lock_header_ok(fd)) {
        /* Not a lock file of ours (a forged MONOCACHE_HOLD): write nothing. */
        mc_sys_flock(fd, LOCK_UN);
        mc_sys_close(fd);
        return 0;
    }
    note_end(fd, how);
    if (mc_sys_pwrite(fd, &releasing, 1, 0) != 1) {
        /* Cannot mark it: the watcher will still release when it gets the
         * lock, it just cannot tell this from a crash. Nothing else to do. */
    }
    mc_sys_flock(fd, LOCK_UN);
    mc_lock_wait_watcher(fd);
    mc_sys_close(fd);
    return 1;
}
