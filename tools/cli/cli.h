/* cli.h — what the monocache command's files share: subcommand entry points
 * and small helpers for opening roots and caches from arguments. */
#ifndef MC_CLI_H
#define MC_CLI_H

#include "cache.h"
#include "config.h"
#include "redisconf.h"
#include "release.h"
#include "root.h"

int cmd_run(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_meta(int argc, char **argv);
int cmd_lock(int argc, char **argv);
int cmd_unlock(int argc, char **argv);
int cmd_gc(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_watch(int argc, char **argv);
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

/* getenv as an mc_getenv_fn. */
const char *cli_getenv(const char *name, void *ctx);
/* Sets up logging from MONOCACHE_LOG / MONOCACHE_LOG_FILE; 0 or -1 (printed).
 * A log file that cannot be opened is reported if report_file_error (run
 * leaves that to its watcher, which opens the same file). */
int cli_setup_log(int report_file_error);
/* Resolves an id or path argument into an initialised cache; `root_option`
 * is --root or NULL (then MONOCACHE_ROOT, then the default). Prints the
 * error and returns -1 on failure. */
int cli_open_cache(const char *arg, const char *root_option, struct mc_cache *cache);
/* The root from --root / MONOCACHE_ROOT / default, without creating it. 0,
 * 1 if the default root does not exist (no caches yet), -1 (printed) on
 * error — a root that was named but does not exist included. */
int cli_open_root(const char *command, const char *root_option, struct mc_root *root);
#define MC_LIB_NAME "libmonocache.so"
/* The library's runtime name (its soname): what LD_PRELOAD names when it is
 * there, so that an upgrade of the versioned file leaves running trees'
 * children a library to load. */
#define MC_LIB_SONAME "libmonocache.so.0"
/* Where the library is, seen from this executable's real directory: next
 * to it (a build tree), ../lib, ../lib/<multiarch>, ../lib64, then the
 * configured library directory; the soname there, else libmonocache.so.
 * The directory is resolved, the name kept; malloc'd, or NULL. */
char *cli_find_library(void);
/* The configured installation directories (install_dirs.c). */
extern const char cli_bindir[];
extern const char cli_libdir[];
extern const char cli_multiarch_lib[];   /* "/../lib/<multiarch>" */
#define MC_LIB_NOT_FOUND MC_LIB_NAME ": not found next to monocache, in ../lib, " \
    "../lib/<multiarch> or ../lib64 from it, or in the configured library directory"

#endif
