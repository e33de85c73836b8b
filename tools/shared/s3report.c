/* s3report.c — the summary line of a push or a pull (see s3report.h). */
#include "s3report.h"
#include "common/log.h"

#include <stdio.h>

#define MC_REPORT_LINE_MAX 768
#define MC_BYTES_TEXT_MAX 32
#define MC_KIB 1024.0

/* 512 B, 3.4 MiB: binary units, one decimal past bytes. */
static void bytes_text(long long bytes, char *out, size_t size)
{
    static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
    double value = (double)bytes / MC_KIB;
    size_t unit = 0;

    if (bytes < MC_KIB) {
        snprintf(out, size, "%lld B", bytes);
        return;
    }
    while (value >= MC_KIB && unit + 1 < sizeof(units) / sizeof(units[0])) {
        value /= MC_KIB;
        unit++;
    }
    snprintf(out, size, "%.1f %s", value, units[unit]);
}

void mc_s3_report_text(const struct mc_s3_report *report, int pull, const char *url,
                       char *out, size_t size)
{
    char bytes[MC_BYTES_TEXT_MAX];
    double seconds = (double)report->ms / 1000;
    int used;

    bytes_text(report->bytes, bytes, sizeof(bytes));
    if (!pull) {
        snprintf(out, size, "uploaded to %s: %lld file%s, %s in %.1f s; %lld unchanged (not "
                 "sent), %lld deleted", url, report->files, report->files == 1 ? "" : "s",
                 bytes, seconds, report->unchanged, report->deleted);
        return;
    }
    used = snprintf(out, size, "brought from %s: %lld file%s, %s downloaded in %.1f s; %lld "
                    "already here (linked)", url, report->files, report->files == 1 ? "" : "s",
                    bytes, seconds, report->unchanged);
    if (report->deleted && used > 0 && (size_t)used < size)
        snprintf(out + used, size - (size_t)used, ", %lld gone (not in S3)", report->deleted);
}

void mc_s3_report_log(const struct mc_s3_report *report, int pull, const char *url,
                      const char *id, const char *path)
{
    char text[MC_REPORT_LINE_MAX];
    const struct mc_log_figure figures[] = {
        { "files", (double)report->files },
        { "bytes", (double)report->bytes },
        { "seconds", (double)report->ms / 1000 },
        { pull ? "linked" : "unchanged", (double)report->unchanged },
        { "deleted", (double)report->deleted },
    };

    if (!report->got)
        return;
    mc_s3_report_text(report, pull, url, text, sizeof(text));
    mc_log_figures(MC_LOG_INFO, pull ? "pulled" : "uploaded", id, path, figures,
                   sizeof(figures) / sizeof(figures[0]), "cache %s: %s", id, text);
}
