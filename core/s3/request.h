/* request.h — one S3 request as it goes on the wire, made without sending
 * it: its URL (endpoint, bucket, key, canonical query) and every header
 * line, the SigV4 Authorization included, signed for a time the caller
 * gives. Pure: no clock, no network. The engine (transfer.c) sends what
 * this makes; tests/unit/s3sign.c prints it for botocore to check, and
 * tests/unit/test_sigv4.c checks it against the AWS examples. */
#ifndef MC_S3_REQUEST_H
#define MC_S3_REQUEST_H

#include "common/buf.h"
#include "common/err.h"
#include "creds.h"
#include "sigv4.h"
#include "url.h"

#include <stddef.h>

#define MC_S3_QUERY_MAX 6
#define MC_S3_HEADERS_MAX 8
/* The caller's headers, then host, x-amz-date, x-amz-content-sha256,
 * x-amz-security-token and Authorization. */
#define MC_S3_WIRE_LINES_MAX (MC_S3_HEADERS_MAX + 5)

/* Where requests go, and who signs them. */
struct mc_s3_signer {
    const struct mc_s3_endpoint *endpoint;
    const char *bucket;
    const char *region;
    const struct mc_aws_creds *creds;
};

enum mc_s3_payload {
    MC_S3_PAYLOAD_NONE,     /* no body: the hash of "" is signed */
    MC_S3_PAYLOAD_BYTES,    /* a body in memory: its hash is signed */
    MC_S3_PAYLOAD_STREAM    /* a body read from a file as it is sent:
                               UNSIGNED-PAYLOAD (Content-MD5 guards it) */
};

/* What the caller asks for. */
struct mc_s3_request {
    const char *method;
    const char *key;                    /* "" for the bucket */
    const struct mc_pair *query;        /* raw names and values; NULL value: "?name" */
    size_t query_count;                 /* at most MC_S3_QUERY_MAX */
    const struct mc_pair *headers;      /* sent and signed, beside ours */
    size_t header_count;                /* at most MC_S3_HEADERS_MAX */
    enum mc_s3_payload payload;
    const void *body;                   /* MC_S3_PAYLOAD_BYTES */
    size_t body_len;
};

/* What goes on the wire. */
struct mc_s3_wire {
    struct mc_buf url;
    char *lines[MC_S3_WIRE_LINES_MAX];  /* "name: value", Authorization last */
    size_t line_count;
};

/* Makes and signs req at amz_date (YYYYMMDDTHHMMSSZ). 0, or -1 with err
 * (a key too long, out of memory); wire is freed with mc_s3_wire_free
 * either way. */
int mc_s3_request_sign(struct mc_s3_wire *wire, const struct mc_s3_signer *signer,
                       const struct mc_s3_request *req, const char *amz_date,
                       struct mc_err *err);
void mc_s3_wire_free(struct mc_s3_wire *wire);

#endif
