/* test_file.c — mc_read_file in a private temporary directory: a file read
 * whole (empty, with NULs, exactly at the limit), and every way it must
 * refuse, with errno and a message naming the file: missing, one byte over
 * the limit, a symbolic link (unless followed), a FIFO (without blocking),
 * a directory. Only touches its own mkdtemp directory. */
#include "common/file.h"
#include "scratch.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LIMIT_BYTES 20000       /* more than one read's chunk */

static void test_reads(int dir_fd)
{
    struct mc_err err;
    char *text = NULL;
    size_t len = 1;
    char *big = malloc(LIMIT_BYTES + 1);

    is_int(scratch_write(dir_fd, "plain", "hello\n", 6), 0, "a small file");
    is_int(mc_read_file(dir_fd, "plain", LIMIT_BYTES, 0, &text, &len, &err), 0, "is read");
    is_str(text, "hello\n", "... whole");
    is_int(len, 6, "... its length");
    free(text);
    is_int(scratch_write(dir_fd, "empty", "", 0), 0, "an empty file");
    is_int(mc_read_file(dir_fd, "empty", LIMIT_BYTES, 0, &text, &len, &err), 0, "is read");
    ok(text && text[0] == '\0' && len == 0, "... as \"\" (not NULL), length 0");
    free(text);
    is_int(scratch_write(dir_fd, "nul", "a\0b", 3), 0, "a file with a NUL inside");
    is_int(mc_read_file(dir_fd, "nul", LIMIT_BYTES, 0, &text, NULL, &err), 0,
           "is read (len may be NULL)");
    ok(text && memcmp(text, "a\0b", 4) == 0, "... every byte, and a NUL after");
    free(text);
    is_int(mc_read_file(dir_fd, "nul", LIMIT_BYTES, 0, &text, &len, &err), 0, "again");
    is_int(len, 3, "... the length counts the NUL inside");
    free(text);
    if (!big)
        return;
    memset(big, 'x', LIMIT_BYTES + 1);
    is_int(scratch_write(dir_fd, "at-limit", big, LIMIT_BYTES), 0, "a file of exactly the limit");
    is_int(mc_read_file(dir_fd, "at-limit", LIMIT_BYTES, 0, &text, &len, &err), 0, "is read");
    is_int(len, LIMIT_BYTES, "... all of it");
    free(text);
    is_int(scratch_write(dir_fd, "over", big, LIMIT_BYTES + 1), 0, "one byte more");
    text = big;
    is_int(mc_read_file(dir_fd, "over", LIMIT_BYTES, 0, &text, &len, &err), -1, "is refused");
    is_int(errno, EFBIG, "... EFBIG");
    ok(text == NULL, "... *text NULL");
    is_str(err.msg, "over: File too large", "... the message names the file");
    free(big);
}

static void test_refusals(int dir_fd)
{
    struct mc_err err;
    char *text = NULL;
    size_t len;

    is_int(mc_read_file(dir_fd, "missing", LIMIT_BYTES, 0, &text, &len, &err), -1,
           "a missing file fails");
    is_int(errno, ENOENT, "... ENOENT");
    is_str(err.msg, "missing: No such file or directory", "... saying so");
    is_int(err.code, MC_ERR_FAILED, "... code MC_ERR_FAILED");
    is_int(scratch_write(dir_fd, "target", "linked", 6), 0, "a file");
    is_int(symlinkat("target", dir_fd, "link"), 0, "a symbolic link to it");
    is_int(mc_read_file(dir_fd, "link", LIMIT_BYTES, 0, &text, &len, &err), -1,
           "the link is not followed");
    is_int(errno, ELOOP, "... ELOOP");
    is_int(mc_read_file(dir_fd, "link", LIMIT_BYTES, MC_READ_FOLLOW, &text, &len, &err), 0,
           "with MC_READ_FOLLOW it is");
    is_str(text, "linked", "... to its target");
    free(text);
    is_int(mkfifoat(dir_fd, "fifo", SCRATCH_FILE_MODE), 0, "a FIFO");
    is_int(mc_read_file(dir_fd, "fifo", LIMIT_BYTES, 0, &text, &len, &err), -1,
           "is refused at once (no writer: it would block)");
    is_int(errno, EINVAL, "... EINVAL: not a regular file");
    is_int(symlinkat("fifo", dir_fd, "fifo-link"), 0, "a link to the FIFO");
    is_int(mc_read_file(dir_fd, "fifo-link", LIMIT_BYTES, MC_READ_FOLLOW, &text, &len, &err),
           -1, "followed, is refused too");
    is_int(errno, EINVAL, "... EINVAL");
    is_int(mkdirat(dir_fd, "dir", 0700), 0, "a directory");
    is_int(mc_read_file(dir_fd, "dir", LIMIT_BYTES, 0, &text, &len, &err), -1, "is refused");
    is_int(errno, EINVAL, "... EINVAL");
    is_str(err.msg, "dir: Invalid argument", "... the message names it");
}

static void test_path(const char *dir)
{
    struct mc_err err;
    char path[4096];
    char *text = NULL;

    snprintf(path, sizeof(path), "%s/plain", dir);
    is_int(mc_read_file(AT_FDCWD, path, LIMIT_BYTES, MC_READ_FOLLOW, &text, NULL, &err), 0,
           "a whole path with AT_FDCWD");
    is_str(text, "hello\n", "... read");
    free(text);
}

int main(void)
{
    char *dir = scratch_make("mc-test-file");
    int dir_fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;

    if (dir_fd < 0) {
        ok(0, "a scratch directory");
        return done_testing();
    }
    test_reads(dir_fd);
    test_refusals(dir_fd);
    test_path(dir);
    close(dir_fd);
    scratch_remove(dir);
    return done_testing();
}
