/* pullguard.c — one download of a cache at a time (see pullguard.h). */
#include "pullguard.h"
#include "common/buf.h"
#include "cache.h"
#include "common/meta.h"
#include "host/names.h"
#include "host/proto.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MC_PULL_GUARD_TRIES 100

int mc_pull_guard_take(const struct mc_root *root, const char *id, struct mc_pull_guard *guard,
                       void (*waiting)(void *ctx), void *ctx, struct mc_err *err)
{
    struct stat held, named;
    int tries;
    int told = 0;

    guard->fd = -1;
    guard->path = mc_concat(root->run_dir, "/", id, MC_PULL_GUARD_SUFFIX, NULL);
    if (!guard->path) {
        mc_err_set(err, "%s: out of memory", root->run_dir);
        return -1;
    }
    for (tries = 0; tries < MC_PULL_GUARD_TRIES; tries++) {
        guard->fd = open(guard->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
                         0600);
        if (guard->fd < 0)
            break;
        if (waiting && !told && flock(guard->fd, LOCK_EX | LOCK_NB) != 0) {
            waiting(ctx);
            told = 1;
        }
        if (flock(guard->fd, LOCK_EX) == 0 && fstat(guard->fd, &held) == 0 &&
            S_ISREG(held.st_mode) && held.st_uid == geteuid() &&
            lstat(guard->path, &named) == 0 && named.st_dev == held.st_dev &&
            named.st_ino == held.st_ino)
            return 0;
        /* Removed by the holder before we had it (or not a file of ours):
         * a fresh one. */
        close(guard->fd);
        guard->fd = -1;
        if (lstat(guard->path, &named) == 0 && (!S_ISREG(named.st_mode) ||
                                                 named.st_uid != geteuid())) {
            errno = EPERM;
            break;
        }
    }
    mc_err_sys(err, errno ? errno : EAGAIN, "%s", guard->path);
    free(guard->path);
    guard->path = NULL;
    return -1;
}

void mc_pull_guard_drop(struct mc_pull_guard *guard)
{
    if (guard->fd >= 0) {
        unlink(guard->path);
        close(guard->fd);
    }
    free(guard->path);
    guard->fd = -1;
    guard->path = NULL;
}

/* 1 if the register counts a user of the cache at path (or cannot say). */
static int counted(struct mc_register *reg, const char *path)
{
    char *field = mc_concat(path, "/", NULL);
    long long count = 1;
    struct mc_err err;

    if (field && mc_register_count(reg, field, &count, &err) != 0)
        count = 1;
    free(field);
    return count != 0;
}

enum mc_local_copy mc_local_copy_state(const struct mc_root *root, const char *id,
                                       struct mc_register *reg)
{
    struct mc_cache cache;
    struct stat st;
    struct mc_err err;
    cJSON *meta = NULL;
    int dir_fd = -1;
    int pending = 0;

    if (mc_cache_init(&cache, root, id, &err) != 0)
        return MC_LOCAL_NONE;
    if (lstat(cache.lock_path, &st) == 0) {
        mc_cache_free(&cache);
        return MC_LOCAL_HELD;
    }
    if (lstat(cache.path, &st) != 0) {
        mc_cache_free(&cache);
        return MC_LOCAL_NONE;
    }
    if (mc_cache_open(&cache, &dir_fd, &meta, &err) == 0) {
        pending = mc_meta_s3_pending(meta);
        close(dir_fd);
    } else {
        pending = 1;
    }
    cJSON_Delete(meta);
    if (!pending && reg && counted(reg, cache.path)) {
        mc_cache_free(&cache);
        return MC_LOCAL_SHARED;
    }
    mc_cache_free(&cache);
    return pending ? MC_LOCAL_PENDING : MC_LOCAL_IDLE;
}
