/* dirlock.h — the flock() on a cache directory: it orders every change of a
 * cache's meta (lock, unlock, meta edits) with every decision to wipe it.
 *
 * A wipe decides under LOCK_EX and renames the directory to a tombstone
 * before letting go; a meta edit takes LOCK_EX and then checks that the
 * directory is still in place. So an edit that got the lock first is seen by
 * the wipe (a cache locked in time is kept), and one that got it after sees
 * that the cache is gone and fails. The program may flock() its own cache
 * directory too: every wait here is bounded. */
#ifndef MC_DIRLOCK_H
#define MC_DIRLOCK_H

/* How long a meta edit or a release waits for the directory's lock. */
#define MC_DIR_LOCK_WAIT_MS 5000

/* flock(dir_fd, operation) (LOCK_SH or LOCK_EX), retried for up to wait_ms
 * (0: one try). Returns 0, or -1 with errno (EWOULDBLOCK when it stayed
 * busy). */
int mc_dir_lock(int dir_fd, int operation, int wait_ms);
void mc_dir_unlock(int dir_fd);
/* 1 if `path` (not followed if a symlink) is the directory open at dir_fd. */
int mc_dir_in_place(int dir_fd, const char *path);

#endif
