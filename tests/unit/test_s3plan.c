/* test_s3plan.c — the plan of a push, from a local tree, the last index and
 * a listing made up here (no files, no server): what is unchanged, changed
 * or new, what is deleted, when meta.json goes first, the part sizes, the
 * totals, and when S3 already has a file's bytes. */
#include "s3/plan.h"
#include "s3/sync.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

#define PREFIX "t/id/"
#define ETAG_A "0cc175b9c0f1b6a831c399e269772661"
#define ETAG_B "92eb5ffee6ae2fec3ad71c777531578f"
#define MIB (1024LL * 1024)
#define MULTIPART_MIN (16 * MIB)
#define MTIME_S 1700000000LL

static void add(struct mc_tree *tree, const char *path, enum mc_entry_type type,
                long long size, const char *target, const char *etag)
{
    struct mc_entry e = { .path = (char *)path, .type = type, .mode = 0644, .mtime_s = MTIME_S,
                          .ctime_s = MTIME_S, .has_ctime = 1, .size = size,
                          .target = (char *)target, .etag = (char *)etag };

    if (mc_tree_add(tree, &e) != 0)
        diag("out of memory adding %s", path);
}

struct fixture {
    const char *path;
    enum mc_entry_type type;
    long long size;
    const char *target;
    const char *etag;
};

/* A tree of these entries, sorted. */
static void make_tree(struct mc_tree *tree, const struct fixture *entries, size_t count)
{
    size_t i;

    memset(tree, 0, sizeof(*tree));
    for (i = 0; i < count; i++)
        add(tree, entries[i].path, entries[i].type, entries[i].size, entries[i].target,
            entries[i].etag);
    mc_tree_sort(tree);
}

/* A listing of these keys (given sorted), each of one byte. */
static void list(struct mc_s3_listing *listing, const char *const *keys, const char *const *etags,
                 size_t count)
{
    size_t i;

    memset(listing, 0, sizeof(*listing));
    listing->objects = calloc(count, sizeof(*listing->objects));
    for (i = 0; listing->objects && i < count; i++) {
        listing->objects[i].key = strdup(keys[i]);
        listing->objects[i].etag = strdup(etags[i]);
        listing->objects[i].size = 1;
    }
    listing->count = listing->objects ? count : 0;
}

static const struct mc_s3_plan_item *item_of(const struct mc_s3_plan *plan, const char *path)
{
    size_t i;

    for (i = 0; i < plan->item_count; i++) {
        if (strcmp(plan->items[i].entry->path, path) == 0)
            return &plan->items[i];
    }
    return NULL;
}

static int kind_of(const struct mc_s3_plan *plan, const char *path)
{
    const struct mc_s3_plan_item *item = item_of(plan, path);

    return item ? (int)item->kind : -1;
}

static int deleted(const struct mc_s3_plan *plan, const char *key)
{
    size_t i;

    for (i = 0; i < plan->delete_count; i++) {
        if (strcmp(plan->deletes[i]->key, key) == 0)
            return 1;
    }
    return 0;
}

static void test_kinds(void)
{
    static const char *const keys[] = {
        PREFIX "changed-ctime", PREFIX "changed-etag", PREFIX "changed-time", PREFIX "gone", PREFIX "link-moved",
        PREFIX "link-same", PREFIX "meta.json", PREFIX "no-etag", PREFIX "now-dir",
        PREFIX "now-link", PREFIX "old-index", PREFIX "same", "t/other/outside"
    };
    static const char *const etags[] = { ETAG_A, ETAG_B, ETAG_A, ETAG_A, ETAG_A, ETAG_A, ETAG_A,
                                         ETAG_A, ETAG_A, ETAG_A, ETAG_A, ETAG_A, ETAG_A };
    static const struct fixture here[] = {
        { "meta.json", MC_ENTRY_FILE, 2, NULL, NULL },
        { "same", MC_ENTRY_FILE, 5, NULL, NULL },
        { "changed-time", MC_ENTRY_FILE, 5, NULL, NULL },
        { "changed-ctime", MC_ENTRY_FILE, 5, NULL, NULL },
        { "old-index", MC_ENTRY_FILE, 5, NULL, NULL },
        { "changed-etag", MC_ENTRY_FILE, 5, NULL, NULL },
        { "no-etag", MC_ENTRY_FILE, 5, NULL, NULL },
        { "new", MC_ENTRY_FILE, 7, NULL, NULL },
        { "link-same", MC_ENTRY_LINK, 0, "a", NULL },
        { "link-moved", MC_ENTRY_LINK, 0, "b", NULL },
        { "link-new", MC_ENTRY_LINK, 0, "c", NULL },
        { "now-link", MC_ENTRY_LINK, 0, "d", NULL },
        { "now-dir", MC_ENTRY_DIR, 0, NULL, NULL },
        { "dir", MC_ENTRY_DIR, 0, NULL, NULL },
    };
    static const struct fixture indexed[] = {
        { "same", MC_ENTRY_FILE, 5, NULL, ETAG_A },
        { "changed-time", MC_ENTRY_FILE, 5, NULL, ETAG_A },
        { "changed-ctime", MC_ENTRY_FILE, 5, NULL, ETAG_A },
        { "old-index", MC_ENTRY_FILE, 5, NULL, ETAG_A },
        { "changed-etag", MC_ENTRY_FILE, 5, NULL, ETAG_A },
        { "no-etag", MC_ENTRY_FILE, 5, NULL, NULL },
        { "link-same", MC_ENTRY_LINK, 0, "a", NULL },
        { "link-moved", MC_ENTRY_LINK, 0, "a", NULL },
        { "now-link", MC_ENTRY_FILE, 5, NULL, ETAG_A },
    };
    struct mc_tree local, old;
    struct mc_s3_listing remote;
    struct mc_s3_plan plan;
    struct mc_err err;
    struct mc_entry *e;

    make_tree(&local, here, sizeof(here) / sizeof(*here));
    make_tree(&old, indexed, sizeof(indexed) / sizeof(*indexed));
    e = mc_tree_find(&old, "same");
    if (e)
        e->part_size = 8 * MIB;
    e = mc_tree_find(&old, "changed-time");
    if (e)
        e->mtime_ns = 1;
    e = mc_tree_find(&old, "changed-ctime");
    if (e)
        e->ctime_ns = 1;
    e = mc_tree_find(&old, "old-index");
    if (e)
        e->has_ctime = 0;
    list(&remote, keys, etags, sizeof(keys) / sizeof(*keys));

    is_int(mc_s3_plan_make(&plan, &local, &old, &remote, PREFIX, MULTIPART_MIN, &err), 0,
           "a plan");
    is_int(plan.item_count, 11, "... of every file and link but meta.json (no directory)");
    ok(!item_of(&plan, "meta.json") && !item_of(&plan, "dir"), "... meta.json and dirs not items");
    is_int(kind_of(&plan, "same"), MC_S3_PLAN_UNCHANGED,
           "unchanged: index and listing agree on the ETag, size, mtime and ctime match");
    is_int(item_of(&plan, "same") ? item_of(&plan, "same")->part_size : -1, 8 * MIB,
           "... with the part size it was sent with");
    is_int(kind_of(&plan, "changed-time"), MC_S3_PLAN_CHANGED, "changed: another mtime");
    is_int(kind_of(&plan, "changed-ctime"), MC_S3_PLAN_CHANGED,
           "changed: another ctime, size and mtime the same (a rewrite, touch -r after)");
    is_int(kind_of(&plan, "old-index"), MC_S3_PLAN_CHANGED,
           "changed: an index without ctimes (an older monocache's) is not trusted");
    is_int(kind_of(&plan, "changed-etag"), MC_S3_PLAN_CHANGED,
           "changed: the object is not what the index recorded");
    is_int(kind_of(&plan, "no-etag"), MC_S3_PLAN_CHANGED, "changed: the index has no ETag");
    is_int(kind_of(&plan, "new"), MC_S3_PLAN_NEW, "new: no object, no index entry");
    is_int(kind_of(&plan, "link-same"), MC_S3_PLAN_UNCHANGED, "a link with the same target");
    is_int(kind_of(&plan, "link-moved"), MC_S3_PLAN_CHANGED, "a link with another target");
    is_int(kind_of(&plan, "link-new"), MC_S3_PLAN_NEW, "a new link");
    is_int(kind_of(&plan, "now-link"), MC_S3_PLAN_CHANGED, "a file become a link");
    is_str(item_of(&plan, "new") ? item_of(&plan, "new")->key : NULL, PREFIX "new",
           "an item's key is prefix + path");
    ok(item_of(&plan, "same") && item_of(&plan, "same")->remote &&
       item_of(&plan, "same")->was, "... with its object and its index entry");
    is_int(plan.delete_count, 2, "two deletes");
    ok(deleted(&plan, PREFIX "gone"), "... an object with no local entry");
    ok(deleted(&plan, PREFIX "now-dir"), "... an object where there is a directory now");
    ok(!deleted(&plan, PREFIX "meta.json"), "... never meta.json");
    ok(!deleted(&plan, "t/other/outside"), "... never a key outside the prefix");
    ok(plan.remote_meta && strcmp(plan.remote_meta->key, PREFIX "meta.json") == 0,
       "meta.json found in the listing");
    is_int(plan.meta_first, 1, "... and deleted first: things change");
    is_int(plan.unchanged, 2, "totals: 2 unchanged");
    is_int(plan.to_read, 9, "... 9 to read");
    is_int(plan.bytes_to_read, 5 * 5 + 7, "... their bytes (files only)");
    mc_s3_plan_free(&plan);
    mc_s3_listing_free(&remote);
    mc_tree_free(&local);
    mc_tree_free(&old);
}

static void test_meta_first(void)
{
    static const char *const keys[] = { PREFIX "meta.json", PREFIX "same" };
    static const char *const etags[] = { ETAG_A, ETAG_A };
    struct mc_tree local = { 0 }, old = { 0 };
    struct mc_s3_listing remote;
    struct mc_s3_plan plan;
    struct mc_err err;

    add(&local, "meta.json", MC_ENTRY_FILE, 2, NULL, NULL);
    add(&local, "same", MC_ENTRY_FILE, 5, NULL, NULL);
    mc_tree_sort(&local);
    add(&old, "same", MC_ENTRY_FILE, 5, NULL, ETAG_A);
    list(&remote, keys, etags, 2);
    is_int(mc_s3_plan_make(&plan, &local, &old, &remote, PREFIX, MULTIPART_MIN, &err), 0,
           "nothing changed: a plan");
    ok(plan.remote_meta && !plan.meta_first, "... meta.json stays");
    ok(plan.to_read == 0 && plan.delete_count == 0 && plan.unchanged == 1, "... nothing to do");
    mc_s3_plan_free(&plan);
    remote.count = 1;
    is_int(mc_s3_plan_make(&plan, &local, &old, &remote, PREFIX, MULTIPART_MIN, &err), 0,
           "the file's object gone");
    ok(plan.meta_first && plan.to_read == 1, "... it is read again, meta.json goes first");
    mc_s3_plan_free(&plan);
    remote.count = 2;
    mc_s3_listing_free(&remote);
    list(&remote, keys + 1, etags + 1, 1);
    is_int(mc_s3_plan_make(&plan, &local, &(struct mc_tree){ 0 }, &remote, PREFIX,
                           MULTIPART_MIN, &err), 0, "no meta.json in S3, no index");
    ok(!plan.remote_meta && !plan.meta_first, "... nothing to delete first");
    is_int(kind_of(&plan, "same"), MC_S3_PLAN_CHANGED, "... without an index, changed");
    mc_s3_plan_free(&plan);
    mc_s3_listing_free(&remote);
    mc_tree_free(&local);
    mc_tree_free(&old);
}

static void test_parts(void)
{
    struct mc_tree local = { 0 };
    struct mc_s3_listing remote = { 0 };
    struct mc_s3_plan plan;
    struct mc_err err;
    const struct mc_s3_plan_item *item;

    add(&local, "at-limit", MC_ENTRY_FILE, MULTIPART_MIN, NULL, NULL);
    add(&local, "over", MC_ENTRY_FILE, MULTIPART_MIN + 1, NULL, NULL);
    add(&local, "huge", MC_ENTRY_FILE, 100000 * MIB, NULL, NULL);
    add(&local, "link", MC_ENTRY_LINK, 0, "x", NULL);
    mc_tree_sort(&local);
    is_int(mc_s3_plan_make(&plan, &local, &(struct mc_tree){ 0 }, &remote, PREFIX,
                           MULTIPART_MIN, &err), 0, "an empty bucket: a plan");
    is_int(plan.delete_count, 0, "... nothing to delete");
    is_int(kind_of(&plan, "over"), MC_S3_PLAN_NEW, "... all new");
    item = item_of(&plan, "at-limit");
    is_int(item ? item->part_size : -1, 0, "a file of exactly the limit: one PUT");
    item = item_of(&plan, "over");
    is_int(item ? item->part_size : -1, mc_s3_part_size(MULTIPART_MIN + 1),
           "one byte more: in parts of %lld", mc_s3_part_size(MULTIPART_MIN + 1));
    item = item_of(&plan, "huge");
    is_int(item ? item->part_size : -1, mc_s3_part_size(100000 * MIB),
           "a huge file: parts large enough for 10,000");
    item = item_of(&plan, "link");
    is_int(item ? item->part_size : -1, 0, "a link: one PUT");
    ok(plan.remote_meta == NULL && !plan.meta_first, "no meta.json anywhere");
    mc_s3_plan_free(&plan);
    mc_tree_free(&local);
}

static void test_remote_has(void)
{
    struct mc_s3_object obj = { PREFIX "f", "abc-2", 1, "" };
    struct mc_entry e = { .path = "f", .type = MC_ENTRY_FILE, .mode = 0644, .size = 1 };
    struct mc_s3_plan_item item = { &e, PREFIX "f", MC_S3_PLAN_CHANGED, NULL, &obj, 0 };

    is_int(mc_s3_plan_remote_has(&item, "abc-2", "whole"), 1, "S3 has the same ETag: not sent");
    is_int(mc_s3_plan_remote_has(&item, "other", "abc-2"), 0,
           "one PUT: the whole MD5 is the ETag, nothing else counts");
    item.part_size = 8 * MIB;
    obj.etag = "whole";
    is_int(mc_s3_plan_remote_has(&item, "abc-2", "whole"), 1,
           "in parts: the whole file's MD5 as ETag (s3rver) counts too");
    obj.etag = "else";
    is_int(mc_s3_plan_remote_has(&item, "abc-2", "whole"), 0, "another ETag: sent");
    item.remote = NULL;
    is_int(mc_s3_plan_remote_has(&item, "abc-2", "whole"), 0, "no object: sent");
}

int main(void)
{
    test_kinds();
    test_meta_first();
    test_parts();
    test_remote_has();
    return done_testing();
}
