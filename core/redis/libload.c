/* libload.c — loading a library's functions on first use (see libload.h). */
#include "libload.h"

#include <dlfcn.h>
#include <stdio.h>

int mc_lib_load(const char *soname, const struct mc_symbol *symbols, size_t count, char *why,
                size_t why_size)
{
    void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    size_t i;

    if (!lib) {
        snprintf(why, why_size, "%s", dlerror());
        return -1;
    }
    for (i = 0; i < count; i++) {
        *symbols[i].slot = dlsym(lib, symbols[i].name);
        if (!*symbols[i].slot)
            break;
    }
    if (i == count)
        return 0;
    snprintf(why, why_size, "%s: %s is missing (not the version it was built for)", soname,
             symbols[i].name);
    for (i = 0; i < count; i++)
        *symbols[i].slot = NULL;
    return -1;
}
