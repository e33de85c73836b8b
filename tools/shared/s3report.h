/* s3report.h — the one line that says what a push or a pull moved, for CI
 * logs: written at MONOCACHE_LOG=info by whoever ran monocache-s3 (the
 * watcher at a release, the monocache command), from the figures the tool
 * reported (s3run.h). Formats and logs only: never runs anything. */
#ifndef MC_S3REPORT_H
#define MC_S3REPORT_H

#include "s3run.h"

#include <stddef.h>

/* The summary, without "cache <id>: ", into out[size]:
 *   uploaded to URL: 12 files, 3.4 MiB in 0.8 s; 40 unchanged (not sent), 2 deleted
 *   brought from URL: 3 files, 1.0 KiB downloaded in 0.1 s; 9 already here (linked)
 * pull: 0 for a push, 1 for a pull; url: where in S3 (the cache's own prefix). */
void mc_s3_report_text(const struct mc_s3_report *report, int pull, const char *url,
                       char *out, size_t size);
/* Logs it at info, as event "uploaded" or "pulled" with the cache's id and
 * path, and the figures as fields of the JSON form. Nothing if the tool
 * gave no figures. */
void mc_s3_report_log(const struct mc_s3_report *report, int pull, const char *url,
                      const char *id, const char *path);

#endif
