/* shown.c — text as monocache shows it (see shown.h). */
#include "shown.h"

#include <stdio.h>
#include <string.h>

#define MC_HIDDEN "***"

/* Where the user part of the URL whose "://" ends at p ends (its last '@'
 * before the host's end), or NULL if it has none. */
static const char *user_part_end(const char *p)
{
    const char *at = NULL;

    for (; *p && !strchr("/?# \t\r\n\"'", *p); p++) {
        if (*p == '@')
            at = p;
    }
    return at;
}

/* How much of the user part from..at of a redis:// or rediss:// URL is
 * shown: the user name and its ':' ("user:" of "user:password"), as the
 * Redis ACL names a user; never the password, and nothing of any other
 * URL or of a user part with no ':' (a password alone). The scheme is
 * read where it was copied: the used bytes of out. */
static int redis_user_len(const char *from, const char *at, const char *out, size_t used)
{
    const char *colon = memchr(from, ':', (size_t)(at - from));
    int redis = (used >= 5 && memcmp(out + used - 5, "redis", 5) == 0) ||
                (used >= 6 && memcmp(out + used - 6, "rediss", 6) == 0);

    return redis && colon ? (int)(colon - from + 1) : 0;
}

int mc_has_credentials(const char *text)
{
    const char *p;

    for (p = strstr(text, "://"); p; p = strstr(p + 3, "://")) {
        if (user_part_end(p + 3))
            return 1;
    }
    return 0;
}

/* The length of the UTF-8 character at p that may be shown as it is (not
 * a C1 control), or 0. */
static size_t printable_utf8(const unsigned char *p)
{
    size_t len;
    size_t i;
    unsigned long cp;

    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        len = 2;
        cp = p[0] & 0x1f;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        len = 3;
        cp = p[0] & 0x0f;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        len = 4;
        cp = p[0] & 0x07;
    } else {
        return 0;
    }
    for (i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp < 0xa0 || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

void mc_shown(const char *in, char *out, size_t size)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t used = 0;

    if (!size)
        return;
    while (*p && used + 1 < size) {
        size_t len;

        if (p[0] == ':' && p[1] == '/' && p[2] == '/' && user_part_end((const char *)p + 3)) {
            const char *at = user_part_end((const char *)p + 3);
            int user = redis_user_len((const char *)p + 3, at, out, used);
            int n = snprintf(out + used, size - used, "://%.*s" MC_HIDDEN, user,
                             (const char *)p + 3);

            used = n > 0 && (size_t)n < size - used ? used + (size_t)n : size - 1;
            p = (const unsigned char *)at;
        } else if (p[0] >= 0x20 && p[0] < 0x7f) {
            out[used++] = (char)*p++;
        } else if ((len = printable_utf8(p)) != 0) {
            if (used + len >= size)
                break;
            memcpy(out + used, p, len);
            used += len;
            p += len;
        } else {
            if (used + 4 >= size)
                break;
            snprintf(out + used, size - used, "\\x%02x", *p++);
            used += 4;
        }
    }
    out[used] = '\0';
}
