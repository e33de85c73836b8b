/* common.h — what push, pull, ls and rm share (private to core/s3): whole
 * listings, checksums, paths under a cache, the first of many errors. */
#ifndef MC_S3_COMMON_H
#define MC_S3_COMMON_H

#include "sync.h"
#include "xml.h"

/* A listing holds at most this many objects (and a push refuses to send
 * more: it would make a cache no pull can list), over at most this many
 * pages. Tests build with them smaller. */
#ifndef MC_S3_OBJECTS_MAX
#define MC_S3_OBJECTS_MAX 1000000
#endif
#ifndef MC_S3_LIST_PAGES_MAX
#define MC_S3_LIST_PAGES_MAX 100000
#endif

/* Every object under `prefix` (a key prefix), all pages; sorted by key.
 * Fails unless the listing is whole: pages up to one not truncated, none
 * repeating a continuation token or going back to keys listed before, no
 * key twice, none outside the prefix, at most MC_S3_OBJECTS_MAX. */
int mc_s3_list_all(struct mc_s3_client *client, const char *prefix, struct mc_s3_listing *out,
                   struct mc_err *err);
const struct mc_s3_object *mc_s3_listing_find(const struct mc_s3_listing *listing,
                                              const char *key);

/* A small object (an index, a meta.json) read whole into *text (malloc'd,
 * NUL-terminated, *len bytes), its ETag into etag (MC_S3_ETAG_MAX bytes, ""
 * if the answer had none; or NULL). 0; 1 if there is none (404); or -1
 * with err. */
int mc_s3_get_small(struct mc_s3_client *client, const char *key, char **text, size_t *len,
                    char *etag, struct mc_err *err);

/* MD5s of a file's parts (part_size 0: the whole file as one part).
 * *md5 is malloc'd, *parts its count. whole_md5 (or NULL) gets the MD5 of
 * the whole file: what some S3-compatible servers (s3rver) give a
 * multipart object as its ETag, where AWS gives "<md5 of part md5s>-N". */
int mc_s3_file_md5s(int dir_fd, const char *path, long long size, long long part_size,
                    unsigned char (**md5)[MC_MD5_LEN], size_t *parts, unsigned char *whole_md5,
                    struct mc_err *err);
void mc_md5_hex(const unsigned char *md5, char *out);
void mc_md5_base64(const unsigned char *md5, char *out);   /* 25 bytes */
void mc_md5_of(const void *bytes, size_t len, unsigned char *out);

/* Opens the directory that holds `path` under root_fd, making missing
 * directories (0700) when make is set; never through a symbolic link.
 * *name points at path's last part. -1 with errno. */
int mc_open_parent(int root_fd, const char *path, int make, const char **name);

/* The first error of many requests, and a stop for the others. */
void mc_s3_fail(struct mc_s3_client *client, int *failed, struct mc_err *first,
                const struct mc_err *err);

#endif
