/* err.h — the reason a monocache call failed, as one line a user can read.
 *
 * Every function that can fail returns -1 (or a negative code) and fills a
 * struct mc_err, so a caller always has a reason, never just -1. Messages name
 * the variable or file and what is wrong; they never hold a secret. */
#ifndef MC_ERR_H
#define MC_ERR_H

#include <stddef.h>

#define MC_ERR_MAX 512

/* What a caller may decide on, beside the message it shows (as hiredis keeps
 * `err` beside `errstr`): never decide by searching the text. */
enum mc_err_code {
    MC_ERR_NONE = 0,    /* no error */
    MC_ERR_FAILED,      /* a failure with no code of its own */
    MC_ERR_LOCAL_IO,    /* our own file or disk failed: not the network or the
                           server, so retrying the request cannot help */
    MC_ERR_WIPING,      /* the register: another host is wiping this cache */
    MC_ERR_TIMEOUT,     /* a server was too slow: it may still be there */
    MC_ERR_AUTH,        /* a server refused our credentials */
    MC_ERR_CHANGED,     /* what was read changed meanwhile (S3: another push):
                           reading it all again may succeed */
    MC_ERR_ABSENT,      /* S3 has no such cache */
    MC_ERR_INCOMPLETE   /* S3 has objects of it but no meta.json */
};

struct mc_err {
    int code;           /* enum mc_err_code */
    char msg[MC_ERR_MAX];
};

void mc_err_clear(struct mc_err *err);
/* Sets the message; the code becomes MC_ERR_FAILED. */
void mc_err_set(struct mc_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Sets the message with a code of its own. */
void mc_err_setc(struct mc_err *err, enum mc_err_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Like mc_err_set, with ": <strerror(errnum)>" appended. */
void mc_err_sys(struct mc_err *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
