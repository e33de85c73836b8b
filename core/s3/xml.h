/* xml.h — the XML answers of S3 (listings, errors, multipart uploads,
 * multi-object deletes), read with expat: element paths and their text,
 * never string searches. Pure functions of a byte buffer, fuzzed
 * (tests/fuzz) and unit-tested; bounded in depth, text and entries. */
#ifndef MC_S3_XML_H
#define MC_S3_XML_H

#include "common/err.h"

#include <stddef.h>

/* Objects (and common prefixes) in one page of a listing: S3 sends at
 * most 1000; more is not an answer we read. */
#define MC_S3_LIST_PAGE_MAX_ENTRIES 100000

/* Room for a LastModified as kept: to the second, "Z" (ISO 8601 sorts
 * as text). */
#define MC_S3_MODIFIED_MAX 24

struct mc_s3_object {
    char *key;
    char *etag;                 /* without its quotes */
    long long size;
    char modified[MC_S3_MODIFIED_MAX];  /* LastModified, "2026-12-03T13:45:00Z", or "" */
};

struct mc_s3_listing {
    struct mc_s3_object *objects;
    size_t count;
    char **prefixes;            /* CommonPrefixes (with a delimiter) */
    size_t prefix_count;
    int truncated;
    char *next_token;           /* NextContinuationToken, or NULL */
};

/* ListObjectsV2 (ListBucketResult). Appends to out (which may hold earlier
 * pages: the limit is on this page's own entries); replaces truncated and
 * next_token. */
int mc_s3_parse_listing(const char *xml, size_t len, struct mc_s3_listing *out,
                        struct mc_err *err);
void mc_s3_listing_free(struct mc_s3_listing *listing);

/* <Error><Code>..</Code><Message>..</Message></Error>: 1 if it is one (code
 * and message copied, truncated to their sizes), 0 if not, -1 if not XML. */
int mc_s3_parse_error(const char *xml, size_t len, char *code, size_t code_size,
                      char *message, size_t message_size);

/* InitiateMultipartUploadResult's UploadId (malloc'd), or NULL. */
char *mc_s3_parse_upload_id(const char *xml, size_t len);

/* CompleteMultipartUploadResult's ETag without quotes (malloc'd), or NULL. */
char *mc_s3_parse_complete_etag(const char *xml, size_t len);

/* DeleteResult: how many <Error> entries; the first one's key and code in
 * err. -1 if not a DeleteResult. */
int mc_s3_parse_delete_errors(const char *xml, size_t len, struct mc_err *err);

#endif
