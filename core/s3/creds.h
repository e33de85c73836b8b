/* creds.h — AWS credentials and region, found the way AWS tools find them:
 * AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY[/AWS_SESSION_TOKEN]; else the
 * profile (AWS_PROFILE, default "default") in AWS_SHARED_CREDENTIALS_FILE
 * (~/.aws/credentials) and AWS_CONFIG_FILE (~/.aws/config); else container
 * credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI / _RELATIVE_URI); else
 * the EC2 instance metadata service, IMDSv2 (AWS_EC2_METADATA_SERVICE_ENDPOINT,
 * off with AWS_EC2_METADATA_DISABLED=true).
 *
 * HTTP goes through a callback, so all of it is tested without a network.
 * Secrets never appear in error messages. */
#ifndef MC_S3_CREDS_H
#define MC_S3_CREDS_H

#include "common/buf.h"
#include "common/config.h"
#include "common/err.h"

#define MC_AWS_DEFAULT_REGION "us-east-1"

struct mc_aws_creds {
    char *access_key;
    char *secret_key;
    char *session_token;        /* or NULL */
    char *source;               /* where they came from, for messages */
};

/* One HTTP request for the metadata services: headers "Name: value", NULL
 * terminated. *status the HTTP status (0 if no answer). 0, or -1 with err. */
typedef int (*mc_http_fn)(void *ctx, const char *method, const char *url,
                          const char *const *headers, struct mc_buf *body, long *status,
                          struct mc_err *err);

int mc_aws_creds_load(struct mc_aws_creds *creds, mc_getenv_fn get, void *get_ctx,
                      mc_http_fn http, void *http_ctx, struct mc_err *err);
void mc_aws_creds_free(struct mc_aws_creds *creds);

/* AWS_REGION, AWS_DEFAULT_REGION, the profile's region, or us-east-1, in
 * *out (malloc'd). -1 with err naming where it came from if it is not a
 * region name (it goes into host names and signatures). */
#define MC_AWS_REGION_MAX 64
int mc_aws_region(mc_getenv_fn get, void *get_ctx, char **out, struct mc_err *err);

/* The value of `key` in section `section` of an INI text (AWS files), or
 * NULL. Exposed for tests and fuzzing. */
char *mc_ini_get(const char *text, const char *section, const char *key);

#endif
