/* utc.c — UTC stamps (see utc.h). The calendar by hand too: glibc's
 * gmtime_r() also reads the time zone on its first call. */
#include "utc.h"

#include <stdio.h>

#define MC_SECONDS_PER_DAY 86400LL
#define MC_DAYS_PER_ERA 146097LL        /* 400 years */
#define MC_UNIX_EPOCH_DAYS 719468LL     /* 1970-03-01 from 0000-03-01 */

/* The civil date of a count of days since 1970-01-01 (H. Hinnant's
 * days-to-civil, with years starting in March). */
static void civil_from_days(long long days, long long *year, int *month, int *day)
{
    long long z = days + MC_UNIX_EPOCH_DAYS;
    long long era = (z >= 0 ? z : z - (MC_DAYS_PER_ERA - 1)) / MC_DAYS_PER_ERA;
    long long doe = z - era * MC_DAYS_PER_ERA;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;

    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = yoe + era * 400 + (*month <= 2);
}

void mc_utc_stamp(time_t when, char *out, size_t size)
{
    long long seconds = (long long)when;
    long long days = seconds / MC_SECONDS_PER_DAY;
    long long rest = seconds % MC_SECONDS_PER_DAY;
    long long year;
    int month;
    int day;

    if (rest < 0) {
        rest += MC_SECONDS_PER_DAY;
        days--;
    }
    civil_from_days(days, &year, &month, &day);
    snprintf(out, size, "%04lld-%02d-%02dT%02d:%02d:%02dZ", year, month, day, (int)(rest / 3600),
             (int)(rest / 60 % 60), (int)(rest % 60));
}
