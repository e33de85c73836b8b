/* pullguard.h — one download of a cache at a time on this host, and never
 * into a copy that a tree holds or whose upload is pending.
 *
 * A tree starting with MONOCACHE_EXISTING=s3://... and `monocache pull`
 * both look at the local copy and then replace it: between the two,
 * another start could attach to the copy, or pull into it. The guard is a
 * flock() on <run>/<id>.pull, taken before looking and kept until the
 * starter holds the cache (or the pull is done), and taken by every attach
 * of an existing cache too (watch.c), so that no tree starts on a copy
 * while a pull replaces it; the file is removed by its holder, and a
 * waiter that finds it removed takes a fresh one. */
#ifndef MC_PULLGUARD_H
#define MC_PULLGUARD_H

#include "common/err.h"
#include "common/root.h"
#include "redis/register.h"

struct mc_pull_guard {
    int fd;
    char *path;
};

enum mc_local_copy {
    MC_LOCAL_NONE,      /* no copy here: pull a new one */
    MC_LOCAL_IDLE,      /* a copy no tree holds, uploaded: update it */
    MC_LOCAL_HELD,      /* a tree holds it: it is the freshest */
    MC_LOCAL_PENDING,   /* its last upload did not complete (or its meta cannot
                           be read): it may be newer than S3, never replaced */
    MC_LOCAL_SHARED     /* the Redis register counts users of it (another host,
                           the Python package), or cannot say: never replaced */
};

/* Waits for another download of `id` under root to end. 0 with the guard
 * held, or -1 with err. waiting (or NULL) is called once before the wait
 * when the guard is taken already (a pull runs). */
int mc_pull_guard_take(const struct mc_root *root, const char *id, struct mc_pull_guard *guard,
                       void (*waiting)(void *ctx), void *ctx, struct mc_err *err);
void mc_pull_guard_drop(struct mc_pull_guard *guard);

/* What is here of cache `id` (call with the guard held); reg (or NULL):
 * the Redis register, asked whether another host uses it. */
enum mc_local_copy mc_local_copy_state(const struct mc_root *root, const char *id,
                                       struct mc_register *reg);

#endif
