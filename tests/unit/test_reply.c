/* test_reply.c — the watcher's answer over a SOCK_SEQPACKET socketpair:
 * text and a descriptor arrive intact (the same open file, close-on-exec),
 * lines split into kind and argument, a closed peer reads as 0, a silent
 * one times out, an answer too big for the buffer is refused. */
#include "host/reply.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define SHORT_TIMEOUT_MS 50
#define LONG_TIMEOUT_MS 5000
#define ANSWER_MAX 256
#define TINY_BUFFER 4

static int make_pair(int pair[2])
{
    return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair);
}

/* An open, already unlinked temporary file. */
static int temp_file(void)
{
    const char *tmpdir = getenv("TMPDIR");
    char *path;
    int fd;

    if (!tmpdir || tmpdir[0] != '/')
        tmpdir = "/tmp";
    if (asprintf(&path, "%s/mc-test-reply.XXXXXX", tmpdir) < 0)
        return -1;
    fd = mkostemp(path, O_CLOEXEC);
    if (fd >= 0)
        unlink(path);
    free(path);
    return fd;
}

static int same_file(int a, int b)
{
    struct stat sa;
    struct stat sb;

    if (fstat(a, &sa) != 0 || fstat(b, &sb) != 0)
        return 0;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static void test_send_with_fd(void)
{
    static const char text[] = "ok\nset A=b c\nhold 1:2:/p\n";
    char answer[ANSWER_MAX];
    int pair[2] = { -1, -1 };
    int file = temp_file();
    int got_fd = -1;
    long len;
    off_t where;

    ok(make_pair(pair) == 0 && file >= 0, "socketpair and a temporary file");
    is_int(mc_reply_send(pair[0], text, strlen(text), file), 0, "send text and a descriptor");
    len = mc_reply_recv(pair[1], answer, sizeof(answer), &got_fd, LONG_TIMEOUT_MS);
    is_int(len, (long)strlen(text), "received the whole text");
    is_str(answer, text, "text intact and NUL-terminated");
    ok(got_fd >= 0 && got_fd != file, "received a new descriptor (%d)", got_fd);
    ok(same_file(got_fd, file), "it refers to the same file (fstat dev and ino)");
    ok(got_fd >= 0 && (fcntl(got_fd, F_GETFD) & FD_CLOEXEC), "it is close-on-exec");
    where = lseek(file, 7, SEEK_SET);
    ok(where == 7 && lseek(got_fd, 0, SEEK_CUR) == 7,
       "it shares the open file description (same offset)");
    if (got_fd >= 0)
        close(got_fd);

    is_int(mc_reply_send(pair[0], "disabled\n", 9, -1), 0, "send text without a descriptor");
    got_fd = 1234;
    is_int(mc_reply_recv(pair[1], answer, sizeof(answer), &got_fd, LONG_TIMEOUT_MS), 9,
           "received it");
    is_int(got_fd, -1, "no descriptor: *fd is -1");
    is_str(answer, "disabled\n", "text intact");

    is_int(mc_reply_send(pair[0], "error a b\n", 10, -1), 0, "send a message that just fits");
    is_int(mc_reply_recv(pair[1], answer, 11, &got_fd, LONG_TIMEOUT_MS), 10,
           "a buffer of length + 1 takes it");
    is_str(answer, "error a b\n", "text intact");
    close(file);
    close(pair[0]);
    close(pair[1]);
}

/* The lowest descriptor number not in use. */
static int next_free_fd(void)
{
    int fd = dup(STDERR_FILENO);

    if (fd >= 0)
        close(fd);
    return fd;
}

static void test_too_big(void)
{
    char answer[TINY_BUFFER];
    int pair[2] = { -1, -1 };
    int file = temp_file();
    int got_fd = 1234;
    int free_fd;
    long len;

    ok(make_pair(pair) == 0 && file >= 0, "socketpair and a temporary file");
    mc_reply_send(pair[0], "ok\nset X=y\n", 11, file);
    free_fd = next_free_fd();
    errno = 0;
    len = mc_reply_recv(pair[1], answer, sizeof(answer), &got_fd, LONG_TIMEOUT_MS);
    is_int(len, -1, "an answer longer than the buffer is refused");
    is_int(errno, EMSGSIZE, "errno EMSGSIZE");
    is_int(got_fd, -1, "and no descriptor is handed back");
    is_int(next_free_fd(), free_fd, "the descriptor that came with it was closed");
    close(file);
    close(pair[0]);
    close(pair[1]);
}

static void test_peer_gone(void)
{
    char answer[ANSWER_MAX];
    int pair[2] = { -1, -1 };
    int got_fd = 1234;

    ok(make_pair(pair) == 0, "socketpair");
    close(pair[0]);
    is_int(mc_reply_recv(pair[1], answer, sizeof(answer), &got_fd, LONG_TIMEOUT_MS), 0,
           "a peer that closed without answering reads as 0");
    is_int(got_fd, -1, "no descriptor");
    is_int(mc_reply_send(pair[1], "ok\n", 3, -1), -1,
           "sending to a closed peer fails (and raises no SIGPIPE)");
    close(pair[1]);
}

static void test_timeout(void)
{
    char answer[ANSWER_MAX];
    int pair[2] = { -1, -1 };
    int got_fd = 1234;

    ok(make_pair(pair) == 0, "socketpair");
    errno = 0;
    is_int(mc_reply_recv(pair[1], answer, sizeof(answer), &got_fd, SHORT_TIMEOUT_MS), -1,
           "a silent peer times out after %d ms", SHORT_TIMEOUT_MS);
    is_int(errno, ETIMEDOUT, "errno ETIMEDOUT");
    is_int(got_fd, -1, "no descriptor");
    close(pair[0]);
    close(pair[1]);
}

static void check_record(char **cursor, const char *end, const char *want_kind,
                         const char *want_arg)
{
    char *kind = NULL;
    char *arg = NULL;

    is_int(mc_reply_next(cursor, end, &kind, &arg), 0, "a record: %s %s", want_kind, want_arg);
    is_str(kind, want_kind, "kind");
    is_str(arg, want_arg, "argument");
}

static void test_next(void)
{
    char text[] = "ok\0set A=b c\0unset X\0hold 1:2:/p";   /* the array ends the last one */
    char cut[] = { 'o', 'k', '\0', 'e', 'r', 'r' };
    char *end = text + sizeof(text);
    char *cursor = text;
    char *kind = NULL;
    char *arg = NULL;

    check_record(&cursor, end, "ok", "");
    check_record(&cursor, end, "set", "A=b c");
    check_record(&cursor, end, "unset", "X");
    check_record(&cursor, end, "hold", "1:2:/p");
    is_int(mc_reply_next(&cursor, end, &kind, &arg), -1, "then the end");
    is_int(mc_reply_next(&cursor, end, &kind, &arg), -1, "and the end again");

    cursor = cut;
    check_record(&cursor, cut + sizeof(cut), "ok", "");
    is_int(mc_reply_next(&cursor, cut + sizeof(cut), &kind, &arg), -1,
           "a last record without its NUL is not taken");

    cursor = text;
    is_int(mc_reply_next(&cursor, text, &kind, &arg), -1, "an empty answer has no records");
}

/* A value may hold any byte but NUL: a newline in it is just a byte. */
static void test_apply_newlines(void)
{
    char text[] = "ok\0set MC_TEST_PATH=/tmp/x\nset MC_TEST_EVIL=1\0hold 1:2:/r/run/x.lock";
    const char *lock_path = NULL;

    unsetenv("MC_TEST_EVIL");
    is_int(mc_reply_apply(text, sizeof(text), &lock_path), MC_REPLY_OK, "the answer applies");
    is_str(getenv("MC_TEST_PATH"), "/tmp/x\nset MC_TEST_EVIL=1",
           "a value with a newline is set whole");
    ok(getenv("MC_TEST_EVIL") == NULL, "and nothing after the newline passes for a record");
    is_str(lock_path, "/r/run/x.lock", "the lock path");
}

/* The writer's records are what the reader splits, byte for byte. */
static void test_write_read(void)
{
    char data[ANSWER_MAX];
    struct mc_reply_text text;
    char *cursor;
    char *kind;
    char *arg;

    mc_reply_text_init(&text, data, sizeof(data));
    mc_reply_add(&text, "ok", NULL);
    mc_reply_add_set(&text, "MONOCACHE_PATH", "/r/cache/a b=c");
    mc_reply_add(&text, "unset", "MONOCACHE_NEW");
    mc_reply_add_hold(&text, 2049, 18446744073709551615ULL, "/r/run/x.lock");
    ok(!text.overflow, "four records fit");
    cursor = data;
    check_record(&cursor, data + text.len, "ok", "");
    check_record(&cursor, data + text.len, "set", "MONOCACHE_PATH=/r/cache/a b=c");
    check_record(&cursor, data + text.len, "unset", "MONOCACHE_NEW");
    check_record(&cursor, data + text.len, "hold", "2049:18446744073709551615:/r/run/x.lock");
    is_int(mc_reply_next(&cursor, data + text.len, &kind, &arg), -1, "and nothing more");

    mc_reply_text_init(&text, data, 12);
    mc_reply_add(&text, "ok", NULL);
    is_int((int)text.len, 3, "a record fits with its NUL");
    mc_reply_add_set(&text, "A", "0123456789");
    ok(text.overflow, "one that does not fit marks the answer as overflowed");
    mc_reply_add(&text, "x", NULL);
    is_int((int)text.len, 3, "it is taken back whole, and nothing is added after it");
}

int main(void)
{
    test_send_with_fd();
    test_too_big();
    test_peer_gone();
    test_timeout();
    test_next();
    test_apply_newlines();
    test_write_read();
    return done_testing();
}
