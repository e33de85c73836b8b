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

#include "err.h"
#include "root.h"

enum mc_gc_action {
    MC_GC_WIPED,        /* released and wiped */
    MC_GC_KEPT,         /* released, kept because locked */
    MC_GC_WOULD,        /* dry run: would be released and wiped */
    MC_GC_TOMBSTONE,    /* finished an interrupted wipe */
    MC_GC_WOULD_TOMBSTONE,
    MC_GC_TEMP,         /* removed a temporary file left by a dead process
                           (`id` is its name) */
    MC_GC_WOULD_TEMP,
    MC_GC_BUSY,         /* left for later: another process holds a flock() on it */
    MC_GC_FAILED        /* could not be reclaimed; message says why */
};

typedef void (*mc_gc_report_fn)(enum mc_gc_action action, const char *id, const char *message,
                                void *ctx);

struct mc_gc_options {
    int dry_run;
    const char *except_id;      /* left alone; may be NULL */
    mc_gc_report_fn report;     /* may be NULL */
    void *ctx;
};

/* Sweeps `root`. Returns the number of failures, or -1 if the root could not
 * be read or is not a monocache root (err says which). */
int mc_gc(const struct mc_root *root, const struct mc_gc_options *options, struct mc_err *err);

#endif
