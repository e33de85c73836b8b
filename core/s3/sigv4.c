/* sigv4.c — the SigV4 signer (see sigv4.h): canonical request, string to
 * sign, the derived key's HMAC chain. OpenSSL for SHA-256 and HMAC only. */
#include "sigv4.h"
#include "url.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#define MC_SIGV4_TEXT_MAX (1024 * 1024)
#define MC_SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define MC_SIGV4_TERMINATOR "aws4_request"
#define MC_DATE_LEN 8           /* YYYYMMDD */

void mc_sha256_hex(const void *bytes, size_t count, char *out)
{
    unsigned char digest[SHA256_DIGEST_LENGTH];

    SHA256(bytes, count, digest);
    mc_hex_encode(digest, sizeof(digest), out);
}

/* One encoded "name=value", for sorting. */
struct encoded_pair {
    char *name;
    char *value;
};

static int by_name_then_value(const void *a, const void *b)
{
    const struct encoded_pair *x = a;
    const struct encoded_pair *y = b;
    int rc = strcmp(x->name, y->name);

    return rc ? rc : strcmp(x->value, y->value);
}

static char *encoded(const char *text)
{
    struct mc_buf buf;

    mc_buf_init(&buf, MC_SIGV4_TEXT_MAX);
    if (mc_uri_encode(&buf, text ? text : "", 0) != 0) {
        mc_buf_free(&buf);
        return NULL;
    }
    return mc_buf_take(&buf);
}

int mc_sigv4_canonical_query(struct mc_buf *out, const struct mc_pair *query, size_t count)
{
    struct encoded_pair *pairs = calloc(count ? count : 1, sizeof(*pairs));
    size_t i;
    int rc = pairs ? 0 : -1;

    for (i = 0; i < count && rc == 0; i++) {
        pairs[i].name = encoded(query[i].name);
        pairs[i].value = encoded(query[i].value);
        if (!pairs[i].name || !pairs[i].value)
            rc = -1;
    }
    if (rc == 0)
        qsort(pairs, count, sizeof(*pairs), by_name_then_value);
    for (i = 0; i < count && rc == 0; i++)
        rc = mc_buf_printf(out, "%s%s=%s", i ? "&" : "", pairs[i].name, pairs[i].value);
    for (i = 0; pairs && i < count; i++) {
        free(pairs[i].name);
        free(pairs[i].value);
    }
    free(pairs);
    return rc;
}

/* A header as signed: lower-case name, value trimmed, runs of blanks as one. */
struct canonical_header {
    char *name;
    char *value;
    size_t order;               /* keeps duplicates in their given order */
};

static int by_header_name(const void *a, const void *b)
{
    const struct canonical_header *x = a;
    const struct canonical_header *y = b;
    int rc = strcmp(x->name, y->name);

    if (rc)
        return rc;
    return x->order < y->order ? -1 : x->order > y->order;
}

static char *lower_copy(const char *text)
{
    char *copy = strdup(text);
    char *p;

    for (p = copy; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return copy;
}

static char *trimmed_copy(const char *text)
{
    char *copy = malloc(strlen(text) + 1);
    const char *p = text;
    char *q = copy;

    if (!copy)
        return NULL;
    while (*p == ' ' || *p == '\t')
        p++;
    while (*p) {
        if (*p == ' ' || *p == '\t') {
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p)
                *q++ = ' ';
            continue;
        }
        *q++ = *p++;
    }
    *q = '\0';
    return copy;
}

static struct canonical_header *canonical_headers(const struct mc_sigv4_request *req)
{
    struct canonical_header *list = calloc(req->header_count + 1, sizeof(*list));
    size_t i;

    for (i = 0; list && i < req->header_count; i++) {
        list[i].name = lower_copy(req->headers[i].name);
        list[i].value = trimmed_copy(req->headers[i].value);
        list[i].order = i;
        if (!list[i].name || !list[i].value) {
            req = NULL;
            break;
        }
    }
    if (list && req)
        qsort(list, req->header_count, sizeof(*list), by_header_name);
    return list;
}

static void free_headers(struct canonical_header *list, size_t count)
{
    size_t i;

    for (i = 0; list && i < count; i++) {
        free(list[i].name);
        free(list[i].value);
    }
    free(list);
}

/* "a;b;c" of the sorted, distinct header names. */
static int signed_header_names(struct mc_buf *out, const struct canonical_header *list,
                               size_t count)
{
    size_t i;
    int rc = 0;

    for (i = 0; i < count && rc == 0; i++) {
        if (i && strcmp(list[i].name, list[i - 1].name) == 0)
            continue;
        rc = mc_buf_printf(out, "%s%s", i ? ";" : "", list[i].name);
    }
    return rc;
}

/* "name:value\n" per distinct name, values of duplicates joined by ','. */
static int header_lines(struct mc_buf *out, const struct canonical_header *list, size_t count)
{
    size_t i;
    int rc = 0;

    for (i = 0; i < count && rc == 0; i++) {
        if (i && strcmp(list[i].name, list[i - 1].name) == 0)
            rc = mc_buf_printf(out, ",%s", list[i].value);
        else
            rc = mc_buf_printf(out, "%s%s:%s", i ? "\n" : "", list[i].name, list[i].value);
    }
    if (rc == 0 && count)
        rc = mc_buf_addstr(out, "\n");
    return rc;
}

static int build_canonical(struct mc_buf *out, struct mc_buf *signed_names,
                           const struct mc_sigv4_request *req)
{
    struct canonical_header *list = canonical_headers(req);
    int rc;

    if (!list)
        return -1;
    rc = mc_buf_printf(out, "%s\n", req->method);
    rc |= mc_uri_encode(out, req->path, 1);
    rc |= mc_buf_addstr(out, "\n");
    rc |= mc_sigv4_canonical_query(out, req->query, req->query_count);
    rc |= mc_buf_addstr(out, "\n");
    rc |= header_lines(out, list, req->header_count);
    rc |= mc_buf_addstr(out, "\n");
    rc |= signed_header_names(signed_names, list, req->header_count);
    rc |= mc_buf_printf(out, "%s\n%s", mc_buf_str(signed_names), req->payload_hash);
    free_headers(list, req->header_count);
    return rc ? -1 : 0;
}

int mc_sigv4_canonical_request(struct mc_buf *out, const struct mc_sigv4_request *req)
{
    struct mc_buf names;
    int rc;

    mc_buf_init(&names, MC_SIGV4_TEXT_MAX);
    rc = build_canonical(out, &names, req);
    mc_buf_free(&names);
    return rc;
}

static int hmac(const void *key, size_t key_len, const char *data, unsigned char *out)
{
    unsigned int len = SHA256_DIGEST_LENGTH;

    return HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)data, strlen(data), out,
                &len) ? 0 : -1;
}

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" secret, date), region), service), "aws4_request") */
static int signing_key(const struct mc_sigv4_key *key, const char *date, unsigned char *out)
{
    struct mc_buf first;
    unsigned char k1[SHA256_DIGEST_LENGTH];
    unsigned char k2[SHA256_DIGEST_LENGTH];
    unsigned char k3[SHA256_DIGEST_LENGTH];
    int rc;

    mc_buf_init(&first, MC_SIGV4_TEXT_MAX);
    rc = mc_buf_printf(&first, "AWS4%s", key->secret_key);
    rc = rc == 0 ? hmac(first.data, first.len, date, k1) : -1;
    rc = rc == 0 ? hmac(k1, sizeof(k1), key->region, k2) : -1;
    rc = rc == 0 ? hmac(k2, sizeof(k2), key->service, k3) : -1;
    rc = rc == 0 ? hmac(k3, sizeof(k3), MC_SIGV4_TERMINATOR, out) : -1;
    OPENSSL_cleanse(k1, sizeof(k1));
    OPENSSL_cleanse(k2, sizeof(k2));
    OPENSSL_cleanse(k3, sizeof(k3));
    if (first.data)
        OPENSSL_cleanse(first.data, first.len);
    mc_buf_free(&first);
    return rc;
}

static int valid_amz_date(const char *amz_date)
{
    size_t i;

    if (strlen(amz_date) != MC_AMZ_DATE_LEN || amz_date[8] != 'T' || amz_date[15] != 'Z')
        return 0;
    for (i = 0; i < MC_AMZ_DATE_LEN; i++) {
        if (i != 8 && i != 15 && !isdigit((unsigned char)amz_date[i]))
            return 0;
    }
    return 1;
}

int mc_sigv4_authorization(struct mc_buf *out, const struct mc_sigv4_request *req,
                           const struct mc_sigv4_key *key, const char *amz_date)
{
    struct mc_buf canonical, names, to_sign;
    char date[MC_DATE_LEN + 1];
    char hash[MC_SHA256_HEX_LEN + 1];
    unsigned char kdate[SHA256_DIGEST_LENGTH];
    unsigned char signature[SHA256_DIGEST_LENGTH];
    char signature_hex[MC_SHA256_HEX_LEN + 1];
    int rc;

    if (!valid_amz_date(amz_date))
        return -1;
    memcpy(date, amz_date, MC_DATE_LEN);
    date[MC_DATE_LEN] = '\0';
    mc_buf_init(&canonical, MC_SIGV4_TEXT_MAX);
    mc_buf_init(&names, MC_SIGV4_TEXT_MAX);
    mc_buf_init(&to_sign, MC_SIGV4_TEXT_MAX);
    rc = build_canonical(&canonical, &names, req);
    if (rc == 0) {
        mc_sha256_hex(canonical.data, canonical.len, hash);
        rc = mc_buf_printf(&to_sign, MC_SIGV4_ALGORITHM "\n%s\n%s/%s/%s/" MC_SIGV4_TERMINATOR
                           "\n%s", amz_date, date, key->region, key->service, hash);
    }
    rc = rc == 0 ? signing_key(key, date, kdate) : -1;
    rc = rc == 0 ? hmac(kdate, sizeof(kdate), mc_buf_str(&to_sign), signature) : -1;
    OPENSSL_cleanse(kdate, sizeof(kdate));
    if (rc == 0) {
        mc_hex_encode(signature, sizeof(signature), signature_hex);
        rc = mc_buf_printf(out, MC_SIGV4_ALGORITHM " Credential=%s/%s/%s/%s/" MC_SIGV4_TERMINATOR
                           ", SignedHeaders=%s, Signature=%s", key->access_key, date, key->region,
                           key->service, mc_buf_str(&names), signature_hex);
    }
    mc_buf_free(&canonical);
    mc_buf_free(&names);
    mc_buf_free(&to_sign);
    return rc;
}
