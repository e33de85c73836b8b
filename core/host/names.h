/* names.h — recognising cache ids (lower-case UUID text) and the names of
 * the files we make from them, exactly, so that a sweep never removes
 * something that only looks like ours. Libc only. */
#ifndef MC_NAMES_H
#define MC_NAMES_H

#include <stddef.h>

/* 1 if text[0..len) is a lower-case UUID text of MC_ID_LEN characters. */
int mc_id_valid_n(const char *text, size_t len);
int mc_id_valid(const char *text);

/* Each returns 1 and copies the id into `id` (MC_ID_LEN + 1 bytes) if
 * `name` is exactly: */
int mc_name_is_lock(const char *name, char *id);        /* <id>.lock */
int mc_name_is_lock_temp(const char *name, char *id);   /* <id>.lock.<pid>.tmp */
int mc_name_is_tombstone(const char *name, char *id);   /* .wipe-<id>.<pid> */
int mc_name_is_pull_temp(const char *name, char *id);   /* .pull-<id>.<pid> */
int mc_name_is_pull_guard(const char *name, char *id);  /* <id>.pull */
int mc_name_is_later(const char *name, char *id);       /* <id>.later */
/* 1 if `path` is absolute and its last component is <id>.lock. */
int mc_path_is_lock(const char *path);

#endif
