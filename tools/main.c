/* main.c — the monocache command: dispatch to subcommands, --help, --version,
 * and the helpers the subcommands share (cli.h). */
#include "cli.h"
#include "buf.h"
#include "log.h"
#include "proto.h"

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

static const char usage[] =
    "usage: monocache <command> [options]\n"
    "\n"
    "  run [--root DIR] [--existing ID|PATH] [--lock] [--meta KEY=VALUE]...\n"
    "      [--export VARS] [--new] -- PROGRAM [ARGS...]\n"
    "                       run PROGRAM with a cache directory ($MONOCACHE_PATH)\n"
    "  ls [--json] [--root DIR]        list caches\n"
    "  meta ID|PATH [--get KEY] [KEY=VALUE...] [--json]\n"
    "                       print a cache's meta, or insert keys\n"
    "  lock ID|PATH         keep the cache when its last holder ends\n"
    "  unlock ID|PATH       wipe it when its last holder ends\n"
    "  gc [--dry-run] [--root DIR]     reclaim caches whose holders are all gone\n"
    "  rm [--force] ID|PATH            wipe a cache now\n"
    "  preload-path         print the path of libmonocache.so\n"
    "  --help, --version\n"
    "\n"
    "Exit status: 0 success; 1 a command failed; 2 usage error;\n"
    "run: the program's status, 125 monocache's own error, 126 not executable,\n"
    "127 not found. See monocache(1).\n";

const char *cli_getenv(const char *name, void *ctx)
{
    (void)ctx;
    return getenv(name);
}

int cli_setup_log(void)
{
    enum mc_log_level level;
    struct mc_err err;

    if (mc_parse_log_level(getenv(MC_ENV_LOG), &level, &err) != 0) {
        mc_log_always(MC_LOG_ERROR, "%s", err.msg);
        return -1;
    }
    if (mc_log_setup(level, getenv(MC_ENV_LOG_FILE), &err) != 0)
        mc_log_always(MC_LOG_WARN, "%s", err.msg);
    return 0;
}

int cli_open_root(const char *root_option, struct mc_root *root)
{
    const char *given = root_option ? root_option : getenv(MC_ENV_ROOT);
    struct mc_err err;
    int rc;

    if (given && !*given)
        given = NULL;
    rc = mc_root_open(given, getenv("TMPDIR"), MC_ROOT_EXISTING, root, &err);
    if (rc < 0)
        mc_log_always(MC_LOG_ERROR, "%s", err.msg);
    if (rc == 0 && root->note)
        mc_log_always(MC_LOG_WARN, "%s", root->note);
    return rc;
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

char *cli_find_sibling(const char *name, const char *fallback_dir)
{
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
    char *path;

    if (len > 0) {
        char *slash;

        self[len] = '\0';
        slash = strrchr(self, '/');
        if (slash) {
            slash[1] = '\0';
            path = mc_concat(self, name, NULL);
            if (path && access(path, F_OK) == 0)
                return path;
            free(path);
        }
    }
    path = mc_concat(fallback_dir, "/", name, NULL);
    if (path && access(path, F_OK) == 0)
        return path;
    free(path);
    return NULL;
}

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
};

static const struct command commands[] = {
    { "run", cmd_run },
    { "ls", cmd_ls },
    { "meta", cmd_meta },
    { "lock", cmd_lock },
    { "unlock", cmd_unlock },
    { "gc", cmd_gc },
    { "rm", cmd_rm },
    { "preload-path", cmd_preload_path },
    { "__watch", cmd_watch },
};

int main(int argc, char **argv)
{
    size_t i;

    if (argc < 2) {
        fputs(usage, stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("monocache %s\n", MC_VERSION);
        return 0;
    }
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            if (strcmp(argv[1], "__watch") != 0 && strcmp(argv[1], "run") != 0 &&
                cli_setup_log() != 0)
                return 1;
            return commands[i].run(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "monocache: unknown command \"%s\"; see monocache --help\n", argv[1]);
    return 2;
}
