/* helper.c — finding the monocache executable and the environment to start
 * it with. Runs inside someone else's process (slow path and C API only). */
#include "shim.h"
#include "proto.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef MC_BINDIR
#define MC_BINDIR "/usr/local/bin"
#endif

#define MC_HELPER_NAME "monocache"

/* The current environment, looked up when a helper is started: naming
 * `environ` directly would cost every process a symbol lookup at load. */
static char **current_environ(void)
{
    char ***environ_var = dlsym(RTLD_DEFAULT, "environ");

    return environ_var ? *environ_var : NULL;
}

static char *helper_path;   /* found once, kept */

/* Next to libmonocache.so first (a build tree, or an install with both in
 * one directory), then the configured bin directory. */
const char *mc_shim_helper_path(void)
{
    static const char installed[] = MC_BINDIR "/" MC_HELPER_NAME;
    Dl_info info;
    const char *slash;
    size_t dir_len;
    char *path;

    if (helper_path)
        return helper_path;
    if (dladdr((void *)mc_shim_helper_path, &info) && info.dli_fname) {
        slash = strrchr(info.dli_fname, '/');
        dir_len = slash ? (size_t)(slash - info.dli_fname) + 1 : 0;
        path = malloc(dir_len + sizeof("./" MC_HELPER_NAME));
        if (path) {
            if (dir_len)
                memcpy(path, info.dli_fname, dir_len);
            else
                memcpy(path, "./", dir_len = 2);
            memcpy(path + dir_len, MC_HELPER_NAME, sizeof(MC_HELPER_NAME));
            if (access(path, X_OK) == 0)
                return helper_path = path;
            free(path);
        }
    }
    if (access(installed, X_OK) == 0)
        return installed;
    return NULL;
}

/* Our helpers must not load us again. */
char **mc_shim_helper_env(void)
{
    static const char preload[] = "LD_PRELOAD=";
    char **environ_now = current_environ();
    size_t count = 0;
    size_t kept = 0;
    char **env;
    size_t i;

    while (environ_now && environ_now[count])
        count++;
    env = malloc((count + 1) * sizeof(*env));
    if (!env)
        return NULL;
    for (i = 0; i < count; i++) {
        if (strncmp(environ_now[i], preload, sizeof(preload) - 1) != 0)
            env[kept++] = environ_now[i];
    }
    env[kept] = NULL;
    return env;
}
