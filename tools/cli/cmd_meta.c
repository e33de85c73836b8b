/* cmd_meta.c — `monocache meta`, `lock` and `unlock`: reading and changing a
 * cache's meta.json (the Python package's meta, insert_meta, lock_cache and
 * unlock_cache). Changes go through mc_meta_update: locked, re-read, renamed
 * into place, so concurrent writers lose nothing. */
#include "cli.h"
#include "common/jsontext.h"
#include "common/log.h"
#include "common/meta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


struct insertion {
    char **pairs;
    int count;
    int json_only;
};

static int insert_pairs(cJSON *meta, void *ctx, struct mc_err *err)
{
    struct insertion *insertion = ctx;
    int rc;
    int i;

    for (i = 0; i < insertion->count; i++) {
        char *pair = insertion->pairs[i];
        char *equals = strchr(pair, '=');
        cJSON *value;

        *equals = '\0';
        if (insertion->json_only)
            value = mc_json_parse(equals + 1, strlen(equals + 1));
        else
            value = mc_meta_value_from_text(equals + 1);
        if (!value) {
            mc_err_set(err, "%s: value is not valid JSON", pair);
            *equals = '=';
            return -1;
        }
        if (strcmp(pair, MC_META_LOCKED) != 0 && mc_meta_nested_locked(value)) {
            mc_err_set(err, "%s: a \"locked\" key inside a value would keep the cache for ever "
                       "(see monocache(1)); use monocache lock/unlock", pair);
            cJSON_Delete(value);
            *equals = '=';
            return -1;
        }
        if (strcmp(pair, "id") == 0 || strcmp(pair, "created") == 0 ||
            (strcmp(pair, "locked") == 0 && !cJSON_IsBool(value))) {
            mc_err_set(err, "%s: %s", pair, strcmp(pair, "locked") == 0
                       ? "must be true or false (or use monocache lock/unlock)"
                       : "is set by monocache and cannot be changed");
            cJSON_Delete(value);
            *equals = '=';
            return -1;
        }
        rc = mc_meta_set_key(meta, pair, value);
        *equals = '=';
        if (rc != 0) {
            mc_err_set(err, "out of memory");
            return -1;
        }
    }
    return 0;
}

static int set_locked(cJSON *meta, void *ctx, struct mc_err *err)
{
    if (mc_meta_set_key(meta, MC_META_LOCKED, cJSON_CreateBool(*(int *)ctx)) != 0) {
        mc_err_set(err, "out of memory");
        return -1;
    }
    return 0;
}

static int print_value(const cJSON *value, int json)
{
    char *text;

    if (!json && cJSON_IsString(value)) {
        printf("%s\n", value->valuestring);
        return 0;
    }
    text = json ? cJSON_PrintUnformatted(value) : mc_json_pretty(value);
    if (!text)
        return -1;
    printf("%s\n", text);
    free(text);
    return 0;
}

static int show(struct mc_cache *cache, const char *key, int json)
{
    const cJSON *value;
    struct mc_err err;
    cJSON *meta;
    int dir_fd;
    int rc = MC_EXIT_FAILED;

    if (mc_cache_open(cache, &dir_fd, &meta, &err) != 0) {
        mc_log_always(MC_LOG_ERROR, "%s", err.msg);
        return MC_EXIT_FAILED;
    }
    close(dir_fd);
    value = key ? cJSON_GetObjectItemCaseSensitive(meta, key) : meta;
    if (!value)
        mc_log_always(MC_LOG_ERROR, "%s: no meta key \"%s\"", cache->path, key);
    else if (print_value(value, json) == 0)
        rc = 0;
    cJSON_Delete(meta);
    return rc;
}

static int update(struct mc_cache *cache, mc_meta_edit_fn edit, void *ctx)
{
    struct mc_err err;
    cJSON *meta;
    int dir_fd;
    int rc;

    if (mc_cache_open(cache, &dir_fd, &meta, &err) != 0) {
        mc_log_always(MC_LOG_ERROR, "%s", err.msg);
        return MC_EXIT_FAILED;
    }
    cJSON_Delete(meta);
    rc = mc_meta_update(dir_fd, cache->path, cache->id, edit, ctx, &err);
    close(dir_fd);
    if (rc != 0) {
        mc_log_always(MC_LOG_ERROR, "%s", err.msg);
        return MC_EXIT_FAILED;
    }
    return 0;
}

#define meta_usage(...) cli_bad_usage("meta", cli_usage_meta, MC_EXIT_USAGE, __VA_ARGS__)

int cmd_meta(int argc, char **argv)
{
    struct insertion insertion = { NULL, 0, 0 };
    const char *target = NULL;
    const char *key = NULL;
    struct mc_cache cache;
    int options_done = 0;
    int json = 0;
    int rc = 0;
    int i;

    insertion.pairs = calloc((size_t)argc, sizeof(char *));
    if (!insertion.pairs)
        return MC_EXIT_FAILED;
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];

        if (!options_done && cli_is_help(arg)) {
            free(insertion.pairs);
            return cli_help(cli_usage_meta);
        }
        if (!options_done && strcmp(arg, "--") == 0) {
            options_done = 1;   /* KEY=VALUE pairs from here, whatever they start with */
        } else if (options_done && target && strchr(arg, '=') && arg[0] != '=') {
            insertion.pairs[insertion.count++] = argv[i];
        } else if (strcmp(arg, "--json") == 0) {
            json = 1;
        } else if (strcmp(arg, "--get") == 0 && i + 1 < argc) {
            key = argv[++i];
        } else if (strcmp(arg, "--get") == 0) {
            rc = meta_usage("%s needs an argument", arg);
        } else if (arg[0] == '-' && arg[1] != '\0') {
            rc = meta_usage("unknown option %s", arg);
        } else if (!target) {
            target = arg;
        } else if (strchr(arg, '=') && arg[0] != '=') {
            insertion.pairs[insertion.count++] = argv[i];
        } else {
            rc = meta_usage("%s: expected KEY=VALUE", arg);
        }
        if (rc != 0) {
            free(insertion.pairs);
            return rc;
        }
    }
    if (!target || (key && insertion.count)) {
        free(insertion.pairs);
        return meta_usage("%s", !target ? "which cache? (an id or a path)"
                                        : "--get and KEY=VALUE do not go together");
    }
    insertion.json_only = json;
    if (cli_open_cache(target, NULL, &cache) != 0) {
        free(insertion.pairs);
        return MC_EXIT_FAILED;
    }
    if (insertion.count)
        rc = update(&cache, insert_pairs, &insertion);
    else
        rc = show(&cache, key, json);
    mc_cache_free(&cache);
    free(insertion.pairs);
    return rc;
}

static int lock_command(int argc, char **argv, int locked)
{
    const char *usage = locked ? cli_usage_lock : cli_usage_unlock;
    struct mc_cache cache;
    int failed = 0;
    int i;

    for (i = 1; i < argc; i++) {
        if (cli_is_help(argv[i]))
            return cli_help(usage);
        if (argv[i][0] == '-' && argv[i][1] != '\0')
            return cli_bad_usage(argv[0], usage, MC_EXIT_USAGE, "unknown option %s", argv[i]);
    }
    if (argc < 2)
        return cli_bad_usage(argv[0], usage, MC_EXIT_USAGE, "which cache? (an id or a path)");
    for (i = 1; i < argc; i++) {
        if (cli_open_cache(argv[i], NULL, &cache) != 0) {
            failed = 1;
            continue;
        }
        failed |= update(&cache, set_locked, &locked) != 0;
        mc_cache_free(&cache);
    }
    return failed ? MC_EXIT_FAILED : 0;
}

int cmd_lock(int argc, char **argv)
{
    return lock_command(argc, argv, 1);
}

int cmd_unlock(int argc, char **argv)
{
    return lock_command(argc, argv, 0);
}
