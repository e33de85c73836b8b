/* config.c — parsing and checking the MONOCACHE_* variables (see config.h). */
#include "config.h"
#include "setting.h"
#include "buf.h"
#include "s3/url.h"
#include "jsontext.h"
#include "meta.h"
#include "redis/redisconf.h"
#include "host/names.h"
#include "host/proto.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *dup_or_null(const char *value)
{
    if (!value || !*value)
        return NULL;
    return strdup(value);
}

int mc_parse_flag(const char *name, const char *value, int *flag, struct mc_err *err)
{
    static const char *const yes[] = { "1", "true", "yes", "on" };
    static const char *const no[] = { "0", "false", "no", "off" };
    size_t i;

    *flag = 0;
    if (!value || !*value)
        return 0;
    for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(value, yes[i]) == 0) {
            *flag = 1;
            return 0;
        }
        if (strcasecmp(value, no[i]) == 0)
            return 0;
    }
    mc_err_set(err, "%s: expected " MC_BOOLEAN_SPELLINGS, mc_setting(name, value));
    return -1;
}

int mc_parse_log_level(const char *value, enum mc_log_level *level, struct mc_err *err)
{
    static const char *const names[] = { "error", "warn", "info", "debug" };
    size_t i;

    if (!value || !*value) {
        *level = MC_LOG_ERROR;
        return 0;
    }
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(value, names[i]) == 0) {
            *level = (enum mc_log_level)i;
            return 0;
        }
    }
    mc_err_set(err, "%s: expected error, warn, info or debug", mc_setting(MC_ENV_LOG, value));
    return -1;
}

int mc_parse_on_error(const char *value, enum mc_on_error *on_error, struct mc_err *err)
{
    if (!value || !*value || strcmp(value, "fail") == 0) {
        *on_error = MC_ON_ERROR_FAIL;
        return 0;
    }
    if (strcmp(value, "continue") == 0) {
        *on_error = MC_ON_ERROR_CONTINUE;
        return 0;
    }
    mc_err_set(err, "%s: expected fail or continue", mc_setting(MC_ENV_ON_ERROR, value));
    return -1;
}

int mc_parse_log_format(const char *value, int *json, struct mc_err *err)
{
    *json = 0;
    if (!value || !*value || strcmp(value, "text") == 0)
        return 0;
    if (strcmp(value, "json") == 0) {
        *json = 1;
        return 0;
    }
    mc_err_set(err, "%s: expected text or json", mc_setting(MC_ENV_LOG_FORMAT, value));
    return -1;
}

int mc_parse_meta_object(const char *name, const char *text, cJSON **meta, struct mc_err *err)
{
    const cJSON *item;
    const char *why;
    cJSON *object;

    *meta = NULL;
    object = mc_json_parse(text, strlen(text));
    if (!object) {
        mc_err_set(err, "%s: not valid JSON", name);
        return -1;
    }
    if (!cJSON_IsObject(object)) {
        mc_err_set(err, "%s: not a JSON object", name);
        cJSON_Delete(object);
        return -1;
    }
    /* Read as the release will read it: anything but one top-level boolean
     * would make a cache that is kept for ever. */
    if (mc_meta_lock_state(object, &why) == MC_LOCK_AMBIGUOUS) {
        mc_err_set(err, "%s: key \"locked\" must appear once, at the top, as true or false (%s)",
                   name, why);
        cJSON_Delete(object);
        return -1;
    }
    cJSON_ArrayForEach(item, object) {
        if (mc_meta_key_check(item->string, item, &why) != 0) {
            mc_err_set(err, "%s: key \"%s\" %s", name, item->string, why);
            cJSON_Delete(object);
            return -1;
        }
    }
    *meta = object;
    return 0;
}

int mc_export_name_ok(const char *name)
{
    const char *p = name;

    if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_'))
        return 0;
    for (p++; *p; p++) {
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
              (*p >= '0' && *p <= '9') || *p == '_'))
            return 0;
    }
    return 1;
}

void mc_free_names(char **names, size_t count)
{
    size_t i;

    for (i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

/* Variables that must keep their meaning for the tree to work at all. */
static int export_forbidden(const char *name)
{
    static const char *const forbidden[] = { "PATH", "IFS", "PWD", "OLDPWD", "SHELL" };
    size_t i;

    if (strncmp(name, "MONOCACHE_", 10) == 0 || strncmp(name, "LD_", 3) == 0)
        return 1;
    for (i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++) {
        if (strcmp(name, forbidden[i]) == 0)
            return 1;
    }
    return 0;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

int mc_parse_exports(const char *label, const char *value, char ***names_out, size_t *count_out,
                     struct mc_err *err)
{
    char **names = NULL;
    size_t count = 0;
    const char *p = value ? value : "";

    *names_out = NULL;
    *count_out = 0;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char **grown;
        char *name;

        /* Blanks around a name are allowed: "TMPDIR, XDG_CACHE_HOME". */
        while (len && is_blank(*p)) {
            p++;
            len--;
        }
        while (len && is_blank(p[len - 1]))
            len--;
        if (len == 0) {
            p = end ? end + 1 : p + strlen(p);
            continue;
        }
        name = strndup(p, len);
        if (!name || !mc_export_name_ok(name)) {
            mc_err_set(err, "%s%s: \"%s\" is not a variable name", label, value,
                       name ? name : "?");
            free(name);
            mc_free_names(names, count);
            return -1;
        }
        if (export_forbidden(name)) {
            mc_err_set(err, "%s%s: %s cannot be set to the cache path", label, value, name);
            free(name);
            mc_free_names(names, count);
            return -1;
        }
        grown = realloc(names, (count + 1) * sizeof(*names));
        if (!grown) {
            mc_err_set(err, "%s%s: out of memory", label, value);
            free(name);
            mc_free_names(names, count);
            return -1;
        }
        names = grown;
        names[count++] = name;
        p = end ? end + 1 : p + len;
    }
    *names_out = names;
    *count_out = count;
    return 0;
}

int mc_check_name(const char *value, struct mc_err *err)
{
    if (mc_id_valid(value))
        return 0;
    mc_err_set(err, "%s: not a cache name (expected " MC_ID_RULE ": a letter or digit, then up "
               "to %d letters, digits, '.', '_' or '-')", mc_setting(MC_ENV_NAME, value),
               MC_ID_MAX - 1);
    return -1;
}

int mc_parse_s3_upload(const char *value, enum mc_s3_upload_when *upload, struct mc_err *err)
{
    *upload = MC_S3_UPLOAD_ALWAYS;
    if (!value || !*value || strcmp(value, "always") == 0)
        return 0;
    if (strcmp(value, "on-success") == 0) {
        *upload = MC_S3_UPLOAD_ON_SUCCESS;
        return 0;
    }
    if (strcmp(value, "never") == 0) {
        *upload = MC_S3_UPLOAD_NEVER;
        return 0;
    }
    mc_err_set(err, "%s: expected " MC_S3_UPLOAD_SPELLINGS, mc_setting(MC_ENV_S3_UPLOAD, value));
    return -1;
}

int mc_check_restore_keys(const char *value, struct mc_err *err)
{
    const char *p = value;

    for (;;) {
        size_t len = strcspn(p, ",");
        size_t i;

        for (i = 0; i < len && (isalnum((unsigned char)p[i]) || strchr("._-", p[i])); i++)
            ;
        if (len == 0 || i < len || len > MC_ID_MAX) {
            mc_err_set(err, "%s: expected names' beginnings (letters, digits, '.', '_', '-'), "
                       "comma-separated", mc_setting(MC_ENV_S3_RESTORE_KEYS, value));
            return -1;
        }
        if (!p[len])
            return 0;
        p += len + 1;
    }
}

static int load_text(struct mc_config *cfg, mc_getenv_fn get, void *ctx, struct mc_err *err)
{
    const char *root = get(MC_ENV_ROOT, ctx);
    size_t i;

    cfg->root = dup_or_null(root);
    cfg->tmpdir = dup_or_null(get("TMPDIR", ctx));
    cfg->existing = dup_or_null(get(MC_ENV_EXISTING, ctx));
    cfg->name = dup_or_null(get(MC_ENV_NAME, ctx));
    if (cfg->name && mc_check_name(cfg->name, err) != 0)
        return -1;
    cfg->inherited_path = dup_or_null(get(MC_ENV_PATH, ctx));
    cfg->log_file = dup_or_null(get(MC_ENV_LOG_FILE, ctx));
    if (cfg->root) {
        for (i = 0; cfg->root[i]; i++) {
            if ((unsigned char)cfg->root[i] < 0x20) {
                mc_err_set(err, MC_ENV_ROOT ": contains a control character");
                return -1;
            }
        }
    }
    return 0;
}

/* MONOCACHE_S3 (a location), MONOCACHE_S3_ASYNC, _JOBS, _MULTIPART_MB, and an
 * s3:// MONOCACHE_EXISTING: checked here, before main, though only
 * monocache-s3 uses them. */
static int load_s3(struct mc_config *cfg, mc_getenv_fn get, void *ctx, struct mc_err *err)
{
    const char *s3 = get(MC_ENV_S3, ctx);
    const char *keys;
    struct mc_s3_location loc;
    struct mc_s3_tuning tuning;

    if (mc_parse_flag(MC_ENV_S3_ASYNC, get(MC_ENV_S3_ASYNC, ctx), &cfg->s3_async, err) != 0)
        return -1;
    if (mc_s3_parse_timeout(get(MC_ENV_S3_TIMEOUT, ctx), &cfg->s3_timeout_s, err) != 0)
        return -1;
    if (mc_s3_parse_tuning(get(MC_ENV_S3_JOBS, ctx), get(MC_ENV_S3_MULTIPART_MB, ctx), &tuning,
                           err) != 0)
        return -1;
    if (s3 && *s3) {
        if (mc_s3_parse_location(MC_ENV_S3, s3, &loc, err) != 0)
            return -1;
        cfg->s3 = mc_s3_location_url(&loc);
        mc_s3_location_free(&loc);
        if (!cfg->s3) {
            mc_err_set(err, MC_ENV_S3 ": out of memory");
            return -1;
        }
    }
    if (mc_parse_s3_upload(get(MC_ENV_S3_UPLOAD, ctx), &cfg->s3_upload, err) != 0)
        return -1;
    keys = get(MC_ENV_S3_RESTORE_KEYS, ctx);
    if (keys && *keys) {
        if (mc_check_restore_keys(keys, err) != 0)
            return -1;
        if (!cfg->name || !cfg->s3) {
            mc_err_set(err, "%s: only with %s and %s (the cache restored under its name)",
                       mc_setting(MC_ENV_S3_RESTORE_KEYS, keys), mc_setting_name(MC_ENV_NAME),
                       mc_setting_name(MC_ENV_S3));
            return -1;
        }
        cfg->restore_keys = strdup(keys);
        if (!cfg->restore_keys) {
            mc_err_set(err, MC_ENV_S3_RESTORE_KEYS ": out of memory");
            return -1;
        }
    }
    if (cfg->existing && strncmp(cfg->existing, "s3://", 5) == 0) {
        if (mc_s3_parse_location(MC_ENV_EXISTING, cfg->existing, &loc, err) != 0)
            return -1;
        if (mc_s3_split_cache(&loc, cfg->existing_s3_id) != 0) {
            mc_s3_location_free(&loc);
            mc_err_set(err, "%s: expected s3://bucket/prefix/<cache id>",
                       mc_setting(MC_ENV_EXISTING, cfg->existing));
            return -1;
        }
        cfg->existing_s3 = mc_s3_location_url(&loc);
        mc_s3_location_free(&loc);
        if (!cfg->existing_s3) {
            mc_err_set(err, MC_ENV_EXISTING ": out of memory");
            return -1;
        }
    }
    return 0;
}

/* "MONOCACHE_EXPORT=" or "--export ", before the value in messages. */
static const char *export_label(void)
{
    return mc_setting_name(MC_ENV_EXPORT)[0] == '-' ? "--export " : MC_ENV_EXPORT "=";
}

int mc_config_load(struct mc_config *cfg, mc_getenv_fn get, void *ctx, struct mc_err *err)
{
    const char *meta;

    memset(cfg, 0, sizeof(*cfg));
    mc_settings_from_text(get(MC_ENV_OPTIONS, ctx));
    if (load_text(cfg, get, ctx, err) != 0)
        goto fail;
    if (mc_parse_on_error(get(MC_ENV_ON_ERROR, ctx), &cfg->on_error, err) != 0)
        goto fail;
    if (mc_parse_log_level(get(MC_ENV_LOG, ctx), &cfg->log_level, err) != 0)
        goto fail;
    if (mc_parse_log_format(get(MC_ENV_LOG_FORMAT, ctx), &cfg->log_json, err) != 0)
        goto fail;
    if (mc_parse_flag(MC_ENV_LOCK, get(MC_ENV_LOCK, ctx), &cfg->lock, err) != 0)
        goto fail;
    if (mc_parse_flag(MC_ENV_NEW, get(MC_ENV_NEW, ctx), &cfg->new_cache, err) != 0)
        goto fail;
    meta = get(MC_ENV_META, ctx);
    if (meta && *meta && mc_parse_meta_object(MC_ENV_META, meta, &cfg->meta, err) != 0)
        goto fail;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cfg->meta, "locked")))
        cfg->lock = 1;
    if (mc_parse_exports(export_label(), get(MC_ENV_EXPORT, ctx), &cfg->exports,
                         &cfg->export_count, err) != 0)
        goto fail;
    cfg->redis = calloc(1, sizeof(*cfg->redis));
    if (!cfg->redis || mc_redis_config_load(cfg->redis, NULL, get, ctx, err) != 0)
        goto fail;
    if (load_s3(cfg, get, ctx, err) != 0)
        goto fail;
    return 0;
fail:
    mc_config_free(cfg);
    return -1;
}

void mc_config_free(struct mc_config *cfg)
{
    free(cfg->s3);
    free(cfg->existing_s3);
    free(cfg->restore_keys);
    free(cfg->root);
    free(cfg->tmpdir);
    free(cfg->existing);
    free(cfg->name);
    free(cfg->inherited_path);
    free(cfg->log_file);
    cJSON_Delete(cfg->meta);
    mc_free_names(cfg->exports, cfg->export_count);
    if (cfg->redis)
        mc_redis_config_free(cfg->redis);
    free(cfg->redis);
    memset(cfg, 0, sizeof(*cfg));
}
