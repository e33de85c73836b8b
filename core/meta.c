/* meta.c — meta.json reading, checking and locked atomic updates (see meta.h). */
#include "meta.h"
#include "proto.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MC_META_MAX_BYTES (16 * 1024 * 1024)
#define MC_META_FILE_MODE 0600

cJSON *mc_meta_new(const char *id, time_t created, int locked, const cJSON *extra)
{
    cJSON *meta = cJSON_CreateObject();
    const cJSON *item;
    char stamp[32];
    struct tm tm;

    if (!meta)
        return NULL;
    gmtime_r(&created, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON_AddStringToObject(meta, "id", id);
    cJSON_AddStringToObject(meta, "created", stamp);
    cJSON_AddBoolToObject(meta, "locked", locked);
    cJSON_ArrayForEach(item, extra) {
        cJSON *copy;

        if (strcmp(item->string, "locked") == 0)
            continue;
        copy = cJSON_Duplicate(item, 1);
        if (!copy || !cJSON_AddItemToObject(meta, item->string, copy)) {
            cJSON_Delete(copy);
            cJSON_Delete(meta);
            return NULL;
        }
    }
    return meta;
}

static char *read_small_file(int fd, size_t max, size_t *len_out)
{
    size_t len = 0;
    size_t cap = 4096;
    char *data = malloc(cap + 1);

    if (!data)
        return NULL;
    for (;;) {
        ssize_t got;

        if (len == cap) {
            char *grown;

            if (cap >= max) {
                free(data);
                errno = EFBIG;
                return NULL;
            }
            cap *= 2;
            grown = realloc(data, cap + 1);
            if (!grown) {
                free(data);
                return NULL;
            }
            data = grown;
        }
        got = read(fd, data + len, cap - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            free(data);
            return NULL;
        }
        if (got == 0)
            break;
        len += (size_t)got;
    }
    data[len] = '\0';
    *len_out = len;
    return data;
}

int mc_meta_read(int dir_fd, const char *display, cJSON **meta, struct mc_err *err)
{
    size_t len;
    char *text;
    int fd;

    *meta = NULL;
    fd = openat(dir_fd, MC_META_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
    if (fd < 0) {
        int saved = errno;

        if (saved == ELOOP)
            mc_err_set(err, "%s/" MC_META_FILE ": is a symbolic link", display);
        else
            mc_err_sys(err, saved, "%s/" MC_META_FILE, display);
        errno = saved;
        return -1;
    }
    text = read_small_file(fd, MC_META_MAX_BYTES, &len);
    close(fd);
    if (!text) {
        mc_err_sys(err, errno, "%s/" MC_META_FILE, display);
        return -1;
    }
    *meta = cJSON_ParseWithLengthOpts(text, len + 1, NULL, 1);   /* + its NUL, as cJSON wants */
    free(text);
    if (!*meta || !cJSON_IsObject(*meta)) {
        mc_err_set(err, "%s/" MC_META_FILE ": corrupt (not a JSON object)", display);
        cJSON_Delete(*meta);
        *meta = NULL;
        errno = EINVAL;
        return -1;
    }
    return 0;
}

int mc_meta_check_id(const cJSON *meta, const char *id, const char *display, struct mc_err *err)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(meta, "id");

    if (!cJSON_IsString(item) || strcmp(item->valuestring, id) != 0) {
        mc_err_set(err, "%s/" MC_META_FILE ": its \"id\" does not match the directory name",
                   display);
        return -1;
    }
    return 0;
}

int mc_meta_locked(const cJSON *meta)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(meta, "locked"));
}

static int write_all(int fd, const char *text, size_t len)
{
    while (len) {
        ssize_t done = write(fd, text, len);

        if (done < 0 && errno == EINTR)
            continue;
        if (done < 0)
            return -1;
        text += done;
        len -= (size_t)done;
    }
    return 0;
}

int mc_meta_write(int dir_fd, const char *display, const cJSON *meta, struct mc_err *err)
{
    char temp[64];
    char *text;
    int fd;
    int rc;

    text = cJSON_PrintUnformatted(meta);
    if (!text) {
        mc_err_set(err, "%s/" MC_META_FILE ": out of memory", display);
        return -1;
    }
    snprintf(temp, sizeof(temp), ".meta.json.%ld.tmp", (long)getpid());
    fd = openat(dir_fd, temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
                MC_META_FILE_MODE);
    if (fd < 0) {
        mc_err_sys(err, errno, "%s/%s", display, temp);
        free(text);
        return -1;
    }
    rc = write_all(fd, text, strlen(text));
    if (rc == 0)
        rc = write_all(fd, "\n", 1);
    free(text);
    if (close(fd) != 0)
        rc = -1;
    if (rc == 0 && renameat(dir_fd, temp, dir_fd, MC_META_FILE) != 0)
        rc = -1;
    if (rc != 0) {
        mc_err_sys(err, errno, "%s/" MC_META_FILE, display);
        unlinkat(dir_fd, temp, 0);
        return -1;
    }
    return 0;
}

int mc_meta_update(int dir_fd, const char *display, const char *id, mc_meta_edit_fn edit,
                   void *ctx, struct mc_err *err)
{
    cJSON *meta = NULL;
    int rc = -1;

    while (flock(dir_fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            mc_err_sys(err, errno, "%s: cannot lock", display);
            return -1;
        }
    }
    if (mc_meta_read(dir_fd, display, &meta, err) == 0 &&
        mc_meta_check_id(meta, id, display, err) == 0 &&
        edit(meta, ctx, err) == 0)
        rc = mc_meta_write(dir_fd, display, meta, err);
    cJSON_Delete(meta);
    flock(dir_fd, LOCK_UN);
    return rc;
}

cJSON *mc_meta_value_from_text(const char *text)
{
    cJSON *value = cJSON_ParseWithOpts(text, NULL, 1);

    if (value)
        return value;
    return cJSON_CreateString(text);
}
