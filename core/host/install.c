/* install.c — finding our installed files relative to each other (see
 * install.h). */
#include "install.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* a + b + c as a new string, or NULL. */
static char *join3(const char *a, const char *b, const char *c)
{
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
    char *out = malloc(la + lb + lc + 1);

    if (!out)
        return NULL;
    memcpy(out, a, la);
    memcpy(out + la, b, lb);
    memcpy(out + la + lb, c, lc + 1);
    return out;
}

/* realpath() into a malloc'd copy (the preloaded library binds the
 * oldest realpath, which needs a buffer). */
static char *resolved(const char *path)
{
    char buffer[PATH_MAX];
    char *real = realpath(path, buffer);

    return real ? strdup(real) : NULL;
}

/* dir (resolved) + "/" + the first of names that passes access(mode). */
static char *first_in(const char *dir, const char *const names[], int mode)
{
    char *real = resolved(dir);
    char *path = NULL;
    size_t i;

    for (i = 0; real && !path && names[i]; i++) {
        path = join3(real, "/", names[i]);
        if (path && access(path, mode) != 0) {
            free(path);
            path = NULL;
        }
    }
    free(real);
    return path;
}

char *mc_find_installed(const char *from, const char *const rels[], const char *const names[],
                        int mode, const char *fallback_dir)
{
    char *self = from ? resolved(from) : NULL;
    char *slash = self ? strrchr(self, '/') : NULL;
    char *path = NULL;
    size_t i;

    if (slash)
        *slash = '\0';
    for (i = 0; slash && !path && rels[i]; i++) {
        char *dir = join3(self, rels[i], "");

        path = dir ? first_in(dir, names, mode) : NULL;
        free(dir);
    }
    free(self);
    if (!path && fallback_dir)
        path = first_in(fallback_dir, names, mode);
    return path;
}
