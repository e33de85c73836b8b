/* lockfile.c — joining, watching and letting go of a cache's holder lock (see
 * lockfile.h). Only system calls: parts of this run in signal handlers and
 * exit hooks inside other people's processes. */
#include "lockfile.h"
#include "proto.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The holder descriptor is closed with the raw system call: inside the shim,
 * close() is our own wrapper, which refuses to close it. */
static void close_hold(int fd)
{
    syscall(SYS_close, fd);
}

static int flock_retry(int fd, int operation)
{
    int rc;

    do {
        rc = flock(fd, operation);
    } while (rc != 0 && errno == EINTR);
    return rc;
}

enum mc_join mc_lock_join(const char *lock_path, int *fd_out)
{
    struct stat st;
    int fd;
    int state;

    *fd_out = -1;
    fd = open(lock_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? MC_JOIN_MISSING : MC_JOIN_ERROR;
    if (flock_retry(fd, LOCK_SH | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK) {
            close(fd);
            return MC_JOIN_ERROR;
        }
        *fd_out = fd;
        return MC_JOIN_BUSY;
    }
    if (fstat(fd, &st) != 0) {
        close(fd);
        return MC_JOIN_ERROR;
    }
    if (st.st_nlink == 0) {
        close(fd);
        return MC_JOIN_GONE;
    }
    state = mc_lock_state(fd);
    if (state != MC_STATE_HELD) {
        flock(fd, LOCK_UN);
        *fd_out = fd;
        return MC_JOIN_RELEASING;
    }
    *fd_out = fd;
    return MC_JOIN_OK;
}

int mc_lock_state(int fd)
{
    char state;

    if (pread(fd, &state, 1, 0) != 1)
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
        rc = fcntl(fd, F_OFD_SETLKW, &probe);
    } while (rc != 0 && errno == EINTR);
    if (rc == 0) {
        probe.l_type = F_UNLCK;
        fcntl(fd, F_OFD_SETLK, &probe);
    }
}

int mc_lock_watcher_alive(int fd)
{
    struct flock probe = {
        .l_type = F_RDLCK,
        .l_whence = SEEK_SET,
        .l_start = MC_WATCH_BYTE,
        .l_len = 1,
    };

    if (fcntl(fd, F_OFD_GETLK, &probe) != 0)
        return -1;
    return probe.l_type != F_UNLCK;
}

/* Async-signal-safe when before_release is.
 *
 * Why this is correct with several holders letting go at once: each one keeps
 * a shared lock (the inherited one, then its own) until the instant it tries
 * to convert its own to exclusive. Linux converts under one spinlock: it drops
 * our shared lock and tests the others atomically. So the last one to convert
 * finds nobody and wins, and the others fail and leave: exactly one hands over. */
void mc_lock_let_go(int hold_fd, const struct stat *held, const char *lock_path)
{
    const char releasing = MC_STATE_RELEASING;
    struct stat named;
    int fd = open(lock_path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);

    if (fd < 0) {
        close_hold(hold_fd);
        return;
    }
    /* Never mark a file that is not our lock (a path rewritten in memory, a
     * lock file replaced): then only close, and let the watcher see it. */
    if (fstat(fd, &named) != 0 || held->st_dev != named.st_dev || held->st_ino != named.st_ino) {
        close(fd);
        close_hold(hold_fd);
        return;
    }
    if (flock(fd, LOCK_SH | LOCK_NB) != 0) {
        /* LOCK_EX is held: a release is running; do not end before it does. */
        close_hold(hold_fd);
        mc_lock_wait_watcher(fd);
        close(fd);
        return;
    }
    close_hold(hold_fd);
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);      /* others still hold the cache */
        return;
    }
    if (pwrite(fd, &releasing, 1, 0) != 1) {
        /* Cannot mark it: the watcher will still release when it gets the
         * lock, it just cannot tell this from a crash. Nothing else to do. */
    }
    flock(fd, LOCK_UN);
    mc_lock_wait_watcher(fd);
    close(fd);
}
