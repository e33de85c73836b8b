/* hiredis.c — loading hiredis on first use (see hiredis.h). */
#include "hiredis.h"
#include "libload.h"

#include <pthread.h>
#include <stddef.h>

#ifndef MC_HIREDIS_SONAME
#define MC_HIREDIS_SONAME "libhiredis.so.0.14"
#endif

static struct mc_hiredis table;
static char load_error[256];
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static void load(void)
{
    const struct mc_symbol symbols[] = {
        { (void **)&table.reader_create, "redisReaderCreate" },
        { (void **)&table.reader_free, "redisReaderFree" },
        { (void **)&table.reader_feed, "redisReaderFeed" },
        { (void **)&table.reader_get_reply, "redisReaderGetReply" },
        { (void **)&table.format_command_argv, "redisFormatCommandArgv" },
        { (void **)&table.free_reply, "freeReplyObject" },
    };

    mc_lib_load(MC_HIREDIS_SONAME, symbols, sizeof(symbols) / sizeof(symbols[0]), load_error,
                sizeof(load_error));
}

const struct mc_hiredis *mc_hiredis(struct mc_err *err)
{
    pthread_once(&load_once, load);
    if (table.reader_create)
        return &table;
    mc_err_set(err, "cannot load " MC_HIREDIS_SONAME " for the Redis register: %s",
               load_error);
    return NULL;
}

void mc_redis_free_reply(redisReply *reply)
{
    if (reply && table.free_reply)
        table.free_reply(reply);
}
