/* tree.h — what a cache directory holds, as push and pull see it: regular
 * files, directories and symbolic links (never followed, never crossed into
 * another mount), with mode, mtime and size; special files are skipped with
 * a warning. And the same list read from, and written to, a cache's index
 * in S3 (JSON), which keeps what objects cannot: modes, mtimes, empty
 * directories, links, part sizes; and what a push compares to skip a file
 * unread (ctime) and a pull checks each object against (ETag). */
#ifndef MC_S3_TREE_H
#define MC_S3_TREE_H

#include "common/err.h"

#include <stddef.h>
#include <sys/types.h>

#define MC_S3_META_FILE "meta.json"

enum mc_entry_type {
    MC_ENTRY_FILE,
    MC_ENTRY_DIR,
    MC_ENTRY_LINK
};

struct mc_entry {
    char *path;             /* relative, '/' separated, no leading '/' */
    enum mc_entry_type type;
    mode_t mode;            /* permission bits */
    long long mtime_s;
    long mtime_ns;
    long long ctime_s;      /* a file's status change, which no one can set back: */
    long ctime_ns;          /* a rewrite that restores size and mtime still shows */
    int has_ctime;          /* 0: an index written before ctimes were recorded */
    long long size;
    char *target;           /* a link's target */
    char *etag;             /* the object's ETag, when known */
    long long part_size;    /* 0: one PUT; else the multipart part size */
    int from_remote;        /* push: another push's object, kept as S3 has it (merge.h) */
};

/* A push's generation: random hex, in its index and in the meta.json it
 * writes last, so that a pull knows the two belong together. */
#define MC_S3_GENERATION_LEN 32

struct mc_tree {
    struct mc_entry *entries;
    size_t count;
    size_t cap;
    char generation[MC_S3_GENERATION_LEN + 1];  /* an index's, or "" */
};

typedef void (*mc_warn_fn)(const char *message, void *ctx);

/* Walks dir_fd (a cache directory). Skipped entries go to warn. */
int mc_tree_scan(int dir_fd, const char *label, struct mc_tree *tree, mc_warn_fn warn,
                 void *warn_ctx, struct mc_err *err);
void mc_tree_free(struct mc_tree *tree);
/* Sorts by path, for lookups. */
void mc_tree_sort(struct mc_tree *tree);
struct mc_entry *mc_tree_find(const struct mc_tree *tree, const char *path);
/* Appends a copy of entry. */
int mc_tree_add(struct mc_tree *tree, const struct mc_entry *entry);

/* The index text of a tree (malloc'd; with its generation, if any), and
 * back. Paths are checked: no "..", no absolute paths, no empty parts; a
 * generation is MC_S3_GENERATION_LEN hex digits. */
char *mc_index_write(const struct mc_tree *tree, const char *id);
int mc_index_read(const char *text, size_t len, struct mc_tree *tree, struct mc_err *err);

/* A new generation (MC_S3_GENERATION_LEN + 1 bytes). 0, or -1 (no random). */
int mc_s3_new_generation(char *out);
/* 1 if text is a generation as mc_s3_new_generation makes them. */
int mc_s3_generation_ok(const char *text);

/* A relative path that may be created under a cache directory. */
int mc_relative_path_ok(const char *path);

#endif
