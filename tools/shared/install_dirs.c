/* install_dirs.c — the installation directories the build was configured
 * with (make PREFIX=..., BINDIR, LIBDIR), kept in this one object so that a
 * change of them rebuilds it alone. They are the last place the tool looks
 * for the library and for monocache-s3, after the places relative to
 * itself. */
#include "tool.h"

#ifndef MC_BINDIR
#define MC_BINDIR "/usr/local/bin"
#endif
#ifndef MC_LIBDIR
#define MC_LIBDIR "/usr/local/lib"
#endif
#ifndef MC_MULTIARCH
#define MC_MULTIARCH "x86_64-linux-gnu"
#endif

const char tool_bindir[] = MC_BINDIR;
const char tool_libdir[] = MC_LIBDIR;
const char tool_multiarch_lib[] = "/../lib/" MC_MULTIARCH;
