/* utc.h — times as monocache writes them: ISO 8601 in UTC,
 * "2026-12-03T13:45:00Z" (meta.json "created", logs, ls). Formatted by
 * hand: strftime() reads the time zone (/etc/localtime) on first use, which
 * every watcher would pay for a zone it never shows. */
#ifndef MC_UTC_H
#define MC_UTC_H

#include <stddef.h>
#include <time.h>

#define MC_UTC_STAMP_MAX 32

/* Writes the stamp of `when` into out (at least MC_UTC_STAMP_MAX bytes). */
void mc_utc_stamp(time_t when, char *out, size_t size);

#endif
