/* buf.h — a growable byte buffer with a hard maximum size.
 *
 * Used for paths, JSON text and protocol messages instead of fixed arrays and
 * strcpy. The data is always NUL-terminated. Growing past `max` fails with -1
 * (errno E2BIG) rather than truncating silently. */
#ifndef MC_BUF_H
#define MC_BUF_H

#include <stddef.h>

struct mc_buf {
    char *data;     /* NULL until the first append */
    size_t len;     /* bytes in use, not counting the NUL */
    size_t cap;     /* bytes allocated */
    size_t max;     /* largest allowed len */
};

void mc_buf_init(struct mc_buf *buf, size_t max);
void mc_buf_free(struct mc_buf *buf);
void mc_buf_reset(struct mc_buf *buf);
int mc_buf_add(struct mc_buf *buf, const void *bytes, size_t count);
int mc_buf_addstr(struct mc_buf *buf, const char *text);
int mc_buf_printf(struct mc_buf *buf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The text so far ("" when empty); owned by the buffer. */
const char *mc_buf_str(const struct mc_buf *buf);
/* Hands the text to the caller (free() it); the buffer is left empty. */
char *mc_buf_take(struct mc_buf *buf);

/* Concatenates the strings up to a NULL argument into a new malloc'd string;
 * NULL if out of memory. For paths: mc_concat(dir, "/", name, NULL). */
char *mc_concat(const char *first, ...) __attribute__((sentinel));
/* The value of one hex digit (either case), or -1. */
int mc_hex_digit(char c);
/* `count` bytes as lower-case hex into out (2 * count + 1 bytes, NUL
 * included): digests in ETags and SigV4. */
void mc_hex_encode(const unsigned char *bytes, size_t count, char *out);

#endif
