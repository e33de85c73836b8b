/* upload.c — one file or link to S3, checked on the way (see upload.h):
 * one PUT, or initiate, parts, complete; aborts noted for the end. */
#include "upload.h"
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MC_S3_XML_MAX (1024 * 1024)

void mc_s3_upload_free(struct mc_s3_upload *up)
{
    free(up->md5);
    free(up->upload_id);
    free(up);
}

void mc_s3_uploads_fail(struct mc_s3_uploads *uploads, const struct mc_err *err)
{
    mc_s3_fail(uploads->client, &uploads->failed, &uploads->err, err);
}

static void fail_text(struct mc_s3_uploads *uploads, const char *key, const char *what)
{
    struct mc_err err;

    mc_err_set(&err, "s3 %s: %s", key, what);
    mc_s3_uploads_fail(uploads, &err);
}

int mc_s3_add_content_md5(struct mc_s3_op *op, const unsigned char *md5)
{
    char b64[32];

    mc_md5_base64(md5, b64);
    return mc_s3_op_header(op, "content-md5", b64);
}

static void uploaded(struct mc_s3_upload *up)
{
    free(up->entry->etag);
    up->entry->etag = strdup(up->etag);
    up->entry->part_size = up->part_size;
    up->uploads->stats->files_done++;
    mc_s3_upload_free(up);
}

/* --- one PUT ---------------------------------------------------------------- */

/* No ETag (or one no server gives) is not a proof: the answer may be a
 * proxy's, or an error's. */
const char *mc_s3_etag_problem(const struct mc_s3_op *op, const char *want)
{
    const char *etag = mc_s3_op_etag(op);

    if (!etag[0])
        return "the server's answer has no usable ETag: not taken as stored";
    if (strcmp(etag, want) != 0)
        return "the server's ETag does not match what was sent";
    return NULL;
}

static void put_done(struct mc_s3_op *op, void *ctx)
{
    struct mc_s3_upload *up = ctx;
    int ok = mc_s3_op_ok(op);
    const char *problem = ok ? mc_s3_etag_problem(op, up->etag) : NULL;
    int mismatch = problem != NULL;

    if (!ok)
        mc_s3_uploads_fail(up->uploads, mc_s3_op_err(op));
    else if (mismatch)
        fail_text(up->uploads, up->key, problem);
    if (ok && !mismatch)
        uploaded(up);
    else
        mc_s3_upload_free(up);
    mc_s3_op_free(op);
}

static int submit_put(struct mc_s3_upload *up)
{
    struct mc_s3_uploads *uploads = up->uploads;
    struct mc_s3_op *op = mc_s3_op_new("PUT", up->key, put_done, up);
    const struct mc_entry *e = up->entry;
    char *target;
    int rc;

    if (!op || mc_s3_add_content_md5(op, up->md5[0]) != 0) {
        mc_s3_op_free(op);
        return -1;
    }
    if (e->type == MC_ENTRY_LINK) {
        target = strdup(e->target);
        mc_s3_op_body_bytes(op, target, target ? strlen(target) : 0);
        rc = target ? 0 : -1;
    } else {
        rc = mc_s3_op_body_file(op, uploads->dir_fd, e->path, 0, (off_t)e->size);
    }
    if (rc != 0) {
        mc_s3_op_free(op);
        return -1;
    }
    mc_s3_submit(uploads->client, op);
    return 0;
}

/* --- multipart ----------------------------------------------------------------- */

struct part {
    struct mc_s3_upload *up;
    size_t index;
};

/* Ends up: freed, or (a multipart upload S3 knows of) kept on the list of
 * those to abort when the other transfers are over. Noting it allocates
 * nothing, so that no upload goes unaborted for want of memory. */
static void abort_upload(struct mc_s3_upload *up)
{
    struct mc_s3_uploads *uploads = up->uploads;

    if (!up->upload_id) {
        mc_s3_upload_free(up);
        return;
    }
    up->next_abort = uploads->aborts;
    uploads->aborts = up;
}

static void say_not_aborted(struct mc_s3_uploads *uploads, const struct mc_s3_upload *up,
                            const char *why)
{
    char message[MC_ERR_MAX + 200];

    if (!uploads->warn)
        return;
    snprintf(message, sizeof(message), "s3 %s: the failed multipart upload could not be "
             "aborted (%s): its parts stay until a lifecycle rule "
             "(AbortIncompleteMultipartUpload) removes them", up->key, why);
    uploads->warn(message, uploads->warn_ctx);
}

/* Best effort: parts of a failed upload would otherwise stay (and cost). */
void mc_s3_uploads_abort_failed(struct mc_s3_uploads *uploads)
{
    struct mc_err err;

    mc_s3_uncancel(uploads->client);
    while (uploads->aborts) {
        struct mc_s3_upload *up = uploads->aborts;
        struct mc_s3_op *op = mc_s3_op_new("DELETE", up->key, NULL, NULL);

        uploads->aborts = up->next_abort;
        if (!op || mc_s3_op_query(op, "uploadId", up->upload_id) != 0) {
            say_not_aborted(uploads, up, "out of memory");
        } else {
            mc_s3_op_allow_404(op);
            if (mc_s3_run_one(uploads->client, op, &err) != 0)
                say_not_aborted(uploads, up, err.msg);
        }
        mc_s3_op_free(op);
        mc_s3_upload_free(up);
    }
}

static char *complete_xml(const struct mc_s3_upload *up)
{
    struct mc_buf xml;
    char hex[MC_MD5_LEN * 2 + 1];
    size_t i;
    int rc;

    mc_buf_init(&xml, MC_S3_XML_MAX);
    rc = mc_buf_addstr(&xml, "<CompleteMultipartUpload>");
    for (i = 0; rc == 0 && i < up->parts; i++) {
        mc_md5_hex(up->md5[i], hex);
        rc = mc_buf_printf(&xml, "<Part><PartNumber>%zu</PartNumber><ETag>\"%s\"</ETag></Part>",
                           i + 1, hex);
    }
    rc |= mc_buf_addstr(&xml, "</CompleteMultipartUpload>");
    if (rc != 0) {
        mc_buf_free(&xml);
        return NULL;
    }
    return mc_buf_take(&xml);
}

static void complete_done(struct mc_s3_op *op, void *ctx)
{
    struct mc_s3_upload *up = ctx;
    const struct mc_buf *answer = mc_s3_op_answer(op);
    struct mc_err err = *mc_s3_op_err(op);
    int ok = mc_s3_op_ok(op);
    char *etag = NULL;
    int mismatch;

    /* (A 200 whose body is an <Error> is a failure already: transfer.c.) */
    if (ok)
        etag = mc_s3_parse_complete_etag(answer->data, answer->len);
    mismatch = ok && (!etag || (strcmp(etag, up->etag) != 0 && strcmp(etag, up->whole_etag) != 0));
    if (!ok)
        mc_s3_uploads_fail(up->uploads, &err);
    else if (mismatch)
        fail_text(up->uploads, up->key, etag ? "the multipart ETag does not match the parts sent"
                                             : "no ETag in the answer to the upload's completion");
    if (!ok || mismatch) {
        abort_upload(up);
    } else {
        /* Kept as the server says it, as listings will show it. */
        if (etag)
            snprintf(up->etag, sizeof(up->etag), "%s", etag);
        uploaded(up);
    }
    free(etag);
    mc_s3_op_free(op);
}

static void part_done(struct mc_s3_op *op, void *ctx)
{
    struct part *part = ctx;
    struct mc_s3_upload *up = part->up;
    const char *etag = mc_s3_op_etag(op);
    struct mc_err err = *mc_s3_op_err(op);
    int ok = mc_s3_op_ok(op);
    char hex[MC_MD5_LEN * 2 + 1];
    struct mc_s3_op *complete;
    char *xml;

    size_t index = part->index;

    mc_md5_hex(up->md5[index], hex);
    free(part);
    if (ok && (!etag[0] || strcmp(etag, hex) != 0)) {
        mc_err_set(&err, "s3 %s: part %zu: %s", up->key, index + 1,
                   etag[0] ? "its ETag does not match what was sent"
                           : "the answer has no usable ETag: not taken as stored");
        ok = 0;
    }
    if (!ok && !up->uploads->failed)
        mc_s3_uploads_fail(up->uploads, &err);
    up->parts_done++;
    mc_s3_op_free(op);
    if (up->parts_done < up->parts)
        return;
    if (up->uploads->failed) {
        abort_upload(up);
        return;
    }
    complete = mc_s3_op_new("POST", up->key, complete_done, up);
    xml = complete ? complete_xml(up) : NULL;
    if (!xml || mc_s3_op_query(complete, "uploadId", up->upload_id) != 0) {
        free(xml);
        mc_s3_op_free(complete);
        fail_text(up->uploads, up->key, "out of memory");
        abort_upload(up);
        return;
    }
    mc_s3_op_body_bytes(complete, xml, strlen(xml));
    mc_s3_submit(up->uploads->client, complete);
}

static int submit_part(struct mc_s3_upload *up, size_t index)
{
    struct part *part = calloc(1, sizeof(*part));
    struct mc_s3_op *op = part ? mc_s3_op_new("PUT", up->key, part_done, part) : NULL;
    char number[24];
    long long start = (long long)index * up->part_size;
    long long len = up->entry->size - start < up->part_size ? up->entry->size - start
                                                             : up->part_size;

    snprintf(number, sizeof(number), "%zu", index + 1);
    if (!op || mc_s3_op_query(op, "partNumber", number) != 0 ||
        mc_s3_op_query(op, "uploadId", up->upload_id) != 0 ||
        mc_s3_add_content_md5(op, up->md5[index]) != 0 ||
        mc_s3_op_body_file(op, up->uploads->dir_fd, up->entry->path, (off_t)start,
                           (off_t)len) != 0) {
        mc_s3_op_free(op);
        free(part);
        return -1;
    }
    part->up = up;
    part->index = index;
    mc_s3_submit(up->uploads->client, op);
    return 0;
}

static void initiate_done(struct mc_s3_op *op, void *ctx)
{
    struct mc_s3_upload *up = ctx;
    size_t i;

    if (mc_s3_op_ok(op))
        up->upload_id = mc_s3_parse_upload_id(mc_s3_op_answer(op)->data,
                                              mc_s3_op_answer(op)->len);
    if (!mc_s3_op_ok(op))
        mc_s3_uploads_fail(up->uploads, mc_s3_op_err(op));
    else if (!up->upload_id)
        fail_text(up->uploads, up->key, "no UploadId in the answer to ?uploads");
    mc_s3_op_free(op);
    if (!up->upload_id) {
        mc_s3_upload_free(up);
        return;
    }
    for (i = 0; i < up->parts; i++) {
        if (submit_part(up, i) != 0) {
            /* The parts queued so far end the upload (part_done). */
            fail_text(up->uploads, up->key, "out of memory");
            up->parts = i;
            if (i == 0) {
                abort_upload(up);
            }
            return;
        }
    }
}

static int submit_multipart(struct mc_s3_upload *up)
{
    struct mc_s3_op *op = mc_s3_op_new("POST", up->key, initiate_done, up);

    if (!op || mc_s3_op_query(op, "uploads", NULL) != 0) {
        mc_s3_op_free(op);
        return -1;
    }
    mc_s3_submit(up->uploads->client, op);
    return 0;
}

/* --- the upload's own ------------------------------------------------------- */

/* The checksums of what would be sent: up->md5, up->etag and
 * up->whole_etag. 0, or -1 (err). */
static int checksum(struct mc_s3_upload *up, struct mc_err *err)
{
    struct mc_entry *e = up->entry;
    unsigned char whole[MC_MD5_LEN];

    if (e->type == MC_ENTRY_LINK) {
        up->parts = 1;
        up->md5 = calloc(1, sizeof(*up->md5));
        if (up->md5)
            mc_md5_of(e->target, strlen(e->target), up->md5[0]);
    } else {
        if (mc_s3_file_md5s(up->uploads->dir_fd, e->path, e->size, up->part_size, &up->md5,
                            &up->parts, whole, err) != 0)
            return -1;
        mc_md5_hex(whole, up->whole_etag);
    }
    if (!up->md5) {
        mc_err_set(err, "out of memory");
        return -1;
    }
    mc_s3_etag_of((const unsigned char (*)[MC_MD5_LEN])up->md5, up->part_size ? up->parts : 1,
                  up->etag);
    return 0;
}

struct mc_s3_upload *mc_s3_upload_new(struct mc_s3_uploads *uploads, struct mc_entry *e,
                                      const char *key, long long part_size,
                                      struct mc_err *err)
{
    struct mc_s3_upload *up = calloc(1, sizeof(*up));

    if (!up) {
        mc_err_set(err, "out of memory");
        return NULL;
    }
    up->uploads = uploads;
    up->entry = e;
    up->key = key;
    up->part_size = part_size;
    if (checksum(up, err) != 0) {
        mc_s3_upload_free(up);
        return NULL;
    }
    return up;
}

int mc_s3_upload_submit(struct mc_s3_upload *up)
{
    if ((up->part_size ? submit_multipart(up) : submit_put(up)) != 0) {
        mc_s3_upload_free(up);
        return -1;
    }
    return 0;
}
