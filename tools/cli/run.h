/* run.h — what the files of monocache run share (cmd_run.c: options and
 * the run itself; run_env.c: environments; run_nested.c: a run inside a
 * tree; supervise.c: the program's parent). */
#ifndef MC_RUN_H
#define MC_RUN_H

#include "cli.h"

#include <cjson/cJSON.h>

struct run_options {
    char *redis_copy;   /* the last --redis, before it was starred in argv */
    const char *root;
    const char *existing;
    const char *name;   /* --name KEY */
    const char *exports;
    const char *redis;  /* --redis URL */
    const char *s3;     /* --s3 s3://bucket/prefix */
    const char *s3_upload;      /* --s3-upload always|on-success|never */
    const char *restore_keys;   /* --restore-keys K1,K2,... */
    int lock;
    int new_cache;
    int init;           /* reap orphans, pass signals on (always as pid 1) */
    cJSON *meta;
    char **program;
};

/* 1 if the flag variable is set (a bad value counts as set: the watcher,
 * which run then asks, reports it). */
int run_env_flag(const char *name);
/* 1 if the variable is set and not empty. */
int run_env_text(const char *name);
/* The descriptor holding the cache of the tree this process belongs to, or
 * -1 (not in a live tree). */
int run_tree_hold_fd(void);
/* LD_PRELOAD with our library added, unless it is there already. 0 or -1. */
int run_compose_preload(const char *lib);
/* The watcher's environment: run's options as MONOCACHE_* orders, without
 * LD_PRELOAD; our own environment keeps only what the program may see.
 * NULL if out of memory. */
char **run_watcher_env(const struct run_options *options);
void run_free_env(char **env);
/* A run inside a tree that has a cache: applies the options to it and
 * execs the program. Returns only on failure, with an exit status. */
int run_nested(const struct run_options *options, const char *lib);

#endif
