/* test_s3merge.c — a push merged with what another push sent since the
 * copy's base (merge.h), on trees made up here: each rule of the table in
 * merge.h, a base that is unknown, and which local files are read. The
 * local files' ETags come from their link targets' slot: a test's own
 * table, so that "read" is counted. */
#include "s3/merge.h"
#include "tap.h"

#include <stdio.h>
#include <string.h>

static int reads;

static void add(struct mc_tree *tree, const char *path, long long size, const char *etag)
{
    struct mc_entry e = { .path = (char *)path, .type = MC_ENTRY_FILE, .mode = 0644,
                          .size = size, .etag = (char *)etag, .has_ctime = 1 };

    if (mc_tree_add(tree, &e) != 0)
        diag("out of memory adding %s", path);
}

/* A local file's ETag: what the test put in its etag field (the scan
 * leaves it empty; here it says what the bytes are). */
static int etag_of(struct mc_entry *e, long long part_size, char *etag, void *ctx,
                   struct mc_err *err)
{
    (void)part_size;
    (void)ctx;
    (void)err;
    reads++;
    snprintf(etag, 64, "%s", e->etag ? e->etag : "");
    return 0;
}

static const char *state(const struct mc_tree *tree, const char *path)
{
    const struct mc_entry *e = mc_tree_find(tree, path);

    if (!e)
        return "gone";
    return e->from_remote ? "theirs" : "ours";
}

static void test_rules(void)
{
    struct mc_tree base = { 0 }, remote = { 0 }, local = { 0 };
    struct mc_s3_merge_result result;
    struct mc_err err;

    add(&base, "same", 1, "s");
    add(&base, "mine", 1, "m");
    add(&base, "theirs", 1, "t");
    add(&base, "both", 1, "b");
    add(&base, "deleted-here", 1, "d");
    add(&base, "deleted-here-changed-there", 1, "x");
    add(&base, "deleted-there", 1, "y");
    add(&base, "deleted-there-changed-here", 1, "z");
    add(&base, "resized", 1, "r");
    mc_tree_sort(&base);

    add(&remote, "same", 1, "s");
    add(&remote, "mine", 1, "m");
    add(&remote, "theirs", 1, "T");
    add(&remote, "both", 1, "B2");
    add(&remote, "deleted-here", 1, "d");
    add(&remote, "deleted-here-changed-there", 1, "X");
    add(&remote, "deleted-there-changed-here", 1, "z");
    add(&remote, "resized", 1, "r");
    add(&remote, "added-there", 1, "a");
    mc_tree_sort(&remote);
    mc_tree_sort(&remote);

    add(&local, "same", 1, "s");
    add(&local, "mine", 1, "M");
    add(&local, "theirs", 1, "t");
    add(&local, "both", 1, "B1");
    add(&local, "deleted-there", 1, "y");
    add(&local, "deleted-there-changed-here", 1, "Z");
    add(&local, "resized", 2, "rr");
    add(&local, "added-here", 1, "h");
    add(&local, "meta.json", 1, "j");
    mc_tree_sort(&local);

    reads = 0;
    is_int(mc_s3_merge(&local, &base, &remote, etag_of, NULL, &result, &err), 0, "merged");
    is_str(state(&local, "same"), "ours", "unchanged on both sides: ours (the same)");
    is_str(state(&local, "mine"), "ours", "changed here only: ours");
    is_str(state(&local, "theirs"), "theirs", "changed there only: theirs");
    is_str(mc_tree_find(&local, "theirs")->etag, "T", "... with their ETag");
    is_str(state(&local, "both"), "ours", "changed on both sides: ours");
    is_str(state(&local, "deleted-here"), "gone", "deleted here, unchanged there: deleted");
    is_str(state(&local, "deleted-here-changed-there"), "theirs",
           "deleted here, changed there: theirs");
    is_str(state(&local, "deleted-there"), "gone", "deleted there, unchanged here: gone");
    is_str(state(&local, "deleted-there-changed-here"), "ours",
           "deleted there, changed here: ours");
    is_str(state(&local, "resized"), "ours", "a new size here: ours");
    is_str(state(&local, "added-there"), "theirs", "added there: theirs");
    is_str(state(&local, "added-here"), "ours", "added here: ours");
    is_str(state(&local, "meta.json"), "ours", "meta.json: never merged");
    is_int((long long)result.conflicts, 2, "two conflicts (both; deleted here, changed there)");
    is_str(result.first_conflict, "both", "... the first named");
    is_int((long long)result.dropped, 1, "one local file dropped");
    is_int((long long)result.theirs, 3, "three entries of theirs");
    ok(reads <= 8, "local files read only where a size agrees");
    for (size_t i = 1; i < local.count; i++)
        ok(strcmp(local.entries[i - 1].path, local.entries[i].path) < 0, "sorted after: %s",
           local.entries[i].path);
    mc_tree_free(&local);
    mc_tree_free(&remote);
    mc_tree_free(&base);
}

static void test_no_base(void)
{
    struct mc_tree base = { 0 }, remote = { 0 }, local = { 0 };
    struct mc_s3_merge_result result;
    struct mc_err err;

    add(&remote, "theirs-only", 1, "t");
    add(&remote, "same", 1, "s");
    add(&remote, "differs", 1, "D1");
    mc_tree_sort(&remote);
    add(&local, "same", 1, "s");
    add(&local, "differs", 1, "D2");
    add(&local, "mine-only", 1, "m");
    mc_tree_sort(&local);
    is_int(mc_s3_merge(&local, &base, &remote, etag_of, NULL, &result, &err), 0,
           "no base: merged");
    is_str(state(&local, "theirs-only"), "theirs", "... nothing of theirs deleted");
    is_str(state(&local, "same"), "ours", "... the same bytes: no conflict");
    is_str(state(&local, "differs"), "ours", "... other bytes: ours");
    is_int((long long)result.conflicts, 1, "... counted as the one conflict");
    is_int((long long)result.dropped, 0, "... nothing dropped");
    mc_tree_free(&local);
    mc_tree_free(&remote);
}

int main(void)
{
    test_rules();
    test_no_base();
    return done_testing();
}
