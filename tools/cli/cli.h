/* cli.h — what the monocache command's files share: subcommand entry points
 * and small helpers for opening roots and caches from arguments. */
#ifndef MC_CLI_H
#define MC_CLI_H

#include "local/cache.h"
#include "common/config.h"
#include "redis/redisconf.h"
#include "local/release.h"
#include "common/root.h"

int cmd_run(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_meta(int argc, char **argv);
int cmd_lock(int argc, char **argv);
int cmd_unlock(int argc, char **argv);
int cmd_gc(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_preload_path(int argc, char **argv);

int cmd_holders(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_pull(int argc, char **argv);
/* ls --s3 URL and rm --s3 URL (cmd_s3.c). */
int cli_s3_ls(const char *url, int json);
int cli_s3_rm(const char *url);

/* Usage texts (usage.c). */
extern const char cli_usage_main[], cli_usage_run[], cli_usage_ls[], cli_usage_meta[],
    cli_usage_lock[], cli_usage_unlock[], cli_usage_holders[], cli_usage_gc[], cli_usage_rm[],
    cli_usage_preload_path[], cli_usage_push[], cli_usage_pull[];
/* Prints usage on stdout; returns 0. */
int cli_help(const char *usage);
/* "VALUE" of an "--option=VALUE" argument, or NULL. */
const char *cli_inline_value(const char *arg, const char *option);
/* 1 if arg is --help or -h. */
int cli_is_help(const char *arg);
/* "monocache: COMMAND: <what is wrong>", then the synopsis (usage's first
 * line) and where to read more, on stderr; returns status. */
int cli_bad_usage(const char *command, const char *usage, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The Redis register, when configured, for gc, rm and ls. */
struct cli_share {
    struct mc_redis_config rc;
    struct mc_share share;
};
/* 0 (share.reg NULL when Redis is not configured), or -1 (printed). */
int cli_open_share(struct cli_share *cs);
void cli_close_share(struct cli_share *cs);

#define MC_EXIT_FAILED 1
#define MC_EXIT_USAGE 2

/* Resolves an id, name, unique prefix or path argument into an initialised
 * cache; `root_option` is --root or NULL (then MONOCACHE_ROOT, then the
 * default). Prints the error, after "<command>: ", and returns -1 on
 * failure. */
int cli_open_cache(const char *command, const char *arg, const char *root_option,
                   struct mc_cache *cache);
/* The root from --root / MONOCACHE_ROOT / default, without creating it. 0,
 * 1 if the default root does not exist (no caches yet), -1 (printed) on
 * error — a root that was named but does not exist included. */
int cli_open_root(const char *command, const char *root_option, struct mc_root *root);

#endif
