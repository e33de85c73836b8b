/* monocache.h — the C API of libmonocache.so, for programs that want to talk
 * to their cache directly.
 *
 * Link with -lmonocache, or call these from a program started under
 * LD_PRELOAD=libmonocache.so or `monocache run`. A program linked with the
 * library gets a cache even without LD_PRELOAD: the library sets it up before
 * main, as it does when preloaded.
 *
 * Functions that can fail return 0 on success and -1 on failure, with a
 * one-line reason written to `err` (at most err_size bytes, NUL-terminated;
 * err may be NULL). Lock, unlock and meta run the monocache tool, so they cost
 * a process start (a few milliseconds); call them rarely, not per file. */
#ifndef MONOCACHE_H
#define MONOCACHE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Absolute path of this process's cache directory, or NULL if it has none. */
const char *monocache_path(void);
/* Its id (a UUID), or NULL. */
const char *monocache_id(void);

/* Keep the cache when its last holder ends / wipe it then (the default). */
int monocache_lock(char *err, size_t err_size);
int monocache_unlock(char *err, size_t err_size);

/* Writes the JSON text of meta key `key` into value (NUL-terminated). Fails if
 * the key is missing or the value does not fit. */
int monocache_meta_get(const char *key, char *value, size_t value_size, char *err,
                       size_t err_size);
/* Sets meta key `key` to a JSON value, e.g. "42", "true", "\"text\"", "{}"
 * (not NULL: "null" is JSON's null). */
int monocache_meta_set(const char *key, const char *json_value, char *err,
                       size_t err_size);

#ifdef __cplusplus
}
#endif

#endif
