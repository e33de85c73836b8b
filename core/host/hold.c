/* hold.c — MONOCACHE_HOLD text form (see hold.h). No stdio: this runs before
 * main in every wrapped process. */
#include "hold.h"
#include "names.h"
#include "proto.h"
#include "sys.h"

#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>

#define MC_HOLD_FD_LOWEST 3

/* Digits up to a ':'. Past 19 digits a value may overflow: only then is
 * it checked (a division per digit would be most of this parse's cost,
 * in every process). */
MC_HOT static const char *parse_number(const char *p, unsigned long long *out)
{
    unsigned long long value = 0;
    const char *start = p;

    while (*p >= '0' && *p <= '9') {
        unsigned digit = (unsigned)(*p - '0');

        if (p - start >= 19 && value > (~0ULL - digit) / 10)
            return NULL;
        value = value * 10 + digit;
        p++;
    }
    if (p == start || *p != ':')
        return NULL;
    *out = value;
    return p + 1;
}

/* 1 if path ends with "/<id>.lock": a lock file's name, not any file a
 * forged MONOCACHE_HOLD could point at. Our own loop, no libc (this runs
 * at every exec). */
MC_HOT static int ends_like_lock(const char *path)
{
    static const char suffix[] = MC_LOCK_SUFFIX;
    const char *end = path;
    const char *name;
    const char *p;
    size_t i;

    while (*end)
        end++;
    if (end - path < (long)(sizeof(suffix) + 1))
        return 0;
    p = end - (sizeof(suffix) - 1);
    for (i = 0; i < sizeof(suffix) - 1; i++) {
        if (p[i] != suffix[i])
            return 0;
    }
    for (name = p; name > path && name[-1] != '/'; name--) {
        if (!mc_id_char_ok(name[-1], 0))
            return 0;
    }
    return name > path && p > name && p - name <= MC_ID_MAX && mc_id_char_ok(name[0], 1);
}

MC_HOT int mc_hold_parse(const char *text, struct mc_hold *hold)
{
    unsigned long long fd;
    const char *p = text;

    p = parse_number(p, &fd);
    if (!p || fd > 0x7fffffff)
        return -1;
    p = parse_number(p, &hold->dev);
    if (!p)
        return -1;
    p = parse_number(p, &hold->ino);
    if (!p || *p != '/' || !ends_like_lock(p))
        return -1;
    hold->fd = (int)fd;
    hold->lock_path = p;
    return 0;
}

static char *put_number(char *out, char *end, unsigned long long value)
{
    char digits[24];
    int count = 0;

    do {
        digits[count++] = (char)('0' + value % 10);
        value /= 10;
    } while (value);
    if (end - out < count + 1)
        return NULL;
    while (count)
        *out++ = digits[--count];
    *out++ = ':';
    return out;
}

int mc_hold_place_fd(int fd)
{
    struct rlimit limit;
    int wanted = MC_HOLD_FD_WANTED;
    int placed;

    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
        limit.rlim_cur <= (rlim_t)wanted * 2)
        wanted = (int)(limit.rlim_cur / 2);
    if (wanted < MC_HOLD_FD_LOWEST)
        wanted = MC_HOLD_FD_LOWEST;
    placed = mc_sys_fcntl(fd, F_DUPFD, wanted);
    if (placed < 0)
        placed = mc_sys_fcntl(fd, F_DUPFD, MC_HOLD_FD_LOWEST);
    mc_sys_close(fd);
    return placed;
}

int mc_hold_format(char *out, size_t size, int fd, unsigned long long dev,
                   unsigned long long ino, const char *lock_path)
{
    char *end = out + size;
    size_t path_len = strlen(lock_path);

    if (fd < 0)
        return -1;
    out = put_number(out, end, (unsigned long long)fd);
    if (out)
        out = put_number(out, end, dev);
    if (out)
        out = put_number(out, end, ino);
    if (!out || (size_t)(end - out) < path_len + 1)
        return -1;
    memcpy(out, lock_path, path_len + 1);
    return 0;
}
