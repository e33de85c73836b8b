/* gc.c — sweeping a root for unheld, unreleased caches (see gc.h). */
#include "gc.h"
#include "buf.h"
#include "cache.h"
#include "ids.h"
#include "meta.h"
#include "proto.h"
#include "release.h"
#include "safeopen.h"
#include "session.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MC_GC_TEMP_AGE_SECONDS 60

struct sweep {
    const struct mc_root *root;
    int dry_run;
    const char *except_id;
    mc_gc_report_fn report;
    void *ctx;
    int failures;
};


static void say(struct sweep *sweep, enum mc_gc_action action, const char *id, const char *message)
{
    if (action == MC_GC_FAILED)
        sweep->failures++;
    if (sweep->report)
        sweep->report(action, id, message, sweep->ctx);
}

static int is_locked(struct mc_cache *cache)
{
    cJSON *meta = NULL;
    struct mc_err err;
    int dir_fd;
    int locked = 0;

    if (mc_cache_open(cache, &dir_fd, &meta, &err) == 0) {
        locked = mc_meta_locked(meta);
        cJSON_Delete(meta);
        close(dir_fd);
    }
    return locked;
}

/* Releases the cache behind an EX-locked lock file. */
static void release_locked(struct sweep *sweep, const char *id, int fd)
{
    struct mc_cache cache;
    struct mc_err err;
    int outcome;

    if (mc_cache_init(&cache, sweep->root, id, &err) != 0) {
        say(sweep, MC_GC_FAILED, id, err.msg);
        return;
    }
    if (sweep->dry_run) {
        say(sweep, is_locked(&cache) ? MC_GC_KEPT : MC_GC_WOULD, id, NULL);
        mc_cache_free(&cache);
        return;
    }
    outcome = mc_release(&cache, fd, -1, NULL, &err);
    if (outcome == MC_DISPOSE_WIPED || outcome == MC_DISPOSE_GONE)
        say(sweep, MC_GC_WIPED, id, NULL);
    else if (outcome == MC_DISPOSE_KEPT)
        say(sweep, MC_GC_KEPT, id, NULL);
    else if (outcome == MC_DISPOSE_BUSY)
        say(sweep, MC_GC_BUSY, id, err.msg);
    else
        say(sweep, MC_GC_FAILED, id, err.msg);
    mc_cache_free(&cache);
}

static void sweep_lock_file(struct sweep *sweep, int run_fd, const char *name, const char *id)
{
    struct stat st;
    int fd;

    if (sweep->except_id && strcmp(id, sweep->except_id) == 0)
        return;
    fd = mc_open_regular(run_fd, name, O_RDWR, &st);
    if (fd < 0)
        return;
    if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &st) == 0 && st.st_nlink > 0)
        release_locked(sweep, id, fd);
    close(fd);
}

/* <id>.lock.<pid>.tmp: a lock file being created by a process that died
 * before linking it into place. */
static void sweep_temp_file(struct sweep *sweep, int run_fd, const char *name)
{
    struct stat st;
    int fd = mc_open_regular(run_fd, name, O_RDONLY, &st);

    if (fd < 0)
        return;
    if (st.st_mtime < time(NULL) - MC_GC_TEMP_AGE_SECONDS && flock(fd, LOCK_EX | LOCK_NB) == 0) {
        if (sweep->dry_run)
            say(sweep, MC_GC_WOULD_TEMP, name, NULL);
        else if (unlinkat(run_fd, name, 0) == 0)
            say(sweep, MC_GC_TEMP, name, NULL);
    }
    close(fd);
}

static int sweep_run_dir(struct sweep *sweep, struct mc_err *err)
{
    DIR *dir = opendir(sweep->root->run_dir);
    struct dirent *entry;
    char id[MC_ID_LEN + 1];

    if (!dir) {
        if (errno == ENOENT)
            return 0;
        mc_err_sys(err, errno, "%s", sweep->root->run_dir);
        return -1;
    }
    while ((entry = readdir(dir)) != NULL) {
        if (mc_name_is_lock(entry->d_name, id))
            sweep_lock_file(sweep, dirfd(dir), entry->d_name, id);
        else if (mc_name_is_lock_temp(entry->d_name, id))
            sweep_temp_file(sweep, dirfd(dir), entry->d_name);
    }
    closedir(dir);
    return 0;
}

/* A cache directory with no lock file: no tree holds it here. Reclaim it if
 * it is ours (meta id matches) and unlocked. */
static void sweep_unheld_dir(struct sweep *sweep, const char *id)
{
    struct mc_cache cache;
    struct mc_err err;
    struct stat st;
    cJSON *meta = NULL;
    int dir_fd;
    int locked;
    int fd;
    int rc;

    if (mc_cache_init(&cache, sweep->root, id, &err) != 0)
        return;
    if (lstat(cache.lock_path, &st) == 0 || mc_cache_open(&cache, &dir_fd, &meta, &err) != 0) {
        mc_cache_free(&cache);
        return;
    }
    locked = mc_meta_locked(meta);
    cJSON_Delete(meta);
    if (!locked && sweep->dry_run) {
        say(sweep, MC_GC_WOULD, id, NULL);
    } else if (!locked) {
        /* Take the lock file ourselves, exclusively, so that an attach racing
         * with us waits for the outcome instead of joining a dying cache. */
        rc = mc_session_create_exclusive(cache.lock_path, &fd, &err);
        if (rc == 0) {
            struct mc_dir_id dir;

            if (mc_dir_id_of(dir_fd, &dir) == 0)
                mc_session_record(fd, &dir, 0, cache.lock_path, &err);
            release_locked(sweep, id, fd);
            close(fd);
        } else if (rc < 0) {
            say(sweep, MC_GC_FAILED, id, err.msg);
        }
    }
    close(dir_fd);
    mc_cache_free(&cache);
}

static void sweep_tombstone(struct sweep *sweep, const char *name, const char *id)
{
    struct mc_err err;
    int rc;

    if (sweep->dry_run) {
        say(sweep, MC_GC_WOULD_TOMBSTONE, id, NULL);
        return;
    }
    rc = mc_wipe_tombstone(sweep->root->cache_dir, name, &err);
    if (rc == 0)
        say(sweep, MC_GC_TOMBSTONE, id, NULL);
    else if (rc < 0)
        say(sweep, MC_GC_FAILED, name, err.msg);
}

static int sweep_cache_dir(struct sweep *sweep, struct mc_err *err)
{
    DIR *dir = opendir(sweep->root->cache_dir);
    struct dirent *entry;
    char id[MC_ID_LEN + 1];

    if (!dir) {
        if (errno == ENOENT)
            return 0;
        mc_err_sys(err, errno, "%s", sweep->root->cache_dir);
        return -1;
    }
    while ((entry = readdir(dir)) != NULL) {
        const char *name = entry->d_name;

        if (mc_name_is_tombstone(name, id))
            sweep_tombstone(sweep, name, id);
        else if (mc_id_valid(name) && !(sweep->except_id && strcmp(name, sweep->except_id) == 0))
            sweep_unheld_dir(sweep, name);
    }
    closedir(dir);
    return 0;
}

int mc_gc(const struct mc_root *root, const struct mc_gc_options *options, struct mc_err *err)
{
    struct sweep sweep = { root, options->dry_run, options->except_id, options->report,
                           options->ctx, 0 };

    if (!root->run_marked) {
        mc_err_set(err, "%s: not a monocache root (no %s/%s); nothing done", root->path,
                   root->run_dir, MC_RUN_MARKER);
        return -1;
    }
    if (sweep_run_dir(&sweep, err) != 0 || sweep_cache_dir(&sweep, err) != 0)
        return -1;
    return sweep.failures;
}
