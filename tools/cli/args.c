/* args.c — opening what a command's arguments name: the root (--root,
 * MONOCACHE_ROOT, the default), one cache by id or path, and the Redis
 * register when configured. Each prints its error and returns -1. */
#include "cli.h"
#include "common/log.h"
#include "host/proto.h"
#include "redis/register.h"
#include "shared/tool.h"

#include <stdlib.h>
#include <string.h>

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

int cli_open_cache(const char *arg, const char *root_option, struct mc_cache *cache)
{
    const char *given = root_option ? root_option : getenv(MC_ENV_ROOT);
    char id[MC_ID_LEN + 1];
    struct mc_root root;
    struct mc_err err;
    int rc;

    if (given && !*given)
        given = NULL;
    if (mc_cache_resolve(arg, arg, given, getenv("TMPDIR"), &root, id, &err) != 0) {
        mc_log_always(MC_LOG_ERROR, "%s", err.msg);
        return -1;
    }
    rc = mc_cache_init(cache, &root, id, &err);
    mc_root_free(&root);
    if (rc != 0)
        mc_log_always(MC_LOG_ERROR, "%s", err.msg);
    return rc;
}
