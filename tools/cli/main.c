/* main.c — the monocache command: dispatch to subcommands, --help, --version,
 * and the helpers the subcommands share (cli.h). */
#include "cli.h"
#include "common/buf.h"
#include "common/log.h"
#include "host/proto.h"
#include "shared/tool.h"
#include "watch/watch.h"

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
    { "__watch", watch_main, NULL, 0 },
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
    if (command->run != watch_main && command->run != cmd_run && tool_setup_log(1) != 0)
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
