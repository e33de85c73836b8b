/* cmd_ls.c — `monocache ls`: the caches under a root, one line each as it is
 * read (a root of 100,000 caches starts printing at once): id, creation
 * time, lock state, holders on this host, path, an upload to S3 not done
 * yet; sizes only with --size, holder processes with --verbose; a table
 * for people, --json for scripts.
 * Looks only: takes no lock a running tree could trip over, creates nothing. */
#include "cli.h"
#include "opts.h"
#include "common/buf.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/meta.h"
#include "common/shown.h"
#include "local/procs.h"
#include "redis/register.h"
#include "host/safeopen.h"
#include "local/wipe.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MC_DU_MAX_DEPTH 256
#define MC_BLOCK_BYTES 512
#define MC_LOCKS_FIRST_CAP 64
#define MC_CMDLINE_MAX 4096
#define MC_STAMP_MAX 32

struct lock_file {
    char id[MC_ID_MAX + 1];
    unsigned long long ino;
};

struct counted {
    char id[MC_ID_MAX + 1];
    long long users;        /* -1: the field holds no count */
};

#define MC_LS_FIRST_CAP 256

struct listing {
    const struct mc_root *root;
    int redis;                      /* Redis configured: a USERS column */
    int redis_failed;               /* ... but it did not answer */
    struct counted *counted;        /* the register's counts, sorted by id */
    size_t counted_count;
    size_t counted_cap;
    size_t prefix_len;
    int json;
    int size;
    int verbose;
    int cache_fd;                   /* <root>/cache */
    unsigned long long run_dev;
    struct lock_file *locks;        /* sorted by id */
    size_t lock_count;
    struct mc_holdings holdings;
    size_t printed;
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

static int by_id(const void *a, const void *b)
{
    return strcmp(((const struct lock_file *)a)->id, ((const struct lock_file *)b)->id);
}

static int counted_by_id(const void *a, const void *b)
{
    return strcmp(((const struct counted *)a)->id, ((const struct counted *)b)->id);
}

static void collect_count(const char *field, long long users, void *ctx)
{
    struct listing *ls = ctx;
    const char *id = field + ls->prefix_len;
    size_t len = strlen(id);

    if (len < 2 || id[len - 1] != '/' || !mc_id_valid_n(id, len - 1))
        return;
    if (users < 0)
        mc_log_always(MC_LOG_WARN, MC_REGISTER_KEY " field %s holds something that is not a "
                      "count; shown as ?, and gc leaves the cache alone", field);
    if (ls->counted_count == ls->counted_cap) {
        size_t cap = ls->counted_cap ? ls->counted_cap * 2 : MC_LOCKS_FIRST_CAP;
        struct counted *grown = realloc(ls->counted, cap * sizeof(*grown));

        if (!grown)
            return;
        ls->counted = grown;
        ls->counted_cap = cap;
    }
    memcpy(ls->counted[ls->counted_count].id, id, len - 1);
    ls->counted[ls->counted_count].id[len - 1] = '\0';
    ls->counted[ls->counted_count++].users = users;
}

/* The register's counts of this root's caches (one scan). */
static void find_users(struct listing *ls)
{
    struct cli_share cs;
    struct mc_err err;
    char *prefix;

    if (cli_open_share(&cs) != 0) {
        ls->redis = 1;
        ls->redis_failed = 1;
        return;
    }
    ls->redis = cs.share.reg != NULL;
    prefix = ls->redis ? mc_concat(ls->root->cache_dir, "/", NULL) : NULL;
    if (prefix) {
        ls->prefix_len = strlen(prefix);
        if (mc_register_each(cs.share.reg, prefix, collect_count, ls, &err) != 0) {
            mc_log_always(MC_LOG_ERROR, "%s", err.msg);
            ls->redis_failed = 1;
        }
    }
    if (ls->counted_count)
        qsort(ls->counted, ls->counted_count, sizeof(*ls->counted), counted_by_id);
    free(prefix);
    cli_close_share(&cs);
}

/* The register's count of cache id: 0 when absent, -1 garbage, -2 unknown. */
static long long users_of(const struct listing *ls, const char *id)
{
    struct counted key;
    const struct counted *found;

    if (ls->redis_failed)
        return -2;
    memcpy(key.id, id, sizeof(key.id));
    found = ls->counted_count ? bsearch(&key, ls->counted, ls->counted_count,
                                        sizeof(*ls->counted), counted_by_id)
                              : NULL;
    return found ? found->users : 0;
}

static int by_ino(const void *a, const void *b)
{
    unsigned long long x = *(const unsigned long long *)a;
    unsigned long long y = *(const unsigned long long *)b;

    return x < y ? -1 : x > y;
}

/* The lock files of the run directory (one readdir, no open), then the
 * processes holding them (one pass over /proc). */
static void find_locks(struct listing *ls)
{
    unsigned long long *inos;
    struct dirent *entry;
    struct stat st;
    size_t cap = 0;
    size_t i;
    DIR *dir = opendir(ls->root->run_dir);

    if (!dir)
        return;
    if (fstat(dirfd(dir), &st) == 0)
        ls->run_dev = (unsigned long long)st.st_dev;
    while ((entry = readdir(dir)) != NULL) {
        char id[MC_ID_MAX + 1];

        if (!mc_name_is_lock(entry->d_name, id))
            continue;
        if (ls->lock_count == cap) {
            size_t grown_cap = cap ? cap * 2 : MC_LOCKS_FIRST_CAP;
            struct lock_file *grown = realloc(ls->locks, grown_cap * sizeof(*grown));

            if (!grown)
                break;
            ls->locks = grown;
            cap = grown_cap;
        }
        memcpy(ls->locks[ls->lock_count].id, id, sizeof(id));
        ls->locks[ls->lock_count].ino = (unsigned long long)entry->d_ino;
        ls->lock_count++;
    }
    closedir(dir);
    if (ls->lock_count == 0)
        return;
    qsort(ls->locks, ls->lock_count, sizeof(*ls->locks), by_id);
    inos = malloc(ls->lock_count * sizeof(*inos));
    if (!inos)
        return;
    for (i = 0; i < ls->lock_count; i++)
        inos[i] = ls->locks[i].ino;
    qsort(inos, ls->lock_count, sizeof(*inos), by_ino);
    mc_find_holders(ls->run_dev, inos, ls->lock_count, &ls->holdings);
    free(inos);
}

/* The holders (watchers apart) of a cache's lock file: count and *first. */
static size_t holders_of(const struct listing *ls, const char *id,
                         const struct mc_holding **first, size_t *with_watcher)
{
    struct lock_file key;
    const struct lock_file *lock;
    size_t count;
    size_t i;
    size_t holders = 0;

    *first = NULL;
    *with_watcher = 0;
    memcpy(key.id, id, sizeof(key.id));
    lock = ls->lock_count ? bsearch(&key, ls->locks, ls->lock_count, sizeof(*ls->locks), by_id)
                          : NULL;
    if (!lock)
        return 0;
    count = mc_holdings_of(&ls->holdings, lock->ino, first);
    for (i = 0; i < count; i++)
        holders += !(*first)[i].watcher;
    *with_watcher = count;
    return holders;
}

/* meta.json of cache `id`: not through a symlink, not blocking, regular. */
static cJSON *read_meta(const struct listing *ls, const char *id, char *problem, size_t size)
{
    struct mc_cache cache;
    struct mc_err err;
    cJSON *meta = NULL;
    int dir_fd;

    if (mc_cache_init(&cache, ls->root, id, &err) != 0) {
        snprintf(problem, size, "%s", err.msg);
        return NULL;
    }
    if (mc_cache_open_in(&cache, ls->cache_fd, &dir_fd, &meta, &err) == 0)
        close(dir_fd);
    else
        snprintf(problem, size, "%s", err.msg);
    mc_cache_free(&cache);
    return meta;
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

    return meta && mc_meta_lock_state(meta, &why) == MC_LOCK_AMBIGUOUS ? why : NULL;
}

static unsigned long long size_of(const struct listing *ls, const char *id)
{
    unsigned long long total = 0;
    int fd = mc_open_dir_beneath(ls->cache_fd, id);

    if (fd >= 0) {
        total = disk_usage(fd, 0);
        close(fd);
    }
    return total;
}

/* Where a cache's upload to S3 stands, when its meta marks it pending:
 * "at_release" (a tree holds it: uploaded when it ends), "uploading" (no
 * tree, and a watcher holds it: its release's upload runs now), "pending"
 * (no one: an upload that did not complete, which `monocache push` or gc
 * finishes). NULL: nothing pending. */
static const char *upload_state(const cJSON *meta, size_t holders, size_t with_watcher)
{
    if (!meta || !mc_meta_s3_pending(meta))
        return NULL;
    if (holders)
        return "at_release";
    return with_watcher ? "uploading" : "pending";
}

/* The table's line under a cache whose upload is not done (none while a
 * tree runs: its HOLDERS say so). */
static void print_upload_note(const char *id, const cJSON *meta, const char *state)
{
    const char *home = state ? mc_meta_s3(meta) : NULL;
    char shown[MC_ERR_MAX];

    if (!state)
        return;
    mc_shown(home ? home : "S3", shown, sizeof(shown));
    if (strcmp(state, "uploading") == 0)
        printf("  (s3: uploading now to %s)\n", shown);
    else if (strcmp(state, "pending") == 0)
        printf("  (s3: pending: the upload to %s did not complete; monocache push %s, or gc, "
               "retries it)\n", shown, id);
}

static void print_header(const struct listing *ls)
{
    if (ls->json) {
        printf("[");
        return;
    }
    printf("%-36s  %-20s  %-6s  %-7s  ", "ID", "CREATED", "LOCKED", "HOLDERS");
    if (ls->redis)
        printf("%-5s  ", "USERS");
    if (ls->size)
        printf("%8s  ", "SIZE");
    printf("PATH\n");
}

static void print_holders_table(const struct mc_holding *first, size_t count)
{
    char cmdline[MC_CMDLINE_MAX];
    char started[MC_STAMP_MAX];
    size_t i;

    for (i = 0; i < count; i++) {
        mc_process_describe(first[i].pid, cmdline, sizeof(cmdline), started, sizeof(started));
        printf("    pid %-8ld started %-20s  %s%s\n", first[i].pid, started, cmdline,
               first[i].watcher ? "  (watcher)" : "");
    }
}

static void print_row(struct listing *ls, const char *id, const char *path, cJSON *meta,
                      const char *problem)
{
    const struct mc_holding *first;
    const char *created = meta ? meta_string(meta, "created") : NULL;
    size_t with_watcher;
    size_t holders = holders_of(ls, id, &first, &with_watcher);
    char size[32];

    printf("%-36s  %-20s  %-6s  %-7zu  ", id, created ? created : "?",
           !meta ? "?" : mc_meta_locked(meta) ? "yes" : "no", holders);
    if (ls->redis && users_of(ls, id) >= 0)
        printf("%-5lld  ", users_of(ls, id));
    else if (ls->redis)
        printf("%-5s  ", "?");
    if (ls->size) {
        human_size(size_of(ls, id), size, sizeof(size));
        printf("%8s  ", meta ? size : "?");
    }
    printf("%s\n", path);
    if (!meta)
        printf("  (%s)\n", problem);
    else if (lock_note(meta))
        printf("  (locked: %s; kept until meta.json says \"locked\": false once)\n",
               lock_note(meta));
    print_upload_note(id, meta, upload_state(meta, holders, with_watcher));
    if (ls->verbose)
        print_holders_table(first, with_watcher);
}

static cJSON *holders_json(const struct mc_holding *first, size_t count)
{
    char cmdline[MC_CMDLINE_MAX];
    char started[MC_STAMP_MAX];
    cJSON *list = cJSON_CreateArray();
    size_t i;

    for (i = 0; list && i < count; i++) {
        cJSON *item = cJSON_CreateObject();

        mc_process_describe(first[i].pid, cmdline, sizeof(cmdline), started, sizeof(started));
        cJSON_AddNumberToObject(item, "pid", (double)first[i].pid);
        cJSON_AddStringToObject(item, "started", started);
        cJSON_AddStringToObject(item, "command", cmdline);
        cJSON_AddBoolToObject(item, "watcher", first[i].watcher);
        cJSON_AddItemToArray(list, item);
    }
    return list;
}

/* A copy of meta whose "s3" hides a user or password (a meta.json edited
 * by hand), or NULL when there is none to hide. */
static cJSON *hidden_s3(const cJSON *meta)
{
    const char *url = meta_string(meta, MC_META_S3);
    char shown[MC_ERR_MAX];
    cJSON *copy;

    if (!url || !mc_has_credentials(url))
        return NULL;
    mc_shown(url, shown, sizeof(shown));
    copy = cJSON_Duplicate(meta, 1);
    if (copy && mc_meta_set_key(copy, MC_META_S3, cJSON_CreateString(shown)) != 0) {
        cJSON_Delete(copy);
        copy = NULL;
    }
    return copy;
}

static void print_json_entry(struct listing *ls, const char *id, const char *path, cJSON *meta,
                             const char *problem)
{
    const struct mc_holding *first;
    const char *created = meta ? meta_string(meta, "created") : NULL;
    cJSON *hidden = meta ? hidden_s3(meta) : NULL;
    cJSON *entry = cJSON_CreateObject();
    size_t with_watcher;
    size_t holders = holders_of(ls, id, &first, &with_watcher);
    char *text;

    cJSON_AddStringToObject(entry, "id", id);
    cJSON_AddStringToObject(entry, "path", path);
    if (created)
        cJSON_AddStringToObject(entry, "created", created);
    else
        cJSON_AddNullToObject(entry, "created");
    if (meta)
        cJSON_AddBoolToObject(entry, "locked", mc_meta_locked(meta));
    else
        cJSON_AddNullToObject(entry, "locked");
    if (lock_note(meta))
        cJSON_AddStringToObject(entry, "locked_note", lock_note(meta));
    cJSON_AddBoolToObject(entry, "held", holders > 0);
    cJSON_AddNumberToObject(entry, "holders", (double)holders);
    if (upload_state(meta, holders, with_watcher))
        cJSON_AddStringToObject(entry, "s3_upload", upload_state(meta, holders, with_watcher));
    else
        cJSON_AddNullToObject(entry, "s3_upload");
    if (ls->redis && users_of(ls, id) >= 0)
        cJSON_AddNumberToObject(entry, "redis_users", (double)users_of(ls, id));
    else if (ls->redis)
        cJSON_AddNullToObject(entry, "redis_users");
    if (ls->size)
        cJSON_AddNumberToObject(entry, "size", (double)size_of(ls, id));
    if (ls->verbose)
        cJSON_AddItemToObject(entry, "holder_processes", holders_json(first, with_watcher));
    if (hidden)
        cJSON_AddItemToObject(entry, "meta", hidden);
    else if (meta)
        cJSON_AddItemReferenceToObject(entry, "meta", meta);
    else
        cJSON_AddStringToObject(entry, "error", problem);
    text = cJSON_PrintUnformatted(entry);
    if (text)
        printf("%s\n%s", ls->printed ? "," : "", text);
    free(text);
    cJSON_Delete(entry);
}

static void list_one(struct listing *ls, const char *id)
{
    char problem[MC_ERR_MAX] = "";
    char *path = mc_concat(ls->root->cache_dir, "/", id, NULL);
    cJSON *meta = read_meta(ls, id, problem, sizeof(problem));

    if (path && ls->json)
        print_json_entry(ls, id, path, meta, problem);
    else if (path)
        print_row(ls, id, path, meta, problem);
    ls->printed++;
    cJSON_Delete(meta);
    free(path);
}

/* A cache directory and when it was made: its birth time where the file
 * system keeps one, else its status change (a kept cache's is its
 * creation's, unless renamed), so that ls lists oldest first without
 * reading every meta.json before its first line. */
struct entry {
    long long born_ns;
    char name[MC_ID_MAX + 1];
};

static long long born_ns(int dir_fd, const char *name)
{
    struct statx st;

    if (statx(dir_fd, name, AT_SYMLINK_NOFOLLOW, STATX_BTIME | STATX_CTIME, &st) != 0)
        return 0;
    if (st.stx_mask & STATX_BTIME)
        return st.stx_btime.tv_sec * 1000000000LL + st.stx_btime.tv_nsec;
    return st.stx_ctime.tv_sec * 1000000000LL + st.stx_ctime.tv_nsec;
}

static int by_birth(const void *a, const void *b)
{
    const struct entry *x = a;
    const struct entry *y = b;

    if (x->born_ns != y->born_ns)
        return x->born_ns < y->born_ns ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* The caches under the root, oldest first; NULL with *count 0 if none
 * (out of memory: those found so far). */
static struct entry *entries_of(DIR *dir, int dir_fd, size_t *count)
{
    struct entry *all = NULL;
    struct dirent *entry;
    size_t cap = 0;

    *count = 0;
    while ((entry = readdir(dir)) != NULL) {
        if (!mc_id_valid(entry->d_name))
            continue;
        if (*count == cap) {
            struct entry *grown = realloc(all, (cap ? cap * 2 : MC_LS_FIRST_CAP) * sizeof(*all));

            if (!grown)
                break;
            all = grown;
            cap = cap ? cap * 2 : MC_LS_FIRST_CAP;
        }
        all[*count].born_ns = born_ns(dir_fd, entry->d_name);
        mc_id_copy(all[*count].name, entry->d_name);
        (*count)++;
    }
    if (*count)
        qsort(all, *count, sizeof(*all), by_birth);
    return all;
}

static int list(struct listing *ls)
{
    struct entry *all;
    size_t count;
    size_t i;
    DIR *dir;

    find_locks(ls);
    find_users(ls);
    print_header(ls);
    fflush(stdout);
    ls->cache_fd = open(ls->root->cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    dir = ls->cache_fd >= 0 ? fdopendir(dup(ls->cache_fd)) : NULL;
    if (!dir && errno != ENOENT) {
        mc_log_always(MC_LOG_ERROR, "%s: %s", ls->root->cache_dir, strerror(errno));
        return MC_EXIT_FAILED;
    }
    all = dir ? entries_of(dir, ls->cache_fd, &count) : NULL;
    for (i = 0; all && i < count; i++)
        list_one(ls, all[i].name);
    free(all);
    if (dir)
        closedir(dir);
    if (ls->json)
        printf("%s]\n", ls->printed ? "\n" : "");
    return 0;
}

/* -1 to go on, or the status to end with (cli_parse). */
static int ls_options(int argc, char **argv, struct listing *ls, const char **root_option,
                      const char **s3)
{
    const struct cli_opt opts[] = {
        { "--json", 0, &ls->json, NULL, NULL },
        { "--size", 's', &ls->size, NULL, NULL },
        { "--verbose", 'v', &ls->verbose, NULL, NULL },
        { "--root", 0, NULL, root_option, NULL },
        { "--redis", 0, NULL, NULL, cli_take_redis },
        { "--s3", 0, NULL, s3, NULL },
        { NULL, 0, NULL, NULL, NULL },
    };
    const struct cli_parse parse = { .command = "ls", .usage = cli_usage_ls, .opts = opts };
    int rest;
    int status;

    if (!cli_parse(&parse, argc, argv, &rest, &status))
        return status;
    if (*s3 && (ls->size || ls->verbose || *root_option))
        return cli_bad_usage("ls", cli_usage_ls, MC_EXIT_USAGE, "ls --s3 takes only --json besides");
    return -1;
}

int cmd_ls(int argc, char **argv)
{
    struct listing ls;
    const char *root_option = NULL;
    const char *s3 = NULL;
    struct mc_root root;
    int rc;

    memset(&ls, 0, sizeof(ls));
    ls.cache_fd = -1;
    rc = ls_options(argc, argv, &ls, &root_option, &s3);
    if (rc >= 0)
        return rc;
    if (s3)
        return cli_s3_ls(s3, ls.json);
    rc = cli_open_root("ls", root_option, &root);
    if (rc < 0)
        return MC_EXIT_FAILED;
    if (rc == 1) {
        /* The default root not made yet: no caches. */
        if (ls.json)
            printf("[]\n");
        return 0;
    }
    ls.root = &root;
    rc = list(&ls);
    if (ls.cache_fd >= 0)
        close(ls.cache_fd);
    free(ls.locks);
    free(ls.counted);
    mc_holdings_free(&ls.holdings);
    mc_root_free(&root);
    return rc;
}
