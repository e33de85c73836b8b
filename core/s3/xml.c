/* xml.c — S3's XML answers over expat (see xml.h). One walker keeps the
 * path of open elements and the text of the innermost one; each answer
 * type is a callback on element ends. */
#include "xml.h"
#include "common/buf.h"

#include <ctype.h>
#include <expat.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MC_XML_DEPTH_MAX 16
#define MC_XML_NAME_MAX 64
#define MC_XML_TEXT_MAX (64 * 1024)

struct walker;
/* An element ended: its path ("/ListBucketResult/Contents/Key"), its text. */
typedef void (*on_end_fn)(struct walker *w, const char *path, const char *text);

struct walker {
    char path[MC_XML_DEPTH_MAX * (MC_XML_NAME_MAX + 1) + 1];
    size_t depth;
    size_t lengths[MC_XML_DEPTH_MAX + 1];     /* path length at each depth */
    struct mc_buf text;
    int failed;
    on_end_fn on_end;
    void *ctx;
};

/* "ns:Name" or "Name": the local name. */
static const char *local_name(const char *name)
{
    const char *colon = strrchr(name, ':');

    return colon ? colon + 1 : name;
}

static void XMLCALL start(void *data, const XML_Char *name, const XML_Char **attrs)
{
    struct walker *w = data;
    const char *local = local_name(name);
    size_t len = strlen(w->path);

    (void)attrs;
    if (w->failed || w->depth == MC_XML_DEPTH_MAX || strlen(local) > MC_XML_NAME_MAX) {
        w->failed = 1;
        return;
    }
    w->lengths[w->depth++] = len;
    w->path[len] = '/';
    memcpy(w->path + len + 1, local, strlen(local) + 1);
    mc_buf_reset(&w->text);
}

static void XMLCALL end(void *data, const XML_Char *name)
{
    struct walker *w = data;

    (void)name;
    if (w->failed || w->depth == 0)
        return;
    w->on_end(w, w->path, mc_buf_str(&w->text));
    mc_buf_reset(&w->text);
    w->path[w->lengths[--w->depth]] = '\0';
}

static void XMLCALL characters(void *data, const XML_Char *s, int len)
{
    struct walker *w = data;

    if (!w->failed && mc_buf_add(&w->text, s, (size_t)len) != 0)
        w->failed = 1;
}

/* 0 if the document parsed (and the callbacks ran), -1 if not. */
static int walk(const char *xml, size_t len, on_end_fn on_end, void *ctx)
{
    struct walker w;
    XML_Parser parser = XML_ParserCreate("UTF-8");
    int ok;

    if (!parser)
        return -1;
    memset(&w, 0, sizeof(w));
    mc_buf_init(&w.text, MC_XML_TEXT_MAX);
    w.on_end = on_end;
    w.ctx = ctx;
    XML_SetUserData(parser, &w);
    XML_SetElementHandler(parser, start, end);
    XML_SetCharacterDataHandler(parser, characters);
    ok = len <= (size_t)INT32_MAX && XML_Parse(parser, xml, (int)len, 1) == XML_STATUS_OK;
    XML_ParserFree(parser);
    mc_buf_free(&w.text);
    return ok && !w.failed ? 0 : -1;
}

/* ETags come quoted ("\"abc\""), sometimes as &quot;abc&quot;. */
static char *unquoted(const char *text)
{
    size_t len = strlen(text);

    if (len >= 2 && text[0] == '"' && text[len - 1] == '"')
        return strndup(text + 1, len - 2);
    return strdup(text);
}

struct listing_ctx {
    struct mc_s3_listing *out;
    struct mc_s3_object current;
    size_t cap;
    size_t prefix_cap;
    int failed;
    int is_listing;
    int url_encoded;            /* EncodingType url: keys are %XX-encoded */
    size_t first;               /* out->count before this page */
    size_t first_prefix;
};

/* Room for one more of items (count of them, cap allocated), unless this
 * page already brought `page` of them, its most. */
static int grow(void **items, size_t *cap, size_t count, size_t page, size_t size)
{
    size_t wanted = *cap ? *cap * 2 : 64;
    void *grown;

    if (page >= MC_S3_LIST_PAGE_MAX_ENTRIES)
        return -1;
    if (count < *cap)
        return 0;
    grown = realloc(*items, wanted * size);
    if (!grown)
        return -1;
    *items = grown;
    *cap = wanted;
    return 0;
}

static void replace(char **slot, const char *text)
{
    free(*slot);
    *slot = strdup(text);
}

/* "2026-12-03T13:45:00.000Z" kept as "2026-12-03T13:45:00Z"; anything
 * else that is not of that shape as "" (unknown). */
static void keep_modified(char *out, const char *text)
{
    const char *shape = "dddd-dd-ddTdd:dd:dd";
    size_t i;

    out[0] = '\0';
    for (i = 0; shape[i]; i++) {
        if (shape[i] == 'd' ? !isdigit((unsigned char)text[i]) : text[i] != shape[i])
            return;
    }
    snprintf(out, MC_S3_MODIFIED_MAX, "%.19sZ", text);
}

static void on_listing(struct walker *w, const char *path, const char *text)
{
    struct listing_ctx *c = w->ctx;
    struct mc_s3_listing *out = c->out;

    if (strncmp(path, "/ListBucketResult", 17) != 0)
        return;
    c->is_listing = 1;
    if (strcmp(path, "/ListBucketResult/Contents/Key") == 0)
        replace(&c->current.key, text);
    else if (strcmp(path, "/ListBucketResult/Contents/ETag") == 0)
        c->current.etag = (free(c->current.etag), unquoted(text));
    else if (strcmp(path, "/ListBucketResult/Contents/Size") == 0)
        c->current.size = strtoll(text, NULL, 10);
    else if (strcmp(path, "/ListBucketResult/Contents/LastModified") == 0)
        keep_modified(c->current.modified, text);
    else if (strcmp(path, "/ListBucketResult/Contents") == 0) {
        if (!c->current.key || grow((void **)&out->objects, &c->cap, out->count,
                                    out->count - c->first, sizeof(*out->objects)) != 0) {
            c->failed = 1;
            free(c->current.key);
            free(c->current.etag);
        } else {
            if (!c->current.etag)
                c->current.etag = strdup("");
            out->objects[out->count++] = c->current;
        }
        memset(&c->current, 0, sizeof(c->current));
    } else if (strcmp(path, "/ListBucketResult/CommonPrefixes/Prefix") == 0) {
        if (grow((void **)&out->prefixes, &c->prefix_cap, out->prefix_count,
                 out->prefix_count - c->first_prefix, sizeof(*out->prefixes)) != 0)
            c->failed = 1;
        else
            out->prefixes[out->prefix_count++] = strdup(text);
    } else if (strcmp(path, "/ListBucketResult/IsTruncated") == 0) {
        out->truncated = strcmp(text, "true") == 0;
    } else if (strcmp(path, "/ListBucketResult/NextContinuationToken") == 0) {
        replace(&out->next_token, text);
    } else if (strcmp(path, "/ListBucketResult/EncodingType") == 0) {
        c->url_encoded = strcmp(text, "url") == 0;
    }
}

/* %XX (and '+', as S3 writes a space there) decoded in place. 0, or -1 for
 * a bad escape or a NUL byte. */
static int url_decode(char *text)
{
    char *out = text;
    char *in;

    for (in = text; *in; in++) {
        if (*in == '%') {
            int hi = mc_hex_digit(in[1]);
            int lo = hi >= 0 ? mc_hex_digit(in[2]) : -1;

            if (lo < 0 || (hi == 0 && lo == 0))
                return -1;
            *out++ = (char)(hi * 16 + lo);
            in += 2;
        } else {
            *out++ = *in == '+' ? ' ' : *in;
        }
    }
    *out = '\0';
    return 0;
}

int mc_s3_parse_listing(const char *xml, size_t len, struct mc_s3_listing *out,
                        struct mc_err *err)
{
    struct listing_ctx c = { out, { NULL, NULL, 0, "" }, out->count, out->prefix_count, 0, 0, 0,
                             out->count, out->prefix_count };
    size_t first = out->count;
    size_t first_prefix = out->prefix_count;
    size_t i;
    int rc;

    out->truncated = 0;
    free(out->next_token);
    out->next_token = NULL;
    rc = walk(xml, len, on_listing, &c);
    free(c.current.key);
    free(c.current.etag);
    for (i = 0; i < out->count; i++) {
        if (!out->objects[i].key || !out->objects[i].etag)
            c.failed = 1;
        else if (c.url_encoded && i >= first && url_decode(out->objects[i].key) != 0)
            c.failed = 1;
    }
    for (i = first_prefix; c.url_encoded && i < out->prefix_count; i++) {
        if (!out->prefixes[i] || url_decode(out->prefixes[i]) != 0)
            c.failed = 1;
    }
    if (rc != 0 || c.failed || !c.is_listing) {
        mc_err_set(err, "S3 listing: not a ListBucketResult, or too big");
        return -1;
    }
    if (out->truncated && (!out->next_token || !*out->next_token)) {
        mc_err_set(err, "S3 listing: truncated without a continuation token");
        return -1;
    }
    return 0;
}

void mc_s3_listing_free(struct mc_s3_listing *listing)
{
    size_t i;

    for (i = 0; i < listing->count; i++) {
        free(listing->objects[i].key);
        free(listing->objects[i].etag);
    }
    for (i = 0; i < listing->prefix_count; i++)
        free(listing->prefixes[i]);
    free(listing->objects);
    free(listing->prefixes);
    free(listing->next_token);
    memset(listing, 0, sizeof(*listing));
}

/* Collects the text of one element path. */
struct one_text {
    const char *path;
    char *text;
    int seen_root;
    const char *root;
};

static void on_one(struct walker *w, const char *path, const char *text)
{
    struct one_text *c = w->ctx;

    if (strncmp(path, c->root, strlen(c->root)) == 0)
        c->seen_root = 1;
    if (strcmp(path, c->path) == 0 && !c->text)
        c->text = strdup(text);
}

static char *text_at(const char *xml, size_t len, const char *root, const char *path)
{
    struct one_text c = { path, NULL, 0, root };

    if (walk(xml, len, on_one, &c) != 0) {
        free(c.text);
        return NULL;
    }
    return c.text;
}

int mc_s3_parse_error(const char *xml, size_t len, char *code, size_t code_size,
                      char *message, size_t message_size)
{
    struct one_text c = { "/Error/Code", NULL, 0, "/Error" };
    char *text;

    if (walk(xml, len, on_one, &c) != 0) {
        free(c.text);
        return -1;
    }
    if (!c.text)
        return 0;
    snprintf(code, code_size, "%s", c.text);
    free(c.text);
    text = text_at(xml, len, "/Error", "/Error/Message");
    snprintf(message, message_size, "%s", text ? text : "");
    free(text);
    return 1;
}

char *mc_s3_parse_upload_id(const char *xml, size_t len)
{
    return text_at(xml, len, "/InitiateMultipartUploadResult",
                   "/InitiateMultipartUploadResult/UploadId");
}

char *mc_s3_parse_complete_etag(const char *xml, size_t len)
{
    char *etag = text_at(xml, len, "/CompleteMultipartUploadResult",
                         "/CompleteMultipartUploadResult/ETag");
    char *clean = etag ? unquoted(etag) : NULL;

    free(etag);
    return clean;
}

struct delete_ctx {
    int is_result;
    int errors;
    char key[256];
    char code[64];
    char last_key[256];
};

static void on_delete(struct walker *w, const char *path, const char *text)
{
    struct delete_ctx *c = w->ctx;

    if (strncmp(path, "/DeleteResult", 13) == 0)
        c->is_result = 1;
    if (strcmp(path, "/DeleteResult/Error/Key") == 0)
        snprintf(c->last_key, sizeof(c->last_key), "%s", text);
    else if (strcmp(path, "/DeleteResult/Error/Code") == 0 && !c->errors)
        snprintf(c->code, sizeof(c->code), "%s", text);
    else if (strcmp(path, "/DeleteResult/Error") == 0 && c->errors++ == 0)
        snprintf(c->key, sizeof(c->key), "%s", c->last_key);
}

int mc_s3_parse_delete_errors(const char *xml, size_t len, struct mc_err *err)
{
    struct delete_ctx c;

    memset(&c, 0, sizeof(c));
    if (walk(xml, len, on_delete, &c) != 0 || !c.is_result)
        return -1;
    if (c.errors)
        mc_err_set(err, "%d object(s) not deleted, first %s: %s", c.errors, c.key, c.code);
    return c.errors;
}
