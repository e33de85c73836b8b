/* session.h — the watcher's side of a cache's lock file: creating it without
 * a window in which it looks unheld, recording which directory it guards,
 * and claiming the watcher role. (The holders' side is lockfile.h.) */
#ifndef MC_SESSION_H
#define MC_SESSION_H

#include "common/err.h"

#include <sys/types.h>

/* Which directory a cache is: device and inode, and its birth time where the
 * file system keeps one, so that an inode number reused by a directory made
 * later does not pass for the cache. */
struct mc_dir_id {
    unsigned long long dev;         /* 0: unknown */
    unsigned long long ino;
    long long btime_sec;            /* 0: the file system has no birth time */
    long long btime_nsec;
};

struct mc_lock_record {
    int state;                  /* MC_STATE_HELD or MC_STATE_RELEASING */
    struct mc_dir_id dir;       /* the cache directory; dev 0 if not recorded yet */
    long watcher_pid;           /* 0 if none recorded */
};

int mc_dir_id_of(int dir_fd, struct mc_dir_id *id);
/* 1 if both name the same directory (birth times compared when both known). */
int mc_dir_id_same(const struct mc_dir_id *a, const struct mc_dir_id *b);

/* Creates lock_path already holding LOCK_SH (so no sweeper ever sees it
 * unheld). Returns 0 with *fd, 1 if the file already exists, -1 on error. */
int mc_session_create(const char *lock_path, int *fd, struct mc_err *err);
/* Creates lock_path holding LOCK_EX: for a sweeper about to release a cache
 * that has no lock file. Same returns. */
int mc_session_create_exclusive(const char *lock_path, int *fd, struct mc_err *err);
/* Records the cache directory's identity and the watcher pid (keeps byte 0). */
int mc_session_record(int fd, const struct mc_dir_id *dir, long watcher_pid,
                      const char *lock_path, struct mc_err *err);
int mc_session_read(int fd, struct mc_lock_record *record);
/* Opens a fresh description of lock_path and takes the watcher's OFD lock.
 * 0: we are the watcher (*fd set); 1: a live watcher exists; -1: error.
 * The new description must be the file behind `hold_fd`. */
int mc_session_claim_watcher(const char *lock_path, int hold_fd, int *fd, struct mc_err *err);
/* Lets go of the watcher's OFD lock early: whoever waits for the release
 * (mc_lock_wait_watcher) goes on. */
void mc_session_drop_watcher(int fd);

#endif
