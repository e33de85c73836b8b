/* transfer.c — the request engine over libcurl's multi interface (see
 * transfer.h). One thread: a queue of requests waiting for a slot or for
 * their retry time, at most `jobs` running, curl_multi_poll in between.
 * Each attempt is made and signed by request.c at the time it starts;
 * what a failed one means is retry.c's to say. The only file that sees
 * inside a struct mc_s3_op. */
#include "transfer.h"
#include "header.h"
#include "retry.h"
#include "xml.h"
#include "host/proto.h"

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MC_S3_ATTEMPTS_MAX 8
#define MC_S3_CONNECT_TIMEOUT_S 10
/* Per second, averaged over the settings' timeout: a transfer slower than
 * that (a server silent or trickling) ends, and is tried again. */
#define MC_S3_LOW_SPEED_BYTES 1024
#define MC_S3_ERROR_CODE_MAX 64
#define MC_S3_ERROR_MESSAGE_MAX 200
/* Bigger than curl's 16 KiB: fewer callbacks, reads and writes per byte
 * moved (both, per running transfer: 16 transfers hold 8 MiB). */
#define MC_S3_BUFFER_BYTES (256L * 1024)
#define MC_S3_POLL_MS 100

/* A range of a file in a directory, opened only while an attempt runs. */
struct op_file {
    int dir_fd;
    char *name;                             /* NULL: none */
    off_t offset;
    off_t len;                              /* a body's; a sink's most */
    int fd;                                 /* -1 but while an attempt runs */
};

struct mc_s3_op {
    /* the request, set through mc_s3_op_* */
    const char *method;
    char *key;                              /* "" for the bucket */
    struct mc_pair query[MC_S3_QUERY_MAX];  /* names and values owned */
    size_t query_count;
    struct mc_pair headers[MC_S3_HEADERS_MAX];  /* names and values owned */
    size_t header_count;
    struct op_file body;                    /* a body from a file */
    char *body_mem;                         /* or from memory, or NULL */
    size_t body_mem_len;
    struct op_file sink;                    /* a 2xx answer to a file */
    int allow_404;                          /* a missing object is an answer */
    mc_s3_done_fn done;
    void *ctx;

    /* the outcome */
    int ok;                                 /* 2xx (or 404 with allow_404) */
    long status;
    struct mc_buf answer;                   /* body (when not to a file) */
    char etag[MC_S3_ETAG_MAX];              /* ETag header, unquoted */
    unsigned char md5[MC_MD5_LEN];          /* of what was written to the sink */
    off_t received;
    struct mc_err err;                      /* when !ok: why */

    /* the engine's */
    int attempts;
    long long retry_at_ms;
    CURL *easy;
    struct curl_slist *slist;
    off_t body_pos;
    EVP_MD_CTX *md5_ctx;
    struct mc_s3_op *next;
    struct mc_s3_client *client;
};

struct mc_s3_client {
    CURLM *multi;
    struct mc_s3_endpoint endpoint;
    struct mc_s3_settings *settings;
    struct mc_s3_op *queue;         /* waiting, in order */
    struct mc_s3_op *queue_tail;
    int running;
    int cancelled;
    char cancel_why[160];
    long long sent;
    long long received;
};

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* MONOCACHE_S3_TIMEOUT_S, or its default. */
static int timeout_of(const struct mc_s3_client *client)
{
    return client->settings->timeout_s > 0 ? client->settings->timeout_s
                                           : MC_S3_TIMEOUT_DEFAULT_S;
}

/* What is left before the settings' deadline (ms; LLONG_MAX: none). */
static long long left_ms(const struct mc_s3_client *client)
{
    if (!client->settings->deadline_ms)
        return LLONG_MAX;
    return client->settings->deadline_ms - now_ms();
}

/* op fails for the deadline: one line naming the setting. */
static void fail_late(struct mc_s3_op *op)
{
    struct mc_s3_client *client = op->client;

    mc_err_setc(&op->err, MC_ERR_TIMEOUT, "s3://%s/%s: no answer within %d s (" MC_ENV_S3_TIMEOUT
                "=%d)", client->settings->bucket, op->key, timeout_of(client),
                timeout_of(client));
    op->ok = 0;
}

int mc_s3_client_open(struct mc_s3_client **out, struct mc_s3_settings *settings,
                      struct mc_err *err)
{
    struct mc_s3_client *client = calloc(1, sizeof(*client));

    *out = NULL;
    if (!client) {
        mc_err_set(err, "S3: out of memory");
        return -1;
    }
    if (mc_s3_endpoint_init(&client->endpoint, settings->endpoint_name, settings->endpoint_url,
                            settings->bucket, settings->region, err) != 0) {
        free(client);
        return -1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    client->multi = curl_multi_init();
    if (!client->multi) {
        mc_err_set(err, "S3: cannot start libcurl");
        mc_s3_endpoint_free(&client->endpoint);
        free(client);
        return -1;
    }
    client->settings = settings;
    curl_multi_setopt(client->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)settings->jobs);
    curl_multi_setopt(client->multi, CURLMOPT_MAXCONNECTS, (long)settings->jobs);
    *out = client;
    return 0;
}

void mc_s3_client_close(struct mc_s3_client *client)
{
    if (!client)
        return;
    curl_multi_cleanup(client->multi);
    mc_s3_endpoint_free(&client->endpoint);
    free(client);
}

struct mc_s3_op *mc_s3_op_new(const char *method, const char *key, mc_s3_done_fn done,
                              void *ctx)
{
    struct mc_s3_op *op = calloc(1, sizeof(*op));

    if (!op)
        return NULL;
    op->method = method;
    op->key = strdup(key);
    op->body = (struct op_file){ -1, NULL, 0, 0, -1 };
    op->sink = (struct op_file){ -1, NULL, 0, 0, -1 };
    op->done = done;
    op->ctx = ctx;
    mc_buf_init(&op->answer, MC_S3_ANSWER_MAX);
    op->md5_ctx = EVP_MD_CTX_new();
    if (!op->key || !op->md5_ctx) {
        mc_s3_op_free(op);
        return NULL;
    }
    return op;
}

/* Appends a copy of name and value (which may be NULL) to pairs. */
static int add_pair(struct mc_pair *pairs, size_t *count, size_t max, const char *name,
                    const char *value)
{
    struct mc_pair *pair;

    if (*count == max)
        return -1;
    pair = &pairs[*count];
    pair->name = strdup(name);
    pair->value = value ? strdup(value) : NULL;
    if (!pair->name || (value && !pair->value)) {
        free((char *)pair->name);
        free((char *)pair->value);
        return -1;
    }
    (*count)++;
    return 0;
}

static void free_pairs(struct mc_pair *pairs, size_t count)
{
    size_t i;

    for (i = 0; i < count; i++) {
        free((char *)pairs[i].name);
        free((char *)pairs[i].value);
    }
}

int mc_s3_op_query(struct mc_s3_op *op, const char *name, const char *value)
{
    return add_pair(op->query, &op->query_count, MC_S3_QUERY_MAX, name, value);
}

int mc_s3_op_header(struct mc_s3_op *op, const char *name, const char *value)
{
    return add_pair(op->headers, &op->header_count, MC_S3_HEADERS_MAX, name, value);
}

void mc_s3_op_body_bytes(struct mc_s3_op *op, char *bytes, size_t len)
{
    free(op->body_mem);
    op->body_mem = bytes;
    op->body_mem_len = len;
}

static int set_file(struct op_file *file, int dir_fd, const char *name, off_t offset, off_t len)
{
    free(file->name);
    file->name = strdup(name);
    file->dir_fd = dir_fd;
    file->offset = offset;
    file->len = len;
    return file->name ? 0 : -1;
}

int mc_s3_op_body_file(struct mc_s3_op *op, int dir_fd, const char *name, off_t offset,
                       off_t len)
{
    return set_file(&op->body, dir_fd, name, offset, len);
}

int mc_s3_op_sink_file(struct mc_s3_op *op, int dir_fd, const char *name, off_t offset,
                       off_t max)
{
    return set_file(&op->sink, dir_fd, name, offset, max);
}

void mc_s3_op_allow_404(struct mc_s3_op *op)
{
    op->allow_404 = 1;
}

static void release_easy(struct mc_s3_op *op)
{
    if (op->easy) {
        if (op->client)
            curl_multi_remove_handle(op->client->multi, op->easy);
        curl_easy_cleanup(op->easy);
        op->easy = NULL;
    }
    curl_slist_free_all(op->slist);
    op->slist = NULL;
    if (op->body.fd >= 0) {
        close(op->body.fd);
        op->body.fd = -1;
    }
    if (op->sink.fd >= 0) {
        close(op->sink.fd);
        op->sink.fd = -1;
    }
}

/* Opens the files an attempt reads or writes: never through a symbolic
 * link, and (a body) only a regular file of the expected size. */
static int open_files(struct mc_s3_op *op)
{
    struct stat st;

    if (op->body.name) {
        op->body.fd = openat(op->body.dir_fd, op->body.name,
                             O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (op->body.fd < 0 || fstat(op->body.fd, &st) != 0 || !S_ISREG(st.st_mode) ||
            st.st_size < op->body.offset + op->body.len) {
            mc_err_set(&op->err, "%s: changed or gone while being uploaded", op->body.name);
            return -1;
        }
    }
    if (op->sink.name) {
        op->sink.fd = openat(op->sink.dir_fd, op->sink.name,
                             O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
        if (op->sink.fd < 0) {
            mc_err_sys(&op->err, errno, "%s", op->sink.name);
            return -1;
        }
    }
    return 0;
}

void mc_s3_op_free(struct mc_s3_op *op)
{
    if (!op)
        return;
    release_easy(op);
    free(op->key);
    free_pairs(op->query, op->query_count);
    free_pairs(op->headers, op->header_count);
    free(op->body_mem);
    free(op->body.name);
    free(op->sink.name);
    mc_buf_free(&op->answer);
    EVP_MD_CTX_free(op->md5_ctx);
    free(op);
}

/* --- the outcome ---------------------------------------------------------- */

int mc_s3_op_ok(const struct mc_s3_op *op)
{
    return op->ok;
}

long mc_s3_op_status(const struct mc_s3_op *op)
{
    return op->status;
}

const struct mc_err *mc_s3_op_err(const struct mc_s3_op *op)
{
    return &op->err;
}

const struct mc_buf *mc_s3_op_answer(const struct mc_s3_op *op)
{
    return &op->answer;
}

char *mc_s3_op_take_answer(struct mc_s3_op *op)
{
    return mc_buf_take(&op->answer);
}

const char *mc_s3_op_etag(const struct mc_s3_op *op)
{
    return op->etag;
}

off_t mc_s3_op_received(const struct mc_s3_op *op)
{
    return op->received;
}

const unsigned char *mc_s3_op_md5(const struct mc_s3_op *op)
{
    return op->md5;
}

off_t mc_s3_op_sink_offset(const struct mc_s3_op *op)
{
    return op->sink.offset;
}

/* --- the queue ------------------------------------------------------------ */

static void enqueue(struct mc_s3_client *client, struct mc_s3_op *op)
{
    op->next = NULL;
    if (client->queue_tail)
        client->queue_tail->next = op;
    else
        client->queue = op;
    client->queue_tail = op;
}

void mc_s3_submit(struct mc_s3_client *client, struct mc_s3_op *op)
{
    op->client = client;
    op->retry_at_ms = 0;
    enqueue(client, op);
}

void mc_s3_cancel(struct mc_s3_client *client, const char *why)
{
    if (client->cancelled)
        return;
    client->cancelled = 1;
    snprintf(client->cancel_why, sizeof(client->cancel_why), "%s", why);
}

void mc_s3_uncancel(struct mc_s3_client *client)
{
    client->cancelled = 0;
    client->cancel_why[0] = '\0';
}

void mc_s3_counters(const struct mc_s3_client *client, long long *sent, long long *received)
{
    *sent = client->sent;
    *received = client->received;
}

/* --- curl callbacks ------------------------------------------------------ */

static size_t read_body(char *buffer, size_t size, size_t count, void *data)
{
    struct mc_s3_op *op = data;
    size_t want = size * count;
    off_t left = (op->body_mem ? (off_t)op->body_mem_len : op->body.len) - op->body_pos;
    ssize_t got;

    if (left <= 0)
        return 0;
    if ((off_t)want > left)
        want = (size_t)left;
    if (op->body_mem) {
        memcpy(buffer, op->body_mem + op->body_pos, want);
        got = (ssize_t)want;
    } else {
        got = pread(op->body.fd, buffer, want, op->body.offset + op->body_pos);
        if (got <= 0) {
            mc_err_sys(&op->err, got < 0 ? errno : EIO, "reading the file to upload");
            return CURL_READFUNC_ABORT;
        }
    }
    op->body_pos += got;
    op->client->sent += got;
    return (size_t)got;
}

static int seek_body(void *data, curl_off_t offset, int origin)
{
    struct mc_s3_op *op = data;

    if (origin != SEEK_SET)
        return CURL_SEEKFUNC_CANTSEEK;
    op->body_pos = (off_t)offset;
    return CURL_SEEKFUNC_OK;
}

static size_t write_answer(char *data, size_t size, size_t count, void *user)
{
    struct mc_s3_op *op = user;
    size_t len = size * count;
    ssize_t put;
    size_t done = 0;

    op->client->received += (long long)len;
    if (!op->sink.name || op->status / 100 != 2)
        return mc_buf_add(&op->answer, data, len) == 0 ? len : 0;
    if (op->received + (off_t)len > op->sink.len) {
        /* The object grew since it was listed: a pull reads it all again. */
        mc_err_setc(&op->err, MC_ERR_CHANGED, "s3 %s: the server sent more than the %lld bytes "
                    "listed (changed meanwhile?)", op->key, (long long)op->sink.len);
        return 0;
    }
    while (done < len) {
        put = pwrite(op->sink.fd, data + done, len - done, op->sink.offset + op->received);
        if (put <= 0) {
            mc_err_sys(&op->err, put < 0 ? errno : EIO, "writing the downloaded file");
            op->err.code = MC_ERR_LOCAL_IO;
            return 0;
        }
        done += (size_t)put;
        op->received += put;
    }
    EVP_DigestUpdate(op->md5_ctx, data, len);
    return len;
}

static size_t header_line(char *data, size_t size, size_t count, void *user)
{
    struct mc_s3_op *op = user;
    size_t len = size * count;
    long status = mc_s3_header_status(data, len);

    if (status != 0) {
        /* A new answer (after 100 Continue or a redirect): its own status. */
        op->status = status > 0 ? status : 0;
        op->etag[0] = '\0';
        return len;
    }
    /* An ETag no server gives stays "": callers that need one fail. */
    mc_s3_header_etag(data, len, op->etag);
    return len;
}

/* --- building and signing ------------------------------------------------ */

static void amz_date_now(char *out)
{
    time_t now = time(NULL);
    struct tm tm;

    gmtime_r(&now, &tm);
    strftime(out, MC_AMZ_DATE_LEN + 1, "%Y%m%dT%H%M%SZ", &tm);
}

/* The request op asks for, as request.c takes it. */
static void request_of(const struct mc_s3_op *op, struct mc_s3_request *req)
{
    *req = (struct mc_s3_request){ op->method, op->key, op->query, op->query_count,
                                   op->headers, op->header_count, MC_S3_PAYLOAD_NONE, NULL, 0 };
    if (op->body_mem) {
        req->payload = MC_S3_PAYLOAD_BYTES;
        req->body = op->body_mem;
        req->body_len = op->body_mem_len;
    } else if (op->body.name) {
        req->payload = MC_S3_PAYLOAD_STREAM;
    }
}

/* The signed URL and header lines of op's attempt, made now. */
static int signed_wire(struct mc_s3_op *op, struct mc_s3_wire *wire, struct curl_slist **list,
                       struct mc_err *err)
{
    struct mc_s3_settings *settings = op->client->settings;
    struct mc_s3_signer signer = { &op->client->endpoint, settings->bucket, settings->region,
                                   &settings->creds };
    struct mc_s3_request req;
    char date[MC_AMZ_DATE_LEN + 1];
    size_t i;

    request_of(op, &req);
    amz_date_now(date);
    if (mc_s3_request_sign(wire, &signer, &req, date, err) != 0)
        return -1;
    for (i = 0; i < wire->line_count; i++)
        *list = curl_slist_append(*list, wire->lines[i]);
    /* No "Expect: 100-continue" round trip before a body. */
    *list = curl_slist_append(*list, "Expect:");
    return 0;
}

static int build_easy(struct mc_s3_op *op, struct mc_err *err)
{
    int timeout_s = timeout_of(op->client);
    struct mc_s3_wire wire;
    struct curl_slist *list = NULL;
    int has_body = op->body_mem || op->body.name;
    CURL *easy;
    int rc;

    rc = signed_wire(op, &wire, &list, err);
    easy = rc == 0 ? curl_easy_init() : NULL;
    if (rc == 0 && !easy) {
        mc_err_set(err, "S3: cannot start a libcurl transfer");
        rc = -1;
    }
    if (rc == 0) {
        curl_easy_setopt(easy, CURLOPT_URL, mc_buf_str(&wire.url));
        curl_easy_setopt(easy, CURLOPT_HTTPHEADER, list);
        curl_easy_setopt(easy, CURLOPT_PRIVATE, op);
        curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, (long)(timeout_s < MC_S3_CONNECT_TIMEOUT_S
                                                              ? timeout_s
                                                              : MC_S3_CONNECT_TIMEOUT_S));
        curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, (long)MC_S3_LOW_SPEED_BYTES);
        curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, (long)timeout_s);
        if (op->client->settings->deadline_ms)
            curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS,
                             (long)(left_ms(op->client) > 1 ? left_ms(op->client) : 1));
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, write_answer);
        curl_easy_setopt(easy, CURLOPT_WRITEDATA, op);
        curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, header_line);
        curl_easy_setopt(easy, CURLOPT_HEADERDATA, op);
        curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
        curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, MC_S3_BUFFER_BYTES);
        curl_easy_setopt(easy, CURLOPT_UPLOAD_BUFFERSIZE, MC_S3_BUFFER_BYTES);
        if (strcmp(op->method, "HEAD") == 0)
            curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
        if (has_body) {
            curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
            curl_easy_setopt(easy, CURLOPT_READFUNCTION, read_body);
            curl_easy_setopt(easy, CURLOPT_READDATA, op);
            curl_easy_setopt(easy, CURLOPT_SEEKFUNCTION, seek_body);
            curl_easy_setopt(easy, CURLOPT_SEEKDATA, op);
            curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE,
                             (curl_off_t)(op->body_mem ? (off_t)op->body_mem_len : op->body.len));
        }
        if (strcmp(op->method, "GET") != 0 && strcmp(op->method, "HEAD") != 0 &&
            strcmp(op->method, "PUT") != 0)
            curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, op->method);
        if (strcmp(op->method, "PUT") == 0 && !has_body)
            curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, "PUT");
        op->easy = easy;
        op->slist = list;
    } else {
        curl_slist_free_all(list);
    }
    mc_s3_wire_free(&wire);
    return rc;
}

/* Resets what an attempt wrote, so that a retry starts clean. */
static void reset_attempt(struct mc_s3_op *op)
{
    op->status = 0;
    op->body_pos = 0;
    op->received = 0;
    op->etag[0] = '\0';
    mc_buf_reset(&op->answer);
    mc_err_clear(&op->err);
    EVP_DigestInit_ex(op->md5_ctx, EVP_md5(), NULL);
}

static int start(struct mc_s3_op *op)
{
    reset_attempt(op);
    op->attempts++;
    if (open_files(op) != 0 || build_easy(op, &op->err) != 0)
        return -1;
    if (curl_multi_add_handle(op->client->multi, op->easy) != CURLM_OK) {
        mc_err_set(&op->err, "S3: cannot start a libcurl transfer");
        return -1;
    }
    op->client->running++;
    return 0;
}

/* --- outcomes ------------------------------------------------------------- */

/* Why a non-2xx answer failed (op->err); 1 if it is tried again. */
static int judge_status(struct mc_s3_op *op)
{
    struct mc_s3_refusal refusal = { op->client->settings->bucket, op->key, op->method,
                                     op->query_count ? op->query[0].name : "", op->status,
                                     op->answer.data, op->answer.len };

    return mc_s3_judge_status(&refusal, &op->err);
}

/* A 2xx answer whose body is S3's <Error> (S3 may send 200, then fail while
 * completing a multipart upload or a copy): a failure, judged as one. 1 if
 * it is one (op->err set, *retry whether it is tried again). */
static int error_in_body(struct mc_s3_op *op, int *retry)
{
    char code[MC_S3_ERROR_CODE_MAX];
    char message[MC_S3_ERROR_MESSAGE_MAX];

    if (!op->answer.len || mc_s3_parse_error(op->answer.data, op->answer.len, code,
                                             sizeof(code), message, sizeof(message)) != 1)
        return 0;
    *retry = judge_status(op);
    return 1;
}

static void finish(struct mc_s3_op *op, CURLcode code)
{
    struct mc_s3_client *client = op->client;
    int retry = 0;
    unsigned int len = 0;

    client->running--;
    if (code == CURLE_OK)
        curl_easy_getinfo(op->easy, CURLINFO_RESPONSE_CODE, &op->status);
    if (code != CURLE_OK) {
        if (!op->err.msg[0])
            mc_err_set(&op->err, "s3://%s/%s: %s", client->settings->bucket, op->key,
                       curl_easy_strerror(code));
        retry = mc_s3_retryable_curl(code);
    } else if (op->status / 100 == 2 && error_in_body(op, &retry)) {
        /* op->err says why */
    } else if (op->status / 100 == 2 || (op->allow_404 && op->status == 404)) {
        op->ok = 1;
        EVP_DigestFinal_ex(op->md5_ctx, op->md5, &len);
    } else {
        retry = judge_status(op);
    }
    release_easy(op);
    if (!op->ok && retry && left_ms(client) <= 0) {
        fail_late(op);
        retry = 0;
    }
    if (!op->ok && retry && !client->cancelled &&
        op->attempts < (client->settings->attempts ? client->settings->attempts
                                                    : MC_S3_ATTEMPTS_MAX)) {
        op->retry_at_ms = now_ms() + mc_s3_backoff_ms(op->attempts, random());
        enqueue(client, op);
        return;
    }
    if (!op->ok && client->cancelled && !op->err.msg[0])
        mc_err_set(&op->err, "%s", client->cancel_why);
    op->done(op, op->ctx);
}

/* Takes op off the queue (link points at it; last is the op kept before
 * it, or NULL): the tail stays right, so that a done() called next may
 * submit. */
static void unlink_op(struct mc_s3_client *client, struct mc_s3_op **link, struct mc_s3_op *last)
{
    struct mc_s3_op *op = *link;

    *link = op->next;
    if (client->queue_tail == op)
        client->queue_tail = last;
    op->next = NULL;
}

/* Starts what is due, up to `jobs` at once; the time until the next retry.
 * done() of an op that cannot start may queue others: they are seen in the
 * same pass. */
static long long start_due(struct mc_s3_client *client)
{
    struct mc_s3_op **link = &client->queue;
    struct mc_s3_op *last = NULL;
    long long now = now_ms();
    long long wait = MC_S3_POLL_MS;
    int late = left_ms(client) <= 0;

    while (*link) {
        struct mc_s3_op *op = *link;

        if (client->cancelled || late) {
            unlink_op(client, link, last);
            if (late)
                fail_late(op);
            else if (!op->err.msg[0])
                mc_err_set(&op->err, "%s", client->cancel_why);
            op->ok = 0;
            op->done(op, op->ctx);
            continue;
        }
        if (client->running >= client->settings->jobs || op->retry_at_ms > now) {
            if (op->retry_at_ms > now && op->retry_at_ms - now < wait)
                wait = op->retry_at_ms - now;
            last = op;
            link = &op->next;
            continue;
        }
        unlink_op(client, link, last);
        if (start(op) != 0) {
            release_easy(op);
            op->done(op, op->ctx);
        }
    }
    if (wait > left_ms(client))
        wait = left_ms(client) > 0 ? left_ms(client) : 0;
    return wait;
}

/* Starts what is due, moves data, finishes what is done; never waits.
 * Sets *wait_ms to how long the caller may sleep (0: not at all, a
 * transfer ended and its place can be taken now). 0, or -1 (err). */
static int step(struct mc_s3_client *client, long long *wait_ms, struct mc_err *err)
{
    CURLMsg *msg;
    int left;
    int still;

    *wait_ms = start_due(client);
    if (client->settings->tick)
        client->settings->tick(client->settings->tick_ctx);
    if (curl_multi_perform(client->multi, &still) != CURLM_OK) {
        mc_err_set(err, "S3: libcurl failed");
        return -1;
    }
    while ((msg = curl_multi_info_read(client->multi, &left)) != NULL) {
        struct mc_s3_op *op = NULL;

        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&op);
        finish(op, msg->data.result);
        *wait_ms = 0;
    }
    return 0;
}

int mc_s3_step(struct mc_s3_client *client, struct mc_err *err)
{
    long long wait;

    return client->queue || client->running ? step(client, &wait, err) : 0;
}

int mc_s3_run(struct mc_s3_client *client, struct mc_err *err)
{
    long long wait;

    while (client->queue || client->running) {
        if (step(client, &wait, err) != 0)
            return -1;
        if (wait > 0 && (client->running || client->queue))
            curl_multi_poll(client->multi, NULL, 0, (int)wait, NULL);
    }
    return 0;
}

/* The done() of a request run alone: its caller reads the outcome. */
static void keep(struct mc_s3_op *op, void *ctx)
{
    (void)op;
    (void)ctx;
}

int mc_s3_run_one(struct mc_s3_client *client, struct mc_s3_op *op, struct mc_err *err)
{
    op->done = keep;
    mc_s3_submit(client, op);
    if (mc_s3_run(client, err) != 0)
        return -1;
    if (!op->ok) {
        *err = op->err;
        return -1;
    }
    return 0;
}
