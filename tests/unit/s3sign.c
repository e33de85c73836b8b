/* s3sign.c — prints the URL and headers monocache-s3 would send for one
 * request, signed at a given time, without sending it: t98-s3-settings.sh
 * signs the same request with botocore and compares the Authorization
 * headers. The request is made by request.c, as the engine makes every
 * attempt.
 *
 *   s3sign ENDPOINT BUCKET METHOD KEY YYYYMMDDTHHMMSSZ [-q name[=value]]... [-h name:value]...
 *
 * Credentials and region: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN, AWS_REGION. */
#include "s3/request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S3SIGN_FIRST_OPTION 6

/* "-q name[=value]" or "-h name:value" onto list (name and value point
 * into *copy, to free). A query name without '=' has no value ("?uploads").
 * 0, or -1 if there are too many. */
static int add_option(const char *kind, const char *arg, struct mc_pair *list, size_t *count,
                      size_t max, char **copy)
{
    int is_query = strcmp(kind, "-q") == 0;
    char *sep;

    if (*count == max)
        return -1;
    *copy = strdup(arg);
    if (!*copy)
        return -1;
    sep = strchr(*copy, is_query ? '=' : ':');
    if (sep)
        *sep++ = '\0';
    list[*count].name = *copy;
    list[*count].value = sep ? sep : is_query ? NULL : "";
    (*count)++;
    return 0;
}

int main(int argc, char **argv)
{
    struct mc_pair query[MC_S3_QUERY_MAX], headers[MC_S3_HEADERS_MAX];
    char *copies[MC_S3_QUERY_MAX + MC_S3_HEADERS_MAX];
    size_t copy_count = 0;
    struct mc_s3_request req = { 0 };
    struct mc_aws_creds creds = { 0 };
    struct mc_s3_endpoint endpoint;
    struct mc_s3_signer signer;
    struct mc_s3_wire wire = { 0 };
    const char *region = getenv("AWS_REGION") ? getenv("AWS_REGION") : "us-east-1";
    struct mc_err err;
    size_t i;
    int rc = 0;
    int a;

    if (argc < S3SIGN_FIRST_OPTION) {
        fprintf(stderr, "usage: s3sign ENDPOINT BUCKET METHOD KEY DATE [-q n=v]... [-h n:v]...\n");
        return 2;
    }
    creds.access_key = getenv("AWS_ACCESS_KEY_ID");
    creds.secret_key = getenv("AWS_SECRET_ACCESS_KEY");
    creds.session_token = getenv("AWS_SESSION_TOKEN");
    if (!creds.access_key || !creds.secret_key) {
        fprintf(stderr, "s3sign: no credentials\n");
        return 1;
    }
    if (mc_s3_endpoint_init(&endpoint, "ENDPOINT", argv[1], argv[2], region, &err) != 0) {
        fprintf(stderr, "s3sign: %s\n", err.msg);
        return 1;
    }
    req = (struct mc_s3_request){ argv[3], argv[4], query, 0, headers, 0, MC_S3_PAYLOAD_NONE,
                                  NULL, 0 };
    for (a = S3SIGN_FIRST_OPTION; rc == 0 && a + 1 < argc; a += 2) {
        if (strcmp(argv[a], "-q") == 0)
            rc = add_option(argv[a], argv[a + 1], query, &req.query_count, MC_S3_QUERY_MAX,
                            &copies[copy_count]);
        else
            rc = add_option(argv[a], argv[a + 1], headers, &req.header_count, MC_S3_HEADERS_MAX,
                            &copies[copy_count]);
        copy_count += rc == 0;
    }
    signer = (struct mc_s3_signer){ &endpoint, argv[2], region, &creds };
    if (rc != 0) {
        fprintf(stderr, "s3sign: too many options\n");
    } else if (mc_s3_request_sign(&wire, &signer, &req, argv[5], &err) != 0) {
        fprintf(stderr, "s3sign: %s\n", err.msg);
        rc = -1;
    } else {
        printf("%s %s\n", argv[3], mc_buf_str(&wire.url));
        for (i = 0; i < wire.line_count; i++)
            printf("%s\n", wire.lines[i]);
    }
    mc_s3_wire_free(&wire);
    for (i = 0; i < copy_count; i++)
        free(copies[i]);
    mc_s3_endpoint_free(&endpoint);
    return rc == 0 ? 0 : 1;
}
