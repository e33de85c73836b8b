/* tool.h — what the two monocache processes share, the command (tools/cli)
 * and the watcher (tools/watch): the environment as an mc_getenv_fn,
 * logging set up from it, and where the installed library is. */
#ifndef MC_TOOL_H
#define MC_TOOL_H

/* getenv as an mc_getenv_fn. */
const char *tool_getenv(const char *name, void *ctx);
/* Sets up logging from MONOCACHE_LOG / MONOCACHE_LOG_FILE; 0 or -1 (printed).
 * A log file that cannot be opened is reported if report_file_error (run
 * leaves that to its watcher, which opens the same file). */
int tool_setup_log(int report_file_error);

#define MC_LIB_NAME "libmonocache.so"
/* The library's runtime name (its soname): what LD_PRELOAD names when it is
 * there, so that an upgrade of the versioned file leaves running trees'
 * children a library to load. */
#define MC_LIB_SONAME "libmonocache.so.0"
/* Where the library is, seen from this executable's real directory: next
 * to it (a build tree), ../lib, ../lib/<multiarch>, ../lib64, then the
 * configured library directory; the soname there, else libmonocache.so.
 * The directory is resolved, the name kept; malloc'd, or NULL. */
char *tool_find_library(void);
#define MC_LIB_NOT_FOUND MC_LIB_NAME ": not found next to monocache, in ../lib, " \
    "../lib/<multiarch> or ../lib64 from it, or in the configured library directory"

/* The configured installation directories (install_dirs.c). */
extern const char tool_bindir[];
extern const char tool_libdir[];
extern const char tool_multiarch_lib[];   /* "/../lib/<multiarch>" */

#endif
