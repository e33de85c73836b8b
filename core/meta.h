/* meta.h — a cache's meta.json: reading, checking, and changing it so that
 * concurrent writers lose nothing.
 *
 * The file is plain JSON, readable by the Python package's json.load. Every
 * change takes flock(LOCK_EX) on the cache directory (dirlock.h), checks the
 * directory is still in place, re-reads the file, edits it, writes a
 * temporary file of an unguessable name and renames it over meta.json. */
#ifndef MC_META_H
#define MC_META_H

#include "err.h"

#include <cjson/cJSON.h>
#include <time.h>

/* A new cache's meta: {"id", "created", "locked"} plus the keys of `extra`. */
cJSON *mc_meta_new(const char *id, time_t created, int locked, const cJSON *extra);
/* Reads <dir_fd>/meta.json (never through a symlink, only a regular file).
 * `display` names the cache directory in messages. Returns 0, or -1 with err
 * filled; errno is ENOENT when the file is missing. */
int mc_meta_read(int dir_fd, const char *display, cJSON **meta, struct mc_err *err);
/* 0 if meta is an object whose "id" is `id`. */
int mc_meta_check_id(const cJSON *meta, const char *id, const char *display, struct mc_err *err);
/* 1 if meta says "locked": true. */
int mc_meta_locked(const cJSON *meta);
/* Atomically replaces meta.json with `meta`. Caller holds the meta lock. */
int mc_meta_write(int dir_fd, const char *display, const cJSON *meta, struct mc_err *err);

typedef int (*mc_meta_edit_fn)(cJSON *meta, void *ctx, struct mc_err *err);
/* Locks (bounded wait), checks that `path` still names dir_fd's directory
 * (else the cache was released: fails), reads, checks the id, edits, writes,
 * unlocks. */
int mc_meta_update(int dir_fd, const char *path, const char *id, mc_meta_edit_fn edit,
                   void *ctx, struct mc_err *err);
/* Parses a command-line value: JSON if it is JSON, else a string. */
cJSON *mc_meta_value_from_text(const char *text);

#endif
