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

/* The command sets up logging itself: run leaves it to its watcher (which
 * opens the same log file), the watcher to its configuration. */
#define CMD_OWN_LOG 1

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *usage;
    int flags;          /* CMD_* */
};

static const struct command commands[] = {
    { "run", cmd_run, cli_usage_run, CMD_OWN_LOG },
    { "ls", cmd_ls, cli_usage_ls, 0 },
    { "meta", cmd_meta, cli_usage_meta, 0 },
    { "lock", cmd_lock, cli_usage_lock, 0 },
    { "unlock", cmd_unlock, cli_usage_unlock, 0 },
    { "holders", cmd_holders, cli_usage_holders, 0 },
    { "gc", cmd_gc, cli_usage_gc, 0 },
    { "rm", cmd_rm, cli_usage_rm, 0 },
    { "preload-path", cmd_preload_path, cli_usage_preload_path, 0 },
    { "push", cmd_push, cli_usage_push, 0 },
    { "pull", cmd_pull, cli_usage_pull, 0 },
    { "__watch", watch_main, NULL, CMD_OWN_LOG },
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
    if (!(command->flags & CMD_OWN_LOG) && tool_setup_log(1) != 0)
        return MC_EXIT_FAILED;
    argc--;
    argv++;
    return command->run(argc, argv);
}
