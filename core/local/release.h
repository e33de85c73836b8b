/* release.h — the end of a cache's life on this host: keep it if it is
 * locked, otherwise prove its directory is the cache and wipe it; then remove
 * its lock file.
 *
 * "Prove" means: its meta.json "id" matches its name, or it is the very
 * directory (device and inode) that was created or attached. Anything else —
 * a symlink, a mount point, a directory swapped in — is left alone and
 * reported. Run by the watcher, gc and rm, always holding LOCK_EX. */
#ifndef MC_RELEASE_H
#define MC_RELEASE_H

#include "cache.h"
#include "common/err.h"

enum mc_dispose {
    MC_DISPOSE_WIPED,
    MC_DISPOSE_KEPT,    /* locked */
    MC_DISPOSE_GONE,    /* there was no directory any more */
    MC_DISPOSE_BUSY,    /* another process kept a flock() on the directory past
                           the wait: left in place, unreleased (err says so) */
    MC_DISPOSE_SHARED,  /* kept: other users are counted in the register */
    MC_DISPOSE_UNSURE,  /* kept: the register could not be asked (err says why);
                           gc finishes once it answers */
    MC_DISPOSE_DOUBT    /* kept: the register answered, but may have lost users
                           (err says why); gc finishes after a lease */
};

enum mc_dispose_mode {
    MC_KEEP_LOCKED,     /* a locked cache is kept, and so is one whose meta.json
                           is there but cannot be read (it may say locked) */
    MC_WIPE_LOCKED      /* rm --force: wipe what the user named, locked or
                           unreadable, unless its meta names another cache */
};

struct mc_register;

/* The other users of a cache, as the Redis register counts them. */
struct mc_share {
    struct mc_register *reg;    /* NULL: Redis is not used */
    int unknown;                /* users could not be counted (Redis unreachable
                                   at the start, MONOCACHE_ON_ERROR=continue):
                                   never wipe */
    int registered;             /* this host joined (the watcher): a count
                                   that lost it is not trusted */
    int quiet_s;                /* gc: a cache nobody counts is left alone until
                                   it has not changed for this long (the lease):
                                   another host may be about to count itself */
};

/* How a release waits for the cache directory's flock (dirlock.h), which the
 * program itself may hold, and whom else it asks. */
struct mc_release_opts {
    int wait_ms;                /* 0: one try (gc) */
    void (*busy)(void *ctx);    /* called once before waiting, or NULL */
    void *ctx;
    const struct mc_share *share;   /* NULL: this host is the only user */
};

/* Wipes or keeps the directory of `cache`, deciding under its flock (wait
 * may be NULL: one try). With a register, this host leaves it first, and an
 * unlocked cache is wiped only if nobody is left anywhere. Its identity: `held_dir_fd`, a descriptor on the
 * directory kept open since it was created or attached (the watcher's: while
 * it is open the inode cannot be reused), else `known` as recorded in the
 * lock file (may be NULL). Returns an mc_dispose value, or -1 with err
 * filled (the directory is then left in place or as a tombstone for gc). */
int mc_cache_dispose(const struct mc_cache *cache, const struct mc_dir_id *known, int held_dir_fd,
                     enum mc_dispose_mode mode, const struct mc_release_opts *wait,
                     struct mc_err *err);

/* Why mc_release() leaves a lock file alone, for gc --dry-run to say too. */
#define MC_NOT_OUR_LOCK \
    "not a lock file of ours (wrong owner, format, or more than one link); left alone"

/* Releases a cache nobody holds: caller holds LOCK_EX on lock_fd. Marks the
 * lock 'R', disposes of the directory, unlinks the lock file. held_dir_fd as
 * for mc_cache_dispose, or -1. Returns the mc_dispose outcome, or -1. */
int mc_release(const struct mc_cache *cache, int lock_fd, int held_dir_fd,
               const struct mc_release_opts *wait, struct mc_err *err);

/* <run>/<id>.later of a cache (malloc'd): left by a release that kept the
 * cache on a doubt (MC_DISPOSE_UNSURE, MC_DISPOSE_DOUBT), so that the
 * watchers' background sweep decides it again after a lease, as gc would. */
char *mc_later_path(const struct mc_cache *cache);
#define MC_LATER_MODE 0600

/* Finishes wiping a tombstone <cache_dir>/.wipe-* left by an interrupted wipe.
 * 0 done, 1 a wipe of it is running or just finished (left alone), -1 error. */
int mc_wipe_tombstone(const char *cache_dir, const char *name, struct mc_err *err);

#endif
