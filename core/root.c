/* root.c — the root directory: default location, creation, ownership and
 * permission checks (see root.h). */
#include "root.h"
#include "buf.h"
#include "ids.h"
#include "proto.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MC_DIR_MODE 0700
#define MC_UNSAFE_MODE_BITS 022

char *mc_root_default(const char *tmpdir)
{
    char uid[24];

    if (!tmpdir || tmpdir[0] != '/')
        tmpdir = "/tmp";
    snprintf(uid, sizeof(uid), "%lu", (unsigned long)geteuid());
    return mc_concat(tmpdir, "/monocache-", uid, NULL);
}

static int check_dir(const char *label, const char *path, int must_not_be_link,
                     struct mc_err *err)
{
    struct stat st;
    int rc = must_not_be_link ? lstat(path, &st) : stat(path, &st);

    if (rc != 0) {
        mc_err_sys(err, errno, "%s: %s", label, path);
        return -1;
    }
    if (S_ISLNK(st.st_mode)) {
        mc_err_set(err, "%s: %s is a symbolic link; refusing", label, path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        mc_err_set(err, "%s: %s is not a directory", label, path);
        return -1;
    }
    if (st.st_uid != geteuid()) {
        mc_err_set(err, "%s: %s is owned by uid %lu, not by uid %lu; refusing", label, path,
                   (unsigned long)st.st_uid, (unsigned long)geteuid());
        return -1;
    }
    if (st.st_mode & MC_UNSAFE_MODE_BITS) {
        mc_err_set(err, "%s: %s is writable by group or others (mode %04o); refusing", label,
                   path, (unsigned)(st.st_mode & 07777));
        return -1;
    }
    return 0;
}

/* mkdir -p with 0700 for every directory we create. */
static int make_dirs(const char *label, const char *path, struct mc_err *err)
{
    char *copy = strdup(path);
    char *p;

    if (!copy) {
        mc_err_set(err, "%s: out of memory", label);
        return -1;
    }
    for (p = copy + 1; ; p++) {
        char saved = *p;

        if (saved != '/' && saved != '\0')
            continue;
        *p = '\0';
        if (mkdir(copy, MC_DIR_MODE) != 0 && errno != EEXIST) {
            mc_err_sys(err, errno, "%s: cannot create %s", label, copy);
            free(copy);
            return -1;
        }
        *p = saved;
        if (saved == '\0')
            break;
    }
    free(copy);
    return 0;
}

static int open_subdir(const char *label, const char *root, const char *name,
                       enum mc_root_mode mode, char **out, struct mc_err *err)
{
    *out = mc_concat(root, "/", name, NULL);
    if (!*out) {
        mc_err_set(err, "%s: out of memory", label);
        return -1;
    }
    if (mode == MC_ROOT_CREATE && mkdir(*out, MC_DIR_MODE) != 0 && errno != EEXIST) {
        mc_err_sys(err, errno, "%s: cannot create %s", label, *out);
        return -1;
    }
    if (mode == MC_ROOT_EXISTING && access(*out, F_OK) != 0 && errno == ENOENT)
        return 0;
    return check_dir(label, *out, 1, err);
}

static int absolute(const char *given, char **out)
{
    char cwd[PATH_MAX];

    if (given[0] == '/') {
        *out = strdup(given);
        return *out ? 0 : -1;
    }
    if (!getcwd(cwd, sizeof(cwd)))
        return -1;
    *out = mc_concat(cwd, "/", given, NULL);
    return *out ? 0 : -1;
}

int mc_root_open(const char *given, const char *tmpdir, enum mc_root_mode mode,
                 struct mc_root *root, struct mc_err *err)
{
    char label[MC_PATH_MAX + 64];
    char *wanted = NULL;
    int is_default = given == NULL;

    memset(root, 0, sizeof(*root));
    if (is_default)
        wanted = mc_root_default(tmpdir);
    else if (absolute(given, &wanted) != 0)
        wanted = NULL;
    if (!wanted) {
        mc_err_set(err, MC_ENV_ROOT ": cannot make an absolute path");
        return -1;
    }
    if (is_default)
        snprintf(label, sizeof(label), MC_ENV_ROOT " (default %s)", wanted);
    else
        snprintf(label, sizeof(label), MC_ENV_ROOT "=%s", given);
    if (access(wanted, F_OK) != 0 && errno == ENOENT) {
        if (mode == MC_ROOT_EXISTING) {
            free(wanted);
            return 1;
        }
        if (make_dirs(label, wanted, err) != 0)
            goto fail;
    }
    if (check_dir(label, wanted, is_default, err) != 0)
        goto fail;
    root->path = realpath(wanted, NULL);
    if (!root->path) {
        mc_err_sys(err, errno, "%s", label);
        goto fail;
    }
    free(wanted);
    wanted = NULL;
    if (open_subdir(label, root->path, MC_CACHE_SUBDIR, mode, &root->cache_dir, err) != 0 ||
        open_subdir(label, root->path, MC_RUN_SUBDIR, mode, &root->run_dir, err) != 0)
        goto fail;
    return 0;
fail:
    free(wanted);
    mc_root_free(root);
    return -1;
}

void mc_root_free(struct mc_root *root)
{
    free(root->path);
    free(root->cache_dir);
    free(root->run_dir);
    memset(root, 0, sizeof(*root));
}

int mc_root_split_cache_path(const char *cache_path, char **root, char *id, struct mc_err *err)
{
    size_t len = strlen(cache_path);
    const char *name;
    const char *parent_end;
    static const char cache_part[] = "/" MC_CACHE_SUBDIR "/";
    size_t cache_part_len = sizeof(cache_part) - 1;

    while (len > 1 && cache_path[len - 1] == '/')
        len--;
    if (len < MC_ID_LEN + cache_part_len) {
        mc_err_set(err, "%s: not a cache path (expected <root>/cache/<id>)", cache_path);
        return -1;
    }
    name = cache_path + len - MC_ID_LEN;
    parent_end = name - cache_part_len;
    if (memcmp(parent_end, cache_part, cache_part_len) != 0 || !mc_id_valid_n(name, MC_ID_LEN)) {
        mc_err_set(err, "%s: not a cache path (expected <root>/cache/<id>)", cache_path);
        return -1;
    }
    if (parent_end == cache_path)
        *root = strdup("/");
    else
        *root = strndup(cache_path, (size_t)(parent_end - cache_path));
    if (!*root) {
        mc_err_set(err, "%s: out of memory", cache_path);
        return -1;
    }
    memcpy(id, name, MC_ID_LEN);
    id[MC_ID_LEN] = '\0';
    return 0;
}
