/* test_utc.c — mc_utc_stamp writes what strftime("%Y-%m-%dT%H:%M:%SZ") of
 * gmtime_r() writes (its oracle here), over two centuries of odd steps, at
 * the epoch, leap days and the last second of a day; and it never reads the
 * time zone (a TZ that would shift local time changes nothing). */
#include "common/utc.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STEP_SECONDS (86399LL * 37 + 13)
#define FROM_SECONDS (-2208988800LL)    /* 1900-01-01 */
#define TO_SECONDS 4102444800LL         /* 2100-01-01 */

static void glibc_stamp(time_t when, char *out, size_t size)
{
    struct tm tm;

    gmtime_r(&when, &tm);
    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void test_against_glibc(void)
{
    char ours[MC_UTC_STAMP_MAX];
    char want[MC_UTC_STAMP_MAX];
    long long t;
    long mismatches = 0;
    long checked = 0;

    for (t = FROM_SECONDS; t < TO_SECONDS; t += STEP_SECONDS, checked++) {
        mc_utc_stamp((time_t)t, ours, sizeof(ours));
        glibc_stamp((time_t)t, want, sizeof(want));
        if (strcmp(ours, want) != 0 && mismatches++ == 0)
            diag("at %lld: ours %s, glibc %s", t, ours, want);
    }
    is_int(mismatches, 0, "%ld times from 1900 to 2100 written as glibc writes them", checked);
}

static void test_known(void)
{
    char out[MC_UTC_STAMP_MAX];

    mc_utc_stamp(0, out, sizeof(out));
    is_str(out, "1970-01-01T00:00:00Z", "the epoch");
    mc_utc_stamp(951782400, out, sizeof(out));
    is_str(out, "2000-02-29T00:00:00Z", "a leap day of a year divisible by 400");
    mc_utc_stamp(1796304339, out, sizeof(out));
    is_str(out, "2026-12-03T13:25:39Z", "a time of today");
    mc_utc_stamp(86399, out, sizeof(out));
    is_str(out, "1970-01-01T23:59:59Z", "the last second of a day");
    mc_utc_stamp(-1, out, sizeof(out));
    is_str(out, "1969-12-31T23:59:59Z", "a second before the epoch");
    setenv("TZ", "Pacific/Kiritimati", 1);
    mc_utc_stamp(0, out, sizeof(out));
    is_str(out, "1970-01-01T00:00:00Z", "whatever TZ says");
}

int main(void)
{
    test_against_glibc();
    test_known();
    return done_testing();
}
