/* run_nested.c — monocache run inside a tree that has a cache already: the
 * program joins it (one more holder); options meant for a new cache apply to
 * the tree's, or are refused when they cannot. */
#include "run.h"
#include "supervise.h"
#include "common/jsontext.h"
#include "common/log.h"
#include "common/meta.h"
#include "host/hold.h"
#include "host/proto.h"
#include "redis/redisconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* run --redis inside a tree: the tree's watcher counts its cache already,
 * in the tree's Redis (or none); another one would be silently ignored. */
static int same_redis(const char *wanted, const char *tree_url)
{
    char *shown_wanted;
    char *shown_tree;

    if (tree_url && strcmp(wanted, tree_url) == 0)
        return 1;
    shown_wanted = mc_redis_redact(wanted);
    shown_tree = tree_url ? mc_redis_redact(tree_url) : NULL;
    mc_log_always(MC_LOG_ERROR, "run: --redis %s: this tree's cache is counted %s%s; add --new "
                  "for a cache counted there", shown_wanted ? shown_wanted : "?",
                  shown_tree ? "in " : "in no Redis register",
                  shown_tree ? shown_tree : "");
    free(shown_wanted);
    free(shown_tree);
    return 0;
}

/* run --s3 inside a tree: the tree's watcher uploads its cache to the
 * tree's S3 home (or nowhere); another one would be silently ignored. */
static int same_s3_home(const char *wanted, const char *tree_home)
{
    if (tree_home && strcmp(wanted, tree_home) == 0)
        return 1;
    mc_log_always(MC_LOG_ERROR, "run: --s3 %s: this tree's cache goes %s%s at its release; "
                  "add --new for a cache that goes there", wanted,
                  tree_home ? "to " : "to no S3", tree_home ? tree_home : "");
    return 0;
}

/* Options meant for a new cache, applied to the tree's: --lock and --meta
 * change its meta, --export sets the variables; a different --root is an
 * error (--new makes a cache there). */
static int apply_to_tree_cache(const struct run_options *options)
{
    const char *path = getenv(MC_ENV_PATH);
    const char *tree_root = getenv(MC_ENV_ROOT);
    struct mc_cache cache;
    struct mc_err err;
    char **names = NULL;
    size_t count = 0;
    char *wanted;
    size_t i;
    int rc = 0;

    if (!path)
        return -1;
    if (options->root) {
        wanted = realpath(options->root, NULL);
        rc = !wanted || !tree_root || strcmp(wanted, tree_root) != 0;
        free(wanted);
        if (rc) {
            mc_log_always(MC_LOG_ERROR, "run: --root %s: this tree's cache is under %s; add --new "
                          "for a cache there", options->root, tree_root ? tree_root : "?");
            return -1;
        }
    }
    if (options->redis && !same_redis(options->redis, getenv(MC_ENV_REDIS)))
        return -1;
    if (options->s3 && !same_s3_home(options->s3, getenv(MC_ENV_S3)))
        return -1;
    if (options->lock || options->meta) {
        if (cli_open_cache("run", path, NULL, &cache) != 0)
            return -1;
        rc = mc_cache_apply(&cache, options->lock, options->meta, &err);
        mc_cache_free(&cache);
        if (rc != 0) {
            mc_log_always(MC_LOG_ERROR, "%s", err.msg);
            return -1;
        }
    }
    if (mc_parse_exports("run: --export ", options->exports, &names, &count, &err) != 0) {
        mc_log_always(MC_LOG_ERROR, "%s", err.msg);
        return -1;
    }
    for (i = 0; i < count; i++) {
        rc |= setenv(names[i], path, 1);
        free(names[i]);
    }
    free(names);
    return rc;
}

int run_nested(const struct run_options *options, const char *lib)
{
    char **program = options->program;

    if (apply_to_tree_cache(options) != 0)
        return MC_EXIT_OWN_ERROR;
    supervise_give_back_sigchld();
    if (run_compose_preload(lib) != 0) {
        mc_log_always(MC_LOG_ERROR, "cannot set LD_PRELOAD");
        return MC_EXIT_OWN_ERROR;
    }
    execvp(program[0], program);
    mc_log_always(MC_LOG_ERROR, "%s: %s", program[0], strerror(errno));
    return supervise_exec_status(errno);
}
