/* libload.h — a library loaded with dlopen() on first use, its functions
 * looked up by name into a table of ours: hiredis when a register is used,
 * OpenSSL when it is a rediss:// one, so that a tree that uses neither
 * never maps them. Runs in the watcher and the command. */
#ifndef MC_REDIS_LIBLOAD_H
#define MC_REDIS_LIBLOAD_H

#include <stddef.h>

struct mc_symbol {
    void **slot;        /* where the function's address goes */
    const char *name;
};

/* Opens soname (RTLD_NOW, RTLD_LOCAL) and fills every slot: 0, or -1 with
 * why (then every slot is NULL). The handle is never closed. */
int mc_lib_load(const char *soname, const struct mc_symbol *symbols, size_t count, char *why,
                size_t why_size);

#endif
