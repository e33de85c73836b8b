/* plan.c — what a push sends (see plan.h). */
#include "plan.h"
#include "common.h"

#include <stdlib.h>
#include <string.h>

/* Unchanged since the last push, by what the index recorded (size, mtime
 * and ctime) and the listing confirms: no need to read it. */
static int known_unchanged(const struct mc_entry *e, const struct mc_entry *was,
                           const struct mc_s3_object *remote)
{
    if (!was || !remote || was->type != e->type)
        return 0;
    if (e->type == MC_ENTRY_LINK)
        return strcmp(was->target, e->target) == 0;
    /* mtime and size can be put back by anyone (touch -r, tar, rsync -t)
     * after a rewrite; ctime cannot. An index without it: read again. */
    return was->etag && strcmp(was->etag, remote->etag) == 0 && was->size == e->size &&
           was->mtime_s == e->mtime_s && was->mtime_ns == e->mtime_ns && was->has_ctime &&
           e->has_ctime && was->ctime_s == e->ctime_s && was->ctime_ns == e->ctime_ns;
}

static int plan_item(struct mc_s3_plan *plan, struct mc_entry *e, const struct mc_tree *old,
                     const struct mc_s3_listing *remote, const char *prefix,
                     long long multipart_min, struct mc_err *err)
{
    struct mc_s3_plan_item *item = &plan->items[plan->item_count];

    item->key = mc_concat(prefix, e->path, NULL);
    if (!item->key) {
        mc_err_set(err, "%s: key too long", e->path);
        return -1;
    }
    plan->item_count++;
    item->entry = e;
    item->was = mc_tree_find(old, e->path);
    item->remote = mc_s3_listing_find(remote, item->key);
    if (known_unchanged(e, item->was, item->remote) || e->from_remote) {
        /* Another push's, kept as S3 has it: never read (there may be no
         * such file here), so S3 must still hold what its index says. */
        if (e->from_remote && !known_unchanged(e, item->was, item->remote)) {
            mc_err_setc(err, MC_ERR_CHANGED, "%s: changed in S3 while this push ran", e->path);
            return -1;
        }
        item->kind = MC_S3_PLAN_UNCHANGED;
        item->part_size = item->was->part_size;
        plan->unchanged++;
        return 0;
    }
    item->kind = item->remote ? MC_S3_PLAN_CHANGED : MC_S3_PLAN_NEW;
    if (e->type == MC_ENTRY_FILE) {
        item->part_size = e->size > multipart_min ? mc_s3_part_size(e->size) : 0;
        plan->bytes_to_read += e->size;
    }
    plan->to_read++;
    return 0;
}

/* Objects under the cache that no local file or link has (meta.json is
 * never one: it goes, or stays, by meta_first), and, when deletable is
 * given, whose path it has. A key outside the prefix is never acted on. */
static int plan_deletes(struct mc_s3_plan *plan, const struct mc_tree *local,
                        const struct mc_tree *deletable, const struct mc_s3_listing *remote,
                        const char *prefix)
{
    size_t prefix_len = strlen(prefix);
    size_t i;

    plan->deletes = calloc(remote->count ? remote->count : 1, sizeof(*plan->deletes));
    if (!plan->deletes)
        return -1;
    for (i = 0; i < remote->count; i++) {
        const struct mc_s3_object *obj = &remote->objects[i];
        const struct mc_entry *e;

        if (strncmp(obj->key, prefix, prefix_len) != 0)
            continue;
        e = mc_tree_find(local, obj->key + prefix_len);
        if (strcmp(obj->key + prefix_len, MC_S3_META_FILE) == 0 || (e && e->type != MC_ENTRY_DIR))
            continue;
        if (deletable && !mc_tree_find(deletable, obj->key + prefix_len))
            continue;
        plan->deletes[plan->delete_count++] = obj;
    }
    return 0;
}

int mc_s3_plan_make(struct mc_s3_plan *plan, struct mc_tree *local, const struct mc_tree *old,
                    const struct mc_s3_listing *remote, const struct mc_tree *deletable,
                    const char *prefix, long long multipart_min, struct mc_err *err)
{
    char *meta_key = mc_concat(prefix, MC_S3_META_FILE, NULL);
    size_t i;
    int rc = 0;

    memset(plan, 0, sizeof(*plan));
    plan->items = calloc(local->count ? local->count : 1, sizeof(*plan->items));
    if (!plan->items || !meta_key || plan_deletes(plan, local, deletable, remote, prefix) != 0) {
        mc_err_set(err, "out of memory");
        rc = -1;
    }
    for (i = 0; rc == 0 && i < local->count; i++) {
        struct mc_entry *e = &local->entries[i];

        if (e->type == MC_ENTRY_DIR || strcmp(e->path, MC_S3_META_FILE) == 0)
            continue;
        rc = plan_item(plan, e, old, remote, prefix, multipart_min, err);
    }
    if (rc == 0) {
        plan->remote_meta = mc_s3_listing_find(remote, meta_key);
        plan->meta_first = plan->remote_meta && (plan->to_read || plan->delete_count);
    }
    free(meta_key);
    if (rc != 0)
        mc_s3_plan_free(plan);
    return rc;
}

void mc_s3_plan_free(struct mc_s3_plan *plan)
{
    size_t i;

    for (i = 0; i < plan->item_count; i++)
        free(plan->items[i].key);
    free(plan->items);
    free(plan->deletes);
    memset(plan, 0, sizeof(*plan));
}

int mc_s3_plan_remote_has(const struct mc_s3_plan_item *item, const char *etag,
                          const char *whole_etag)
{
    if (!item->remote)
        return 0;
    return strcmp(item->remote->etag, etag) == 0 ||
           (item->part_size && strcmp(item->remote->etag, whole_etag) == 0);
}
