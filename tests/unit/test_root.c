/* test_root.c — the root directory, in a private mkdtemp base: creation
 * (root, cache/ and run/ all 0700), every refusal (unsafe mode, not a
 * directory, a symlinked default, another owner), MC_ROOT_EXISTING creating
 * nothing, the default and relative roots, and splitting cache paths.
 * Runs as root or not; the other-owner check needs root and is skipped
 * otherwise. Only touches its own temporary directory. */
#include "common/buf.h"
#include "host/proto.h"
#include "common/root.h"
#include "scratch.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ID "123e4567-e89b-42d3-a456-426614174000"
#define AT_SLOTS 8
#define UID_TEXT_MAX 24
#define PRIVATE_MODE 0700
#define TEST_UMASK 022
#define OTHER_UID 65534
#define OTHER_GID 65534

static char *base;      /* the temporary directory, symlinks resolved */

/* base/<name>: malloc'd. */
static char *path_of(const char *name)
{
    char *path = mc_concat(base, "/", name, NULL);

    if (!path)
        abort();
    return path;
}

/* base/<name>, freed after AT_SLOTS more calls: for passing on at once. */
static char *at_paths[AT_SLOTS];

static const char *at(const char *name)
{
    static size_t next;
    char *path = path_of(name);

    free(at_paths[next]);
    at_paths[next] = path;
    next = (next + 1) % AT_SLOTS;
    return path;
}

static void at_free_all(void)
{
    size_t i;

    for (i = 0; i < AT_SLOTS; i++) {
        free(at_paths[i]);
        at_paths[i] = NULL;
    }
}

/* $TMPDIR/monocache-<euid> for tmpdir: malloc'd. */
static char *default_root_in(const char *tmpdir)
{
    char uid[UID_TEXT_MAX];

    snprintf(uid, sizeof(uid), "%lu", (unsigned long)geteuid());
    return mc_concat(tmpdir, "/monocache-", uid, NULL);
}

/* Permission bits of path (not followed), or -1 if it does not exist. */
static int mode_of(const char *path)
{
    struct stat st;

    if (lstat(path, &st) != 0)
        return -1;
    return (int)(st.st_mode & 07777);
}

static int is_missing(const char *path)
{
    struct stat st;

    return lstat(path, &st) != 0 && errno == ENOENT;
}

static int make_dir(const char *name, mode_t mode)
{
    if (mkdir(at(name), PRIVATE_MODE) != 0)
        return -1;
    return chmod(at(name), mode);
}

static int has(const char *text, const char *part)
{
    return strstr(text, part) != NULL;
}

static void check_refused(const char *given, const char *tmpdir, enum mc_root_mode mode,
                          const char *reason, const char *what)
{
    struct mc_root root;
    struct mc_err err;

    mc_err_clear(&err);
    is_int(mc_root_open(given, tmpdir, mode, &root, &err), -1, "refuses %s", what);
    ok(has(err.msg, MC_ENV_ROOT) && has(err.msg, reason),
       "the message names " MC_ENV_ROOT " and says \"%s\": %s", reason, err.msg);
    ok(!root.path && !root.cache_dir && !root.run_dir, "nothing to free after refusing %s", what);
}

static void test_create(void)
{
    char *want = path_of("new/root");
    struct mc_root root;
    struct mc_err err;

    mc_err_clear(&err);
    is_int(mc_root_open(want, NULL, MC_ROOT_CREATE, &root, &err), -1,
           "MC_ROOT_CREATE does not make a root's missing parent (a typo stays a typo)");
    ok(has(err.msg, "does not exist") && has(err.msg, at("new")), "saying so: %s", err.msg);
    ok(is_missing(at("new")), "nothing made");
    make_dir("new", PRIVATE_MODE);
    is_int(mc_root_open(want, NULL, MC_ROOT_CREATE, &root, &err), 0,
           "MC_ROOT_CREATE makes a missing root whose parent exists");
    is_str(root.path, want, "root path");
    is_str(root.cache_dir, at("new/root/" MC_CACHE_SUBDIR), "cache dir");
    is_str(root.run_dir, at("new/root/" MC_RUN_SUBDIR), "run dir");
    is_int(mode_of(at("new/root")), PRIVATE_MODE, "the root is 0700");
    is_int(mode_of(at("new/root/" MC_CACHE_SUBDIR)), PRIVATE_MODE, "cache/ is 0700");
    is_int(mode_of(at("new/root/" MC_RUN_SUBDIR)), PRIVATE_MODE, "run/ is 0700");
    mc_root_free(&root);
    ok(!root.path && !root.cache_dir && !root.run_dir, "mc_root_free empties the root");

    is_int(mc_root_open(want, NULL, MC_ROOT_CREATE, &root, &err), 0, "opening it again works");
    mc_root_free(&root);
    is_int(mc_root_open(want, NULL, MC_ROOT_EXISTING, &root, &err), 0,
           "MC_ROOT_EXISTING opens it");
    is_str(root.path, want, "same path");
    mc_root_free(&root);

    is_int(mc_root_open(at("new/root/"), NULL, MC_ROOT_CREATE, &root, &err), 0,
           "a trailing slash works");
    is_str(root.path, want, "the path has no trailing slash");
    mc_root_free(&root);
    free(want);
}

static void test_existing_creates_nothing(void)
{
    struct mc_root root;
    struct mc_err err;

    is_int(mc_root_open(at("absent/root"), NULL, MC_ROOT_EXISTING, &root, &err), 1,
           "MC_ROOT_EXISTING returns 1 for a missing root");
    ok(is_missing(at("absent")), "and creates nothing");
    ok(!root.path, "nothing to free");

    make_dir("bare", PRIVATE_MODE);
    is_int(mc_root_open(at("bare"), NULL, MC_ROOT_EXISTING, &root, &err), 0,
           "MC_ROOT_EXISTING opens a root without cache/ and run/");
    ok(is_missing(at("bare/" MC_CACHE_SUBDIR)) && is_missing(at("bare/" MC_RUN_SUBDIR)),
       "and does not create them");
    mc_root_free(&root);
}

static void test_refusals(void)
{
    char *given = path_of("open");
    struct mc_root root;
    struct mc_err err;
    int fd;

    make_dir("open", 0777);
    check_refused(given, NULL, MC_ROOT_CREATE, "writable by group or others", "a 0777 root");
    ok(is_missing(at("open/" MC_CACHE_SUBDIR)), "nothing was created in it");
    check_refused(given, NULL, MC_ROOT_EXISTING, "writable by group or others",
                  "a 0777 root (MC_ROOT_EXISTING)");
    chmod(given, 0770);
    check_refused(given, NULL, MC_ROOT_CREATE, "writable by group or others",
                  "a group-writable root");
    chmod(given, 0702);
    check_refused(given, NULL, MC_ROOT_CREATE, "writable by group or others",
                  "an others-writable root");
    chmod(given, 0755);
    is_int(mc_root_open(given, NULL, MC_ROOT_CREATE, &root, &err), 0,
           "a 0755 root is accepted (readable, not writable, by others)");
    mc_root_free(&root);
    free(given);

    make_dir("opencache", PRIVATE_MODE);
    make_dir("opencache/" MC_CACHE_SUBDIR, 0777);
    check_refused(at("opencache"), NULL, MC_ROOT_CREATE, "writable by group or others",
                  "a root whose cache/ is 0777");

    fd = open(at("file"), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    close(fd);
    check_refused(at("file"), NULL, MC_ROOT_CREATE, "not a directory", "a regular file");

    make_dir("filerun", PRIVATE_MODE);
    fd = open(at("filerun/" MC_RUN_SUBDIR), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    close(fd);
    check_refused(at("filerun"), NULL, MC_ROOT_CREATE, "not a directory",
                  "a root whose run/ is a file");

    make_dir("target", PRIVATE_MODE);
    symlink(at("target"), at("given-link"));
    is_int(mc_root_open(at("given-link"), NULL, MC_ROOT_CREATE, &root, &err), 0,
           "a given root may be a symlink to a good directory");
    is_str(root.path, at("target"), "its path is the resolved target");
    mc_root_free(&root);
}

static void test_default(void)
{
    char *want = default_root_in(base);
    char *want_tmp = default_root_in("/tmp");
    char *tmpdir = path_of("linktmp");
    char *link_path = default_root_in(tmpdir);
    struct mc_root root;
    struct mc_err err;
    char *path;

    path = mc_root_default(base);
    is_str(path, want, "default root is $TMPDIR/monocache-<euid>");
    free(path);
    path = mc_root_default(NULL);
    is_str(path, want_tmp, "without TMPDIR it is /tmp/monocache-<euid>");
    free(path);
    path = mc_root_default("relative/tmp");
    is_str(path, want_tmp, "a relative TMPDIR is ignored");
    free(path);

    is_int(mc_root_open(NULL, base, MC_ROOT_CREATE, &root, &err), 0,
           "the default root is created");
    is_str(root.path, want, "at $TMPDIR/monocache-<euid>");
    is_int(mode_of(want), PRIVATE_MODE, "0700");
    mc_root_free(&root);

    make_dir("linktmp", PRIVATE_MODE);
    make_dir("linktarget", PRIVATE_MODE);
    is_int(symlink(at("linktarget"), link_path), 0,
           "the default root is a symlink to a good directory (squatted)");
    make_dir("runtime", PRIVATE_MODE);
    setenv("XDG_RUNTIME_DIR", at("runtime"), 1);
    is_int(mc_root_open(NULL, tmpdir, MC_ROOT_EXISTING, &root, &err), 1,
           "squatted default root, fallback not made yet: missing (MC_ROOT_EXISTING)");
    is_int(mc_root_open(NULL, tmpdir, MC_ROOT_CREATE, &root, &err), 0,
           "squatted default root: a fallback is used");
    is_str(root.path, at("runtime/monocache"), "... $XDG_RUNTIME_DIR/monocache");
    ok(root.note && has(root.note, "symbolic link") && has(root.note, link_path) &&
       has(root.note, at("runtime/monocache")), "... and a note says why: %s",
       root.note ? root.note : "(none)");
    mc_root_free(&root);
    is_int(mc_root_open(NULL, tmpdir, MC_ROOT_EXISTING, &root, &err), 0,
           "the same fallback is found again");
    is_str(root.path, at("runtime/monocache"), "... at the same place");
    mc_root_free(&root);
    ok(is_missing(at("linktarget/" MC_CACHE_SUBDIR)), "nothing was created in the link's target");
    chmod(at("runtime"), 0755);
    path = mc_root_fallback();
    ok(path && strcmp(path, at("runtime/monocache")) != 0,
       "a runtime directory others can read is not used: %s", path ? path : "(none)");
    free(path);
    unsetenv("XDG_RUNTIME_DIR");
    free(want);
    free(want_tmp);
    free(link_path);
    free(tmpdir);
}

static void test_relative(void)
{
    char *cwd = getcwd(NULL, 0);
    struct mc_root root;
    struct mc_err err;

    if (!cwd || chdir(base) != 0) {
        ok(0, "chdir to the temporary directory");
        free(cwd);
        return;
    }
    make_dir("rel", PRIVATE_MODE);
    is_int(mc_root_open("rel/root", NULL, MC_ROOT_CREATE, &root, &err), 0,
           "a relative root is accepted");
    is_str(root.path, at("rel/root"), "and made absolute");
    is_str(root.cache_dir, at("rel/root/" MC_CACHE_SUBDIR), "its cache dir is absolute");
    mc_root_free(&root);
    is_int(chdir(cwd), 0, "back to the first directory");
    free(cwd);
}

static void test_other_owner(void)
{
    if (geteuid() != 0) {
        skip("not root");
        return;
    }
    make_dir("theirs", PRIVATE_MODE);
    is_int(chown(at("theirs"), OTHER_UID, OTHER_GID), 0, "chown a root to uid %d", OTHER_UID);
    check_refused(at("theirs"), NULL, MC_ROOT_CREATE, "owned by uid", "a root of another uid");

    make_dir("theircache", PRIVATE_MODE);
    make_dir("theircache/" MC_CACHE_SUBDIR, PRIVATE_MODE);
    chown(at("theircache/" MC_CACHE_SUBDIR), OTHER_UID, OTHER_GID);
    check_refused(at("theircache"), NULL, MC_ROOT_CREATE, "owned by uid",
                  "a root whose cache/ has another owner");
}

static void check_split_id(const char *path, const char *want_root, const char *want_id)
{
    char id[MC_ID_MAX + 1] = "";
    char *root = NULL;
    struct mc_err err;

    is_int(mc_root_split_cache_path(path, &root, id, &err), 0, "split %s", path);
    is_str(root, want_root, "root of %s", path);
    is_str(id, want_id, "id of %s", path);
    free(root);
}

static void check_split(const char *path, const char *want_root)
{
    check_split_id(path, want_root, ID);
}

static void check_split_refused(const char *path)
{
    char id[MC_ID_MAX + 1] = "";
    char *root = NULL;
    struct mc_err err;

    mc_err_clear(&err);
    is_int(mc_root_split_cache_path(path, &root, id, &err), -1, "refuses to split \"%s\"", path);
    ok(root == NULL && id[0] == '\0', "no root or id for \"%s\"", path);
    ok(has(err.msg, "not a cache path"), "the message says why: %s", err.msg);
}

static void test_split(void)
{
    check_split("/srv/mc/cache/" ID, "/srv/mc");
    check_split("/srv/mc/cache/" ID "/", "/srv/mc");
    check_split("/srv/mc/cache/" ID "//", "/srv/mc");
    check_split("/a/cache/" ID, "/a");
    check_split("/cache/" ID, "/");
    check_split("/cache/cache/" ID, "/cache");

    check_split_refused("");
    check_split_refused("/");
    check_split_refused(ID);
    check_split_refused("cache/" ID);
    check_split_refused("/srv/mc/cache/");
    check_split_refused("/srv/mc/caches/" ID);
    check_split_refused("/srv/mc/xcache/" ID);
    check_split_refused("/srv/mc/run/" ID);
    check_split_refused("/srv/mc/" ID);
    check_split_refused("/srv/mc/cache/" ID "/sub");
    check_split_id("/srv/mc/cache/nightly-build", "/srv/mc", "nightly-build");
    check_split_id("/srv/mc/cache/V1.2_x/", "/srv/mc", "V1.2_x");
    check_split_refused("/srv/mc/cache/.wipe-" ID ".12");
    check_split_refused("/srv/mc/cache/-x");
    check_split_refused("/srv/mc/cache/a b");
    check_split_refused("/srv/mc/cache/../" ID);
}

int main(void)
{
    char *made = scratch_make("mc-test-root");

    umask(TEST_UMASK);
    test_split();
    base = made ? realpath(made, NULL) : NULL;
    if (ok(base != NULL, "made a private temporary directory")) {
        test_create();
        test_existing_creates_nothing();
        test_refusals();
        test_default();
        test_relative();
        test_other_owner();
    }
    scratch_remove(made);
    at_free_all();
    free(base);
    return done_testing();
}
