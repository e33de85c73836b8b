/* err.h — the reason a monocache call failed, as one line a user can read.
 *
 * Every function that can fail returns -1 (or a negative code) and fills a
 * struct mc_err, so a caller always has a reason, never just -1. Messages name
 * the variable or file and what is wrong; they never hold a secret. */
#ifndef MC_ERR_H
#define MC_ERR_H

#include <stddef.h>

#define MC_ERR_MAX 512

struct mc_err {
    char msg[MC_ERR_MAX];
};

void mc_err_clear(struct mc_err *err);
void mc_err_set(struct mc_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Like mc_err_set, with ": <strerror(errnum)>" appended. */
void mc_err_sys(struct mc_err *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
