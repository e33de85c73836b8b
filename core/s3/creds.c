/* creds.c — AWS credentials and region (see creds.h). */
#include "creds.h"
#include "common/file.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MC_AWS_FILE_MAX (1024 * 1024)
#define MC_AWS_ANSWER_MAX (64 * 1024)
#define MC_CONTAINER_HOST "http://169.254.170.2"
#define MC_IMDS_DEFAULT "http://169.254.169.254"
#define MC_IMDS_TOKEN_PATH "/latest/api/token"
#define MC_IMDS_ROLE_PATH "/latest/meta-data/iam/security-credentials/"
#define MC_IMDS_TOKEN_TTL_S "21600"

static const char *nonempty(const char *value)
{
    return value && *value ? value : NULL;
}

/* Trims blanks at both ends, in place. */
static char *trim(char *text)
{
    char *end;

    while (*text == ' ' || *text == '\t')
        text++;
    end = text + strlen(text);
    while (end > text && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        *--end = '\0';
    return text;
}

char *mc_ini_get(const char *text, const char *section, const char *key)
{
    char *copy = strdup(text);
    char *line;
    char *save = NULL;
    char *found = NULL;
    int in_section = 0;

    for (line = copy ? strtok_r(copy, "\n", &save) : NULL; line && !found;
         line = strtok_r(NULL, "\n", &save)) {
        char *t = trim(line);
        char *eq;

        if (*t == '#' || *t == ';' || !*t)
            continue;
        if (*t == '[') {
            char *close = strchr(t, ']');

            if (close)
                *close = '\0';
            in_section = strcmp(trim(t + 1), section) == 0;
            continue;
        }
        eq = strchr(t, '=');
        if (!in_section || !eq)
            continue;
        *eq = '\0';
        if (strcmp(trim(t), key) == 0)
            found = strdup(trim(eq + 1));
    }
    free(copy);
    return found;
}

/* ~ from $HOME, else the password database. */
static char *home_file(mc_getenv_fn get, void *ctx, const char *name, const char *relative)
{
    const char *given = nonempty(get(name, ctx));
    const char *home = nonempty(get("HOME", ctx));
    struct passwd *pw;

    if (given)
        return strdup(given);
    if (!home) {
        pw = getpwuid(getuid());
        home = pw ? pw->pw_dir : NULL;
    }
    return home ? mc_concat(home, relative, NULL) : NULL;
}

/* The whole file, or NULL (errno: ENOENT when missing). Symbolic links
 * are followed (users link their AWS files); FIFOs and devices are refused
 * without blocking. */
static char *read_text(const char *path)
{
    struct mc_err ignored;
    char *text;

    if (mc_read_file(AT_FDCWD, path, MC_AWS_FILE_MAX, MC_READ_FOLLOW, &text, NULL,
                     &ignored) != 0)
        return NULL;
    return text;
}

/* Sets creds from three strings (copied). */
static int set_creds(struct mc_aws_creds *creds, const char *access, const char *secret,
                     const char *token, const char *source)
{
    creds->access_key = strdup(access);
    creds->secret_key = strdup(secret);
    creds->session_token = token && *token ? strdup(token) : NULL;
    creds->source = strdup(source);
    return creds->access_key && creds->secret_key && creds->source ? 0 : -1;
}

static int from_env(struct mc_aws_creds *creds, mc_getenv_fn get, void *ctx, struct mc_err *err)
{
    const char *access = nonempty(get("AWS_ACCESS_KEY_ID", ctx));
    const char *secret = nonempty(get("AWS_SECRET_ACCESS_KEY", ctx));

    if (!access && !secret)
        return 1;
    if (!access || !secret) {
        mc_err_set(err, "%s is set but %s is not", access ? "AWS_ACCESS_KEY_ID"
                                                           : "AWS_SECRET_ACCESS_KEY",
                   access ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
        return -1;
    }
    return set_creds(creds, access, secret, get("AWS_SESSION_TOKEN", ctx), "the environment");
}

/* The profile's keys from one file; section is "name" in credentials and
 * "profile name" (or "default") in config. 0 found, 1 not there, -1 error. */
static int from_file(struct mc_aws_creds *creds, const char *path, const char *section,
                     struct mc_err *err)
{
    char *text = read_text(path);
    char *access, *secret, *token;
    int rc = 1;

    if (!text) {
        if (errno == ENOENT)
            return 1;
        mc_err_sys(err, errno, "%s: cannot read", path);
        return -1;
    }
    access = mc_ini_get(text, section, "aws_access_key_id");
    secret = mc_ini_get(text, section, "aws_secret_access_key");
    token = mc_ini_get(text, section, "aws_session_token");
    if (access && secret && *access && *secret) {
        rc = set_creds(creds, access, secret, token, path);
    } else if (access || secret) {
        mc_err_set(err, "%s: profile [%s] has %s but not %s", path, section,
                   access ? "aws_access_key_id" : "aws_secret_access_key",
                   access ? "aws_secret_access_key" : "aws_access_key_id");
        rc = -1;
    }
    free(access);
    if (secret)
        memset(secret, 0, strlen(secret));
    free(secret);
    free(token);
    free(text);
    return rc;
}

static char *config_section(const char *profile)
{
    return strcmp(profile, "default") == 0 ? strdup(profile)
                                           : mc_concat("profile ", profile, NULL);
}

static int from_profile(struct mc_aws_creds *creds, mc_getenv_fn get, void *ctx,
                        struct mc_err *err)
{
    const char *given = nonempty(get("AWS_PROFILE", ctx));
    const char *profile = given ? given : "default";
    char *credentials = home_file(get, ctx, "AWS_SHARED_CREDENTIALS_FILE", "/.aws/credentials");
    char *config = home_file(get, ctx, "AWS_CONFIG_FILE", "/.aws/config");
    char *section = config_section(profile);
    int rc = 1;

    if (credentials)
        rc = from_file(creds, credentials, profile, err);
    if (rc == 1 && config && section)
        rc = from_file(creds, config, section, err);
    if (rc == 1 && given) {
        mc_err_set(err, "AWS_PROFILE=%s: no such profile with keys in %s or %s", given,
                   credentials ? credentials : "~/.aws/credentials",
                   config ? config : "~/.aws/config");
        rc = -1;
    }
    free(credentials);
    free(config);
    free(section);
    return rc;
}

/* {"AccessKeyId", "SecretAccessKey", "Token"} from a metadata service. */
static int from_json(struct mc_aws_creds *creds, const char *text, const char *source,
                     struct mc_err *err)
{
    cJSON *json = cJSON_Parse(text);
    const cJSON *access = cJSON_GetObjectItemCaseSensitive(json, "AccessKeyId");
    const cJSON *secret = cJSON_GetObjectItemCaseSensitive(json, "SecretAccessKey");
    const cJSON *token = cJSON_GetObjectItemCaseSensitive(json, "Token");
    int rc;

    if (!cJSON_IsString(access) || !cJSON_IsString(secret)) {
        mc_err_set(err, "%s: the answer has no AccessKeyId and SecretAccessKey", source);
        cJSON_Delete(json);
        return -1;
    }
    rc = set_creds(creds, access->valuestring, secret->valuestring,
                   cJSON_IsString(token) ? token->valuestring : NULL, source);
    cJSON_Delete(json);
    return rc;
}

static int from_container(struct mc_aws_creds *creds, mc_getenv_fn get, void *ctx,
                          mc_http_fn http, void *http_ctx, struct mc_err *err)
{
    const char *full = nonempty(get("AWS_CONTAINER_CREDENTIALS_FULL_URI", ctx));
    const char *relative = nonempty(get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", ctx));
    const char *token = nonempty(get("AWS_CONTAINER_AUTHORIZATION_TOKEN", ctx));
    const char *token_file = nonempty(get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", ctx));
    const char *headers[2] = { NULL, NULL };
    char *file_token = NULL;
    char *header = NULL;
    char *url;
    struct mc_buf body;
    long status = 0;
    int rc;

    if (!full && !relative)
        return 1;
    url = full ? strdup(full) : mc_concat(MC_CONTAINER_HOST, relative, NULL);
    if (token_file) {
        file_token = read_text(token_file);
        token = file_token ? trim(file_token) : NULL;
    }
    if (token) {
        header = mc_concat("Authorization: ", token, NULL);
        headers[0] = header;
    }
    mc_buf_init(&body, MC_AWS_ANSWER_MAX);
    rc = url ? http(http_ctx, "GET", url, headers, &body, &status, err) : -1;
    if (rc == 0 && status != 200) {
        mc_err_set(err, "%s: container credentials: HTTP status %ld",
                   full ? "AWS_CONTAINER_CREDENTIALS_FULL_URI"
                        : "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", status);
        rc = -1;
    }
    if (rc == 0)
        rc = from_json(creds, mc_buf_str(&body), "container credentials", err);
    mc_buf_free(&body);
    free(header);
    free(file_token);
    free(url);
    return rc;
}

static int imds_get(mc_http_fn http, void *http_ctx, const char *url, const char *token_header,
                    struct mc_buf *body, struct mc_err *err)
{
    const char *headers[2] = { token_header, NULL };
    long status = 0;

    mc_buf_reset(body);
    if (http(http_ctx, "GET", url, headers, body, &status, err) != 0)
        return -1;
    if (status != 200) {
        mc_err_set(err, "instance metadata: HTTP status %ld for %s", status, url);
        return -1;
    }
    return 0;
}

static int from_imds(struct mc_aws_creds *creds, mc_getenv_fn get, void *ctx, mc_http_fn http,
                     void *http_ctx, struct mc_err *err)
{
    const char *disabled = nonempty(get("AWS_EC2_METADATA_DISABLED", ctx));
    const char *given = nonempty(get("AWS_EC2_METADATA_SERVICE_ENDPOINT", ctx));
    const char *base = given ? given : MC_IMDS_DEFAULT;
    const char *ttl[2] = { "X-aws-ec2-metadata-token-ttl-seconds: " MC_IMDS_TOKEN_TTL_S, NULL };
    struct mc_buf body;
    char *url = NULL;
    char *token_header = NULL;
    char *role = NULL;
    long status = 0;
    int rc;

    if (disabled && strcasecmp(disabled, "true") == 0)
        return 1;
    mc_buf_init(&body, MC_AWS_ANSWER_MAX);
    url = mc_concat(base, MC_IMDS_TOKEN_PATH, NULL);
    rc = url ? http(http_ctx, "PUT", url, ttl, &body, &status, err) : -1;
    if (rc != 0 || status != 200) {
        /* Not on EC2 (or IMDSv2 refused): no credentials from here. */
        rc = 1;
        goto out;
    }
    token_header = mc_concat("X-aws-ec2-metadata-token: ", mc_buf_str(&body), NULL);
    free(url);
    url = mc_concat(base, MC_IMDS_ROLE_PATH, NULL);
    rc = url && token_header ? imds_get(http, http_ctx, url, token_header, &body, err) : -1;
    if (rc == 0) {
        role = strndup(mc_buf_str(&body), strcspn(mc_buf_str(&body), "\r\n"));
        free(url);
        url = role && *role ? mc_concat(base, MC_IMDS_ROLE_PATH, role, NULL) : NULL;
        rc = url ? imds_get(http, http_ctx, url, token_header, &body, err) : -1;
        if (!url && role && !*role)
            mc_err_set(err, "instance metadata: no IAM role attached to this instance");
    }
    if (rc == 0)
        rc = from_json(creds, mc_buf_str(&body), "instance metadata (IMDSv2)", err);
out:
    mc_buf_free(&body);
    free(token_header);
    free(role);
    free(url);
    return rc;
}

int mc_aws_creds_load(struct mc_aws_creds *creds, mc_getenv_fn get, void *get_ctx,
                      mc_http_fn http, void *http_ctx, struct mc_err *err)
{
    int rc;

    memset(creds, 0, sizeof(*creds));
    mc_err_clear(err);
    rc = from_env(creds, get, get_ctx, err);
    if (rc == 1)
        rc = from_profile(creds, get, get_ctx, err);
    if (rc == 1)
        rc = from_container(creds, get, get_ctx, http, http_ctx, err);
    if (rc == 1)
        rc = from_imds(creds, get, get_ctx, http, http_ctx, err);
    if (rc == 1)
        mc_err_set(err, "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                   "or AWS_PROFILE with ~/.aws/credentials");
    if (rc != 0) {
        if (!err->msg[0])
            mc_err_set(err, "AWS credentials: out of memory");
        mc_aws_creds_free(creds);
        return -1;
    }
    return 0;
}

void mc_aws_creds_free(struct mc_aws_creds *creds)
{
    if (creds->secret_key)
        memset(creds->secret_key, 0, strlen(creds->secret_key));
    if (creds->session_token)
        memset(creds->session_token, 0, strlen(creds->session_token));
    free(creds->access_key);
    free(creds->secret_key);
    free(creds->session_token);
    free(creds->source);
    memset(creds, 0, sizeof(*creds));
}

/* A region as AWS names them (us-east-1, cn-north-1, us-gov-west-1) and
 * S3-compatible servers may (minio, local_1): it goes into a host name and
 * into every signature, so nothing else (no '/', '.' or blank) is taken. */
static int region_ok(const char *region)
{
    size_t len = strlen(region);
    size_t i;

    if (len == 0 || len > MC_AWS_REGION_MAX)
        return 0;
    for (i = 0; i < len; i++) {
        char c = region[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

int mc_aws_region(mc_getenv_fn get, void *get_ctx, char **out, struct mc_err *err)
{
    const char *name = "AWS_REGION";
    const char *region = nonempty(get(name, get_ctx));
    const char *profile = nonempty(get("AWS_PROFILE", get_ctx));
    char *config = NULL, *text, *section, *found = NULL;

    *out = NULL;
    if (!region) {
        name = "AWS_DEFAULT_REGION";
        region = nonempty(get(name, get_ctx));
    }
    if (!region) {
        config = home_file(get, get_ctx, "AWS_CONFIG_FILE", "/.aws/config");
        text = config ? read_text(config) : NULL;
        section = config_section(profile ? profile : "default");
        if (text && section)
            found = mc_ini_get(text, section, "region");
        free(text);
        free(section);
        if (found && !*found) {
            free(found);
            found = NULL;
        }
        region = found ? found : MC_AWS_DEFAULT_REGION;
    }
    if (!region_ok(region)) {
        if (found)
            mc_err_set(err, "%s: the region of profile %s (%s) is not a region name (letters, "
                       "digits, '-' and '_', at most %d)", config, profile ? profile : "default",
                       region, MC_AWS_REGION_MAX);
        else
            mc_err_set(err, "%s=%s: not a region name (letters, digits, '-' and '_', at most "
                       "%d)", name, region, MC_AWS_REGION_MAX);
        free(found);
        free(config);
        return -1;
    }
    *out = found ? found : strdup(region);
    free(config);
    if (!*out) {
        mc_err_set(err, "out of memory");
        return -1;
    }
    return 0;
}
