/* test_s3tree.c — what push sees in a cache directory, the index it writes
 * and reads back, the ETags it computes, and the paths a pull accepts. */
#include "s3/common.h"
#include "scratch.h"
#include "tap.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[4096];
    FILE *file;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    file = fopen(path, "w");
    if (file) {
        fputs(text, file);
        fclose(file);
    }
}

static void test_scan_and_index(void)
{
    char *dir = scratch_make("mc-s3tree");
    char path[4096];
    struct mc_tree tree, back;
    struct mc_entry *e;
    struct mc_err err;
    char *text;
    int fd;

    snprintf(path, sizeof(path), "%s/sub", dir);
    mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/sub/empty", dir);
    mkdir(path, 0700);
    write_file(dir, "sub/f", "hello");
    write_file(dir, "meta.json", "{}");
    snprintf(path, sizeof(path), "%s/link", dir);
    symlink("sub/f", path);
    snprintf(path, sizeof(path), "%s/fifo", dir);
    mkfifo(path, 0600);
    snprintf(path, sizeof(path), "%s/sub/f", dir);
    chmod(path, 0640);
    fd = open(dir, O_RDONLY | O_DIRECTORY);
    is_int(mc_tree_scan(fd, dir, &tree, NULL, NULL, &err), 0, "scans a cache");
    is_int((long long)tree.count, 5, "... meta.json, link, sub, sub/empty, sub/f (no FIFO)");
    e = mc_tree_find(&tree, "sub/f");
    ok(e && e->type == MC_ENTRY_FILE && e->size == 5 && e->mode == 0640, "... a file, mode kept");
    e = mc_tree_find(&tree, "link");
    ok(e && e->type == MC_ENTRY_LINK && strcmp(e->target, "sub/f") == 0, "... a link, not followed");
    ok(mc_tree_find(&tree, "fifo") == NULL, "... a FIFO skipped");
    e = mc_tree_find(&tree, "sub/f");
    e->etag = strdup("5d41402abc4b2a76b9719d911017c592");
    text = mc_index_write(&tree, "ID");
    ok(text != NULL, "the index is written");
    is_int(mc_index_read(text, strlen(text), &back, &err), 0, "... and read back");
    is_int((long long)back.count, (long long)tree.count, "... every entry");
    e = mc_tree_find(&back, "sub/f");
    ok(e && e->mode == 0640 && e->etag && strcmp(e->etag, "5d41402abc4b2a76b9719d911017c592") == 0,
       "... with its mode and ETag");
    e = mc_tree_find(&back, "sub/empty");
    ok(e && e->type == MC_ENTRY_DIR, "... an empty directory");
    ok(mc_tree_find(&back, "sub/f")->mtime_ns == mc_tree_find(&tree, "sub/f")->mtime_ns,
       "... mtimes to the nanosecond");
    free(text);
    mc_tree_free(&back);
    mc_tree_free(&tree);
    close(fd);
    scratch_remove(dir);
}

static void test_hostile_index(void)
{
    static const char *const bad[] = {
        "{\"version\":1,\"entries\":[{\"path\":\"../x\",\"type\":\"file\",\"mode\":420,\"mtime\":\"1.0\"}]}",
        "{\"version\":1,\"entries\":[{\"path\":\"/etc/x\",\"type\":\"file\",\"mode\":420,\"mtime\":\"1.0\"}]}",
        "{\"version\":1,\"entries\":[{\"path\":\"a//b\",\"type\":\"file\",\"mode\":420,\"mtime\":\"1.0\"}]}",
        "{\"version\":1,\"entries\":[{\"path\":\"a\",\"type\":\"link\",\"mode\":420,\"mtime\":\"1.0\"}]}",
        "{\"version\":1,\"entries\":[{\"path\":\"a\",\"type\":\"file\",\"mode\":99999,\"mtime\":\"1.0\"}]}",
        "{\"version\":2,\"entries\":[]}",
        "[]",
    };
    struct mc_tree tree;
    struct mc_err err;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        is_int(mc_index_read(bad[i], strlen(bad[i]), &tree, &err), -1, "refused: %s", bad[i]);
    ok(mc_relative_path_ok("a/b.c") && !mc_relative_path_ok("a/./b") &&
       !mc_relative_path_ok("a/") && !mc_relative_path_ok(""), "relative paths checked");
}

static void test_etags(void)
{
    unsigned char parts[2][MC_MD5_LEN];
    char etag[80];

    mc_md5_of("hello", 5, parts[0]);
    mc_s3_etag_of((const unsigned char (*)[MC_MD5_LEN])parts, 1, etag);
    is_str(etag, "5d41402abc4b2a76b9719d911017c592", "one part: its MD5");
    mc_md5_of("world", 5, parts[1]);
    mc_s3_etag_of((const unsigned char (*)[MC_MD5_LEN])parts, 2, etag);
    /* md5(md5("hello") || md5("world")), as AWS computes it */
    is_str(etag, "065947336a2f2a95ba8899f3675c3be6-2", "two parts: MD5 of the MD5s, -2");
    mc_s3_etag_of(NULL, 0, etag);
    is_str(etag, "d41d8cd98f00b204e9800998ecf8427e", "an empty file");
    is_int(mc_s3_part_size(201LL << 20), 8LL << 20, "8 MiB parts");
    is_int(mc_s3_part_size((80000LL << 20) + 1), 16LL << 20, "doubled when 10,000 would not hold it");
    ok(mc_s3_part_size(200LL << 30) * MC_S3_PARTS_MAX >= 200LL << 30,
       "200 GiB: parts big enough for 10,000");
}

int main(void)
{
    test_scan_and_index();
    test_hostile_index();
    test_etags();
    return done_testing();
}
