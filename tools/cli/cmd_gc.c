/* cmd_gc.c — `monocache gc` (reclaim caches whose holders are all gone),
 * `monocache rm` (wipe one cache now) and `monocache preload-path`. */
#include "cli.h"
#include "opts.h"
#include "shared/tool.h"
#include "shared/s3run.h"
#include "common/dirlock.h"
#include "local/gc.h"
#include "host/lockfile.h"
#include "common/log.h"
#include "common/meta.h"
#include "local/release.h"
#include "local/session.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MC_RM_RELEASE_POLL_MS 10

/* What gc did, one word each (gc --json "action"). */
static const char *action_word(enum mc_gc_action action)
{
    static const char *const words[] = {
        [MC_GC_WIPED] = "wiped", [MC_GC_KEPT] = "kept", [MC_GC_CLEARED] = "cleared",
        [MC_GC_WOULD] = "would-wipe", [MC_GC_TOMBSTONE] = "finished-wipe",
        [MC_GC_WOULD_TOMBSTONE] = "would-finish-wipe", [MC_GC_TEMP] = "removed",
        [MC_GC_WOULD_TEMP] = "would-remove", [MC_GC_BUSY] = "busy", [MC_GC_LEFT] = "left",
        [MC_GC_SHARED] = "shared", [MC_GC_EXPIRED] = "expired", [MC_GC_UPLOADED] = "uploaded",
        [MC_GC_LATER] = "later", [MC_GC_NOT_ASKED] = "not-asked", [MC_GC_FAILED] = "failed",
    };

    return (size_t)action < sizeof(words) / sizeof(words[0]) && words[action] ? words[action]
                                                                              : "?";
}

struct gc_output {
    int json;
    int printed;
};

/* gc --json: one object per thing done or left, in an array. */
static void print_gc_json(struct gc_output *out, enum mc_gc_action action, const char *id,
                          const char *message)
{
    cJSON *item = cJSON_CreateObject();
    char *text;

    cJSON_AddStringToObject(item, "action", action_word(action));
    cJSON_AddStringToObject(item, "id", id);
    if (message)
        cJSON_AddStringToObject(item, "message", message);
    text = cJSON_PrintUnformatted(item);
    printf("%s%s", out->printed++ ? ",\n" : "\n", text ? text : "{}");
    free(text);
    cJSON_Delete(item);
    if (action == MC_GC_FAILED)
        mc_log_always(MC_LOG_ERROR, "gc: %s: %s", id, message);
}

static void print_gc(enum mc_gc_action action, const char *id, const char *message, void *ctx)
{
    struct gc_output *out = ctx;

    if (out && out->json) {
        print_gc_json(out, action, id, message);
        return;
    }
    switch (action) {
    case MC_GC_WIPED:
        printf("wiped %s\n", id);
        break;
    case MC_GC_KEPT:
        printf("kept %s (locked)\n", id);
        break;
    case MC_GC_CLEARED:
        printf("cleared %s (its directory was already gone)\n", id);
        break;
    case MC_GC_WOULD:
        printf("would wipe %s\n", id);
        break;
    case MC_GC_TOMBSTONE:
        printf("finished wiping %s\n", id);
        break;
    case MC_GC_WOULD_TOMBSTONE:
        printf("would finish wiping %s\n", id);
        break;
    case MC_GC_TEMP:
        printf("removed %s\n", id);
        break;
    case MC_GC_WOULD_TEMP:
        printf("would remove %s\n", id);
        break;
    case MC_GC_BUSY:
        printf("busy %s (left for later: %s)\n", id, message);
        break;
    case MC_GC_UPLOADED:
        printf("uploaded %s to %s/%s/\n", id, message, id);
        break;
    case MC_GC_LATER:
        printf("later %s (%s)\n", id, message);
        break;
    case MC_GC_SHARED:
        printf("kept %s (used on other hosts)\n", id);
        break;
    case MC_GC_EXPIRED:
        printf("expired %s: %s host(s) whose lease ran out taken off its count\n", id, message);
        break;
    case MC_GC_LEFT:
        printf("left %s (%s; if it is a cache of yours, rm --force removes it)\n", id, message);
        break;
    case MC_GC_NOT_ASKED:
        printf("kept %s (counted in the Redis register %s: gc --redis URL decides)\n", id,
               message);
        break;
    case MC_GC_FAILED:
        mc_log_always(MC_LOG_ERROR, "gc: %s: %s", id, message);
        break;
    }
}

/* A pending upload, finished by monocache-s3 (its messages are its own). */
static int upload_pending(const struct mc_cache *cache, const char *url, void *ctx)
{
    const char *args[] = { "push", cache->path, url, NULL };
    struct mc_err err;
    int rc = mc_s3_tool_run(args, &err);

    (void)ctx;
    if (rc < 0)
        mc_log_always(MC_LOG_ERROR, "%s", err.msg);
    return rc == 0 ? 0 : -1;
}

int cmd_gc(int argc, char **argv)
{
    struct mc_gc_options options = { MC_GC_ALL, NULL, 0, NULL, print_gc, NULL, upload_pending };
    const char *root_option = NULL;
    struct cli_share cs;
    struct mc_root root;
    struct mc_err err;
    struct gc_output out = { 0, 0 };
    int dry_run = 0;
    int failures;
    int rest;
    int rc;
    const struct cli_opt opts[] = {
        { "--dry-run", 'n', &dry_run, NULL, NULL },
        { "--json", 0, &out.json, NULL, NULL },
        { "--root", 0, NULL, &root_option, NULL },
        { "--redis", 0, NULL, NULL, cli_take_redis },
        { NULL, 0, NULL, NULL, NULL },
    };
    const struct cli_parse parse = { .command = "gc", .usage = cli_usage_gc, .opts = opts };

    if (!cli_parse(&parse, argc, argv, &rest, &rc))
        return rc;
    rc = cli_open_root("gc", root_option, &root);
    if (rc == 1 && out.json)
        printf("[]\n");        /* the default root not made yet: nothing to do */
    if (rc != 0)
        return rc < 0 ? MC_EXIT_FAILED : 0;
    /* Without the register nothing counted in it may be wiped: no guess. */
    if (cli_open_share(&cs) != 0) {
        mc_root_free(&root);
        return MC_EXIT_FAILED;
    }
    cs.share.quiet_s = cs.rc.lease_s;
    options.share = &cs.share;
    options.dry_run = dry_run;
    options.ctx = &out;
    if (out.json)
        printf("[");
    failures = mc_gc(&root, &options, &err);
    if (out.json)
        printf("%s]\n", out.printed ? "\n" : "");
    if (failures < 0)
        mc_log_always(MC_LOG_ERROR, "%s", err.msg);
    cli_close_share(&cs);
    mc_root_free(&root);
    return failures == 0 ? 0 : MC_EXIT_FAILED;
}

/* Takes LOCK_EX on the cache's lock file, making one if there is none; a
 * release already running (gc, a watcher) is waited for, so that rm of a
 * cache being reclaimed ends with it gone, not with "held".
 * 0: we hold it (*fd); 1: someone holds the cache; -1: error (printed). */
static int take_release_lock(struct mc_cache *cache, int dir_fd, int *fd)
{
    int waits = MC_DIR_LOCK_WAIT_MS / MC_RM_RELEASE_POLL_MS;
    struct mc_err err;
    struct stat st;
    int rc;

    for (;;) {
        *fd = open(cache->lock_path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (*fd >= 0 && (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode))) {
            mc_log_always(MC_LOG_ERROR, "%s: not a regular file", cache->lock_path);
            close(*fd);
            return -1;
        }
        if (*fd >= 0) {
            if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
                int releasing = mc_lock_state(*fd) == MC_STATE_RELEASING;

                close(*fd);
                if (!releasing || waits-- <= 0)
                    return 1;
                usleep(MC_RM_RELEASE_POLL_MS * 1000);
                continue;
            }
            if (fstat(*fd, &st) == 0 && st.st_nlink > 0)
                return 0;
            close(*fd);
            continue;
        }
        if (errno != ENOENT) {
            mc_log_always(MC_LOG_ERROR, "%s: %s", cache->lock_path, strerror(errno));
            return -1;
        }
        rc = mc_session_create_exclusive(cache->lock_path, fd, &err);
        if (rc < 0) {
            mc_log_always(MC_LOG_ERROR, "%s", err.msg);
            return -1;
        }
        if (rc == 0) {
            struct mc_dir_id dir;

            if (mc_dir_id_of(dir_fd, &dir) == 0)
                mc_session_record(*fd, &dir, 0, cache->lock_path, &err);
            return 0;
        }
    }
}

/* How rm waits, and the register it asks (set by cmd_rm). */
static struct mc_release_opts rm_wait = { MC_DIR_LOCK_WAIT_MS, NULL, NULL, NULL };

/* rm --force of a held cache: wipe the directory under its holders. */
static int force_wipe(struct mc_cache *cache)
{
    struct mc_err err;
    int outcome = mc_cache_dispose(cache, NULL, -1, MC_WIPE_LOCKED, &rm_wait, &err);

    if (outcome < 0 || outcome == MC_DISPOSE_BUSY) {
        mc_log_always(MC_LOG_ERROR, "%s", err.msg);
        return MC_EXIT_FAILED;
    }
    return 0;
}

/* The run directory next to a proven cache, for its lock file. */
static int make_run_dir(const struct mc_cache *cache)
{
    struct mc_root root;
    struct mc_err err;
    int rc = mc_root_open(cache->root, NULL, MC_ROOT_EXISTING, &root, &err);

    if (rc == 0)
        rc = mc_root_make_run(&root, &err);
    if (rc != 0)
        mc_log_always(MC_LOG_ERROR, "%s", err.msg);
    mc_root_free(&root);
    return rc;
}

/* Whether rm may go on, and whether the cache counts as locked: its meta
 * read as the release reads it. Without --force only a readable meta naming
 * this cache will do; with --force an unreadable or missing meta too, but
 * never one that names another cache. 0, or MC_EXIT_FAILED (printed). */
static int check_removable(struct mc_cache *cache, int dir_fd, int force, int *locked)
{
    const char *why = NULL;
    struct mc_err err;
    cJSON *meta = NULL;
    int pending;

    *locked = 1;
    if (mc_meta_read(dir_fd, cache->path, &meta, &err) != 0) {
        if (force)
            return 0;
        mc_log_always(MC_LOG_ERROR, "%s; rm --force removes it", err.msg);
        return MC_EXIT_FAILED;
    }
    if (mc_meta_check_id(meta, cache->id, cache->path, &err) != 0) {
        mc_log_always(MC_LOG_ERROR, "%s; left alone", err.msg);
        cJSON_Delete(meta);
        return MC_EXIT_FAILED;
    }
    *locked = mc_meta_lock_state(meta, &why) != MC_UNLOCKED;
    pending = mc_meta_s3_pending(meta);
    cJSON_Delete(meta);
    if (*locked && !force) {
        mc_log_always(MC_LOG_ERROR, "%s: locked%s%s; unlock it or use --force", cache->path,
                      why ? ": " : "", why ? why : "");
        return MC_EXIT_FAILED;
    }
    if (pending && !force) {
        mc_log_always(MC_LOG_ERROR, "%s: its upload to S3 did not complete; monocache push %s "
                      "finishes it, rm --force wipes it anyway", cache->path, cache->id);
        return MC_EXIT_FAILED;
    }
    *locked |= pending;     /* --force: wiped as a locked one is, not released */
    return 0;
}

static int remove_cache(struct mc_cache *cache, int force)
{
    struct mc_err err;
    int dir_fd;
    int lock_fd;
    int locked;
    int rc;

    dir_fd = mc_cache_open_dir(cache, -1, &err);
    if (dir_fd < 0) {
        mc_log_always(MC_LOG_ERROR, "%s", err.msg);
        return MC_EXIT_FAILED;
    }
    if (check_removable(cache, dir_fd, force, &locked) != 0 || make_run_dir(cache) != 0) {
        close(dir_fd);
        return MC_EXIT_FAILED;
    }
    rc = take_release_lock(cache, dir_fd, &lock_fd);
    close(dir_fd);
    if (rc < 0)
        return MC_EXIT_FAILED;
    if (rc == 1) {
        if (!force) {
            mc_log_always(MC_LOG_ERROR, "%s: held by running processes; use --force",
                          cache->path);
            return MC_EXIT_FAILED;
        }
        return force_wipe(cache);
    }
    if (locked || force) {
        /* --force on a locked (or unreadable) cache, or one used on other
         * hosts: wipe it anyway, then end the session. */
        rc = force_wipe(cache);
        unlink(cache->lock_path);
    } else {
        rc = mc_release(cache, lock_fd, -1, &rm_wait, &err);
        if (rc == MC_DISPOSE_KEPT)
            mc_log_always(MC_LOG_ERROR, "%s: locked meanwhile; kept", cache->path);
        else if (rc == MC_DISPOSE_SHARED)
            mc_log_always(MC_LOG_ERROR, "%s: used on other hosts; kept; rm --force wipes it "
                          "anyway", cache->path);
        else if (rc == MC_DISPOSE_UNSURE || rc == MC_DISPOSE_DOUBT)
            mc_log_always(MC_LOG_ERROR, "%s: %s", cache->path, err.msg);
        else if (rc < 0 || rc == MC_DISPOSE_BUSY)
            mc_log_always(MC_LOG_ERROR, "%s", err.msg);
        rc = rc == MC_DISPOSE_WIPED || rc == MC_DISPOSE_GONE ? 0 : MC_EXIT_FAILED;
    }
    close(lock_fd);
    return rc;
}

int cmd_rm(int argc, char **argv)
{
    const char *root_option = NULL;
    const char *s3 = NULL;
    struct cli_share cs;
    struct mc_cache cache;
    int failed = 0;
    int force = 0;
    int targets;
    int rc;
    int i;
    const struct cli_opt opts[] = {
        { "--force", 'f', &force, NULL, NULL },
        { "--root", 0, NULL, &root_option, NULL },
        { "--redis", 0, NULL, NULL, cli_take_redis },
        { "--s3", 0, NULL, &s3, NULL },
        { NULL, 0, NULL, NULL, NULL },
    };
    const struct cli_parse parse = { .command = "rm", .usage = cli_usage_rm, .opts = opts,
                                     .max_args = CLI_ANY };

    if (!cli_parse(&parse, argc, argv, &targets, &rc))
        return rc;
    if (s3 && (targets || force || root_option))
        return cli_bad_usage("rm", cli_usage_rm, MC_EXIT_USAGE,
                             "rm --s3 takes one cache, nothing else");
    if (s3)
        return cli_s3_rm(s3);
    if (!targets)
        return cli_bad_usage("rm", cli_usage_rm, MC_EXIT_USAGE, "which cache? (an id or a path)");
    if (cli_open_share(&cs) != 0)
        return MC_EXIT_FAILED;
    rm_wait.share = &cs.share;
    for (i = 1; i <= targets; i++) {
        if (cli_open_cache("rm", argv[i], root_option, &cache) != 0) {
            failed = 1;
            continue;
        }
        failed |= remove_cache(&cache, force) != 0;
        mc_cache_free(&cache);
    }
    cli_close_share(&cs);
    return failed ? MC_EXIT_FAILED : 0;
}

int cmd_preload_path(int argc, char **argv)
{
    const struct cli_opt opts[] = { { NULL, 0, NULL, NULL, NULL } };
    const struct cli_parse parse = { .command = "preload-path", .usage = cli_usage_preload_path,
                                     .opts = opts };
    char *path;
    int rest;
    int rc;

    if (!cli_parse(&parse, argc, argv, &rest, &rc))
        return rc;
    path = tool_find_library();
    if (!path) {
        mc_log_always(MC_LOG_ERROR, MC_LIB_NOT_FOUND);
        return MC_EXIT_FAILED;
    }
    printf("%s\n", path);
    free(path);
    return 0;
}
