/* fakeenv.h — an mc_getenv_fn over a table, for unit tests of code that
 * reads the environment: {name, value} pairs ending with a NULL name. */
#ifndef MC_TEST_FAKEENV_H
#define MC_TEST_FAKEENV_H

#include <string.h>

struct fake_var {
    const char *name;
    const char *value;
};

static const char *fake_getenv(const char *name, void *ctx)
{
    const struct fake_var *var;

    for (var = ctx; var->name; var++) {
        if (strcmp(var->name, name) == 0)
            return var->value;
    }
    return NULL;
}

#endif
