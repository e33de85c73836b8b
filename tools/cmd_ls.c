/* cmd_ls.c — `monocache ls`: the caches under a root, with creation time,
 * lock state, live holders on this host and disk usage; a table for humans,
 * --json for scripts. Looks only: it takes no lock a running tree could
 * trip over. */
#include "cli.h"
#include "ids.h"
#include "log.h"
#include "meta.h"
#include "safeopen.h"
#include "session.h"
#include "wipe.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MC_EXIT_FAILED 1
#define MC_EXIT_USAGE 2
#define MC_DU_MAX_DEPTH 256
#define MC_BLOCK_BYTES 512

struct listed {
    struct mc_cache cache;
    cJSON *meta;                /* NULL if unreadable */
    char problem[MC_ERR_MAX];   /* why meta is unreadable */
    unsigned long long lock_dev;
    unsigned long long lock_ino;
    long watcher_pid;
    int has_lock;
    long holders;
    unsigned long long size;
};

static unsigned long long disk_usage(int dir_fd, int depth)
{
    unsigned long long total = 0;
    struct dirent *entry;
    struct stat st;
    DIR *dir;
    int fd;

    if (fstat(dir_fd, &st) == 0)
        total += (unsigned long long)st.st_blocks * MC_BLOCK_BYTES;
    fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
    dir = fd >= 0 ? fdopendir(fd) : NULL;
    if (!dir) {
        if (fd >= 0)
            close(fd);
        return total;
    }
    while ((entry = readdir(dir)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        if (fstatat(dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (!S_ISDIR(st.st_mode)) {
            total += (unsigned long long)st.st_blocks * MC_BLOCK_BYTES;
        } else if (depth < MC_DU_MAX_DEPTH) {
            int child = mc_open_dir_beneath(dirfd(dir), entry->d_name);

            if (child >= 0) {
                total += disk_usage(child, depth + 1);
                close(child);
            }
        }
    }
    closedir(dir);
    return total;
}

static void inspect(struct listed *item)
{
    struct mc_lock_record record;
    struct mc_err err;
    struct stat st;
    int dir_fd;
    int fd;

    if (mc_cache_open(&item->cache, &dir_fd, &item->meta, &err) == 0) {
        item->size = disk_usage(dir_fd, 0);
        close(dir_fd);
    } else {
        snprintf(item->problem, sizeof(item->problem), "%s", err.msg);
    }
    fd = mc_open_regular(AT_FDCWD, item->cache.lock_path, O_RDONLY, &st);
    if (fd < 0)
        return;
    item->has_lock = 1;
    item->lock_dev = (unsigned long long)st.st_dev;
    item->lock_ino = (unsigned long long)st.st_ino;
    if (mc_session_read(fd, &record) == 0)
        item->watcher_pid = record.watcher_pid;
    close(fd);
}

/* Counts, per cache, the processes that have its lock file open (a holder
 * keeps it open for its whole life), leaving out its watcher. */
static void count_holders(struct listed *items, size_t count)
{
    DIR *proc = opendir("/proc");
    struct dirent *process;

    if (!proc)
        return;
    while ((process = readdir(proc)) != NULL) {
        char fd_dir[64];
        struct dirent *fd_entry;
        long pid = strtol(process->d_name, NULL, 10);
        char *seen;
        DIR *fds;

        if (pid <= 0)
            continue;
        snprintf(fd_dir, sizeof(fd_dir), "/proc/%ld/fd", pid);
        fds = opendir(fd_dir);
        if (!fds)
            continue;
        seen = calloc(count ? count : 1, 1);
        while (seen && (fd_entry = readdir(fds)) != NULL) {
            struct stat st;
            size_t i;

            if (fd_entry->d_name[0] == '.' ||
                fstatat(dirfd(fds), fd_entry->d_name, &st, 0) != 0)
                continue;
            for (i = 0; i < count; i++) {
                if (items[i].has_lock && !seen[i] && pid != items[i].watcher_pid &&
                    (unsigned long long)st.st_dev == items[i].lock_dev &&
                    (unsigned long long)st.st_ino == items[i].lock_ino) {
                    seen[i] = 1;
                    items[i].holders++;
                }
            }
        }
        free(seen);
        closedir(fds);
    }
    closedir(proc);
}

static const char *meta_string(const cJSON *meta, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(meta, key);

    return cJSON_IsString(item) ? item->valuestring : NULL;
}

static void human_size(unsigned long long bytes, char *out, size_t size)
{
    static const char units[] = "BKMGTP";
    double value = (double)bytes;
    int unit = 0;

    while (value >= 1024 && units[unit + 1]) {
        value /= 1024;
        unit++;
    }
    if (unit == 0)
        snprintf(out, size, "%lluB", bytes);
    else
        snprintf(out, size, "%.1f%c", value, units[unit]);
}

/* Why a cache counts as locked though its meta does not plainly say so. */
static const char *lock_note(const cJSON *meta)
{
    const char *why;

    return mc_meta_lock_state(meta, &why) == MC_LOCK_AMBIGUOUS ? why : NULL;
}

static void print_table(struct listed *items, size_t count)
{
    size_t i;

    printf("%-36s  %-20s  %-6s  %-7s  %8s  %s\n", "ID", "CREATED", "LOCKED", "HOLDERS",
           "SIZE", "PATH");
    for (i = 0; i < count; i++) {
        const char *created = items[i].meta ? meta_string(items[i].meta, "created") : NULL;
        char size[32];

        human_size(items[i].size, size, sizeof(size));
        printf("%-36s  %-20s  %-6s  %-7ld  %8s  %s\n", items[i].cache.id,
               created ? created : "?",
               !items[i].meta ? "?" : mc_meta_locked(items[i].meta) ? "yes" : "no",
               items[i].holders, items[i].meta ? size : "?", items[i].cache.path);
        if (!items[i].meta)
            printf("  (%s)\n", items[i].problem);
        else if (lock_note(items[i].meta))
            printf("  (locked: %s; kept until meta.json says \"locked\": false once)\n",
                   lock_note(items[i].meta));
    }
}

static int print_json(struct listed *items, size_t count)
{
    cJSON *list = cJSON_CreateArray();
    char *text;
    size_t i;

    for (i = 0; list && i < count; i++) {
        cJSON *entry = cJSON_CreateObject();
        const char *created = items[i].meta ? meta_string(items[i].meta, "created") : NULL;

        cJSON_AddStringToObject(entry, "id", items[i].cache.id);
        cJSON_AddStringToObject(entry, "path", items[i].cache.path);
        if (created)
            cJSON_AddStringToObject(entry, "created", created);
        else
            cJSON_AddNullToObject(entry, "created");
        if (items[i].meta)
            cJSON_AddBoolToObject(entry, "locked", mc_meta_locked(items[i].meta));
        else
            cJSON_AddNullToObject(entry, "locked");
        if (items[i].meta && lock_note(items[i].meta))
            cJSON_AddStringToObject(entry, "locked_note", lock_note(items[i].meta));
        cJSON_AddBoolToObject(entry, "held", items[i].holders > 0);
        cJSON_AddNumberToObject(entry, "holders", (double)items[i].holders);
        cJSON_AddNumberToObject(entry, "size", (double)items[i].size);
        if (!items[i].meta)
            cJSON_AddStringToObject(entry, "error", items[i].problem);
        cJSON_AddItemToArray(list, entry);
    }
    text = list ? cJSON_Print(list) : NULL;
    cJSON_Delete(list);
    if (!text)
        return MC_EXIT_FAILED;
    printf("%s\n", text);
    free(text);
    return 0;
}

static int collect(const struct mc_root *root, struct listed **items_out, size_t *count_out)
{
    DIR *dir = opendir(root->cache_dir);
    struct listed *items = NULL;
    struct dirent *entry;
    size_t count = 0;
    struct mc_err err;

    *items_out = NULL;
    *count_out = 0;
    if (!dir)
        return errno == ENOENT ? 0 : -1;
    while ((entry = readdir(dir)) != NULL) {
        struct listed *grown;

        if (!mc_id_valid(entry->d_name))
            continue;
        grown = realloc(items, (count + 1) * sizeof(*items));
        if (!grown)
            break;
        items = grown;
        memset(&items[count], 0, sizeof(items[count]));
        if (mc_cache_init(&items[count].cache, root, entry->d_name, &err) != 0)
            continue;
        inspect(&items[count]);
        count++;
    }
    closedir(dir);
    *items_out = items;
    *count_out = count;
    return 0;
}

int cmd_ls(int argc, char **argv)
{
    const char *root_option = NULL;
    struct listed *items;
    struct mc_root root;
    size_t count;
    size_t i;
    int json = 0;
    int rc;

    for (i = 1; i < (size_t)argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--root") == 0 && i + 1 < (size_t)argc) {
            root_option = argv[++i];
        } else {
            fputs("usage: monocache ls [--json] [--root DIR]\n", stderr);
            return MC_EXIT_USAGE;
        }
    }
    rc = cli_open_root(root_option, &root);
    if (rc < 0)
        return MC_EXIT_FAILED;
    if (rc == 1)
        return json ? (puts("[]"), 0) : 0;
    if (collect(&root, &items, &count) != 0) {
        mc_log_always(MC_LOG_ERROR, "%s: %s", root.cache_dir, strerror(errno));
        mc_root_free(&root);
        return MC_EXIT_FAILED;
    }
    count_holders(items, count);
    rc = json ? print_json(items, count) : (print_table(items, count), 0);
    for (i = 0; i < count; i++) {
        cJSON_Delete(items[i].meta);
        mc_cache_free(&items[i].cache);
    }
    free(items);
    mc_root_free(&root);
    return rc;
}
