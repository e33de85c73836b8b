/* args.c — opening what a command's arguments name: the root (--root,
 * MONOCACHE_ROOT, the default), one cache by id or path, and the Redis
 * register when configured. Each prints its error and returns -1. */
#include "cli.h"
#include "common/buf.h"
#include "common/ids.h"
#include "common/log.h"
#include "host/proto.h"
#include "redis/register.h"
#include "shared/tool.h"

#include <dirent.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

/* A prefix names a cache from this many characters; an ambiguous one lists
 * at most MC_PREFIX_SHOWN of the caches it matches. */
#define MC_PREFIX_MIN 4
#define MC_PREFIX_SHOWN 8

int cli_open_root(const char *command, const char *root_option, struct mc_root *root)
{
    const char *given = root_option ? root_option : getenv(MC_ENV_ROOT);
    struct mc_err err;
    int rc;

    if (given && !*given)
        given = NULL;
    rc = mc_root_open(given, getenv("TMPDIR"), MC_ROOT_EXISTING, root, &err);
    if (rc < 0)
        mc_log_always(MC_LOG_ERROR, "%s", err.msg);
    if (rc == 1 && given) {
        if (root_option)
            mc_log_always(MC_LOG_ERROR, "%s: --root %s: no such directory", command, given);
        else
            mc_log_always(MC_LOG_ERROR, "%s: " MC_ENV_ROOT "=%s: no such directory", command,
                          given);
        rc = -1;
    }
    if (rc == 0 && root->note)
        mc_log_always(MC_LOG_WARN, "%s", root->note);
    return rc;
}

int cli_open_share(struct cli_share *cs)
{
    struct mc_err err;

    memset(cs, 0, sizeof(*cs));
    if (mc_redis_config_load(&cs->rc, NULL, tool_getenv, NULL, &err) != 0) {
        mc_log_always(MC_LOG_ERROR, "%s", err.msg);
        return -1;
    }
    if (cs->rc.enabled && mc_register_open(&cs->rc, &cs->share.reg, &err) != 0) {
        mc_log_always(MC_LOG_ERROR, "%s", err.msg);
        mc_redis_config_free(&cs->rc);
        return -1;
    }
    return 0;
}

void cli_close_share(struct cli_share *cs)
{
    mc_register_close(cs->share.reg);
    mc_redis_config_free(&cs->rc);
    memset(cs, 0, sizeof(*cs));
}

/* A name without a '/': the cache of that name under the root if there is
 * one, else the one whose name it uniquely begins (as git and docker take
 * an id's prefix). The full id into `id`, 0; -1 with err if none or
 * several match (several: listed). */
static int find_by_name(const char *command, const char *name, const char *root_option, char *id,
                        struct mc_err *err)
{
    char found[MC_PREFIX_SHOWN][MC_ID_MAX + 1];
    size_t len = strlen(name);
    struct dirent *entry;
    struct mc_root root;
    struct mc_buf listed;
    struct stat st;
    int matches = 0;
    int i;
    DIR *dir;

    int rc = cli_open_root(command, root_option, &root);

    if (rc < 0) {
        err->msg[0] = '\0';
        return -1;
    }
    if (rc == 1) {
        mc_err_set(err, "%s: %s: no such cache (no cache has been made under the root yet)",
                   command, name);
        return -1;
    }
    if (mc_id_valid(name)) {
        char *path = mc_concat(root.cache_dir, "/", name, NULL);
        int there = path && lstat(path, &st) == 0;

        free(path);
        if (there) {
            mc_id_copy(id, name);
            mc_root_free(&root);
            return 0;
        }
    }
    if (len < MC_PREFIX_MIN || !mc_id_valid(name)) {
        mc_err_set(err, "%s: %s: %s (a cache is named by its id or name, " MC_ID_RULE ", a unique "
                   "prefix of one of at least %d characters, or <root>/cache/<id>)", command, name,
                   mc_id_valid(name) ? "no such cache under the root" : "not a cache name or path",
                   MC_PREFIX_MIN);
        mc_root_free(&root);
        return -1;
    }
    dir = opendir(root.cache_dir);
    while (dir && (entry = readdir(dir)) != NULL) {
        if (mc_id_valid(entry->d_name) && strncmp(entry->d_name, name, len) == 0) {
            if (matches < MC_PREFIX_SHOWN)
                mc_id_copy(found[matches], entry->d_name);
            matches++;
        }
    }
    if (dir)
        closedir(dir);
    mc_root_free(&root);
    if (matches == 1) {
        mc_id_copy(id, found[0]);
        return 0;
    }
    if (matches == 0) {
        mc_err_set(err, "%s: %s: no cache under the root is named so or starts so (nor is it a "
                   "path)", command, name);
        return -1;
    }
    mc_buf_init(&listed, MC_ERR_MAX);
    for (i = 0; i < matches && i < MC_PREFIX_SHOWN; i++)
        mc_buf_printf(&listed, "%s%s", i ? ", " : "", found[i]);
    mc_err_set(err, "%s: %s: ambiguous, %d caches start so: %s%s", command, name, matches,
               mc_buf_str(&listed), matches > MC_PREFIX_SHOWN ? ", ..." : "");
    mc_buf_free(&listed);
    return -1;
}

int cli_open_cache(const char *command, const char *arg, const char *root_option,
                   struct mc_cache *cache)
{
    const char *given = root_option ? root_option : getenv(MC_ENV_ROOT);
    char id[MC_ID_MAX + 1];
    struct mc_root root;
    struct mc_err err;
    int rc;

    if (given && !*given)
        given = NULL;
    if (!strchr(arg, '/')) {
        if (find_by_name(command, arg, root_option, id, &err) != 0) {
            if (err.msg[0])
                mc_log_always(MC_LOG_ERROR, "%s", err.msg);
            return -1;
        }
        arg = id;
    }
    if (mc_cache_resolve(arg, arg, given, getenv("TMPDIR"), &root, id, &err) != 0) {
        mc_log_always(MC_LOG_ERROR, "%s: %s", command, err.msg);
        return -1;
    }
    rc = mc_cache_init(cache, &root, id, &err);
    mc_root_free(&root);
    if (rc != 0)
        mc_log_always(MC_LOG_ERROR, "%s: %s", command, err.msg);
    return rc;
}
