/* test_meta.c — meta.json in a private temporary directory: a new meta
 * written and read back, the file's exact form, every way reading must fail
 * (missing, corrupt, a symlink), id and locked checks, locked updates, and
 * command-line values. Only touches its own mkdtemp directory. */
#include "common/meta.h"
#include "host/proto.h"
#include "scratch.h"
#include "tap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define ID "123e4567-e89b-42d3-a456-426614174000"
#define OTHER_ID "00000000-0000-4000-8000-000000000000"
#define CREATED_TIME 1700000000     /* 2023-11-14T22:13:20Z */
#define TEXT_MAX 4096
#define DIR_MODE 0700

/* The whole file, NUL-terminated, into text; -1 if unreadable or too long. */
static int read_text(int dir_fd, const char *name, char *text, size_t size)
{
    int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC);
    ssize_t got;

    if (fd < 0)
        return -1;
    got = read(fd, text, size);
    close(fd);
    if (got < 0 || (size_t)got >= size)
        return -1;
    text[got] = '\0';
    return 0;
}

static int open_subdir(int dir_fd, const char *name)
{
    if (mkdirat(dir_fd, name, DIR_MODE) != 0)
        return -1;
    return openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static const char *string_of(const cJSON *meta, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(meta, key);

    return cJSON_IsString(item) ? item->valuestring : NULL;
}

static void test_new(void)
{
    cJSON *extra = cJSON_Parse("{\"team\":\"ml\",\"locked\":false,\"n\":[1,2]}");
    cJSON *meta = mc_meta_new(ID, CREATED_TIME, 1, extra);
    const cJSON *item;
    int locked_keys = 0;

    ok(cJSON_IsObject(meta), "mc_meta_new gives an object");
    is_str(string_of(meta, "id"), ID, "it holds the id");
    is_str(string_of(meta, "created"), "2023-11-14T22:13:20Z", "created is UTC ISO 8601");
    ok(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(meta, "locked")),
       "locked comes from the argument, not from extra");
    cJSON_ArrayForEach(item, meta) {
        if (strcmp(item->string, "locked") == 0)
            locked_keys++;
    }
    is_int(locked_keys, 1, "exactly one \"locked\" key");
    is_str(string_of(meta, "team"), "ml", "extra keys are copied");
    ok(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(meta, "n")), "extra arrays are copied");
    cJSON_Delete(extra);
    is_str(string_of(meta, "team"), "ml", "the copy does not depend on extra");
    cJSON_Delete(meta);

    meta = mc_meta_new(ID, 0, 0, NULL);
    is_int(cJSON_GetArraySize(meta), 3, "without extra: id, created, locked");
    ok(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(meta, "locked")), "locked false");
    is_str(string_of(meta, "created"), "1970-01-01T00:00:00Z", "created at time 0");
    cJSON_Delete(meta);
}

static void test_round_trip(int base_fd)
{
    cJSON *extra = cJSON_Parse("{\"team\":\"ml\",\"text\":\"a \\\"q\\\"\\n\"}");
    cJSON *meta = mc_meta_new(ID, CREATED_TIME, 0, extra);
    cJSON *back = NULL;
    char text[TEXT_MAX];
    char *compact = cJSON_PrintUnformatted(meta);
    struct mc_err err;
    int dir_fd = open_subdir(base_fd, "round");
    size_t len;

    cJSON_Delete(extra);
    ok(dir_fd >= 0, "made a cache directory");
    is_int(mc_meta_write(dir_fd, "round", meta, &err), 0, "mc_meta_write");
    is_int(count_entries(dir_fd), 1, "only meta.json is left in the directory (no temp file)");
    is_int(read_text(dir_fd, MC_META_FILE, text, sizeof(text)), 0, "meta.json is readable");
    len = strlen(text);
    ok(len > 0 && text[len - 1] == '\n', "meta.json ends with a newline");
    ok(strchr(text, '\n') == text + len - 1, "meta.json is one line");
    text[len - 1] = '\0';
    is_str(text, compact, "meta.json is the compact JSON text");
    is_int(mc_meta_read(dir_fd, "round", &back, &err), 0, "mc_meta_read");
    ok(cJSON_Compare(meta, back, 1), "what was read equals what was written");

    cJSON_Delete(back);
    back = NULL;
    is_int(mc_meta_write(dir_fd, "round", meta, &err), 0, "mc_meta_write over an existing file");
    is_int(mc_meta_read(dir_fd, "round", &back, &err), 0, "read back");
    ok(cJSON_Compare(meta, back, 1), "still equal");
    cJSON_Delete(back);
    cJSON_Delete(meta);
    free(compact);
    close(dir_fd);
}

static void check_read_fails(int dir_fd, const char *content, const char *what)
{
    cJSON *meta = NULL;
    struct mc_err err;

    mc_err_clear(&err);
    if (scratch_write_text(dir_fd, MC_META_FILE, content) != 0) {
        ok(0, "write meta.json %s", what);
        return;
    }
    errno = 0;
    is_int(mc_meta_read(dir_fd, "/c/bad", &meta, &err), -1, "read refuses %s", what);
    is_int(errno, EINVAL, "errno EINVAL for %s", what);
    ok(meta == NULL, "no meta for %s", what);
    ok(strstr(err.msg, "/c/bad/" MC_META_FILE) != NULL, "the message names the file: %s",
       err.msg);
}

static void test_read_failures(int base_fd)
{
    int dir_fd = open_subdir(base_fd, "bad");
    cJSON *meta = NULL;
    struct mc_err err;

    ok(dir_fd >= 0, "made a cache directory");
    errno = 0;
    is_int(mc_meta_read(dir_fd, "/c/bad", &meta, &err), -1, "read fails without meta.json");
    is_int(errno, ENOENT, "errno ENOENT for a missing file");
    ok(meta == NULL, "no meta for a missing file");
    ok(strstr(err.msg, "/c/bad/" MC_META_FILE) != NULL, "the message names the file: %s",
       err.msg);

    check_read_fails(dir_fd, "", "an empty file");
    check_read_fails(dir_fd, "not json\n", "text that is not JSON");
    check_read_fails(dir_fd, "[\"id\"]\n", "a JSON array");
    check_read_fails(dir_fd, "\"" ID "\"\n", "a JSON string");
    check_read_fails(dir_fd, "{\"id\":\"" ID "\"}garbage\n", "an object with trailing garbage");
    check_read_fails(dir_fd, "{\"id\":\"" ID "\"", "a truncated object");

    is_int(scratch_write_text(dir_fd, MC_META_FILE, "{\n  \"id\": \"" ID "\",\n  \"locked\": false\n}"),
           0, "write an indented meta.json, as Python's json.dump(indent=2) does");
    is_int(mc_meta_read(dir_fd, "/c/bad", &meta, &err), 0, "indented JSON is read");
    is_str(string_of(meta, "id"), ID, "its id");
    cJSON_Delete(meta);

    /* A FIFO (or a device) in its place must not block the reader. */
    unlinkat(dir_fd, MC_META_FILE, 0);
    is_int(mkfifoat(dir_fd, MC_META_FILE, 0600), 0, "meta.json replaced by a FIFO");
    is_int(mc_meta_read(dir_fd, "/c/bad", &meta, &err), -1, "reading a FIFO fails at once");
    ok(strstr(err.msg, "not a regular file") != NULL, "saying why: %s", err.msg);
    unlinkat(dir_fd, MC_META_FILE, 0);
    close(dir_fd);
}

static void test_symlink(int base_fd)
{
    int dir_fd = open_subdir(base_fd, "link");
    cJSON *meta = NULL;
    cJSON *fresh = mc_meta_new(ID, CREATED_TIME, 0, NULL);
    char text[TEXT_MAX];
    struct mc_err err;
    struct stat st;

    ok(dir_fd >= 0, "made a cache directory");
    scratch_write_text(base_fd, "elsewhere.json", "{\"id\":\"" ID "\"}");
    is_int(symlinkat("../elsewhere.json", dir_fd, MC_META_FILE), 0,
           "meta.json is a symlink to a good file outside");
    is_int(mc_meta_read(dir_fd, "/c/link", &meta, &err), -1, "read refuses a symlinked meta.json");
    ok(meta == NULL, "no meta through a symlink");
    ok(strstr(err.msg, "/c/link/" MC_META_FILE) && strstr(err.msg, "symbolic link"),
       "the message says so: %s", err.msg);

    is_int(mc_meta_write(dir_fd, "/c/link", fresh, &err), 0, "write over the symlink");
    ok(fstatat(dir_fd, MC_META_FILE, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode),
       "the symlink was replaced by a regular file");
    is_int(read_text(base_fd, "elsewhere.json", text, sizeof(text)), 0, "the target is there");
    is_str(text, "{\"id\":\"" ID "\"}", "the target was not written through the symlink");
    cJSON_Delete(fresh);
    close(dir_fd);
}

static void test_checks(void)
{
    cJSON *meta = mc_meta_new(ID, CREATED_TIME, 1, NULL);
    cJSON *no_id = cJSON_Parse("{\"locked\":true}");
    cJSON *number_id = cJSON_Parse("{\"id\":7}");
    cJSON *string_locked = cJSON_Parse("{\"locked\":\"true\"}");
    cJSON *unlocked = cJSON_Parse("{\"locked\":false}");
    struct mc_err err;

    is_int(mc_meta_check_id(meta, ID, "/c/x", &err), 0, "check_id: same id");
    mc_err_clear(&err);
    is_int(mc_meta_check_id(meta, OTHER_ID, "/c/x", &err), -1, "check_id: another id");
    ok(strstr(err.msg, "/c/x/" MC_META_FILE) != NULL, "the message names the file: %s",
       err.msg);
    is_int(mc_meta_check_id(meta, ID "0", "/c/x", &err), -1, "check_id: a longer id");
    is_int(mc_meta_check_id(no_id, ID, "/c/x", &err), -1, "check_id: no id");
    is_int(mc_meta_check_id(number_id, "7", "/c/x", &err), -1, "check_id: an id that is a number");

    is_int(mc_meta_locked(meta), 1, "locked: true");
    is_int(mc_meta_locked(unlocked), 0, "locked: false");
    is_int(mc_meta_locked(string_locked), 1, "locked: \"true\" (a string) keeps the cache: ambiguous");
    is_int(mc_meta_locked(number_id), 0, "no locked key is not locked");

    cJSON_Delete(meta);
    cJSON_Delete(no_id);
    cJSON_Delete(number_id);
    cJSON_Delete(string_locked);
    cJSON_Delete(unlocked);
}

/* 1 if another open file description can take flock(LOCK_EX) at once. */
static int lock_is_free(int dir_fd)
{
    int other = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int is_free;

    if (other < 0)
        return 0;
    is_free = flock(other, LOCK_EX | LOCK_NB) == 0;
    close(other);
    return is_free;
}

struct edit_args {
    int dir_fd;
    int calls;
    int fail;
    int locked_during_edit;
};

static int add_hits(cJSON *meta, void *ctx, struct mc_err *err)
{
    struct edit_args *args = ctx;

    args->calls++;
    args->locked_during_edit = !lock_is_free(args->dir_fd);
    if (args->fail) {
        mc_err_set(err, "edit refused");
        return -1;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(meta, "hits");
    cJSON_AddNumberToObject(meta, "hits", args->calls);
    return 0;
}

/* The path of the directory open at fd, as the kernel knows it. */
static void path_of(int fd, char *out, size_t size)
{
    char link[64];
    ssize_t len;

    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    len = readlink(link, out, size - 1);
    out[len > 0 ? len : 0] = '\0';
}

static void test_update(int base_fd)
{
    cJSON *extra = cJSON_Parse("{\"team\":\"ml\"}");
    cJSON *meta = mc_meta_new(ID, CREATED_TIME, 1, extra);
    cJSON *back = NULL;
    struct edit_args args = { -1, 0, 0, 0 };
    char before[TEXT_MAX];
    char after[TEXT_MAX];
    struct mc_err err;
    int dir_fd = open_subdir(base_fd, "update");
    const cJSON *hits;
    char path[PATH_MAX];
    char moved[PATH_MAX + 8];
    char file[PATH_MAX + 16];

    cJSON_Delete(extra);
    ok(dir_fd >= 0, "made a cache directory");
    args.dir_fd = dir_fd;
    path_of(dir_fd, path, sizeof(path));
    is_int(mc_meta_write(dir_fd, path, meta, &err), 0, "write the first meta");
    is_int(mc_meta_update(dir_fd, path, ID, add_hits, &args, &err), 0, "update adds a key");
    is_int(args.calls, 1, "the edit ran once");
    ok(args.locked_during_edit, "the edit ran under flock(LOCK_EX) on the directory");
    is_int(mc_meta_read(dir_fd, path, &back, &err), 0, "read back");
    hits = cJSON_GetObjectItemCaseSensitive(back, "hits");
    ok(hits && (cJSON_IsNumber(hits) ? hits->valueint == 1 : strcmp(hits->valuestring, "1") == 0),
       "the new key is there");
    is_str(string_of(back, "id"), ID, "id kept");
    is_str(string_of(back, "created"), "2023-11-14T22:13:20Z", "created kept");
    is_str(string_of(back, "team"), "ml", "team kept");
    ok(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(back, "locked")), "locked kept");
    is_int(cJSON_GetArraySize(back), 5, "nothing else added or lost");
    cJSON_Delete(back);
    is_int(count_entries(dir_fd), 1, "no temp file left after the update");

    /* Duplicates written by hand: the file keeps one of each, the last. */
    scratch_write_text(dir_fd, MC_META_FILE, "{\"id\":\"" ID "\",\"locked\":true,\"a\":1,\"a\":2,"
               "\"locked\":true}");
    is_int(mc_meta_update(dir_fd, path, ID, add_hits, &args, &err), 0, "update a file with duplicates");
    read_text(dir_fd, MC_META_FILE, after, sizeof(after));
    is_str(after, "{\"id\":\"" ID "\",\"a\":2,\"locked\":true,\"hits\":2}\n",
           "one key each, the last value kept");
    is_int(mc_meta_write(dir_fd, path, meta, &err), 0, "back to the first meta");

    read_text(dir_fd, MC_META_FILE, before, sizeof(before));
    mc_err_clear(&err);
    is_int(mc_meta_update(dir_fd, path, OTHER_ID, add_hits, &args, &err), -1,
           "update refuses another id");
    is_int(args.calls, 2, "the edit did not run");
    snprintf(file, sizeof(file), "%s/" MC_META_FILE, path);
    ok(strstr(err.msg, file) != NULL, "the message names the file: %s", err.msg);
    args.fail = 1;
    mc_err_clear(&err);
    is_int(mc_meta_update(dir_fd, path, ID, add_hits, &args, &err), -1,
           "a failing edit fails the update");
    is_str(err.msg, "edit refused", "with the edit's message");
    read_text(dir_fd, MC_META_FILE, after, sizeof(after));
    is_str(after, before, "the file is unchanged after refused updates");
    ok(lock_is_free(dir_fd), "the directory lock was let go");

    /* A release moved the directory away while we waited for its lock. */
    args.fail = 0;
    snprintf(moved, sizeof(moved), "%s.moved", path);
    is_int(rename(path, moved), 0, "the directory moved away (as a release does)");
    mc_err_clear(&err);
    is_int(mc_meta_update(dir_fd, path, ID, add_hits, &args, &err), -1,
           "an update of a directory no longer in place fails");
    ok(strstr(err.msg, "released (wiped) meanwhile") != NULL, "saying the cache was released: %s",
       err.msg);
    is_int(rename(moved, path), 0, "moved back");

    unlinkat(dir_fd, MC_META_FILE, 0);
    is_int(mc_meta_update(dir_fd, path, ID, add_hits, &args, &err), -1,
           "update fails without meta.json");
    is_int(count_entries(dir_fd), 0, "and creates nothing");
    cJSON_Delete(meta);
    close(dir_fd);
}

static void check_lock_state(const char *text, enum mc_lock_state want, const char *what)
{
    cJSON *meta = cJSON_Parse(text);
    const char *why = "unset";
    enum mc_lock_state got = meta ? mc_meta_lock_state(meta, &why) : (enum mc_lock_state)-1;

    is_int(got, want, "%s: %s", what, text);
    if (want == MC_LOCK_AMBIGUOUS)
        ok(why != NULL, "... with a reason (%s)", why ? why : "none");
    else
        ok(why == NULL, "... and no note");
    is_int(meta ? mc_meta_locked(meta) : -1, want != MC_UNLOCKED,
           "... which %s wiping", want == MC_UNLOCKED ? "allows" : "forbids");
    cJSON_Delete(meta);
}

/* Wipe only when "locked" is absent, or exactly false and there once. */
static void test_lock_states(void)
{
    check_lock_state("{\"id\":\"x\"}", MC_UNLOCKED, "no locked key");
    check_lock_state("{\"locked\":false}", MC_UNLOCKED, "locked false");
    check_lock_state("{\"locked\":true}", MC_LOCKED, "locked true");
    check_lock_state("{\"locked\":\"true\"}", MC_LOCK_AMBIGUOUS, "a string");
    check_lock_state("{\"locked\":\"false\"}", MC_LOCK_AMBIGUOUS, "the string false");
    check_lock_state("{\"locked\":1}", MC_LOCK_AMBIGUOUS, "a number");
    check_lock_state("{\"locked\":0}", MC_LOCK_AMBIGUOUS, "zero");
    check_lock_state("{\"locked\":null}", MC_LOCK_AMBIGUOUS, "null");
    check_lock_state("{\"locked\":\"yes\"}", MC_LOCK_AMBIGUOUS, "yes");
    check_lock_state("{\"locked\":{}}", MC_LOCK_AMBIGUOUS, "an object");
    check_lock_state("{\"locked\":false,\"locked\":true}", MC_LOCK_AMBIGUOUS,
                     "duplicates that Python reads as true");
    check_lock_state("{\"locked\":true,\"locked\":false}", MC_LOCK_AMBIGUOUS,
                     "duplicates that cJSON reads as true");
    check_lock_state("{\"locked\":false,\"locked\":false}", MC_LOCK_AMBIGUOUS,
                     "the same value twice");
    check_lock_state("{\"lo\\u0063ked\":false,\"locked\":true}", MC_LOCK_AMBIGUOUS,
                     "a duplicate spelled with an escape");
    check_lock_state("{\"x\":{\"locked\":true}}", MC_LOCK_AMBIGUOUS, "nested, shadowing nothing");
    check_lock_state("{\"locked\":false,\"x\":[{\"locked\":true}]}", MC_LOCK_AMBIGUOUS,
                     "nested in an array");
    check_lock_state("{\"Locked\":true}", MC_UNLOCKED, "another key (case matters to both)");
}

/* Setting a key replaces every occurrence; writing keeps the last of any
 * other duplicates, as Python reads them. */
static void test_set_key(void)
{
    cJSON *meta = cJSON_Parse("{\"id\":\"" ID "\",\"locked\":false,\"a\":1,\"locked\":true,"
                              "\"a\":2,\"o\":{\"k\":1,\"k\":2}}");
    char *text;

    is_int(mc_meta_set_key(meta, "locked", cJSON_CreateFalse()), 0, "set locked false");
    text = cJSON_PrintUnformatted(meta);
    ok(text && strstr(text, "\"locked\":false") && !strstr(text, "\"locked\":true"),
       "every old \"locked\" went: %s", text ? text : "");
    free(text);
    cJSON_Delete(meta);
}

static void check_value(const char *text, cJSON_bool (*is_type)(const cJSON *),
                        const char *what)
{
    cJSON *value = mc_meta_value_from_text(text);

    ok(value && is_type(value), "\"%s\" is %s", text, what);
    if (cJSON_IsString(value))
        is_str(value->valuestring, text, "the string is the text itself");
    cJSON_Delete(value);
}

static void test_value_from_text(void)
{
    cJSON *value;

    check_value("3", cJSON_IsRaw, "a number (kept as its text)");
    value = mc_meta_value_from_text("-2.5");
    ok(cJSON_IsRaw(value) && strcmp(value->valuestring, "-2.5") == 0, "\"-2.5\" is -2.5");
    cJSON_Delete(value);
    value = mc_meta_value_from_text("12345678901234567890");
    ok(cJSON_IsRaw(value) && strcmp(value->valuestring, "12345678901234567890") == 0,
       "a 20-digit integer keeps every digit");
    cJSON_Delete(value);
    check_value("true", cJSON_IsTrue, "true");
    check_value("false", cJSON_IsFalse, "false");
    check_value("null", cJSON_IsNull, "null");
    check_value("abc", cJSON_IsString, "a string");
    check_value("12abc", cJSON_IsString, "a string, not 12");
    check_value("truex", cJSON_IsString, "a string, not true");
    check_value("", cJSON_IsString, "an empty string");
    check_value("{\"a\":1", cJSON_IsString, "a string (unclosed object)");
    check_value("[1,2]", cJSON_IsArray, "an array");
    value = mc_meta_value_from_text("{\"a\":1}");
    ok(cJSON_IsObject(value), "{\"a\":1} is an object");
    ok(cJSON_IsRaw(cJSON_GetObjectItemCaseSensitive(value, "a")), "with a = 1");
    cJSON_Delete(value);
    value = mc_meta_value_from_text("\"quoted\"");
    is_str(cJSON_IsString(value) ? value->valuestring : NULL, "quoted",
           "a JSON string loses its quotes");
    cJSON_Delete(value);
}

int main(void)
{
    char *base = scratch_make("mc-test-meta");
    int base_fd = base ? open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;

    test_new();
    test_checks();
    test_lock_states();
    test_set_key();
    test_value_from_text();
    if (ok(base_fd >= 0, "made a private temporary directory")) {
        test_round_trip(base_fd);
        test_read_failures(base_fd);
        test_symlink(base_fd);
        test_update(base_fd);
        close(base_fd);
    }
    scratch_remove(base);
    return done_testing();
}
