/* buf.c — growable buffer with a hard limit (see buf.h). */
#include "buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MC_BUF_FIRST_CAP 64
#define MC_CONCAT_MAX (64 * 1024)

void mc_buf_init(struct mc_buf *buf, size_t max)
{
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
    buf->max = max;
}

void mc_buf_free(struct mc_buf *buf)
{
    free(buf->data);
    mc_buf_init(buf, buf->max);
}

void mc_buf_reset(struct mc_buf *buf)
{
    buf->len = 0;
    if (buf->data)
        buf->data[0] = '\0';
}

static int grow(struct mc_buf *buf, size_t need)
{
    size_t cap;
    char *data;

    if (need > buf->max) {
        errno = E2BIG;
        return -1;
    }
    if (need + 1 <= buf->cap)
        return 0;
    cap = buf->cap ? buf->cap : MC_BUF_FIRST_CAP;
    while (cap < need + 1)
        cap *= 2;
    if (cap > buf->max + 1)
        cap = buf->max + 1;
    data = realloc(buf->data, cap);
    if (!data)
        return -1;
    buf->data = data;
    buf->cap = cap;
    return 0;
}

int mc_buf_add(struct mc_buf *buf, const void *bytes, size_t count)
{
    if (count > buf->max || buf->len > buf->max - count) {
        errno = E2BIG;
        return -1;
    }
    if (grow(buf, buf->len + count) != 0)
        return -1;
    if (count)
        memcpy(buf->data + buf->len, bytes, count);
    buf->len += count;
    buf->data[buf->len] = '\0';
    return 0;
}

int mc_buf_addstr(struct mc_buf *buf, const char *text)
{
    return mc_buf_add(buf, text, strlen(text));
}

int mc_buf_printf(struct mc_buf *buf, const char *fmt, ...)
{
    va_list ap;
    int need;

    va_start(ap, fmt);
    need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (need < 0)
        return -1;
    if ((size_t)need > buf->max || buf->len > buf->max - (size_t)need) {
        errno = E2BIG;
        return -1;
    }
    if (grow(buf, buf->len + (size_t)need) != 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(buf->data + buf->len, (size_t)need + 1, fmt, ap);
    va_end(ap);
    buf->len += (size_t)need;
    return 0;
}

const char *mc_buf_str(const struct mc_buf *buf)
{
    return buf->data ? buf->data : "";
}

char *mc_buf_take(struct mc_buf *buf)
{
    char *data = buf->data;

    if (!data)
        data = calloc(1, 1);
    mc_buf_init(buf, buf->max);
    return data;
}

char *mc_concat(const char *first, ...)
{
    struct mc_buf buf;
    const char *part;
    va_list ap;

    mc_buf_init(&buf, MC_CONCAT_MAX);
    va_start(ap, first);
    for (part = first; part; part = va_arg(ap, const char *)) {
        if (mc_buf_addstr(&buf, part) != 0) {
            va_end(ap);
            mc_buf_free(&buf);
            return NULL;
        }
    }
    va_end(ap);
    return mc_buf_take(&buf);
}

int mc_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void mc_hex_encode(const unsigned char *bytes, size_t count, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < count; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * count] = '\0';
}
