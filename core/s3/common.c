/* common.c — shared by push, pull, ls and rm (see common.h). */
#include "common.h"
#include "header.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MC_MD5_CHUNK (256 * 1024)

static int by_key(const void *a, const void *b)
{
    return strcmp(((const struct mc_s3_object *)a)->key, ((const struct mc_s3_object *)b)->key);
}

/* One page after the first: it must go on from where the last ended. S3
 * lists keys in UTF-8 binary order and a continuation token never comes
 * twice: a page that repeats one, or goes back, is a server going round in
 * circles, and the listing would never be whole. */
static int page_goes_on(const struct mc_s3_listing *out, size_t first, const char *last_key,
                        const char *last_token, const char *prefix, struct mc_err *err)
{
    size_t i;

    if (out->truncated && last_token && strcmp(out->next_token, last_token) == 0) {
        mc_err_set(err, "S3 listing of %s: the server gave the same continuation token twice; "
                   "the listing is not whole, refused", prefix);
        return -1;
    }
    for (i = first; last_key && i < out->count; i++) {
        if (strcmp(out->objects[i].key, last_key) <= 0) {
            mc_err_set(err, "S3 listing of %s: a page went back to keys listed before; the "
                       "listing is not whole, refused", prefix);
            return -1;
        }
    }
    return 0;
}

static int list_page(struct mc_s3_client *client, const char *prefix, const char *token,
                     struct mc_s3_listing *out, struct mc_err *err)
{
    struct mc_s3_op *op = mc_s3_op_new("GET", "", NULL, NULL);
    int rc = op ? 0 : -1;

    rc |= op ? mc_s3_op_query(op, "list-type", "2") : 0;
    rc |= op ? mc_s3_op_query(op, "prefix", prefix) : 0;
    /* Keys as %XX: XML 1.0 cannot carry every byte a file name can. */
    rc |= op ? mc_s3_op_query(op, "encoding-type", "url") : 0;
    if (token && op)
        rc |= mc_s3_op_query(op, "continuation-token", token);
    if (rc != 0)
        mc_err_set(err, "S3 listing: out of memory");
    else
        rc = mc_s3_run_one(client, op, err);
    if (rc == 0)
        rc = mc_s3_parse_listing(mc_s3_op_answer(op)->data, mc_s3_op_answer(op)->len, out, err);
    mc_s3_op_free(op);
    return rc;
}

/* The greatest key of the page that starts at first (NULL if none). */
static const char *greatest_key(const struct mc_s3_listing *out, size_t first)
{
    const char *greatest = NULL;
    size_t i;

    for (i = first; i < out->count; i++) {
        if (!greatest || strcmp(out->objects[i].key, greatest) > 0)
            greatest = out->objects[i].key;
    }
    return greatest;
}

static int pages(struct mc_s3_client *client, const char *prefix, struct mc_s3_listing *out,
                 struct mc_err *err)
{
    char *token = NULL;
    char *last_key = NULL;
    int count;
    int rc = 0;

    for (count = 0; rc == 0; count++) {
        size_t first = out->count;

        if (count == MC_S3_LIST_PAGES_MAX) {
            mc_err_set(err, "S3 listing of %s: still not whole after %d pages; refused", prefix,
                       MC_S3_LIST_PAGES_MAX);
            rc = -1;
            break;
        }
        rc = list_page(client, prefix, token, out, err);
        if (rc == 0)
            rc = page_goes_on(out, first, last_key, token, prefix, err);
        if (rc == 0 && out->count > MC_S3_OBJECTS_MAX) {
            mc_err_set(err, "S3 listing of %s: more than %d objects; refused", prefix,
                       MC_S3_OBJECTS_MAX);
            rc = -1;
        }
        if (rc != 0 || !out->truncated)
            break;
        if (greatest_key(out, first)) {
            free(last_key);
            last_key = strdup(greatest_key(out, first));
        }
        free(token);
        token = strdup(out->next_token);
        if (!token || (out->count > first && !last_key)) {
            mc_err_set(err, "S3 listing: out of memory");
            rc = -1;
        }
    }
    free(token);
    free(last_key);
    return rc;
}

int mc_s3_list_all(struct mc_s3_client *client, const char *prefix, struct mc_s3_listing *out,
                   struct mc_err *err)
{
    size_t i;

    memset(out, 0, sizeof(*out));
    if (pages(client, prefix, out, err) != 0) {
        mc_s3_listing_free(out);
        return -1;
    }
    for (i = 0; i < out->count; i++) {
        if (strncmp(out->objects[i].key, prefix, strlen(prefix)) != 0) {
            /* Callers strip the prefix, and push and rm delete what is
             * listed: a key outside it is never acted on. */
            mc_err_set(err, "S3 listing of %s: the server answered a key outside it; refused",
                       prefix);
            mc_s3_listing_free(out);
            return -1;
        }
    }
    if (out->count)
        qsort(out->objects, out->count, sizeof(*out->objects), by_key);
    for (i = 1; i < out->count; i++) {
        if (strcmp(out->objects[i - 1].key, out->objects[i].key) == 0) {
            mc_err_set(err, "S3 listing of %s: the server listed a key twice; refused", prefix);
            mc_s3_listing_free(out);
            return -1;
        }
    }
    return 0;
}

const struct mc_s3_object *mc_s3_listing_find(const struct mc_s3_listing *listing,
                                              const char *key)
{
    struct mc_s3_object probe = { (char *)key, NULL, 0, "" };

    if (!listing->count)
        return NULL;
    return bsearch(&probe, listing->objects, listing->count, sizeof(*listing->objects), by_key);
}

int mc_s3_get_small(struct mc_s3_client *client, const char *key, char **text, size_t *len,
                    char *etag, struct mc_err *err)
{
    struct mc_s3_op *op = mc_s3_op_new("GET", key, NULL, NULL);
    int rc;

    *text = NULL;
    *len = 0;
    if (!op) {
        mc_err_set(err, "out of memory");
        return -1;
    }
    mc_s3_op_allow_404(op);
    rc = mc_s3_run_one(client, op, err);
    if (rc == 0 && mc_s3_op_status(op) == 404) {
        rc = 1;
    } else if (rc == 0) {
        if (etag)
            snprintf(etag, MC_S3_ETAG_MAX, "%s", mc_s3_op_etag(op));
        *len = mc_s3_op_answer(op)->len;
        *text = mc_s3_op_take_answer(op);
        if (!*text)
            *text = strdup("");
        if (!*text) {
            mc_err_set(err, "out of memory");
            rc = -1;
        }
    }
    mc_s3_op_free(op);
    return rc;
}

void mc_md5_of(const void *bytes, size_t len, unsigned char *out)
{
    unsigned int out_len = MC_MD5_LEN;

    EVP_Digest(bytes, len, out, &out_len, EVP_md5(), NULL);
}

void mc_md5_hex(const unsigned char *md5, char *out)
{
    mc_hex_encode(md5, MC_MD5_LEN, out);
}

void mc_md5_base64(const unsigned char *md5, char *out)
{
    EVP_EncodeBlock((unsigned char *)out, md5, MC_MD5_LEN);
}

void mc_s3_etag_of(const unsigned char (*part_md5)[MC_MD5_LEN], size_t parts, char *out)
{
    unsigned char combined[MC_MD5_LEN];
    EVP_MD_CTX *ctx;
    unsigned int len = MC_MD5_LEN;
    size_t i;

    if (parts <= 1) {
        static const unsigned char empty[MC_MD5_LEN] = { 0xd4, 0x1d, 0x8c, 0xd9, 0x8f, 0x00,
                                                         0xb2, 0x04, 0xe9, 0x80, 0x09, 0x98,
                                                         0xec, 0xf8, 0x42, 0x7e };

        mc_md5_hex(parts ? part_md5[0] : empty, out);
        return;
    }
    ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
    for (i = 0; i < parts; i++)
        EVP_DigestUpdate(ctx, part_md5[i], MC_MD5_LEN);
    EVP_DigestFinal_ex(ctx, combined, &len);
    EVP_MD_CTX_free(ctx);
    mc_md5_hex(combined, out);
    sprintf(out + 2 * MC_MD5_LEN, "-%zu", parts);
}

long long mc_s3_part_size(long long size)
{
    long long part = MC_S3_PART_SIZE;

    while ((size + part - 1) / part > MC_S3_PARTS_MAX)
        part *= 2;
    return part;
}

static int md5_range(int fd, off_t start, long long len, unsigned char *chunk, EVP_MD_CTX *ctx,
                     EVP_MD_CTX *whole, unsigned char *out)
{
    unsigned int out_len = MC_MD5_LEN;
    long long done = 0;

    EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
    while (done < len) {
        size_t want = len - done < MC_MD5_CHUNK ? (size_t)(len - done) : MC_MD5_CHUNK;
        ssize_t got = pread(fd, chunk, want, start + done);

        if (got <= 0) {
            if (got == 0)
                errno = EIO;
            return -1;
        }
        EVP_DigestUpdate(ctx, chunk, (size_t)got);
        if (whole)
            EVP_DigestUpdate(whole, chunk, (size_t)got);
        done += got;
    }
    EVP_DigestFinal_ex(ctx, out, &out_len);
    return 0;
}

static size_t count_parts(long long size, long long part_size)
{
    return part_size ? (size_t)((size + part_size - 1) / part_size) : 1;
}

int mc_s3_file_md5s(int dir_fd, const char *path, long long size, long long part_size,
                    unsigned char (**md5)[MC_MD5_LEN], size_t *parts, unsigned char *whole_md5,
                    struct mc_err *err)
{
    EVP_MD_CTX *whole = count_parts(size, part_size) > 1 && whole_md5 ? EVP_MD_CTX_new() : NULL;
    unsigned int whole_len = MC_MD5_LEN;
    size_t count = count_parts(size, part_size);
    unsigned char *chunk = malloc(MC_MD5_CHUNK);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    const char *name;
    int parent = mc_open_parent(dir_fd, path, 0, &name);
    /* Never blocks on a FIFO swapped in since the scan. */
    int fd = parent >= 0 ? openat(parent, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
                         : -1;
    struct stat st;
    size_t i;
    int rc = 0;

    *md5 = calloc(count ? count : 1, sizeof(**md5));
    *parts = count;
    if (fd < 0) {
        mc_err_sys(err, errno, "%s: cannot read it", path);
        rc = -1;
    } else if (!chunk || !ctx || !*md5) {
        mc_err_set(err, "%s: out of memory", path);
        rc = -1;
    } else if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != size) {
        mc_err_set(err, "%s: changed while being read (no longer the regular file of %lld "
                   "bytes it was)", path, size);
        rc = -1;
    }
    if (whole)
        EVP_DigestInit_ex(whole, EVP_md5(), NULL);
    for (i = 0; rc == 0 && i < count; i++) {
        long long start = part_size ? (long long)i * part_size : 0;
        long long len = part_size ? (size - start < part_size ? size - start : part_size) : size;

        if (md5_range(fd, (off_t)start, len, chunk, ctx, whole, (*md5)[i]) != 0) {
            mc_err_sys(err, errno, "%s", path);
            rc = -1;
        }
    }
    if (rc == 0 && whole_md5 && whole)
        EVP_DigestFinal_ex(whole, whole_md5, &whole_len);
    else if (rc == 0 && whole_md5)
        memcpy(whole_md5, (*md5)[0], MC_MD5_LEN);
    EVP_MD_CTX_free(whole);
    if (fd >= 0)
        close(fd);
    if (parent >= 0)
        close(parent);
    EVP_MD_CTX_free(ctx);
    free(chunk);
    if (rc != 0) {
        free(*md5);
        *md5 = NULL;
    }
    return rc;
}

int mc_open_parent(int root_fd, const char *path, int make, const char **name)
{
    int fd = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
    const char *part = path;
    char component[256];

    while (fd >= 0) {
        size_t len = strcspn(part, "/");
        int next;

        if (part[len] != '/') {
            *name = part;
            return fd;
        }
        if (len == 0 || len >= sizeof(component)) {
            close(fd);
            errno = EINVAL;
            return -1;
        }
        memcpy(component, part, len);
        component[len] = '\0';
        if (make && mkdirat(fd, component, 0700) != 0 && errno != EEXIST) {
            close(fd);
            return -1;
        }
        next = openat(fd, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        close(fd);
        fd = next;
        part += len + 1;
    }
    return -1;
}

void mc_s3_fail(struct mc_s3_client *client, int *failed, struct mc_err *first,
                const struct mc_err *err)
{
    if (*failed)
        return;
    *failed = 1;
    *first = *err;
    mc_s3_cancel(client, "stopped after an earlier error");
}
