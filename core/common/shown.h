/* shown.h — text as monocache shows it (messages, logs, listings): a
 * user:password@ in any URL hidden as ***@ (redis:// keeps the user:
 * user:***@), and control characters (C0,
 * DEL, C1, and bytes that are not UTF-8) escaped as \xNN, so that an S3
 * key or a file name can neither hide a secret's leak nor drive the
 * terminal. Pure; unit-tested (tests/unit/test_shown.c). */
#ifndef MC_SHOWN_H
#define MC_SHOWN_H

#include <stddef.h>

/* in, as it may be shown, into out (size bytes, cut to fit, NUL-ended). */
void mc_shown(const char *in, char *out, size_t size);

/* 1 if text holds a URL with a user or password ("scheme://...@host"). */
int mc_has_credentials(const char *text);

#endif
