/* s3run.h — starting monocache-s3 (the only program that links libcurl and
 * OpenSSL) from the watcher and the monocache command, and waiting for it.
 * It is found next to our own executable, else in the install's bin. */
#ifndef MC_S3RUN_H
#define MC_S3RUN_H

#include "common/err.h"

#define MC_S3_TOOL_NAME "monocache-s3"

/* What push and pull write on stdout as they end, once, when they
 * succeed: the figures of the transfer, read by whoever logs it. */
#define MC_S3_REPORT_WORD "transferred"
#define MC_S3_REPORT_FORMAT MC_S3_REPORT_WORD " files=%lld bytes=%lld ms=%lld unchanged=%lld " \
    "deleted=%lld\n"

struct mc_s3_report {
    int got;                /* the tool said (else the figures are 0) */
    long long files;        /* push: sent; pull: downloaded */
    long long bytes;        /* of those files */
    long long ms;           /* the whole command, listing and index included */
    long long unchanged;    /* push: not sent (S3 has them); pull: linked from the copy here */
    long long deleted;      /* push: deleted in S3; pull: gone from the copy here */
};

/* Runs monocache-s3 with args (NULL-terminated, without argv[0]); its
 * stderr is ours. Its exit status, or -1 with err (not found, cannot
 * start). */
int mc_s3_tool_run(const char *const *args, struct mc_err *err);
/* The same, its stderr (the first line, without "monocache: ") into
 * said[size] instead of ours. */
int mc_s3_tool_run_quiet(const char *const *args, char *said, size_t size, struct mc_err *err);
/* mc_s3_tool_run, with the tool's stdout read for its figures (push,
 * pull) into report. */
int mc_s3_tool_run_report(const char *const *args, struct mc_s3_report *report,
                          struct mc_err *err);
/* mc_s3_tool_run_quiet; if it runs longer than timeout_s, late(ctx) is
 * called (once, from this thread) and the wait goes on (late NULL: no
 * bound). report (or NULL): the figures, as mc_s3_tool_run_report. */
int mc_s3_tool_run_bounded(const char *const *args, char *said, size_t size, int timeout_s,
                           void (*late)(void *ctx), void *ctx, struct mc_s3_report *report,
                           struct mc_err *err);

#endif
