/* watch_share.c — joining the register, renewing the lease, ending (see
 * watch_share.h). */
#include "watch_share.h"
#include "common/buf.h"
#include "common/log.h"
#include "redis/register.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MC_RENEWALS_PER_LEASE 3
#define MC_JOIN_WIPING_TRIES 10
#define MC_JOIN_WIPING_PAUSE_MS 200

/* The cache is still the directory this watcher serves. */
static int still_there(const struct watch_share *ws)
{
    struct stat st;

    return stat(ws->field, &st) == 0 && st.st_dev == ws->dir_dev && st.st_ino == ws->dir_ino;
}

/* A renewal found this host gone from the register (its lease ran out while
 * Redis was away or this process was stopped) and counted it again: if
 * another host wiped the cache meanwhile, say so, and stop counting. */
static void after_rejoin(struct watch_share *ws)
{
    struct mc_leave left;
    struct mc_err err;

    if (still_there(ws)) {
        mc_log_always(MC_LOG_WARN, "cache %s: this host's lease had run out; counted again",
                      ws->field);
        return;
    }
    mc_log_always(MC_LOG_ERROR, "cache %s: wiped by another host while this host's lease had "
                  "run out (Redis away, or this watcher stopped for longer than "
                  "MONOCACHE_REDIS_LEASE_S)", ws->field);
    mc_register_leave(ws->share.reg, ws->field, MC_LEAVE_REGISTERED, &left, &err);
    ws->share.registered = 0;
    ws->share.unknown = 1;
}

/* Started without Redis (MONOCACHE_ON_ERROR=continue): count this host as
 * soon as Redis answers. The cache still counts as shared at the end. */
static void try_late_join(struct watch_share *ws)
{
    long long count;
    struct mc_err err;

    if (!ws->share.reg && mc_register_open(ws->rc, &ws->share.reg, &err) != 0)
        return;
    if (mc_register_join(ws->share.reg, ws->field, &count, &err) != 0)
        return;
    ws->share.registered = 1;
    if (!still_there(ws))
        after_rejoin(ws);
    else
        mc_log_always(MC_LOG_WARN, "cache %s: Redis answers now; this host is counted", ws->field);
}

/* The cache directory's mtime, which every host's gc reads (gc.c): this
 * watcher is alive, whether Redis answers or not. Redis may be cut off
 * from this host for longer than a lease; the file system shared with the
 * other hosts still shows that the cache is in use. */
static void heartbeat(const struct watch_share *ws)
{
    int fd = open(ws->field, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;

    if (fd < 0)
        return;
    if (fstat(fd, &st) == 0 && st.st_dev == ws->dir_dev && st.st_ino == ws->dir_ino)
        futimens(fd, NULL);
    close(fd);
}

static void renew_once(struct watch_share *ws)
{
    struct mc_err err;
    int rc;

    heartbeat(ws);
    if (!ws->share.registered) {
        if (ws->late_join)
            try_late_join(ws);
        return;
    }
    rc = mc_register_renew(ws->share.reg, ws->field, &err);
    if (rc == 1) {
        after_rejoin(ws);
    } else if (rc < 0 && !ws->renew_failing) {
        mc_log_always(MC_LOG_WARN, "%s (this host's lease runs out if Redis stays away)",
                      err.msg);
        ws->renew_failing = 1;
    } else if (rc == 0) {
        ws->renew_failing = 0;
    }
}

static void *renew(void *arg)
{
    struct watch_share *ws = arg;
    long period_ms = (long)ws->rc->lease_s * 1000 / MC_RENEWALS_PER_LEASE;
    struct timespec until;

    pthread_mutex_lock(&ws->lock);
    while (!ws->stop) {
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += period_ms / 1000;
        until.tv_nsec += (period_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!ws->stop && pthread_cond_timedwait(&ws->wake, &ws->lock, &until) != ETIMEDOUT)
            ;
        if (ws->stop)
            break;
        pthread_mutex_unlock(&ws->lock);
        renew_once(ws);
        pthread_mutex_lock(&ws->lock);
    }
    pthread_mutex_unlock(&ws->lock);
    return NULL;
}

/* MONOCACHE_ON_ERROR=continue: run, but never wipe what cannot be counted. */
static void counted_as_shared(struct watch_share *ws, const char *why)
{
    mc_log_always(MC_LOG_WARN, "%s; the cache will be kept at its end, and other hosts do not "
                  "see this host using it until Redis answers", why);
    ws->share.unknown = 1;
    ws->late_join = 1;
    mc_register_close(ws->share.reg);
    ws->share.reg = NULL;
}

static int join_now(struct watch_share *ws, long long *count, struct mc_err *err)
{
    int tries;
    int rc = MC_REGISTER_WIPING;

    for (tries = 0; rc == MC_REGISTER_WIPING && tries < MC_JOIN_WIPING_TRIES; tries++) {
        if (tries)
            nanosleep(&(struct timespec){ 0, MC_JOIN_WIPING_PAUSE_MS * 1000000L }, NULL);
        rc = mc_register_join(ws->share.reg, ws->field, count, err);
    }
    return rc;
}

int watch_share_join(struct watch_share *ws, const struct mc_config *cfg,
                     const struct mc_cache *cache, struct mc_err *err)
{
    long long count = 0;
    struct stat st;
    int rc;

    memset(ws, 0, sizeof(*ws));
    pthread_mutex_init(&ws->lock, NULL);
    pthread_cond_init(&ws->wake, NULL);
    ws->rc = cfg->redis;
    if (!cfg->redis || !cfg->redis->enabled)
        return 0;
    ws->field = mc_concat(cache->path, "/", NULL);
    if (!ws->field || stat(cache->path, &st) != 0) {
        mc_err_sys(err, ws->field ? errno : ENOMEM, "%s", cache->path);
        return -1;
    }
    ws->dir_dev = st.st_dev;
    ws->dir_ino = st.st_ino;
    rc = mc_register_open(cfg->redis, &ws->share.reg, err);
    if (rc == 0)
        rc = join_now(ws, &count, err);
    if (rc == MC_REGISTER_WIPING) {
        mc_err_set(err, "%s: being wiped by another host", cache->path);
        rc = -1;
    } else if (rc != 0 && cfg->on_error == MC_ON_ERROR_CONTINUE) {
        counted_as_shared(ws, err->msg);
        rc = 0;
    } else if (rc == 0) {
        ws->share.registered = 1;
        mc_log(MC_LOG_INFO, "cache %s: host %s counted in " MC_REGISTER_KEY " of %s (%lld "
               "user(s) now)", cache->id, cfg->redis->host_id, cfg->redis->display, count);
    }
    if (rc != 0) {
        mc_register_close(ws->share.reg);
        ws->share.reg = NULL;
        return -1;
    }
    ws->renewing = pthread_create(&ws->renewer, NULL, renew, ws) == 0;
    return 0;
}

void watch_share_leave(struct watch_share *ws)
{
    struct mc_leave left;
    struct mc_err err;

    watch_share_stop_renewing(ws);
    if (ws->share.reg && ws->share.registered &&
        mc_register_leave(ws->share.reg, ws->field, MC_LEAVE_REGISTERED, &left, &err) != 0)
        mc_log(MC_LOG_WARN, "%s; its lease will run out", err.msg);
    ws->share.registered = 0;
}

void watch_share_stop_renewing(struct watch_share *ws)
{
    if (!ws->renewing)
        return;
    pthread_mutex_lock(&ws->lock);
    ws->stop = 1;
    pthread_cond_signal(&ws->wake);
    pthread_mutex_unlock(&ws->lock);
    pthread_join(ws->renewer, NULL);
    ws->renewing = 0;
}

void watch_share_end(struct watch_share *ws)
{
    watch_share_stop_renewing(ws);
    pthread_mutex_destroy(&ws->lock);
    pthread_cond_destroy(&ws->wake);
    mc_register_close(ws->share.reg);
    ws->share.reg = NULL;
    free(ws->field);
    ws->field = NULL;
}
