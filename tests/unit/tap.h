/* tap.h — a tiny TAP producer for monocache's C unit tests, run by prove.
 *
 * Header-only; include it once per test program. Each check prints
 * "ok N - name" or "not ok N - name"; a failed check also prints, on stderr
 * (which prove shows), where it is and what it expected and got. End main
 * with `return done_testing();`: it prints the plan "1..N" and returns a
 * non-zero status if any check failed. A failed check never stops the
 * program: the next one still runs. Names are printf formats. No check
 * changes errno, so a test may check a call's result, then errno. */
#ifndef MC_TAP_H
#define MC_TAP_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count;
static int tap_failed;

__attribute__((format(printf, 4, 0)))
static inline int tap_result(int pass, const char *file, int line, const char *fmt, va_list ap)
{
    int saved_errno = errno;

    tap_count++;
    printf("%s %d - ", pass ? "ok" : "not ok", tap_count);
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    if (!pass) {
        tap_failed++;
        fprintf(stderr, "#   Failed test at %s line %d.\n", file, line);
    }
    errno = saved_errno;
    return pass;
}

__attribute__((format(printf, 4, 5)))
static inline int tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    pass = tap_result(pass, file, line, fmt, ap);
    va_end(ap);
    return pass;
}

__attribute__((format(printf, 5, 6)))
static inline int tap_is_int(long long got, long long want, const char *file, int line,
                             const char *fmt, ...)
{
    int saved_errno = errno;
    va_list ap;
    int pass;

    va_start(ap, fmt);
    pass = tap_result(got == want, file, line, fmt, ap);
    va_end(ap);
    if (!pass)
        fprintf(stderr, "#   expected: %lld\n#        got: %lld\n", want, got);
    errno = saved_errno;
    return pass;
}

__attribute__((format(printf, 5, 6)))
static inline int tap_is_str(const char *got, const char *want, const char *file, int line,
                             const char *fmt, ...)
{
    int saved_errno = errno;
    va_list ap;
    int pass;

    if (!got || !want)
        pass = got == want;
    else
        pass = strcmp(got, want) == 0;
    va_start(ap, fmt);
    pass = tap_result(pass, file, line, fmt, ap);
    va_end(ap);
    if (!pass) {
        fprintf(stderr, "#   expected: %s%s%s\n", want ? "'" : "", want ? want : "NULL",
                want ? "'" : "");
        fprintf(stderr, "#        got: %s%s%s\n", got ? "'" : "", got ? got : "NULL",
                got ? "'" : "");
    }
    errno = saved_errno;
    return pass;
}

/* A check that cannot run here: counted, reported as skipped, never failed. */
static inline void skip(const char *reason)
{
    int saved_errno = errno;

    tap_count++;
    printf("ok %d # SKIP %s\n", tap_count, reason);
    fflush(stdout);
    errno = saved_errno;
}

/* A comment line, on stderr with the failure reports. */
__attribute__((format(printf, 1, 2)))
static inline void diag(const char *fmt, ...)
{
    int saved_errno = errno;
    va_list ap;

    fflush(stdout);
    fprintf(stderr, "# ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    errno = saved_errno;
}

static inline int done_testing(void)
{
    printf("1..%d\n", tap_count);
    fflush(stdout);
    if (tap_failed)
        fprintf(stderr, "# Looks like you failed %d test%s of %d.\n", tap_failed,
                tap_failed == 1 ? "" : "s", tap_count);
    return tap_failed ? 1 : 0;
}

#define ok(cond, ...) tap_ok((cond) != 0, __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...) \
    tap_is_int((long long)(got), (long long)(want), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(got, want, ...) tap_is_str((got), (want), __FILE__, __LINE__, __VA_ARGS__)

#endif
