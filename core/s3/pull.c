/* pull.c — a cache from S3 into <cache_dir>/<id> (see sync.h). A new copy is
 * made in <cache_dir>/.pull-<id>.<pid> (flock()ed while it is made, so gc
 * knows a live one from a dead one's) and renamed into place when complete;
 * an existing copy is brought up to date in place. Every object is checked
 * against its ETag as it arrives; meta.json is written last. */
#include "common.h"
#include "common/meta.h"
#include "host/proto.h"
#include "local/release.h"
#include "local/wipe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


struct pull {
    struct mc_s3_job *job;
    int root_fd;                /* the cache's copy being made or updated */
    const char *prefix;         /* "<prefix>/<id>/" */
    struct mc_tree index;       /* may be empty: a cache monocache did not push */
    int failed;
    struct mc_err err;
    unsigned long temp_serial;
};

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
    char etag[80];
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

static void warn(struct pull *pull, const char *message)
{
    if (pull->job->warn)
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
    if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
        mc_err_set(err, "%s/%s: a directory is where S3 has a file", pull->job->label, d->path);
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
    char got[80];
    struct mc_err err;
    size_t parts = d->part_size ? d->parts : 1;

    mc_s3_etag_of((const unsigned char (*)[MC_MD5_LEN])d->md5, parts > 1 ? parts : 1, got);
    if (strlen(d->etag) == MC_MD5_LEN * 2 || (d->part_size && etag_parts(d->etag) == d->parts)) {
        if (strcmp(got, d->etag) != 0) {
            mc_err_set(&err, "s3 %s%s: the download does not match its ETag", pull->prefix,
                       d->path);
            fail(pull, &err);
            unlinkat(pull->root_fd, d->temp, 0);
            return;
        }
    } else {
        char message[512];

        snprintf(message, sizeof(message), "%s: its ETag (%s) cannot be checked here; kept "
                 "unchecked", d->path, d->etag);
        warn(pull, message);
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

    if (ok && received != want) {
        mc_err_set(&err, "s3 %s%s: %lld bytes received of %lld", d->pull->prefix, d->path,
                   received, want);
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
                           struct mc_err *err)
{
    struct download *d = calloc(1, sizeof(*d));
    const struct mc_entry *e = mc_tree_find(&pull->index, path);
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

/* A local file that already holds what S3 has. */
static int local_matches(struct pull *pull, const struct mc_entry *local,
                         const struct mc_s3_object *obj)
{
    const struct mc_entry *e = mc_tree_find(&pull->index, local->path);
    unsigned char (*md5)[MC_MD5_LEN] = NULL;
    unsigned char whole[MC_MD5_LEN];
    long long part_size = fetch_part_size(e, obj);
    char etag[80];
    struct mc_err err;
    size_t parts;

    if (local->type != MC_ENTRY_FILE || local->size != obj->size)
        return 0;
    if (mc_s3_file_md5s(pull->root_fd, local->path, local->size, part_size, &md5, &parts, whole,
                        &err) != 0)
        return 0;
    mc_s3_etag_of((const unsigned char (*)[MC_MD5_LEN])md5, part_size ? parts : 1, etag);
    free(md5);
    if (!part_size)
        mc_md5_hex(whole, etag);
    return strcmp(etag, obj->etag) == 0;
}

/* --- what the index says: links, directories, modes, times -------------------- */

static int make_link(struct pull *pull, const struct mc_entry *e, struct mc_err *err)
{
    const char *name;
    int parent = mc_open_parent(pull->root_fd, e->path, 1, &name);
    char current[4096];
    ssize_t len;
    int rc = 0;

    if (parent < 0) {
        mc_err_sys(err, errno, "%s/%s", pull->job->label, e->path);
        return -1;
    }
    len = readlinkat(parent, name, current, sizeof(current) - 1);
    if (len >= 0 && (size_t)len == strlen(e->target) && memcmp(current, e->target, (size_t)len) == 0) {
        close(parent);
        return 0;
    }
    unlinkat(parent, name, 0);
    if (symlinkat(e->target, parent, name) != 0) {
        mc_err_sys(err, errno, "%s/%s", pull->job->label, e->path);
        rc = -1;
    }
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

/* The mode a pulled entry gets: permission bits only (no setuid, setgid or
 * sticky from a stranger's index), and always enough for us to update and
 * wipe it (u+rw, u+rwx for a directory). */
static mode_t safe_mode(const struct mc_entry *e)
{
    return (e->mode & 0777) | (e->type == MC_ENTRY_DIR ? 0700 : 0600);
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

/* --- the plan ------------------------------------------------------------------------ */

static int remove_extra(struct pull *pull, const struct mc_tree *local,
                        const struct mc_s3_listing *remote, struct mc_err *err)
{
    size_t i = local->count;

    /* Deepest first: files, then directories emptied of them. */
    while (i-- > 0) {
        const struct mc_entry *e = &local->entries[i];
        char *key = mc_concat(pull->prefix, e->path, NULL);
        int wanted = key && (mc_s3_listing_find(remote, key) || mc_tree_find(&pull->index, e->path));
        const char *name;
        int parent;

        free(key);
        if (wanted || strcmp(e->path, MC_S3_META_FILE) == 0 ||
            (e->type == MC_ENTRY_DIR && !pull->index.count))
            continue;
        parent = mc_open_parent(pull->root_fd, e->path, 0, &name);
        if (parent < 0)
            continue;
        if (unlinkat(parent, name, e->type == MC_ENTRY_DIR ? AT_REMOVEDIR : 0) != 0 &&
            errno != ENOENT && errno != ENOTEMPTY) {
            mc_err_sys(err, errno, "%s/%s", pull->job->label, e->path);
            close(parent);
            return -1;
        }
        pull->job->stats.deleted++;
        close(parent);
    }
    return 0;
}

static void read_index(struct pull *pull)
{
    struct mc_s3_job *job = pull->job;
    char *key = mc_s3_index_key(job->loc, job->id);
    struct mc_s3_op *op = key ? mc_s3_op_new("GET", key, NULL, NULL) : NULL;
    struct mc_err err;

    if (op) {
        mc_s3_op_allow_404(op);
        if (mc_s3_run_one(job->client, op, &err) == 0 && mc_s3_op_status(op) == 200 &&
            mc_index_read(mc_s3_op_answer(op)->data, mc_s3_op_answer(op)->len, &pull->index,
                          &err) != 0)
            warn(pull, "the cache's index in S3 is unreadable: modes, times, links and empty "
                 "directories are not restored");
    }
    mc_s3_op_free(op);
    free(key);
}

static int have_meta_matching(struct pull *pull, const struct mc_tree *local,
                              const struct mc_s3_object *meta)
{
    const struct mc_entry *have = mc_tree_find(local, MC_S3_META_FILE);

    return have && local_matches(pull, have, meta);
}

static int fetch_all(struct pull *pull, const struct mc_tree *local,
                     const struct mc_s3_listing *remote, struct mc_err *err)
{
    size_t prefix_len = strlen(pull->prefix);
    const struct mc_s3_object *meta = NULL;
    size_t i;
    int rc = 0;

    for (i = 0; rc == 0 && i < remote->count && !pull->failed; i++) {
        const struct mc_s3_object *obj = &remote->objects[i];
        const char *path = obj->key + prefix_len;
        const struct mc_entry *e = mc_tree_find(&pull->index, path);
        const struct mc_entry *have = mc_tree_find(local, path);

        if (strcmp(path, MC_S3_META_FILE) == 0) {
            meta = obj;
            continue;
        }
        if (!mc_relative_path_ok(path)) {
            char message[512];

            snprintf(message, sizeof(message), "s3 %s: not a path a cache can hold; skipped",
                     obj->key);
            warn(pull, message);
            continue;
        }
        if (e && e->type == MC_ENTRY_LINK)
            continue;   /* made from the index */
        if (have && local_matches(pull, have, obj)) {
            pull->job->stats.files_skipped++;
            continue;
        }
        rc = submit_download(pull, obj, path, err);
    }
    if (mc_s3_run(pull->job->client, err) != 0)
        rc = -1;
    if (rc == 0 && pull->failed) {
        *err = pull->err;
        rc = -1;
    }
    for (i = 0; rc == 0 && i < pull->index.count; i++) {
        const struct mc_entry *e = &pull->index.entries[i];

        if (e->type == MC_ENTRY_LINK)
            rc = make_link(pull, e, err);
        else if (e->type == MC_ENTRY_DIR)
            rc = make_dir(pull, e, err);
    }
    if (rc == 0)
        rc = remove_extra(pull, local, remote, err);
    if (rc == 0)
        restore_attributes(pull);
    /* meta.json last: a copy without it is not a cache. */
    if (rc == 0 && !(have_meta_matching(pull, local, meta)))
        rc = submit_download(pull, meta, MC_S3_META_FILE, err);
    if (rc == 0 && mc_s3_run(pull->job->client, err) != 0)
        rc = -1;
    if (rc == 0 && pull->failed) {
        *err = pull->err;
        rc = -1;
    }
    return rc;
}

static int set_home(cJSON *meta, void *ctx, struct mc_err *err)
{
    while (cJSON_GetObjectItemCaseSensitive(meta, MC_META_S3_PENDING))
        cJSON_DeleteItemFromObjectCaseSensitive(meta, MC_META_S3_PENDING);
    if (mc_meta_set_key(meta, MC_META_S3, cJSON_CreateString(ctx)) != 0) {
        mc_err_set(err, "out of memory");
        return -1;
    }
    return 0;
}

/* The copy's meta.json must name this cache, and says where it came from
 * (not where the one who uploaded it says it goes: a later release uploads
 * there), with no pending mark. */
static int own_meta(struct pull *pull, const char *cache_dir, const char *name,
                    struct mc_err *err)
{
    char *url = mc_s3_location_url(pull->job->loc);
    char *path = mc_concat(cache_dir, "/", name, NULL);
    const struct mc_entry *indexed = mc_tree_find(&pull->index, MC_S3_META_FILE);
    const cJSON *home;
    cJSON *meta = NULL;
    int rc;

    if (!url || !path) {
        mc_err_set(err, "out of memory");
        rc = -1;
    } else if (mc_meta_read(pull->root_fd, path, &meta, err) != 0 ||
               mc_meta_check_id(meta, pull->job->id, path, err) != 0) {
        rc = -1;
    } else if ((home = cJSON_GetObjectItemCaseSensitive(meta, MC_META_S3)) &&
               cJSON_IsString(home) && strcmp(home->valuestring, url) == 0 &&
               !cJSON_GetObjectItemCaseSensitive(meta, MC_META_S3_PENDING)) {
        rc = 0;     /* as it should be: left as it came */
    } else {
        rc = mc_meta_update(pull->root_fd, path, pull->job->id, set_home, url, err);
    }
    cJSON_Delete(meta);
    if (rc == 0 && indexed)
        restore_entry(pull, indexed);
    free(url);
    free(path);
    return rc;
}

static int open_copy(struct pull *pull, const char *cache_dir, int cache_fd, const char *id,
                     char *temp, size_t temp_size, struct mc_tree *local, struct mc_err *err)
{
    int rc;

    pull->root_fd = openat(cache_fd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (pull->root_fd >= 0) {
        temp[0] = '\0';
        return mc_tree_scan(pull->root_fd, pull->job->label, local, NULL, NULL, err);
    }
    if (errno != ENOENT) {
        mc_err_sys(err, errno, "%s", pull->job->label);
        return -1;
    }
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
    memset(local, 0, sizeof(*local));
    return 0;
}

static void drop_temp(struct pull *pull, int cache_fd, const char *temp)
{
    struct mc_wipe_stats stats;
    struct mc_err ignored;

    memset(&stats, 0, sizeof(stats));
    if (mc_wipe_contents(pull->root_fd, temp, &stats, &ignored) == 0)
        unlinkat(cache_fd, temp, AT_REMOVEDIR);
}

int mc_s3_pull(struct mc_s3_job *job, const char *cache_dir, struct mc_err *err)
{
    struct pull pull = { .job = job, .root_fd = -1 };
    struct mc_s3_listing remote;
    struct mc_tree local;
    char *prefix = mc_s3_cache_key(job->loc, job->id, "");
    char *meta_key = prefix ? mc_concat(prefix, MC_S3_META_FILE, NULL) : NULL;
    char temp[MC_ID_NAME_MAX] = "";
    int cache_fd = -1;
    int rc;

    memset(&local, 0, sizeof(local));
    pull.prefix = prefix;
    rc = meta_key ? mc_s3_list_all(job->client, prefix, &remote, err) : -1;
    if (rc == 0 && !mc_s3_listing_find(&remote, meta_key)) {
        mc_err_set(err, "s3://%s/%s: %s", job->loc->bucket, prefix, remote.count
                   ? "not a complete cache (no meta.json: a push was cut short, or it is not "
                     "a cache); refused"
                   : "no such cache");
        mc_s3_listing_free(&remote);
        rc = -1;
    }
    if (rc == 0) {
        cache_fd = open(cache_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (cache_fd < 0)
            mc_err_sys(err, errno, "%s", cache_dir);
        rc = cache_fd >= 0 ? open_copy(&pull, cache_dir, cache_fd, job->id, temp, sizeof(temp),
                                       &local, err) : -1;
        if (rc == 0) {
            read_index(&pull);
            rc = fetch_all(&pull, &local, &remote, err);
        }
        if (rc == 0)
            rc = own_meta(&pull, cache_dir, temp[0] ? temp : job->id, err);
        if (rc == 0 && temp[0])
            flock(pull.root_fd, LOCK_EX | LOCK_NB);   /* the meta edit let it go */
        if (rc == 0 && temp[0] && renameat(cache_fd, temp, cache_fd, job->id) != 0) {
            mc_err_sys(err, errno, "%s/%s: cannot put the copy in place (did it appear "
                       "meanwhile?)", cache_dir, job->id);
            rc = -1;
        }
        if (rc != 0 && pull.root_fd >= 0 && temp[0])
            drop_temp(&pull, cache_fd, temp);
        mc_s3_listing_free(&remote);
    }
    mc_tree_free(&local);
    mc_tree_free(&pull.index);
    if (pull.root_fd >= 0)
        close(pull.root_fd);
    if (cache_fd >= 0)
        close(cache_fd);
    free(meta_key);
    free(prefix);
    return rc;
}
