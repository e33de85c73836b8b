/* url.h — S3 locations and endpoints: "s3://bucket/prefix" as users write
 * it, and where requests go (AWS, virtual-hosted style; or an S3-compatible
 * server given by AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, path style).
 *
 * Pure parsing and string building, fuzzed and unit-tested; no I/O. */
#ifndef MC_S3_URL_H
#define MC_S3_URL_H

#include "common/buf.h"
#include "common/err.h"

#define MC_S3_BUCKET_MAX 63
#define MC_S3_KEY_MAX 1024
#define MC_S3_DEFAULT_JOBS 16
#define MC_S3_JOBS_MAX 256
/* Files up to this size go in one PUT (as rclone's default upload cutoff),
 * larger ones in parts, in parallel. */
#define MC_S3_MULTIPART_DEFAULT_MB 200
#define MC_S3_MULTIPART_MAX_MB (5 * 1024)   /* S3's limit for one PUT */

/* No S3 request waits longer than this for progress, and a release's
 * upload holds the program's exit at most this long (MONOCACHE_S3_TIMEOUT_S):
 * botocore's read timeout, and far above what S3 takes to answer. */
#define MC_S3_TIMEOUT_DEFAULT_S 60
#define MC_S3_TIMEOUT_MAX_S 86400

struct mc_s3_tuning {
    int jobs;                   /* parallel transfers */
    long long multipart_min;    /* bytes: larger files go in parts */
};

/* MONOCACHE_S3_JOBS and MONOCACHE_S3_MULTIPART_MB (NULL or "": the
 * defaults). 0, or -1 with err naming the variable. */
int mc_s3_parse_tuning(const char *jobs, const char *multipart_mb, struct mc_s3_tuning *out,
                       struct mc_err *err);
/* MONOCACHE_S3_TIMEOUT_S: 1 to MC_S3_TIMEOUT_MAX_S seconds (NULL or "":
 * the default). 0, or -1 with err naming the variable. */
int mc_s3_parse_timeout(const char *text, int *seconds, struct mc_err *err);

/* Appends `text` URI-encoded as SigV4 wants: every byte but A-Z a-z 0-9
 * - _ . ~ as %XX (upper-case hex); '/' kept when keep_slash. 0 or -1. */
int mc_uri_encode(struct mc_buf *out, const char *text, int keep_slash);

struct mc_s3_location {
    char *bucket;
    char *prefix;       /* without leading or trailing '/'; "" for the top */
};

/* "s3://bucket[/prefix[/]]". `name` labels errors (MONOCACHE_S3, --s3...). */
int mc_s3_parse_location(const char *name, const char *url, struct mc_s3_location *loc,
                         struct mc_err *err);
void mc_s3_location_free(struct mc_s3_location *loc);
/* "s3://bucket" or "s3://bucket/prefix", as written everywhere after
 * parsing. NULL when out of memory. */
char *mc_s3_location_url(const struct mc_s3_location *loc);

/* A cache's location "s3://bucket/prefix/<id>": the id (a UUID) is taken
 * off the prefix into id_out (MC_ID_MAX + 1). 0, or -1 if the last part is
 * not a cache id. */
int mc_s3_split_cache(struct mc_s3_location *loc, char *id_out);

/* The key of a cache's object: "<prefix>/<id>/<relative path>" (relative
 * path may be "" for the cache's own prefix). NULL if too long. */
char *mc_s3_cache_key(const struct mc_s3_location *loc, const char *id, const char *relative);
/* Where monocache keeps a cache's index: "<prefix>/.monocache/<id>.json". */
char *mc_s3_index_key(const struct mc_s3_location *loc, const char *id);
/* Where each push keeps the index it wrote, for as long as a copy pulled
 * at that generation may push (merge.h): "<prefix>/.monocache/history/
 * <id>/<generation>" (generation "": the directory, for a listing). */
char *mc_s3_history_key(const struct mc_s3_location *loc, const char *id,
                        const char *generation);

struct mc_s3_endpoint {
    char *base;         /* "https://host[:port][/path]" without a trailing '/' */
    char *host;         /* the Host header: "host[:port]" */
    char *base_path;    /* a path the endpoint URL had ("" usually), no trailing '/' */
    int path_style;     /* 1: /bucket/key; 0: bucket.host/key */
};

/* The endpoint: `url` from AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL (path
 * style), or NULL for AWS in `region` (virtual-hosted style, or path style
 * for bucket names with dots, which TLS certificates cannot cover). */
int mc_s3_endpoint_init(struct mc_s3_endpoint *ep, const char *name, const char *url,
                        const char *bucket, const char *region, struct mc_err *err);
void mc_s3_endpoint_free(struct mc_s3_endpoint *ep);

/* For one request on an object (key may be "" for the bucket): the path to
 * sign (raw) and the URL to send (encoded, with the query already made
 * canonical by the caller, or "" for none). */
int mc_s3_request_path(const struct mc_s3_endpoint *ep, const char *bucket, const char *key,
                       struct mc_buf *raw_path);
int mc_s3_request_url(const struct mc_s3_endpoint *ep, const char *raw_path,
                      const char *canonical_query, struct mc_buf *url);

#endif
