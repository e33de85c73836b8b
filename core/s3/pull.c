/* pull.c — a cache from S3 into <cache_dir>/<id> (see sync.h).
 *
 * The copy is always made whole in <cache_dir>/.pull-<id>.<pid> (flock()ed
 * while it is made, so that gc knows a live one from a dead one's), then
 * put in place in one rename: a pull leaves the old copy or the new one,
 * never a mix. Files the old copy already holds (same bytes, same mode and
 * mtime) are hard links to it rather than downloads. Over an old copy the
 * rename is an exchange, made under the old copy's directory lock once
 * nothing holds it: a lock taken meanwhile is carried over, a pending
 * upload or a tree that started using it stops the pull with the old copy
 * as it was.
 *
 * What is taken is one push's: meta.json and the index must be of the same
 * generation, and every object must match the index's ETag for it, in the
 * listing and as it arrives. Anything else is a push in progress or two at
 * once: tried again, then refused. */
#include "common.h"
#include "common/dirlock.h"
#include "common/jsontext.h"
#include "common/meta.h"
#include "header.h"
#include "host/proto.h"
#include "local/release.h"
#include "local/wipe.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A file being downloaded, at the top of the copy being made. */
#define MC_PULL_TEMP_PREFIX ".monocache-pull."
/* A pull that finds S3 changing under it starts again, this many times in all. */
#define MC_PULL_TRIES 3
#define MC_MESSAGE_MAX 1024

struct pull {
    struct mc_s3_job *job;
    int root_fd;                /* the copy being made */
    int old_fd;                 /* the copy here before, or -1 */
    struct mc_tree old;         /* what it holds */
    const char *prefix;         /* "<prefix>/<id>/" */
    struct mc_tree index;       /* may be empty: a cache monocache did not push */
    int has_index;
    cJSON *meta;                /* S3's meta.json, as it will be here */
    int failed;
    struct mc_err err;
    unsigned long temp_serial;
};

/* The id of the copy here: the cache's own, or the one it is restored as. */
static const char *local_id(const struct mc_s3_job *job)
{
    return job->local_id ? job->local_id : job->id;
}

/* One object on its way down, in one GET or in ranges. */
struct download {
    struct pull *pull;
    char *path;                 /* relative */
    char temp[64];              /* its temporary name in root_fd */
    long long size;
    long long part_size;        /* 0: one GET */
    size_t parts;
    size_t parts_done;
    unsigned char (*md5)[MC_MD5_LEN];
    char etag[MC_S3_ETAG_MAX];  /* what it must be */
};

static void download_free(struct download *d)
{
    free(d->path);
    free(d->md5);
    free(d);
}

static void fail(struct pull *pull, const struct mc_err *err)
{
    mc_s3_fail(pull->job->client, &pull->failed, &pull->err, err);
}

__attribute__((format(printf, 2, 3)))
static void warn(struct pull *pull, const char *fmt, ...)
{
    char message[MC_MESSAGE_MAX];
    va_list ap;

    if (!pull->job->warn)
        return;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    pull->job->warn(message, pull->job->warn_ctx);
}

/* How many parts the ETag says ("hex-N"), 0 for one. */
static size_t etag_parts(const char *etag)
{
    const char *dash = strchr(etag, '-');

    return dash ? (size_t)strtoul(dash + 1, NULL, 10) : 0;
}

/* Renames the finished temporary file onto its path. */
static int put_in_place(struct download *d, struct mc_err *err)
{
    struct pull *pull = d->pull;
    const char *name;
    int parent = mc_open_parent(pull->root_fd, d->path, 1, &name);
    struct stat st;
    int rc = -1;

    if (parent < 0) {
        mc_err_sys(err, errno, "%s/%s", pull->job->label, d->path);
        return -1;
    }
    if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        mc_err_set(err, "%s/%s: S3 has two entries there", pull->job->label, d->path);
    } else if (renameat(pull->root_fd, d->temp, parent, name) != 0) {
        mc_err_sys(err, errno, "%s/%s", pull->job->label, d->path);
    } else {
        rc = 0;
    }
    close(parent);
    return rc;
}

static void finished(struct download *d)
{
    struct pull *pull = d->pull;
    char got[MC_S3_ETAG_MAX];
    struct mc_err err;
    size_t parts = d->part_size ? d->parts : 1;

    mc_s3_etag_of((const unsigned char (*)[MC_MD5_LEN])d->md5, parts > 1 ? parts : 1, got);
    if (strlen(d->etag) == MC_MD5_LEN * 2 || (d->part_size && etag_parts(d->etag) == d->parts)) {
        if (strcmp(got, d->etag) != 0) {
            mc_err_setc(&err, MC_ERR_CHANGED, "s3 %s%s: the download does not match its ETag "
                        "(changed meanwhile?)", pull->prefix, d->path);
            fail(pull, &err);
            unlinkat(pull->root_fd, d->temp, 0);
            return;
        }
    } else {
        warn(pull, "%s: its ETag (%s) cannot be checked here; kept unchecked", d->path, d->etag);
    }
    if (put_in_place(d, &err) != 0) {
        fail(pull, &err);
        unlinkat(pull->root_fd, d->temp, 0);
        return;
    }
    pull->job->stats.files_done++;
}

static void range_done(struct mc_s3_op *op, void *ctx)
{
    struct download *d = ctx;
    long long offset = (long long)mc_s3_op_sink_offset(op);
    size_t index = (size_t)(offset / (d->part_size ? d->part_size : 1));
    long long want = d->part_size ? (d->size - offset < d->part_size ? d->size - offset
                                                                     : d->part_size)
                                  : d->size;
    long long received = (long long)mc_s3_op_received(op);
    struct mc_err err = *mc_s3_op_err(op);
    int ok = mc_s3_op_ok(op);

    if (!ok && mc_s3_op_status(op) == 404)
        mc_err_setc(&err, MC_ERR_CHANGED, "s3 %s%s: listed, then gone (changed meanwhile?)",
                    d->pull->prefix, d->path);
    if (ok && received != want) {
        mc_err_setc(&err, MC_ERR_CHANGED, "s3 %s%s: %lld bytes received of %lld (changed "
                    "meanwhile?)", d->pull->prefix, d->path, received, want);
        ok = 0;
    }
    if (ok)
        memcpy(d->md5[index], mc_s3_op_md5(op), MC_MD5_LEN);
    else
        fail(d->pull, &err);
    mc_s3_op_free(op);
    if (++d->parts_done < d->parts)
        return;
    if (!d->pull->failed)
        finished(d);
    else
        unlinkat(d->pull->root_fd, d->temp, 0);
    download_free(d);
}

static int submit_range(struct download *d, const char *key, size_t index)
{
    struct mc_s3_op *op = mc_s3_op_new("GET", key, range_done, d);
    long long start = (long long)index * d->part_size;
    long long end = d->size - 1 < start + d->part_size - 1 ? d->size - 1 : start + d->part_size - 1;
    char range[64];

    if (!op || mc_s3_op_sink_file(op, d->pull->root_fd, d->temp, (off_t)start,
                                  (off_t)(d->part_size ? end - start + 1 : d->size)) != 0)
        goto fail;
    if (d->part_size) {
        snprintf(range, sizeof(range), "bytes=%lld-%lld", start, end);
        if (mc_s3_op_header(op, "range", range) != 0)
            goto fail;
    }
    mc_s3_submit(d->pull->job->client, op);
    return 0;
fail:
    mc_s3_op_free(op);
    return -1;
}

/* The part size to fetch in: the one it was pushed with (index), else one
 * consistent with its ETag's number of parts, else one GET. */
static long long fetch_part_size(const struct mc_entry *e, const struct mc_s3_object *obj)
{
    size_t parts = etag_parts(obj->etag);
    long long guess = mc_s3_part_size(obj->size);

    if (parts < 2 || parts > MC_S3_PARTS_MAX)
        return 0;       /* one MD5 for the whole: one GET checks it */
    /* The index's part size, if it is one S3 allows and it makes as many
     * parts as the ETag says: an index is not trusted to make us send a
     * request per byte. */
    if (e && e->etag && strcmp(e->etag, obj->etag) == 0 && e->part_size >= MC_S3_PART_MIN &&
        (size_t)((obj->size + e->part_size - 1) / e->part_size) == parts)
        return e->part_size;
    if (parts > 1 && guess && (size_t)((obj->size + guess - 1) / guess) == parts)
        return guess;
    return 0;
}

static int submit_download(struct pull *pull, const struct mc_s3_object *obj, const char *path,
                           const struct mc_entry *e, struct mc_err *err)
{
    struct download *d = calloc(1, sizeof(*d));
    int fd;
    size_t i;

    if (!d || !(d->path = strdup(path))) {
        free(d);
        mc_err_set(err, "out of memory");
        return -1;
    }
    d->pull = pull;
    d->size = obj->size;
    d->part_size = fetch_part_size(e, obj);
    d->parts = d->part_size ? (size_t)((obj->size + d->part_size - 1) / d->part_size) : 1;
    snprintf(d->etag, sizeof(d->etag), "%s", obj->etag);
    snprintf(d->temp, sizeof(d->temp), MC_PULL_TEMP_PREFIX "%ld.%lu", (long)getpid(),
             pull->temp_serial++);
    d->md5 = calloc(d->parts, sizeof(*d->md5));
    fd = d->md5 ? openat(pull->root_fd, d->temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
                         O_CLOEXEC, 0600) : -1;
    if (fd < 0 || ftruncate(fd, (off_t)obj->size) != 0) {
        mc_err_sys(err, errno, "%s/%s", pull->job->label, d->temp);
        if (fd >= 0)
            close(fd);
        download_free(d);
        return -1;
    }
    close(fd);
    pull->job->stats.files_total++;
    pull->job->stats.bytes_total += obj->size;
    for (i = 0; i < d->parts; i++) {
        if (submit_range(d, obj->key, i) != 0) {
            /* The ranges already queued end the download (range_done). */
            mc_err_set(err, "out of memory");
            d->parts = i;
            if (i == 0) {
                unlinkat(pull->root_fd, d->temp, 0);
                download_free(d);
            }
            return -1;
        }
    }
    return 0;
}

/* The mode a pulled entry gets: permission bits only (no setuid, setgid or
 * sticky from a stranger's index), and always enough for us to update and
 * wipe it (u+rw, u+rwx for a directory). */
static mode_t safe_mode(const struct mc_entry *e)
{
    return (e->mode & 0777) | (e->type == MC_ENTRY_DIR ? 0700 : 0600);
}

/* A file of the old copy that holds what S3 has, with the mode and mtime
 * the index gives it (so that a link to it changes nothing there). */
static int old_matches(struct pull *pull, const struct mc_entry *have,
                       const struct mc_s3_object *obj, const struct mc_entry *e)
{
    unsigned char (*md5)[MC_MD5_LEN] = NULL;
    unsigned char whole[MC_MD5_LEN];
    long long part_size = fetch_part_size(e, obj);
    char etag[MC_S3_ETAG_MAX];
    struct mc_err err;
    size_t parts;

    if (have->type != MC_ENTRY_FILE || have->size != obj->size)
        return 0;
    if (e && (safe_mode(e) != (have->mode & 07777) || e->mtime_s != have->mtime_s ||
              e->mtime_ns != have->mtime_ns))
        return 0;
    if (mc_s3_file_md5s(pull->old_fd, have->path, have->size, part_size, &md5, &parts, whole,
                        &err) != 0)
        return 0;
    mc_s3_etag_of((const unsigned char (*)[MC_MD5_LEN])md5, part_size ? parts : 1, etag);
    free(md5);
    if (!part_size)
        mc_md5_hex(whole, etag);
    return strcmp(etag, obj->etag) == 0;
}

/* The old copy's file, linked into the new one. 0, or -1 (download it). */
static int link_old(struct pull *pull, const char *path)
{
    const char *old_name, *new_name;
    int old_parent = mc_open_parent(pull->old_fd, path, 0, &old_name);
    int new_parent = old_parent >= 0 ? mc_open_parent(pull->root_fd, path, 1, &new_name) : -1;
    int rc = new_parent >= 0 ? linkat(old_parent, old_name, new_parent, new_name, 0) : -1;

    if (old_parent >= 0)
        close(old_parent);
    if (new_parent >= 0)
        close(new_parent);
    return rc == 0 ? 0 : -1;
}

/* One file S3 has: from the old copy if it holds it, else downloaded. */
static int fetch(struct pull *pull, const struct mc_s3_object *obj, const char *path,
                 const struct mc_entry *e, struct mc_err *err)
{
    const struct mc_entry *have = mc_tree_find(&pull->old, path);

    if (have && old_matches(pull, have, obj, e) && link_old(pull, path) == 0) {
        pull->job->stats.files_skipped++;
        return 0;
    }
    return submit_download(pull, obj, path, e, err);
}

/* --- what the index says: links, directories, modes, times -------------------- */

static int make_link(struct pull *pull, const struct mc_entry *e, struct mc_err *err)
{
    const char *name;
    int parent = mc_open_parent(pull->root_fd, e->path, 1, &name);
    int rc = 0;

    if (parent < 0 || symlinkat(e->target, parent, name) != 0) {
        mc_err_sys(err, errno, "%s/%s", pull->job->label, e->path);
        rc = -1;
    }
    if (parent >= 0)
        close(parent);
    return rc;
}

static int make_dir(struct pull *pull, const struct mc_entry *e, struct mc_err *err)
{
    const char *name;
    int parent = mc_open_parent(pull->root_fd, e->path, 1, &name);
    int rc = 0;

    if (parent < 0 || (mkdirat(parent, name, 0700) != 0 && errno != EEXIST)) {
        mc_err_sys(err, errno, "%s/%s", pull->job->label, e->path);
        rc = -1;
    }
    if (parent >= 0)
        close(parent);
    return rc;
}

/* Through a descriptor of the entry itself, opened without following a
 * link, and only if it is what the index says: nothing outside the cache
 * is ever changed, whatever the index or a racing process does. */
static void restore_entry(struct pull *pull, const struct mc_entry *e)
{
    struct timespec times[2] = { { e->mtime_s, e->mtime_ns }, { e->mtime_s, e->mtime_ns } };
    const char *name;
    int parent = mc_open_parent(pull->root_fd, e->path, 0, &name);
    struct stat st;
    int fd;

    if (parent < 0)
        return;
    if (e->type == MC_ENTRY_LINK) {
        if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
            utimensat(parent, name, times, AT_SYMLINK_NOFOLLOW);
        close(parent);
        return;
    }
    fd = openat(parent, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
                                  (e->type == MC_ENTRY_DIR ? O_DIRECTORY : 0));
    close(parent);
    if (fd < 0)
        return;
    if (fstat(fd, &st) == 0 &&
        (e->type == MC_ENTRY_DIR ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode))) {
        fchmod(fd, safe_mode(e));
        futimens(fd, times);
    }
    close(fd);
}

/* Modes and times, deepest first so that a read-only directory is made so
 * after what is in it. */
static void restore_attributes(struct pull *pull)
{
    size_t i = pull->index.count;

    while (i-- > 0)
        restore_entry(pull, &pull->index.entries[i]);
}

/* --- what is taken ------------------------------------------------------------ */

/* A small object read whole (mc_s3_get_small), which must still be the
 * one listed (etag, or NULL). */
static int get_small(struct pull *pull, const char *key, const char *etag, char **text,
                     size_t *len, struct mc_err *err)
{
    char got[MC_S3_ETAG_MAX];
    int rc = mc_s3_get_small(pull->job->client, key, text, len, got, err);

    if (rc == 0 && etag && strcmp(got, etag) != 0) {
        mc_err_setc(err, MC_ERR_CHANGED, "s3 %s: not the object listed (changed meanwhile?)",
                    key);
        free(*text);
        *text = NULL;
        rc = -1;
    }
    return rc;
}

/* meta.json, and the index: one push's, or a cache monocache did not push
 * (no index, no generation). An index that cannot be read fails the pull:
 * without it, links would come back as files and modes would be lost. */
static int read_meta_and_index(struct pull *pull, const struct mc_s3_object *meta_obj,
                               struct mc_err *err)
{
    struct mc_s3_job *job = pull->job;
    char *key = mc_s3_index_key(job->loc, job->id);
    const cJSON *generation;
    const char *meta_generation;
    struct mc_err why;
    char *text = NULL;
    size_t len = 0;
    int rc = get_small(pull, meta_obj->key, meta_obj->etag, &text, &len, err);

    if (rc == 1)
        mc_err_setc(err, MC_ERR_CHANGED, "s3 %s: listed, then gone (a push in progress?)",
                    meta_obj->key);
    if (rc == 0 && !(pull->meta = mc_json_parse(text, len)))
        mc_err_set(err, "s3 %s: not JSON; refused", meta_obj->key);
    else if (rc == 0)
        rc = mc_meta_check_id(pull->meta, job->id, meta_obj->key, err);
    free(text);
    if (rc != 0 || !pull->meta) {
        free(key);
        return -1;
    }
    rc = key ? get_small(pull, key, NULL, &text, &len, err) : -1;
    if (rc == 0 && mc_index_read(text, len, &pull->index, &why) != 0) {
        mc_err_set(err, "s3 %s: unreadable (%s); refused", key, why.msg);
        rc = -1;
    }
    pull->has_index = rc == 0;
    free(text);
    generation = cJSON_GetObjectItemCaseSensitive(pull->meta, MC_META_S3_GENERATION);
    meta_generation = cJSON_IsString(generation) ? generation->valuestring : "";
    if (rc == 1 && *meta_generation) {
        mc_err_setc(err, MC_ERR_CHANGED, "s3 %s: missing, but meta.json says a push wrote one",
                    key);
        rc = -1;
    } else if (rc == 0 && strcmp(meta_generation, pull->index.generation) != 0) {
        mc_err_setc(err, MC_ERR_CHANGED, "s3://%s/%s: meta.json and the index are not of one "
                    "push (one in progress, or two at once)", job->loc->bucket, pull->prefix);
        rc = -1;
    }
    free(key);
    return rc < 0 ? -1 : 0;
}

/* Every file of the index, as S3 lists it: the same ETag and size. */
static int index_matches(struct pull *pull, const struct mc_s3_listing *remote,
                         struct mc_err *err)
{
    size_t i;

    for (i = 0; i < pull->index.count; i++) {
        const struct mc_entry *e = &pull->index.entries[i];
        const struct mc_s3_object *obj;
        char *key;

        if (e->type != MC_ENTRY_FILE || strcmp(e->path, MC_S3_META_FILE) == 0)
            continue;
        key = mc_concat(pull->prefix, e->path, NULL);
        if (!key) {
            mc_err_set(err, "out of memory");
            return -1;
        }
        obj = mc_s3_listing_find(remote, key);
        free(key);
        if (!obj || obj->size != e->size || (e->etag && strcmp(obj->etag, e->etag) != 0)) {
            mc_err_setc(err, MC_ERR_CHANGED, "s3 %s%s: %s the index of the last push (one in "
                        "progress, or two at once)", pull->prefix, e->path,
                        obj ? "not the object recorded in" : "missing, but in");
            return -1;
        }
    }
    return 0;
}

/* The files: with an index, those it names (objects it does not name are
 * no push's: skipped); without one, every object listed. */
static int fetch_files(struct pull *pull, const struct mc_s3_listing *remote, struct mc_err *err)
{
    size_t prefix_len = strlen(pull->prefix);
    const char *first_stray = NULL;
    size_t strays = 0;
    size_t i;
    int rc = 0;

    for (i = 0; rc == 0 && i < remote->count && !pull->failed; i++) {
        const struct mc_s3_object *obj = &remote->objects[i];
        const char *path = obj->key + prefix_len;
        const struct mc_entry *e = mc_tree_find(&pull->index, path);

        if (strcmp(path, MC_S3_META_FILE) == 0 || (e && e->type == MC_ENTRY_LINK))
            continue;   /* meta.json last; links made from the index */
        if (pull->has_index && (!e || e->type != MC_ENTRY_FILE)) {
            if (!strays++)
                first_stray = obj->key;
            continue;
        }
        if (!mc_relative_path_ok(path)) {
            warn(pull, "s3 %s: not a path a cache can hold; skipped", obj->key);
            continue;
        }
        rc = fetch(pull, obj, path, e, err);
    }
    if (strays)
        warn(pull, "%zu object%s under s3 %s not in the cache's index (no push of it made "
             "%s), the first %s; skipped", strays, strays > 1 ? "s" : "", pull->prefix,
             strays > 1 ? "them" : "it", first_stray);
    if (mc_s3_run(pull->job->client, err) != 0)
        rc = -1;
    if (rc == 0 && pull->failed) {
        *err = pull->err;
        rc = -1;
    }
    return rc;
}

static int make_copy(struct pull *pull, const struct mc_s3_listing *remote, struct mc_err *err)
{
    size_t i;
    int rc = index_matches(pull, remote, err);

    if (rc == 0)
        rc = fetch_files(pull, remote, err);
    for (i = 0; rc == 0 && i < pull->index.count; i++) {
        const struct mc_entry *e = &pull->index.entries[i];

        if (e->type == MC_ENTRY_LINK)
            rc = make_link(pull, e, err);
        else if (e->type == MC_ENTRY_DIR)
            rc = make_dir(pull, e, err);
    }
    if (rc == 0)
        restore_attributes(pull);
    return rc;
}

/* What the old copy had that the new one has not (for the summary). */
static void count_removed(struct pull *pull)
{
    size_t i;

    for (i = 0; i < pull->old.count; i++) {
        const struct mc_entry *e = &pull->old.entries[i];
        struct stat st;
        const char *name;
        int parent;

        if (e->type == MC_ENTRY_DIR)
            continue;
        parent = mc_open_parent(pull->root_fd, e->path, 0, &name);
        if (parent < 0 || fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            pull->job->stats.deleted++;
        if (parent >= 0)
            close(parent);
    }
}

/* --- the copy's meta.json ------------------------------------------------------------ */

/* meta.json here: S3's, saying where it came from (not where its uploader
 * said it goes: a later release uploads there), with no pending mark, no
 * generation and no pusher (marks of S3's state, not this copy's), and
 * unlocked: the lock is a decision of this host (an old copy's is carried
 * over). */
static int write_meta(struct pull *pull, int locked, struct mc_err *err)
{
    char *url = mc_s3_location_url(pull->job->loc);
    const struct mc_entry *indexed = mc_tree_find(&pull->index, MC_S3_META_FILE);
    int rc;

    while (cJSON_GetObjectItemCaseSensitive(pull->meta, MC_META_S3_PENDING))
        cJSON_DeleteItemFromObjectCaseSensitive(pull->meta, MC_META_S3_PENDING);
    while (cJSON_GetObjectItemCaseSensitive(pull->meta, MC_META_S3_GENERATION))
        cJSON_DeleteItemFromObjectCaseSensitive(pull->meta, MC_META_S3_GENERATION);
    while (cJSON_GetObjectItemCaseSensitive(pull->meta, MC_META_S3_PUSHED_BY))
        cJSON_DeleteItemFromObjectCaseSensitive(pull->meta, MC_META_S3_PUSHED_BY);
    while (cJSON_GetObjectItemCaseSensitive(pull->meta, MC_META_S3_BASE))
        cJSON_DeleteItemFromObjectCaseSensitive(pull->meta, MC_META_S3_BASE);
    /* Read-only unless asked: a copy goes back to S3 only where a tree
     * says so (MONOCACHE_S3, an s3:// MONOCACHE_EXISTING) or pull --upload. */
    if (!url ||
        mc_meta_set_key(pull->meta, MC_META_S3, pull->job->keep_home ? cJSON_CreateString(url)
                                                                     : cJSON_CreateNull()) != 0 ||
        mc_meta_set_key(pull->meta, MC_META_LOCKED, cJSON_CreateBool(locked)) != 0 ||
        (pull->job->local_id &&
         mc_meta_set_key(pull->meta, "id", cJSON_CreateString(pull->job->local_id)) != 0) ||
        (pull->index.generation[0] && !pull->job->local_id &&
         mc_meta_set_key(pull->meta, MC_META_S3_BASE,
                         cJSON_CreateString(pull->index.generation)) != 0)) {
        free(url);
        mc_err_set(err, "out of memory");
        return -1;
    }
    free(url);
    rc = mc_meta_write(pull->root_fd, pull->job->label, pull->meta, err);
    if (rc == 0 && indexed)
        restore_entry(pull, indexed);
    return rc;
}

/* --- putting it in place --------------------------------------------------------- */

static int open_copy(struct pull *pull, int cache_fd, const char *cache_dir, const char *id,
                     char *temp, size_t temp_size, struct mc_err *err)
{
    int rc;

    pull->old_fd = openat(cache_fd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (pull->old_fd < 0 && errno != ENOENT) {
        mc_err_sys(err, errno, "%s", pull->job->label);
        return -1;
    }
    if (pull->old_fd >= 0 &&
        mc_tree_scan(pull->old_fd, pull->job->label, &pull->old, NULL, NULL, err) != 0)
        return -1;
    snprintf(temp, temp_size, MC_PULL_PREFIX "%s.%ld", id, (long)getpid());
    /* One of a dead puller whose pid was ours (another pid namespace). */
    rc = mkdirat(cache_fd, temp, 0700);
    if (rc != 0 && errno == EEXIST && mc_wipe_tombstone(cache_dir, temp, err) == 0)
        rc = mkdirat(cache_fd, temp, 0700);
    if (rc != 0 ||
        (pull->root_fd = openat(cache_fd, temp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                                O_CLOEXEC)) < 0) {
        mc_err_sys(err, errno, "%s: cannot make %s", pull->job->label, temp);
        return -1;
    }
    /* Held while it is made: gc removes only copies whose puller is gone. */
    flock(pull->root_fd, LOCK_EX | LOCK_NB);
    return 0;
}

/* Empties dir_fd, then removes <cache_fd>/name. */
static void drop_dir(int dir_fd, int cache_fd, const char *name)
{
    struct mc_wipe_stats stats;
    struct mc_err ignored;

    memset(&stats, 0, sizeof(stats));
    /* A scan read it to its end: its offset is shared with any copy. */
    lseek(dir_fd, 0, SEEK_SET);
    if (mc_wipe_contents(dir_fd, name, &stats, &ignored) == 0)
        unlinkat(cache_fd, name, AT_REMOVEDIR);
}

/* The old copy, under its directory lock, may be replaced: it is still in
 * place, no upload of it is pending, no tree holds it (lock_path). Its
 * lock, if any, in *locked. 0, or -1 with err. */
static int old_may_go(struct pull *pull, const char *path, const char *lock_path, int *locked,
                      struct mc_err *err)
{
    cJSON *meta = NULL;
    struct stat st;
    struct mc_err why;
    int rc = -1;

    *locked = 0;
    if (!mc_dir_in_place(pull->old_fd, path)) {
        mc_err_set(err, "%s: replaced or removed while the pull ran; the pull is dropped",
                   path);
    } else if (mc_meta_read(pull->old_fd, path, &meta, &why) != 0 ||
               mc_meta_check_id(meta, local_id(pull->job), path, &why) != 0) {
        mc_err_set(err, "%s: its meta.json is unreadable now (%s); kept as it was", path,
                   why.msg);
    } else if (mc_meta_s3_pending(meta)) {
        mc_err_set(err, "%s: it has changes not uploaded yet (marked s3_pending meanwhile); "
                   "kept as it was", path);
    } else if (lock_path && lstat(lock_path, &st) == 0) {
        mc_err_set(err, "%s: a tree started using it while the pull ran; kept as it was", path);
    } else {
        *locked = mc_meta_locked(meta);
        rc = 0;
    }
    cJSON_Delete(meta);
    return rc;
}

/* Where the old copy goes when the file system cannot exchange two names:
 * a tombstone (gc finishes one left behind). */
static int swap_by_renames(int cache_fd, const char *id, const char *temp, char *gone,
                           size_t gone_size)
{
    snprintf(gone, gone_size, MC_TOMB_PREFIX "%s.%ld", id, (long)getpid());
    if (renameat(cache_fd, id, cache_fd, gone) != 0)
        return -1;
    if (renameat(cache_fd, temp, cache_fd, id) != 0) {
        int saved = errno;

        renameat(cache_fd, gone, cache_fd, id);
        errno = saved;
        return -1;
    }
    return 0;
}

/* The new copy, at temp, becomes <cache_dir>/<id>. */
static int put_copy_in_place(struct pull *pull, int cache_fd, const char *cache_dir,
                             const char *temp, const char *lock_path, struct mc_err *err)
{
    const char *id = local_id(pull->job);
    char *path = mc_concat(cache_dir, "/", id, NULL);
    char gone[MC_ID_NAME_MAX];
    int locked;
    int rc = -1;

    if (!path) {
        mc_err_set(err, "out of memory");
        return -1;
    }
    if (pull->old_fd < 0) {
        rc = renameat2(cache_fd, temp, cache_fd, id, RENAME_NOREPLACE);
        /* A file system without RENAME_NOREPLACE: renameat replaces only an
         * empty directory. */
        if (rc != 0 && errno == EINVAL)
            rc = renameat(cache_fd, temp, cache_fd, id);
        if (rc != 0)
            mc_err_sys(err, errno, "%s: cannot put the copy in place (did it appear "
                       "meanwhile?)", path);
        free(path);
        return rc;
    }
    if (mc_dir_lock(pull->old_fd, LOCK_EX, MC_DIR_LOCK_WAIT_MS) != 0) {
        mc_err_sys(err, errno, "%s: its directory stays flock()ed; kept as it was", path);
        free(path);
        return -1;
    }
    rc = old_may_go(pull, path, lock_path, &locked, err);
    /* A lock taken here during the pull (it returned 0) survives it. */
    if (rc == 0 && locked)
        rc = write_meta(pull, 1, err);
    snprintf(gone, sizeof(gone), "%s", temp);
    if (rc == 0 && renameat2(cache_fd, temp, cache_fd, id, RENAME_EXCHANGE) != 0) {
        rc = errno == EINVAL || errno == ENOSYS
                 ? swap_by_renames(cache_fd, id, temp, gone, sizeof(gone)) : -1;
        if (rc != 0)
            mc_err_sys(err, errno, "%s: cannot put the new copy in place", path);
    }
    if (rc == 0) {
        /* The new copy is the cache now: its edits are others' to make. */
        flock(pull->root_fd, LOCK_UN);
        drop_dir(pull->old_fd, cache_fd, gone);
    }
    mc_dir_unlock(pull->old_fd);
    free(path);
    return rc;
}

static void pull_free(struct pull *pull)
{
    mc_tree_free(&pull->old);
    mc_tree_free(&pull->index);
    cJSON_Delete(pull->meta);
    if (pull->root_fd >= 0)
        close(pull->root_fd);
    if (pull->old_fd >= 0)
        close(pull->old_fd);
}

/* One try: 0, or -1 with err (MC_ERR_CHANGED: S3 changed under it). */
static int pull_once(struct mc_s3_job *job, const char *prefix, const char *cache_dir,
                     const char *lock_path, struct mc_err *err)
{
    struct pull pull = { .job = job, .root_fd = -1, .old_fd = -1, .prefix = prefix };
    struct mc_s3_listing remote;
    const struct mc_s3_object *meta_obj;
    char *meta_key = mc_concat(prefix, MC_S3_META_FILE, NULL);
    char temp[MC_ID_NAME_MAX] = "";
    int cache_fd = -1;
    int rc;

    memset(&job->stats, 0, sizeof(job->stats));
    rc = meta_key ? mc_s3_list_all(job->client, prefix, &remote, err) : -1;
    if (rc != 0) {
        free(meta_key);
        return -1;
    }
    meta_obj = mc_s3_listing_find(&remote, meta_key);
    free(meta_key);
    if (!meta_obj) {
        mc_err_setc(err, remote.count ? MC_ERR_INCOMPLETE : MC_ERR_ABSENT, "s3://%s/%s: %s",
                    job->loc->bucket, prefix, remote.count
                    ? "not a complete cache (no meta.json: a push was cut short, or it is not "
                      "a cache); refused"
                    : "no such cache");
        rc = -1;
    }
    if (rc == 0)
        rc = read_meta_and_index(&pull, meta_obj, err);
    if (rc == 0) {
        cache_fd = open(cache_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (cache_fd < 0)
            mc_err_sys(err, errno, "%s", cache_dir);
        rc = cache_fd >= 0 ? open_copy(&pull, cache_fd, cache_dir, local_id(job), temp,
                                       sizeof(temp), err) : -1;
    }
    if (rc == 0)
        rc = make_copy(&pull, &remote, err);
    /* meta.json last: a copy without it is not a cache. */
    if (rc == 0)
        rc = write_meta(&pull, 0, err);
    if (rc == 0)
        count_removed(&pull);
    if (rc == 0)
        rc = put_copy_in_place(&pull, cache_fd, cache_dir, temp, lock_path, err);
    if (rc != 0 && pull.root_fd >= 0)
        drop_dir(pull.root_fd, cache_fd, temp);
    mc_s3_listing_free(&remote);
    pull_free(&pull);
    if (cache_fd >= 0)
        close(cache_fd);
    return rc;
}

int mc_s3_pull(struct mc_s3_job *job, const char *cache_dir, const char *run_dir,
               struct mc_err *err)
{
    char *prefix = mc_s3_cache_key(job->loc, job->id, "");
    char *lock_path = run_dir ? mc_concat(run_dir, "/", local_id(job), MC_LOCK_SUFFIX, NULL)
                              : NULL;
    int tries;
    int rc = -1;

    if (!prefix || (run_dir && !lock_path)) {
        mc_err_set(err, "out of memory");
    } else {
        for (tries = 0; tries < MC_PULL_TRIES; tries++) {
            rc = pull_once(job, prefix, cache_dir, lock_path, err);
            if (rc == 0 || err->code != MC_ERR_CHANGED)
                break;
        }
    }
    free(lock_path);
    free(prefix);
    return rc;
}
