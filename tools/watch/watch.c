/* watch.c — `monocache __watch`, the helper a tree starts when it needs a cache.
 *
 * It does the work the preloaded shim must not (JSON, checks, later Redis and
 * S3): creates or attaches the cache, answers its starter on descriptor 3
 * with the tree's environment and the holder descriptor, then stays — one
 * process per cache per host, in its own session — blocked on the holder
 * lock until the kernel says no one holds it, however they ended; then it
 * releases the cache and exits. Its exit is what a last holder waits for. */
#include "watch.h"
#include "shared/tool.h"
#include "common/setting.h"
#include "common/config.h"
#include "common/root.h"
#include "local/cache.h"
#include "redis/redisconf.h"
#include "redis/register.h"
#include "common/buf.h"
#include "common/dirlock.h"
#include "local/gc.h"
#include "host/lockfile.h"
#include "common/log.h"
#include "host/proto.h"
#include "local/pullguard.h"
#include "common/meta.h"
#include "local/release.h"
#include "host/reply.h"
#include "shared/s3run.h"
#include "local/session.h"
#include "busy.h"
#include "upload.h"
#include "watch_share.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define MC_WATCH_REPLY_FD 3
#define MC_SWEEP_INTERVAL_MS 1000

struct answer {
    char *reply;                /* MC_REPLY_MAX bytes for the answer */
    struct mc_reply_text text;
    struct mc_root root;
    struct mc_cache cache;
    int hold_fd;
    int watch_fd;
    int dir_fd;         /* the cache directory, held open until the release */
    int attached;       /* an existing cache, not a new one */
    struct watch_share share;   /* this host in the Redis register */
    int s3_async;               /* MONOCACHE_S3_ASYNC: holders do not wait for the upload */
    int s3_timeout_s;           /* MONOCACHE_S3_TIMEOUT_S: how long they wait at most */
    const char *s3_home;        /* the tree's S3 setting, or NULL (owned by the config) */
    enum mc_s3_upload_when s3_upload;   /* MONOCACHE_S3_UPLOAD */
    int reply_fd;               /* the starter, told "busy" while we wait or work */
    struct busy busy;
    int busy_on;
};

static void reset_signals(void)
{
    struct sigaction dfl;
    sigset_t none;
    int sig;

    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    for (sig = 1; sig < NSIG; sig++)
        sigaction(sig, &dfl, NULL);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGCHLD, SIG_IGN);   /* the background sweep reaps itself */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Deep trees need one descriptor per level while wiping. */
static void raise_fd_limit(void)
{
    struct rlimit limit;

    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

/* 1 if this host keeps its lock files apart from the root's own run
 * directory (MONOCACHE_RUN_DIR: a root shared between hosts). */
static int own_run_dir(const struct mc_root *root)
{
    char *shared = mc_concat(root->path, "/" MC_RUN_SUBDIR, NULL);
    int own = shared && strcmp(shared, root->run_dir) != 0;

    free(shared);
    return own;
}

/* A cache made from a run directory of its own says so (meta.h
 * "run_dirs"): without Redis, no other host's release wipes it. */
static int note_run_dir(struct mc_config *cfg, const struct mc_root *root, struct mc_err *err)
{
    cJSON *dirs;

    if (!own_run_dir(root))
        return 0;
    if (!cfg->meta)
        cfg->meta = cJSON_CreateObject();
    dirs = cJSON_CreateArray();
    if (!cfg->meta || !dirs || !cJSON_AddItemToArray(dirs, cJSON_CreateString(root->run_dir)) ||
        mc_meta_set_key(cfg->meta, MC_META_RUN_DIRS, dirs) != 0) {
        mc_err_set(err, "out of memory");
        return -1;
    }
    return 0;
}

static int add_run_dir(cJSON *meta, void *ctx, struct mc_err *err)
{
    const struct mc_root *root = ctx;
    char *shared = mc_concat(root->path, "/" MC_RUN_SUBDIR, NULL);
    int rc = shared ? mc_meta_add_run_dir(meta, root->run_dir, shared) : -1;

    free(shared);
    if (rc != 0)
        mc_err_set(err, "out of memory");
    return rc;
}

static int open_root(struct mc_config *cfg, struct answer *answer, struct mc_err *err)
{
    if (mc_root_open(cfg->root, cfg->tmpdir, MC_ROOT_CREATE, &answer->root, err) != 0)
        return -1;
    if (answer->root.note)
        mc_log_always(MC_LOG_WARN, "%s", answer->root.note);
    return 0;
}

/* A new cache, under the root answer->root opened; named `name`, or a fresh
 * UUID. 1: the named one appeared meanwhile. */
static int create_in_root(struct mc_config *cfg, const char *name, struct answer *answer,
                          struct mc_err *err)
{
    if (note_run_dir(cfg, &answer->root, err) != 0)
        return -1;
    return mc_cache_create(&answer->cache, &answer->root, name, cfg->lock, cfg->meta,
                           &answer->hold_fd, err);
}

static int create(struct mc_config *cfg, struct answer *answer, struct mc_err *err)
{
    if (open_root(cfg, answer, err) != 0)
        return -1;
    return create_in_root(cfg, NULL, answer, err);
}

/* "<label>: <reason>", without the cache path a second time when the label
 * names it already (MONOCACHE_PATH=/x: no such cache). */
static void say_once(struct mc_err *err, const char *label, const struct mc_err *inner,
                     const char *path)
{
    size_t len = path ? strlen(path) : 0;
    const char *reason = inner->msg;

    if (len && strstr(label, path) && strncmp(reason, path, len) == 0 && reason[len] == ':')
        reason += len + 2;
    mc_err_set(err, "%s: %s", label, reason);
}

/* The starter hears "busy" from now until the answer (a pull of the cache
 * runs, or S3 work). */
static void tell_busy(void *ctx)
{
    struct answer *answer = ctx;

    if (answer->busy_on)
        return;
    busy_start(&answer->busy, answer->reply_fd);
    answer->busy_on = 1;
}

static void stop_busy(struct answer *answer)
{
    if (!answer->busy_on)
        return;
    busy_stop(&answer->busy);
    answer->busy_on = 0;
}

static int attach_guarded(const char *label, int adopt, struct mc_config *cfg,
                          struct answer *answer, struct mc_err *err);

/* Attaches to an existing cache under its pull guard (unless the caller
 * holds it: guarded), so that no pull replaces a copy a tree is starting
 * on, and no tree starts on a copy a pull replaces: it waits for the pull. */
static int attach(const char *label, const char *target, int adopt, int guarded,
                  struct mc_config *cfg, struct answer *answer, struct mc_err *err)
{
    char id[MC_ID_MAX + 1];
    struct mc_pull_guard guard;
    int rc;

    if (mc_cache_resolve(label, target, cfg->root, cfg->tmpdir, &answer->root, id, err) != 0)
        return -1;
    if (mc_cache_init(&answer->cache, &answer->root, id, err) != 0)
        return -1;
    /* No run directory yet: no pull runs (it makes one for its guard), and
     * an unproven cache gets none made here. */
    if (guarded || access(answer->root.run_dir, F_OK) != 0)
        return attach_guarded(label, adopt, cfg, answer, err);
    if (mc_pull_guard_take(&answer->root, id, &guard, tell_busy, answer, err) != 0)
        return -1;
    rc = attach_guarded(label, adopt, cfg, answer, err);
    mc_pull_guard_drop(&guard);
    return rc;
}

static int attach_guarded(const char *label, int adopt, struct mc_config *cfg,
                          struct answer *answer, struct mc_err *err)
{
    struct mc_err inner;
    cJSON *meta = NULL;
    int dir_fd;

    /* A cache the Python package made (its meta has no "id") becomes ours
     * when it is named explicitly. */
    if (adopt && mc_cache_adopt(&answer->cache, &inner) < 0) {
        say_once(err, label, &inner, answer->cache.path);
        return -1;
    }
    /* Only a proven cache gets a run directory made next to it. */
    if (mc_cache_open(&answer->cache, &dir_fd, &meta, &inner) != 0 ||
        mc_root_make_run(&answer->root, &inner) != 0) {
        say_once(err, label, &inner, answer->cache.path);
        if (dir_fd >= 0)
            close(dir_fd);
        cJSON_Delete(meta);
        return -1;
    }
    /* Attached from another run directory than the one(s) it was used from:
     * recorded, so that neither host's release wipes it under the other. */
    if ((own_run_dir(&answer->root) || cJSON_GetObjectItemCaseSensitive(meta, MC_META_RUN_DIRS)) &&
        mc_meta_update(dir_fd, answer->cache.path, answer->cache.id, add_run_dir, &answer->root,
                       &inner) != 0) {
        say_once(err, label, &inner, answer->cache.path);
        close(dir_fd);
        cJSON_Delete(meta);
        return -1;
    }
    close(dir_fd);
    cJSON_Delete(meta);
    answer->attached = 1;
    if (mc_cache_attach(&answer->cache, &answer->hold_fd, &inner) != 0) {
        say_once(err, label, &inner, answer->cache.path);
        return -1;
    }
    /* MONOCACHE_LOCK and MONOCACHE_META apply to an attached cache too. */
    if (mc_cache_apply(&answer->cache, cfg->lock, cfg->meta, &inner) != 0) {
        say_once(err, label, &inner, answer->cache.path);
        close(answer->hold_fd);
        answer->hold_fd = -1;
        return -1;
    }
    return 0;
}

static void forget(struct answer *answer)
{
    mc_cache_free(&answer->cache);
    mc_root_free(&answer->root);
}

/* NEW > EXISTING > an inherited MONOCACHE_PATH (soft: a stale one gets a
 * fresh cache and one warning) > a fresh cache. */
/* MONOCACHE_S3: its settings and credentials are there (monocache-s3
 * check says why not, on stderr, with the setting's name). */
static int s3_ready(const char *url, struct mc_err *err)
{
    const char *args[] = { "check", url, NULL };
    char said[MC_ERR_MAX];
    struct mc_err why;
    int rc = mc_s3_tool_run_quiet(args, said, sizeof(said), &why);

    if (rc < 0)
        mc_err_set(err, "%s: %s", mc_setting(MC_ENV_S3, url), why.msg);
    else if (rc != 0)
        mc_err_set(err, "%s: %s", mc_setting(MC_ENV_S3, url), said[0] ? said : "not usable");
    return rc == 0 ? 0 : -1;
}

/* What is here of the S3 cache the tree asks for; with a Redis register,
 * whether another host uses the copy (then it is never replaced). */
static enum mc_local_copy copy_state(struct mc_config *cfg, struct answer *answer,
                                     const char *id)
{
    enum mc_local_copy state = mc_local_copy_state(&answer->root, id, NULL);
    struct mc_register *reg = NULL;
    struct mc_err why;

    if (state != MC_LOCAL_IDLE || !cfg->redis || !cfg->redis->enabled)
        return state;
    if (mc_register_open(cfg->redis, &reg, &why) != 0)
        return MC_LOCAL_SHARED;     /* it cannot say: the copy is used as it is */
    state = mc_local_copy_state(&answer->root, id, reg);
    mc_register_close(reg);
    return state;
}

/* The exit status of monocache-s3 pull for a cache S3 does not have. */
#define MC_S3_PULL_ABSENT 3

/* The S3 cache url (<prefix>/<id>) brought into <root>/cache/<id>, under
 * the caller's pull guard, unless the copy here is newer than S3 (a tree
 * holds it, its upload is pending) or used elsewhere: then used as it is.
 * restore_keys (or NULL): a cache S3 does not have is restored from the
 * newest one they name. 0; monocache-s3's status (MC_S3_PULL_ABSENT,
 * _INCOMPLETE, ...) with err, a line to show; -1 with err. */
static int bring_from_s3(struct mc_config *cfg, struct answer *answer, const char *label,
                         const char *url, const char *id, const char *path, struct mc_err *err)
{
    const char *args[] = { "pull", url, answer->root.cache_dir, answer->root.run_dir,
                           cfg->restore_keys ? "--restore-keys" : NULL, cfg->restore_keys,
                           NULL };
    char said[MC_ERR_MAX];
    struct mc_err why;
    int rc;

    switch (copy_state(cfg, answer, id)) {
    case MC_LOCAL_HELD:
        return 0;
    case MC_LOCAL_SHARED:
        mc_log_always(MC_LOG_WARN, "%s: the copy here, %s, is in use elsewhere (the Redis "
                      "register counts its users, or cannot be asked): using it as it is",
                      label, path);
        return 0;
    case MC_LOCAL_PENDING:
        mc_log_always(MC_LOG_WARN, "%s: the copy here, %s, has changes not uploaded yet (or an "
                      "unreadable meta.json): using it as it is", label, path);
        return 0;
    default:
        break;
    }
    rc = mc_s3_tool_run_quiet(args, said, sizeof(said), &why);
    if (rc < 0)
        mc_err_set(err, "%s: %s", label, why.msg);
    else if (rc != 0)
        mc_err_set(err, "%s: %s", label, said[0] ? said : "could not be brought from S3");
    return rc;
}

/* MONOCACHE_EXISTING=s3://...: brings the cache here, then attaches to it,
 * under the pull guard, so that trees starting together on it share one
 * download and one copy. A copy that a tree holds, or whose upload is
 * pending, is newer than S3: attached as it is. */
static int attach_from_s3(struct mc_config *cfg, struct answer *answer, struct mc_err *err)
{
    char label[MC_PATH_MAX + 32];
    struct mc_pull_guard guard;
    char *path = NULL;
    int rc;

    snprintf(label, sizeof(label), "%s", mc_setting(MC_ENV_EXISTING, cfg->existing));
    if (mc_root_open(cfg->root, cfg->tmpdir, MC_ROOT_CREATE, &answer->root, err) != 0)
        return -1;
    path = mc_concat(answer->root.cache_dir, "/", cfg->existing_s3_id, NULL);
    if (!path) {
        mc_err_set(err, "%s: out of memory", label);
        mc_root_free(&answer->root);
        return -1;
    }
    if (mc_pull_guard_take(&answer->root, cfg->existing_s3_id, &guard, NULL, NULL, err) != 0) {
        free(path);
        mc_root_free(&answer->root);
        return -1;
    }
    rc = bring_from_s3(cfg, answer, label, cfg->existing, cfg->existing_s3_id, path, err) == 0
             ? 0 : -1;
    mc_root_free(&answer->root);
    memset(&answer->root, 0, sizeof(answer->root));
    if (rc == 0)
        rc = attach(label, path, 1, 1, cfg, answer, err);
    mc_pull_guard_drop(&guard);
    free(path);
    return rc;
}

#define MC_NAMED_ATTEMPTS 3

/* NEW, EXISTING and NAME each choose the cache: one at a time. */
static int choose_one(const struct mc_config *cfg, struct mc_err *err)
{
    const char *set[3];
    int count = 0;

    if (cfg->new_cache)
        set[count++] = mc_setting_name(MC_ENV_NEW);
    if (cfg->existing)
        set[count++] = mc_setting_name(MC_ENV_EXISTING);
    if (cfg->name)
        set[count++] = mc_setting_name(MC_ENV_NAME);
    if (count == 2)
        mc_err_set(err, "%s and %s are both set; choose one", set[0], set[1]);
    else if (count == 3)
        mc_err_set(err, "%s, %s and %s are all set; choose one", set[0], set[1], set[2]);
    return count > 1 ? -1 : 0;
}

/* MONOCACHE_NAME=KEY with MONOCACHE_S3: the copy here brought up to date
 * from <prefix>/KEY (or restored from the newest cache a restore key
 * names); S3 without it (a first run) or with part of it only: the copy
 * here as it is, else a new cache. 0, or -1 with err. */
static int restore_named(struct mc_config *cfg, struct answer *answer, const char *label,
                         const char *path, struct mc_err *err)
{
    char *url = mc_concat(cfg->s3, "/", cfg->name, NULL);
    struct stat st;
    int rc;

    if (!url) {
        mc_err_set(err, "%s: out of memory", label);
        return -1;
    }
    rc = bring_from_s3(cfg, answer, label, url, cfg->name, path, err);
    if (rc == MC_S3_PULL_ABSENT) {
        mc_log(MC_LOG_INFO, "%s: not in %s yet%s: %s", label, cfg->s3,
               cfg->restore_keys ? ", nor a cache its restore keys name" : "",
               lstat(path, &st) == 0 ? "the copy here is used" : "a new cache");
    } else if (rc > 0 && rc != MC_EXIT_OWN_ERROR) {
        /* Not usable now (part of it, a mix of two pushes, a server that
         * does not answer): a cache is a cache, the program runs; its
         * push at the end merges with S3 and deletes nothing there. */
        mc_log_always(MC_LOG_WARN, "%s; %s", err->msg,
                      lstat(path, &st) == 0 ? "the copy here is used" : "a new cache");
    }
    free(url);
    return rc < 0 || rc == MC_EXIT_OWN_ERROR ? -1 : 0;
}

/* MONOCACHE_NAME=KEY: the cache KEY under the root, attached if it is
 * there, made with that id if not. Trees starting together on one name
 * take turns under its pull guard: one makes it, the others attach; a
 * cache wiped between the look and the attach is made again. */
static int obtain_named(struct mc_config *cfg, struct answer *answer, struct mc_err *err)
{
    char label[MC_PATH_MAX + 32];
    struct mc_pull_guard guard;
    struct stat st;
    char *path;
    int attempt;
    int rc = -1;

    snprintf(label, sizeof(label), "%s", mc_setting(MC_ENV_NAME, cfg->name));
    if (open_root(cfg, answer, err) != 0)
        return -1;
    path = mc_concat(answer->root.cache_dir, "/", cfg->name, NULL);
    if (!path) {
        mc_err_set(err, "%s: out of memory", label);
        return -1;
    }
    if (mc_pull_guard_take(&answer->root, cfg->name, &guard, tell_busy, answer, err) != 0) {
        free(path);
        return -1;
    }
    if (cfg->s3 && restore_named(cfg, answer, label, path, err) != 0) {
        mc_pull_guard_drop(&guard);
        free(path);
        return -1;
    }
    for (attempt = 0; attempt < MC_NAMED_ATTEMPTS; attempt++) {
        if (!answer->root.path &&
            mc_root_open(cfg->root, cfg->tmpdir, MC_ROOT_CREATE, &answer->root, err) != 0)
            break;
        if (lstat(path, &st) != 0 && errno == ENOENT) {
            rc = create_in_root(cfg, cfg->name, answer, err);
            if (rc != 1)
                break;
        }
        mc_root_free(&answer->root);
        memset(&answer->root, 0, sizeof(answer->root));
        rc = attach(label, path, 1, 1, cfg, answer, err);
        if (rc == 0 || lstat(path, &st) == 0 || errno != ENOENT)
            break;
        forget(answer);
        memset(&answer->root, 0, sizeof(answer->root));
        memset(&answer->cache, 0, sizeof(answer->cache));
    }
    if (rc == 1)
        mc_err_set(err, "%s: made and wiped again and again by other trees meanwhile", label);
    mc_pull_guard_drop(&guard);
    free(path);
    return rc == 0 ? 0 : -1;
}

static int obtain(struct mc_config *cfg, struct answer *answer, struct mc_err *err)
{
    char label[MC_PATH_MAX + 32];
    struct mc_err why;

    if (choose_one(cfg, err) != 0)
        return -1;
    if (cfg->s3 && !cfg->existing_s3 && s3_ready(cfg->s3, err) != 0)
        return -1;
    if (cfg->new_cache)
        return create(cfg, answer, err);
    if (cfg->existing_s3)
        return attach_from_s3(cfg, answer, err);
    if (cfg->existing) {
        snprintf(label, sizeof(label), "%s", mc_setting(MC_ENV_EXISTING, cfg->existing));
        return attach(label, cfg->existing, 1, 0, cfg, answer, err);
    }
    if (cfg->name)
        return obtain_named(cfg, answer, err);
    if (cfg->inherited_path) {
        snprintf(label, sizeof(label), MC_ENV_PATH "=%s", cfg->inherited_path);
        if (attach(label, cfg->inherited_path, 0, 0, cfg, answer, &why) == 0)
            return 0;
        forget(answer);
        mc_log_always(MC_LOG_WARN, "%s; using a fresh cache", why.msg);
    }
    return create(cfg, answer, err);
}

/* obtain(); with S3 to ask (a download, the bucket's check), the starter
 * hears "busy" meanwhile, so that it waits as long as the work lasts. */
static int obtain_telling(struct mc_config *cfg, struct answer *answer, int reply_fd,
                          struct mc_err *err)
{
    int rc;

    answer->reply_fd = reply_fd;
    if (cfg->s3 || cfg->existing_s3)
        tell_busy(answer);
    rc = obtain(cfg, answer, err);
    stop_busy(answer);
    return rc;
}

static int compose(struct mc_config *cfg, struct answer *answer, struct mc_err *err)
{
    struct mc_reply_text *text = &answer->text;
    struct stat st;
    size_t i;

    if (fstat(answer->hold_fd, &st) != 0) {
        mc_err_sys(err, errno, "%s", answer->cache.lock_path);
        return -1;
    }
    mc_reply_add(text, "ok", NULL);
    mc_reply_add_set(text, MC_ENV_PATH, answer->cache.path);
    mc_reply_add_set(text, MC_ENV_ID, answer->cache.id);
    mc_reply_add_set(text, MC_ENV_ROOT, answer->cache.root);
    for (i = 0; i < cfg->export_count; i++)
        mc_reply_add_set(text, cfg->exports[i], answer->cache.path);
    /* What the tree asked for is done: its descendants must not ask again
     * for their own fresh caches (a locked one, kept for ever). */
    mc_reply_add(text, "unset", MC_ENV_NEW);
    mc_reply_add(text, "unset", MC_ENV_EXISTING);
    mc_reply_add(text, "unset", MC_ENV_NAME);
    mc_reply_add(text, "unset", MC_ENV_LOCK);
    mc_reply_add(text, "unset", MC_ENV_META);
    mc_reply_add(text, "unset", MC_ENV_OPTIONS);
    mc_reply_add_hold(text, (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
                      answer->cache.lock_path);
    if (text->overflow) {
        mc_err_set(err, "%s: answer too long", answer->cache.path);
        return -1;
    }
    return 0;
}

/* Who asked: pid and program name of the process at the other end. */
static void log_starter(const struct answer *answer, int reply_fd)
{
    const char *starter = getenv(MC_ENV_STARTER);
    struct ucred peer;
    socklen_t len = sizeof(peer);

    if (getsockopt(reply_fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0)
        peer.pid = 0;
    mc_log_event(MC_LOG_INFO, answer->attached ? "attached" : "created", answer->cache.id,
                 answer->cache.path, "cache %s %s at %s (root %s) for pid %ld (%.*s)",
                 answer->cache.id, answer->attached ? "attached" : "created", answer->cache.path,
                 answer->cache.root, (long)peer.pid, MC_STARTER_MAX + 32,
                 starter && *starter ? starter : "?");
    mc_log(MC_LOG_DEBUG, "watcher %ld watching cache %s through %s", (long)getpid(),
           answer->cache.id, answer->cache.lock_path);
}

static void answer_failure(int reply_fd, enum mc_on_error on_error, const char *message)
{
    char data[MC_ERR_MAX + 16];
    struct mc_reply_text text;

    mc_reply_text_init(&text, data, sizeof(data));
    if (on_error == MC_ON_ERROR_CONTINUE) {
        mc_log_always(MC_LOG_WARN, "%s; running without a cache", message);
        mc_reply_add(&text, "disabled", NULL);
    } else {
        mc_log_always(MC_LOG_ERROR, "%s", message);
        mc_reply_add(&text, "error", message);
    }
    if (!text.overflow)
        mc_reply_send(reply_fd, data, text.len, -1);
}

static void report_gc(enum mc_gc_action action, const char *id, const char *message, void *ctx)
{
    (void)ctx;
    if (action == MC_GC_FAILED)
        mc_log(MC_LOG_WARN, "gc: %s: %s", id, message);
    else if (action == MC_GC_BUSY || action == MC_GC_LEFT || action == MC_GC_LATER ||
             action == MC_GC_NOT_ASKED)
        mc_log(MC_LOG_INFO, "gc: %s: left: %s", id, message);
    else if (action != MC_GC_WOULD)
        mc_log(MC_LOG_INFO, "gc: reclaimed cache %s", id);
}

/* The directory as created or attached, kept open so that its inode cannot
 * be reused by another directory before the release compares them. -1 if it
 * is not (any more) the directory recorded. */
static int open_own_dir(struct answer *answer)
{
    struct mc_dir_id now;
    struct mc_err err;
    cJSON *meta = NULL;
    int fd;

    if (mc_cache_open(&answer->cache, &fd, &meta, &err) != 0)
        return -1;
    cJSON_Delete(meta);
    if (mc_dir_id_of(fd, &now) != 0 || !mc_dir_id_same(&answer->cache.dir, &now)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reclaims what dead trees left under the root — their lock files, never
 * the meta of a kept cache — in a thread of ours: a short-lived tree's last
 * holder waits for its release, not for a sweep of unrelated caches, and a
 * child process would be left for init to reap. At most one sweep per root
 * at a time, at most one per MC_SWEEP_INTERVAL_MS: a new tree's share stays
 * the same however many caches the root keeps, and a dead tree is still
 * reclaimed by the next tree to start a second later. The watcher lets its
 * waiters go when the release is done and ends after the sweep. */
struct sweeping {
    struct answer *answer;
    int claim_fd;       /* holds the root's sweep lock until the sweep ends */
    pthread_t thread;
    int running;        /* thread to join */
};

static void *sweep(void *arg)
{
    struct sweeping *sweeping = arg;
    /* Other caches: this host may never have joined their count. */
    struct mc_share others = sweeping->answer->share.share;
    struct mc_gc_options options = { MC_GC_LOCK_FILES, &others, 0, sweeping->answer->cache.id,
                                     report_gc, NULL, NULL };
    struct mc_err err;

    others.registered = 0;
    /* A cache a release kept on a doubt is decided again a lease later. */
    if (sweeping->answer->share.rc)
        others.quiet_s = sweeping->answer->share.rc->lease_s;

    if (mc_gc(&sweeping->answer->root, &options, &err) < 0)
        mc_log(MC_LOG_WARN, "gc: %s", err.msg);
    close(sweeping->claim_fd);
    return NULL;
}

static void sweep_in_background(struct sweeping *sweeping)
{
    sweeping->running = 0;
    sweeping->claim_fd = mc_gc_claim_sweep(&sweeping->answer->root, MC_SWEEP_INTERVAL_MS);
    if (sweeping->claim_fd < 0)
        return;
    if (pthread_create(&sweeping->thread, NULL, sweep, sweeping) == 0) {
        sweeping->running = 1;
        return;
    }
    close(sweeping->claim_fd);
}

/* Before a fork, and before the watcher ends: a thread does not exist in
 * a forked child (joining it there would wait for ever), and the locks it
 * holds would stay held. */
static void sweep_finish(struct sweeping *sweeping)
{
    if (!sweeping->running)
        return;
    pthread_join(sweeping->thread, NULL);
    sweeping->running = 0;
}

/* Keeps the starter's stderr only where holding it open blocks nobody (a
 * terminal, a file): a pipe would make `out=$(program 2>&1)` wait for the
 * cache's last holder instead of the program. */
static void let_go_of_stderr_pipe(void)
{
    struct stat st;
    int null;

    if (fstat(STDERR_FILENO, &st) == 0 && (isatty(STDERR_FILENO) || S_ISREG(st.st_mode)))
        return;
    null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, STDERR_FILENO);
        close(null);
    }
}

/* The release must wait for a flock() on the cache directory, which the
 * last holder itself may hold (`flock "$MONOCACHE_PATH" cmd`): let the
 * holders waiting for the release end now, so that such a lock goes with
 * them, and finish the release in a child of ours (we exit, so that our
 * go-between, and then the waiting starter, can be reaped at once). */
static void let_waiters_go(void *ctx)
{
    struct sweeping *sweeping = ctx;
    const struct answer *answer = sweeping->answer;
    pid_t child;

    /* The renewer was stopped before the release; the sweeper ends here. */
    sweep_finish(sweeping);
    mc_log(MC_LOG_INFO, "cache %s: its directory is flock()ed; releasing it in the background",
           answer->cache.id);
    child = fork();
    if (child > 0 || child < 0)
        mc_session_drop_watcher(answer->watch_fd);
    if (child > 0)
        _exit(0);
}

/* The holders waiting for the release (not for the watcher's exit) go on. */
static void let_holders_go(void *ctx)
{
    const struct answer *answer = ctx;

    mc_session_drop_watcher(answer->watch_fd);
}

/* The tree's last holder let go with exit status 0 (not a signal, not a
 * tree that ended without letting go). */
static int tree_succeeded(const struct answer *answer)
{
    return mc_lock_state(answer->watch_fd) == MC_STATE_RELEASING &&
           mc_lock_end_of(answer->watch_fd) == 0;
}

static int watch(struct answer *answer)
{
    struct sweeping sweeping = { answer, -1, 0, 0 };
    struct mc_release_opts wait = { MC_DIR_LOCK_WAIT_MS, let_waiters_go, &sweeping,
                                    &answer->share.share };
    struct mc_err err;
    struct stat st;
    int outcome;

    sweep_in_background(&sweeping);
    while (flock(answer->watch_fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            mc_log(MC_LOG_ERROR, "%s: cannot wait for holders: %s", answer->cache.lock_path,
                   strerror(errno));
            outcome = -1;
            goto out;
        }
    }
    if (fstat(answer->watch_fd, &st) != 0 || st.st_nlink == 0) {
        outcome = MC_DISPOSE_GONE;  /* released by someone else (gc, rm) */
        goto out;
    }
    watch_share_stop_renewing(&answer->share);
    if (answer->s3_async)
        mc_session_drop_watcher(answer->watch_fd);
    upload_at_release(&(struct upload_target){ &answer->cache, answer->dir_fd, answer->s3_home,
                                               answer->s3_upload, tree_succeeded(answer),
                                               answer->s3_timeout_s,
                                               answer->s3_async ? NULL : let_holders_go,
                                               answer });
    outcome = mc_release(&answer->cache, answer->watch_fd, answer->dir_fd, &wait, &err);
    if (outcome == MC_DISPOSE_BUSY)
        mc_log_always(MC_LOG_WARN, "%s", err.msg);
    if (outcome == MC_DISPOSE_UNSURE || outcome == MC_DISPOSE_DOUBT)
        mc_log_always(MC_LOG_WARN, "cache %s: %s", answer->cache.id, err.msg);
    if (outcome < 0)
        mc_log_always(MC_LOG_ERROR, "%s", err.msg);
out:
    /* The release is done: whoever waits for it goes on now, not after the
     * sweep. */
    mc_session_drop_watcher(answer->watch_fd);
    sweep_finish(&sweeping);
    return outcome < 0;
}

/* The tree will not start: a cache made for it goes, one attached to stays. */
static void give_up(struct answer *answer)
{
    struct mc_err err;

    if (!answer->attached) {
        if (mc_cache_dispose(&answer->cache, &answer->cache.dir, -1, MC_WIPE_LOCKED, NULL,
                             &err) < 0)
            mc_log(MC_LOG_WARN, "%s", err.msg);
        unlink(answer->cache.lock_path);
    }
    close(answer->hold_fd);
    answer->hold_fd = -1;
}

/* A cache counted in Redis says so in its meta (the URL, no password), so
 * that a host not using that register never wipes it (release.c); one with
 * an S3 home (MONOCACHE_S3, or where it came from) says where it goes. */
static int mark_counted(struct mc_config *cfg, struct mc_err *err)
{
    /* MONOCACHE_S3 (run --s3) if given, else where it came from; none for
     * a tree that never uploads. */
    const char *s3_home = cfg->s3_upload == MC_S3_UPLOAD_NEVER ? NULL
                        : cfg->s3 ? cfg->s3 : cfg->existing_s3;

    if ((!cfg->redis || !cfg->redis->enabled) && !s3_home)
        return 0;
    if (!cfg->meta)
        cfg->meta = cJSON_CreateObject();
    if (!cfg->meta || (cfg->redis && cfg->redis->enabled &&
                       mc_meta_set_key(cfg->meta, MC_META_REGISTER,
                                       cJSON_CreateString(cfg->redis->display)) != 0) ||
        (s3_home && upload_mark_start(cfg->meta, s3_home,
                                      cfg->s3_upload == MC_S3_UPLOAD_ALWAYS) != 0)) {
        mc_err_set(err, "out of memory");
        return -1;
    }
    return 0;
}

/* Where ps shows what this watcher watches: the blanks its starter gave
 * as the last argument, overwritten with "of <cache id>". */
static char *title_room;
static size_t title_room_size;

static void set_title(const char *id)
{
    size_t i;

    if (!title_room)
        return;
    snprintf(title_room, title_room_size, "of %s", id);
    for (i = strlen(title_room); i < title_room_size; i++)
        title_room[i] = '\0';
}

static int serve(int reply_fd)
{
    struct answer answer = { .hold_fd = -1, .watch_fd = -1, .dir_fd = -1 };
    struct mc_config cfg;
    struct mc_err err;
    int claimed = -1;
    int rc;

    if (mc_config_load(&cfg, tool_getenv, NULL, &err) != 0) {
        enum mc_on_error on_error;
        struct mc_err ignored;

        if (mc_parse_on_error(getenv(MC_ENV_ON_ERROR), &on_error, &ignored) != 0)
            on_error = MC_ON_ERROR_FAIL;
        mc_log_setup(MC_LOG_ERROR, getenv(MC_ENV_LOG_FILE), &ignored);
        answer_failure(reply_fd, on_error, err.msg);
        return MC_EXIT_OWN_ERROR;
    }
    mc_log_set_format(cfg.log_json ? MC_LOG_JSON : MC_LOG_TEXT);
    if (mc_log_setup(cfg.log_level, cfg.log_file, &err) != 0)
        mc_log_always(MC_LOG_WARN, "%s", err.msg);
    answer.reply = malloc(MC_REPLY_MAX);
    if (!answer.reply) {
        answer_failure(reply_fd, cfg.on_error, "out of memory");
        mc_config_free(&cfg);
        return MC_EXIT_OWN_ERROR;
    }
    mc_reply_text_init(&answer.text, answer.reply, MC_REPLY_MAX);
    /* Relative paths in the configuration are the starter's: resolve them
     * before leaving its working directory. */
    if (mark_counted(&cfg, &err) != 0 || obtain_telling(&cfg, &answer, reply_fd, &err) != 0 ||
        compose(&cfg, &answer, &err) != 0) {
        answer_failure(reply_fd, cfg.on_error, err.msg);
        if (answer.hold_fd >= 0)
            close(answer.hold_fd);
        rc = MC_EXIT_OWN_ERROR;
        goto out;
    }
    claimed = mc_session_claim_watcher(answer.cache.lock_path, answer.hold_fd,
                                       &answer.watch_fd, &err);
    if (claimed < 0)
        mc_log_always(MC_LOG_WARN, "%s; no watcher for this cache", err.msg);
    if (claimed == 0 && watch_share_join(&answer.share, &cfg, &answer.cache, &err) != 0) {
        answer_failure(reply_fd, MC_ON_ERROR_FAIL, err.msg);
        give_up(&answer);
        rc = MC_EXIT_OWN_ERROR;
        goto out;
    }
    answer.s3_async = cfg.s3_async;
    answer.s3_timeout_s = cfg.s3_timeout_s;
    answer.s3_home = cfg.s3_upload == MC_S3_UPLOAD_NEVER ? NULL
                   : cfg.s3 ? cfg.s3 : cfg.existing_s3;
    answer.s3_upload = cfg.s3_upload;
    if (claimed == 0) {
        answer.dir_fd = open_own_dir(&answer);
        if (answer.dir_fd < 0 && answer.share.share.registered) {
            /* Wiped by another host between our attach and our count. */
            watch_share_leave(&answer.share);
            mc_err_set(&err, "%s: wiped by another host as it was attached", answer.cache.path);
            answer_failure(reply_fd, MC_ON_ERROR_FAIL, err.msg);
            give_up(&answer);
            rc = MC_EXIT_OWN_ERROR;
            goto out;
        }
    }
    log_starter(&answer, reply_fd);
    set_title(answer.cache.id);
    if (claimed == 0)
        mc_session_record(answer.watch_fd, &answer.cache.dir, (long)getpid(),
                          answer.cache.lock_path, &err);
    if (mc_reply_send(reply_fd, answer.reply, answer.text.len, answer.hold_fd) != 0)
        mc_log(MC_LOG_WARN, "cannot answer the process that asked for a cache: %s",
               strerror(errno));
    /* Our copy of the hold first: the starter waits for the socket to close
     * before its program runs (reply.h). */
    close(answer.hold_fd);
    close(reply_fd);
    let_go_of_stderr_pipe();
    if (chdir("/") != 0)
        mc_log(MC_LOG_WARN, "cannot leave the working directory: %s", strerror(errno));
    rc = claimed == 0 ? watch(&answer) : 0;
out:
    if (claimed == 0)
        watch_share_end(&answer.share);
    if (answer.watch_fd >= 0)
        close(answer.watch_fd);
    if (answer.dir_fd >= 0)
        close(answer.dir_fd);
    free(answer.reply);
    forget(&answer);
    mc_config_free(&cfg);
    mc_log_close();
    return rc;
}

int watch_main(int argc, char **argv)
{
    if (argc >= 2 && argv[argc - 1][0] == ' ') {
        title_room = argv[argc - 1];
        title_room_size = strlen(title_room);
    }
    if (fcntl(MC_WATCH_REPLY_FD, F_SETFD, FD_CLOEXEC) != 0) {
        fprintf(stderr, "monocache: __watch is internal: it is started by libmonocache.so and "
                "monocache run\n");
        return MC_EXIT_OWN_ERROR;
    }
    reset_signals();
    /* Our parent is the starter's go-between, which waits for us and is
     * reaped by the starter when the release it waited for is done (launch.h):
     * no zombie is left even under a pid 1 that never reaps. A session of our
     * own keeps the program's job control and terminal signals away. */
    setsid();
    /* No core dump, no ptrace by other processes of the user: a Redis
     * password lives in this memory for the cache's whole life. */
    prctl(PR_SET_DUMPABLE, 0);
    umask(077);
    raise_fd_limit();
    return serve(MC_WATCH_REPLY_FD);
}
