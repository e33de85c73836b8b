/* test_creds.c — where AWS credentials and the region come from: the
 * environment, profile files, container credentials and IMDSv2 (through a
 * fake HTTP function: the HTTP itself is tested in t95-t98 (tests/lib-s3.sh) against a
 * local server), and that secrets never reach a message. */
#include "s3/creds.h"
#include "fakeenv.h"
#include "scratch.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

struct fake_http {
    int calls;
    const char *token_answer;   /* NULL: no IMDS here */
    const char *role_answer;
    const char *creds_answer;
    char last_url[256];
    char last_header[256];
};

static int fake_http(void *ctx, const char *method, const char *url, const char *const *headers,
                     struct mc_buf *body, long *status, struct mc_err *err)
{
    struct fake_http *h = ctx;

    h->calls++;
    snprintf(h->last_url, sizeof(h->last_url), "%s %s", method, url);
    snprintf(h->last_header, sizeof(h->last_header), "%s", headers && headers[0] ? headers[0] : "");
    if (strstr(url, "/latest/api/token")) {
        if (!h->token_answer) {
            mc_err_set(err, "no route");
            return -1;
        }
        *status = 200;
        return mc_buf_addstr(body, h->token_answer);
    }
    *status = 200;
    if (strstr(url, "security-credentials/") && url[strlen(url) - 1] == '/')
        return mc_buf_addstr(body, h->role_answer);
    return mc_buf_addstr(body, h->creds_answer);
}

static void test_env(void)
{
    struct fake_var both[] = { { "AWS_ACCESS_KEY_ID", "AK" }, { "AWS_SECRET_ACCESS_KEY", SECRET },
                               { "AWS_SESSION_TOKEN", "TOK" }, { "HOME", "/nonexistent" },
                               { NULL, NULL } };
    struct fake_var half[] = { { "AWS_ACCESS_KEY_ID", "AK" }, { "HOME", "/nonexistent" },
                               { NULL, NULL } };
    struct fake_http http = { 0 };
    struct mc_aws_creds creds;
    struct mc_err err;

    is_int(mc_aws_creds_load(&creds, fake_getenv, both, fake_http, &http, &err), 0, "environment");
    is_str(creds.secret_key, SECRET, "... the secret");
    is_str(creds.session_token, "TOK", "... the session token");
    is_int(http.calls, 0, "... no metadata service asked");
    mc_aws_creds_free(&creds);
    is_int(mc_aws_creds_load(&creds, fake_getenv, half, fake_http, &http, &err), -1,
           "an access key without its secret: refused");
    is_str(err.msg, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not", "... saying so");
}

static void test_profiles(void)
{
    char *dir = scratch_make("mc-creds");
    char credentials[4096], config[4096];
    struct fake_var vars[] = { { "AWS_SHARED_CREDENTIALS_FILE", credentials },
                               { "AWS_CONFIG_FILE", config }, { "AWS_PROFILE", "work" },
                               { NULL, NULL } };
    struct fake_var missing[] = { { "AWS_SHARED_CREDENTIALS_FILE", credentials },
                                  { "AWS_CONFIG_FILE", config }, { "AWS_PROFILE", "nope" },
                                  { NULL, NULL } };
    struct fake_var bad_region[] = { { "AWS_REGION", "us-east-1/../x" },
                                     { "HOME", "/nonexistent" }, { NULL, NULL } };
    struct fake_var env_too[] = { { "AWS_SHARED_CREDENTIALS_FILE", credentials },
                                  { "AWS_CONFIG_FILE", config }, { "AWS_PROFILE", "work" },
                                  { "AWS_ACCESS_KEY_ID", "ENVKEY" },
                                  { "AWS_SECRET_ACCESS_KEY", "envsecret" }, { NULL, NULL } };
    struct fake_http http = { 0 };
    struct mc_aws_creds creds;
    struct mc_err err;
    FILE *file;
    char *region;

    snprintf(credentials, sizeof(credentials), "%s/credentials", dir);
    snprintf(config, sizeof(config), "%s/config", dir);
    file = fopen(credentials, "w");
    fputs("[default]\naws_access_key_id = DEF\naws_secret_access_key = defsecret\n\n"
          "# a comment\n[work]\n  aws_access_key_id=WORK  \naws_secret_access_key = " SECRET "\n",
          file);
    fclose(file);
    file = fopen(config, "w");
    fputs("[default]\nregion = eu-north-1\n[profile work]\nregion = ap-south-2\n", file);
    fclose(file);
    is_int(mc_aws_creds_load(&creds, fake_getenv, vars, fake_http, &http, &err), 0,
           "AWS_PROFILE=work from the credentials file");
    is_str(creds.access_key, "WORK", "... its key, blanks trimmed");
    mc_aws_creds_free(&creds);
    is_int(mc_aws_creds_load(&creds, fake_getenv, env_too, fake_http, &http, &err), 0,
           "AWS_PROFILE=work and AWS_ACCESS_KEY_ID both set");
    is_str(creds.access_key, "ENVKEY", "... the environment's keys win, as for the AWS CLI");
    mc_aws_creds_free(&creds);
    is_int(mc_aws_region(fake_getenv, vars, &region, &err), 0, "a region");
    is_str(region, "ap-south-2", "the region of [profile work] in the config file");
    free(region);
    is_int(mc_aws_region(fake_getenv, bad_region, &region, &err), -1,
           "AWS_REGION=us-east-1/../x: refused");
    is_str(err.msg, "AWS_REGION=us-east-1/../x: not a region name (letters, digits, '-' and "
           "'_', at most 64)", "... naming it");
    ok(region == NULL, "... no region");
    is_int(mc_aws_creds_load(&creds, fake_getenv, missing, fake_http, &http, &err), -1,
           "AWS_PROFILE naming no profile: refused");
    ok(strstr(err.msg, "AWS_PROFILE=nope: no such profile") && !strstr(err.msg, SECRET),
       "... saying so, no secret: %s", err.msg);
    scratch_remove(dir);
}

static void test_metadata_services(void)
{
    struct fake_var container[] = { { "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/creds/x" },
                                    { "AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer t" },
                                    { "HOME", "/nonexistent" }, { NULL, NULL } };
    struct fake_var imds[] = { { "AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9" },
                               { "HOME", "/nonexistent" }, { NULL, NULL } };
    struct fake_var nothing[] = { { "HOME", "/nonexistent" }, { NULL, NULL } };
    struct fake_var off[] = { { "HOME", "/nonexistent" }, { "AWS_EC2_METADATA_DISABLED", "true" },
                              { NULL, NULL } };
    struct fake_http http = { 0, "TOKEN", "role-a\n",
                              "{\"Code\":\"Success\",\"AccessKeyId\":\"ASIA\",\"SecretAccessKey\":\""
                              SECRET "\",\"Token\":\"sess\",\"Expiration\":\"2030-01-01T00:00:00Z\"}",
                              "", "" };
    struct mc_aws_creds creds;
    struct mc_err err;

    is_int(mc_aws_creds_load(&creds, fake_getenv, container, fake_http, &http, &err), 0,
           "container credentials");
    is_str(http.last_url, "GET http://169.254.170.2/v2/creds/x", "... from the relative URI");
    is_str(http.last_header, "Authorization: Bearer t", "... with the authorization token");
    is_str(creds.session_token, "sess", "... a session token");
    mc_aws_creds_free(&creds);
    http.calls = 0;
    is_int(mc_aws_creds_load(&creds, fake_getenv, imds, fake_http, &http, &err), 0, "IMDSv2");
    is_int(http.calls, 3, "... token, role, credentials");
    is_str(http.last_url, "GET http://127.0.0.1:9/latest/meta-data/iam/security-credentials/role-a",
           "... the role's credentials");
    is_str(http.last_header, "X-aws-ec2-metadata-token: TOKEN", "... with the session token");
    is_str(creds.access_key, "ASIA", "... its key");
    mc_aws_creds_free(&creds);
    http.token_answer = NULL;
    is_int(mc_aws_creds_load(&creds, fake_getenv, nothing, fake_http, &http, &err), -1,
           "nowhere: refused");
    ok(strstr(err.msg, "no AWS credentials") != NULL, "... saying what to set: %s", err.msg);
    http.calls = 0;
    is_int(mc_aws_creds_load(&creds, fake_getenv, off, fake_http, &http, &err), -1,
           "AWS_EC2_METADATA_DISABLED=true");
    is_int(http.calls, 0, "... the metadata service not asked");
}

int main(void)
{
    test_env();
    test_profiles();
    test_metadata_services();
    return done_testing();
}
