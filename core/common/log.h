/* log.h — the one place monocache's own processes (the CLI and the watcher)
 * write diagnostics: stderr by default, MONOCACHE_LOG_FILE if set, filtered by
 * MONOCACHE_LOG, as text or MONOCACHE_LOG_FORMAT=json. Never stdout: that
 * belongs to the user. */
#ifndef MC_LOG_H
#define MC_LOG_H

#include "config.h"

#include <stddef.h>

enum mc_log_format {
    MC_LOG_TEXT,    /* "monocache: ..." on stderr; "<time> monocache[<pid>] ..." in a file */
    MC_LOG_JSON     /* one JSON object per line: time, pid, level, program, message */
};

void mc_log_set_format(enum mc_log_format format);
/* Opens the log file if one is given; on failure logs go to stderr and -1 is
 * returned with err filled. */
int mc_log_setup(enum mc_log_level level, const char *file, struct mc_err *err);
void mc_log_close(void);
void mc_log(enum mc_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A number a line carries, in JSON as a field of its own ("bytes": 3565158). */
struct mc_log_figure {
    const char *name;           /* a literal, no quotes or backslashes */
    double value;
};
/* mc_log, for a line about one cache: in JSON the object also carries
 * "event", "id" and "path" (any may be NULL), for log collectors, and the
 * figures (count of them, or NULL and 0) as fields; the text form has only
 * the message. */
void mc_log_figures(enum mc_log_level level, const char *event, const char *id,
                    const char *path, const struct mc_log_figure *figures, size_t count,
                    const char *fmt, ...) __attribute__((format(printf, 7, 8)));
#define mc_log_event(level, event, id, path, ...) \
    mc_log_figures(level, event, id, path, NULL, 0, __VA_ARGS__)
/* Unfiltered: for the few lines a user must see whatever MONOCACHE_LOG says
 * (a failure that stops a program, a cache replaced by a fresh one). They go
 * to stderr even when a log file is set, and to the file too. */
void mc_log_always(enum mc_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
