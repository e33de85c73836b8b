/* s3run.h — starting monocache-s3 (the only program that links libcurl and
 * OpenSSL) from the watcher and the monocache command, and waiting for it.
 * It is found next to our own executable, else in the install's bin. */
#ifndef MC_S3RUN_H
#define MC_S3RUN_H

#include "common/err.h"

#define MC_S3_TOOL_NAME "monocache-s3"

/* Runs monocache-s3 with args (NULL-terminated, without argv[0]); its
 * stderr is ours. Its exit status, or -1 with err (not found, cannot
 * start). */
int mc_s3_tool_run(const char *const *args, struct mc_err *err);
/* The same, its stderr (the first line, without "monocache: ") into
 * said[size] instead of ours. */
int mc_s3_tool_run_quiet(const char *const *args, char *said, size_t size, struct mc_err *err);
/* The same; if it runs longer than timeout_s, late(ctx) is called (once,
 * from this thread) and the wait goes on. late NULL: no bound. */
int mc_s3_tool_run_bounded(const char *const *args, char *said, size_t size, int timeout_s,
                           void (*late)(void *ctx), void *ctx, struct mc_err *err);

#endif
