/* err.c — filling a struct mc_err: formatted, truncated, one line. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void mc_err_clear(struct mc_err *err)
{
    if (err)
        err->msg[0] = '\0';
}

static void one_line(char *msg)
{
    for (; *msg; msg++) {
        if (*msg == '\n' || *msg == '\r')
            *msg = ' ';
    }
}

void mc_err_set(struct mc_err *err, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    one_line(err->msg);
}

void mc_err_sys(struct mc_err *err, int errnum, const char *fmt, ...)
{
    va_list ap;
    size_t used;

    if (!err)
        return;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    used = strlen(err->msg);
    snprintf(err->msg + used, sizeof(err->msg) - used, ": %s", strerror(errnum));
    one_line(err->msg);
}
