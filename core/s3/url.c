/* url.c — S3 locations and endpoints (see url.h). */
#include "url.h"
#include "common/setting.h"
#include "host/names.h"
#include "host/proto.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define MC_S3_SCHEME "s3://"
#define MC_S3_INDEX_DIR ".monocache"

static int unreserved(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

int mc_uri_encode(struct mc_buf *out, const char *text, int keep_slash)
{
    static const char digits[] = "0123456789ABCDEF";
    const unsigned char *p;
    int rc = 0;

    for (p = (const unsigned char *)text; *p && rc == 0; p++) {
        if ((*p < 128 && unreserved(*p)) || (keep_slash && *p == '/')) {
            rc = mc_buf_add(out, p, 1);
        } else {
            char escape[3] = { '%', digits[*p >> 4], digits[*p & 15] };

            rc = mc_buf_add(out, escape, sizeof(escape));
        }
    }
    return rc;
}

/* Bucket names as S3 allows them (3-63 of a-z 0-9 . -), plus upper case
 * and '_', which some S3-compatible servers accept. */
static int valid_bucket(const char *bucket, size_t len)
{
    size_t i;

    if (len < 3 || len > MC_S3_BUCKET_MAX)
        return 0;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)bucket[i];

        if (!isalnum(c) && c != '.' && c != '-' && c != '_')
            return 0;
    }
    return 1;
}

static int valid_prefix(const char *prefix)
{
    const char *p;

    if (strlen(prefix) > MC_S3_KEY_MAX / 2)
        return 0;
    for (p = prefix; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return 0;
        if (*p == '/' && (p[1] == '/' || p[1] == '\0'))
            return 0;
    }
    return 1;
}

/* "NAME=url" for a variable, "name url" for a command's argument. */
static const char *joiner(const char *name)
{
    const char *p;

    for (p = name; *p; p++) {
        if (islower((unsigned char)*p))
            return " ";
    }
    return "=";
}

int mc_s3_parse_location(const char *name, const char *url, struct mc_s3_location *loc,
                         struct mc_err *err)
{
    const char *sep;
    const char *bucket;
    const char *slash;
    size_t bucket_len;
    size_t prefix_len;

    name = mc_setting_name(name);
    sep = joiner(name);
    memset(loc, 0, sizeof(*loc));
    if (strncmp(url, MC_S3_SCHEME, strlen(MC_S3_SCHEME)) != 0) {
        mc_err_set(err, "%s%s%s: expected s3://bucket/prefix", name, sep, url);
        return -1;
    }
    bucket = url + strlen(MC_S3_SCHEME);
    slash = strchr(bucket, '/');
    bucket_len = slash ? (size_t)(slash - bucket) : strlen(bucket);
    if (!valid_bucket(bucket, bucket_len)) {
        mc_err_set(err, "%s%s%s: not a bucket name (3 to 63 letters, digits, '.', '-')", name,
                   sep, url);
        return -1;
    }
    loc->bucket = strndup(bucket, bucket_len);
    prefix_len = slash ? strlen(slash + 1) : 0;
    while (prefix_len && slash[prefix_len] == '/')
        prefix_len--;
    loc->prefix = strndup(slash ? slash + 1 : "", prefix_len);
    if (!loc->bucket || !loc->prefix) {
        mc_s3_location_free(loc);
        mc_err_set(err, "%s: out of memory", name);
        return -1;
    }
    if (!valid_prefix(loc->prefix)) {
        mc_s3_location_free(loc);
        mc_err_set(err, "%s%s%s: not a usable prefix (empty parts, control characters, or "
                   "too long)", name, sep, url);
        return -1;
    }
    return 0;
}

void mc_s3_location_free(struct mc_s3_location *loc)
{
    free(loc->bucket);
    free(loc->prefix);
    loc->bucket = NULL;
    loc->prefix = NULL;
}

char *mc_s3_location_url(const struct mc_s3_location *loc)
{
    return *loc->prefix ? mc_concat(MC_S3_SCHEME, loc->bucket, "/", loc->prefix, NULL)
                        : mc_concat(MC_S3_SCHEME, loc->bucket, NULL);
}

int mc_s3_split_cache(struct mc_s3_location *loc, char *id_out)
{
    char *last = strrchr(loc->prefix, '/');
    char *id = last ? last + 1 : loc->prefix;

    if (!mc_id_valid(id))
        return -1;
    mc_id_copy(id_out, id);
    if (last)
        *last = '\0';
    else
        loc->prefix[0] = '\0';
    return 0;
}

static char *joined_key(const char *prefix, const char *middle, const char *tail)
{
    struct mc_buf key;
    int rc;

    mc_buf_init(&key, MC_S3_KEY_MAX);
    rc = mc_buf_printf(&key, "%s%s%s%s", prefix, *prefix ? "/" : "", middle, tail);
    if (rc != 0) {
        mc_buf_free(&key);
        return NULL;
    }
    return mc_buf_take(&key);
}

char *mc_s3_cache_key(const struct mc_s3_location *loc, const char *id, const char *relative)
{
    struct mc_buf tail;
    char *key;

    mc_buf_init(&tail, MC_S3_KEY_MAX);
    if (mc_buf_printf(&tail, "/%s", relative) != 0) {
        mc_buf_free(&tail);
        return NULL;
    }
    key = joined_key(loc->prefix, id, mc_buf_str(&tail));
    mc_buf_free(&tail);
    return key;
}

/* "<prefix>/.monocache/<dir><id><after><generation>". */
static char *index_dir_key(const struct mc_s3_location *loc, const char *dir, const char *id,
                           const char *after, const char *generation)
{
    struct mc_buf tail;
    char *key;

    mc_buf_init(&tail, MC_S3_KEY_MAX);
    if (mc_buf_printf(&tail, "/%s%s%s%s", dir, id, after, generation) != 0) {
        mc_buf_free(&tail);
        return NULL;
    }
    key = joined_key(loc->prefix, MC_S3_INDEX_DIR, mc_buf_str(&tail));
    mc_buf_free(&tail);
    return key;
}

char *mc_s3_index_key(const struct mc_s3_location *loc, const char *id)
{
    return index_dir_key(loc, "", id, ".json", "");
}

char *mc_s3_history_key(const struct mc_s3_location *loc, const char *id, const char *generation)
{
    return index_dir_key(loc, "history/", id, "/", generation);
}

/* "name[:port]" or "[v6][:port]": host name characters, a port 1-65535. */
static int valid_host_port(const char *host, size_t len)
{
    const char *end = host + len;
    const char *colon;
    const char *p;
    long port = 0;

    if (*host == '[') {
        p = memchr(host, ']', len);
        if (!p || p == host + 1)
            return 0;
        colon = p + 1 < end ? p + 1 : NULL;
        if (colon && *colon != ':')
            return 0;
        for (p = host + 1; *p != ']'; p++) {
            if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.')
                return 0;
        }
    } else {
        colon = memchr(host, ':', len);
        for (p = host; p < (colon ? colon : end); p++) {
            if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' && *p != '_')
                return 0;
        }
        if (p == host)
            return 0;
    }
    if (!colon)
        return 1;
    for (p = colon + 1; p < end; p++) {
        if (!isdigit((unsigned char)*p) || (port = port * 10 + (*p - '0')) > 65535)
            return 0;
    }
    return p > colon + 1 && port >= 1;
}

/* "http[s]://host[:port][/path]": host part and path part. A URL with a
 * user part is refused without being repeated (it may hold a secret). */
static int split_endpoint(const char *name, const char *url, struct mc_s3_endpoint *ep,
                          struct mc_err *err)
{
    const char *host = strstr(url, "://");
    const char *path;
    size_t base_len;

    if (!host || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)) {
        mc_err_set(err, "%s=%s: expected http://host[:port] or https://host[:port]", name, url);
        return -1;
    }
    host += 3;
    path = host + strcspn(host, "/?#");
    if (memchr(host, '@', (size_t)(path - host)) || strchr(url, '@')) {
        mc_err_set(err, "%s: expected http[s]://host[:port][/path], without a user or password "
                   "(credentials come from the AWS variables)", name);
        return -1;
    }
    if (path == host || *path == '?' || *path == '#' ||
        !valid_host_port(host, (size_t)(path - host))) {
        mc_err_set(err, "%s=%s: expected http[s]://host[:port][/path] (a host name or address, "
                   "a port from 1 to 65535, no query)", name, url);
        return -1;
    }
    base_len = strlen(url);
    while (base_len > (size_t)(path - url) && url[base_len - 1] == '/')
        base_len--;
    ep->base = strndup(url, base_len);
    ep->host = strndup(host, (size_t)(path - host));
    ep->base_path = strndup(path, base_len - (size_t)(path - url));
    return ep->base && ep->host && ep->base_path ? 0 : -1;
}

int mc_s3_endpoint_init(struct mc_s3_endpoint *ep, const char *name, const char *url,
                        const char *bucket, const char *region, struct mc_err *err)
{
    struct mc_buf host;
    int rc;

    memset(ep, 0, sizeof(*ep));
    if (url && *url) {
        ep->path_style = 1;
        rc = split_endpoint(name, url, ep, err);
    } else {
        ep->path_style = strchr(bucket, '.') != NULL;
        mc_buf_init(&host, MC_S3_KEY_MAX);
        rc = ep->path_style ? mc_buf_printf(&host, "s3.%s.amazonaws.com", region)
                            : mc_buf_printf(&host, "%s.s3.%s.amazonaws.com", bucket, region);
        ep->host = rc == 0 ? mc_buf_take(&host) : NULL;
        mc_buf_free(&host);
        ep->base = ep->host ? mc_concat("https://", ep->host, NULL) : NULL;
        ep->base_path = strdup("");
        rc = ep->host && ep->base && ep->base_path ? 0 : -1;
    }
    if (rc != 0) {
        if (!err->msg[0])
            mc_err_set(err, "%s: out of memory", name);
        mc_s3_endpoint_free(ep);
    }
    return rc;
}

void mc_s3_endpoint_free(struct mc_s3_endpoint *ep)
{
    free(ep->base);
    free(ep->host);
    free(ep->base_path);
    memset(ep, 0, sizeof(*ep));
}

int mc_s3_request_path(const struct mc_s3_endpoint *ep, const char *bucket, const char *key,
                       struct mc_buf *raw_path)
{
    if (ep->path_style)
        return mc_buf_printf(raw_path, "%s/%s/%s", ep->base_path, bucket, key);
    return mc_buf_printf(raw_path, "%s/%s", ep->base_path, key);
}

int mc_s3_request_url(const struct mc_s3_endpoint *ep, const char *raw_path,
                      const char *canonical_query, struct mc_buf *url)
{
    size_t host_end = strlen(ep->base) - strlen(ep->base_path);
    int rc = mc_buf_add(url, ep->base, host_end);

    rc |= mc_uri_encode(url, raw_path, 1);
    if (canonical_query && *canonical_query)
        rc |= mc_buf_printf(url, "?%s", canonical_query);
    return rc ? -1 : 0;
}

/* A whole number from min to max in text; 0, or -1. */
static int whole_number(const char *text, long min, long max, long *out)
{
    char *end = NULL;

    if (!isdigit((unsigned char)text[0]))
        return -1;
    *out = strtol(text, &end, 10);
    return *end || *out < min || *out > max ? -1 : 0;
}

int mc_s3_parse_tuning(const char *jobs, const char *multipart_mb, struct mc_s3_tuning *out,
                       struct mc_err *err)
{
    long value;

    out->jobs = MC_S3_DEFAULT_JOBS;
    out->multipart_min = (long long)MC_S3_MULTIPART_DEFAULT_MB << 20;
    if (jobs && *jobs) {
        if (whole_number(jobs, 1, MC_S3_JOBS_MAX, &value) != 0) {
            mc_err_set(err, MC_ENV_S3_JOBS "=%s: expected a whole number from 1 to %d", jobs,
                       MC_S3_JOBS_MAX);
            return -1;
        }
        out->jobs = (int)value;
    }
    if (multipart_mb && *multipart_mb) {
        if (whole_number(multipart_mb, 5, MC_S3_MULTIPART_MAX_MB, &value) != 0) {
            mc_err_set(err, MC_ENV_S3_MULTIPART_MB "=%s: expected a size in MiB from 5 to %d",
                       multipart_mb, MC_S3_MULTIPART_MAX_MB);
            return -1;
        }
        out->multipart_min = (long long)value << 20;
    }
    return 0;
}

int mc_s3_parse_timeout(const char *text, int *seconds, struct mc_err *err)
{
    long value;

    *seconds = MC_S3_TIMEOUT_DEFAULT_S;
    if (!text || !*text)
        return 0;
    if (whole_number(text, 1, MC_S3_TIMEOUT_MAX_S, &value) != 0) {
        mc_err_set(err, MC_ENV_S3_TIMEOUT "=%s: expected a whole number of seconds from 1 to %d",
                   text, MC_S3_TIMEOUT_MAX_S);
        return -1;
    }
    *seconds = (int)value;
    return 0;
}
