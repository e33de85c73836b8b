/* session.h — the watcher's side of a cache's lock file: creating it without
 * a window in which it looks unheld, recording which directory it guards,
 * and claiming the watcher role. (The holders' side is lockfile.h.) */
#ifndef MC_SESSION_H
#define MC_SESSION_H

#include "err.h"

#include <sys/types.h>

struct mc_lock_record {
    int state;                  /* MC_STATE_HELD or MC_STATE_RELEASING */
    unsigned long long dev;     /* the cache directory, 0 if not recorded yet */
    unsigned long long ino;
    long watcher_pid;           /* 0 if none recorded */
};

/* Creates lock_path already holding LOCK_SH (so no sweeper ever sees it
 * unheld). Returns 0 with *fd, 1 if the file already exists, -1 on error. */
int mc_session_create(const char *lock_path, int *fd, struct mc_err *err);
/* Creates lock_path holding LOCK_EX: for a sweeper about to release a cache
 * that has no lock file. Same returns. */
int mc_session_create_exclusive(const char *lock_path, int *fd, struct mc_err *err);
/* Records the cache directory's identity and the watcher pid (keeps byte 0). */
int mc_session_record(int fd, unsigned long long dev, unsigned long long ino, long watcher_pid,
                      const char *lock_path, struct mc_err *err);
int mc_session_read(int fd, struct mc_lock_record *record);
/* Opens a fresh description of lock_path and takes the watcher's OFD lock.
 * 0: we are the watcher (*fd set); 1: a live watcher exists; -1: error.
 * The new description must be the file behind `hold_fd`. */
int mc_session_claim_watcher(const char *lock_path, int hold_fd, int *fd, struct mc_err *err);

#endif
