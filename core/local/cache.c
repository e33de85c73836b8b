/* cache.c — creating and attaching caches (see cache.h). */
#include "cache.h"
#include "common/buf.h"
#include "common/dirlock.h"
#include "common/ids.h"
#include "host/lockfile.h"
#include "common/log.h"
#include "common/meta.h"
#include "release.h"
#include "session.h"
#include "wipe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MC_CACHE_DIR_MODE 0700
#define MC_ATTACH_ATTEMPTS 20

int mc_cache_init(struct mc_cache *cache, const struct mc_root *root, const char *id,
                  struct mc_err *err)
{
    memset(cache, 0, sizeof(*cache));
    if (!mc_id_valid(id)) {
        mc_err_set(err, "%s: not a cache id (a name of " MC_ID_RULE ")", id);
        return -1;
    }
    mc_id_copy(cache->id, id);
    cache->root = strdup(root->path);
    cache->path = mc_concat(root->cache_dir, "/", id, NULL);
    cache->lock_path = mc_concat(root->run_dir, "/", id, MC_LOCK_SUFFIX, NULL);
    if (!cache->root || !cache->path || !cache->lock_path) {
        mc_err_set(err, "%s: out of memory", id);
        mc_cache_free(cache);
        return -1;
    }
    return 0;
}

void mc_cache_free(struct mc_cache *cache)
{
    free(cache->root);
    free(cache->path);
    free(cache->lock_path);
    memset(cache, 0, sizeof(*cache));
}

/* Opens a root that must exist, creating nothing in it. */
static int open_existing_root(const char *label, const char *given_root, const char *tmpdir,
                              struct mc_root *root, struct mc_err *err)
{
    struct mc_err inner;
    int rc = mc_root_open(given_root, tmpdir, MC_ROOT_EXISTING, root, &inner);

    if (rc == 1) {
        mc_err_set(err, "%s: no such cache (no root directory)", label);
        return -1;
    }
    if (rc != 0) {
        mc_err_set(err, "%s: %s", label, inner.msg);
        return -1;
    }
    return 0;
}

/* A cache path made absolute and plain (relative to the working directory,
 * ".", ".." and symbolic links of its parent resolved; the last component
 * kept as written, never followed): malloc'd, or NULL with errno. */
static char *normal_path(const char *given)
{
    size_t len = strlen(given);
    char *copy;
    char *slash;
    char *parent;
    char *path;

    while (len > 1 && given[len - 1] == '/')
        len--;
    copy = strndup(given, len);
    slash = copy ? strrchr(copy, '/') : NULL;
    if (!slash) {
        free(copy);
        errno = ENOMEM;
        return NULL;
    }
    *slash = '\0';
    parent = realpath(slash == copy ? "/" : copy, NULL);
    path = parent ? mc_concat(parent, strcmp(parent, "/") == 0 ? "" : "/", slash + 1, NULL) : NULL;
    free(parent);
    free(copy);
    return path;
}

int mc_cache_resolve(const char *label, const char *id_or_path, const char *given_root,
                     const char *tmpdir, struct mc_root *root, char *id, struct mc_err *err)
{
    struct mc_err inner;
    char *root_path = NULL;
    char *path;
    int rc;

    if (mc_id_valid(id_or_path)) {
        mc_id_copy(id, id_or_path);
        return open_existing_root(label, given_root, tmpdir, root, err);
    }
    if (strchr(id_or_path, '/') == NULL) {
        mc_err_set(err, "%s: not a cache id or path (an id is a name of " MC_ID_RULE
                   ", a path <root>/cache/<id>)", label);
        return -1;
    }
    path = normal_path(id_or_path);
    if (!path) {
        mc_err_set(err, "%s: no such cache (its directory %s)", label,
                   errno == ENOENT ? "does not exist" : "cannot be resolved");
        return -1;
    }
    rc = mc_root_split_cache_path(path, &root_path, id, &inner);
    free(path);
    if (rc != 0) {
        mc_err_set(err, "%s: not a cache (expected <root>/cache/<id>)", label);
        return -1;
    }
    rc = open_existing_root(label, root_path, NULL, root, err);
    free(root_path);
    return rc;
}

int mc_cache_open(const struct mc_cache *cache, int *dir_fd, cJSON **meta, struct mc_err *err)
{
    return mc_cache_open_in(cache, -1, dir_fd, meta, err);
}

int mc_cache_open_dir(const struct mc_cache *cache, int parent_fd, struct mc_err *err)
{
    int own_parent = -1;
    int fd;

    if (parent_fd < 0) {
        char *cache_dir = strndup(cache->path, strlen(cache->path) - strlen(cache->id) - 1);

        own_parent = cache_dir ? open(cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        free(cache_dir);
        if (own_parent < 0) {
            mc_err_sys(err, errno, "%s", cache->path);
            return -1;
        }
        parent_fd = own_parent;
    }
    fd = mc_open_dir_beneath(parent_fd, cache->id);
    if (fd < 0) {
        int saved = errno;

        if (saved == ELOOP || saved == ENOTDIR)
            mc_err_set(err, "%s: not a directory (a symbolic link or a file)", cache->path);
        else if (saved == ENOENT)
            mc_err_set(err, "%s: no such cache", cache->path);
        else
            mc_err_sys(err, saved, "%s", cache->path);
        errno = saved;
    }
    if (own_parent >= 0)
        close(own_parent);
    return fd;
}

int mc_cache_open_in(const struct mc_cache *cache, int parent_fd, int *dir_fd, cJSON **meta,
                     struct mc_err *err)
{
    int fd;

    *dir_fd = -1;
    *meta = NULL;
    fd = mc_cache_open_dir(cache, parent_fd, err);
    if (fd < 0)
        return -1;
    if (mc_meta_read(fd, cache->path, meta, err) != 0 ||
        mc_meta_check_id(*meta, cache->id, cache->path, err) != 0) {
        cJSON_Delete(*meta);
        *meta = NULL;
        close(fd);
        return -1;
    }
    *dir_fd = fd;
    return 0;
}

static int record_dir(struct mc_cache *cache, int dir_fd, int hold_fd, struct mc_err *err)
{
    if (mc_dir_id_of(dir_fd, &cache->dir) != 0) {
        mc_err_sys(err, errno, "%s", cache->path);
        return -1;
    }
    return mc_session_record(hold_fd, &cache->dir, 0, cache->lock_path, err);
}

/* A named cache's lock file, left without its directory by a tree that
 * died before it made it, or after its wipe: removed if nobody holds it. */
static void drop_orphan_lock(const struct mc_cache *cache)
{
    struct stat held, named;
    int fd = open(cache->lock_path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0)
        return;
    if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &held) == 0 && S_ISREG(held.st_mode) &&
        lstat(cache->path, &named) != 0 && errno == ENOENT &&
        lstat(cache->lock_path, &named) == 0 && named.st_ino == held.st_ino &&
        named.st_dev == held.st_dev)
        unlink(cache->lock_path);
    close(fd);
}

int mc_cache_create(struct mc_cache *cache, const struct mc_root *root, const char *name,
                    int locked, const cJSON *extra_meta, int *hold_fd, struct mc_err *err)
{
    char id[MC_ID_MAX + 1];
    cJSON *meta = NULL;
    int dir_fd = -1;
    int fd = -1;
    int made_dir = 0;
    int rc;

    *hold_fd = -1;
    if (name)
        mc_id_copy(id, name);
    else
        mc_id_new(id);
    if (mc_cache_init(cache, root, id, err) != 0)
        return -1;
    rc = mc_session_create(cache->lock_path, &fd, err);
    if (rc == 1 && name) {
        drop_orphan_lock(cache);
        rc = mc_session_create(cache->lock_path, &fd, err);
    }
    if (rc == 1)
        mc_err_set(err, "%s: exists already%s", cache->lock_path,
                   name ? " (a tree holds the name, without its directory)" : "");
    if (rc != 0)
        goto fail;
    if (mkdir(cache->path, MC_CACHE_DIR_MODE) != 0) {
        int mkdir_errno = errno;

        if (mkdir_errno == EEXIST && name) {
            /* Made meanwhile by someone not under the guard: attach to it. */
            unlink(cache->lock_path);
            close(fd);
            mc_cache_free(cache);
            return 1;
        }
        mc_err_sys(err, mkdir_errno, "cannot create %s", cache->path);
        goto fail;
    }
    made_dir = 1;
    dir_fd = open(cache->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir_fd < 0) {
        mc_err_sys(err, errno, "%s", cache->path);
        goto fail;
    }
    if (record_dir(cache, dir_fd, fd, err) != 0)
        goto fail;
    meta = mc_meta_new(cache->id, time(NULL), locked, extra_meta);
    if (!meta) {
        mc_err_set(err, "%s: out of memory", cache->path);
        goto fail;
    }
    if (mc_meta_write(dir_fd, cache->path, meta, err) != 0)
        goto fail;
    cJSON_Delete(meta);
    close(dir_fd);
    *hold_fd = fd;
    return 0;
fail:
    cJSON_Delete(meta);
    if (dir_fd >= 0) {
        unlinkat(dir_fd, MC_META_FILE, 0);
        close(dir_fd);
    }
    if (made_dir)
        rmdir(cache->path);
    if (fd >= 0) {
        unlink(cache->lock_path);
        close(fd);
    }
    mc_cache_free(cache);
    return -1;
}

/* Blocks until whoever holds LOCK_EX on fd lets go. */
static void wait_out_release(int fd)
{
    while (flock(fd, LOCK_SH) != 0 && errno == EINTR)
        ;
    flock(fd, LOCK_UN);
}

/* A lock marked 'R' whose releaser died: finish its release, then retry. */
static void finish_abandoned_release(struct mc_cache *cache, int fd)
{
    struct mc_release_opts wait = { MC_DIR_LOCK_WAIT_MS, NULL, NULL, NULL };
    struct mc_err err;

    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        wait_out_release(fd);
        return;
    }
    if (mc_release(cache, fd, -1, &wait, &err) < 0)
        mc_log(MC_LOG_WARN, "%s", err.msg);
}

static int add_our_keys(cJSON *meta, void *ctx, struct mc_err *err)
{
    const struct mc_cache *cache = ctx;
    cJSON *fresh;

    if (cJSON_GetObjectItemCaseSensitive(meta, "id"))
        return 0;       /* adopted meanwhile */
    fresh = mc_meta_new(cache->id, time(NULL), 0, NULL);
    if (!fresh || mc_meta_set_key(meta, "id", cJSON_CreateString(cache->id)) != 0 ||
        (!cJSON_GetObjectItemCaseSensitive(meta, "created") &&
         mc_meta_set_key(meta, "created",
                         cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(fresh, "created"), 1)) !=
             0)) {
        cJSON_Delete(fresh);
        mc_err_set(err, "%s: out of memory", cache->path);
        return -1;
    }
    cJSON_Delete(fresh);
    return 0;
}

int mc_cache_adopt(const struct mc_cache *cache, struct mc_err *err)
{
    cJSON *meta = NULL;
    int dir_fd = mc_cache_open_dir(cache, -1, err);
    int rc = 0;

    if (dir_fd < 0)
        return -1;
    if (mc_meta_read(dir_fd, cache->path, &meta, err) == 0 &&
        !cJSON_GetObjectItemCaseSensitive(meta, "id")) {
        rc = mc_meta_update_unproven(dir_fd, cache->path, add_our_keys, (void *)cache, err);
        if (rc == 0) {
            mc_log(MC_LOG_INFO, "cache %s: made by the Python package, now ours too", cache->id);
            rc = 1;
        }
    }
    cJSON_Delete(meta);
    close(dir_fd);
    return rc;
}

struct wishes {
    int lock;
    const cJSON *extra_meta;
};

static int grant_wishes(cJSON *meta, void *ctx, struct mc_err *err)
{
    const struct wishes *wishes = ctx;
    const cJSON *item;

    cJSON_ArrayForEach(item, wishes->extra_meta) {
        if (strcmp(item->string, MC_META_LOCKED) == 0)
            continue;
        if (mc_meta_set_key(meta, item->string, cJSON_Duplicate(item, 1)) != 0) {
            mc_err_set(err, "out of memory");
            return -1;
        }
    }
    if (wishes->lock && mc_meta_set_key(meta, MC_META_LOCKED, cJSON_CreateTrue()) != 0) {
        mc_err_set(err, "out of memory");
        return -1;
    }
    return 0;
}

int mc_cache_apply(const struct mc_cache *cache, int lock, const cJSON *extra_meta,
                   struct mc_err *err)
{
    struct wishes wishes = { lock, extra_meta };
    cJSON *meta = NULL;
    int dir_fd;
    int rc;

    if (!lock && cJSON_GetArraySize(extra_meta) == 0)
        return 0;
    if (mc_cache_open(cache, &dir_fd, &meta, err) != 0)
        return -1;
    cJSON_Delete(meta);
    rc = mc_meta_update(dir_fd, cache->path, cache->id, grant_wishes, &wishes, err);
    close(dir_fd);
    return rc;
}

int mc_cache_attach(struct mc_cache *cache, int *hold_fd, struct mc_err *err)
{
    int attempt;

    *hold_fd = -1;
    for (attempt = 0; attempt < MC_ATTACH_ATTEMPTS; attempt++) {
        cJSON *meta = NULL;
        int dir_fd;
        int fd = -1;
        int rc;

        if (mc_cache_open(cache, &dir_fd, &meta, err) != 0)
            return -1;
        cJSON_Delete(meta);
        switch (mc_lock_join(cache->lock_path, &fd)) {
        case MC_JOIN_OK: {
            struct mc_lock_record record;

            /* A live session: the directory it recorded is the cache's. */
            if (mc_session_read(fd, &record) == 0)
                cache->dir = record.dir;
            close(dir_fd);
            *hold_fd = fd;
            return 0;
        }
        case MC_JOIN_MISSING:
            rc = mc_session_create(cache->lock_path, &fd, err);
            if (rc == 0 && record_dir(cache, dir_fd, fd, err) != 0) {
                unlink(cache->lock_path);
                close(fd);
                rc = -1;
            }
            close(dir_fd);
            if (rc < 0)
                return -1;
            if (rc == 0) {
                *hold_fd = fd;
                return 0;
            }
            break;
        case MC_JOIN_BUSY:
            close(dir_fd);
            wait_out_release(fd);
            close(fd);
            break;
        case MC_JOIN_RELEASING:
            close(dir_fd);
            finish_abandoned_release(cache, fd);
            close(fd);
            break;
        case MC_JOIN_GONE:
            close(dir_fd);
            break;
        case MC_JOIN_ERROR:
            mc_err_sys(err, errno, "%s", cache->lock_path);
            close(dir_fd);
            return -1;
        }
    }
    mc_err_set(err, "%s: could not attach after %d attempts (released again and again)",
               cache->path, MC_ATTACH_ATTEMPTS);
    return -1;
}

static int set_pending(cJSON *meta, void *ctx, struct mc_err *err)
{
    const int *pending = ctx;

    while (cJSON_GetObjectItemCaseSensitive(meta, MC_META_S3_PENDING))
        cJSON_DeleteItemFromObjectCaseSensitive(meta, MC_META_S3_PENDING);
    if (*pending && !cJSON_AddTrueToObject(meta, MC_META_S3_PENDING)) {
        mc_err_set(err, "out of memory");
        return -1;
    }
    return 0;
}

int mc_cache_mark_pending(const struct mc_cache *cache, int pending, struct mc_err *err)
{
    cJSON *meta = NULL;
    int dir_fd;
    int rc;

    if (mc_cache_open(cache, &dir_fd, &meta, err) != 0)
        return -1;
    cJSON_Delete(meta);
    rc = mc_meta_update(dir_fd, cache->path, cache->id, set_pending, &pending, err);
    close(dir_fd);
    return rc;
}

char *mc_cache_s3_home(const struct mc_cache *cache, int *pending)
{
    struct mc_err err;
    cJSON *meta = NULL;
    char *url = NULL;
    int dir_fd;

    *pending = 0;
    if (mc_cache_open(cache, &dir_fd, &meta, &err) != 0)
        return NULL;
    close(dir_fd);
    if (mc_meta_s3(meta))
        url = strdup(mc_meta_s3(meta));
    *pending = mc_meta_s3_pending(meta);
    cJSON_Delete(meta);
    return url;
}
