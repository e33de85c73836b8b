/* lockfile.h — the holder lock of a cache: joining it, reading its state,
 * waiting for its watcher, letting go of it.
 *
 * A cache held on this host has one lock file, <root>/run/<id>.lock:
 *   flock(LOCK_SH)  every holding tree (one open file description, inherited
 *                   by fork and exec, so the kernel counts holders for us);
 *   flock(LOCK_EX)  whoever releases the cache, once no one holds it;
 *   byte 0          'H' while held, 'R' once a release has begun;
 *   OFD write lock  on byte 0 while the cache's watcher process is alive.
 * Locks vanish when their holders die, even by SIGKILL, so liveness never
 * depends on pids. The file is unlinked, under LOCK_EX, when the release is
 * done.
 *
 * Libc only. mc_lock_let_go() is async-signal-safe: it runs from exit hooks
 * and crash handlers inside other people's processes. */
#ifndef MC_LOCKFILE_H
#define MC_LOCKFILE_H

#include <sys/stat.h>

enum mc_join {
    MC_JOIN_OK,         /* *fd holds LOCK_SH on a live session */
    MC_JOIN_MISSING,    /* no lock file: no tree holds the cache on this host */
    MC_JOIN_BUSY,       /* someone holds LOCK_EX: a release is running; *fd is
                           open (unlocked) so the caller may wait on it */
    MC_JOIN_RELEASING,  /* state 'R' but no release running (its releaser died);
                           *fd is open, unlocked */
    MC_JOIN_GONE,       /* the file was unlinked under us: released */
    MC_JOIN_ERROR       /* errno says why */
};

/* 1 if fd is a lock file of ours: a regular file we own, holding a state
 * byte and the record of session.h. Async-signal-safe. */
int mc_lock_header_ok(int fd);
/* mc_lock_header_ok, and the file has one name: a hard link to it planted
 * under a lock file's name is not ours to write. */
int mc_lock_file_ours(int fd);
/* Opens lock_path — only a <id>.lock of ours (name, owner, header), never a
 * link or a FIFO — and tries to take LOCK_SH without blocking. */
enum mc_join mc_lock_join(const char *lock_path, int *fd);
/* MC_STATE_HELD, MC_STATE_RELEASING, or -1. */
int mc_lock_state(int fd);
/* Blocks until no watcher holds its OFD lock on this lock file. */
void mc_lock_wait_watcher(int fd);

/* This process, about to end, lets go of its hold (closes hold_fd). If that
 * leaves the cache unheld, it marks the lock 'R', hands the release to the
 * watcher and waits until the watcher has finished; if a release is already
 * running, it waits for that. `dev`/`ino` identify the lock file: nothing is
 * done unless hold_fd is still that file. The last holder notes `how` it
 * ended (MC_LOCK_END_OFFSET) before marking. Leaves a descriptor for the process
 * end to close. Returns 1 if it waited for a release to end (the watcher is
 * gone or going), 0 otherwise. Async-signal-safe. */
int mc_lock_let_go(int hold_fd, unsigned long long dev, unsigned long long ino,
                   const char *lock_path, int how);
/* How the last holder ended (MC_LOCK_END_OFFSET): the `how` it let go
 * with, or MC_END_UNKNOWN if none was noted. */
int mc_lock_end_of(int fd);

#endif
