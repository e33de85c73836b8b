/* tool.c — what the two monocache processes, the command and the watcher,
 * share: the environment as an mc_getenv_fn, logging set up from it, and
 * where the installed library is (see tool.h). */
#include "tool.h"
#include "common/buf.h"
#include "common/config.h"
#include "common/log.h"
#include "host/install.h"
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

char *tool_find_library(void)
{
    const char *const relative[] = { "", "/../lib", tool_multiarch_lib, "/../lib64", NULL };
    static const char *const names[] = { MC_LIB_SONAME, MC_LIB_NAME, NULL };

    return mc_find_installed("/proc/self/exe", relative, names, F_OK, tool_libdir);
}
