/* pullguard.h — one download of a cache at a time on this host, and never
 * into a copy that a tree holds or whose upload is pending.
 *
 * A tree starting with MONOCACHE_EXISTING=s3://... and `monocache pull`
 * both look at the local copy and then replace or update it: between the
 * two, another start could attach to the copy, or pull into it. The guard
 * is a flock() on <run>/<id>.pull, taken before looking and kept until the
 * starter holds the cache (or the pull is done); the file is removed by its
 * holder, and a waiter that finds it removed takes a fresh one. */
#ifndef MC_PULLGUARD_H
#define MC_PULLGUARD_H

#include "common/err.h"
#include "common/root.h"

struct mc_pull_guard {
    int fd;
    char *path;
};

enum mc_local_copy {
    MC_LOCAL_NONE,      /* no copy here: pull a new one */
    MC_LOCAL_IDLE,      /* a copy no tree holds, uploaded: update it */
    MC_LOCAL_HELD,      /* a tree holds it: it is the freshest */
    MC_LOCAL_PENDING    /* its last upload did not complete (or its meta cannot
                           be read): it may be newer than S3, never replaced */
};

/* Waits for another download of `id` under root to end. 0 with the guard
 * held, or -1 with err. */
int mc_pull_guard_take(const struct mc_root *root, const char *id, struct mc_pull_guard *guard,
                       struct mc_err *err);
void mc_pull_guard_drop(struct mc_pull_guard *guard);

/* What is here of cache `id` (call with the guard held). */
enum mc_local_copy mc_local_copy_state(const struct mc_root *root, const char *id);

#endif
