/* cmd_run.c — `monocache run -- PROGRAM ARGS...`: run a program with a cache
 * without typing LD_PRELOAD.
 *
 * Like the shim's first process, run asks a watcher for a cache and holds it;
 * it adds libmonocache.so to LD_PRELOAD (keeping what is there), starts the
 * program with the holder descriptor, passes on the signals it is sent, and
 * when the program ends lets go of its hold — waiting for the release if the
 * tree is gone — and exits as the program did. Inside a tree that already
 * has a cache (a nested run), it simply execs the program, one more holder. */
#include "cli.h"
#include "run.h"
#include "supervise.h"
#include "opts.h"
#include "common/setting.h"
#include "shared/tool.h"
#include "host/answer.h"
#include "host/ask.h"
#include "common/buf.h"
#include "host/hold.h"
#include "host/install.h"
#include "host/launch.h"
#include "host/lockfile.h"
#include "common/log.h"
#include "common/jsontext.h"
#include "common/meta.h"
#include "host/proto.h"
#include "redis/redisconf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MC_RUN_REAP_WAIT_MS 1000
#define MC_INIT_PID 1


#define MC_RUN_HELP 1

#define run_usage(...) cli_bad_usage("run", cli_usage_run, -1, __VA_ARGS__)

/* --meta KEY=VALUE, checked as monocache meta checks it; 0, or -1 (printed). */
static int add_meta(const char *option, const char *pair, void *ctx)
{
    struct run_options *options = ctx;
    const char *equals = strchr(pair, '=');
    const char *why;
    char *key;
    cJSON *value;

    if (!equals || equals == pair)
        return run_usage("%s %s: expected KEY=VALUE", option, pair);
    key = strndup(pair, (size_t)(equals - pair));
    value = mc_meta_value_from_text(equals + 1);
    if (!options->meta)
        options->meta = cJSON_CreateObject();
    if (!key || !value || !options->meta) {
        free(key);
        cJSON_Delete(value);
        return run_usage("%s %s: out of memory", option, pair);
    }
    if (mc_meta_key_check(key, value, &why) != 0) {
        run_usage("%s %s: %s", option, pair, why);
        free(key);
        cJSON_Delete(value);
        return -1;
    }
    mc_meta_set_key(options->meta, key, value);
    free(key);
    return 0;
}

/* --redis URL: a copy of the one that counts (the last), for the watcher's
 * environment; in our own argv (seen by ps in /proc/<pid>/cmdline) every
 * --redis value is starred. Prefer MONOCACHE_REDIS_PASSWORD: until this
 * runs, the argv shows it. */
static int take_redis(const char *option, const char *url, void *ctx)
{
    struct run_options *options = ctx;

    free(options->redis_copy);
    options->redis_copy = strdup(url);
    mc_redis_star((char *)url);
    if (!options->redis_copy)
        return run_usage("%s: out of memory", option);
    options->redis = options->redis_copy;
    return 0;
}

/* The variables run sets from its options, so that messages (its own and
 * its watcher's) name the options that were typed. */
static void note_options(const struct run_options *options)
{
    if (options->root)
        mc_setting_from_option(MC_ENV_ROOT, "--root");
    if (options->existing)
        mc_setting_from_option(MC_ENV_EXISTING, "--existing");
    if (options->name)
        mc_setting_from_option(MC_ENV_NAME, "--name");
    if (options->new_cache)
        mc_setting_from_option(MC_ENV_NEW, "--new");
    if (options->exports)
        mc_setting_from_option(MC_ENV_EXPORT, "--export");
    if (options->redis)
        mc_setting_from_option(MC_ENV_REDIS, "--redis");
    if (options->s3)
        mc_setting_from_option(MC_ENV_S3, "--s3");
    if (options->s3_upload)
        mc_setting_from_option(MC_ENV_S3_UPLOAD, "--s3-upload");
    if (options->restore_keys)
        mc_setting_from_option(MC_ENV_S3_RESTORE_KEYS, "--restore-keys");
}

/* 0, MC_RUN_HELP (usage printed on stdout), or -1 (reported). */
static int parse_options(int argc, char **argv, struct run_options *options)
{
    const struct cli_opt opts[] = {
        { "--root", 0, NULL, &options->root, NULL },
        { "--existing", 0, NULL, &options->existing, NULL },
        { "--name", 0, NULL, &options->name, NULL },
        { "--export", 0, NULL, &options->exports, NULL },
        { "--redis", 0, NULL, NULL, take_redis },
        { "--s3", 0, NULL, &options->s3, NULL },
        { "--s3-upload", 0, NULL, &options->s3_upload, NULL },
        { "--restore-keys", 0, NULL, &options->restore_keys, NULL },
        { "--meta", 0, NULL, NULL, add_meta },
        { "--lock", 0, &options->lock, NULL, NULL },
        { "--new", 0, &options->new_cache, NULL, NULL },
        { "--init", 0, &options->init, NULL, NULL },
        { NULL, 0, NULL, NULL, NULL },
    };
    const struct cli_parse parse = { .command = "run", .usage = cli_usage_run, .opts = opts,
                                     .min_args = 1, .max_args = CLI_ANY,
                                     .missing = "no program given", .ctx = options,
                                     .stop_at_argument = 1 };
    struct mc_err err;
    char **names = NULL;
    size_t count = 0;
    int rest;
    int rc;

    if (!cli_parse(&parse, argc, argv, &rest, &rc))
        return rc == 0 ? MC_RUN_HELP : -1;
    if (!!options->new_cache + !!options->existing + !!options->name > 1)
        return run_usage("%s do not go together", options->name
                         ? (options->existing ? "--name and --existing" : "--name and --new")
                         : "--new and --existing");
    if (options->exports && mc_parse_exports("--export ", options->exports, &names, &count,
                                             &err) != 0)
        return run_usage("%s", err.msg);
    mc_free_names(names, count);
    note_options(options);
    if (options->name && mc_check_name(options->name, &err) != 0)
        return run_usage("%s", err.msg);
    if (options->s3_upload &&
        mc_parse_s3_upload(options->s3_upload, &(enum mc_s3_upload_when){ 0 }, &err) != 0)
        return run_usage("%s", err.msg);
    if (options->restore_keys && mc_check_restore_keys(options->restore_keys, &err) != 0)
        return run_usage("%s", err.msg);
    options->program = argv + 1;
    return 0;
}


/* Applies the answer to our own environment; returns the holder descriptor
 * placed out of the way, -2 for "run without a cache", -1 on error. */
static int apply_answer(char *text, size_t len, int received_fd, const char **lock_path_out)
{
    struct mc_hold hold;
    const char *why;

    switch (mc_answer_apply(text, len, received_fd, &hold, &why)) {
    case MC_ANSWER_REFUSED:
        return -1;
    case MC_ANSWER_DISABLED:
        return -2;
    case MC_ANSWER_BROKEN:
        mc_log_always(MC_LOG_ERROR, "%s", why);
        return -1;
    case MC_ANSWER_HELD:
        break;
    }
    *lock_path_out = hold.lock_path;
    return hold.fd;
}


/* The watcher: the monocache next to the library if there is one (as the
 * shim would pick it; the test suite puts a valgrind wrapper there), else
 * this very executable, from whose install the library was found. */
static char *watcher_path(const char *lib)
{
    static const char *const here[] = { "", NULL };
    static const char *const names[] = { "monocache", NULL };
    char *path = mc_find_installed(lib, here, names, X_OK, NULL);
    char *self;

    if (path)
        return path;
    self = realpath("/proc/self/exe", NULL);
    return self ? self : strdup("/proc/self/exe");
}

/* Our hold ends with the program: if the tree is gone, wait for the release. */
static void let_go(int hold_fd, const char *lock_path, pid_t go_between, int how)
{
    struct stat held;

    if (hold_fd < 0)
        return;
    if (fstat(hold_fd, &held) != 0) {
        close(hold_fd);
        return;
    }
    if (mc_lock_let_go(hold_fd, (unsigned long long)held.st_dev, (unsigned long long)held.st_ino,
                       lock_path, how))
        mc_launch_reap(go_between, MC_RUN_REAP_WAIT_MS);
}

static int run_with_watcher(struct run_options *options, const char *lib)
{
    const char *lock_path = NULL;
    struct mc_asked asked;
    char *answer = malloc(MC_REPLY_MAX);
    char **env = run_watcher_env(options);
    int outer_fd = run_tree_hold_fd();
    pid_t go_between = -1;
    char *helper;
    int reap_all;
    int hold_fd;
    int status;
    long len;
    int rc;

    if (!answer || !env) {
        mc_log_always(MC_LOG_ERROR, "out of memory");
        free(answer);
        run_free_env(env);
        return MC_EXIT_OWN_ERROR;
    }
    helper = watcher_path(lib);
    len = helper ? mc_ask_watcher(helper, env, answer, MC_REPLY_MAX, &asked) : -1;
    if (!helper)
        snprintf(asked.why, sizeof(asked.why), "out of memory");
    free(helper);
    run_free_env(env);
    if (len < 0) {
        mc_log_always(MC_LOG_ERROR, "%s", asked.why);
        free(answer);
        return MC_EXIT_OWN_ERROR;
    }
    go_between = asked.go_between;
    hold_fd = apply_answer(answer, (size_t)len, asked.hold_fd, &lock_path);
    free(answer);
    if (hold_fd == -1)
        return MC_EXIT_OWN_ERROR;
    /* --new or --existing inside a tree: run belongs to that tree, the
     * program does not (it holds only its own cache). */
    if (outer_fd >= 0)
        fcntl(outer_fd, F_SETFD, FD_CLOEXEC);
    if (run_compose_preload(lib) != 0) {
        mc_log_always(MC_LOG_ERROR, "cannot set LD_PRELOAD");
        rc = MC_EXIT_OWN_ERROR;
        goto release;
    }
    reap_all = supervise_become_init(options->init);
    supervise_forwarding(1);
    rc = supervise_start(options->program);
    if (rc != 0)
        goto release;
    status = supervise_wait(reap_all);
    if (getpid() == MC_INIT_PID)
        supervise_end_the_rest(go_between);
    supervise_forwarding(0);
    let_go(hold_fd, lock_path, go_between,
           WIFSIGNALED(status) ? MC_END_SIGNAL(WTERMSIG(status)) : WEXITSTATUS(status));
    if (reap_all)
        supervise_reap_ended();
    return supervise_exit_like(status);
release:
    supervise_forwarding(0);
    let_go(hold_fd, lock_path, go_between, rc);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    struct run_options options;
    char *lib;
    int rc;

    memset(&options, 0, sizeof(options));
    rc = parse_options(argc, argv, &options);
    if (rc != 0) {
        cJSON_Delete(options.meta);
        free(options.redis_copy);
        return rc == MC_RUN_HELP ? 0 : MC_EXIT_OWN_ERROR;
    }
    supervise_take_sigchld();
    lib = NULL;
    if (tool_setup_log(0) != 0) {
        rc = MC_EXIT_OWN_ERROR;
    } else if (!(lib = tool_find_library())) {
        mc_log_always(MC_LOG_ERROR, MC_LIB_NOT_FOUND);
        rc = MC_EXIT_OWN_ERROR;
    } else if (!options.new_cache && !options.existing && !options.name &&
               !run_env_flag(MC_ENV_NEW) && !run_env_text(MC_ENV_EXISTING) &&
               !run_env_text(MC_ENV_NAME) && run_tree_hold_fd() >= 0) {
        rc = run_nested(&options, lib);
    } else {
        rc = run_with_watcher(&options, lib);
    }
    cJSON_Delete(options.meta);
    free(options.redis_copy);
    free(lib);
    return rc;
}
