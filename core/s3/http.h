/* http.h — one plain HTTP request over libcurl, for the credential
 * services: the EC2 instance metadata service (IMDSv2) and container
 * credentials. Neither S3 nor signed: S3 requests go through transfer.h.
 * creds.c never calls this itself (it takes an mc_http_fn, so that it is
 * tested without a network); monocache-s3 hands it this one. */
#ifndef MC_S3_HTTP_H
#define MC_S3_HTTP_H

#include "creds.h"

/* An mc_http_fn (creds.h): ctx unused; at most MC_HTTP_SIMPLE_TIMEOUT_MS
 * in all; the answer into body, within its limit. */
#define MC_HTTP_SIMPLE_TIMEOUT_MS 2000
int mc_http_simple(void *ctx, const char *method, const char *url, const char *const *headers,
                   struct mc_buf *body, long *status, struct mc_err *err);

#endif
