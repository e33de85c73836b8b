/* root.h — finding, creating and checking the directory that holds all caches.
 *
 * A root is refused (one line naming MONOCACHE_ROOT) when it is not a
 * directory, is owned by another user, or is writable by group or others:
 * anyone who can write there could plant a cache we would later wipe. */
#ifndef MC_ROOT_H
#define MC_ROOT_H

#include "err.h"

struct mc_root {
    char *path;         /* absolute, symlinks resolved, no trailing slash */
    char *cache_dir;    /* <path>/cache */
    char *run_dir;      /* <path>/run */
};

enum mc_root_mode {
    MC_ROOT_CREATE,     /* create what is missing, 0700 */
    MC_ROOT_EXISTING    /* missing root: return 1, create nothing */
};

/* given: MONOCACHE_ROOT or NULL for ${TMPDIR:-/tmp}/monocache-<uid>.
 * Returns 0, 1 (missing, with MC_ROOT_EXISTING), or -1 with err filled. */
int mc_root_open(const char *given, const char *tmpdir, enum mc_root_mode mode,
                 struct mc_root *root, struct mc_err *err);
void mc_root_free(struct mc_root *root);
/* The default root for this user: malloc'd. */
char *mc_root_default(const char *tmpdir);
/* Root and id of a cache path <root>/cache/<id>; -1 if it has not that shape. */
int mc_root_split_cache_path(const char *cache_path, char **root, char *id, struct mc_err *err);

#endif
