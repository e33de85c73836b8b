/* gc.h — reclaiming caches whose holders are all gone but that were never
 * released: their whole tree (watcher included) was killed at once, or they
 * were unlocked after their last holder ended.
 *
 * Liveness comes from kernel locks only: a cache whose lock file someone
 * holds, or that is locked in its meta, is never touched. Only names we make
 * are removed, exactly (<id>.lock, <id>.lock.<pid>.tmp, .wipe-<id>.<pid>),
 * and only in a root whose run directory carries our marker. */
#ifndef MC_GC_H
#define MC_GC_H

#include "common/err.h"
#include "common/root.h"

enum mc_gc_action {
    MC_GC_WIPED,        /* released and wiped */
    MC_GC_KEPT,         /* released, kept because locked */
    MC_GC_CLEARED,      /* a dead tree's lock file whose cache was already gone */
    MC_GC_WOULD,        /* dry run: would be released and wiped */
    MC_GC_TOMBSTONE,    /* finished an interrupted wipe */
    MC_GC_WOULD_TOMBSTONE,
    MC_GC_TEMP,         /* removed a temporary file left by a dead process
                           (`id` is its name) */
    MC_GC_WOULD_TEMP,
    MC_GC_BUSY,         /* left for later: another process holds a flock() on it */
    MC_GC_LEFT,         /* a directory under cache/ not provably a cache of ours
                           (unreadable meta, another id): never touched */
    MC_GC_SHARED,       /* released here, kept for users on other hosts */
    MC_GC_EXPIRED,      /* hosts whose lease ran out taken off the count
                           (message: how many) */
    MC_GC_UPLOADED,     /* a pending upload to S3 finished (then released as usual) */
    MC_GC_LATER,        /* kept: the register may have lost users (restarted
                           lately); gc again after a lease; message says why */
    MC_GC_NOT_ASKED,    /* kept: counted in a Redis register (message: which) that
                           this gc was not told to ask */
    MC_GC_FAILED        /* could not be reclaimed; message says why */
};

typedef void (*mc_gc_report_fn)(enum mc_gc_action action, const char *id, const char *message,
                                void *ctx);

enum mc_gc_scope {
    MC_GC_LOCK_FILES,   /* the run directory only: what dead trees left (their
                           lock files), tombstones of what it releases; never
                           reads a kept cache's meta. The watchers' sweep. */
    MC_GC_ALL           /* also every cache directory: unlocked caches that have
                           no lock file, all tombstones. monocache gc. */
};

struct mc_share;

struct mc_cache;

struct mc_gc_options {
    enum mc_gc_scope scope;
    const struct mc_share *share;   /* the Redis register (release.h), or NULL. With
                                       it, MC_GC_ALL also takes expired hosts off
                                       the count of the root's caches and applies
                                       the wipe rule to them */
    int dry_run;
    const char *except_id;      /* left alone; may be NULL */
    mc_gc_report_fn report;     /* may be NULL */
    void *ctx;
    /* Finishes the upload of a cache marked s3_pending (meta.h) to url: 0
     * done. NULL: such caches are left for later. */
    int (*upload)(const struct mc_cache *cache, const char *url, void *ctx);
};

/* Sweeps `root`. Returns the number of failures, or -1 if the root could not
 * be read or is not a monocache root (err says which). */
int mc_gc(const struct mc_root *root, const struct mc_gc_options *options, struct mc_err *err);

/* For the watchers' sweep: at most one per root at a time, at most one per
 * interval_ms. Returns a descriptor holding the root's sweep lock (close it
 * when the sweep is done), or -1: not now. */
int mc_gc_claim_sweep(const struct mc_root *root, int interval_ms);

#endif
