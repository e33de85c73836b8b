/* names.c — recognising cache ids and the file names we make from them (see
 * names.h). Libc only: the shim checks a lock file's name with it. */
#include "names.h"
#include "proto.h"

#include <string.h>

int mc_id_valid_n(const char *text, size_t len)
{
    size_t i;

    if (len != MC_ID_LEN)
        return 0;
    for (i = 0; i < len; i++) {
        char c = text[i];

        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return 0;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

int mc_id_valid(const char *text)
{
    return mc_id_valid_n(text, strlen(text));
}

/* 1 if text starts with a non-empty run of digits followed by `rest`. */
static int digits_then(const char *text, const char *rest)
{
    const char *p = text;

    while (*p >= '0' && *p <= '9')
        p++;
    return p > text && strcmp(p, rest) == 0;
}

static int id_then(const char *name, char *id, const char *suffix, size_t suffix_len)
{
    if (strlen(name) < MC_ID_LEN + suffix_len || !mc_id_valid_n(name, MC_ID_LEN) ||
        memcmp(name + MC_ID_LEN, suffix, suffix_len) != 0)
        return 0;
    memcpy(id, name, MC_ID_LEN);
    id[MC_ID_LEN] = '\0';
    return 1;
}

int mc_name_is_lock(const char *name, char *id)
{
    return strlen(name) == MC_ID_LEN + sizeof(MC_LOCK_SUFFIX) - 1 &&
           id_then(name, id, MC_LOCK_SUFFIX, sizeof(MC_LOCK_SUFFIX) - 1);
}

int mc_name_is_lock_temp(const char *name, char *id)
{
    static const char middle[] = MC_LOCK_SUFFIX ".";

    return id_then(name, id, middle, sizeof(middle) - 1) &&
           digits_then(name + MC_ID_LEN + sizeof(middle) - 1, ".tmp");
}

/* prefix<id>.<pid> */
static int prefixed_id_pid(const char *name, const char *prefix, char *id)
{
    size_t prefix_len = strlen(prefix);

    return strncmp(name, prefix, prefix_len) == 0 && id_then(name + prefix_len, id, ".", 1) &&
           digits_then(name + prefix_len + MC_ID_LEN + 1, "");
}

int mc_name_is_tombstone(const char *name, char *id)
{
    return prefixed_id_pid(name, MC_TOMB_PREFIX, id);
}

int mc_name_is_pull_guard(const char *name, char *id)
{
    return strlen(name) == MC_ID_LEN + sizeof(MC_PULL_GUARD_SUFFIX) - 1 &&
           id_then(name, id, MC_PULL_GUARD_SUFFIX, sizeof(MC_PULL_GUARD_SUFFIX) - 1);
}

int mc_name_is_later(const char *name, char *id)
{
    return strlen(name) == MC_ID_LEN + sizeof(MC_LATER_SUFFIX) - 1 &&
           id_then(name, id, MC_LATER_SUFFIX, sizeof(MC_LATER_SUFFIX) - 1);
}

int mc_name_is_pull_temp(const char *name, char *id)
{
    return prefixed_id_pid(name, MC_PULL_PREFIX, id);
}

int mc_path_is_lock(const char *path)
{
    const char *base = strrchr(path, '/');
    char id[MC_ID_LEN + 1];

    return path[0] == '/' && base && mc_name_is_lock(base + 1, id);
}
