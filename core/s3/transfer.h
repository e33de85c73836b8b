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
/* One request and its outcome; only the engine sees inside. */
struct mc_s3_op;

typedef void (*mc_s3_done_fn)(struct mc_s3_op *op, void *ctx);

struct mc_s3_settings {
    const char *bucket;
    const char *endpoint_url;       /* AWS_ENDPOINT_URL_S3 / _URL, or NULL */
    const char *endpoint_name;      /* which of them, for messages */
    char *region;
    struct mc_aws_creds creds;
    int jobs;                       /* parallel transfers */
    int attempts;                   /* per request, retries included (0: 8) */
    int timeout_s;                  /* MONOCACHE_S3_TIMEOUT_S: no request waits longer
                                       than this for progress (0: the default) */
    long long deadline_ms;          /* CLOCK_MONOTONIC ms after which every request
                                       fails, retries included (0: none) */
    void (*tick)(void *ctx);        /* called now and then while transfers run */
    void *tick_ctx;
};

int mc_s3_client_open(struct mc_s3_client **out, struct mc_s3_settings *settings,
                      struct mc_err *err);
void mc_s3_client_close(struct mc_s3_client *client);

/* A new request on `key` (copied); method is a literal ("GET"...). done
 * (which may be NULL for mc_s3_run_one) is called when it is over. NULL
 * when out of memory. */
struct mc_s3_op *mc_s3_op_new(const char *method, const char *key, mc_s3_done_fn done,
                              void *ctx);
/* A query parameter (value NULL: "?name"), a header; copied. 0, or -1
 * (out of memory, or more than MC_S3_QUERY_MAX / MC_S3_HEADERS_MAX). */
int mc_s3_op_query(struct mc_s3_op *op, const char *name, const char *value);
int mc_s3_op_header(struct mc_s3_op *op, const char *name, const char *value);
/* The body: `bytes` (malloc'd; op's from now on, even if NULL)... */
void mc_s3_op_body_bytes(struct mc_s3_op *op, char *bytes, size_t len);
/* ... or `len` bytes at `offset` of <dir_fd>/name, opened only while it
 * is sent: never through a symbolic link, and only a regular file that
 * still holds them. 0, or -1 (out of memory). */
int mc_s3_op_body_file(struct mc_s3_op *op, int dir_fd, const char *name, off_t offset,
                       off_t len);
/* A 2xx answer's body goes to <dir_fd>/name (which exists) at offset,
 * opened only while received, never through a symbolic link, its MD5
 * computed on the way; more than max bytes is an error. Other answers
 * stay in memory. 0, or -1 (out of memory). */
int mc_s3_op_sink_file(struct mc_s3_op *op, int dir_fd, const char *name, off_t offset,
                       off_t max);
/* A 404 is an answer (ok), not a failure. */
void mc_s3_op_allow_404(struct mc_s3_op *op);
void mc_s3_op_free(struct mc_s3_op *op);

/* The outcome, read in done() or after mc_s3_run_one. */
int mc_s3_op_ok(const struct mc_s3_op *op);                 /* 2xx, or 404 if allowed */
long mc_s3_op_status(const struct mc_s3_op *op);            /* HTTP status, 0 if none */
const struct mc_err *mc_s3_op_err(const struct mc_s3_op *op);   /* when not ok: why */
/* The answer's body when it was not sent to a file (an error's, always). */
const struct mc_buf *mc_s3_op_answer(const struct mc_s3_op *op);
char *mc_s3_op_take_answer(struct mc_s3_op *op);            /* the same, handed over */
const char *mc_s3_op_etag(const struct mc_s3_op *op);       /* ETag header unquoted, or "" */
/* With a sink file: what was written, its MD5 (MC_MD5_LEN bytes), and the
 * offset it was written at. */
off_t mc_s3_op_received(const struct mc_s3_op *op);
const unsigned char *mc_s3_op_md5(const struct mc_s3_op *op);
off_t mc_s3_op_sink_offset(const struct mc_s3_op *op);

/* Queues op; it runs within mc_s3_run. done() owns it after (free it). */
void mc_s3_submit(struct mc_s3_client *client, struct mc_s3_op *op);
/* Runs every queued request (and those done() callbacks queue) to the end.
 * 0, or -1 if the engine itself failed (err). */
int mc_s3_run(struct mc_s3_client *client, struct mc_err *err);
/* Runs op alone (with whatever else is queued), to its end; the caller
 * frees it. 0 if it is ok, else -1 with err. */
int mc_s3_run_one(struct mc_s3_client *client, struct mc_s3_op *op, struct mc_err *err);
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
