/* cmd_meta.c — `monocache meta`, `lock` and `unlock`: reading and changing a
 * cache's meta.json (the Python package's meta, insert_meta, lock_cache and
 * unlock_cache). Changes go through mc_meta_update: locked, re-read, renamed
 * into place, so concurrent writers lose nothing. */
#include "cli.h"
#include "opts.h"
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
        const char *why;
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
        if (mc_meta_key_check(pair, value, &why) != 0) {
            mc_err_set(err, "%s: %s", pair, why);
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

/* KEY=VALUE: a pair to set (a key may not start with '='). */
static int is_pair(const char *arg)
{
    return arg[0] != '=' && strchr(arg, '=') != NULL;
}

int cmd_meta(int argc, char **argv)
{
    struct insertion insertion = { NULL, 0, 0 };
    const char *root_option = NULL;
    const char *key = NULL;
    struct mc_cache cache;
    int json = 0;
    int rest;
    int rc;
    int i;
    const struct cli_opt opts[] = {
        { "--json", 0, &json, NULL, NULL },
        { "--get", 0, NULL, &key, NULL },
        { "--root", 0, NULL, &root_option, NULL },
        { NULL, 0, NULL, NULL, NULL },
    };
    const struct cli_parse parse = { .command = "meta", .usage = cli_usage_meta, .opts = opts,
                                     .min_args = 1, .max_args = CLI_ANY,
                                     .missing = CLI_WHICH_CACHE };

    if (!cli_parse(&parse, argc, argv, &rest, &rc))
        return rc;
    for (i = 2; i <= rest; i++) {
        if (!is_pair(argv[i]))
            return meta_usage("%s: expected KEY=VALUE", argv[i]);
    }
    if (key && rest > 1)
        return meta_usage("--get and KEY=VALUE do not go together");
    insertion.pairs = argv + 2;
    insertion.count = rest - 1;
    insertion.json_only = json;
    if (cli_open_cache("meta", argv[1], root_option, &cache) != 0)
        return MC_EXIT_FAILED;
    if (insertion.count)
        rc = update(&cache, insert_pairs, &insertion);
    else
        rc = show(&cache, key, json);
    mc_cache_free(&cache);
    return rc;
}

static int lock_command(int argc, char **argv, int locked)
{
    const char *usage = locked ? cli_usage_lock : cli_usage_unlock;
    const char *command = locked ? "lock" : "unlock";
    const char *root_option = NULL;
    struct mc_cache cache;
    int failed = 0;
    int targets;
    int rc;
    int i;
    const struct cli_opt opts[] = {
        { "--root", 0, NULL, &root_option, NULL },
        { NULL, 0, NULL, NULL, NULL },
    };
    const struct cli_parse parse = { .command = command, .usage = usage, .opts = opts,
                                     .min_args = 1, .max_args = CLI_ANY,
                                     .missing = CLI_WHICH_CACHE };

    if (!cli_parse(&parse, argc, argv, &targets, &rc))
        return rc;
    for (i = 1; i <= targets; i++) {
        if (cli_open_cache(command, argv[i], root_option, &cache) != 0) {
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
