/* gc.c — sweeping a root for unheld, unreleased caches (see gc.h). */
#include "gc.h"
#include "common/buf.h"
#include "cache.h"
#include "common/ids.h"
#include "common/meta.h"
#include "host/lockfile.h"
#include "host/proto.h"
#include "redis/register.h"
#include "release.h"
#include "host/safeopen.h"
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
#define MC_GC_IDS_FIRST_CAP 64
#define MC_SWEEP_LOCK ".sweep.lock"
#define MC_SWEEP_FILE_MODE 0600

struct sweep {
    const struct mc_root *root;
    const struct mc_gc_options *options;
    int dry_run;
    const char *except_id;
    char (*lock_ids)[MC_ID_MAX + 1];    /* ids with a lock file, sorted */
    size_t lock_count;
    char (*counted_ids)[MC_ID_MAX + 1]; /* decided with the register already */
    size_t counted_count;
    size_t counted_cap;
    char (*later_ids)[MC_ID_MAX + 1];   /* caches a release kept on a doubt */
    size_t later_count;
    size_t later_cap;
    enum mc_gc_action last_action;      /* the last said (of later_id's cache) */
    int failures;
};


static void say(struct sweep *sweep, enum mc_gc_action action, const char *id, const char *message)
{
    if (action == MC_GC_FAILED)
        sweep->failures++;
    sweep->last_action = action;
    if (sweep->options->report)
        sweep->options->report(action, id, message, sweep->options->ctx);
}

static int by_id(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void remember_lock(struct sweep *sweep, size_t *cap, const char *id)
{
    if (sweep->lock_count == *cap) {
        size_t grown_cap = *cap ? *cap * 2 : MC_GC_IDS_FIRST_CAP;
        char (*grown)[MC_ID_MAX + 1] = realloc(sweep->lock_ids, grown_cap * sizeof(*grown));

        if (!grown)
            return;     /* then that cache's lock file is found by its lstat */
        sweep->lock_ids = grown;
        *cap = grown_cap;
    }
    mc_id_copy(sweep->lock_ids[sweep->lock_count++], id);
}

/* 1 if the run directory had a lock file for id when it was read. A lock
 * file made since is found by the exclusive create that acts on it. */
static int has_lock(const struct sweep *sweep, const char *id)
{
    return sweep->lock_count &&
           bsearch(id, sweep->lock_ids, sweep->lock_count, sizeof(*sweep->lock_ids), by_id);
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

static void finish_tombstones_of(struct sweep *sweep, const char *id);

/* Releases the cache behind an EX-locked lock file. */
static void release_locked(struct sweep *sweep, const char *id, int fd)
{
    struct mc_release_opts release_opts = { 0, NULL, NULL, sweep->options->share };
    struct mc_cache cache;
    struct mc_err err;
    int outcome;

    if (mc_cache_init(&cache, sweep->root, id, &err) != 0) {
        say(sweep, MC_GC_FAILED, id, err.msg);
        return;
    }
    if (sweep->dry_run) {
        /* What the release itself would refuse (mc_release), refused. */
        if (!mc_lock_file_ours(fd)) {
            mc_err_set(&err, "%s: " MC_NOT_OUR_LOCK, cache.lock_path);
            say(sweep, MC_GC_FAILED, id, err.msg);
        } else {
            say(sweep, is_locked(&cache) ? MC_GC_KEPT : MC_GC_WOULD, id, NULL);
        }
        mc_cache_free(&cache);
        return;
    }
    outcome = mc_release(&cache, fd, -1, &release_opts, &err);
    if (outcome == MC_DISPOSE_GONE && sweep->options->scope == MC_GC_LOCK_FILES)
        finish_tombstones_of(sweep, id);
    if (outcome == MC_DISPOSE_WIPED)
        say(sweep, MC_GC_WIPED, id, NULL);
    else if (outcome == MC_DISPOSE_GONE)
        say(sweep, MC_GC_CLEARED, id, NULL);
    else if (outcome == MC_DISPOSE_KEPT)
        say(sweep, MC_GC_KEPT, id, NULL);
    else if (outcome == MC_DISPOSE_BUSY)
        say(sweep, MC_GC_BUSY, id, err.msg);
    else if (outcome == MC_DISPOSE_SHARED)
        say(sweep, MC_GC_SHARED, id, NULL);
    else if (outcome == MC_DISPOSE_DOUBT)
        say(sweep, MC_GC_LATER, id, err.msg);
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
 * before linking it into place; <id>.pull: a pull guard whose holder died
 * before removing it (pullguard.h). */
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

static void remember_later(struct sweep *sweep, const char *id)
{
    if (sweep->later_count == sweep->later_cap) {
        size_t cap = sweep->later_cap ? sweep->later_cap * 2 : MC_GC_IDS_FIRST_CAP;
        char (*grown)[MC_ID_MAX + 1] = realloc(sweep->later_ids, cap * sizeof(*grown));

        if (!grown)
            return;     /* decided by a later sweep */
        sweep->later_ids = grown;
        sweep->later_cap = cap;
    }
    mc_id_copy(sweep->later_ids[sweep->later_count++], id);
}

static int sweep_run_dir(struct sweep *sweep, struct mc_err *err)
{
    DIR *dir = opendir(sweep->root->run_dir);
    struct dirent *entry;
    char id[MC_ID_MAX + 1];
    size_t cap = 0;

    if (!dir) {
        if (errno == ENOENT)
            return 0;
        mc_err_sys(err, errno, "%s", sweep->root->run_dir);
        return -1;
    }
    while ((entry = readdir(dir)) != NULL) {
        if (mc_name_is_lock(entry->d_name, id)) {
            remember_lock(sweep, &cap, id);
            sweep_lock_file(sweep, dirfd(dir), entry->d_name, id);
        } else if (mc_name_is_lock_temp(entry->d_name, id) ||
                   mc_name_is_pull_guard(entry->d_name, id)) {
            sweep_temp_file(sweep, dirfd(dir), entry->d_name);
        } else if (mc_name_is_later(entry->d_name, id)) {
            remember_later(sweep, id);
        }
    }
    closedir(dir);
    if (sweep->lock_count)
        qsort(sweep->lock_ids, sweep->lock_count, sizeof(*sweep->lock_ids), by_id);
    return 0;
}

/* A directory under cache/ that gc cannot prove is a cache: say so, unless
 * its meta simply has no "id" (a cache of the Python package, not ours). */
static void report_unprovable(struct sweep *sweep, const struct mc_cache *cache, int cache_fd,
                              const char *why)
{
    struct mc_err err;
    cJSON *meta = NULL;
    int dir_fd = mc_cache_open_dir(cache, cache_fd, &err);
    int foreign_or_ours = 1;

    if (dir_fd < 0)
        return;
    if (mc_meta_read(dir_fd, cache->path, &meta, &err) == 0)
        foreign_or_ours = cJSON_GetObjectItemCaseSensitive(meta, "id") != NULL;
    cJSON_Delete(meta);
    close(dir_fd);
    if (foreign_or_ours)
        say(sweep, MC_GC_LEFT, cache->id, why);
}

/* Takes a cache nobody holds here: our own lock file on it, exclusively
 * (an attach racing with us waits for the outcome instead of joining a
 * dying cache), then the release. dir_fd (or -1) identifies the directory. */
static void release_unheld(struct sweep *sweep, const struct mc_cache *cache, int dir_fd)
{
    struct mc_dir_id dir;
    struct mc_err err;
    int fd;
    int rc = mc_session_create_exclusive(cache->lock_path, &fd, &err);

    if (rc < 0) {
        say(sweep, MC_GC_FAILED, cache->id, err.msg);
        return;
    }
    if (rc > 0)
        return;     /* a tree took it meanwhile */
    if (dir_fd >= 0 && mc_dir_id_of(dir_fd, &dir) == 0)
        mc_session_record(fd, &dir, 0, cache->lock_path, &err);
    release_locked(sweep, cache->id, fd);
    close(fd);
}

/* Without a register: the URL of the one a cache says it is counted in
 * (meta "redis_register"), or NULL. */
static const char *counted_elsewhere(const struct sweep *sweep, const cJSON *meta)
{
    const struct mc_share *share = sweep->options->share;

    if (share && share->reg)
        return NULL;
    return mc_meta_register(meta);
}

static void remember_counted(struct sweep *sweep, const char *id)
{
    if (sweep->counted_count == sweep->counted_cap) {
        size_t cap = sweep->counted_cap ? sweep->counted_cap * 2 : MC_GC_IDS_FIRST_CAP;
        char (*grown)[MC_ID_MAX + 1] = realloc(sweep->counted_ids, cap * sizeof(*grown));

        if (!grown)
            return;     /* then it may be looked at twice: harmless */
        sweep->counted_ids = grown;
        sweep->counted_cap = cap;
    }
    mc_id_copy(sweep->counted_ids[sweep->counted_count], id);
    sweep->counted_count++;
}

/* After the ids are sorted (sweep_register). */
static int was_counted(const struct sweep *sweep, const char *id)
{
    return sweep->counted_count &&
           bsearch(id, sweep->counted_ids, sweep->counted_count, sizeof(*sweep->counted_ids),
                   by_id);
}

/* Whether a cache has been quiet for quiet_s: not made (meta "created",
 * -1 unknown), nor its directory touched (the heartbeat every watcher of it
 * keeps while it lives, on any host: watch_share.c), for that long. To the
 * millisecond: a heartbeat a third of a lease old must never pass for a
 * whole lease because of a second's rounding. */
static int quiet_for(int dir_fd, time_t created, int quiet_s)
{
    long long active_ms = created >= 0 ? (long long)created * 1000 : -1;
    long long mtime_ms;
    struct timespec now;
    struct stat st;

    if (dir_fd >= 0 && fstat(dir_fd, &st) == 0) {
        mtime_ms = (long long)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
        if (mtime_ms > active_ms)
            active_ms = mtime_ms;
    }
    clock_gettime(CLOCK_REALTIME, &now);
    return active_ms < 0 ||
           (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000 - active_ms >= (long long)quiet_s * 1000;
}

/* With a register, for a cache not held here (its directory open as dir_fd,
 * or -1 if there is none). In use less than a lease ago, no host's share is
 * taken off (a host cut off from Redis for longer than a lease still beats
 * on the shared file system: its lease may have run out while it lives) and
 * nothing is wiped: counted, it stays; counted nowhere, it waits (its host
 * may not have counted itself yet). Quiet for a lease: hosts whose lease
 * ran out come off its count; counted anywhere, it stays; else the release
 * decides. */
static void sweep_counted(struct sweep *sweep, const char *id, int dir_fd, time_t created)
{
    struct mc_register *reg = sweep->options->share->reg;
    int quiet = quiet_for(dir_fd, created, sweep->options->share->quiet_s);
    struct mc_cache cache;
    struct mc_err err;
    long long count = 0;
    int expired = 0;
    char *field;

    remember_counted(sweep, id);
    if (mc_cache_init(&cache, sweep->root, id, &err) != 0)
        return;
    field = mc_concat(cache.path, "/", NULL);
    if (!field) {
        say(sweep, MC_GC_FAILED, id, "out of memory");
    } else if (quiet && !sweep->dry_run &&
               mc_register_expire(reg, field, &count, &expired, &err) != 0) {
        say(sweep, MC_GC_FAILED, id, err.msg);
    } else if (mc_register_count(reg, field, &count, &err) != 0) {
        say(sweep, MC_GC_FAILED, id, err.msg);
    } else {
        if (expired) {
            char how_many[32];

            snprintf(how_many, sizeof(how_many), "%d", expired);
            say(sweep, MC_GC_EXPIRED, id, how_many);
        }
        if (count > 0)
            say(sweep, MC_GC_SHARED, id, NULL);
        else if (!quiet)
            say(sweep, MC_GC_LATER, id, "made or used less than a lease ago and counted "
                "nowhere yet: its host may be about to count itself, or be cut off from Redis");
        else if (sweep->dry_run)
            say(sweep, MC_GC_WOULD, id, NULL);
        else
            release_unheld(sweep, &cache, dir_fd);
    }
    free(field);
    mc_cache_free(&cache);
}

/* A cache whose upload to S3 was cut short or failed: upload it now (with
 * options->upload), then clear the mark. 0 if it may be released now. */
static int finish_upload(struct sweep *sweep, const struct mc_cache *cache, const cJSON *meta)
{
    const char *url = mc_meta_s3(meta);
    struct mc_err err;

    if (sweep->dry_run || !sweep->options->upload || !url) {
        say(sweep, MC_GC_LATER, cache->id, url ? "its upload to S3 is pending: monocache push "
            "finishes it" : "marked s3_pending without an \"s3\" home: monocache push --s3 URL");
        return -1;
    }
    if (sweep->options->upload(cache, url, sweep->options->ctx) != 0) {
        say(sweep, MC_GC_FAILED, cache->id, "its upload to S3 failed again; kept");
        return -1;
    }
    if (mc_cache_mark_pending(cache, 0, &err) != 0) {
        say(sweep, MC_GC_FAILED, cache->id, err.msg);
        return -1;
    }
    say(sweep, MC_GC_UPLOADED, cache->id, url);
    return 0;
}

/* A cache directory with no lock file: no tree holds it here. Reclaim it if
 * it is ours (meta id matches) and unlocked, and (with a register) nobody
 * uses it anywhere. */
static void sweep_unheld_dir(struct sweep *sweep, int cache_fd, const char *id)
{
    const struct mc_share *share = sweep->options->share;
    struct mc_cache cache;
    struct mc_err err;
    const char *register_url;
    cJSON *meta = NULL;
    int dir_fd;

    if (has_lock(sweep, id) || mc_cache_init(&cache, sweep->root, id, &err) != 0)
        return;
    if (mc_cache_open_in(&cache, cache_fd, &dir_fd, &meta, &err) != 0) {
        report_unprovable(sweep, &cache, cache_fd, err.msg);
        mc_cache_free(&cache);
        return;
    }
    register_url = counted_elsewhere(sweep, meta);
    if (mc_meta_s3_pending(meta) && finish_upload(sweep, &cache, meta) != 0) {
        /* kept: its upload is still pending (reported) */
    } else if (mc_meta_locked(meta)) {
        /* kept: nothing to do */
    } else if (share && share->reg) {
        sweep_counted(sweep, id, dir_fd, mc_meta_created(meta));
    } else if (register_url) {
        say(sweep, MC_GC_NOT_ASKED, id, register_url);
    } else if (sweep->dry_run) {
        say(sweep, MC_GC_WOULD, id, NULL);
    } else {
        release_unheld(sweep, &cache, dir_fd);
    }
    cJSON_Delete(meta);
    close(dir_fd);
    mc_cache_free(&cache);
}

/* Removes a directory left by a dead process (its owner flock()s it while
 * alive): `done` on success, `would` on a dry run, under the label `shown`. */
static void sweep_dead_dir(struct sweep *sweep, const char *name, const char *shown,
                           enum mc_gc_action done, enum mc_gc_action would)
{
    struct mc_err err;
    int rc;

    if (sweep->dry_run) {
        say(sweep, would, shown, NULL);
        return;
    }
    rc = mc_wipe_tombstone(sweep->root->cache_dir, name, &err);
    if (rc == 0)
        say(sweep, done, shown, NULL);
    else if (rc < 0)
        say(sweep, MC_GC_FAILED, name, err.msg);
}

static void sweep_tombstone(struct sweep *sweep, const char *name, const char *id)
{
    sweep_dead_dir(sweep, name, id, MC_GC_TOMBSTONE, MC_GC_WOULD_TOMBSTONE);
}

/* A download that its puller (flock()ing it while alive) left unfinished,
 * untouched for a minute: removed, as a stale temporary file is. */
static void sweep_pull_temp(struct sweep *sweep, int cache_fd, const char *name)
{
    struct stat st;

    if (fstatat(cache_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) &&
        st.st_mtime < time(NULL) - MC_GC_TEMP_AGE_SECONDS)
        sweep_dead_dir(sweep, name, name, MC_GC_TEMP, MC_GC_WOULD_TEMP);
}

static int sweep_cache_dir(struct sweep *sweep, struct mc_err *err)
{
    DIR *dir = opendir(sweep->root->cache_dir);
    struct dirent *entry;
    char id[MC_ID_MAX + 1];

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
        else if (mc_name_is_pull_temp(name, id))
            sweep_pull_temp(sweep, dirfd(dir), name);
        else if (mc_id_valid(name) && !(sweep->except_id && strcmp(name, sweep->except_id) == 0))
            sweep_unheld_dir(sweep, dirfd(dir), name);
    }
    closedir(dir);
    return 0;
}

/* The tombstones of one cache, whose release found its directory gone: the
 * wiper died after moving it aside. Names only: no meta is read. */
static void finish_tombstones_of(struct sweep *sweep, const char *id)
{
    DIR *dir = opendir(sweep->root->cache_dir);
    struct dirent *entry;
    char found[MC_ID_MAX + 1];

    while (dir && (entry = readdir(dir)) != NULL) {
        if (mc_name_is_tombstone(entry->d_name, found) && strcmp(found, id) == 0)
            sweep_tombstone(sweep, entry->d_name, found);
    }
    if (dir)
        closedir(dir);
}

/* The fields of the register under this root: ids, collected before any is
 * changed (changing a hash while scanning it may repeat or skip fields). */
struct registered {
    const char *prefix;
    size_t prefix_len;
    char (*ids)[MC_ID_MAX + 1];
    size_t count;
    size_t cap;
};

static void collect_registered(const char *field, long long count, void *ctx)
{
    struct registered *found = ctx;
    const char *id = field + found->prefix_len;

    (void)count;
    size_t len = strlen(id);

    if (strncmp(field, found->prefix, found->prefix_len) != 0 || len < 2 ||
        id[len - 1] != '/' || !mc_id_valid_n(id, len - 1))
        return;
    if (found->count == found->cap) {
        size_t cap = found->cap ? found->cap * 2 : MC_GC_IDS_FIRST_CAP;
        char (*grown)[MC_ID_MAX + 1] = realloc(found->ids, cap * sizeof(*grown));

        if (!grown)
            return;
        found->ids = grown;
        found->cap = cap;
    }
    memcpy(found->ids[found->count], id, len - 1);
    found->ids[found->count++][len - 1] = '\0';
}

static int sweep_register(struct sweep *sweep, struct mc_err *err)
{
    struct registered found = { NULL, 0, NULL, 0, 0 };
    char *prefix = mc_concat(sweep->root->cache_dir, "/", NULL);
    size_t i;
    int rc;

    if (!prefix) {
        mc_err_set(err, "%s: out of memory", sweep->root->cache_dir);
        return -1;
    }
    found.prefix = prefix;
    found.prefix_len = strlen(prefix);
    rc = mc_register_each(sweep->options->share->reg, prefix, collect_registered, &found, err);
    /* Fields whose cache has no directory here (the others were decided
     * with the cache directory). */
    if (sweep->counted_count)
        qsort(sweep->counted_ids, sweep->counted_count, sizeof(*sweep->counted_ids), by_id);
    for (i = 0; rc == 0 && i < found.count; i++) {
        if (!has_lock(sweep, found.ids[i]) && !was_counted(sweep, found.ids[i]))
            sweep_counted(sweep, found.ids[i], -1, -1);
    }
    free(found.ids);
    free(prefix);
    return rc;
}

/* 1 if path is missing or an empty directory. */
static int empty_or_missing(const char *path)
{
    DIR *dir = opendir(path);
    struct dirent *entry;
    int empty = 1;

    if (!dir)
        return errno == ENOENT;
    while (empty && (entry = readdir(dir)) != NULL)
        empty = strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0;
    closedir(dir);
    return empty;
}

/* A root nothing was made in yet (no caches, nothing in its run
 * directory): nothing can be ours to reclaim, and nothing is wrong. */
static int no_caches_yet(const struct mc_root *root)
{
    return empty_or_missing(root->cache_dir) && empty_or_missing(root->run_dir);
}

/* What a sweep said of a cache that leaves the question open. */
static int still_open(enum mc_gc_action action)
{
    return action == MC_GC_LATER || action == MC_GC_FAILED || action == MC_GC_BUSY ||
           action == MC_GC_NOT_ASKED;
}

/* The caches a release kept on a doubt: the background sweep decides each
 * again once its marker is a lease old (gc: every time), as gc would, and
 * drops the marker when the question is settled — the cache wiped, kept
 * for a reason that stands, or held again. */
static void sweep_later(struct sweep *sweep)
{
    int run_fd = open(sweep->root->run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int cache_fd = open(sweep->root->cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int age_s = sweep->options->share ? sweep->options->share->quiet_s : 0;
    char name[MC_ID_MAX + sizeof(MC_LATER_SUFFIX)];
    struct stat st;
    size_t i;

    for (i = 0; run_fd >= 0 && i < sweep->later_count; i++) {
        const char *id = sweep->later_ids[i];

        snprintf(name, sizeof(name), "%s" MC_LATER_SUFFIX, id);
        if (fstatat(run_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) ||
            (sweep->except_id && strcmp(id, sweep->except_id) == 0))
            continue;
        sweep->last_action = MC_GC_WIPED;
        if (sweep->options->scope == MC_GC_LOCK_FILES) {
            if (time(NULL) - st.st_mtime < age_s)
                continue;
            if (cache_fd >= 0 && fstatat(cache_fd, id, &st, AT_SYMLINK_NOFOLLOW) == 0)
                sweep_unheld_dir(sweep, cache_fd, id);
        }
        if (sweep->dry_run)
            continue;
        if (cache_fd < 0 || fstatat(cache_fd, id, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            has_lock(sweep, id))
            unlinkat(run_fd, name, 0);      /* gone, or held again: settled */
        else if (sweep->options->scope == MC_GC_ALL)
            continue;                       /* gc decided it with the others */
        else if (still_open(sweep->last_action))
            utimensat(run_fd, name, NULL, AT_SYMLINK_NOFOLLOW);
        else
            unlinkat(run_fd, name, 0);
    }
    if (run_fd >= 0)
        close(run_fd);
    if (cache_fd >= 0)
        close(cache_fd);
}

int mc_gc(const struct mc_root *root, const struct mc_gc_options *options, struct mc_err *err)
{
    struct sweep sweep = { .root = root, .options = options, .dry_run = options->dry_run,
                           .except_id = options->except_id };
    int rc = 0;

    if (!root->run_marked && no_caches_yet(root))
        return 0;       /* a new root: nothing to do, nothing wrong */
    if (!root->run_marked) {
        mc_err_set(err, "%s: not a monocache root (no %s/%s); nothing done", root->path,
                   root->run_dir, MC_RUN_MARKER);
        return -1;
    }
    if (sweep_run_dir(&sweep, err) != 0 ||
        (options->scope == MC_GC_ALL && sweep_cache_dir(&sweep, err) != 0) ||
        (options->scope == MC_GC_ALL && options->share && options->share->reg &&
         sweep_register(&sweep, err) != 0))
        rc = -1;
    sweep_later(&sweep);
    free(sweep.later_ids);
    free(sweep.lock_ids);
    free(sweep.counted_ids);
    return rc < 0 ? -1 : sweep.failures;
}

int mc_gc_claim_sweep(const struct mc_root *root, int interval_ms)
{
    struct timespec now;
    struct stat st;
    long long age_ms;
    int run_fd;
    int fd;

    if (!root->run_marked)
        return -1;
    run_fd = open(root->run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (run_fd < 0)
        return -1;
    fd = openat(run_fd, MC_SWEEP_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
                MC_SWEEP_FILE_MODE);
    close(run_fd);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        return -1;      /* another sweep of this root is running */
    }
    clock_gettime(CLOCK_REALTIME, &now);
    age_ms = (long long)(now.tv_sec - st.st_mtim.tv_sec) * 1000 +
             (now.tv_nsec - st.st_mtim.tv_nsec) / 1000000;
    if (st.st_size > 0 && age_ms >= 0 && age_ms < interval_ms) {
        close(fd);
        return -1;      /* swept a moment ago */
    }
    /* The start of this sweep: its mtime (written, so the size is not 0). */
    if (pwrite(fd, "s", 1, 0) != 1) {
        close(fd);
        return -1;
    }
    return fd;
}
