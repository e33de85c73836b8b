/* names.h — recognising cache ids and the names of the files we make from
 * them, exactly, so that a sweep never removes something that only looks
 * like ours. An id is a name a person can type (MONOCACHE_NAME, run
 * --name): [A-Za-z0-9][A-Za-z0-9._-]{0,127}; the ones monocache makes are
 * UUID v4 text, as the Python package names its caches. Libc only. */
#ifndef MC_NAMES_H
#define MC_NAMES_H

#include <stddef.h>

/* What an id may be, for messages. */
#define MC_ID_RULE "[A-Za-z0-9][A-Za-z0-9._-]{0,127}"

/* 1 if c may be the (first) character of an id. */
int mc_id_char_ok(char c, int first);
/* 1 if text[0..len) is an id. */
int mc_id_valid_n(const char *text, size_t len);
int mc_id_valid(const char *text);

/* Copies an id (at most MC_ID_MAX characters) and its NUL into dst. */
void mc_id_copy(char *dst, const char *src);

/* Each returns 1 and copies the id into `id` (MC_ID_MAX + 1 bytes) if
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
