/* root.c — the root directory: default location, creation, ownership and
 * permission checks (see root.h). */
#include "root.h"
#include "buf.h"
#include "ids.h"
#include "host/proto.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#define MC_DIR_MODE 0700
#define MC_MARKER_MODE 0600
#define MC_UNSAFE_MODE_BITS 022
#define MC_ROOT_TAKEN (-2)
#define MC_FALLBACK_IN_RUNTIME_DIR "/monocache"
#define MC_FALLBACK_IN_HOME "/.cache/monocache"
#define MC_MARKER_TEXT "monocache run directory: lock files of the caches held on this host\n"

char *mc_root_default(const char *tmpdir)
{
    char uid[24];

    if (!tmpdir || tmpdir[0] != '/')
        tmpdir = "/tmp";
    snprintf(uid, sizeof(uid), "%lu", (unsigned long)geteuid());
    return mc_concat(tmpdir, "/monocache-", uid, NULL);
}

/* 0 if path is a directory of ours that nobody else can write; -1 (err
 * filled) otherwise, -2 when it is somebody else's: another owner, a symlink
 * (with must_not_be_link), not a directory. */
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
        return MC_ROOT_TAKEN;
    }
    if (!S_ISDIR(st.st_mode)) {
        mc_err_set(err, "%s: %s is not a directory", label, path);
        return MC_ROOT_TAKEN;
    }
    if (st.st_uid != geteuid()) {
        mc_err_set(err, "%s: %s is owned by uid %lu, not by uid %lu; refusing", label, path,
                   (unsigned long)st.st_uid, (unsigned long)geteuid());
        return MC_ROOT_TAKEN;
    }
    if (st.st_mode & MC_UNSAFE_MODE_BITS) {
        mc_err_set(err, "%s: %s is writable by group or others (mode %04o); refusing", label,
                   path, (unsigned)(st.st_mode & 07777));
        return -1;
    }
    return 0;
}

/* mkdir -p with 0700 for every directory we create; with !parents only the
 * last one, so that a mistyped root is an error, not a new tree of
 * directories. */
static int make_dirs(const char *label, const char *path, int parents, struct mc_err *err)
{
    char *copy = strdup(path);
    char *slash = copy ? strrchr(copy, '/') : NULL;
    char *p;

    if (!copy) {
        mc_err_set(err, "%s: out of memory", label);
        return -1;
    }
    if (!parents && slash && slash != copy) {
        *slash = '\0';
        if (access(copy, F_OK) != 0) {
            mc_err_set(err, "%s: %s does not exist (only the root itself is created, not its "
                       "parents)", label, copy);
            free(copy);
            return -1;
        }
        *slash = '/';
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

static int absolute(const char *given, char **out);

/* <root>/run, or MONOCACHE_RUN_DIR: where the lock files are. A root shared
 * by several hosts (NFS) keeps them on each host's own file system, since
 * flock() counts holders per host. */
static int open_run_dir(const char *label, struct mc_root *root, enum mc_root_mode mode,
                        struct mc_err *err)
{
    const char *given = getenv(MC_ENV_RUN_DIR);
    char run_label[MC_PATH_MAX + 64];
    struct stat st;
    char *wanted;
    int rc;

    if (!given || !*given)
        return open_subdir(label, root->path, MC_RUN_SUBDIR, mode, &root->run_dir, err);
    snprintf(run_label, sizeof(run_label), MC_ENV_RUN_DIR "=%s", given);
    if (absolute(given, &wanted) != 0) {
        mc_err_set(err, "%s: cannot make an absolute path", run_label);
        return -1;
    }
    if (lstat(wanted, &st) != 0 && errno == ENOENT) {
        if (mode == MC_ROOT_EXISTING) {
            root->run_dir = wanted;
            return 0;
        }
        if (make_dirs(run_label, wanted, 0, err) != 0) {
            free(wanted);
            return -1;
        }
    }
    rc = check_dir(run_label, wanted, 1, err);
    root->run_dir = rc == 0 ? realpath(wanted, NULL) : NULL;
    free(wanted);
    if (rc == 0 && !root->run_dir)
        mc_err_sys(err, errno, "%s", run_label);
    return root->run_dir ? 0 : -1;
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

static int marked(const char *run_dir)
{
    struct stat st;
    int dir_fd = open(run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc;

    if (dir_fd < 0)
        return 0;
    rc = fstatat(dir_fd, MC_RUN_MARKER, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
         st.st_uid == geteuid();
    close(dir_fd);
    return rc;
}

int mc_root_make_run(struct mc_root *root, struct mc_err *err)
{
    char label[MC_PATH_MAX + 64];
    int dir_fd;
    int fd;

    snprintf(label, sizeof(label), MC_ENV_ROOT "=%s", root->path);
    if (mkdir(root->run_dir, MC_DIR_MODE) != 0 && errno != EEXIST) {
        mc_err_sys(err, errno, "%s: cannot create %s", label, root->run_dir);
        return -1;
    }
    if (check_dir(label, root->run_dir, 1, err) != 0)
        return -1;
    dir_fd = open(root->run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (dir_fd < 0) {
        mc_err_sys(err, errno, "%s: %s", label, root->run_dir);
        return -1;
    }
    fd = openat(dir_fd, MC_RUN_MARKER, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                MC_MARKER_MODE);
    if (fd >= 0) {
        if (write(fd, MC_MARKER_TEXT, sizeof(MC_MARKER_TEXT) - 1) < 0)
            mc_err_sys(err, errno, "%s/%s", root->run_dir, MC_RUN_MARKER);
        close(fd);
    }
    close(dir_fd);
    if (fd < 0 && errno != EEXIST) {
        mc_err_sys(err, errno, "%s: cannot create %s/%s", label, root->run_dir, MC_RUN_MARKER);
        return -1;
    }
    root->run_marked = 1;
    return 0;
}

/* Where the default root goes when another user took ${TMPDIR:-/tmp}/
 * monocache-<uid> first: $XDG_RUNTIME_DIR/monocache (a directory only we
 * may write, made by the login session), else ~/.cache/monocache (the home
 * directory from the password database, not from HOME, which a tree may
 * have exported to a cache). Nobody else can create either. */
char *mc_root_fallback(void)
{
    const char *runtime = getenv("XDG_RUNTIME_DIR");
    struct passwd *user;
    struct stat st;

    if (runtime && runtime[0] == '/' && lstat(runtime, &st) == 0 && S_ISDIR(st.st_mode) &&
        st.st_uid == geteuid() && (st.st_mode & 077) == 0)
        return mc_concat(runtime, MC_FALLBACK_IN_RUNTIME_DIR, NULL);
    user = getpwuid(geteuid());
    if (user && user->pw_dir && user->pw_dir[0] == '/')
        return mc_concat(user->pw_dir, MC_FALLBACK_IN_HOME, NULL);
    return NULL;
}

/* What makes path somebody else's, in a few words (static text). */
static const char *whose(const char *path)
{
    static char text[64];
    struct stat st;

    if (lstat(path, &st) != 0)
        return "gone";
    if (S_ISLNK(st.st_mode))
        return "a symbolic link";
    if (!S_ISDIR(st.st_mode))
        return "not a directory";
    snprintf(text, sizeof(text), "owned by uid %lu", (unsigned long)st.st_uid);
    return text;
}

/* Opens (or creates) the root at `wanted`. 0, 1 (missing, MC_ROOT_EXISTING),
 * -1, or MC_ROOT_TAKEN for a default root that somebody else's file holds. */
static int open_at(const char *label, char *wanted, int is_default, int parents,
                   enum mc_root_mode mode, struct mc_root *root, struct mc_err *err)
{
    int rc;

    if (access(wanted, F_OK) != 0 && errno == ENOENT) {
        if (mode == MC_ROOT_EXISTING)
            return 1;
        if (make_dirs(label, wanted, parents, err) != 0)
            return -1;
    }
    rc = check_dir(label, wanted, is_default, err);
    if (rc != 0)
        return rc == MC_ROOT_TAKEN && !is_default ? -1 : rc;
    root->path = realpath(wanted, NULL);
    if (!root->path) {
        mc_err_sys(err, errno, "%s", label);
        return -1;
    }
    if (open_subdir(label, root->path, MC_CACHE_SUBDIR, mode, &root->cache_dir, err) != 0 ||
        open_run_dir(label, root, mode, err) != 0)
        return -1;
    if (mode == MC_ROOT_CREATE && mc_root_make_run(root, err) != 0)
        return -1;
    root->run_marked = marked(root->run_dir);
    return 0;
}

/* The default root, or its fallback when another user took it (noted in
 * root->note for the caller to show). */
static int open_default(const char *tmpdir, enum mc_root_mode mode, struct mc_root *root,
                        struct mc_err *err)
{
    char label[MC_PATH_MAX + 64];
    char *wanted = mc_root_default(tmpdir);
    char *fallback = NULL;
    int rc;

    if (!wanted) {
        mc_err_set(err, MC_ENV_ROOT ": out of memory");
        return -1;
    }
    snprintf(label, sizeof(label), MC_ENV_ROOT " (default %s)", wanted);
    rc = open_at(label, wanted, 1, 0, mode, root, err);
    if (rc == MC_ROOT_TAKEN) {
        mc_root_free(root);
        fallback = mc_root_fallback();
        if (fallback)
            root->note = mc_concat("the default root ", wanted, " is ", whose(wanted),
                                   " (squatted?); using ", fallback, NULL);
        if (!fallback || !root->note) {
            rc = -1;
        } else {
            /* Say why we are here if the fallback fails too. */
            snprintf(label, sizeof(label), MC_ENV_ROOT " (default %s is %s; fallback %s)",
                     wanted, whose(wanted), fallback);
            rc = open_at(label, fallback, 1, 1, mode, root, err);
            if (rc == MC_ROOT_TAKEN)
                rc = -1;
        }
    }
    free(wanted);
    free(fallback);
    return rc;
}

int mc_root_open(const char *given, const char *tmpdir, enum mc_root_mode mode,
                 struct mc_root *root, struct mc_err *err)
{
    char label[MC_PATH_MAX + 64];
    char *wanted = NULL;
    int rc;

    memset(root, 0, sizeof(*root));
    if (!given)
        rc = open_default(tmpdir, mode, root, err);
    else if (absolute(given, &wanted) != 0)
        rc = (mc_err_set(err, MC_ENV_ROOT ": cannot make an absolute path"), -1);
    else {
        snprintf(label, sizeof(label), MC_ENV_ROOT "=%s", given);
        rc = open_at(label, wanted, 0, 0, mode, root, err);
    }
    free(wanted);
    if (rc != 0)
        mc_root_free(root);
    return rc;
}

void mc_root_free(struct mc_root *root)
{
    free(root->path);
    free(root->cache_dir);
    free(root->run_dir);
    free(root->note);
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
    for (name = cache_path + len; name > cache_path && name[-1] != '/'; name--)
        ;
    if ((size_t)(name - cache_path) < cache_part_len) {
        mc_err_set(err, "%s: not a cache path (expected <root>/cache/<id>)", cache_path);
        return -1;
    }
    parent_end = name - cache_part_len;
    if (memcmp(parent_end, cache_part, cache_part_len) != 0 ||
        !mc_id_valid_n(name, (size_t)(cache_path + len - name))) {
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
    memcpy(id, name, (size_t)(cache_path + len - name));
    id[cache_path + len - name] = '\0';
    return 0;
}
