/* watch_share.h — the watcher's part in the Redis register (register.h):
 * counted once for this host when the cache is first held here, the lease
 * renewed from a thread while the cache lives (and, each time, the cache
 * directory's mtime touched: a heartbeat that other hosts' gc sees on the
 * shared file system even while Redis cannot hear from this host), and the
 * register handed to the release, which takes this host off it. Nothing
 * when Redis is not configured. */
#ifndef MC_WATCH_SHARE_H
#define MC_WATCH_SHARE_H

#include "local/cache.h"
#include "common/config.h"
#include "local/release.h"

#include <pthread.h>
#include <sys/types.h>

struct watch_share {
    struct mc_share share;      /* what the release asks */
    char *field;                /* the cache's path with a trailing "/" */
    const struct mc_redis_config *rc;
    pthread_t renewer;
    int renewing;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stop;
    int late_join;              /* Redis was away at the start: join when it answers */
    int renew_failing;          /* said so once */
    dev_t dir_dev;              /* the cache directory, to notice it was wiped */
    ino_t dir_ino;
};

/* Joins the register for this host. 0: joined, or Redis not configured.
 * With MONOCACHE_ON_ERROR=continue an unreachable Redis is one warning and
 * the cache counts as shared (share.unknown: never wiped). -1 with err: the
 * tree must not start. */
int watch_share_join(struct watch_share *ws, const struct mc_config *cfg,
                     const struct mc_cache *cache, struct mc_err *err);
/* Takes this host off the register without a release (the tree did not
 * start after all). */
void watch_share_leave(struct watch_share *ws);
/* Stops renewing: before the release leaves the register, so that a renewal
 * cannot count this host again after it has left. */
void watch_share_stop_renewing(struct watch_share *ws);
/* Stops renewing and closes the register (after the release). Call it
 * after every watch_share_join, whatever it returned. */
void watch_share_end(struct watch_share *ws);

#endif
