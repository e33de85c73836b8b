/* lscaches.c — the caches under a prefix as ls --s3 shows them (see
 * sync.h): listed (admin.c), newest upload first, and who pushed each:
 * the meta.json of the newest MC_S3_LS_HOSTS_MAX complete ones, read in
 * parallel on the client's transfers. Reads only. */
#include "common.h"
#include "common/meta.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#define MC_LS_FIRST_CAP 64

struct collected {
    struct mc_s3_cache_info *caches;
    size_t count;
    size_t cap;
    int out_of_memory;
};

static void collect(const struct mc_s3_cache_info *info, void *ctx)
{
    struct collected *all = ctx;

    if (all->count == all->cap) {
        size_t cap = all->cap ? all->cap * 2 : MC_LS_FIRST_CAP;
        struct mc_s3_cache_info *grown = realloc(all->caches, cap * sizeof(*grown));

        if (!grown) {
            all->out_of_memory = 1;
            return;
        }
        all->caches = grown;
        all->cap = cap;
    }
    all->caches[all->count++] = *info;
}

int mc_s3_cache_newer(const struct mc_s3_cache_info *a, const struct mc_s3_cache_info *b)
{
    int by_time = strcmp(b->uploaded, a->uploaded);   /* ISO 8601 sorts as text; "" last */

    return by_time ? by_time : strcmp(a->id, b->id);
}

static int newest_first(const void *a, const void *b)
{
    return mc_s3_cache_newer(a, b);
}

void mc_s3_pusher_of(const char *meta_text, size_t len, char *host, size_t size)
{
    cJSON *meta = cJSON_ParseWithLength(meta_text, len);
    const cJSON *by = cJSON_GetObjectItemCaseSensitive(meta, MC_META_S3_PUSHED_BY);

    host[0] = '\0';
    if (cJSON_IsString(by) && strlen(by->valuestring) < size)
        memcpy(host, by->valuestring, strlen(by->valuestring) + 1);
    cJSON_Delete(meta);
}

static void meta_read(struct mc_s3_op *op, void *ctx)
{
    struct mc_s3_cache_info *info = ctx;
    const struct mc_buf *answer = mc_s3_op_answer(op);

    /* Gone meanwhile, or unreadable: its host unknown, the listing stands. */
    if (mc_s3_op_ok(op) && mc_s3_op_status(op) != 404 && answer && answer->data)
        mc_s3_pusher_of(answer->data, answer->len, info->host, sizeof(info->host));
    mc_s3_op_free(op);
}

static int read_hosts(struct mc_s3_client *client, const struct mc_s3_location *loc,
                      struct collected *all, struct mc_err *err)
{
    size_t asked = 0;
    size_t i;

    for (i = 0; i < all->count && asked < MC_S3_LS_HOSTS_MAX; i++) {
        struct mc_s3_cache_info *info = &all->caches[i];
        char *key;
        struct mc_s3_op *op;

        if (!info->complete)
            continue;
        key = mc_s3_cache_key(loc, info->id, MC_S3_META_FILE);
        op = key ? mc_s3_op_new("GET", key, meta_read, info) : NULL;
        free(key);
        if (!op) {
            mc_err_set(err, "out of memory");
            mc_s3_run(client, err);
            return -1;
        }
        mc_s3_op_allow_404(op);
        mc_s3_submit(client, op);
        asked++;
    }
    return mc_s3_run(client, err);
}

int mc_s3_caches_newest_first(struct mc_s3_client *client, const struct mc_s3_location *loc,
                              struct mc_s3_cache_info **out, size_t *count, struct mc_err *err)
{
    struct collected all = { NULL, 0, 0, 0 };
    int rc = mc_s3_list_caches(client, loc, collect, &all, err);

    if (rc == 0 && all.out_of_memory) {
        mc_err_set(err, "out of memory");
        rc = -1;
    }
    if (rc == 0 && all.count) {
        qsort(all.caches, all.count, sizeof(*all.caches), newest_first);
        rc = read_hosts(client, loc, &all, err);
    }
    if (rc != 0) {
        free(all.caches);
        all.caches = NULL;
        all.count = 0;
    }
    *out = all.caches;
    *count = all.count;
    return rc;
}
