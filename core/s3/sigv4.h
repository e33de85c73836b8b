/* sigv4.h — AWS Signature Version 4 for S3: a pure function from a request
 * (method, path, query, headers, payload hash) and a key to the
 * Authorization header. No I/O, no clock: the caller gives the time, so the
 * signer is checked against the published AWS test vectors and against
 * botocore signing the same requests.
 *
 * S3's rules, not the generic ones: the path is encoded once, segment by
 * segment, and never normalized. Query names without a value ("?uploads")
 * sign as "uploads=". */
#ifndef MC_SIGV4_H
#define MC_SIGV4_H

#include "common/buf.h"

#include <stddef.h>

#define MC_SHA256_HEX_LEN 64
#define MC_AMZ_DATE_LEN 16      /* YYYYMMDDTHHMMSSZ */
#define MC_SIGV4_UNSIGNED "UNSIGNED-PAYLOAD"

struct mc_pair {
    const char *name;
    const char *value;          /* a query value may be NULL: no value */
};

struct mc_sigv4_request {
    const char *method;
    const char *path;           /* raw, not encoded: "/bucket/a key" */
    const struct mc_pair *query;        /* raw names and values */
    size_t query_count;
    const struct mc_pair *headers;      /* every header to sign, host included */
    size_t header_count;
    const char *payload_hash;   /* hex SHA-256 of the body, or MC_SIGV4_UNSIGNED */
};

struct mc_sigv4_key {
    const char *access_key;
    const char *secret_key;
    const char *region;
    const char *service;        /* "s3" */
};

/* The canonical query string: encoded pairs sorted, joined with '&'. */
int mc_sigv4_canonical_query(struct mc_buf *out, const struct mc_pair *query, size_t count);

/* The canonical request, as the AWS documentation spells it (for tests). */
int mc_sigv4_canonical_request(struct mc_buf *out, const struct mc_sigv4_request *req);

/* The Authorization header's value, for amz_date (YYYYMMDDTHHMMSSZ, the
 * request's x-amz-date). 0, or -1 (out of memory, bad date). */
int mc_sigv4_authorization(struct mc_buf *out, const struct mc_sigv4_request *req,
                           const struct mc_sigv4_key *key, const char *amz_date);

/* Hex SHA-256 of bytes, into out (MC_SHA256_HEX_LEN + 1). */
void mc_sha256_hex(const void *bytes, size_t count, char *out);

#endif
