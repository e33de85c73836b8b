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

/* The largest meta.json read (bytes). */
#define MC_META_MAX_BYTES (16 * 1024 * 1024)

/* A new cache's meta: {"id", "created", "locked"} plus the keys of `extra`. */
cJSON *mc_meta_new(const char *id, time_t created, int locked, const cJSON *extra);
/* Reads <dir_fd>/meta.json (never through a symlink, only a regular file).
 * `display` names the cache directory in messages. Returns 0, or -1 with err
 * filled; errno is ENOENT when the file is missing. */
int mc_meta_read(int dir_fd, const char *display, cJSON **meta, struct mc_err *err);
/* 0 if meta is an object whose "id" is `id`. */
int mc_meta_check_id(const cJSON *meta, const char *id, const char *display, struct mc_err *err);
#define MC_META_LOCKED "locked"

/* What meta.json says of "locked", as strictly as both its readers agree:
 * Python's json keeps the last of duplicate keys, cJSON the first, and people
 * edit the file by hand. */
enum mc_lock_state {
    MC_UNLOCKED,        /* no "locked" key anywhere, or one top-level false */
    MC_LOCKED,          /* one top-level true */
    MC_LOCK_AMBIGUOUS   /* anything else: duplicates, a nested "locked", a
                           value that is not a boolean; *why says which */
};

enum mc_lock_state mc_meta_lock_state(const cJSON *meta, const char **why);
/* 1 unless the cache may be wiped (MC_UNLOCKED): the rule of every path that
 * wipes without --force. */
int mc_meta_locked(const cJSON *meta);
/* "created" as a time, or -1 (missing, or not our UTC format). */
time_t mc_meta_created(const cJSON *meta);
/* "redis_register": the Redis register (URL, no password) the cache is
 * counted in, written when a host first counts it; or NULL. A host that
 * does not use that register must not wipe it. */
#define MC_META_REGISTER "redis_register"
const char *mc_meta_register(const cJSON *meta);
/* "s3": where the cache goes at its release ("s3://bucket/prefix"), or
 * NULL. "s3_pending": true from before an upload starts until it is
 * complete: such a cache is never wiped (gc finishes the upload). */
#define MC_META_S3 "s3"
#define MC_META_S3_PENDING "s3_pending"
/* "s3_generation": in the meta.json a push writes to S3 (last), the
 * generation of the index it wrote just before; a pull takes the two only
 * together. Never in a local copy's meta. */
#define MC_META_S3_GENERATION "s3_generation"
/* "s3_base": in a local copy's meta only, the generation it was pulled at
 * or last pushed as: what a push after another's merges against. */
#define MC_META_S3_BASE "s3_base"
/* "s3_pushed_by": in the meta.json a push writes to S3, the host that
 * pushed (MONOCACHE_HOST_ID or its hostname), for ls --s3. Never in a
 * local copy's meta. */
#define MC_META_S3_PUSHED_BY "s3_pushed_by"
const char *mc_meta_s3(const cJSON *meta);
/* What "s3" says: no such key (the tree's own setting then decides: a
 * meta rewritten without it, or removed, must not turn the upload off), a
 * home (*url), or anything else — null, "" — the upload turned off. */
enum mc_s3_home {
    MC_S3_HOME_UNSET,
    MC_S3_HOME_SET,
    MC_S3_HOME_OFF
};
enum mc_s3_home mc_meta_s3_home(const cJSON *meta, const char **url);
int mc_meta_s3_pending(const cJSON *meta);
/* "run_dirs": the run directories (one per host sharing a root) that held
 * the cache, written when one is not the root's own. Without a Redis
 * register to count them, a cache used from another host's run directory
 * is never wiped by this one. */
#define MC_META_RUN_DIRS "run_dirs"
/* 1 if meta names a run directory other than run_dir (or "run_dirs" is
 * not a list of strings: then it may, too). */
int mc_meta_used_elsewhere(const cJSON *meta, const char *run_dir);
/* Adds run_dir to "run_dirs" (with default_run_dir first if the list was
 * missing); nothing if run_dir is the default and there is no list. */
int mc_meta_add_run_dir(cJSON *meta, const char *run_dir, const char *default_run_dir);
/* 1 if a "locked" key appears anywhere inside value (which would make a meta
 * holding it ambiguous). */
int mc_meta_nested_locked(const cJSON *value);
/* The rule for a key a user sets (monocache meta, run --meta,
 * MONOCACHE_META): 0 if `key` may be given `value`, else -1 with *why
 * ("is set by monocache and cannot be changed", ...). */
int mc_meta_key_check(const char *key, const cJSON *value, const char **why);
/* Sets key to value (taken over), replacing every occurrence of the key. */
int mc_meta_set_key(cJSON *meta, const char *key, cJSON *value);
/* Atomically replaces meta.json with `meta` (duplicate keys dropped, the
 * last kept, as Python reads them). Caller holds the meta lock. */
int mc_meta_write(int dir_fd, const char *display, const cJSON *meta, struct mc_err *err);

typedef int (*mc_meta_edit_fn)(cJSON *meta, void *ctx, struct mc_err *err);
/* Locks (bounded wait), checks that `path` still names dir_fd's directory
 * (else the cache was released: fails), reads, checks the id, edits, writes,
 * unlocks. */
int mc_meta_update(int dir_fd, const char *path, const char *id, mc_meta_edit_fn edit,
                   void *ctx, struct mc_err *err);
/* The same, making meta.json anew (for `id`) if it is missing. */
int mc_meta_update_or_make(int dir_fd, const char *path, const char *id, mc_meta_edit_fn edit,
                           void *ctx, struct mc_err *err);
/* The same without checking "id" (for adopting a cache whose meta has
 * none): the edit decides. */
int mc_meta_update_unproven(int dir_fd, const char *path, mc_meta_edit_fn edit, void *ctx,
                            struct mc_err *err);
/* Parses a command-line value: JSON if it is JSON, else a string. */
cJSON *mc_meta_value_from_text(const char *text);

#endif
