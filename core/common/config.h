/* config.h — the MONOCACHE_* environment, parsed and checked.
 *
 * Pure logic: values come from a getenv-like callback, so every rule is unit
 * tested without touching the real environment. A bad value gives one error
 * line naming the variable and what is wrong. */
#ifndef MC_CONFIG_H
#define MC_CONFIG_H

#include "err.h"
#include "host/proto.h"

#include <cjson/cJSON.h>

struct mc_config;
typedef const char *(*mc_getenv_fn)(const char *name, void *ctx);
#include <stddef.h>

enum mc_on_error {
    MC_ON_ERROR_FAIL,       /* stop the program before main, status 125 */
    MC_ON_ERROR_CONTINUE    /* warn, run the program without a cache */
};

enum mc_log_level {
    MC_LOG_ERROR,
    MC_LOG_WARN,
    MC_LOG_INFO,
    MC_LOG_DEBUG
};

/* MONOCACHE_S3_UPLOAD: always (the default), on-success (the tree's last
 * holder exited 0), never (restored, used, wiped: read-only). */
enum mc_s3_upload_when {
    MC_S3_UPLOAD_ALWAYS,
    MC_S3_UPLOAD_ON_SUCCESS,
    MC_S3_UPLOAD_NEVER
};
#define MC_S3_UPLOAD_SPELLINGS "always, on-success or never"

struct mc_config {
    char *root;             /* MONOCACHE_ROOT, or NULL for the default */
    char *tmpdir;           /* TMPDIR, used for the default root */
    char *existing;         /* MONOCACHE_EXISTING: a path or an id */
    char *name;             /* MONOCACHE_NAME: the id of the cache, made if not there */
    char *inherited_path;   /* MONOCACHE_PATH: a cache this process inherited */
    int lock;               /* MONOCACHE_LOCK=1, or "locked": true in the meta */
    int new_cache;          /* MONOCACHE_NEW=1 */
    cJSON *meta;            /* MONOCACHE_META, a JSON object, or NULL */
    char **exports;         /* MONOCACHE_EXPORT names */
    size_t export_count;
    enum mc_log_level log_level;
    char *log_file;         /* MONOCACHE_LOG_FILE, or NULL for stderr */
    int log_json;           /* MONOCACHE_LOG_FORMAT=json */
    enum mc_on_error on_error;
    struct mc_redis_config *redis;  /* Redis settings (redis->enabled 0: none) */
    char *s3;               /* MONOCACHE_S3: "s3://bucket/prefix", checked, or NULL */
    int s3_async;           /* MONOCACHE_S3_ASYNC=1: the last holder does not wait */
    int s3_timeout_s;       /* MONOCACHE_S3_TIMEOUT_S: how long the last holder waits */
    enum mc_s3_upload_when s3_upload;    /* MONOCACHE_S3_UPLOAD: when the release uploads */
    char *restore_keys;     /* MONOCACHE_S3_RESTORE_KEYS: "k1,k2", checked, or NULL */
    char *existing_s3;      /* MONOCACHE_EXISTING=s3://bucket/prefix/<id>: its prefix */
    char existing_s3_id[MC_ID_MAX + 1];
};

/* Reads and checks every variable; on failure *cfg holds nothing to free. */
int mc_config_load(struct mc_config *cfg, mc_getenv_fn get, void *ctx, struct mc_err *err);
void mc_config_free(struct mc_config *cfg);

/* Single-variable parsers, shared with the CLI's options. */
/* A boolean variable: true as 1, true, yes, on; false as 0, false, no, off
 * or empty (any case). */
#define MC_BOOLEAN_SPELLINGS "1, true, yes, on, or 0, false, no, off"
int mc_parse_flag(const char *name, const char *value, int *flag, struct mc_err *err);
int mc_parse_log_level(const char *value, enum mc_log_level *level, struct mc_err *err);
int mc_parse_on_error(const char *value, enum mc_on_error *on_error, struct mc_err *err);
/* MONOCACHE_LOG_FORMAT: text (default) or json; *json 1 for json. */
int mc_parse_log_format(const char *value, int *json, struct mc_err *err);
/* Parses a JSON object for a new cache's meta; checks reserved keys. */
int mc_parse_meta_object(const char *name, const char *text, cJSON **meta, struct mc_err *err);
/* Splits "A,B" into checked variable names; errors start with label (e.g.
 * "MONOCACHE_EXPORT=" or "--export "), then the value. */
int mc_parse_exports(const char *label, const char *value, char ***names, size_t *count,
                     struct mc_err *err);
void mc_free_names(char **names, size_t count);
/* MONOCACHE_S3_UPLOAD (or run --s3-upload). */
int mc_parse_s3_upload(const char *value, enum mc_s3_upload_when *upload, struct mc_err *err);
/* MONOCACHE_S3_RESTORE_KEYS (or run --restore-keys): "k1,k2,...", each the
 * start of a name. */
int mc_check_restore_keys(const char *value, struct mc_err *err);
/* MONOCACHE_NAME (or run --name): an id, as names.h has it. */
int mc_check_name(const char *value, struct mc_err *err);
/* 1 if name is a shell variable name we may set to the cache path. */
int mc_export_name_ok(const char *name);

#endif
