/* merge.c — a push's tree merged with what another push sent (see merge.h). */
#include "merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MC_MERGE_ETAG_ROOM 64

struct merge {
    mc_local_etag_fn etag_of;
    void *etag_ctx;
    struct mc_s3_merge_result *result;
    struct mc_err *err;
};

/* 1 if two entries of indexes hold the same thing. */
static int same_recorded(const struct mc_entry *a, const struct mc_entry *b)
{
    if (a->type != b->type)
        return 0;
    if (a->type == MC_ENTRY_LINK)
        return a->target && b->target && strcmp(a->target, b->target) == 0;
    if (a->type == MC_ENTRY_DIR)
        return 1;
    return a->etag && b->etag && a->size == b->size && strcmp(a->etag, b->etag) == 0;
}

/* 1 if the local entry holds what the recorded one (NULL: none) does, 0
 * if not, -1 with m->err. A file is read only when the sizes agree. */
static int local_same(struct merge *m, struct mc_entry *local, const struct mc_entry *recorded)
{
    char etag[MC_MERGE_ETAG_ROOM];

    if (!recorded || local->type != recorded->type)
        return 0;
    if (local->type == MC_ENTRY_LINK)
        return local->target && recorded->target && strcmp(local->target, recorded->target) == 0;
    if (local->type == MC_ENTRY_DIR)
        return 1;
    if (local->size != recorded->size || !recorded->etag)
        return 0;
    if (m->etag_of(local, recorded->part_size, etag, m->etag_ctx, m->err) != 0)
        return -1;
    return strcmp(etag, recorded->etag) == 0;
}

static void conflict(struct merge *m, const char *path)
{
    if (!m->result->conflicts++)
        snprintf(m->result->first_conflict, sizeof(m->result->first_conflict), "%s", path);
}

/* The local entry becomes the remote one, kept as S3 has it. */
static int take_theirs(struct mc_entry *local, const struct mc_entry *remote)
{
    char *target = remote->target ? strdup(remote->target) : NULL;
    char *etag = remote->etag ? strdup(remote->etag) : NULL;
    char *path = local->path;

    if ((remote->target && !target) || (remote->etag && !etag)) {
        free(target);
        free(etag);
        return -1;
    }
    free(local->target);
    free(local->etag);
    *local = *remote;
    local->path = path;
    local->target = target;
    local->etag = etag;
    local->from_remote = 1;
    return 0;
}

/* A local file or link against the base and the remote: kept (0), to be
 * dropped (1), or -1 with m->err. */
static int merge_local(struct merge *m, struct mc_entry *local, const struct mc_tree *base,
                       const struct mc_tree *remote)
{
    const struct mc_entry *was = mc_tree_find(base, local->path);
    const struct mc_entry *now = mc_tree_find(remote, local->path);
    int unchanged_here = was ? local_same(m, local, was) : 0;
    int same_as_theirs;

    if (unchanged_here < 0)
        return -1;
    if (!now)
        return unchanged_here;      /* deleted there: gone too, unless changed here */
    if (was && same_recorded(now, was))
        return 0;                   /* unchanged there: ours */
    if (unchanged_here) {
        if (take_theirs(local, now) != 0) {
            mc_err_set(m->err, "out of memory");
            return -1;
        }
        m->result->theirs++;
        return 0;
    }
    same_as_theirs = local_same(m, local, now);
    if (same_as_theirs < 0)
        return -1;
    if (!same_as_theirs)
        conflict(m, local->path);
    return 0;
}

/* The remote entries the local tree does not have, that stay: added there,
 * or changed there while deleted here (a conflict). Into kept. */
static int remote_only(struct merge *m, const struct mc_tree *local, const struct mc_tree *base,
                       const struct mc_tree *remote, struct mc_tree *kept)
{
    size_t i;

    for (i = 0; i < remote->count; i++) {
        const struct mc_entry *now = &remote->entries[i];
        const struct mc_entry *was = mc_tree_find(base, now->path);
        struct mc_entry copy;

        if (strcmp(now->path, MC_S3_META_FILE) == 0 || mc_tree_find(local, now->path))
            continue;
        if (was && (same_recorded(now, was) || now->type == MC_ENTRY_DIR))
            continue;               /* deleted here */
        if (was)
            conflict(m, now->path);
        copy = *now;
        copy.from_remote = 1;
        if (mc_tree_add(kept, &copy) != 0) {
            mc_err_set(m->err, "out of memory");
            return -1;
        }
        m->result->theirs++;
    }
    return 0;
}

static void free_entry(struct mc_entry *e)
{
    free(e->path);
    free(e->target);
    free(e->etag);
}

int mc_s3_merge(struct mc_tree *local, const struct mc_tree *base, const struct mc_tree *remote,
                mc_local_etag_fn etag_of, void *etag_ctx, struct mc_s3_merge_result *result,
                struct mc_err *err)
{
    struct merge m = { etag_of, etag_ctx, result, err };
    struct mc_tree kept;
    char *dropped = calloc(local->count ? local->count : 1, 1);
    size_t kept_count = 0;
    size_t i;
    int rc = dropped ? 0 : -1;

    memset(result, 0, sizeof(*result));
    memset(&kept, 0, sizeof(kept));
    if (!dropped)
        mc_err_set(err, "out of memory");
    for (i = 0; rc == 0 && i < local->count; i++) {
        struct mc_entry *e = &local->entries[i];
        int drop = 0;

        if (e->type != MC_ENTRY_DIR && strcmp(e->path, MC_S3_META_FILE) != 0)
            drop = merge_local(&m, e, base, remote);
        if (drop < 0)
            rc = -1;
        else if (drop)
            result->dropped++;
        dropped[i] = drop > 0;
    }
    if (rc == 0)
        rc = remote_only(&m, local, base, remote, &kept);
    /* What stays of the local tree, in place; what goes is freed. */
    for (i = 0; dropped && i < local->count; i++) {
        if (!dropped[i])
            local->entries[kept_count++] = local->entries[i];
        else
            free_entry(&local->entries[i]);
    }
    if (dropped)
        local->count = kept_count;
    free(dropped);
    for (i = 0; rc == 0 && i < kept.count; i++) {
        if (mc_tree_add(local, &kept.entries[i]) != 0) {
            mc_err_set(err, "out of memory");
            rc = -1;
        }
    }
    mc_tree_free(&kept);
    mc_tree_sort(local);
    return rc;
}
