/* cmd_s3.c — monocache push, pull, ls --s3 and rm --s3: the command side of
 * S3. The work is monocache-s3's (s3run.h); this checks the arguments,
 * finds the cache and its S3 home, and keeps meta.json's "s3_pending"
 * right. */
#include "cli.h"
#include "opts.h"
#include "shared/tool.h"
#include "local/cache.h"
#include "common/log.h"
#include "common/meta.h"
#include "host/proto.h"
#include "local/pullguard.h"
#include "s3/url.h"
#include "shared/s3report.h"
#include "shared/s3run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The tool's status as ours: its messages are printed already. */
static int tool_status(int rc, const struct mc_err *err)
{
    if (rc < 0) {
        mc_log_always(MC_LOG_ERROR, "%s", err->msg);
        return MC_EXIT_FAILED;
    }
    return rc == 0 ? 0 : rc == MC_EXIT_USAGE ? MC_EXIT_USAGE : MC_EXIT_FAILED;
}

/* The summary line at info, off a terminal (on one, the progress bar has
 * said it): url the S3 prefix, id/path the cache. */
static void log_report(const struct mc_s3_report *report, int pull, const char *url,
                       const char *id, const char *path)
{
    char *cache_url;

    if (isatty(STDERR_FILENO))
        return;
    cache_url = pull ? mc_concat(url, "/", NULL) : mc_concat(url, "/", id, "/", NULL);
    if (cache_url)
        mc_s3_report_log(report, pull, cache_url, id, path);
    free(cache_url);
}

static int check_location(const char *name, const char *url)
{
    struct mc_s3_location loc;
    struct mc_err err;

    if (mc_s3_parse_location(name, url, &loc, &err) != 0) {
        mc_log_always(MC_LOG_ERROR, "%s", err.msg);
        return -1;
    }
    mc_s3_location_free(&loc);
    return 0;
}

int cmd_push(int argc, char **argv)
{
    const char *url = NULL;
    const char *root = NULL;
    const char *args[4] = { "push", NULL, NULL, NULL };
    struct mc_s3_report report;
    struct mc_cache cache;
    struct mc_err err;
    const char *target;
    char *home;
    int pending;
    int targets;
    int rc;
    const struct cli_opt opts[] = {
        { "--s3", 0, NULL, &url, NULL },
        { "--root", 0, NULL, &root, NULL },
        { NULL, 0, NULL, NULL, NULL },
    };
    const struct cli_parse parse = { .command = "push", .usage = cli_usage_push, .opts = opts,
                                     .min_args = 1, .max_args = 1,
                                     .missing = CLI_WHICH_CACHE };

    if (!cli_parse(&parse, argc, argv, &targets, &rc))
        return rc;
    target = argv[1];
    if (cli_open_cache("push", target, root, &cache) != 0)
        return MC_EXIT_FAILED;
    home = mc_cache_s3_home(&cache, &pending);
    if (!url)
        url = home ? home : getenv(MC_ENV_S3);
    if (!url || !*url) {
        mc_log_always(MC_LOG_ERROR, "push: where to? (--s3 s3://bucket/prefix, or "
                      MC_ENV_S3 ")");
        rc = MC_EXIT_USAGE;
    } else if (check_location("--s3", url) != 0) {
        rc = MC_EXIT_USAGE;
    } else {
        args[1] = cache.path;
        args[2] = url;
        rc = tool_status(mc_s3_tool_run_report(args, &report, &err), &err);
        if (rc == 0 && pending && mc_cache_mark_pending(&cache, 0, &err) != 0) {
            mc_log_always(MC_LOG_ERROR, "%s", err.msg);
            rc = MC_EXIT_FAILED;
        }
        if (rc == 0)
            log_report(&report, 0, url, cache.id, cache.path);
    }
    free(home);
    mc_cache_free(&cache);
    return rc;
}

int cmd_pull(int argc, char **argv)
{
    const char *root_option = NULL;
    const char *args[6] = { "pull", NULL, NULL, NULL, NULL, NULL };
    char id[MC_ID_MAX + 1];
    int upload = 0;
    struct cli_share share;
    struct mc_s3_location loc;
    struct mc_root root;
    struct mc_err err;
    struct mc_pull_guard guard;
    struct mc_s3_report report;
    const char *url;
    char *path;
    int targets;
    int rc;
    const struct cli_opt opts[] = {
        { "--root", 0, NULL, &root_option, NULL },
        { "--upload", 0, &upload, NULL, NULL },
        { NULL, 0, NULL, NULL, NULL },
    };
    const struct cli_parse parse = { .command = "pull", .usage = cli_usage_pull, .opts = opts,
                                     .min_args = 1, .max_args = 1,
                                     .missing = "which cache? (s3://bucket/prefix/<id>)" };

    if (!cli_parse(&parse, argc, argv, &targets, &rc))
        return rc;
    url = argv[1];
    if (mc_s3_parse_location("pull", url, &loc, &err) != 0 || mc_s3_split_cache(&loc, id) != 0) {
        if (loc.bucket)
            mc_err_set(&err, "pull %s: expected s3://bucket/prefix/<cache id>", url);
        mc_s3_location_free(&loc);
        mc_log_always(MC_LOG_ERROR, "%s", err.msg);
        return MC_EXIT_USAGE;
    }
    mc_s3_location_free(&loc);
    if (mc_root_open(root_option ? root_option : getenv(MC_ENV_ROOT), getenv("TMPDIR"),
                     MC_ROOT_CREATE, &root, &err) != 0) {
        mc_log_always(MC_LOG_ERROR, "%s", err.msg);
        return MC_EXIT_FAILED;
    }
    if (cli_open_share(&share) != 0) {
        mc_root_free(&root);
        return MC_EXIT_FAILED;
    }
    if (mc_pull_guard_take(&root, id, &guard, NULL, NULL, &err) != 0) {
        mc_log_always(MC_LOG_ERROR, "pull: %s", err.msg);
        cli_close_share(&share);
        mc_root_free(&root);
        return MC_EXIT_FAILED;
    }
    switch (mc_local_copy_state(&root, id, share.share.reg)) {
    case MC_LOCAL_HELD:
        mc_log_always(MC_LOG_ERROR, "pull: %s/%s is held by a tree here; pull when it ends",
                      root.cache_dir, id);
        rc = MC_EXIT_FAILED;
        break;
    case MC_LOCAL_PENDING:
        mc_log_always(MC_LOG_ERROR, "pull: %s/%s has changes not uploaded yet (or an unreadable "
                      "meta.json); refused: monocache push %s first, or rm --force it",
                      root.cache_dir, id, id);
        rc = MC_EXIT_FAILED;
        break;
    case MC_LOCAL_SHARED:
        mc_log_always(MC_LOG_ERROR, "pull: %s/%s is in use elsewhere (the Redis register counts "
                      "its users, or cannot be asked); pull when they are done",
                      root.cache_dir, id);
        rc = MC_EXIT_FAILED;
        break;
    default:
        args[1] = url;
        args[2] = root.cache_dir;
        args[3] = root.run_dir;
        args[4] = upload ? "--upload" : NULL;
        rc = tool_status(mc_s3_tool_run_report(args, &report, &err), &err);
        path = rc == 0 ? mc_concat(root.cache_dir, "/", id, NULL) : NULL;
        if (path)
            log_report(&report, 1, url, id, path);
        if (rc == 0)
            printf("%s/%s\n", root.cache_dir, id);
        free(path);
    }
    mc_pull_guard_drop(&guard);
    cli_close_share(&share);
    mc_root_free(&root);
    return rc;
}

int cli_s3_ls(const char *url, int json)
{
    const char *args[4] = { "ls", url, json ? "--json" : NULL, NULL };
    struct mc_err err;

    if (check_location("ls --s3", url) != 0)
        return MC_EXIT_USAGE;
    return tool_status(mc_s3_tool_run(args, &err), &err);
}

/* check_location, for a URL that must name one cache (.../<cache id>). */
static int check_cache_location(const char *name, const char *url)
{
    struct mc_s3_location loc;
    char id[MC_ID_MAX + 1];
    struct mc_err err;
    int rc;

    if (mc_s3_parse_location(name, url, &loc, &err) != 0) {
        mc_log_always(MC_LOG_ERROR, "%s", err.msg);
        return -1;
    }
    rc = mc_s3_split_cache(&loc, id);
    mc_s3_location_free(&loc);
    if (rc != 0)
        mc_log_always(MC_LOG_ERROR, "%s %s: expected s3://bucket/prefix/<cache id>", name, url);
    return rc;
}

int cli_s3_rm(const char *url)
{
    const char *args[3] = { "rm", url, NULL };
    struct mc_err err;

    if (check_cache_location("rm --s3", url) != 0)
        return MC_EXIT_USAGE;
    return tool_status(mc_s3_tool_run(args, &err), &err);
}
