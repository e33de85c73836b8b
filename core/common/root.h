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
    int run_marked;     /* run_dir holds MC_RUN_MARKER: we made it, its names
                           of ours may be swept */
    char *note;         /* why the default root was not used (another user
                           took it), for the caller to show; or NULL */
};

enum mc_root_mode {
    MC_ROOT_CREATE,     /* create what is missing, 0700 */
    MC_ROOT_EXISTING    /* missing root: return 1, create nothing */
};

/* given: MONOCACHE_ROOT or NULL for the default, ${TMPDIR:-/tmp}/
 * monocache-<uid> — or, when that name is somebody else's (another owner, a
 * symlink, a file: squatted), mc_root_fallback(), with root->note saying so.
 * Returns 0, 1 (missing, with MC_ROOT_EXISTING), or -1 with err filled. */
int mc_root_open(const char *given, const char *tmpdir, enum mc_root_mode mode,
                 struct mc_root *root, struct mc_err *err);
void mc_root_free(struct mc_root *root);
/* Creates the run directory (0700) and its marker if missing: only once a
 * cache of ours is known to be there, so that a mistyped path never gets
 * directories made in it. */
int mc_root_make_run(struct mc_root *root, struct mc_err *err);
/* The default root for this user: malloc'd. */
char *mc_root_default(const char *tmpdir);
/* Where the default root goes when its name is taken: malloc'd, or NULL. */
char *mc_root_fallback(void);
/* Root and id of a cache path <root>/cache/<id>; -1 if it has not that shape. */
int mc_root_split_cache_path(const char *cache_path, char **root, char *id, struct mc_err *err);

#endif
