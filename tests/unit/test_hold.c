/* test_hold.c — MONOCACHE_HOLD's text form: what mc_hold_format writes,
 * mc_hold_parse reads back; every malformed value is refused (the shim reads
 * it before main in every process); format never writes past its buffer. */
#include "host/hold.h"
#include "host/proto.h"
#include "tap.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#define TEXT_MAX 256
#define CANARY 0x5a

/* Only a lock file's name is a hold: "/<id>.lock". */
#define LOCK_NAME "/12345678-aaaa-4bbb-8ccc-123456789abc.lock"

static void check_round_trip(int fd, unsigned long long dev, unsigned long long ino,
                             const char *path, const char *want)
{
    char text[TEXT_MAX];
    struct mc_hold hold;

    memset(&hold, 0, sizeof(hold));
    is_int(mc_hold_format(text, sizeof(text), fd, dev, ino, path), 0, "format %s", want);
    is_str(text, want, "format writes fd:dev:ino:path");
    is_int(mc_hold_parse(text, &hold), 0, "parse %s", want);
    is_int(hold.fd, fd, "fd read back");
    ok(hold.dev == dev, "dev read back (%llu)", hold.dev);
    ok(hold.ino == ino, "ino read back (%llu)", hold.ino);
    is_str(hold.lock_path, path, "lock path read back");
    ok(hold.lock_path == text + strlen(text) - strlen(path), "lock path points into the text");
}

static void test_round_trips(void)
{
    check_round_trip(1000, 2049, 1234567, "/tmp/mc/run" LOCK_NAME,
                     "1000:2049:1234567:/tmp/mc/run" LOCK_NAME);
    check_round_trip(0, 0, 0, LOCK_NAME, "0:0:0:" LOCK_NAME);
    check_round_trip(INT_MAX, ULLONG_MAX, ULLONG_MAX, "/a:b/c d" LOCK_NAME,
                     "2147483647:18446744073709551615:18446744073709551615:/a:b/c d" LOCK_NAME);
}

static void test_rejects(void)
{
    static const char *const bad[] = {
        "",
        MC_HOLD_DISABLED,
        "3",
        "3:",
        "3:4",
        "3:4:",
        "3:4:5",
        "3:4:5:",
        "3:4:/p",
        ":4:5:/p",
        "3::5:/p",
        "3:4::/p",
        "x:4:5:/p",
        "3:4x:5:/p",
        "3:4:5x:/p",
        "-3:4:5:/p",
        "+3:4:5:/p",
        " 3:4:5:/p",
        "3 :4:5:/p",
        "2147483648:4:5:/p",
        "99999999999999999999:4:5:/p",
        "3:18446744073709551616:5:/p",
        "3:4:18446744073709551616:/p",
        "3:4:99999999999999999999999:/p",
        "3:4:5:p",
        "3:4:5:relative/lock",
        "3:4:5:./lock",
        "3:4:5:/p",
        "3:4:5:/home/me/.bashrc",
        "3:4:5:/tmp/12345678-aaaa-4bbb-8ccc-123456789abc.lockx",
        "3:4:5:/tmp/.x12345678-aaaa-4bbb-8ccc-123456789abc.lock",   /* not an id */
        "3:4:5:/tmp/a b.lock",
        "3:4:5:/tmp/.lock",
        "3:4:5:/tmp/a/.lock",
        "3:4:5:12345678-aaaa-4bbb-8ccc-123456789abc.lock",
    };
    struct mc_hold hold;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        is_int(mc_hold_parse(bad[i], &hold), -1, "parse refuses \"%s\"", bad[i]);
}

static void test_limits_accepted(void)
{
    struct mc_hold hold;

    is_int(mc_hold_parse("2147483647:4:5:" LOCK_NAME, &hold), 0, "fd INT_MAX is accepted");
    is_int(hold.fd, INT_MAX, "fd INT_MAX read back");
    is_int(mc_hold_parse("007:18446744073709551615:0:" LOCK_NAME, &hold), 0,
           "leading zeros and dev ULLONG_MAX are accepted");
    is_int(hold.fd, 7, "fd with leading zeros");
    ok(hold.dev == ULLONG_MAX, "dev ULLONG_MAX read back");
}

static int canary_intact(const char *out, size_t from, size_t to)
{
    size_t i;

    for (i = from; i < to; i++) {
        if ((unsigned char)out[i] != CANARY)
            return 0;
    }
    return 1;
}

static void test_format_too_small(void)
{
    static const char want[] = "12:345:6789:/run/x.lock";
    size_t need = sizeof(want);     /* with its NUL */
    char out[sizeof(want) + 8];
    size_t size;
    int all_failed = 1;
    int none_overflowed = 1;

    for (size = 0; size < need; size++) {
        memset(out, CANARY, sizeof(out));
        if (mc_hold_format(out, size, 12, 345, 6789, "/run/x.lock") != -1)
            all_failed = 0;
        if (!canary_intact(out, size, sizeof(out)))
            none_overflowed = 0;
    }
    ok(all_failed, "format fails for every buffer size below %zu", need);
    ok(none_overflowed, "a failed format writes nothing past its buffer");

    memset(out, CANARY, sizeof(out));
    is_int(mc_hold_format(out, need, 12, 345, 6789, "/run/x.lock"), 0,
           "format fits a buffer of exactly %zu", need);
    is_str(out, want, "exact fit writes the whole text");
    ok(canary_intact(out, need, sizeof(out)), "exact fit writes nothing past the NUL");

    memset(out, CANARY, sizeof(out));
    is_int(mc_hold_format(out, sizeof(out), -1, 1, 2, "/p"), -1, "format refuses a negative fd");
}

int main(void)
{
    test_round_trips();
    test_rejects();
    test_limits_accepted();
    test_format_too_small();
    return done_testing();
}
