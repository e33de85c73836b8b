/* upload.h — one file or link sent to S3 and checked on the way (private
 * to core/s3, for push.c): read first (its MD5s, the ETag S3 will give
 * it), then sent in one PUT, or as a multipart upload (initiated, parts in
 * parallel, completed) for a large file; each part and the whole checked
 * against the ETag it must have, each body against its Content-MD5. A
 * multipart upload that fails is aborted once the transfers are over, so
 * that its parts do not stay (and cost). */
#ifndef MC_S3_UPLOAD_H
#define MC_S3_UPLOAD_H

#include "sync.h"

/* What the uploads of one push share. */
struct mc_s3_uploads {
    struct mc_s3_client *client;
    int dir_fd;                 /* the cache directory, read only */
    struct mc_s3_stats *stats;  /* files_done counted here */
    int failed;                 /* the first failure stops the others */
    struct mc_err err;          /* ... and is kept */
    struct mc_s3_upload *aborts;    /* failed multipart uploads, to abort after */
    mc_warn_fn warn;            /* what could not be aborted (or NULL) */
    void *warn_ctx;
};

/* One file or link on its way. */
struct mc_s3_upload {
    struct mc_s3_uploads *uploads;
    struct mc_entry *entry;     /* its etag and part_size are set once sent */
    const char *key;            /* the caller's, outliving the upload */
    long long part_size;        /* 0: one PUT */
    size_t parts;
    unsigned char (*md5)[MC_MD5_LEN];
    char etag[MC_MD5_LEN * 2 + 16];         /* the ETag S3 will give it */
    char whole_etag[MC_MD5_LEN * 2 + 1];    /* the whole file's MD5 (see common.h) */
    char *upload_id;
    size_t parts_done;
    struct mc_s3_upload *next_abort;    /* on uploads->aborts */
};

/* Notes a failure: the first is kept, the transfers still queued stop. */
void mc_s3_uploads_fail(struct mc_s3_uploads *uploads, const struct mc_err *err);

/* A new upload of e to key, in parts of part_size (0: one PUT), read now
 * for its checksums. NULL with err (unreadable, changed since the scan,
 * out of memory). */
struct mc_s3_upload *mc_s3_upload_new(struct mc_s3_uploads *uploads, struct mc_entry *e,
                                      const char *key, long long part_size,
                                      struct mc_err *err);
/* Queues it. From now on the transfers own it: when it is done, e's etag
 * and part_size are set and files_done counted, or the failure noted.
 * 0, or -1 (out of memory; up is freed). */
int mc_s3_upload_submit(struct mc_s3_upload *up);
void mc_s3_upload_free(struct mc_s3_upload *up);

/* Once the transfers are over: aborts, best effort, every multipart upload
 * that failed. */
void mc_s3_uploads_abort_failed(struct mc_s3_uploads *uploads);

/* What the answer to a PUT of bytes whose ETag is `want` says: NULL if
 * the server stored them as sent, else why not (no usable ETag is no
 * proof). */
const char *mc_s3_etag_problem(const struct mc_s3_op *op, const char *want);

/* The Content-MD5 header of a body whose MD5 is md5. 0, or -1. */
int mc_s3_add_content_md5(struct mc_s3_op *op, const unsigned char *md5);

#endif
