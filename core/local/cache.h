/* cache.h — one cache: where its files are, creating it, attaching to it, and
 * opening its directory safely. Runs in the watcher and the CLI, never in the
 * preloaded shim. */
#ifndef MC_CACHE_H
#define MC_CACHE_H

#include "common/err.h"
#include "host/proto.h"
#include "common/root.h"
#include "session.h"

#include <cjson/cJSON.h>

struct mc_cache {
    char *root;                 /* absolute root */
    char id[MC_ID_MAX + 1];
    char *path;                 /* <root>/cache/<id> */
    char *lock_path;            /* <root>/run/<id>.lock */
    struct mc_dir_id dir;       /* the directory we created or attached */
};

int mc_cache_init(struct mc_cache *cache, const struct mc_root *root, const char *id,
                  struct mc_err *err);
void mc_cache_free(struct mc_cache *cache);

/* Turns an id (under the root `given_root`/default) or a cache path into an
 * opened root and an id, creating nothing. `label` starts error messages,
 * e.g. "MONOCACHE_EXISTING=/x". */
int mc_cache_resolve(const char *label, const char *id_or_path, const char *given_root,
                     const char *tmpdir, struct mc_root *root, char *id, struct mc_err *err);

/* Opens the cache directory (never through a symlink) and reads its meta;
 * fails unless meta.json is a JSON object whose "id" matches. */
int mc_cache_open(const struct mc_cache *cache, int *dir_fd, cJSON **meta, struct mc_err *err);
/* The same, with <root>/cache already open at parent_fd (or -1). */
int mc_cache_open_in(const struct mc_cache *cache, int parent_fd, int *dir_fd, cJSON **meta,
                     struct mc_err *err);
/* The cache directory only (never through a symlink or into a mount), its
 * meta unread: a descriptor, or -1 with err filled and errno set. */
int mc_cache_open_dir(const struct mc_cache *cache, int parent_fd, struct mc_err *err);

/* Makes a new cache: lock file (held) first, then the directory, then meta.
 * Its id is `name`, or a fresh UUID if name is NULL. Returns 0 with
 * *hold_fd holding LOCK_SH; 1 if the named directory appeared meanwhile
 * (attach to it instead); -1 with err. */
int mc_cache_create(struct mc_cache *cache, const struct mc_root *root, const char *name,
                    int locked, const cJSON *extra_meta, int *hold_fd, struct mc_err *err);

/* A cache made by the Python package (a meta.json object without "id") gets
 * our keys ("id", "created"); the package still reads it as a dict. 1 if it
 * did, 0 if there was nothing to do, -1 with err. */
int mc_cache_adopt(const struct mc_cache *cache, struct mc_err *err);

/* Takes a hold on an existing cache: joins its lock file, or starts one if no
 * tree holds it; waits out a release in progress. */
int mc_cache_attach(struct mc_cache *cache, int *hold_fd, struct mc_err *err);

/* What a tree asked for, applied to a cache it attached to rather than
 * created: lock it (if `lock`), and merge `extra_meta` (may be NULL) into
 * its meta. Nothing to do is success. */
/* Sets (or removes) "s3_pending" in the cache's meta. */
int mc_cache_mark_pending(const struct mc_cache *cache, int pending, struct mc_err *err);
/* The cache's S3 home (meta "s3", malloc'd) or NULL; *pending its mark. */
char *mc_cache_s3_home(const struct mc_cache *cache, int *pending);
int mc_cache_apply(const struct mc_cache *cache, int lock, const cJSON *extra_meta,
                   struct mc_err *err);

#endif
