/* cmd_holders.c — `monocache holders ID|PATH`: which processes on this host
 * hold a cache, and so keep it from being released: pid, start time and
 * command line of each, found as fuser(1) finds them (procs.h). */
#include "cli.h"
#include "opts.h"
#include "common/log.h"
#include "local/procs.h"
#include "local/session.h"
#include "host/safeopen.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define MC_CMDLINE_MAX 4096
#define MC_STAMP_MAX 32

/* One holder, as a table line or a JSON object (after the first, with a
 * comma). */
static void print_one(long pid, int watcher, int json, int *printed)
{
    char cmdline[MC_CMDLINE_MAX];
    char started[MC_STAMP_MAX];
    cJSON *item;
    char *text;

    mc_process_describe(pid, cmdline, sizeof(cmdline), started, sizeof(started));
    if (!json) {
        printf("%-8ld %-20s  %s%s\n", pid, started, cmdline, watcher ? "  (watcher)" : "");
        return;
    }
    item = cJSON_CreateObject();
    cJSON_AddNumberToObject(item, "pid", (double)pid);
    cJSON_AddStringToObject(item, "started", started);
    cJSON_AddStringToObject(item, "command", cmdline);
    cJSON_AddBoolToObject(item, "watcher", watcher);
    text = cJSON_PrintUnformatted(item);
    printf("%s%s", *printed ? ",\n" : "\n", text ? text : "{}");
    (*printed)++;
    free(text);
    cJSON_Delete(item);
}

static void print_holders(const struct mc_holding *first, size_t count, int watchers, int json,
                          int *printed)
{
    size_t i;

    for (i = 0; i < count; i++) {
        if (first[i].watcher == watchers)
            print_one(first[i].pid, watchers, json, printed);
    }
}

/* The watcher keeps its memory from core dumps and debuggers (it may hold
 * a Redis password), which also hides its descriptors in /proc from other
 * processes of its user: found through the lock file's record instead. */
static void print_recorded_watcher(const struct mc_cache *cache, int json, int *printed)
{
    struct mc_lock_record record;
    int fd = mc_open_regular(AT_FDCWD, cache->lock_path, O_RDONLY, NULL);

    if (fd < 0)
        return;
    if (mc_session_read(fd, &record) == 0 && record.watcher_pid > 0 &&
        mc_process_is_watcher(record.watcher_pid))
        print_one(record.watcher_pid, 1, json, printed);
    close(fd);
}

static int has_watcher(const struct mc_holding *first, size_t count)
{
    size_t i;

    for (i = 0; i < count; i++) {
        if (first[i].watcher)
            return 1;
    }
    return 0;
}

int cmd_holders(int argc, char **argv)
{
    const struct mc_holding *first;
    struct mc_holdings holdings;
    const char *root_option = NULL;
    struct mc_cache cache;
    unsigned long long ino;
    struct stat st;
    size_t count;
    int printed = 0;
    int json = 0;
    int targets;
    int rc;
    const struct cli_opt opts[] = {
        { "--root", 0, NULL, &root_option, NULL },
        { "--json", 0, &json, NULL, NULL },
        { NULL, 0, NULL, NULL, NULL },
    };
    const struct cli_parse parse = { .command = "holders", .usage = cli_usage_holders,
                                     .opts = opts, .min_args = 1, .max_args = 1,
                                     .missing = CLI_WHICH_CACHE };

    if (!cli_parse(&parse, argc, argv, &targets, &rc))
        return rc;
    if (cli_open_cache("holders", argv[1], root_option, &cache) != 0)
        return MC_EXIT_FAILED;
    if (lstat(cache.path, &st) != 0) {
        mc_log_always(MC_LOG_ERROR, "%s: no such cache", cache.path);
        mc_cache_free(&cache);
        return MC_EXIT_FAILED;
    }
    if (json)
        printf("[");
    else
        printf("%-8s %-20s  %s\n", "PID", "STARTED", "COMMAND");
    if (lstat(cache.lock_path, &st) == 0 && S_ISREG(st.st_mode)) {
        ino = (unsigned long long)st.st_ino;
        if (mc_find_holders((unsigned long long)st.st_dev, &ino, 1, &holdings) != 0) {
            mc_log_always(MC_LOG_ERROR, "/proc: cannot be read");
            mc_cache_free(&cache);
            return MC_EXIT_FAILED;
        }
        count = mc_holdings_of(&holdings, ino, &first);
        print_holders(first, count, 0, json, &printed);
        print_holders(first, count, 1, json, &printed);
        if (!has_watcher(first, count))
            print_recorded_watcher(&cache, json, &printed);
        mc_holdings_free(&holdings);
    }
    if (json)
        printf("%s]\n", printed ? "\n" : "");
    mc_cache_free(&cache);
    return 0;
}
