/* tree.c — a cache directory's entries, and its S3 index (see tree.h). */
#include "tree.h"
#include "common/buf.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define MC_TREE_DEPTH_MAX 256
#define MC_TREE_PATH_MAX 4096
#define MC_INDEX_VERSION 1
#define MC_INDEX_ENTRIES_MAX 10000000

int mc_tree_add(struct mc_tree *tree, const struct mc_entry *entry)
{
    struct mc_entry *copy;

    if (tree->count == tree->cap) {
        size_t cap = tree->cap ? tree->cap * 2 : 256;
        struct mc_entry *grown = realloc(tree->entries, cap * sizeof(*grown));

        if (!grown || cap > MC_INDEX_ENTRIES_MAX)
            return -1;
        tree->entries = grown;
        tree->cap = cap;
    }
    copy = &tree->entries[tree->count];
    *copy = *entry;
    copy->path = strdup(entry->path);
    copy->target = entry->target ? strdup(entry->target) : NULL;
    copy->etag = entry->etag ? strdup(entry->etag) : NULL;
    if (!copy->path || (entry->target && !copy->target) || (entry->etag && !copy->etag)) {
        free(copy->path);
        free(copy->target);
        free(copy->etag);
        return -1;
    }
    tree->count++;
    return 0;
}

void mc_tree_free(struct mc_tree *tree)
{
    size_t i;

    for (i = 0; i < tree->count; i++) {
        free(tree->entries[i].path);
        free(tree->entries[i].target);
        free(tree->entries[i].etag);
    }
    free(tree->entries);
    memset(tree, 0, sizeof(*tree));
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const struct mc_entry *)a)->path, ((const struct mc_entry *)b)->path);
}

void mc_tree_sort(struct mc_tree *tree)
{
    if (tree->count)
        qsort(tree->entries, tree->count, sizeof(*tree->entries), by_path);
}

struct mc_entry *mc_tree_find(const struct mc_tree *tree, const char *path)
{
    struct mc_entry key = { .path = (char *)path };

    if (!tree->count)
        return NULL;
    return bsearch(&key, tree->entries, tree->count, sizeof(*tree->entries), by_path);
}

struct scan {
    struct mc_tree *tree;
    dev_t dev;
    mc_warn_fn warn;
    void *warn_ctx;
    const char *label;
    struct mc_err *err;
};

static void warn_skip(struct scan *scan, const char *path, const char *why)
{
    char message[MC_TREE_PATH_MAX + 128];

    snprintf(message, sizeof(message), "%s/%s: %s; skipped", scan->label, path, why);
    if (scan->warn)
        scan->warn(message, scan->warn_ctx);
}

static char *read_link(int dir_fd, const char *name, long long size)
{
    size_t cap = size > 0 && size < MC_TREE_PATH_MAX ? (size_t)size + 1 : MC_TREE_PATH_MAX;
    char *target = malloc(cap);
    ssize_t len;

    if (!target)
        return NULL;
    len = readlinkat(dir_fd, name, target, cap - 1);
    if (len < 0) {
        free(target);
        return NULL;
    }
    target[len] = '\0';
    return target;
}

static int scan_dir(struct scan *scan, int dir_fd, const char *prefix, int depth);

static int scan_entry(struct scan *scan, int dir_fd, const char *name, const char *path,
                      int depth)
{
    struct mc_entry entry;
    struct stat st;
    int child;
    int rc;

    if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT)
            return 0;       /* gone meanwhile */
        mc_err_sys(scan->err, errno, "%s/%s", scan->label, path);
        return -1;
    }
    memset(&entry, 0, sizeof(entry));
    entry.path = (char *)path;
    entry.mode = st.st_mode & 07777;
    entry.mtime_s = (long long)st.st_mtim.tv_sec;
    entry.mtime_ns = st.st_mtim.tv_nsec;
    entry.ctime_s = (long long)st.st_ctim.tv_sec;
    entry.ctime_ns = st.st_ctim.tv_nsec;
    entry.has_ctime = 1;
    if (S_ISREG(st.st_mode)) {
        entry.type = MC_ENTRY_FILE;
        entry.size = (long long)st.st_size;
        return mc_tree_add(scan->tree, &entry);
    }
    if (S_ISLNK(st.st_mode)) {
        entry.type = MC_ENTRY_LINK;
        entry.target = read_link(dir_fd, name, (long long)st.st_size);
        if (!entry.target) {
            warn_skip(scan, path, "symbolic link unreadable");
            return 0;
        }
        rc = mc_tree_add(scan->tree, &entry);
        free(entry.target);
        return rc;
    }
    if (!S_ISDIR(st.st_mode)) {
        warn_skip(scan, path, "not a regular file, directory or symbolic link");
        return 0;
    }
    if (st.st_dev != scan->dev) {
        warn_skip(scan, path, "another file system is mounted here");
        return 0;
    }
    if (depth >= MC_TREE_DEPTH_MAX) {
        mc_err_set(scan->err, "%s/%s: deeper than %d directories", scan->label, path,
                   MC_TREE_DEPTH_MAX);
        return -1;
    }
    entry.type = MC_ENTRY_DIR;
    if (mc_tree_add(scan->tree, &entry) != 0)
        return -1;
    child = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (child < 0) {
        mc_err_sys(scan->err, errno, "%s/%s", scan->label, path);
        return -1;
    }
    return scan_dir(scan, child, path, depth + 1);
}

/* Takes dir_fd (closed here). */
static int scan_dir(struct scan *scan, int dir_fd, const char *prefix, int depth)
{
    DIR *dir = fdopendir(dir_fd);
    struct dirent *ent;
    char path[MC_TREE_PATH_MAX];
    int rc = 0;

    if (!dir) {
        close(dir_fd);
        mc_err_sys(scan->err, errno, "%s/%s", scan->label, prefix);
        return -1;
    }
    while (rc == 0 && (ent = readdir(dir)) != NULL) {
        /* Every name is the user's: a pull's own temporary files live in a
         * copy of its own, never in a cache. */
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
            continue;
        if ((size_t)snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "/" : "",
                             ent->d_name) >= sizeof(path)) {
            mc_err_set(scan->err, "%s/%s/%s: path too long", scan->label, prefix, ent->d_name);
            rc = -1;
            break;
        }
        rc = scan_entry(scan, dirfd(dir), ent->d_name, path, depth);
    }
    closedir(dir);
    if (rc != 0 && !scan->err->msg[0])
        mc_err_set(scan->err, "%s: out of memory", scan->label);
    return rc;
}

int mc_tree_scan(int dir_fd, const char *label, struct mc_tree *tree, mc_warn_fn warn,
                 void *warn_ctx, struct mc_err *err)
{
    struct scan scan = { tree, 0, warn, warn_ctx, label, err };
    struct stat st;
    int copy;

    memset(tree, 0, sizeof(*tree));
    if (fstat(dir_fd, &st) != 0) {
        mc_err_sys(err, errno, "%s", label);
        return -1;
    }
    scan.dev = st.st_dev;
    copy = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
    if (copy < 0) {
        mc_err_sys(err, errno, "%s", label);
        return -1;
    }
    /* The copy shares the offset: rewind it for a fresh listing. */
    lseek(copy, 0, SEEK_SET);
    if (scan_dir(&scan, copy, "", 0) != 0) {
        mc_tree_free(tree);
        return -1;
    }
    mc_tree_sort(tree);
    return 0;
}

int mc_s3_new_generation(char *out)
{
    unsigned char random[MC_S3_GENERATION_LEN / 2];
    size_t i;

    if (getrandom(random, sizeof(random), 0) != (ssize_t)sizeof(random))
        return -1;
    for (i = 0; i < sizeof(random); i++)
        snprintf(out + 2 * i, 3, "%02x", random[i]);
    return 0;
}

int mc_s3_generation_ok(const char *text)
{
    size_t i;

    for (i = 0; i < MC_S3_GENERATION_LEN; i++) {
        if (!((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f')))
            return 0;
    }
    return text[MC_S3_GENERATION_LEN] == '\0';
}

int mc_relative_path_ok(const char *path)
{
    const char *part = path;

    if (!*path || *path == '/' || strlen(path) >= MC_TREE_PATH_MAX)
        return 0;
    while (*part) {
        size_t len = strcspn(part, "/");

        if (len == 0 || (len == 1 && part[0] == '.') ||
            (len == 2 && part[0] == '.' && part[1] == '.'))
            return 0;
        part += len;
        if (*part == '/')
            part++;
        else
            break;
    }
    return path[strlen(path) - 1] != '/';
}

static const char *type_name(enum mc_entry_type type)
{
    return type == MC_ENTRY_FILE ? "file" : type == MC_ENTRY_DIR ? "dir" : "link";
}

char *mc_index_write(const struct mc_tree *tree, const char *id)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(root, "entries");
    char mtime[48];
    char *text = NULL;
    size_t i;
    int rc = root && list ? 0 : -1;

    rc |= cJSON_AddNumberToObject(root, "version", MC_INDEX_VERSION) ? 0 : -1;
    rc |= cJSON_AddStringToObject(root, "id", id) ? 0 : -1;
    if (tree->generation[0])
        rc |= cJSON_AddStringToObject(root, "generation", tree->generation) ? 0 : -1;
    for (i = 0; rc == 0 && i < tree->count; i++) {
        const struct mc_entry *e = &tree->entries[i];
        cJSON *item = cJSON_CreateObject();

        rc |= item && cJSON_AddItemToArray(list, item) ? 0 : -1;
        if (rc)
            break;
        snprintf(mtime, sizeof(mtime), "%lld.%09ld", e->mtime_s, e->mtime_ns);
        rc |= cJSON_AddStringToObject(item, "path", e->path) ? 0 : -1;
        rc |= cJSON_AddStringToObject(item, "type", type_name(e->type)) ? 0 : -1;
        rc |= cJSON_AddNumberToObject(item, "mode", (double)e->mode) ? 0 : -1;
        rc |= cJSON_AddStringToObject(item, "mtime", mtime) ? 0 : -1;
        if (e->type == MC_ENTRY_FILE) {
            rc |= cJSON_AddNumberToObject(item, "size", (double)e->size) ? 0 : -1;
            rc |= cJSON_AddStringToObject(item, "etag", e->etag ? e->etag : "") ? 0 : -1;
            rc |= cJSON_AddNumberToObject(item, "part_size", (double)e->part_size) ? 0 : -1;
            if (e->has_ctime) {
                snprintf(mtime, sizeof(mtime), "%lld.%09ld", e->ctime_s, e->ctime_ns);
                rc |= cJSON_AddStringToObject(item, "ctime", mtime) ? 0 : -1;
            }
        }
        if (e->type == MC_ENTRY_LINK)
            rc |= cJSON_AddStringToObject(item, "target", e->target) ? 0 : -1;
    }
    if (rc == 0)
        text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return text;
}

/* A size as JSON can hold it exactly (doubles: up to 2^53). */
static int whole_in_range(double value)
{
    return value >= 0 && value <= 9007199254740992.0;
}

/* "" or ".d[d...]" (up to nine digits, a fraction of a second: ".5" is
 * half a second) into *ns. 0, or -1. */
static int read_nanoseconds(const char *text, long *ns)
{
    int digits = 0;

    *ns = 0;
    if (*text == '\0')
        return 0;
    if (*text++ != '.')
        return -1;
    for (; *text >= '0' && *text <= '9' && digits < 9; text++, digits++)
        *ns = *ns * 10 + (*text - '0');
    if (*text || digits == 0)
        return -1;
    for (; digits < 9; digits++)
        *ns *= 10;
    return 0;
}

static int read_entry(const cJSON *item, struct mc_entry *e)
{
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(item, "path");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(item, "type");
    const cJSON *mode = cJSON_GetObjectItemCaseSensitive(item, "mode");
    const cJSON *mtime = cJSON_GetObjectItemCaseSensitive(item, "mtime");
    const cJSON *size = cJSON_GetObjectItemCaseSensitive(item, "size");
    const cJSON *etag = cJSON_GetObjectItemCaseSensitive(item, "etag");
    const cJSON *part = cJSON_GetObjectItemCaseSensitive(item, "part_size");
    const cJSON *target = cJSON_GetObjectItemCaseSensitive(item, "target");
    const cJSON *ctime = cJSON_GetObjectItemCaseSensitive(item, "ctime");
    char *dot;

    memset(e, 0, sizeof(*e));
    if (!cJSON_IsString(path) || !mc_relative_path_ok(path->valuestring) ||
        !cJSON_IsString(type) || !cJSON_IsNumber(mode) || mode->valuedouble < 0 ||
        mode->valuedouble > 07777 || !cJSON_IsString(mtime))
        return -1;
    e->path = path->valuestring;
    if (strcmp(type->valuestring, "file") == 0)
        e->type = MC_ENTRY_FILE;
    else if (strcmp(type->valuestring, "dir") == 0)
        e->type = MC_ENTRY_DIR;
    else if (strcmp(type->valuestring, "link") == 0 && cJSON_IsString(target))
        e->type = MC_ENTRY_LINK;
    else
        return -1;
    e->mode = (mode_t)mode->valuedouble;
    e->mtime_s = strtoll(mtime->valuestring, &dot, 10);
    if (read_nanoseconds(dot, &e->mtime_ns) != 0)
        return -1;
    if (cJSON_IsString(ctime)) {
        e->ctime_s = strtoll(ctime->valuestring, &dot, 10);
        if (read_nanoseconds(dot, &e->ctime_ns) != 0)
            return -1;
        e->has_ctime = 1;
    }
    if ((cJSON_IsNumber(size) && !whole_in_range(size->valuedouble)) ||
        (cJSON_IsNumber(part) && !whole_in_range(part->valuedouble)))
        return -1;
    e->size = cJSON_IsNumber(size) ? (long long)size->valuedouble : 0;
    e->part_size = cJSON_IsNumber(part) ? (long long)part->valuedouble : 0;
    e->etag = cJSON_IsString(etag) && *etag->valuestring ? etag->valuestring : NULL;
    e->target = e->type == MC_ENTRY_LINK ? target->valuestring : NULL;
    return e->size < 0 || e->part_size < 0 ? -1 : 0;
}

int mc_index_read(const char *text, size_t len, struct mc_tree *tree, struct mc_err *err)
{
    cJSON *root = cJSON_ParseWithLength(text, len);
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(root, "version");
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "entries");
    const cJSON *generation = cJSON_GetObjectItemCaseSensitive(root, "generation");
    const cJSON *item;
    struct mc_entry entry;
    int rc = 0;

    memset(tree, 0, sizeof(*tree));
    if (!cJSON_IsNumber(version) || version->valueint != MC_INDEX_VERSION ||
        !cJSON_IsArray(list) ||
        (generation && (!cJSON_IsString(generation) ||
                        !mc_s3_generation_ok(generation->valuestring)))) {
        mc_err_set(err, "the cache's index is not one monocache %d wrote", MC_INDEX_VERSION);
        cJSON_Delete(root);
        return -1;
    }
    cJSON_ArrayForEach(item, list) {
        if (read_entry(item, &entry) != 0 || mc_tree_add(tree, &entry) != 0) {
            mc_err_set(err, "the cache's index has a bad entry");
            rc = -1;
            break;
        }
    }
    if (rc == 0 && generation)
        memcpy(tree->generation, generation->valuestring, MC_S3_GENERATION_LEN + 1);
    cJSON_Delete(root);
    if (rc == 0)
        mc_tree_sort(tree);
    for (size_t i = 1; rc == 0 && i < tree->count; i++) {
        if (strcmp(tree->entries[i - 1].path, tree->entries[i].path) == 0) {
            mc_err_set(err, "the cache's index names %s twice", tree->entries[i].path);
            rc = -1;
        }
    }
    if (rc != 0)
        mc_tree_free(tree);
    return rc;
}
