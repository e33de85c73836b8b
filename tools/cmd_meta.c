/* cmd_meta.c — `monocache meta`, `lock` and `unlock`: reading and changing a
 * cache's meta.json (the Python package's meta, insert_meta, lock_cache and
 * unlock_cache). Changes go through mc_meta_update: locked, re-read, renamed
 * into place, so concurrent writers lose nothing. */
#include "cli.h"
#include "log.h"
#include "meta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MC_EXIT_FAILED 1
#define MC_EXIT_USAGE 2

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
            value = cJSON_ParseWithOpts(equals + 1, NULL, 1);
        else
            value = mc_meta_value_from_text(equals + 1);
        if (!value) {
            mc_err_set(err, "%s: value is not valid JSON", pair);
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
    text = json ? cJSON_PrintUnformatted(value) : cJSON_Print(value);
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

static int meta_usage(void)
{
    fputs("usage: monocache meta ID|PATH [--json] [--get KEY] [KEY=VALUE...]\n", stderr);
    return MC_EXIT_USAGE;
}

int cmd_meta(int argc, char **argv)
{
    struct insertion insertion = { NULL, 0, 0 };
    const char *target = NULL;
    const char *key = NULL;
    struct mc_cache cache;
    int json = 0;
    int rc;
    int i;

    insertion.pairs = calloc((size_t)argc, sizeof(char *));
    if (!insertion.pairs)
        return MC_EXIT_FAILED;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--get") == 0 && i + 1 < argc) {
            key = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1] != '\0' && target) {
            free(insertion.pairs);
            return meta_usage();
        } else if (!target) {
            target = argv[i];
        } else if (strchr(argv[i], '=') && argv[i][0] != '=') {
            insertion.pairs[insertion.count++] = argv[i];
        } else {
            free(insertion.pairs);
            return meta_usage();
        }
    }
    if (!target || (key && insertion.count)) {
        free(insertion.pairs);
        return meta_usage();
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
    struct mc_cache cache;
    int rc;

    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: monocache %s ID|PATH\n", argv[0]);
        return MC_EXIT_USAGE;
    }
    if (cli_open_cache(argv[1], NULL, &cache) != 0)
        return MC_EXIT_FAILED;
    rc = update(&cache, set_locked, &locked);
    mc_cache_free(&cache);
    return rc;
}

int cmd_lock(int argc, char **argv)
{
    return lock_command(argc, argv, 1);
}

int cmd_unlock(int argc, char **argv)
{
    return lock_command(argc, argv, 0);
}
