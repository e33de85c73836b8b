/* hiredis.h — the few functions of hiredis we use (its reply reader and
 * command formatter), loaded with dlopen() the first time a Redis register
 * is used: a watcher of a tree without Redis never maps the library, and its
 * start is that much shorter. Runs in the watcher and the command. */
#ifndef MC_REDIS_HIREDIS_H
#define MC_REDIS_HIREDIS_H

#include "common/err.h"

#include <hiredis/hiredis.h>

struct mc_hiredis {
    redisReader *(*reader_create)(void);
    void (*reader_free)(redisReader *reader);
    int (*reader_feed)(redisReader *reader, const char *buf, size_t len);
    int (*reader_get_reply)(redisReader *reader, void **reply);
    int (*format_command_argv)(char **target, int argc, const char **argv, const size_t *lens);
    void (*free_reply)(void *reply);
};

/* The loaded table, or NULL with err (the library's name and why). */
const struct mc_hiredis *mc_hiredis(struct mc_err *err);
/* freeReplyObject, for replies that came from the loaded reader. */
void mc_redis_free_reply(redisReply *reply);

#endif
