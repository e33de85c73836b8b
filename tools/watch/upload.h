/* upload.h — a cache's trip to S3 at its release (the watcher's part). */
#ifndef MC_UPLOAD_H
#define MC_UPLOAD_H

#include "common/config.h"
#include "local/cache.h"

struct upload_target {
    const struct mc_cache *cache;
    int dir_fd;                 /* the cache directory as created or attached, or -1 */
    const char *tree_home;      /* the tree's own S3 setting (MONOCACHE_S3, or where
                                   the cache came from), or NULL */
    enum mc_s3_upload_when when;    /* MONOCACHE_S3_UPLOAD */
    int succeeded;              /* the tree's last holder exited 0 */
    int timeout_s;              /* MONOCACHE_S3_TIMEOUT_S */
    void (*let_go)(void *ctx);  /* lets the holders waiting for the release go on (or
                                   NULL: none wait) */
    void *let_go_ctx;
};

/* Uploads the cache if it has an S3 home: meta.json's "s3", else the
 * tree's own setting (a meta rewritten without "s3", or removed with the
 * rest of the cache, does not turn the upload off; "s3": null does). The
 * cache stays marked "s3_pending" until every object is confirmed, so that
 * nothing wipes it before: a failure is one line, and the cache is kept for
 * monocache push or gc to finish. An upload not done after timeout_s lets
 * the holders go (one line) and goes on in the background. MONOCACHE_S3_UPLOAD
 * never: nothing uploaded; on-success: only if the tree succeeded (a mark
 * left by an earlier upload that failed keeps the cache for gc or push). */
void upload_at_release(const struct upload_target *target);

/* The marks a tree with an S3 home gets in its meta when it starts: "s3"
 * (where it goes) and, when it is uploaded whatever the end (pending),
 * "s3_pending" (never wiped until it is there). */
int upload_mark_start(cJSON *meta, const char *home, int pending);

#endif
