/* tool.c — what the two monocache processes, the command and the watcher,
 * share: the environment as an mc_getenv_fn, logging set up from it, and
 * where the installed library is (see tool.h). */
#include "tool.h"
#include "common/buf.h"
#include "common/config.h"
#include "common/log.h"
#include "host/proto.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *tool_getenv(const char *name, void *ctx)
{
    (void)ctx;
    return getenv(name);
}

int tool_setup_log(int report_file_error)
{
    enum mc_log_level level;
    struct mc_err err;
    int json;

    if (mc_parse_log_level(getenv(MC_ENV_LOG), &level, &err) != 0 ||
        mc_parse_log_format(getenv(MC_ENV_LOG_FORMAT), &json, &err) != 0) {
        mc_log_always(MC_LOG_ERROR, "%s", err.msg);
        return -1;
    }
    mc_log_set_format(json ? MC_LOG_JSON : MC_LOG_TEXT);
    if (mc_log_setup(level, getenv(MC_ENV_LOG_FILE), &err) != 0 && report_file_error)
        mc_log_always(MC_LOG_WARN, "%s", err.msg);
    return 0;
}

/* The resolved dir + rel, then "/" + the soname or the plain name,
 * whichever is there: malloc'd, or NULL. */
static char *library_in(const char *dir, const char *rel)
{
    static const char *const names[] = { MC_LIB_SONAME, MC_LIB_NAME };
    char *joined = mc_concat(dir, rel, NULL);
    char *real = joined ? realpath(joined, NULL) : NULL;
    char *path = NULL;
    size_t i;

    for (i = 0; real && !path && i < sizeof(names) / sizeof(names[0]); i++) {
        path = mc_concat(real, "/", names[i], NULL);
        if (path && access(path, F_OK) != 0) {
            free(path);
            path = NULL;
        }
    }
    free(joined);
    free(real);
    return path;
}

char *tool_find_library(void)
{
    const char *const relative[] = { "", "/../lib", tool_multiarch_lib, "/../lib64" };
    char *path = NULL;
    char *self = realpath("/proc/self/exe", NULL);
    char *slash = self ? strrchr(self, '/') : NULL;
    size_t i;

    if (slash)
        *slash = '\0';
    for (i = 0; slash && !path && i < sizeof(relative) / sizeof(relative[0]); i++)
        path = library_in(self, relative[i]);
    free(self);
    if (!path)
        path = library_in(tool_libdir, "");
    return path;
}
