/* plan.h — what a push sends, decided before anything is sent: from the
 * local tree, the index of the last push and the listing of the cache's
 * objects, which files and links are unchanged (not even read), which
 * must be read and sent unless S3 already holds the same bytes, which
 * objects are deleted, and whether meta.json must go first.
 *
 * Pure: no I/O, no clock; push.c carries the plan out. */
#ifndef MC_S3_PLAN_H
#define MC_S3_PLAN_H

#include "common/err.h"
#include "tree.h"
#include "xml.h"

#include <stddef.h>

enum mc_s3_plan_kind {
    MC_S3_PLAN_UNCHANGED,   /* as the index recorded it and the listing confirms */
    MC_S3_PLAN_CHANGED,     /* S3 has an object there: read, sent unless the same */
    MC_S3_PLAN_NEW          /* S3 has no object there: read and sent */
};

/* One local file or link. */
struct mc_s3_plan_item {
    struct mc_entry *entry;             /* in the local tree */
    char *key;                          /* its object's key (owned) */
    enum mc_s3_plan_kind kind;
    const struct mc_entry *was;         /* in the last push's index, or NULL */
    const struct mc_s3_object *remote;  /* in the listing, or NULL */
    long long part_size;                /* 0: one PUT; else the multipart part size */
};

struct mc_s3_plan {
    struct mc_s3_plan_item *items;      /* files and links but meta.json, tree order */
    size_t item_count;
    const struct mc_s3_object **deletes;    /* objects no local file or link has */
    size_t delete_count;
    const struct mc_s3_object *remote_meta; /* meta.json in the listing, or NULL */
    int meta_first;         /* anything changes and S3 has meta.json: delete it first */
    /* totals */
    size_t unchanged;       /* items not read */
    size_t to_read;         /* items read, and sent unless S3 has the same bytes */
    long long bytes_to_read;
};

/* The plan of pushing `local` (sorted) to the objects under `prefix`
 * ("<prefix>/<id>/"): `remote` lists them (sorted by key), `old` is the
 * last push's index (may be empty). Objects no local entry has are
 * deleted; with `deletable` (a merge's base, see merge.h), only those
 * whose path it has. Entries from_remote must be as old and remote have
 * them (else MC_ERR_CHANGED). Files larger than multipart_min bytes go in
 * parts. Items point into local, old and remote, which must outlive the
 * plan. 0, or -1 with err. */
int mc_s3_plan_make(struct mc_s3_plan *plan, struct mc_tree *local, const struct mc_tree *old,
                    const struct mc_s3_listing *remote, const struct mc_tree *deletable,
                    const char *prefix, long long multipart_min, struct mc_err *err);
void mc_s3_plan_free(struct mc_s3_plan *plan);

/* Once an item is read: 1 if its object in S3 already holds those bytes
 * (etag, the ETag we would give it; whole_etag, the whole file's MD5 in
 * hex, which some servers give a multipart object), so it is not sent. */
int mc_s3_plan_remote_has(const struct mc_s3_plan_item *item, const char *etag,
                          const char *whole_etag);

#endif
