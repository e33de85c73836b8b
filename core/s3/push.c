/* push.c — a cache directory to S3 (see sync.h): carries out the plan
 * (plan.h) made from the remote listing and the last index: sends what
 * changed (files in one PUT or in parts, links as small objects), deletes
 * what is gone, then the index, then meta.json, both of one new generation.
 *
 * Two pushes of one cache at once (two hosts) must never leave a mix that
 * passes for complete: the index records every object's ETag and the
 * generation, meta.json (last) the same generation, and a pull takes only
 * objects that match the index of meta.json's generation. Where the server
 * honours conditional writes (AWS since 2024, MinIO), the index is written
 * only if it is still the one this push read (If-Match, or If-None-Match
 * for a first push) and meta.json likewise: the second of two pushes fails
 * at once, with the cache kept pending here. */
#include "common.h"
#include "plan.h"
#include "upload.h"
#include "common/file.h"
#include "common/jsontext.h"
#include "common/meta.h"
#include "header.h"
#include "merge.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* Room, per file, for the ETag the index will record. */
#define MC_INDEX_ETAG_ROOM (MC_S3_ETAG_MAX + 16)

struct push {
    struct mc_s3_job *job;
    int dir_fd;
    char *prefix;               /* "<prefix>/<id>/" */
    struct mc_s3_uploads uploads;   /* the files', and the first failure */
    const struct mc_s3_plan *plan;
    int meta_gone;              /* the remote meta.json deleted (plan->meta_first) */
    char index_etag[MC_S3_ETAG_MAX];    /* the index as read ("": there was none) */
    int index_there;            /* there was one (readable or not) */
    int conditional;            /* the server has not refused conditional writes */
    const char *base;           /* the generation this copy came from ("": unknown) */
    int merged_theirs;          /* the merge took entries from S3: the copy is not the push */
    char pushed[MC_S3_GENERATION_LEN + 1];  /* the generation S3 has once done */
    size_t conflicts;           /* files changed here and by another push: ours kept */
    char conflict_line[MC_ERR_MAX];     /* the warning, said once the push is done */
};

/* What a PUT of the index or meta.json expects of what S3 has. */
enum put_condition {
    PUT_ANYWAY,
    PUT_IF_ABSENT,              /* If-None-Match: * */
    PUT_IF_MATCH                /* If-Match: the ETag given */
};

static void fail(struct push *push, const struct mc_err *err)
{
    mc_s3_uploads_fail(&push->uploads, err);
}

/* --- carrying out the plan ------------------------------------------------------ */

static char *key_of(const struct push *push, const char *path)
{
    return mc_concat(push->prefix, path, NULL);
}

static int delete_one(struct push *push, const char *key, struct mc_err *err)
{
    struct mc_s3_op *op = mc_s3_op_new("DELETE", key, NULL, NULL);
    int rc;

    if (!op) {
        mc_err_set(err, "out of memory");
        return -1;
    }
    mc_s3_op_allow_404(op);
    rc = mc_s3_run_one(push->job->client, op, err);
    mc_s3_op_free(op);
    return rc;
}

/* The remote meta.json goes before the first change (plan->meta_first), so
 * that a push cut short leaves a cache no pull takes: lazily, so that a
 * push whose files S3 has already takes nothing away. */
static int meta_away(struct push *push, struct mc_err *err)
{
    if (!push->plan->meta_first || push->meta_gone)
        return 0;
    if (delete_one(push, push->plan->remote_meta->key, err) != 0)
        return -1;
    push->meta_gone = 1;
    return 0;
}

/* An entry that need not be sent: the index records it as S3 has it. */
static void keep_entry(struct push *push, struct mc_entry *e, const char *etag,
                       long long part_size)
{
    free(e->etag);
    e->etag = etag ? strdup(etag) : NULL;
    e->part_size = part_size;
    push->job->stats.files_skipped++;
}

/* One item of the plan: 0 nothing to send (etag set), 1 queued, -1 error. */
static int send_item(struct push *push, const struct mc_s3_plan_item *item, struct mc_err *err)
{
    struct mc_entry *e = item->entry;
    struct mc_s3_upload *up;

    if (item->kind == MC_S3_PLAN_UNCHANGED) {
        keep_entry(push, e, item->was->etag, item->part_size);
        return 0;
    }
    /* The plan's key outlives every upload. */
    up = mc_s3_upload_new(&push->uploads, e, item->key, item->part_size, err);
    if (!up)
        return -1;
    if (mc_s3_plan_remote_has(item, up->etag, up->whole_etag)) {
        keep_entry(push, e, item->remote->etag, up->part_size);
        mc_s3_upload_free(up);
        return 0;
    }
    if (meta_away(push, err) != 0) {
        mc_s3_upload_free(up);
        return -1;
    }
    push->job->stats.files_total++;
    /* A link's object holds its target. */
    push->job->stats.bytes_total += e->type == MC_ENTRY_FILE ? e->size
                                  : e->target ? (long long)strlen(e->target) : 0;
    if (mc_s3_upload_submit(up) != 0) {
        mc_err_set(err, "out of memory");
        return -1;
    }
    return 1;
}

static void delete_done(struct mc_s3_op *op, void *ctx)
{
    struct push *push = ctx;

    if (!mc_s3_op_ok(op))
        fail(push, mc_s3_op_err(op));
    else
        push->job->stats.deleted++;
    mc_s3_op_free(op);
}

static int submit_delete(struct push *push, const char *key)
{
    struct mc_s3_op *op = mc_s3_op_new("DELETE", key, delete_done, push);

    if (!op)
        return -1;
    mc_s3_op_allow_404(op);
    mc_s3_submit(push->job->client, op);
    return 0;
}

static int submit_deletes(struct push *push, const struct mc_s3_plan *plan, struct mc_err *err)
{
    size_t i;

    if (plan->delete_count && meta_away(push, err) != 0)
        return -1;
    for (i = 0; i < plan->delete_count; i++) {
        if (submit_delete(push, plan->deletes[i]->key) != 0) {
            mc_err_set(err, "out of memory");
            return -1;
        }
    }
    return 0;
}

/* The old index, if there is one, in *old (missing or unreadable: an empty
 * one, every file compared) and its text in *old_text (or NULL). A GET
 * that fails fails the push: without it, this push could not write its
 * index only over the one it read. 0, or -1 with err. */
static int read_old_index(struct push *push, struct mc_tree *old, char **old_text,
                          struct mc_err *err)
{
    struct mc_s3_job *job = push->job;
    char *key = mc_s3_index_key(job->loc, job->id);
    struct mc_err ignored;
    size_t len;
    int rc;

    memset(old, 0, sizeof(*old));
    *old_text = NULL;
    if (!key) {
        mc_err_set(err, "out of memory");
        return -1;
    }
    rc = mc_s3_get_small(job->client, key, old_text, &len, push->index_etag, err);
    free(key);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    push->index_there = 1;
    if (mc_index_read(*old_text, len, old, &ignored) != 0) {
        free(*old_text);
        *old_text = NULL;
        if (job->warn)
            job->warn("the cache's index in S3 is unreadable; every file is compared",
                      job->warn_ctx);
    }
    return 0;
}

/* meta.json as it goes to S3: the file, without "s3_pending" and
 * "s3_base" (marks of this copy's state, not of the cache), with
 * "s3_generation" (when generation is not "") and "s3_pushed_by" (the
 * job's host: no time, so that a push from the same host with nothing
 * changed sends nothing). malloc'd in *body. */
static int meta_body(struct push *push, const char *generation, char **body, size_t *len,
                     struct mc_err *err)
{
    char *text;
    cJSON *meta = NULL;
    int rc = mc_meta_read(push->dir_fd, push->job->label, &meta, err);

    *body = NULL;
    if (rc != 0)
        return -1;
    while (cJSON_GetObjectItemCaseSensitive(meta, MC_META_S3_PENDING))
        cJSON_DeleteItemFromObjectCaseSensitive(meta, MC_META_S3_PENDING);
    while (cJSON_GetObjectItemCaseSensitive(meta, MC_META_S3_BASE))
        cJSON_DeleteItemFromObjectCaseSensitive(meta, MC_META_S3_BASE);
    if (*generation && mc_meta_set_key(meta, MC_META_S3_GENERATION,
                                       cJSON_CreateString(generation)) != 0) {
        cJSON_Delete(meta);
        mc_err_set(err, "out of memory");
        return -1;
    }
    while (!*generation && cJSON_GetObjectItemCaseSensitive(meta, MC_META_S3_GENERATION))
        cJSON_DeleteItemFromObjectCaseSensitive(meta, MC_META_S3_GENERATION);
    if (push->job->host && *push->job->host &&
        mc_meta_set_key(meta, MC_META_S3_PUSHED_BY, cJSON_CreateString(push->job->host)) != 0) {
        cJSON_Delete(meta);
        mc_err_set(err, "out of memory");
        return -1;
    }
    text = cJSON_PrintUnformatted(meta);
    cJSON_Delete(meta);
    /* As mc_meta_write writes it. */
    *body = text ? mc_concat(text, "\n", NULL) : NULL;
    free(text);
    if (!*body) {
        mc_err_set(err, "out of memory");
        return -1;
    }
    *len = strlen(*body);
    return 0;
}

/* meta.json in S3 is what would be sent with generation. */
static int same_meta(struct push *push, const struct mc_s3_object *remote,
                     const char *generation)
{
    unsigned char md5[MC_MD5_LEN];
    char hex[MC_MD5_LEN * 2 + 1];
    struct mc_err err;
    char *body;
    size_t len;

    if (!remote || meta_body(push, generation, &body, &len, &err) != 0)
        return 0;
    mc_md5_of(body, len, md5);
    free(body);
    mc_md5_hex(md5, hex);
    return strcmp(hex, remote->etag) == 0;
}

static int add_condition(struct mc_s3_op *op, enum put_condition condition, const char *etag)
{
    char quoted[MC_S3_ETAG_MAX + 3];

    if (condition == PUT_IF_ABSENT)
        return mc_s3_op_header(op, "if-none-match", "*");
    if (condition != PUT_IF_MATCH)
        return 0;
    snprintf(quoted, sizeof(quoted), "\"%s\"", etag);
    return mc_s3_op_header(op, "if-match", quoted);
}

/* One PUT of a copy of body, under condition; *status its HTTP status. */
static int put_once(struct push *push, const char *key, const char *body, size_t len,
                    enum put_condition condition, const char *etag, long *status,
                    struct mc_err *err)
{
    struct mc_s3_op *op = mc_s3_op_new("PUT", key, NULL, NULL);
    char *copy = malloc(len ? len : 1);
    unsigned char md5[MC_MD5_LEN];
    char hex[MC_MD5_LEN * 2 + 1];
    const char *problem;
    int rc;

    *status = 0;
    if (!op || !copy) {
        mc_s3_op_free(op);
        free(copy);
        mc_err_set(err, "out of memory");
        return -1;
    }
    memcpy(copy, body, len);
    mc_s3_op_body_bytes(op, copy, len);
    mc_md5_of(body, len, md5);
    mc_md5_hex(md5, hex);
    rc = mc_s3_add_content_md5(op, md5) | add_condition(op, condition, etag);
    if (rc != 0)
        mc_err_set(err, "out of memory");
    else
        rc = mc_s3_run_one(push->job->client, op, err);
    *status = mc_s3_op_status(op);
    problem = rc == 0 ? mc_s3_etag_problem(op, hex) : NULL;
    if (problem) {
        mc_err_set(err, "s3 %s: %s", key, problem);
        rc = -1;
    }
    mc_s3_op_free(op);
    return rc;
}

/* One PUT of body (taken over), checked against its ETag, under condition
 * (etag: the one it must match). A server that does not implement the
 * condition (501) gets the PUT again without, and no condition after. */
static int put_small(struct push *push, const char *key, char *body, size_t len,
                     enum put_condition condition, const char *etag, struct mc_err *err)
{
    long status;
    int rc;

    if (!push->conditional)
        condition = PUT_ANYWAY;
    rc = put_once(push, key, body, len, condition, etag, &status, err);
    if (rc != 0 && condition != PUT_ANYWAY && status == 412)
        mc_err_setc(err, MC_ERR_CHANGED, "s3 %s: changed meanwhile by another push of this "
                    "cache (HTTP 412); push again", key);
    if (rc != 0 && condition != PUT_ANYWAY && status == 501) {
        push->conditional = 0;
        rc = put_once(push, key, body, len, PUT_ANYWAY, NULL, &status, err);
    }
    free(body);
    return rc;
}

/* The plan's objects: the files and links, the deletes (meta.json away
 * before the first of them); every transfer to its end. */
static int send_plan(struct push *push, const struct mc_s3_plan *plan, struct mc_err *err)
{
    struct mc_s3_client *client = push->job->client;
    size_t i;
    int rc = 0;

    for (i = 0; rc == 0 && i < plan->item_count && !push->uploads.failed; i++) {
        if (send_item(push, &plan->items[i], err) < 0 || mc_s3_step(client, err) != 0)
            rc = -1;
    }
    if (rc == 0 && !push->uploads.failed)
        rc = submit_deletes(push, plan, err);
    if (mc_s3_run(client, err) != 0)
        rc = -1;
    if (push->uploads.aborts)
        mc_s3_uploads_abort_failed(&push->uploads);
    if (rc == 0 && push->uploads.failed) {
        *err = push->uploads.err;
        rc = -1;
    }
    return rc;
}

static int put_meta(struct push *push, const char *generation, struct mc_err *err)
{
    const struct mc_s3_object *remote = push->plan->remote_meta;
    char *key = key_of(push, MC_S3_META_FILE);
    char *body;
    size_t len;
    int rc;

    if (!key) {
        mc_err_set(err, "out of memory");
        return -1;
    }
    rc = meta_body(push, generation, &body, &len, err);
    if (rc == 0)
        rc = put_small(push, key, body, len, remote && !push->meta_gone ? PUT_IF_MATCH
                                                                      : PUT_IF_ABSENT,
                       remote ? remote->etag : NULL, err);
    free(key);
    return rc;
}

/* The index as this push writes it, of generation. */
static char *index_text(struct push *push, struct mc_tree *local, const char *generation)
{
    snprintf(local->generation, sizeof(local->generation), "%s", generation);
    return mc_index_write(local, push->job->id);
}

static int put_index(struct push *push, const char *key, char *text, struct mc_err *err)
{
    return put_small(push, key, text, strlen(text),
                     !push->index_there ? PUT_IF_ABSENT
                                        : push->index_etag[0] ? PUT_IF_MATCH : PUT_ANYWAY,
                     push->index_etag, err);
}

/* The index of a new generation, kept where a copy pulled at it finds it
 * when it pushes after another push (merge.h): written once, never
 * changed (a generation is random). text stays the caller's. */
static int put_history(struct push *push, const char *generation, const char *text,
                       struct mc_err *err)
{
    char *key = mc_s3_history_key(push->job->loc, push->job->id, generation);
    char *body = strdup(text);
    int rc;

    if (!key || !body) {
        free(key);
        free(body);
        mc_err_set(err, "out of memory");
        return -1;
    }
    rc = put_small(push, key, body, strlen(body), PUT_ANYWAY, NULL, err);
    free(key);
    return rc;
}

/* The index, then meta.json, of a new generation; or, when no object
 * changed and meta.json is the same, the index alone if it changed (modes,
 * times: the objects still match it), keeping its generation; or nothing. */
static int send_index_and_meta(struct push *push, struct mc_tree *local,
                               const struct mc_tree *old, const char *old_index_text,
                               const char *index_key, struct mc_err *err)
{
    struct mc_s3_job *job = push->job;
    const struct mc_s3_object *remote_meta = push->meta_gone ? NULL : push->plan->remote_meta;
    struct mc_entry *meta = mc_tree_find(local, MC_S3_META_FILE);
    /* meta.json as S3 has it (a release's pending mark, set and taken off,
     * changes only its times here): its entry as the index had it. */
    const struct mc_entry *was = mc_tree_find(old, MC_S3_META_FILE);
    int objects_changed = job->stats.files_total || job->stats.deleted;
    char generation[MC_S3_GENERATION_LEN + 1];
    char *text;
    char *body;
    size_t len;

    meta->has_ctime = 0;        /* not a file a push compares */
    if (meta_body(push, old->generation, &body, &len, err) == 0) {
        meta->size = (long long)len;    /* what S3 gets, without the mark */
        free(body);
    }
    if (!objects_changed && old->generation[0] && was &&
        same_meta(push, remote_meta, old->generation)) {
        meta->mtime_s = was->mtime_s;
        meta->mtime_ns = was->mtime_ns;
        meta->mode = was->mode;
        text = index_text(push, local, old->generation);
        if (!text) {
            mc_err_set(err, "out of memory");
            return -1;
        }
        snprintf(push->pushed, sizeof(push->pushed), "%s", old->generation);
        if (old_index_text && strcmp(old_index_text, text) == 0) {
            free(text);         /* nothing at all changed: nothing sent */
            return 0;
        }
        return put_index(push, index_key, text, err);
    }
    if (mc_s3_new_generation(generation) != 0) {
        mc_err_sys(err, errno, "a new generation for the index");
        return -1;
    }
    if (meta_body(push, generation, &body, &len, err) != 0)
        return -1;
    meta->size = (long long)len;
    free(body);
    text = index_text(push, local, generation);
    if (!text) {
        mc_err_set(err, "out of memory");
        return -1;
    }
    if (put_history(push, generation, text, err) != 0) {
        free(text);
        return -1;
    }
    if (put_index(push, index_key, text, err) != 0)
        return -1;
    if (put_meta(push, generation, err) != 0)
        return -1;
    snprintf(push->pushed, sizeof(push->pushed), "%s", generation);
    return 0;
}

static long long multipart_min(const struct mc_s3_job *job)
{
    return job->multipart_min ? job->multipart_min : (long long)MC_S3_MULTIPART_DEFAULT_MB << 20;
}

/* What no pull could read back is never made: more objects than a listing
 * holds, or an index larger than an answer is read. */
static int fits(struct push *push, struct mc_tree *local, struct mc_err *err)
{
    size_t objects = 0;
    size_t i;
    size_t size;
    char *text;

    for (i = 0; i < local->count; i++)
        objects += local->entries[i].type != MC_ENTRY_DIR;
    if (objects > MC_S3_OBJECTS_MAX) {
        mc_err_set(err, "%s: %zu files and links, more than the %d a cache in S3 may hold "
                   "(a pull could not list them); not uploaded", push->job->label, objects,
                   MC_S3_OBJECTS_MAX);
        return -1;
    }
    text = mc_index_write(local, push->job->id);
    if (!text) {
        mc_err_set(err, "out of memory");
        return -1;
    }
    size = strlen(text) + objects * MC_INDEX_ETAG_ROOM + 2 * MC_S3_GENERATION_LEN;
    free(text);
    if (size > MC_S3_ANSWER_MAX) {
        mc_err_set(err, "%s: its index would take about %zu MiB, more than the %d MiB a pull "
                   "reads (too many files, or names too long); not uploaded", push->job->label,
                   size >> 20, MC_S3_ANSWER_MAX >> 20);
        return -1;
    }
    return 0;
}

/* The ETag of a local file as S3 would give it (merge.h). */
static int local_etag(struct mc_entry *e, long long part_size, char *etag, void *ctx,
                      struct mc_err *err)
{
    struct push *push = ctx;
    struct mc_s3_upload *up = mc_s3_upload_new(&push->uploads, e, "", part_size, err);

    if (!up)
        return -1;
    snprintf(etag, MC_S3_ETAG_MAX, "%s", up->etag);
    mc_s3_upload_free(up);
    return 0;
}

/* The base: the index of the generation this copy came from, from the
 * history (missing, pruned, unreadable: empty, unknown). */
static int read_base(struct push *push, struct mc_tree *base, struct mc_err *err)
{
    char *key = push->base[0] ? mc_s3_history_key(push->job->loc, push->job->id, push->base)
                              : NULL;
    struct mc_err ignored;
    char *text = NULL;
    size_t len;
    int rc = key ? mc_s3_get_small(push->job->client, key, &text, &len, NULL, err) : 1;

    free(key);
    if (rc < 0)
        return -1;
    if (rc == 0 && mc_index_read(text, len, base, &ignored) != 0)
        memset(base, 0, sizeof(*base));
    free(text);
    return 0;
}

/* Objects of the cache that S3 lists and its index does not: another
 * push's, whose index lost the race to one that did not see them (a
 * server without conditional writes), or one cut short. Kept, as files of
 * the index (mode 644), rather than deleted. */
static int adopt_unindexed(struct push *push, struct mc_tree *remote_index,
                           const struct mc_s3_listing *remote, size_t *adopted)
{
    size_t prefix_len = strlen(push->prefix);
    size_t added = 0;
    size_t i;

    for (i = 0; i < remote->count; i++) {
        const struct mc_s3_object *obj = &remote->objects[i];
        const char *path = obj->key + prefix_len;
        struct mc_entry e;

        if (strncmp(obj->key, push->prefix, prefix_len) != 0 || !mc_relative_path_ok(path) ||
            strcmp(path, MC_S3_META_FILE) == 0 || mc_tree_find(remote_index, path))
            continue;
        memset(&e, 0, sizeof(e));
        e.path = (char *)path;
        e.type = MC_ENTRY_FILE;
        e.mode = 0644;
        e.size = obj->size;
        e.etag = obj->etag;
        e.has_ctime = 1;
        e.part_size = strchr(obj->etag, '-') ? mc_s3_part_size(obj->size) : 0;
        if (mc_tree_add(remote_index, &e) != 0)
            return -1;
        added++;
    }
    if (added)
        mc_tree_sort(remote_index);
    *adopted = added;
    return 0;
}

/* local merged with what other pushes sent since this copy's base. */
static int merge_with(struct push *push, struct mc_tree *local, const struct mc_tree *remote,
                      struct mc_tree *base, struct mc_err *err)
{
    struct mc_s3_job *job = push->job;
    struct mc_s3_merge_result merged;

    if (read_base(push, base, err) != 0 ||
        mc_s3_merge(local, base, remote, local_etag, push, &merged, err) != 0)
        return -1;
    push->merged_theirs = merged.theirs || merged.dropped;
    push->conflicts = merged.conflicts;
    if (merged.conflicts) {
        snprintf(push->conflict_line, sizeof(push->conflict_line),
                 "%s: %zu file(s) changed both here and by another push "
                 "since this copy %s: this push's kept (the first: %s)", job->label,
                 merged.conflicts, push->base[0] ? "was pulled" : "was made",
                 merged.first_conflict);
    }
    return 0;
}

static int push_planned(struct push *push, struct mc_tree *local, struct mc_err *err)
{
    struct mc_s3_job *job = push->job;
    struct mc_s3_listing remote;
    struct mc_s3_plan plan;
    struct mc_tree old;
    struct mc_tree base;
    const struct mc_entry *meta = mc_tree_find(local, MC_S3_META_FILE);
    char *index_key = mc_s3_index_key(job->loc, job->id);
    char *old_index_text = NULL;
    size_t adopted = 0;
    int merging;
    int rc = -1;

    if (!meta || meta->type != MC_ENTRY_FILE)
        mc_err_set(err, "%s: no meta.json: not a cache", job->label);
    else if (!index_key)
        mc_err_set(err, "out of memory");
    else if (fits(push, local, err) == 0)
        rc = mc_s3_list_all(job->client, push->prefix, &remote, err);
    if (rc != 0) {
        free(index_key);
        return -1;
    }
    rc = read_old_index(push, &old, &old_index_text, err);
    memset(&base, 0, sizeof(base));
    /* Another push since this copy's, or objects its index lost: what they
     * sent stays (merge.h). An unreadable index is no tree to merge with:
     * every file is compared. */
    merging = rc == 0 && old_index_text && old.generation[0];
    if (merging && adopt_unindexed(push, &old, &remote, &adopted) != 0) {
        mc_err_set(err, "out of memory");
        rc = -1;
    }
    merging = merging && rc == 0 && (adopted || strcmp(old.generation, push->base) != 0);
    if (merging)
        rc = merge_with(push, local, &old, &base, err);
    /* The whole plan first, without sending: a push that changes anything
     * takes meta.json away before the first change. */
    if (rc == 0)
        /* No index yet: what S3 lists is another push's in progress (two
         * first runs of one name), or one cut short: never deleted. */
        rc = mc_s3_plan_make(&plan, local, &old, &remote,
                             merging || !push->index_there ? &base : NULL, push->prefix,
                             multipart_min(job), err);
    if (rc == 0) {
        push->plan = &plan;
        rc = send_plan(push, &plan, err);
        if (rc == 0)
            rc = send_index_and_meta(push, local, &old, old_index_text, index_key, err);
        mc_s3_plan_free(&plan);
    }
    free(old_index_text);
    mc_s3_listing_free(&remote);
    mc_tree_free(&old);
    mc_tree_free(&base);
    free(index_key);
    return rc;
}

static void warn_skip(const char *message, void *ctx)
{
    struct mc_s3_job *job = ctx;

    if (job->warn)
        job->warn(message, job->warn_ctx);
}

/* "s3_base" in the copy's meta.json (mc_meta_update). */
static int set_base(cJSON *meta, void *ctx, struct mc_err *err)
{
    if (mc_meta_set_key(meta, MC_META_S3_BASE, cJSON_CreateString(ctx)) != 0) {
        mc_err_set(err, "out of memory");
        return -1;
    }
    return 0;
}

/* The copy's "s3_base", into base ("" if none). */
static void read_copy_base(struct mc_s3_job *job, int dir_fd, char *base)
{
    struct mc_err ignored;
    cJSON *meta = NULL;
    const cJSON *item;

    base[0] = '\0';
    if (mc_meta_read(dir_fd, job->label, &meta, &ignored) != 0)
        return;
    item = cJSON_GetObjectItemCaseSensitive(meta, MC_META_S3_BASE);
    if (cJSON_IsString(item) && mc_s3_generation_ok(item->valuestring))
        snprintf(base, MC_S3_GENERATION_LEN + 1, "%s", item->valuestring);
    cJSON_Delete(meta);
}

/* Pushes made again after another push changed the index under this one,
 * each after a pause of up to attempt x MC_PUSH_PAUSE_MS (random: pushes
 * that collided do not collide again). */
#define MC_PUSH_ATTEMPTS 10
#define MC_PUSH_PAUSE_MS 200

static void pause_before(int attempt)
{
    unsigned int random = 0;
    long ms;
    struct timespec pause;

    if (getrandom(&random, sizeof(random), 0) != (ssize_t)sizeof(random))
        random = (unsigned int)getpid();
    ms = (long)(random % (unsigned int)(attempt * MC_PUSH_PAUSE_MS)) + 1;
    pause.tv_sec = ms / 1000;
    pause.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&pause, &pause) != 0 && errno == EINTR)
        ;
}

int mc_s3_push(struct mc_s3_job *job, int dir_fd, struct mc_err *err)
{
    char base[MC_S3_GENERATION_LEN + 1];
    char *prefix = mc_s3_cache_key(job->loc, job->id, "");
    int attempt;
    int rc = -1;

    if (!prefix) {
        mc_err_set(err, "s3://%s/%s: prefix too long", job->loc->bucket, job->loc->prefix);
        return -1;
    }
    read_copy_base(job, dir_fd, base);
    for (attempt = 0; attempt < MC_PUSH_ATTEMPTS; attempt++) {
        struct push push = { .job = job, .dir_fd = dir_fd, .conditional = 1, .prefix = prefix,
                             .base = base,
                             .uploads = { .client = job->client, .dir_fd = dir_fd,
                                          .stats = &job->stats, .warn = job->warn,
                                          .warn_ctx = job->warn_ctx } };
        struct mc_tree local;

        memset(&job->stats, 0, sizeof(job->stats));
        rc = mc_tree_scan(dir_fd, job->label, &local, warn_skip, job, err);
        if (rc == 0) {
            rc = push_planned(&push, &local, err);
            mc_tree_free(&local);
        }
        if (rc == 0) {
            struct mc_err why;

            if (push.conflicts && job->warn)
                job->warn(push.conflict_line, job->warn_ctx);
            /* The copy is what S3 has now: the base of its next push. Not
             * when the push kept others' files it does not have. */
            if (push.pushed[0] && !push.merged_theirs && strcmp(push.pushed, base) != 0 &&
                mc_meta_update(dir_fd, job->label, job->id, set_base, push.pushed, &why) != 0 &&
                job->warn)
                job->warn(why.msg, job->warn_ctx);
            break;
        }
        if (err->code != MC_ERR_CHANGED)
            break;
        if (attempt + 1 < MC_PUSH_ATTEMPTS)
            pause_before(attempt + 1);
    }
    free(prefix);
    return rc;
}
