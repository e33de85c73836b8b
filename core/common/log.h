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
/* mc_log, for a line about one cache: in JSON the object also carries
 * "event", "id" and "path" (any may be NULL), for log collectors. */
void mc_log_event(enum mc_log_level level, const char *event, const char *id, const char *path,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* A number a line carries, in JSON as a field of its own ("bytes": 3565158). */
struct mc_log_figure {
    const char *name;           /* a literal, no quotes or backslashes */
    double value;
};
/* mc_log_event, with figures (count of them) as fields of the JSON form;
 * the text form has only the message. */
void mc_log_figures(enum mc_log_level level, const char *event, const char *id,
                    const char *path, const struct mc_log_figure *figures, size_t count,
                    const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/* Unfiltered: for the few lines a user must see whatever MONOCACHE_LOG says
 * (a failure that stops a program, a cache replaced by a fresh one). They go
 * to stderr even when a log file is set, and to the file too. */
void mc_log_always(enum mc_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
