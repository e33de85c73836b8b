/* helper.c — finding the monocache executable and the environment to start
 * it with. Runs inside someone else's process (slow path and C API only):
 * paths are found relative to where the library really is, so that an
 * install anywhere (PREFIX, DESTDIR, a multiarch libdir) works as it is. */
#include "shim.h"
#include "install.h"
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

/* Where an install puts the tool, seen from the library's real directory:
 * next to it (a build tree), <prefix>/lib -> <prefix>/bin, and the
 * multiarch <prefix>/lib/<triplet> -> <prefix>/bin. Then the configured
 * bin directory. */
const char *mc_shim_helper_path(void)
{
    static const char *const relative[] = { "", "/../bin", "/../../bin", NULL };
    static const char *const names[] = { MC_HELPER_NAME, NULL };
    Dl_info info;

    if (!helper_path && dladdr((void *)mc_shim_helper_path, &info) && info.dli_fname)
        helper_path = mc_find_installed(info.dli_fname, relative, names, X_OK, MC_BINDIR);
    return helper_path;
}

const char mc_shim_helper_missing[] = "cannot find the monocache executable: not next to "
    "libmonocache.so, in ../bin or ../../bin from it, or in " MC_BINDIR;

const char *mc_shim_program;

/* MONOCACHE_STARTER=<the program's name>, printable characters only. */
static const char *starter_entry(void)
{
    static char entry[sizeof(MC_ENV_STARTER "=") + MC_STARTER_MAX];
    const char *name = mc_shim_program ? strrchr(mc_shim_program, '/') : NULL;
    size_t used = sizeof(MC_ENV_STARTER "=") - 1;

    name = name ? name + 1 : mc_shim_program ? mc_shim_program : "?";
    memcpy(entry, MC_ENV_STARTER "=", used);
    for (; *name && used + 1 < sizeof(entry); name++)
        entry[used++] = *name >= ' ' && *name < 0x7f ? *name : '?';
    entry[used] = '\0';
    return entry;
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
    env = malloc((count + 2) * sizeof(*env));
    if (!env)
        return NULL;
    for (i = 0; i < count; i++) {
        if (strncmp(environ_now[i], preload, sizeof(preload) - 1) != 0)
            env[kept++] = environ_now[i];
    }
    env[kept++] = (char *)starter_entry();
    env[kept] = NULL;
    return env;
}
