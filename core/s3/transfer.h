/* transfer.h — S3 requests over the libcurl multi interface: many
 * transfers on one thread over reused connections, each signed (SigV4)
 * when it is sent, each retried alone with exponential backoff and
 * jitter on 5xx, 429, timeouts and dropped connections, and failed at
 * once on 403, a missing bucket or bad credentials.
 *
 * Bodies stream from a file range or from memory; answers stream to a file
 * (at an offset, with their MD5 computed on the way) or to a bounded
 * buffer. Memory stays bounded whatever the sizes moved. */
#ifndef MC_S3_TRANSFER_H
#define MC_S3_TRANSFER_H

#include "common/buf.h"
#include "common/err.h"
#include "creds.h"
#include "request.h"

#include <sys/types.h>

#define MC_MD5_LEN 16

#define MC_S3_ANSWER_MAX (32 * 1024 * 1024)

struct mc_s3_client;
struct mc_s3_op;

typedef void (*mc_s3_done_fn)(struct mc_s3_op *op, void *ctx);

struct mc_s3_op {
    /* the request, set by the caller */
    const char *method;
    char *key;                              /* owned; "" for the bucket */
    struct mc_pair query[MC_S3_QUERY_MAX];  /* names and values owned */
    size_t query_count;
    struct mc_pair headers[MC_S3_HEADERS_MAX];  /* names and values owned, signed */
    size_t header_count;
    int body_fd;                            /* -1: no file body */
    int body_dir_fd;                        /* with body_name: the file is */
    char *body_name;                        /* opened only while sent (owned) */
    off_t body_offset;
    off_t body_len;
    char *body_mem;                         /* owned, or NULL */
    size_t body_mem_len;
    int sink_fd;                            /* -1: answer to `answer` */
    int sink_dir_fd;                        /* with sink_name: the file is */
    char *sink_name;                        /* opened only while received (owned) */
    off_t sink_offset;
    int sink_limited;                       /* more than sink_max bytes: an error */
    off_t sink_max;
    mc_s3_done_fn done;
    void *ctx;

    /* the outcome, read in done() */
    int ok;                                 /* 2xx (or 404 with allow_404) */
    long status;
    int allow_404;                          /* a missing object is an answer */
    struct mc_buf answer;                   /* body (when not to a file) */
    char etag[80];                          /* ETag header, unquoted */
    unsigned char md5[MC_MD5_LEN];          /* of what was written to sink_fd */
    off_t received;
    struct mc_err err;                      /* when !ok: why */

    /* the engine's */
    int attempts;
    long long retry_at_ms;
    void *easy;
    void *slist;
    off_t body_pos;
    void *md5_ctx;                          /* EVP_MD_CTX */
    struct mc_s3_op *next;
    struct mc_s3_client *client;
};

struct mc_s3_settings {
    const char *bucket;
    const char *endpoint_url;       /* AWS_ENDPOINT_URL_S3 / _URL, or NULL */
    const char *endpoint_name;      /* which of them, for messages */
    char *region;
    struct mc_aws_creds creds;
    int jobs;                       /* parallel transfers */
    int attempts;                   /* per request, retries included (0: 8) */
    void (*tick)(void *ctx);        /* called now and then while transfers run */
    void *tick_ctx;
};

int mc_s3_client_open(struct mc_s3_client **out, struct mc_s3_settings *settings,
                      struct mc_err *err);
void mc_s3_client_close(struct mc_s3_client *client);

/* A new request on `key` (copied). NULL when out of memory. */
struct mc_s3_op *mc_s3_op_new(const char *method, const char *key, mc_s3_done_fn done,
                              void *ctx);
int mc_s3_op_query(struct mc_s3_op *op, const char *name, const char *value);
int mc_s3_op_header(struct mc_s3_op *op, const char *name, const char *value);
void mc_s3_op_free(struct mc_s3_op *op);

/* Queues op; it runs within mc_s3_run. done() owns it after (free it). */
void mc_s3_submit(struct mc_s3_client *client, struct mc_s3_op *op);
/* Runs every queued request (and those done() callbacks queue) to the end.
 * 0, or -1 if the engine itself failed (err). */
int mc_s3_run(struct mc_s3_client *client, struct mc_err *err);
/* What mc_s3_run does in one turn, without waiting: lets transfers go on
 * while the caller works (hashing the next file). 0, or -1 (err). */
int mc_s3_step(struct mc_s3_client *client, struct mc_err *err);
/* Asks the running transfers to stop (from done()): those queued fail. */
void mc_s3_cancel(struct mc_s3_client *client, const char *why);
/* After a cancelled run: requests may be queued again. */
void mc_s3_uncancel(struct mc_s3_client *client);

/* Bytes sent and received so far, for progress. */
void mc_s3_counters(const struct mc_s3_client *client, long long *sent, long long *received);

#endif
