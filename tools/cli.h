/* cli.h — what the monocache command's files share: subcommand entry points
 * and small helpers for opening roots and caches from arguments. */
#ifndef MC_CLI_H
#define MC_CLI_H

#include "cache.h"
#include "config.h"
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

/* getenv as an mc_getenv_fn. */
const char *cli_getenv(const char *name, void *ctx);
/* Sets up logging from MONOCACHE_LOG / MONOCACHE_LOG_FILE; 0 or -1 (printed). */
int cli_setup_log(void);
/* Resolves an id or path argument into an initialised cache; `root_option`
 * is --root or NULL (then MONOCACHE_ROOT, then the default). Prints the
 * error and returns -1 on failure. */
int cli_open_cache(const char *arg, const char *root_option, struct mc_cache *cache);
/* The root from --root / MONOCACHE_ROOT / default, without creating it. 0,
 * 1 if it does not exist, -1 (printed) on error. */
int cli_open_root(const char *root_option, struct mc_root *root);
/* Path of a file installed next to our executable or in `fallback_dir`;
 * malloc'd, or NULL if neither exists. */
char *cli_find_sibling(const char *name, const char *fallback_dir);

#endif
