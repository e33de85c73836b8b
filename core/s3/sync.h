/* sync.h — a cache directory to and from S3, incrementally:
 *
 * push: objects "<prefix>/<id>/<path>" for files and links, sent only when
 * their content changed (ETag = MD5, or the multipart ETag with our part
 * size), each with a checksum the server verifies (Content-MD5) and an
 * ETag it must answer; remote objects whose file is gone are deleted; then
 * the index ("<prefix>/.monocache/<id>.json": modes, times, directories,
 * links, every object's ETag, the push's generation), then meta.json of
 * the same generation, last: it marks a complete cache. A push that
 * changes an object first deletes the remote meta.json, so that a push cut
 * short leaves a cache every pull refuses until a later push completes it.
 *
 * pull: refuses a cache without meta.json, or whose meta.json, index and
 * objects are not of one push; makes the copy whole beside the old one
 * (linking what the old one already holds, downloading the rest, each
 * object checked against its ETag), restores modes, mtimes, links and
 * empty directories, writes meta.json last, then puts it in place in one
 * rename. */
#ifndef MC_S3_SYNC_H
#define MC_S3_SYNC_H

#include "common/err.h"
#include "host/proto.h"
#include "transfer.h"
#include "tree.h"
#include "url.h"
#include "xml.h"

#define MC_S3_PART_SIZE (8LL * 1024 * 1024)
#define MC_S3_PARTS_MAX 10000
#define MC_S3_PART_MIN (5LL * 1024 * 1024)      /* S3's smallest part but the last */
#define MC_S3_PUSHER_MAX 255                    /* s3_pushed_by, as MONOCACHE_HOST_ID */

struct mc_s3_stats {
    long long files_total;      /* to transfer: sent (push), downloaded (pull) */
    long long files_done;
    long long bytes_total;      /* of those */
    long long files_skipped;    /* unchanged: S3 has them (push), linked from the copy (pull) */
    long long deleted;          /* in S3 (push), gone from the copy here (pull) */
};

struct mc_s3_job {
    struct mc_s3_client *client;
    const struct mc_s3_location *loc;
    const char *id;
    const char *label;          /* for messages: the local directory */
    mc_warn_fn warn;
    void *warn_ctx;
    long long multipart_min;    /* push: larger files go in parts (0: the default) */
    const char *local_id;       /* pull: the copy's id, when not the cache's own (a
                                   restore under another name: a copy, with no base) */
    int keep_home;              /* pull: the copy's "s3" is where it came from (else null:
                                   it is not uploaded at its release) */
    const char *host;           /* push: who pushes, in meta.json's s3_pushed_by (NULL, "": no) */
    struct mc_s3_stats stats;
};

/* dir_fd: the cache directory (read only). 0 uploaded (or nothing to do),
 * -1 with err: S3 may hold part of it, without meta.json. */
int mc_s3_push(struct mc_s3_job *job, int dir_fd, struct mc_err *err);

/* Into <cache_dir>/<id>, made whole beside it and put in place in one
 * rename: 0, or -1 with err and the copy there before (if any) as it was.
 * run_dir (or NULL): where a tree holding the copy has its lock file; the
 * caller holds the pull guard (local/pullguard.h), so that no tree starts
 * on the copy meanwhile. */
int mc_s3_pull(struct mc_s3_job *job, const char *cache_dir, const char *run_dir,
               struct mc_err *err);

/* Deletes a cache's objects (meta.json first) and its index. */
int mc_s3_remove(struct mc_s3_job *job, struct mc_err *err);

struct mc_s3_cache_info {
    char id[MC_ID_MAX + 1];
    long long objects;
    long long bytes;
    int complete;               /* has meta.json */
    char uploaded[MC_S3_MODIFIED_MAX];  /* meta.json's LastModified: when its last push ended */
    char host[MC_S3_PUSHER_MAX + 1];    /* meta.json's s3_pushed_by, or "" (unknown, not read) */
};
typedef void (*mc_s3_cache_fn)(const struct mc_s3_cache_info *info, void *ctx);
/* The caches under loc's prefix. */
int mc_s3_list_caches(struct mc_s3_client *client, const struct mc_s3_location *loc,
                      mc_s3_cache_fn fn, void *ctx, struct mc_err *err);

/* ls --s3: the caches under loc's prefix into *out (malloc'd, *count of
 * them), newest upload first, those without meta.json last (in key order);
 * the host of the newest MC_S3_LS_HOSTS_MAX complete ones read from their
 * meta.json, GETs in parallel (the others', and any that cannot be read:
 * ""). 0, or -1 with err. */
#define MC_S3_LS_HOSTS_MAX 1000
int mc_s3_caches_newest_first(struct mc_s3_client *client, const struct mc_s3_location *loc,
                              struct mc_s3_cache_info **out, size_t *count, struct mc_err *err);
/* <0 when a comes first: newer upload, then key order; no upload time last. */
int mc_s3_cache_newer(const struct mc_s3_cache_info *a, const struct mc_s3_cache_info *b);
/* A meta.json's "s3_pushed_by" into host[size], "" if none fits. */
void mc_s3_pusher_of(const char *meta_text, size_t len, char *host, size_t size);

/* The ETag S3 gives a file of `size` bytes whose parts (part_size each, the
 * last shorter) have these MD5s: hex MD5 for one part, else the MD5 of the
 * concatenated part MD5s, "-", the number of parts. */
void mc_s3_etag_of(const unsigned char (*part_md5)[MC_MD5_LEN], size_t parts, char *out);
/* The part size push uses for a file of `size` bytes sent in parts: 8 MiB,
 * doubled until 10,000 parts hold it. */
long long mc_s3_part_size(long long size);

#endif
