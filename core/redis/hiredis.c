/* hiredis.c — loading hiredis on first use (see hiredis.h). */
#include "hiredis.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

#ifndef MC_HIREDIS_SONAME
#define MC_HIREDIS_SONAME "libhiredis.so.0.14"
#endif

static struct mc_hiredis table;
static const char *load_error;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static int find(void *lib, void **slot, const char *name)
{
    *slot = dlsym(lib, name);
    return *slot ? 0 : -1;
}

static void load(void)
{
    void *lib = dlopen(MC_HIREDIS_SONAME, RTLD_NOW | RTLD_LOCAL);

    if (!lib) {
        load_error = dlerror();
        return;
    }
    if (find(lib, (void **)&table.reader_create, "redisReaderCreate") != 0 ||
        find(lib, (void **)&table.reader_free, "redisReaderFree") != 0 ||
        find(lib, (void **)&table.reader_feed, "redisReaderFeed") != 0 ||
        find(lib, (void **)&table.reader_get_reply, "redisReaderGetReply") != 0 ||
        find(lib, (void **)&table.format_command_argv, "redisFormatCommandArgv") != 0 ||
        find(lib, (void **)&table.free_reply, "freeReplyObject") != 0) {
        load_error = "a function is missing (not the hiredis it was built for)";
        table.reader_create = NULL;
    }
}

const struct mc_hiredis *mc_hiredis(struct mc_err *err)
{
    pthread_once(&load_once, load);
    if (table.reader_create)
        return &table;
    mc_err_set(err, "cannot load " MC_HIREDIS_SONAME " for the Redis register: %s",
               load_error ? load_error : "unknown error");
    return NULL;
}

void mc_redis_free_reply(redisReply *reply)
{
    if (reply && table.free_reply)
        table.free_reply(reply);
}
