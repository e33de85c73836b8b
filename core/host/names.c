/* names.c — recognising cache ids and the file names we make from them (see
 * names.h). Libc only: the shim checks a lock file's name with it. */
#include "names.h"
#include "proto.h"

#include <string.h>

MC_HOT int mc_id_char_ok(char c, int first)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return 1;
    return !first && (c == '.' || c == '_' || c == '-');
}

int mc_id_valid_n(const char *text, size_t len)
{
    size_t i;

    if (len == 0 || len > MC_ID_MAX)
        return 0;
    for (i = 0; i < len; i++) {
        if (!mc_id_char_ok(text[i], i == 0))
            return 0;
    }
    return 1;
}

void mc_id_copy(char *dst, const char *src)
{
    size_t len = strnlen(src, MC_ID_MAX);

    memcpy(dst, src, len);
    dst[len] = '\0';
}

int mc_id_valid(const char *text)
{
    return mc_id_valid_n(text, strnlen(text, MC_ID_MAX + 1));
}

/* 1 if text[0..len) is a non-empty run of digits. */
static int digits_n(const char *text, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return 0;
    }
    return len > 0;
}

/* text[0..len) as the id, if it is one. */
static int take_id(const char *text, size_t len, char *id)
{
    if (!mc_id_valid_n(text, len))
        return 0;
    memcpy(id, text, len);
    id[len] = '\0';
    return 1;
}

/* <id><suffix> */
static int id_then(const char *name, char *id, const char *suffix)
{
    size_t len = strlen(name);
    size_t suffix_len = strlen(suffix);

    return len > suffix_len && strcmp(name + len - suffix_len, suffix) == 0 &&
           take_id(name, len - suffix_len, id);
}

int mc_name_is_lock(const char *name, char *id)
{
    return id_then(name, id, MC_LOCK_SUFFIX);
}

/* <id>.lock.<pid>.tmp, read from its end: an id may hold ".lock." too. */
int mc_name_is_lock_temp(const char *name, char *id)
{
    static const char middle[] = MC_LOCK_SUFFIX ".";
    static const char tail[] = ".tmp";
    size_t len = strlen(name);
    size_t end;
    size_t dot;

    if (len < sizeof(tail) || strcmp(name + len - (sizeof(tail) - 1), tail) != 0)
        return 0;
    end = len - (sizeof(tail) - 1);
    for (dot = end; dot > 0 && name[dot - 1] >= '0' && name[dot - 1] <= '9'; dot--)
        ;
    if (dot == end || dot < sizeof(middle) ||
        memcmp(name + dot - (sizeof(middle) - 1), middle, sizeof(middle) - 1) != 0)
        return 0;
    return take_id(name, dot - (sizeof(middle) - 1), id);
}

/* prefix<id>.<pid>, the pid after the last dot. */
static int prefixed_id_pid(const char *name, const char *prefix, char *id)
{
    size_t prefix_len = strlen(prefix);
    const char *dot = strrchr(name, '.');

    if (strncmp(name, prefix, prefix_len) != 0 || !dot || dot < name + prefix_len)
        return 0;
    return digits_n(dot + 1, strlen(dot + 1)) &&
           take_id(name + prefix_len, (size_t)(dot - name) - prefix_len, id);
}

int mc_name_is_tombstone(const char *name, char *id)
{
    return prefixed_id_pid(name, MC_TOMB_PREFIX, id);
}

int mc_name_is_pull_guard(const char *name, char *id)
{
    return id_then(name, id, MC_PULL_GUARD_SUFFIX);
}

int mc_name_is_later(const char *name, char *id)
{
    return id_then(name, id, MC_LATER_SUFFIX);
}

int mc_name_is_pull_temp(const char *name, char *id)
{
    return prefixed_id_pid(name, MC_PULL_PREFIX, id);
}

int mc_path_is_lock(const char *path)
{
    const char *base = strrchr(path, '/');
    char id[MC_ID_MAX + 1];

    return path[0] == '/' && base && mc_name_is_lock(base + 1, id);
}
