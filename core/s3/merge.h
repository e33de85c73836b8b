/* merge.h — what a push sends when S3 moved on since this copy was
 * pulled: another job that restored the same cache pushed first. Three
 * trees: the base (the index of the generation this copy came from, kept
 * in S3's history; empty when unknown), the remote (S3's index now) and
 * the local tree. Per path:
 *
 *   changed here only             ours
 *   changed there only            theirs (kept as S3 has it, not sent)
 *   changed on both sides         ours, counted as a conflict (one warning)
 *   added there, not here         theirs
 *   deleted here, unchanged there deleted
 *   deleted here, changed there   theirs (counted as a conflict)
 *   deleted there, unchanged here deleted (not sent)
 *
 * With no base, nothing is deleted: every remote file the local tree does
 * not have is kept, and a file both have with other bytes is a conflict,
 * ours kept. Entries kept as S3 has them are marked from_remote: the plan
 * never reads them. A local file is read (for its ETag) only when its
 * size is the base's or the remote's: to know whether it changed. */
#ifndef MC_S3_MERGE_H
#define MC_S3_MERGE_H

#include "common/err.h"
#include "tree.h"

struct mc_s3_merge_result {
    size_t theirs;          /* entries taken from S3 (changed or added there) */
    size_t dropped;         /* local files left out (deleted there, unchanged here) */
    size_t conflicts;       /* changed on both sides: ours kept */
    char first_conflict[256];   /* the first conflict's path, for the warning */
};

/* The ETag of local entry e as S3 would give it with part_size (0: one
 * PUT), into etag (at least 64 bytes). 0, or -1 with err. */
typedef int (*mc_local_etag_fn)(struct mc_entry *e, long long part_size, char *etag,
                                void *ctx, struct mc_err *err);

/* Merges remote into local (sorted, changed in place, sorted again), as
 * above; base may be empty (unknown). 0, or -1 with err. */
int mc_s3_merge(struct mc_tree *local, const struct mc_tree *base, const struct mc_tree *remote,
                mc_local_etag_fn etag_of, void *etag_ctx, struct mc_s3_merge_result *result,
                struct mc_err *err);

#endif
