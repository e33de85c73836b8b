/* main.c — the monocache command: dispatch to subcommands, --help, --version,
 * and the helpers the subcommands share (cli.h). */
#include "cli.h"
#include "buf.h"
#include "log.h"
#include "proto.h"
#include "register.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef MC_VERSION
#define MC_VERSION "0.0.0"
#endif

/* Present in this executable so that libmonocache.so, preloaded into it by
 * an exported LD_PRELOAD, does not make a cache for the tool itself. */
__attribute__((visibility("default"), used)) const int monocache_cli_no_auto_cache = 1;

const char *cli_getenv(const char *name, void *ctx)
{
    (void)ctx;
    return getenv(name);
}

int cli_setup_log(int report_file_error)
{
    enum mc_log_level level;
    struct mc_err err;
    int json;

    if (mc_parse_log_level(getenv(MC_ENV_LOG), &level, &err) != 0 ||
        mc_parse_log_format(getenv(MC_ENV_LOG_FORMAT), &json, &err) != 0) {
        mc_log_always(MC_LOG_ERROR, "%s", err.msg);
        return -1;
    }
    mc_log_set_format(json ? MC_LOG_JSON : MC_LOG_TEXT);
    if (mc_log_setup(level, getenv(MC_ENV_LOG_FILE), &err) != 0 && report_file_error)
        mc_log_always(MC_LOG_WARN, "%s", err.msg);
    return 0;
}

int cli_open_root(const char *command, const char *root_option, struct mc_root *root)
{
    const char *given = root_option ? root_option : getenv(MC_ENV_ROOT);
    struct mc_err err;
    int rc;

    if (given && !*given)
        given = NULL;
    rc = mc_root_open(given, getenv("TMPDIR"), MC_ROOT_EXISTING, root, &err);
    if (rc < 0)
        mc_log_always(MC_LOG_ERROR, "%s", err.msg);
    if (rc == 1 && given) {
        if (root_option)
            mc_log_always(MC_LOG_ERROR, "%s: --root %s: no such directory", command, given);
        else
            mc_log_always(MC_LOG_ERROR, "%s: " MC_ENV_ROOT "=%s: no such directory", command,
                          given);
        rc = -1;
    }
    if (rc == 0 && root->note)
        mc_log_always(MC_LOG_WARN, "%s", root->note);
    return rc;
}

int cli_open_share(struct cli_share *cs)
{
    struct mc_err err;

    memset(cs, 0, sizeof(*cs));
    if (mc_redis_config_load(&cs->rc, NULL, cli_getenv, NULL, &err) != 0) {
        mc_log_always(MC_LOG_ERROR, "%s", err.msg);
        return -1;
    }
    if (cs->rc.enabled && mc_register_open(&cs->rc, &cs->share.reg, &err) != 0) {
        mc_log_always(MC_LOG_ERROR, "%s", err.msg);
        mc_redis_config_free(&cs->rc);
        return -1;
    }
    return 0;
}

void cli_close_share(struct cli_share *cs)
{
    mc_register_close(cs->share.reg);
    mc_redis_config_free(&cs->rc);
    memset(cs, 0, sizeof(*cs));
}

int cli_open_cache(const char *arg, const char *root_option, struct mc_cache *cache)
{
    const char *given = root_option ? root_option : getenv(MC_ENV_ROOT);
    char id[MC_ID_LEN + 1];
    struct mc_root root;
    struct mc_err err;
    int rc;

    if (given && !*given)
        given = NULL;
    if (mc_cache_resolve(arg, arg, given, getenv("TMPDIR"), &root, id, &err) != 0) {
        mc_log_always(MC_LOG_ERROR, "%s", err.msg);
        return -1;
    }
    rc = mc_cache_init(cache, &root, id, &err);
    mc_root_free(&root);
    if (rc != 0)
        mc_log_always(MC_LOG_ERROR, "%s", err.msg);
    return rc;
}

/* The resolved dir + rel, then "/" + the soname or the plain name,
 * whichever is there: malloc'd, or NULL. */
static char *library_in(const char *dir, const char *rel)
{
    static const char *const names[] = { MC_LIB_SONAME, MC_LIB_NAME };
    char *joined = mc_concat(dir, rel, NULL);
    char *real = joined ? realpath(joined, NULL) : NULL;
    char *path = NULL;
    size_t i;

    for (i = 0; real && !path && i < sizeof(names) / sizeof(names[0]); i++) {
        path = mc_concat(real, "/", names[i], NULL);
        if (path && access(path, F_OK) != 0) {
            free(path);
            path = NULL;
        }
    }
    free(joined);
    free(real);
    return path;
}

char *cli_find_library(void)
{
    const char *const relative[] = { "", "/../lib", cli_multiarch_lib, "/../lib64" };
    char *path = NULL;
    char *self = realpath("/proc/self/exe", NULL);
    char *slash = self ? strrchr(self, '/') : NULL;
    size_t i;

    if (slash)
        *slash = '\0';
    for (i = 0; slash && !path && i < sizeof(relative) / sizeof(relative[0]); i++)
        path = library_in(self, relative[i]);
    free(self);
    if (!path)
        path = library_in(cli_libdir, "");
    return path;
}

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *usage;
    int takes_redis;    /* --redis URL, as MONOCACHE_REDIS */
};

static const struct command commands[] = {
    { "run", cmd_run, cli_usage_run, 0 },
    { "ls", cmd_ls, cli_usage_ls, 1 },
    { "meta", cmd_meta, cli_usage_meta, 0 },
    { "lock", cmd_lock, cli_usage_lock, 0 },
    { "unlock", cmd_unlock, cli_usage_unlock, 0 },
    { "holders", cmd_holders, cli_usage_holders, 0 },
    { "gc", cmd_gc, cli_usage_gc, 1 },
    { "rm", cmd_rm, cli_usage_rm, 1 },
    { "preload-path", cmd_preload_path, cli_usage_preload_path, 0 },
    { "push", cmd_push, cli_usage_push, 0 },
    { "pull", cmd_pull, cli_usage_pull, 0 },
    { "__watch", cmd_watch, NULL, 0 },
};

static const struct command *find_command(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(name, commands[i].name) == 0)
            return &commands[i];
    }
    return NULL;
}

/* --redis URL (or --redis=URL) anywhere before "--": set as
 * MONOCACHE_REDIS, replacing the whole Redis setting, and taken out of the
 * arguments. 0, or an exit status. */
static int take_redis_option(const struct command *command, int *argc, char **argv)
{
    const char *url = NULL;
    int i, out, skip;

    for (i = 1, out = 1; i < *argc; i += skip) {
        skip = 1;
        if (strcmp(argv[i], "--") == 0) {
            while (i < *argc)
                argv[out++] = argv[i++];
            break;
        }
        if (strcmp(argv[i], "--redis") == 0 && i + 1 < *argc) {
            url = argv[i + 1];
            skip = 2;
        } else if (cli_inline_value(argv[i], "--redis")) {
            url = cli_inline_value(argv[i], "--redis");
        } else if (strcmp(argv[i], "--redis") == 0) {
            return cli_bad_usage(command->name, command->usage, MC_EXIT_USAGE,
                                 "--redis needs an argument");
        } else {
            argv[out++] = argv[i];
        }
    }
    argv[out] = NULL;
    *argc = out;
    if (url) {
        setenv(MC_ENV_REDIS, url, 1);
        unsetenv(MC_ENV_REDIS_HOST);
        unsetenv(MC_ENV_REDIS_PORT);
    }
    return 0;
}

/* ls --s3 URL [--json], rm --s3 URL: S3's, not the root's, and nothing
 * else. 0 (*url set, or NULL when there is no --s3), or a usage status. */
static int s3_option(const struct command *command, int argc, char **argv, const char **url)
{
    int others = 0;
    int i;

    *url = NULL;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--s3") == 0 && i + 1 < argc)
            *url = argv[++i];
        else if (cli_inline_value(argv[i], "--s3"))
            *url = cli_inline_value(argv[i], "--s3");
        else if (strcmp(argv[i], "--s3") == 0)
            return cli_bad_usage(command->name, command->usage, MC_EXIT_USAGE,
                                 "--s3 needs an argument (s3://bucket/prefix%s)",
                                 command->run == cmd_rm ? "/<id>" : "");
        else if (!(command->run == cmd_ls && strcmp(argv[i], "--json") == 0))
            others++;
    }
    if (*url && others)
        return cli_bad_usage(command->name, command->usage, MC_EXIT_USAGE, "%s --s3 takes %s",
                             command->name, command->run == cmd_ls ? "only --json besides"
                                                                    : "one cache, nothing else");
    return 0;
}

static int has_arg(int argc, char **argv, const char *arg)
{
    int i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], arg) == 0)
            return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const struct command *command;

    if (argc < 2) {
        fputs(cli_usage_main, stderr);
        return MC_EXIT_USAGE;
    }
    if (cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
        command = argc > 2 ? find_command(argv[2]) : NULL;
        return cli_help(command && command->usage ? command->usage : cli_usage_main);
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("monocache %s\n", MC_VERSION);
        return 0;
    }
    command = find_command(argv[1]);
    if (!command) {
        fprintf(stderr, "monocache: unknown command \"%s\"; see monocache --help\n", argv[1]);
        return MC_EXIT_USAGE;
    }
    if (command->run != cmd_watch && command->run != cmd_run && cli_setup_log(1) != 0)
        return MC_EXIT_FAILED;
    argc--;
    argv++;
    if (command->run == cmd_ls || command->run == cmd_rm) {
        const char *s3;
        int rc = s3_option(command, argc, argv, &s3);

        if (rc != 0)
            return rc;
        if (s3)
            return command->run == cmd_ls ? cli_s3_ls(s3, has_arg(argc, argv, "--json"))
                                          : cli_s3_rm(s3);
    }
    if (command->takes_redis) {
        int rc = take_redis_option(command, &argc, argv);

        if (rc != 0)
            return rc;
    }
    return command->run(argc, argv);
}
