/* upload.c — a cache's trip to S3 at its release (see upload.h).
 *
 * A cache with an S3 home is marked "s3_pending" from the moment its tree
 * starts, in the same meta write that records the home: no release, gc or
 * rm wipes it until an upload has completed and cleared the mark. The
 * release only has to upload and clear; when the mark is missing (the meta
 * was rewritten or removed), it is put back first, waiting for as long as
 * it takes (a full disk, a directory flock()ed by someone else): the
 * holders have been let go already, and without the mark nothing would keep
 * the cache from a wipe. */
#include "upload.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/meta.h"
#include "host/proto.h"
#include "shared/s3report.h"
#include "shared/s3run.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MC_MARK_RETRY_FIRST_MS 250
#define MC_MARK_RETRY_MAX_MS 30000

int upload_mark_start(cJSON *meta, const char *home, int pending)
{
    if (mc_meta_set_key(meta, MC_META_S3, cJSON_CreateString(home)) != 0 ||
        (pending && mc_meta_set_key(meta, MC_META_S3_PENDING, cJSON_CreateTrue()) != 0))
        return -1;
    return 0;
}

/* "s3" (when the meta has none) and "s3_pending", for mc_meta_update. */
static int put_marks(cJSON *meta, void *ctx, struct mc_err *err)
{
    const char *home = ctx;
    const char *url;

    if (mc_meta_s3_home(meta, &url) == MC_S3_HOME_UNSET &&
        mc_meta_set_key(meta, MC_META_S3, cJSON_CreateString(home)) != 0) {
        mc_err_set(err, "out of memory");
        return -1;
    }
    if (mc_meta_set_key(meta, MC_META_S3_PENDING, cJSON_CreateTrue()) != 0) {
        mc_err_set(err, "out of memory");
        return -1;
    }
    return 0;
}

static void pause_ms(long ms)
{
    struct timespec pause = { ms / 1000, (ms % 1000) * 1000000L };

    while (nanosleep(&pause, &pause) != 0 && errno == EINTR)
        ;
}

/* Puts the marks back, until it can. */
static void mark_until_done(const struct upload_target *target, const char *home)
{
    const struct mc_cache *cache = target->cache;
    long wait_ms = MC_MARK_RETRY_FIRST_MS;
    struct mc_err err;

    while (mc_meta_update_or_make(target->dir_fd, cache->path, cache->id, put_marks,
                                  (void *)home, &err) != 0) {
        if (wait_ms == MC_MARK_RETRY_FIRST_MS)
            mc_log_always(MC_LOG_ERROR, "cache %s: cannot mark it for its upload to %s (%s); "
                          "kept, trying again", cache->id, home, err.msg);
        pause_ms(wait_ms);
        wait_ms = wait_ms * 2 > MC_MARK_RETRY_MAX_MS ? MC_MARK_RETRY_MAX_MS : wait_ms * 2;
    }
}

static int clear_pending(cJSON *meta, void *ctx, struct mc_err *err)
{
    (void)ctx;
    (void)err;
    while (cJSON_GetObjectItemCaseSensitive(meta, MC_META_S3_PENDING))
        cJSON_DeleteItemFromObjectCaseSensitive(meta, MC_META_S3_PENDING);
    return 0;
}

/* The home to upload to, malloc'd, or NULL; *marked if the meta says
 * pending already. An "s3" turned off clears the mark (the user decided). */
static char *home_of(const struct upload_target *target, int *marked)
{
    const struct mc_cache *cache = target->cache;
    struct mc_err err;
    enum mc_s3_home state = MC_S3_HOME_UNSET;
    const char *url = NULL;
    cJSON *meta = NULL;
    char *home;

    *marked = 0;
    if (mc_meta_read(target->dir_fd, cache->path, &meta, &err) != 0) {
        /* Missing: the tree's setting decides. There but unreadable: the
         * release keeps it as if locked; upload nothing we cannot read. */
        if (errno != ENOENT)
            return NULL;
    } else {
        state = mc_meta_s3_home(meta, &url);
        *marked = mc_meta_s3_pending(meta);
    }
    if (state == MC_S3_HOME_OFF && *marked) {
        if (mc_meta_update(target->dir_fd, cache->path, cache->id, clear_pending, NULL, &err) == 0)
            mc_log(MC_LOG_INFO, "cache %s: not uploaded: its meta.json turns the upload off "
                   "(\"s3\": null)", cache->id);
        else
            mc_log_always(MC_LOG_WARN, "cache %s: %s", cache->id, err.msg);
    }
    home = state == MC_S3_HOME_SET ? strdup(url)
         : state == MC_S3_HOME_UNSET && target->tree_home ? strdup(target->tree_home) : NULL;
    cJSON_Delete(meta);
    return home;
}

struct late {
    const struct upload_target *target;
    const char *home;
};

/* The upload outlasts MONOCACHE_S3_TIMEOUT_S: the program's end waits no
 * more; the cache stays marked until the upload completes. */
static void let_go_late(void *ctx)
{
    const struct late *late = ctx;
    const struct upload_target *target = late->target;

    mc_log_always(MC_LOG_WARN, "cache %s: its upload to %s is not done after %d s ("
                  MC_ENV_S3_TIMEOUT "); the program's end goes on, the upload goes on in the "
                  "background, and the cache stays here, marked s3_pending, until it is done",
                  target->cache->id, late->home, target->timeout_s);
    target->let_go(target->let_go_ctx);
}

/* One line at info: where it went, and what was moved (s3report.h). */
static void log_uploaded(const struct mc_cache *cache, const char *home,
                         const struct mc_s3_report *report)
{
    char *url = mc_concat(home, "/", cache->id, "/", NULL);

    if (report->got && url)
        mc_s3_report_log(report, 0, url, cache->id, cache->path);
    else
        mc_log_event(MC_LOG_INFO, "uploaded", cache->id, cache->path, "cache %s: uploaded to "
                     "%s/%s/", cache->id, home, cache->id);
    free(url);
}

void upload_at_release(const struct upload_target *target)
{
    const struct mc_cache *cache = target->cache;
    char said[MC_ERR_MAX];
    struct mc_err err;
    int marked;
    char *home = target->dir_fd >= 0 && target->when != MC_S3_UPLOAD_NEVER
                     ? home_of(target, &marked) : NULL;
    const char *args[] = { "push", cache->path, home, NULL };
    struct mc_s3_report report;
    struct late late;
    int rc;

    if (!home)
        return;
    if (target->when == MC_S3_UPLOAD_ON_SUCCESS && !target->succeeded) {
        mc_log(MC_LOG_INFO, "cache %s: not uploaded: the tree did not succeed (" MC_ENV_S3_UPLOAD
               "=on-success)%s", cache->id, marked ? "; kept: an earlier upload of it is "
               "pending (monocache push, or gc, finishes it)" : "");
        free(home);
        return;
    }
    if (!marked)
        mark_until_done(target, home);
    late.target = target;
    late.home = home;
    rc = mc_s3_tool_run_bounded(args, said, sizeof(said), target->timeout_s,
                                target->let_go ? let_go_late : NULL, &late, &report, &err);
    if (rc == 0 &&
        mc_meta_update(target->dir_fd, cache->path, cache->id, clear_pending, NULL, &err) == 0)
        log_uploaded(cache, home, &report);
    else if (rc != 0)
        mc_log_always(MC_LOG_ERROR, "cache %s: upload to %s failed: %s; kept here, marked "
                      "s3_pending: monocache push (or gc) finishes it", cache->id, home,
                      rc < 0 ? err.msg : said[0] ? said : "see monocache-s3's log");
    else
        mc_log_always(MC_LOG_ERROR, "cache %s: uploaded, but %s; kept here, marked s3_pending",
                      cache->id, err.msg);
    free(home);
}
