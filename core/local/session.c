/* session.c — creating, recording and claiming a cache's lock file (see
 * session.h). A new lock file is written under a temporary name, locked, and
 * only then linked into place, so it is never visible unlocked. */
#include "session.h"
#include "host/proto.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define MC_LOCK_FILE_MODE 0600
#define MC_RECORD_MAX 128

static int create_locked(const char *lock_path, int operation, int *fd_out, struct mc_err *err)
{
    char temp[MC_PATH_MAX];
    char initial[] = { MC_STATE_HELD, '\n' };
    int fd;
    int rc;

    *fd_out = -1;
    if (snprintf(temp, sizeof(temp), "%s.%ld.tmp", lock_path, (long)getpid()) >= (int)sizeof(temp)) {
        mc_err_set(err, "%s: path too long", lock_path);
        return -1;
    }
    unlink(temp);
    fd = open(temp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, MC_LOCK_FILE_MODE);
    if (fd < 0) {
        mc_err_sys(err, errno, "%s", temp);
        return -1;
    }
    if (write(fd, initial, sizeof(initial)) != (ssize_t)sizeof(initial) ||
        flock(fd, operation | LOCK_NB) != 0) {
        mc_err_sys(err, errno, "%s", temp);
        unlink(temp);
        close(fd);
        return -1;
    }
    rc = link(temp, lock_path);
    if (rc != 0) {
        int saved = errno;

        unlink(temp);
        close(fd);
        if (saved == EEXIST)
            return 1;
        mc_err_sys(err, saved, "%s", lock_path);
        return -1;
    }
    unlink(temp);
    /* Holders see the file under its own name in /proc/<pid>/fd, not as a
     * deleted temporary: take the same shared lock on a description opened
     * by the final name, then drop the first one. */
    if (operation == LOCK_SH) {
        int named = open(lock_path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

        if (named >= 0 && flock(named, LOCK_SH | LOCK_NB) == 0) {
            close(fd);
            fd = named;
        } else if (named >= 0) {
            close(named);
        }
    }
    *fd_out = fd;
    return 0;
}

int mc_session_create(const char *lock_path, int *fd, struct mc_err *err)
{
    return create_locked(lock_path, LOCK_SH, fd, err);
}

int mc_session_create_exclusive(const char *lock_path, int *fd, struct mc_err *err)
{
    return create_locked(lock_path, LOCK_EX, fd, err);
}

int mc_dir_id_of(int dir_fd, struct mc_dir_id *id)
{
    struct statx stx;

    memset(id, 0, sizeof(*id));
    if (statx(dir_fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_INO | STATX_BTIME, &stx) != 0)
        return -1;
    id->dev = (unsigned long long)makedev(stx.stx_dev_major, stx.stx_dev_minor);
    id->ino = (unsigned long long)stx.stx_ino;
    if (stx.stx_mask & STATX_BTIME) {
        id->btime_sec = stx.stx_btime.tv_sec;
        id->btime_nsec = stx.stx_btime.tv_nsec;
    }
    return 0;
}

int mc_dir_id_same(const struct mc_dir_id *a, const struct mc_dir_id *b)
{
    if (a->dev == 0 || a->dev != b->dev || a->ino != b->ino)
        return 0;
    if ((a->btime_sec || a->btime_nsec) && (b->btime_sec || b->btime_nsec))
        return a->btime_sec == b->btime_sec && a->btime_nsec == b->btime_nsec;
    return 1;
}

int mc_session_record(int fd, const struct mc_dir_id *dir, long watcher_pid,
                      const char *lock_path, struct mc_err *err)
{
    char text[MC_RECORD_MAX];
    int len = snprintf(text, sizeof(text), " %llu %llu %ld %lld %lld\n", dir->dev, dir->ino,
                       watcher_pid, dir->btime_sec, dir->btime_nsec);

    if (len < 0 || len >= (int)sizeof(text) ||
        pwrite(fd, text, (size_t)len, 1) != len || ftruncate(fd, 1 + len) != 0) {
        mc_err_sys(err, errno, "%s: cannot record the cache directory", lock_path);
        return -1;
    }
    return 0;
}

int mc_session_read(int fd, struct mc_lock_record *record)
{
    char text[MC_RECORD_MAX];
    ssize_t got = pread(fd, text, sizeof(text) - 1, 0);

    memset(record, 0, sizeof(*record));
    if (got < 1)
        return -1;
    text[got] = '\0';
    record->state = text[0];
    if (record->state != MC_STATE_HELD && record->state != MC_STATE_RELEASING)
        return -1;
    if (sscanf(text + 1, " %llu %llu %ld %lld %lld", &record->dir.dev, &record->dir.ino,
               &record->watcher_pid, &record->dir.btime_sec, &record->dir.btime_nsec) < 2) {
        memset(&record->dir, 0, sizeof(record->dir));
        record->watcher_pid = 0;
    }
    return 0;
}

int mc_session_claim_watcher(const char *lock_path, int hold_fd, int *fd_out, struct mc_err *err)
{
    struct flock watch = {
        .l_type = F_WRLCK,
        .l_whence = SEEK_SET,
        .l_start = MC_WATCH_BYTE,
        .l_len = 1,
    };
    struct stat held;
    struct stat mine;
    int fd;

    *fd_out = -1;
    fd = open(lock_path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
        mc_err_sys(err, errno, "%s", lock_path);
        return -1;
    }
    if (fstat(fd, &mine) != 0 || fstat(hold_fd, &held) != 0 ||
        mine.st_dev != held.st_dev || mine.st_ino != held.st_ino) {
        mc_err_set(err, "%s: replaced while attaching", lock_path);
        close(fd);
        return -1;
    }
    if (fcntl(fd, F_OFD_SETLK, &watch) != 0) {
        int saved = errno;

        close(fd);
        if (saved == EAGAIN || saved == EACCES)
            return 1;
        mc_err_sys(err, saved, "%s: cannot lock", lock_path);
        return -1;
    }
    *fd_out = fd;
    return 0;
}

void mc_session_drop_watcher(int fd)
{
    struct flock watch = {
        .l_type = F_UNLCK,
        .l_whence = SEEK_SET,
        .l_start = MC_WATCH_BYTE,
        .l_len = 1,
    };

    fcntl(fd, F_OFD_SETLK, &watch);
}
