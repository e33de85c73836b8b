/* release.c — keeping or wiping a cache nobody holds (see release.h).
 *
 * A wipe first renames the directory to a tombstone (<root>/cache/.wipe-...),
 * so listings and attaches never see a half-wiped cache, then empties and
 * removes it. An interrupted wipe leaves the tombstone for gc. */
#include "release.h"
#include "common/buf.h"
#include "common/dirlock.h"
#include "host/lockfile.h"
#include "common/log.h"
#include "common/meta.h"
#include "host/proto.h"
#include "redis/register.h"
#include "session.h"
#include "wipe.h"

#define MC_END_TEXT_MAX 128

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MC_WIPE_ATTEMPTS 3

static int open_cache_parent(const struct mc_cache *cache, struct mc_err *err)
{
    char *cache_dir = mc_concat(cache->root, "/" MC_CACHE_SUBDIR, NULL);
    int fd;

    if (!cache_dir) {
        mc_err_set(err, "%s: out of memory", cache->path);
        return -1;
    }
    fd = open(cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        mc_err_sys(err, errno, "%s", cache_dir);
    free(cache_dir);
    return fd;
}

/* Empties the directory at dir_fd and removes it (its name in parent_fd). */
static int wipe_and_remove(int parent_fd, int dir_fd, const char *name, const char *display,
                           struct mc_err *err)
{
    struct mc_wipe_stats stats;
    int attempt;

    for (attempt = 0; attempt < MC_WIPE_ATTEMPTS; attempt++) {
        if (mc_wipe_contents(dir_fd, display, &stats, err) != 0)
            return -1;
        if (unlinkat(parent_fd, name, AT_REMOVEDIR) == 0)
            return 0;
        if (errno != ENOTEMPTY)
            break;
    }
    mc_err_sys(err, errno, "%s: cannot remove", display);
    return -1;
}

static int same_dir(int fd_a, int fd_b)
{
    struct stat a;
    struct stat b;

    return fstat(fd_a, &a) == 0 && fstat(fd_b, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

/* Renames the proven directory to a tombstone and wipes it there. The
 * caller holds the directory's flock and keeps it all along, so that gc
 * leaves a tombstone alone while its wipe is running. */
static int wipe_proven(const struct mc_cache *cache, int parent_fd, int dir_fd,
                       struct mc_err *err)
{
    char tomb[MC_ID_NAME_MAX];
    char *display;
    int tomb_fd;
    int rc;

    snprintf(tomb, sizeof(tomb), MC_TOMB_PREFIX "%s.%ld", cache->id, (long)getpid());
    if (renameat(parent_fd, cache->id, parent_fd, tomb) != 0) {
        mc_err_sys(err, errno, "%s: cannot move aside for wiping", cache->path);
        return -1;
    }
    tomb_fd = mc_open_dir_usable(parent_fd, tomb);
    if (tomb_fd < 0 || !same_dir(tomb_fd, dir_fd)) {
        /* Swapped between the proof and the rename: put it back, touch nothing. */
        if (tomb_fd >= 0)
            close(tomb_fd);
        renameat(parent_fd, tomb, parent_fd, cache->id);
        mc_err_set(err, "%s: replaced while releasing; left alone", cache->path);
        return -1;
    }
    display = mc_concat(cache->root, "/" MC_CACHE_SUBDIR "/", tomb, NULL);
    rc = wipe_and_remove(parent_fd, tomb_fd, tomb, display ? display : cache->path, err);
    free(display);
    close(tomb_fd);
    return rc;
}

/* 1 if the directory at dir_fd is provably the one that was created or
 * attached. */
static int same_as_created(int dir_fd, const struct mc_dir_id *known, int held_dir_fd)
{
    struct mc_dir_id now;

    if (held_dir_fd >= 0)
        return same_dir(dir_fd, held_dir_fd);
    return known && mc_dir_id_of(dir_fd, &now) == 0 && mc_dir_id_same(known, &now);
}

/* Takes the directory's flock for the decision; 0, or MC_DISPOSE_BUSY (err
 * filled) when another process kept it past the wait, or -1. */
static int lock_for_decision(const struct mc_cache *cache, int dir_fd,
                             const struct mc_release_opts *wait, struct mc_err *err)
{
    if (mc_dir_lock(dir_fd, LOCK_EX, 0) == 0)
        return 0;
    if (errno == EWOULDBLOCK && wait && wait->busy)
        wait->busy(wait->ctx);
    if (errno == EWOULDBLOCK && mc_dir_lock(dir_fd, LOCK_EX, wait ? wait->wait_ms : 0) == 0)
        return 0;
    if (errno == EWOULDBLOCK) {
        mc_err_set(err, "%s: another process holds a flock() on it; kept for now, gc will "
                   "finish", cache->path);
        return MC_DISPOSE_BUSY;
    }
    mc_err_sys(err, errno, "%s: cannot lock", cache->path);
    return -1;
}

/* The register's field of a cache: its path with a trailing "/". */
static char *field_of(const struct mc_cache *cache)
{
    return mc_concat(cache->path, "/", NULL);
}

/* A locked cache is kept, but this host stops using it. */
static void leave_quietly(const struct mc_cache *cache, const struct mc_share *share)
{
    struct mc_leave left;
    struct mc_err err;
    char *field;

    if (!share || !share->reg || !share->registered)
        return;     /* gc and rm hold no registration */
    field = field_of(cache);
    if (field && mc_register_leave(share->reg, field, MC_LEAVE_REGISTERED, &left, &err) != 0)
        mc_log(MC_LOG_WARN, "cache %s: %s; gc will take this host off the register", cache->id,
               err.msg);
    free(field);
}

/* Before wiping: this host leaves, and the wipe is ours only if nobody is
 * left. 0 (wipe; *claimed if the register marked it ours), or the mc_dispose
 * outcome that keeps the cache (err filled for UNSURE). */
/* 1 if the cache's meta names a run directory other than this host's (the
 * one its lock file is in). */
static int used_elsewhere(const struct mc_cache *cache, const cJSON *meta)
{
    const char *slash = strrchr(cache->lock_path, '/');
    char *run_dir = slash ? strndup(cache->lock_path, (size_t)(slash - cache->lock_path)) : NULL;
    int elsewhere = run_dir ? mc_meta_used_elsewhere(meta, run_dir) : 1;

    free(run_dir);
    return elsewhere;
}

static int ask_others(const struct mc_cache *cache, const struct mc_share *share, int *claimed,
                      struct mc_err *err)
{
    struct mc_leave left;
    struct mc_err why;
    char *field;
    int rc;

    *claimed = 0;
    if (!share)
        return 0;
    if (share->unknown) {
        leave_quietly(cache, share);
        mc_log(MC_LOG_INFO, "cache %s: kept as shared: its users could not be counted (Redis "
               "was unreachable when it started)", cache->id);
        return MC_DISPOSE_SHARED;
    }
    if (!share->reg)
        return 0;
    field = field_of(cache);
    mc_err_set(&why, "out of memory");
    rc = field ? mc_register_leave(share->reg, field,
                                   MC_LEAVE_CLAIM | (share->registered ? MC_LEAVE_REGISTERED : 0),
                                   &left, &why)
               : -1;
    free(field);
    if (rc != 0) {
        mc_err_set(err, "kept: Redis did not answer (%s); gc wipes it once Redis answers",
                   why.msg);
        return MC_DISPOSE_UNSURE;
    }
    *claimed = left.claimed;
    if (left.remaining > 0) {
        mc_log(MC_LOG_INFO, "cache %s: kept for its %lld other user(s)", cache->id,
               left.remaining);
        return MC_DISPOSE_SHARED;
    }
    if (left.doubt) {
        mc_err_set(err, "kept: %s; a later gc wipes it",
                   left.doubt == MC_DOUBT_NOT_REGISTERED
                       ? "this host was no longer in the Redis register (Redis restarted, "
                         "or the lease ran out)"
                       : "the Redis register is younger than a lease (it started or was "
                         "flushed lately, and may have lost users)");
        return MC_DISPOSE_DOUBT;
    }
    if (!left.claimed) {
        mc_log(MC_LOG_INFO, "cache %s: another host is wiping it", cache->id);
        return MC_DISPOSE_SHARED;
    }
    return 0;
}

static void done_wiping(const struct mc_cache *cache, const struct mc_share *share)
{
    struct mc_err err;
    char *field = field_of(cache);

    if (field && mc_register_wiped(share->reg, field, &err) != 0)
        mc_log(MC_LOG_WARN, "cache %s: %s", cache->id, err.msg);
    free(field);
}

int mc_cache_dispose(const struct mc_cache *cache, const struct mc_dir_id *known, int held_dir_fd,
                     enum mc_dispose_mode mode, const struct mc_release_opts *opts,
                     struct mc_err *err)
{
    struct mc_err meta_err;
    cJSON *meta = NULL;
    int parent_fd;
    int dir_fd;
    const struct mc_share *share = opts ? opts->share : NULL;
    int proven;
    int foreign = 0;
    int locked = 0;
    int claimed = 0;
    int pending = 0;
    int elsewhere = 0;
    char *register_url = NULL;
    int rc = -1;

    parent_fd = open_cache_parent(cache, err);
    if (parent_fd < 0)
        return -1;
    dir_fd = mc_open_dir_usable(parent_fd, cache->id);
    if (dir_fd < 0) {
        if (errno == ENOENT) {
            rc = MC_DISPOSE_GONE;
            leave_quietly(cache, share);
        } else if (errno == ELOOP || errno == ENOTDIR)
            mc_err_set(err, "%s: not a directory any more (symlink or file); left alone",
                       cache->path);
        else if (errno == EXDEV)
            mc_err_set(err, "%s: is a mount point; left alone", cache->path);
        else
            mc_err_sys(err, errno, "%s", cache->path);
        close(parent_fd);
        return rc;
    }
    /* Everything from reading "locked" to the rename happens under the
     * directory's flock: a lock that got in first is seen here, one that
     * comes later finds the directory gone. */
    rc = lock_for_decision(cache, dir_fd, opts, err);
    if (rc != 0) {
        close(dir_fd);
        close(parent_fd);
        return rc;
    }
    rc = -1;
    proven = same_as_created(dir_fd, known, held_dir_fd);
    if (mc_meta_read(dir_fd, cache->path, &meta, &meta_err) == 0) {
        if (mc_meta_check_id(meta, cache->id, cache->path, &meta_err) == 0)
            proven = 1;
        else if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(meta, "id")))
            foreign = 1;
        locked = mc_meta_locked(meta);
        pending = mc_meta_s3_pending(meta);
        if (mc_meta_register(meta))
            register_url = strdup(mc_meta_register(meta));
        elsewhere = used_elsewhere(cache, meta);
        cJSON_Delete(meta);
    } else if (errno != ENOENT) {
        /* There but unreadable (not JSON we read, a FIFO, too big): it may say
         * locked to someone else. Never wiped on a guess. */
        locked = 1;
    }
    /* rm --force: what the user named, unless its meta names another cache. */
    if (mode == MC_WIPE_LOCKED && !foreign)
        proven = 1;
    if (!proven) {
        mc_err_set(err, "%s: cannot prove it is this cache (meta.json id does not match and it "
                   "is not the directory that was created); left alone", cache->path);
    } else if ((locked || pending) && mode == MC_KEEP_LOCKED) {
        leave_quietly(cache, share);
        if (pending && !locked)     /* whoever failed the upload said so */
            mc_log(MC_LOG_INFO, "cache %s: kept: its upload to S3 is not complete "
                   "(monocache push, or gc, finishes it)", cache->id);
        rc = MC_DISPOSE_KEPT;
    } else if (mode == MC_KEEP_LOCKED && register_url && (!share || !share->reg) &&
               !(share && share->unknown)) {
        mc_err_set(err, "kept: it is counted in the Redis register %s, which this host does "
                   "not use (set MONOCACHE_REDIS); other hosts may be using it", register_url);
        rc = MC_DISPOSE_UNSURE;
    } else if (mode == MC_KEEP_LOCKED && elsewhere && (!share || !share->reg) &&
               !(share && share->unknown)) {
        mc_log_always(MC_LOG_WARN, "cache %s: kept: it was used from another host's run "
                      "directory (meta.json run_dirs) and no Redis register counts its users "
                      "(set MONOCACHE_REDIS); monocache rm --force removes it", cache->id);
        rc = MC_DISPOSE_SHARED;
    } else if (mode == MC_KEEP_LOCKED && (rc = ask_others(cache, share, &claimed, err)) != 0) {
        /* rc: MC_DISPOSE_SHARED, _UNSURE or _DOUBT: the cache kept */
    } else if (wipe_proven(cache, parent_fd, dir_fd, err) == 0) {
        rc = MC_DISPOSE_WIPED;
    } else {
        rc = -1;
    }
    if (claimed)
        done_wiping(cache, share);
    free(register_url);
    close(dir_fd);      /* and with it the flock */
    close(parent_fd);
    return rc;
}

static void unlink_if_same(const char *path, int fd)
{
    struct stat by_path;
    struct stat by_fd;

    if (lstat(path, &by_path) == 0 && fstat(fd, &by_fd) == 0 &&
        by_path.st_dev == by_fd.st_dev && by_path.st_ino == by_fd.st_ino)
        unlink(path);
}

static long long now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static const char *outcome_words(int outcome)
{
    switch (outcome) {
    case MC_DISPOSE_WIPED:
        return "wiped";
    case MC_DISPOSE_KEPT:
        return "kept (locked, or its S3 upload not complete: see above)";
    case MC_DISPOSE_GONE:
        return "its directory was already gone";
    case MC_DISPOSE_BUSY:
        return "left for gc (its directory is flock()ed)";
    case MC_DISPOSE_SHARED:
        return "kept for its other users";
    case MC_DISPOSE_UNSURE:
        return "kept (its other users could not be counted)";
    case MC_DISPOSE_DOUBT:
        return "kept (the register may have lost users)";
    }
    return "failed";
}

char *mc_later_path(const struct mc_cache *cache)
{
    size_t len = strlen(cache->lock_path) - (sizeof(MC_LOCK_SUFFIX) - 1);
    char *path = malloc(len + sizeof(MC_LATER_SUFFIX));

    if (!path)
        return NULL;
    memcpy(path, cache->lock_path, len);
    memcpy(path + len, MC_LATER_SUFFIX, sizeof(MC_LATER_SUFFIX));
    return path;
}

/* A cache kept on a doubt is decided again by the background sweep: the
 * marker's time says since when. */
static void mark_later(const struct mc_cache *cache)
{
    char *path = mc_later_path(cache);
    int fd = path ? open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
                         MC_LATER_MODE) : -1;

    if (fd >= 0) {
        futimens(fd, NULL);
        close(fd);
    } else {
        mc_log(MC_LOG_WARN, "cache %s: cannot leave %s: only monocache gc will decide it",
               cache->id, path ? path : "its marker");
    }
    free(path);
}

/* How the tree ended, as the release's log line says it. */
static void describe_end(int state, int how, char *out, size_t size)
{
    if (state != MC_STATE_RELEASING)
        snprintf(out, size, "its holders ended without letting go (SIGKILL, or a crash "
                 "of the whole tree)");
    else if (how == MC_END_UNKNOWN)
        snprintf(out, size, "the last holder let go: it ended");
    else if (how >= MC_END_SIGNAL(0))
        snprintf(out, size, "the last holder let go: killed by signal %d (%s)",
                 how - MC_END_SIGNAL(0), strsignal(how - MC_END_SIGNAL(0)));
    else
        snprintf(out, size, "the last holder let go: exit status %d", how);
}

int mc_release(const struct mc_cache *cache, int lock_fd, int held_dir_fd,
               const struct mc_release_opts *opts, struct mc_err *err)
{
    char how[MC_END_TEXT_MAX];
    const char releasing = MC_STATE_RELEASING;
    struct mc_lock_record record;
    long long start = now_us();
    int outcome;

    if (!mc_lock_file_ours(lock_fd)) {
        mc_err_set(err, "%s: " MC_NOT_OUR_LOCK, cache->lock_path);
        return -1;
    }
    if (mc_session_read(lock_fd, &record) != 0)
        memset(&record, 0, sizeof(record));
    if (pwrite(lock_fd, &releasing, 1, 0) != 1)
        mc_log(MC_LOG_WARN, "%s: cannot mark as releasing", cache->lock_path);
    outcome = mc_cache_dispose(cache, &record.dir, held_dir_fd, MC_KEEP_LOCKED, opts, err);
    /* 'R' before we marked it: the last holder let go and handed over;
     * 'H': the holders died without that (SIGKILL, a crash, a raw exit). */
    describe_end(record.state, mc_lock_end_of(lock_fd), how, sizeof(how));
    mc_log_event(outcome < 0 ? MC_LOG_WARN : MC_LOG_INFO, "released", cache->id, cache->path,
                 "cache %s released: %s in %lld ms (%s)", cache->id, outcome_words(outcome),
                 (now_us() - start + 500) / 1000, how);
    /* The hold is over either way; a directory left behind is reported and
     * reclaimed by gc (a busy one, or a tombstone). */
    unlink_if_same(cache->lock_path, lock_fd);
    if (outcome == MC_DISPOSE_UNSURE || outcome == MC_DISPOSE_DOUBT)
        mark_later(cache);
    return outcome;
}

int mc_wipe_tombstone(const char *cache_dir, const char *name, struct mc_err *err)
{
    char *display = mc_concat(cache_dir, "/", name, NULL);
    int parent_fd = open(cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int dir_fd = -1;
    int rc = -1;

    if (!display || parent_fd < 0) {
        mc_err_sys(err, errno, "%s", cache_dir);
        goto out;
    }
    dir_fd = mc_open_dir_usable(parent_fd, name);
    if (dir_fd < 0 && errno == ENOENT) {
        rc = 1;     /* its wipe has just finished */
        goto out;
    }
    if (dir_fd < 0) {
        mc_err_sys(err, errno, "%s", display);
        goto out;
    }
    if (flock(dir_fd, LOCK_EX | LOCK_NB) != 0) {
        rc = 1;     /* its wipe is running */
        goto out;
    }
    rc = wipe_and_remove(parent_fd, dir_fd, name, display, err);
out:
    if (dir_fd >= 0)
        close(dir_fd);
    if (parent_fd >= 0)
        close(parent_fd);
    free(display);
    return rc;
}
