/* run_env.c — the environments of monocache run: the watcher's (run's
 * options turned into the MONOCACHE_* orders it reads) and the program's
 * (LD_PRELOAD with our library added). */
#include "run.h"
#include "opts.h"
#include "supervise.h"
#include "common/buf.h"
#include "common/jsontext.h"
#include "common/log.h"
#include "common/meta.h"
#include "common/setting.h"
#include "host/hold.h"
#include "host/proto.h"
#include "redis/redisconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PRELOAD_ASSIGNMENT "LD_PRELOAD="
#define MC_OPTIONS_TEXT_MAX 1024

int run_env_flag(const char *name)
{
    struct mc_err err;
    int flag = 0;

    /* A bad value is reported by the watcher, which run then asks. */
    if (mc_parse_flag(name, getenv(name), &flag, &err) != 0)
        return 1;
    return flag;
}

int run_env_text(const char *name)
{
    const char *value = getenv(name);

    return value && *value;
}

/* The descriptor holding the cache of the tree this process belongs to, or
 * -1 (not in a live tree). */
int run_tree_hold_fd(void)
{
    const char *text = getenv(MC_ENV_HOLD);
    struct mc_hold hold;
    struct stat st;

    if (!text || mc_hold_parse(text, &hold) != 0)
        return -1;
    if (fstat(hold.fd, &st) != 0 || (unsigned long long)st.st_dev != hold.dev ||
        (unsigned long long)st.st_ino != hold.ino)
        return -1;
    return hold.fd;
}

/* LD_PRELOAD with our library added, unless it is there already. */
int run_compose_preload(const char *lib)
{
    const char *current = getenv("LD_PRELOAD");
    char *combined;
    int rc;

    if (current && *current) {
        size_t lib_len = strlen(lib);
        const char *p = current;

        while ((p = strstr(p, lib)) != NULL) {
            int starts = p == current || p[-1] == ':' || p[-1] == ' ';
            int ends = p[lib_len] == '\0' || p[lib_len] == ':' || p[lib_len] == ' ';

            if (starts && ends)
                return 0;
            p += lib_len;
        }
        combined = mc_concat(current, ":", lib, NULL);
    } else {
        combined = strdup(lib);
    }
    if (!combined)
        return -1;
    rc = setenv("LD_PRELOAD", combined, 1);
    free(combined);
    return rc;
}

static int set_or_unset(const char *name, const char *value)
{
    return value ? setenv(name, value, 1) : 0;
}

/* MONOCACHE_STARTER=run of <program> for the watcher's log line. */
static char *starter_entry(const char *program)
{
    const char *name = strrchr(program, '/');

    return mc_concat(MC_ENV_STARTER "=monocache run of ", name ? name + 1 : program, NULL);
}

/* MONOCACHE_OPTIONS for the watcher: which variables came from options. */
static int set_options_note(void)
{
    char text[MC_OPTIONS_TEXT_MAX];

    if (mc_settings_text(text, sizeof(text)) != 0)
        return -1;
    return text[0] ? setenv(MC_ENV_OPTIONS, text, 1) : 0;
}

/* --export adds to MONOCACHE_EXPORT, as --meta adds to MONOCACHE_META. */
static int add_exports(const char *exports)
{
    const char *current = getenv(MC_ENV_EXPORT);
    char *joined;
    int rc;

    if (!exports)
        return 0;
    joined = current && *current ? mc_concat(current, ",", exports, NULL) : strdup(exports);
    rc = joined ? setenv(MC_ENV_EXPORT, joined, 1) : -1;
    free(joined);
    return rc;
}

/* MONOCACHE_META with the --meta keys over it (a MONOCACHE_META that is not
 * a JSON object is left for the watcher to report): malloc'd text. */
static char *merged_meta(const cJSON *options_meta)
{
    const char *current = getenv(MC_ENV_META);
    cJSON *merged = current ? mc_json_parse(current, strlen(current)) : NULL;
    const cJSON *item;
    char *text;

    if (!cJSON_IsObject(merged)) {
        cJSON_Delete(merged);
        if (current && *current)
            return strdup(current);
        merged = cJSON_CreateObject();
    }
    cJSON_ArrayForEach(item, options_meta)
        mc_meta_set_key(merged, item->string, cJSON_Duplicate(item, 1));
    text = merged ? cJSON_PrintUnformatted(merged) : NULL;
    cJSON_Delete(merged);
    return text;
}

/* The watcher reads its orders from the environment; run's options become
 * variables for it only. */
char **run_watcher_env(const struct run_options *options)
{
    char *meta_text = NULL;
    char **env = NULL;
    size_t count = 0;
    size_t i;
    int rc = 0;

    rc |= set_or_unset(MC_ENV_ROOT, options->root);
    rc |= set_or_unset(MC_ENV_EXISTING, options->existing);
    rc |= set_or_unset(MC_ENV_NAME, options->name);
    rc |= set_or_unset(MC_ENV_REDIS, options->redis);
    rc |= set_or_unset(MC_ENV_S3, options->s3);
    rc |= set_or_unset(MC_ENV_S3_UPLOAD, options->s3_upload);
    rc |= set_or_unset(MC_ENV_S3_RESTORE_KEYS, options->restore_keys);
    if (options->redis)
        cli_redis_url_only();
    rc |= add_exports(options->exports);
    rc |= set_options_note();
    if (options->lock)
        rc |= setenv(MC_ENV_LOCK, "1", 1);
    if (options->new_cache)
        rc |= setenv(MC_ENV_NEW, "1", 1);
    if (options->meta) {
        meta_text = merged_meta(options->meta);
        rc |= meta_text ? setenv(MC_ENV_META, meta_text, 1) : -1;
        free(meta_text);
    }
    if (rc != 0)
        return NULL;
    while (environ[count])
        count++;
    env = calloc(count + 2, sizeof(*env));
    if (!env)
        return NULL;
    for (i = 0, count = 0; environ[i]; i++) {
        if (strncmp(environ[i], PRELOAD_ASSIGNMENT, sizeof(PRELOAD_ASSIGNMENT) - 1) != 0)
            env[count++] = strdup(environ[i]);
    }
    env[count++] = starter_entry(options->program[0]);
    /* What the program sees: only what the watcher's answer sets. */
    unsetenv(MC_ENV_LOCK);
    unsetenv(MC_ENV_OPTIONS);
    unsetenv(MC_ENV_META);
    if (options->new_cache)
        unsetenv(MC_ENV_NEW);
    return env;
}

void run_free_env(char **env)
{
    size_t i;

    for (i = 0; env && env[i]; i++)
        free(env[i]);
    free(env);
}
