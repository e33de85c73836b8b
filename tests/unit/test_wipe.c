/* test_wipe.c — mc_wipe_contents on trees built in a private mkdtemp
 * directory: nested entries, symlinks to things outside (the links go, their
 * targets stay), unreadable and read-only directories, a wide and a deep
 * tree, and the counts it reports; mc_open_dir_beneath refusing a symlink and
 * a file. Mount points are tested by the shell tests. Only touches its own
 * temporary directory. */
#include "scratch.h"
#include "tap.h"
#include "local/wipe.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIR_MODE 0700
#define FILE_MODE 0600
#define WIDE_FILES 2000
#define DEEP_LEVELS 1000
#define DEEP_FD_LIMIT 64          /* far fewer descriptors than levels */
#define NAME_MAX_TEXT 32
#define CONTENT_MAX 64

/* Makes dir_fd/name and opens it. */
static int make_dir(int dir_fd, const char *name)
{
    if (mkdirat(dir_fd, name, DIR_MODE) != 0)
        return -1;
    return openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* 1 if dir_fd/name is a regular file holding exactly content. */
static int file_holds(int dir_fd, const char *name, const char *content)
{
    char text[CONTENT_MAX];
    int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    ssize_t got;

    if (fd < 0)
        return 0;
    got = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (got < 0)
        return 0;
    text[got] = '\0';
    return strcmp(text, content) == 0;
}

/* Wipes dir_fd and checks it worked and left the directory empty. */
static void check_wipe(int dir_fd, const char *what, struct mc_wipe_stats *stats)
{
    struct mc_err err;

    mc_err_clear(&err);
    memset(stats, 0xff, sizeof(*stats));
    is_int(mc_wipe_contents(dir_fd, what, stats, &err), 0, "wipe %s", what);
    if (err.msg[0])
        diag("wipe said: %s", err.msg);
    is_int(count_entries(dir_fd), 0, "%s is empty afterwards", what);
    ok(stats->mounts == 0 && stats->failures == 0, "no mounts or failures reported for %s",
       what);
}

static void test_nested(int base_fd)
{
    struct mc_wipe_stats stats;
    int tree = make_dir(base_fd, "nested");
    int a = make_dir(tree, "a");
    int b = make_dir(a, "b");
    int c = make_dir(b, "c");
    int empty = make_dir(tree, "empty");
    struct stat st;

    scratch_write_text(tree, "top", "1");
    scratch_write_text(a, "f1", "2");
    scratch_write_text(a, ".hidden", "3");
    scratch_write_text(b, "f2", "4");
    scratch_write_text(c, "f3", "5");
    mkfifoat(b, "fifo", FILE_MODE);
    ok(tree >= 0 && a >= 0 && b >= 0 && c >= 0 && empty >= 0, "built a nested tree");
    check_wipe(tree, "a nested tree", &stats);
    is_int(stats.files, 6, "six files counted (a fifo among them)");
    is_int(stats.dirs, 4, "four directories counted");
    ok(fstatat(base_fd, "nested", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode),
       "the top directory itself is kept");
    close(c);
    close(b);
    close(a);
    close(empty);

    check_wipe(tree, "an empty directory", &stats);
    ok(stats.files == 0 && stats.dirs == 0, "nothing counted for an empty directory");
    close(tree);
}

static void test_symlinks(int base_fd, const char *base)
{
    struct mc_wipe_stats stats;
    char outside_dir[PATH_MAX];
    char outside_file[PATH_MAX];
    int outside = make_dir(base_fd, "outside");
    int inner = outside >= 0 ? make_dir(outside, "inner") : -1;
    int tree = make_dir(base_fd, "links");
    int sub = make_dir(tree, "sub");
    struct stat st;

    snprintf(outside_dir, sizeof(outside_dir), "%s/outside", base);
    snprintf(outside_file, sizeof(outside_file), "%s/outside/keep", base);
    scratch_write_text(outside, "keep", "precious");
    scratch_write_text(inner, "deep", "also precious");
    symlinkat(outside_dir, tree, "to-dir");
    symlinkat("../outside", tree, "to-dir-relative");
    symlinkat(outside_dir, sub, "to-dir-again");
    symlinkat(outside_file, tree, "to-file");
    symlinkat("../../outside/keep", sub, "to-file-relative");
    symlinkat("/nonexistent/monocache-test", tree, "dangling");
    ok(outside >= 0 && inner >= 0 && tree >= 0 && sub >= 0 &&
       fstatat(tree, "to-dir/inner/deep", &st, 0) == 0,
       "built a tree of symlinks to a directory and a file outside it");
    check_wipe(tree, "a tree of symlinks", &stats);
    is_int(stats.files, 6, "the six links were removed as files");
    is_int(stats.dirs, 1, "one directory removed");
    ok(file_holds(outside, "keep", "precious"), "the linked file outside survives intact");
    ok(file_holds(inner, "deep", "also precious"), "files under the linked directory survive");
    is_int(count_entries(outside), 2, "the linked directory keeps its entries");
    close(sub);
    close(tree);
    close(inner);
    close(outside);
}

/* A directory the program made unreadable (0000) and one made read-only
 * (0500), both with files: as a user other than root, removing their
 * entries needs their modes changed first. */
static void test_locked_dirs(int base_fd)
{
    struct mc_wipe_stats stats;
    struct mc_err err;
    int tree = make_dir(base_fd, "locked");
    int closed = make_dir(tree, "closed");
    int closed_inner = make_dir(closed, "inner");
    int readonly = make_dir(tree, "readonly");
    int readonly_inner = make_dir(readonly, "inner");
    int top = make_dir(base_fd, "readonly-top");

    scratch_write_text(closed, "f1", "1");
    scratch_write_text(closed_inner, "f2", "2");
    scratch_write_text(readonly, "f3", "3");
    scratch_write_text(readonly, "f4", "4");
    scratch_write_text(readonly_inner, "f5", "5");
    fchmod(closed_inner, 0);
    fchmod(closed, 0);
    fchmod(readonly_inner, 0500);
    fchmod(readonly, 0500);
    ok(tree >= 0 && closed >= 0 && closed_inner >= 0 && readonly >= 0 && readonly_inner >= 0,
       "built a tree with 0000 and 0500 directories (running as uid %lu)",
       (unsigned long)geteuid());
    check_wipe(tree, "a tree with 0000 and 0500 directories", &stats);
    is_int(stats.files, 5, "five files counted");
    is_int(stats.dirs, 4, "four directories counted");
    close(closed_inner);
    close(closed);
    close(readonly_inner);
    close(readonly);
    close(tree);

    scratch_write_text(top, "f1", "1");
    scratch_write_text(top, "f2", "2");
    fchmod(top, 0500);
    mc_err_clear(&err);
    is_int(mc_wipe_contents(top, "a 0500 top directory", NULL, &err), 0,
           "wipe a 0500 top directory (stats may be NULL)");
    is_int(count_entries(top), 0, "the 0500 top directory is empty afterwards");
    close(top);
}

static void test_wide(int base_fd)
{
    struct mc_wipe_stats stats;
    char name[NAME_MAX_TEXT];
    int tree = make_dir(base_fd, "wide");
    int sub = make_dir(tree, "sub");
    int made = 0;
    int i;

    for (i = 0; i < WIDE_FILES; i++) {
        snprintf(name, sizeof(name), "file-%04d", i);
        if (scratch_write_text(tree, name, "x") == 0 && scratch_write_text(sub, name, "y") == 0)
            made++;
    }
    is_int(made, WIDE_FILES, "made %d files at the top and %d in a subdirectory", WIDE_FILES,
           WIDE_FILES);
    check_wipe(tree, "a wide tree", &stats);
    is_int(stats.files, 2 * WIDE_FILES, "every file counted");
    is_int(stats.dirs, 1, "one directory counted");
    close(sub);
    close(tree);
}

static void test_deep(int base_fd)
{
    struct mc_wipe_stats stats;
    int tree = make_dir(base_fd, "deep");
    int dir_fd = tree >= 0 ? dup(tree) : -1;
    struct rlimit lowered;
    struct rlimit limit;
    int depth = 0;

    while (dir_fd >= 0 && depth < DEEP_LEVELS) {
        int next = make_dir(dir_fd, "d");

        scratch_write_text(dir_fd, "f", "x");
        close(dir_fd);
        dir_fd = next;
        if (next >= 0)
            depth++;
    }
    if (dir_fd >= 0)
        close(dir_fd);
    is_int(depth, DEEP_LEVELS, "made %d nested directories, a file in each parent",
           DEEP_LEVELS);
    /* rm -rf needs no descriptor per level: neither may we. */
    getrlimit(RLIMIT_NOFILE, &limit);
    lowered = limit;
    lowered.rlim_cur = DEEP_FD_LIMIT;
    is_int(setrlimit(RLIMIT_NOFILE, &lowered), 0, "open-file limit lowered to %d",
           DEEP_FD_LIMIT);
    check_wipe(tree, "a tree far deeper than the open-file limit", &stats);
    setrlimit(RLIMIT_NOFILE, &limit);
    is_int(stats.dirs, DEEP_LEVELS, "every directory counted");
    is_int(stats.files, DEEP_LEVELS, "every file counted");
    close(tree);
}

static void test_open_beneath(int base_fd)
{
    int tree = make_dir(base_fd, "beneath");
    int sub = make_dir(tree, "sub");
    int fd;

    scratch_write_text(tree, "file", "x");
    symlinkat("sub", tree, "link");
    symlinkat("/", tree, "root-link");

    fd = mc_open_dir_beneath(tree, "sub");
    ok(fd >= 0, "opens a real subdirectory");
    if (fd >= 0) {
        ok(fcntl(fd, F_GETFD) & FD_CLOEXEC, "close-on-exec");
        close(fd);
    }
    /* wipe.h promises ELOOP or ENOTDIR for a symlink: O_DIRECTORY with
     * O_NOFOLLOW gives ENOTDIR on Linux. */
    errno = 0;
    is_int(mc_open_dir_beneath(tree, "link"), -1, "refuses a symlink to a subdirectory");
    ok(errno == ELOOP || errno == ENOTDIR, "errno ELOOP or ENOTDIR (%s)", strerror(errno));
    errno = 0;
    is_int(mc_open_dir_beneath(tree, "root-link"), -1, "refuses a symlink to /");
    ok(errno == ELOOP || errno == ENOTDIR, "errno ELOOP or ENOTDIR (%s)", strerror(errno));
    errno = 0;
    is_int(mc_open_dir_beneath(tree, "file"), -1, "refuses a regular file");
    is_int(errno, ENOTDIR, "errno ENOTDIR");
    errno = 0;
    is_int(mc_open_dir_beneath(tree, "missing"), -1, "fails for a missing entry");
    is_int(errno, ENOENT, "errno ENOENT");
    close(sub);
    close(tree);
}

int main(void)
{
    char *base = scratch_make("mc-test-wipe");
    int base_fd = base ? open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;

    if (ok(base_fd >= 0, "made a private temporary directory")) {
        test_nested(base_fd);
        test_symlinks(base_fd, base);
        test_locked_dirs(base_fd);
        test_wide(base_fd);
        test_deep(base_fd);
        test_open_beneath(base_fd);
        close(base_fd);
    }
    scratch_remove(base);
    return done_testing();
}
