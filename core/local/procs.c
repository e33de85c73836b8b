/* procs.c — finding lock files' holders through /proc (see procs.h). */
#include "procs.h"
#include "common/utc.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MC_PROCS_FIRST_CAP 16
#define MC_STAT_TEXT_MAX 1024
#define MC_STARTTIME_FIELD 22       /* proc(5): starttime, in clock ticks since boot */
#define MC_WATCH_ARG "__watch"

static int by_ino(const void *a, const void *b)
{
    unsigned long long x = *(const unsigned long long *)a;
    unsigned long long y = *(const unsigned long long *)b;

    return x < y ? -1 : x > y;
}

static int by_ino_then_pid(const void *a, const void *b)
{
    const struct mc_holding *x = a;
    const struct mc_holding *y = b;

    if (x->ino != y->ino)
        return x->ino < y->ino ? -1 : 1;
    return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static int add(struct mc_holdings *out, size_t *cap, unsigned long long ino, long pid)
{
    size_t i;

    for (i = out->count; i > 0 && out->items[i - 1].pid == pid; i--) {
        if (out->items[i - 1].ino == ino)
            return 0;   /* this process holds it twice: once is enough */
    }
    if (out->count == *cap) {
        size_t grown_cap = *cap ? *cap * 2 : MC_PROCS_FIRST_CAP;
        struct mc_holding *grown = realloc(out->items, grown_cap * sizeof(*grown));

        if (!grown)
            return -1;
        out->items = grown;
        *cap = grown_cap;
    }
    out->items[out->count].ino = ino;
    out->items[out->count].pid = pid;
    out->items[out->count].watcher = 0;
    out->count++;
    return 0;
}

/* 1 if the command line has a monocache followed by "__watch": argv[0]
 * and argv[1] normally, later arguments when a wrapper (valgrind) runs it. */
int mc_process_is_watcher(long pid)
{
    char path[64];
    char text[1024];
    size_t len, at, next;
    FILE *file;

    snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
    file = fopen(path, "re");
    if (!file)
        return 0;
    len = fread(text, 1, sizeof(text) - 1, file);
    fclose(file);
    text[len] = '\0';
    for (at = 0; at < len; at = next) {
        size_t arg_len = strlen(text + at);

        next = at + arg_len + 1;
        if (next < len && arg_len >= 9 && strcmp(text + at + arg_len - 9, "monocache") == 0 &&
            strcmp(text + next, MC_WATCH_ARG) == 0)
            return 1;
    }
    return 0;
}

static void scan_process(long pid, unsigned long long dev, const unsigned long long *inos,
                         size_t n, struct mc_holdings *out, size_t *cap)
{
    char path[64];
    struct dirent *entry;
    size_t before = out->count;
    DIR *fds;

    snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
    fds = opendir(path);
    if (!fds)
        return;
    while ((entry = readdir(fds)) != NULL) {
        unsigned long long ino;
        struct stat st;

        if (entry->d_name[0] == '.' || fstatat(dirfd(fds), entry->d_name, &st, 0) != 0 ||
            (unsigned long long)st.st_dev != dev)
            continue;
        ino = (unsigned long long)st.st_ino;
        if (bsearch(&ino, inos, n, sizeof(*inos), by_ino))
            add(out, cap, ino, pid);
    }
    closedir(fds);
    if (out->count > before && mc_process_is_watcher(pid)) {
        size_t i;

        for (i = before; i < out->count; i++)
            out->items[i].watcher = 1;
    }
}

int mc_find_holders(unsigned long long dev, const unsigned long long *inos, size_t n,
                    struct mc_holdings *out)
{
    DIR *proc = opendir("/proc");
    struct dirent *entry;
    size_t cap = 0;

    out->items = NULL;
    out->count = 0;
    if (!proc)
        return -1;
    while (n > 0 && (entry = readdir(proc)) != NULL) {
        char *end;
        long pid = strtol(entry->d_name, &end, 10);

        /* Not ourselves: ls run inside a tree would count itself. */
        if (pid > 0 && *end == '\0' && pid != (long)getpid())
            scan_process(pid, dev, inos, n, out, &cap);
    }
    closedir(proc);
    if (out->count)
        qsort(out->items, out->count, sizeof(*out->items), by_ino_then_pid);
    return 0;
}

void mc_holdings_free(struct mc_holdings *holdings)
{
    free(holdings->items);
    holdings->items = NULL;
    holdings->count = 0;
}

size_t mc_holdings_of(const struct mc_holdings *holdings, unsigned long long ino,
                      const struct mc_holding **first)
{
    size_t lo = 0;
    size_t hi = holdings->count;
    size_t count = 0;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (holdings->items[mid].ino < ino)
            lo = mid + 1;
        else
            hi = mid;
    }
    *first = holdings->items ? holdings->items + lo : NULL;
    while (lo + count < holdings->count && holdings->items[lo + count].ino == ino)
        count++;
    return count;
}

static long long boot_time(void)
{
    char line[128];
    long long seconds = -1;
    FILE *file = fopen("/proc/stat", "re");

    while (file && fgets(line, sizeof(line), file)) {
        if (sscanf(line, "btime %lld", &seconds) == 1)
            break;
    }
    if (file)
        fclose(file);
    return seconds;
}

static void start_time(long pid, char *out, size_t size)
{
    char path[64];
    char text[MC_STAT_TEXT_MAX];
    unsigned long long ticks;
    long long boot = boot_time();
    const char *p;
    time_t when;
    size_t len;
    FILE *file;
    int field;

    snprintf(out, size, "?");
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    file = fopen(path, "re");
    if (!file)
        return;
    len = fread(text, 1, sizeof(text) - 1, file);
    fclose(file);
    text[len] = '\0';
    /* The command name (field 2) may hold spaces: count from its ')'. */
    p = strrchr(text, ')');
    for (field = 2; p && field < MC_STARTTIME_FIELD; field++)
        p = strchr(p + 1, ' ');
    if (!p || boot < 0 || sscanf(p + 1, "%llu", &ticks) != 1)
        return;
    when = (time_t)(boot + (long long)(ticks / (unsigned long long)sysconf(_SC_CLK_TCK)));
    mc_utc_stamp(when, out, size);
}

void mc_process_describe(long pid, char *cmdline, size_t cmdline_size, char *started,
                         size_t started_size)
{
    char path[64];
    size_t len = 0;
    size_t i;
    FILE *file;

    snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
    file = fopen(path, "re");
    if (file) {
        len = fread(cmdline, 1, cmdline_size - 1, file);
        fclose(file);
    }
    while (len > 0 && cmdline[len - 1] == '\0')
        len--;
    for (i = 0; i < len; i++) {
        if (cmdline[i] == '\0' || cmdline[i] == '\n')
            cmdline[i] = ' ';
    }
    cmdline[len] = '\0';
    if (len == 0)
        snprintf(cmdline, cmdline_size, "?");
    start_time(pid, started, started_size);
}
