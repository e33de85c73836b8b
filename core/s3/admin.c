/* admin.c — listing the caches under a prefix (in key order; ls --s3's
 * view is lscaches.c's), and removing one (see sync.h). */
#include "common.h"
#include "host/names.h"
#include "host/proto.h"

#include <stdlib.h>
#include <string.h>

struct remove_ctx {
    struct mc_s3_client *client;
    int failed;
    struct mc_err err;
    long long deleted;
};

static void removed(struct mc_s3_op *op, void *ctx)
{
    struct remove_ctx *rm = ctx;

    if (!mc_s3_op_ok(op))
        mc_s3_fail(rm->client, &rm->failed, &rm->err, mc_s3_op_err(op));
    else
        rm->deleted++;
    mc_s3_op_free(op);
}

static int delete_key(struct mc_s3_client *client, const char *key, mc_s3_done_fn done,
                      void *ctx)
{
    struct mc_s3_op *op = mc_s3_op_new("DELETE", key, done, ctx);

    if (!op)
        return -1;
    mc_s3_op_allow_404(op);
    mc_s3_submit(client, op);
    return 0;
}

int mc_s3_remove(struct mc_s3_job *job, struct mc_err *err)
{
    struct remove_ctx rm = { job->client, 0, { 0, "" }, 0 };
    struct mc_s3_listing remote;
    char *prefix = mc_s3_cache_key(job->loc, job->id, "");
    char *meta_key = prefix ? mc_concat(prefix, MC_S3_META_FILE, NULL) : NULL;
    char *index_key = mc_s3_index_key(job->loc, job->id);
    char *history = mc_s3_history_key(job->loc, job->id, "");
    struct mc_s3_listing past;
    char *index_text = NULL;
    size_t len;
    size_t i;
    int got;
    int rc = meta_key && index_key && history
                 ? mc_s3_list_all(job->client, prefix, &remote, err) : -1;

    if (rc == 0 && remote.count == 0) {
        mc_err_set(err, "s3://%s/%s: no such cache", job->loc->bucket, prefix);
        mc_s3_listing_free(&remote);
        rc = -1;
    }
    /* Only what monocache made: a meta.json or an index. A prefix of other
     * caches (s3://bucket/ci read as the cache "ci") is never deleted. */
    if (rc == 0 && !mc_s3_listing_find(&remote, meta_key) &&
        (got = mc_s3_get_small(job->client, index_key, &index_text, &len, NULL, err)) != 0) {
        if (got > 0)
            mc_err_set(err, "s3://%s/%s: not a cache (no meta.json, no index): nothing deleted "
                       "(a prefix of caches? name the cache: s3://%s/%s<id>)",
                       job->loc->bucket, prefix, job->loc->bucket, prefix);
        mc_s3_listing_free(&remote);
        rc = -1;
    }
    free(index_text);
    if (rc == 0) {
        /* meta.json first: what is left of a removal cut short is an
         * incomplete cache, which no pull takes. */
        rc = delete_key(job->client, meta_key, removed, &rm);
        rc |= mc_s3_run(job->client, err);
        for (i = 0; rc == 0 && !rm.failed && i < remote.count; i++) {
            if (strcmp(remote.objects[i].key, meta_key) != 0)
                rc = delete_key(job->client, remote.objects[i].key, removed, &rm);
        }
        if (rc == 0 && !rm.failed)
            rc = delete_key(job->client, index_key, removed, &rm);
        /* The indexes of its past pushes (merge.h), last. */
        if (rc == 0 && !rm.failed && mc_s3_list_all(job->client, history, &past, err) == 0) {
            for (i = 0; rc == 0 && i < past.count; i++)
                rc = delete_key(job->client, past.objects[i].key, removed, &rm);
            mc_s3_listing_free(&past);
        }
        if (mc_s3_run(job->client, err) != 0)
            rc = -1;
        if (rm.failed) {
            *err = rm.err;
            rc = -1;
        }
        job->stats.deleted = rm.deleted;
        mc_s3_listing_free(&remote);
    }
    free(prefix);
    free(meta_key);
    free(index_key);
    free(history);
    return rc;
}

int mc_s3_list_caches(struct mc_s3_client *client, const struct mc_s3_location *loc,
                      mc_s3_cache_fn fn, void *ctx, struct mc_err *err)
{
    struct mc_s3_listing all;
    struct mc_s3_cache_info info;
    char *top = mc_concat(loc->prefix, *loc->prefix ? "/" : "", NULL);
    size_t top_len = top ? strlen(top) : 0;
    size_t i;
    int rc = top ? mc_s3_list_all(client, top, &all, err) : -1;

    memset(&info, 0, sizeof(info));
    for (i = 0; rc == 0 && i < all.count; i++) {
        const char *rest = all.objects[i].key + top_len;
        const char *slash = strchr(rest, '/');

        /* Sorted by key: one cache's objects come together. */
        if (!slash || !mc_id_valid_n(rest, (size_t)(slash - rest)))
            continue;
        if (strncmp(info.id, rest, (size_t)(slash - rest)) != 0 ||
            info.id[slash - rest] != '\0') {
            if (info.id[0])
                fn(&info, ctx);
            memset(&info, 0, sizeof(info));
            memcpy(info.id, rest, (size_t)(slash - rest));
        }
        info.objects++;
        info.bytes += all.objects[i].size;
        if (strcmp(slash + 1, MC_S3_META_FILE) == 0) {
            info.complete = 1;
            memcpy(info.uploaded, all.objects[i].modified, sizeof(info.uploaded));
        }
    }
    if (rc == 0 && info.id[0])
        fn(&info, ctx);
    if (rc == 0)
        mc_s3_listing_free(&all);
    free(top);
    return rc;
}
