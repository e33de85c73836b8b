/* err.c — filling a struct mc_err: formatted, truncated, one line. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void mc_err_clear(struct mc_err *err)
{
    if (!err)
        return;
    err->code = MC_ERR_NONE;
    err->msg[0] = '\0';
}

static void one_line(char *msg)
{
    for (; *msg; msg++) {
        if (*msg == '\n' || *msg == '\r')
            *msg = ' ';
    }
}

static void set_message(struct mc_err *err, int code, const char *fmt, va_list ap)
{
    err->code = code;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    one_line(err->msg);
}

void mc_err_set(struct mc_err *err, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return;
    va_start(ap, fmt);
    set_message(err, MC_ERR_FAILED, fmt, ap);
    va_end(ap);
}

void mc_err_setc(struct mc_err *err, enum mc_err_code code, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return;
    va_start(ap, fmt);
    set_message(err, code, fmt, ap);
    va_end(ap);
}

void mc_err_sys(struct mc_err *err, int errnum, const char *fmt, ...)
{
    va_list ap;
    size_t used;

    if (!err)
        return;
    va_start(ap, fmt);
    set_message(err, MC_ERR_FAILED, fmt, ap);
    va_end(ap);
    used = strlen(err->msg);
    snprintf(err->msg + used, sizeof(err->msg) - used, ": %s", strerror(errnum));
    one_line(err->msg);
}
