/* push.c — a cache directory to S3 (see sync.h): carries out the plan
 * (plan.h) made from the remote listing and the last index: sends what
 * changed (files in one PUT or in parts, links as small objects), deletes
 * what is gone, then the index, then meta.json. */
#include "common.h"
#include "plan.h"
#include "upload.h"
#include "common/file.h"
#include "common/meta.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct push {
    struct mc_s3_job *job;
    int dir_fd;
    char *prefix;               /* "<prefix>/<id>/" */
    struct mc_s3_uploads uploads;   /* the files', and the first failure */
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
    push->job->stats.files_total++;
    push->job->stats.bytes_total += e->type == MC_ENTRY_FILE ? e->size : 0;
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

static int submit_deletes(struct push *push, const struct mc_s3_plan *plan)
{
    size_t i;

    for (i = 0; i < plan->delete_count; i++) {
        if (submit_delete(push, plan->deletes[i]->key) != 0)
            return -1;
    }
    return 0;
}

/* The old index, if there is one (missing or unreadable: none); its text
 * in *old_text (or NULL). */
static void read_old_index(struct push *push, struct mc_tree *old, char **old_text)
{
    struct mc_s3_job *job = push->job;
    char *key = mc_s3_index_key(job->loc, job->id);
    struct mc_s3_op *op = key ? mc_s3_op_new("GET", key, NULL, NULL) : NULL;
    struct mc_err err;

    memset(old, 0, sizeof(*old));
    *old_text = NULL;
    if (op) {
        mc_s3_op_allow_404(op);
        if (mc_s3_run_one(job->client, op, &err) == 0 && mc_s3_op_status(op) == 200) {
            const struct mc_buf *answer = mc_s3_op_answer(op);

            if (mc_index_read(answer->data, answer->len, old, &err) != 0 && job->warn)
                job->warn("the cache's index in S3 is unreadable; every file is compared",
                          job->warn_ctx);
            else
                *old_text = mc_s3_op_take_answer(op);
        }
    }
    mc_s3_op_free(op);
    free(key);
}

/* meta.json as it goes to S3: the file, without "s3_pending" (a mark of
 * this copy's state, not of the cache). malloc'd in *body. */
static int meta_body(struct push *push, char **body, size_t *len, struct mc_err *err)
{
    char *text;
    cJSON *meta = NULL;
    int rc = mc_meta_read(push->dir_fd, push->job->label, &meta, err);

    *body = NULL;
    if (rc != 0)
        return -1;
    if (!cJSON_GetObjectItemCaseSensitive(meta, MC_META_S3_PENDING)) {
        cJSON_Delete(meta);
        return mc_read_file(push->dir_fd, MC_S3_META_FILE, MC_META_MAX_BYTES, 0, body, len, err);
    }
    cJSON_DeleteItemFromObjectCaseSensitive(meta, MC_META_S3_PENDING);
    text = cJSON_PrintUnformatted(meta);
    cJSON_Delete(meta);
    /* As mc_meta_write will write it when the mark is taken off. */
    *body = text ? mc_concat(text, "\n", NULL) : NULL;
    free(text);
    if (!*body) {
        mc_err_set(err, "out of memory");
        return -1;
    }
    *len = strlen(*body);
    return 0;
}

/* meta.json in S3 is what would be sent (then it need not be sent again). */
static int same_meta(struct push *push, const struct mc_s3_object *remote)
{
    unsigned char md5[MC_MD5_LEN];
    char hex[MC_MD5_LEN * 2 + 1];
    struct mc_err err;
    char *body;
    size_t len;

    if (!remote || meta_body(push, &body, &len, &err) != 0)
        return 0;
    mc_md5_of(body, len, md5);
    free(body);
    mc_md5_hex(md5, hex);
    return strcmp(hex, remote->etag) == 0;
}

static int put_small(struct push *push, const char *key, char *body, size_t len,
                     struct mc_err *err)
{
    struct mc_s3_op *op = mc_s3_op_new("PUT", key, NULL, NULL);
    unsigned char md5[MC_MD5_LEN];
    int rc;

    if (!op) {
        free(body);
        mc_err_set(err, "out of memory");
        return -1;
    }
    mc_s3_op_body_bytes(op, body, len);
    mc_md5_of(body, len, md5);
    rc = mc_s3_add_content_md5(op, md5);
    rc = rc == 0 ? mc_s3_run_one(push->job->client, op, err) : -1;
    mc_s3_op_free(op);
    return rc;
}

static int put_meta(struct push *push, struct mc_err *err)
{
    char *key = key_of(push, MC_S3_META_FILE);
    char *body;
    size_t len;
    int rc;

    if (!key) {
        mc_err_set(err, "out of memory");
        return -1;
    }
    rc = meta_body(push, &body, &len, err);
    if (rc == 0)
        rc = put_small(push, key, body, len, err);
    free(key);
    return rc;
}

static int delete_one(struct push *push, const char *key, struct mc_err *err)
{
    struct mc_s3_op *op = mc_s3_op_new("DELETE", key, NULL, NULL);
    int rc;

    if (!op)
        return -1;
    mc_s3_op_allow_404(op);
    rc = mc_s3_run_one(push->job->client, op, err);
    mc_s3_op_free(op);
    return rc;
}

/* The plan's objects: meta.json away first if anything changes, the files
 * and links, the deletes; every transfer to its end. */
static int send_plan(struct push *push, const struct mc_s3_plan *plan, struct mc_err *err)
{
    struct mc_s3_client *client = push->job->client;
    size_t i;
    int rc = 0;

    if (plan->meta_first)
        rc = delete_one(push, plan->remote_meta->key, err);
    for (i = 0; rc == 0 && i < plan->item_count && !push->uploads.failed; i++) {
        if (send_item(push, &plan->items[i], err) < 0 || mc_s3_step(client, err) != 0)
            rc = -1;
    }
    if (rc == 0 && !push->uploads.failed)
        rc = submit_deletes(push, plan);
    if (mc_s3_run(client, err) != 0)
        rc = -1;
    if (push->uploads.abort_count)
        mc_s3_uploads_abort_failed(&push->uploads);
    if (rc == 0 && push->uploads.failed) {
        *err = push->uploads.err;
        rc = -1;
    }
    return rc;
}

/* The index, then meta.json (remote_meta: as S3 has it now, or NULL),
 * unless nothing at all changed. */
static int send_index_and_meta(struct push *push, struct mc_tree *local,
                               const struct mc_tree *old, const char *old_index_text,
                               const struct mc_s3_object *remote_meta, const char *index_key,
                               struct mc_err *err)
{
    struct mc_s3_job *job = push->job;
    struct mc_entry *meta = mc_tree_find(local, MC_S3_META_FILE);
    /* meta.json as S3 has it (a release's pending mark, set and taken off,
     * changes only its time here): its entry as the index had it, so that
     * a push with nothing else changed sends nothing. */
    const struct mc_entry *was = mc_tree_find(old, MC_S3_META_FILE);
    char *index_text;
    char *body;
    size_t len;
    int rc;

    if (meta_body(push, &body, &len, err) == 0) {
        meta->size = (long long)len;    /* what S3 gets, without the mark */
        free(body);
    }
    if (was && same_meta(push, remote_meta)) {
        meta->mtime_s = was->mtime_s;
        meta->mtime_ns = was->mtime_ns;
        meta->mode = was->mode;
    }
    index_text = mc_index_write(local, job->id);
    if (!index_text) {
        mc_err_set(err, "out of memory");
        return -1;
    }
    if (!job->stats.files_total && !job->stats.deleted && old_index_text &&
        strcmp(old_index_text, index_text) == 0 && same_meta(push, remote_meta)) {
        free(index_text);       /* nothing at all changed: nothing sent */
        return 0;
    }
    rc = put_small(push, index_key, index_text, strlen(index_text), err);
    return rc == 0 ? put_meta(push, err) : rc;
}

static long long multipart_min(const struct mc_s3_job *job)
{
    return job->multipart_min ? job->multipart_min : (long long)MC_S3_MULTIPART_DEFAULT_MB << 20;
}

static int push_planned(struct push *push, struct mc_tree *local, struct mc_err *err)
{
    struct mc_s3_job *job = push->job;
    struct mc_s3_listing remote;
    struct mc_s3_plan plan;
    struct mc_tree old;
    const struct mc_entry *meta = mc_tree_find(local, MC_S3_META_FILE);
    char *index_key = mc_s3_index_key(job->loc, job->id);
    char *old_index_text = NULL;
    int rc = -1;

    if (!meta || meta->type != MC_ENTRY_FILE)
        mc_err_set(err, "%s: no meta.json: not a cache", job->label);
    else if (!index_key)
        mc_err_set(err, "out of memory");
    else
        rc = mc_s3_list_all(job->client, push->prefix, &remote, err);
    if (rc != 0) {
        free(index_key);
        return -1;
    }
    read_old_index(push, &old, &old_index_text);
    /* The whole plan first, without sending: a push that changes anything
     * takes meta.json away before the first change. */
    rc = mc_s3_plan_make(&plan, local, &old, &remote, push->prefix, multipart_min(job), err);
    if (rc == 0)
        rc = send_plan(push, &plan, err);
    if (rc == 0)
        rc = send_index_and_meta(push, local, &old, old_index_text,
                                 plan.meta_first ? NULL : plan.remote_meta, index_key, err);
    mc_s3_plan_free(&plan);
    free(old_index_text);
    mc_s3_listing_free(&remote);
    mc_tree_free(&old);
    free(index_key);
    return rc;
}

static void warn_skip(const char *message, void *ctx)
{
    struct mc_s3_job *job = ctx;

    if (job->warn)
        job->warn(message, job->warn_ctx);
}

int mc_s3_push(struct mc_s3_job *job, int dir_fd, struct mc_err *err)
{
    struct push push = { .job = job, .dir_fd = dir_fd,
                         .uploads = { job->client, dir_fd, &job->stats, 0, { 0, "" }, NULL, 0 } };
    struct mc_tree local;
    int rc;

    push.prefix = mc_s3_cache_key(job->loc, job->id, "");
    if (!push.prefix) {
        mc_err_set(err, "s3://%s/%s: prefix too long", job->loc->bucket, job->loc->prefix);
        return -1;
    }
    rc = mc_tree_scan(dir_fd, job->label, &local, warn_skip, job, err);
    if (rc == 0) {
        rc = push_planned(&push, &local, err);
        mc_tree_free(&local);
    }
    free(push.prefix);
    return rc;
}
