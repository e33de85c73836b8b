/* s3sign.c — prints the URL and headers monocache-s3 would send for one
 * request, signed at a given time, without sending it: t98-s3-settings.sh signs the
 * same request with botocore and compares the Authorization headers.
 *
 *   s3sign ENDPOINT BUCKET METHOD KEY YYYYMMDDTHHMMSSZ [-q name[=value]]... [-h name:value]...
 *
 * Credentials and region: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN, AWS_REGION. */
#include "s3/transfer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    struct mc_s3_settings settings;
    struct mc_s3_client *client;
    struct mc_s3_op *op;
    struct mc_buf url, headers;
    struct mc_err err;
    int i;

    if (argc < 6) {
        fprintf(stderr, "usage: s3sign ENDPOINT BUCKET METHOD KEY DATE [-q n=v]... [-h n:v]...\n");
        return 2;
    }
    memset(&settings, 0, sizeof(settings));
    settings.bucket = argv[2];
    settings.endpoint_url = argv[1];
    settings.endpoint_name = "ENDPOINT";
    settings.region = getenv("AWS_REGION") ? getenv("AWS_REGION") : "us-east-1";
    settings.creds.access_key = getenv("AWS_ACCESS_KEY_ID");
    settings.creds.secret_key = getenv("AWS_SECRET_ACCESS_KEY");
    settings.creds.session_token = getenv("AWS_SESSION_TOKEN");
    settings.jobs = 1;
    if (!settings.creds.access_key || !settings.creds.secret_key ||
        mc_s3_client_open(&client, &settings, &err) != 0) {
        fprintf(stderr, "s3sign: %s\n", settings.creds.access_key ? err.msg : "no credentials");
        return 1;
    }
    op = mc_s3_op_new(argv[3], argv[4], NULL, NULL);
    for (i = 6; op && i + 1 < argc; i += 2) {
        char *name = strdup(argv[i + 1]);
        char *sep = strchr(name, strcmp(argv[i], "-q") == 0 ? '=' : ':');

        if (sep)
            *sep++ = '\0';
        if (strcmp(argv[i], "-q") == 0)
            mc_s3_op_query(op, name, sep);
        else
            mc_s3_op_header(op, name, sep ? sep : "");
        free(name);
    }
    mc_buf_init(&url, 1 << 16);
    mc_buf_init(&headers, 1 << 16);
    if (!op || mc_s3_signed_request(client, op, argv[5], &url, &headers, &err) != 0) {
        fprintf(stderr, "s3sign: %s\n", op ? err.msg : "out of memory");
        return 1;
    }
    printf("%s %s\n%s", argv[3], mc_buf_str(&url), mc_buf_str(&headers));
    mc_buf_free(&url);
    mc_buf_free(&headers);
    mc_s3_op_free(op);
    mc_s3_client_close(client);
    return 0;
}
