/* meta.c — meta.json reading, checking and locked atomic updates (see meta.h). */
#include "meta.h"
#include "shown.h"
#include "utc.h"
#include "dirlock.h"
#include "file.h"
#include "jsontext.h"
#include "host/proto.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define MC_META_FILE_MODE 0600
#define MC_META_TEMP_RANDOM_BYTES 8
#define MC_META_TEMP_ATTEMPTS 16

cJSON *mc_meta_new(const char *id, time_t created, int locked, const cJSON *extra)
{
    cJSON *meta = cJSON_CreateObject();
    const cJSON *item;
    char stamp[MC_UTC_STAMP_MAX];

    if (!meta)
        return NULL;
    mc_utc_stamp(created, stamp, sizeof(stamp));
    cJSON_AddStringToObject(meta, "id", id);
    cJSON_AddStringToObject(meta, "created", stamp);
    cJSON_AddBoolToObject(meta, MC_META_LOCKED, locked);
    cJSON_ArrayForEach(item, extra) {
        if (strcmp(item->string, MC_META_LOCKED) == 0)
            continue;
        if (mc_meta_set_key(meta, item->string, cJSON_Duplicate(item, 1)) != 0) {
            cJSON_Delete(meta);
            return NULL;
        }
    }
    return meta;
}

/* Says why <dir_fd>/meta.json could not be read (errno kept): a symbolic
 * link or anything but a regular file in its place is named as such. */
static void read_failed(const char *display, struct mc_err *err)
{
    int saved = errno;

    if (saved == ELOOP)
        mc_err_set(err, "%s/" MC_META_FILE ": is a symbolic link", display);
    else if (saved == EINVAL)
        mc_err_set(err, "%s/" MC_META_FILE ": not a regular file", display);
    else
        mc_err_sys(err, saved, "%s/" MC_META_FILE, display);
    errno = saved;
}

int mc_meta_read(int dir_fd, const char *display, cJSON **meta, struct mc_err *err)
{
    size_t len;
    char *text;

    *meta = NULL;
    /* Never through a symbolic link, never blocking on a FIFO or a device
     * put in its place, regular files only. */
    if (mc_read_file(dir_fd, MC_META_FILE, MC_META_MAX_BYTES, 0, &text, &len, err) != 0) {
        read_failed(display, err);
        return -1;
    }
    *meta = mc_json_parse(text, len);
    free(text);
    if (!*meta || !cJSON_IsObject(*meta)) {
        mc_err_set(err, "%s/" MC_META_FILE ": %s", display,
                   *meta ? "corrupt (JSON, but not an object)"
                         : "corrupt (not JSON that monocache can read)");
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

/* "locked" keys anywhere below `item` (nested objects and arrays). */
static int count_nested_locked(const cJSON *item)
{
    const cJSON *child;
    int count = 0;

    cJSON_ArrayForEach(child, item) {
        if (child->string && strcmp(child->string, MC_META_LOCKED) == 0)
            count++;
        count += count_nested_locked(child);
    }
    return count;
}

int mc_meta_nested_locked(const cJSON *value)
{
    return count_nested_locked(value) > 0;
}

int mc_meta_used_elsewhere(const cJSON *meta, const char *run_dir)
{
    const cJSON *dirs = cJSON_GetObjectItemCaseSensitive(meta, MC_META_RUN_DIRS);
    const cJSON *dir;

    if (!dirs)
        return 0;
    if (!cJSON_IsArray(dirs))
        return 1;
    cJSON_ArrayForEach(dir, dirs) {
        if (!cJSON_IsString(dir) || strcmp(dir->valuestring, run_dir) != 0)
            return 1;
    }
    return 0;
}

static int has_string(const cJSON *array, const char *text)
{
    const cJSON *item;

    cJSON_ArrayForEach(item, array) {
        if (cJSON_IsString(item) && strcmp(item->valuestring, text) == 0)
            return 1;
    }
    return 0;
}

int mc_meta_add_run_dir(cJSON *meta, const char *run_dir, const char *default_run_dir)
{
    cJSON *dirs = cJSON_GetObjectItemCaseSensitive(meta, MC_META_RUN_DIRS);

    if (!dirs && strcmp(run_dir, default_run_dir) == 0)
        return 0;
    if (!cJSON_IsArray(dirs)) {
        dirs = cJSON_CreateArray();
        if (!dirs || mc_meta_set_key(meta, MC_META_RUN_DIRS, dirs) != 0)
            return -1;
        if (!cJSON_AddItemToArray(dirs, cJSON_CreateString(default_run_dir)))
            return -1;
    }
    if (!has_string(dirs, run_dir) && !cJSON_AddItemToArray(dirs, cJSON_CreateString(run_dir)))
        return -1;
    return 0;
}

int mc_meta_key_check(const char *key, const cJSON *value, const char **why)
{
    static const char *const ours[] = { "id", "created" };
    size_t i;

    for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++) {
        if (strcmp(key, ours[i]) == 0) {
            *why = "is set by monocache and cannot be changed";
            return -1;
        }
    }
    if (strcmp(key, MC_META_LOCKED) == 0) {
        *why = "must be true or false (or use monocache lock/unlock)";
        return cJSON_IsBool(value) ? 0 : -1;
    }
    if (strcmp(key, MC_META_S3) == 0 && cJSON_IsString(value) &&
        mc_has_credentials(value->valuestring)) {
        *why = "must not hold a user or password (credentials come from the AWS variables "
               "and files, never from meta.json)";
        return -1;
    }
    if (mc_meta_nested_locked(value)) {
        *why = "a \"locked\" key inside a value would keep the cache for ever (see "
               "monocache(1)); use monocache lock/unlock";
        return -1;
    }
    return 0;
}

enum mc_lock_state mc_meta_lock_state(const cJSON *meta, const char **why)
{
    const cJSON *locked = NULL;
    const cJSON *child;
    int top = 0;
    int nested = 0;

    cJSON_ArrayForEach(child, meta) {
        if (child->string && strcmp(child->string, MC_META_LOCKED) == 0) {
            locked = child;
            top++;
        }
        nested += count_nested_locked(child);
    }
    *why = NULL;
    if (top > 1) {
        *why = "\"locked\" appears more than once";
        return MC_LOCK_AMBIGUOUS;
    }
    if (nested > 0) {
        *why = "a nested \"locked\" key";
        return MC_LOCK_AMBIGUOUS;
    }
    if (!locked || cJSON_IsFalse(locked))
        return MC_UNLOCKED;
    if (cJSON_IsTrue(locked))
        return MC_LOCKED;
    *why = "\"locked\" is not true or false";
    return MC_LOCK_AMBIGUOUS;
}

int mc_meta_locked(const cJSON *meta)
{
    const char *why;

    return mc_meta_lock_state(meta, &why) != MC_UNLOCKED;
}

time_t mc_meta_created(const cJSON *meta)
{
    const cJSON *created = cJSON_GetObjectItemCaseSensitive(meta, "created");
    struct tm tm;
    const char *end;

    if (!cJSON_IsString(created))
        return -1;
    memset(&tm, 0, sizeof(tm));
    end = strptime(created->valuestring, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (!end || *end)
        return -1;
    return timegm(&tm);
}

const char *mc_meta_register(const cJSON *meta)
{
    const cJSON *url = cJSON_GetObjectItemCaseSensitive(meta, MC_META_REGISTER);

    return cJSON_IsString(url) && *url->valuestring ? url->valuestring : NULL;
}

enum mc_s3_home mc_meta_s3_home(const cJSON *meta, const char **url)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(meta, MC_META_S3);

    *url = NULL;
    if (!item)
        return MC_S3_HOME_UNSET;
    if (cJSON_IsString(item) && *item->valuestring) {
        *url = item->valuestring;
        return MC_S3_HOME_SET;
    }
    return MC_S3_HOME_OFF;
}

const char *mc_meta_s3(const cJSON *meta)
{
    const cJSON *url = cJSON_GetObjectItemCaseSensitive(meta, MC_META_S3);

    return cJSON_IsString(url) && *url->valuestring ? url->valuestring : NULL;
}

int mc_meta_s3_pending(const cJSON *meta)
{
    return cJSON_GetObjectItemCaseSensitive(meta, MC_META_S3_PENDING) != NULL &&
           !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(meta, MC_META_S3_PENDING));
}

int mc_meta_set_key(cJSON *meta, const char *key, cJSON *value)
{
    if (!value)
        return -1;
    while (cJSON_GetObjectItemCaseSensitive(meta, key))
        cJSON_DeleteItemFromObjectCaseSensitive(meta, key);
    if (!cJSON_AddItemToObject(meta, key, value)) {
        cJSON_Delete(value);
        return -1;
    }
    return 0;
}

struct keyed {
    cJSON *item;
    size_t position;
};

static int by_key_then_position(const void *a, const void *b)
{
    const struct keyed *x = a;
    const struct keyed *y = b;
    int order = strcmp(x->item->string, y->item->string);

    if (order)
        return order;
    return x->position < y->position ? -1 : x->position > y->position;
}

/* Of duplicate keys, keeps the last, as Python's json.load reads them.
 * Sorting by key finds them in n log n: a file of 200,000 keys must not
 * hold the directory's lock for minutes. */
static void drop_duplicate_keys(cJSON *item)
{
    struct keyed *keyed;
    size_t count = 0;
    cJSON *child;
    size_t i;

    for (child = item ? item->child : NULL; child; child = child->next) {
        drop_duplicate_keys(child);
        count += child->string != NULL;
    }
    if (count < 2)
        return;
    keyed = malloc(count * sizeof(*keyed));
    if (!keyed)
        return;     /* written as it is: duplicates, as read */
    count = 0;
    for (child = item->child; child; child = child->next) {
        if (child->string) {
            keyed[count].item = child;
            keyed[count].position = count;
            count++;
        }
    }
    qsort(keyed, count, sizeof(*keyed), by_key_then_position);
    for (i = 0; i + 1 < count; i++) {
        if (strcmp(keyed[i].item->string, keyed[i + 1].item->string) == 0)
            cJSON_Delete(cJSON_DetachItemViaPointer(item, keyed[i].item));
    }
    free(keyed);
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

/* A new temporary file in dir_fd with a name nobody can guess or plant:
 * created here (O_EXCL), never through a link. Its name goes to `name`. */
static int create_temp(int dir_fd, char *name, size_t size)
{
    unsigned char random[MC_META_TEMP_RANDOM_BYTES];
    int attempt;
    int fd;

    for (attempt = 0; attempt < MC_META_TEMP_ATTEMPTS; attempt++) {
        size_t i;
        int len;

        if (getrandom(random, sizeof(random), 0) != (ssize_t)sizeof(random))
            return -1;
        len = snprintf(name, size, ".meta.json.");
        for (i = 0; i < sizeof(random) && (size_t)len + 3 < size; i++)
            len += snprintf(name + len, size - (size_t)len, "%02x", random[i]);
        snprintf(name + len, size - (size_t)len, ".tmp");
        fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                    MC_META_FILE_MODE);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1;
}

int mc_meta_write(int dir_fd, const char *display, const cJSON *meta, struct mc_err *err)
{
    char temp[64];
    char *text;
    int fd;
    int rc;

    drop_duplicate_keys((cJSON *)meta);
    text = cJSON_PrintUnformatted(meta);
    if (!text) {
        mc_err_set(err, "%s/" MC_META_FILE ": out of memory", display);
        return -1;
    }
    fd = create_temp(dir_fd, temp, sizeof(temp));
    if (fd < 0) {
        mc_err_sys(err, errno, "%s: cannot create a temporary file for " MC_META_FILE, display);
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

static int update(int dir_fd, const char *path, const char *id, int make, mc_meta_edit_fn edit,
                  void *ctx, struct mc_err *err);

int mc_meta_update(int dir_fd, const char *path, const char *id, mc_meta_edit_fn edit,
                   void *ctx, struct mc_err *err)
{
    return update(dir_fd, path, id, 0, edit, ctx, err);
}

int mc_meta_update_or_make(int dir_fd, const char *path, const char *id, mc_meta_edit_fn edit,
                           void *ctx, struct mc_err *err)
{
    return update(dir_fd, path, id, 1, edit, ctx, err);
}

int mc_meta_update_unproven(int dir_fd, const char *path, mc_meta_edit_fn edit, void *ctx,
                            struct mc_err *err)
{
    return update(dir_fd, path, NULL, 0, edit, ctx, err);
}

/* meta.json as it is, or (make) a new one for `id` if it is missing. */
static int read_or_make(int dir_fd, const char *path, const char *id, int make, cJSON **meta,
                        struct mc_err *err)
{
    if (mc_meta_read(dir_fd, path, meta, err) == 0)
        return 0;
    if (!make || errno != ENOENT || !id)
        return -1;
    *meta = mc_meta_new(id, time(NULL), 0, NULL);
    if (!*meta) {
        mc_err_set(err, "out of memory");
        return -1;
    }
    return 0;
}

static int update(int dir_fd, const char *path, const char *id, int make, mc_meta_edit_fn edit,
                  void *ctx, struct mc_err *err)
{
    cJSON *meta = NULL;
    int rc = -1;

    if (mc_dir_lock(dir_fd, LOCK_EX, MC_DIR_LOCK_WAIT_MS) != 0) {
        if (errno == EWOULDBLOCK)
            mc_err_set(err, "%s: busy: another process holds a flock() on it; try again", path);
        else
            mc_err_sys(err, errno, "%s: cannot lock", path);
        return -1;
    }
    /* A release that decided before us has moved the directory away. */
    if (!mc_dir_in_place(dir_fd, path))
        mc_err_set(err, "%s: released (wiped) meanwhile; nothing changed", path);
    else if (read_or_make(dir_fd, path, id, make, &meta, err) == 0 &&
             (!id || mc_meta_check_id(meta, id, path, err) == 0) &&
             edit(meta, ctx, err) == 0)
        rc = mc_meta_write(dir_fd, path, meta, err);
    cJSON_Delete(meta);
    mc_dir_unlock(dir_fd);
    return rc;
}

cJSON *mc_meta_value_from_text(const char *text)
{
    cJSON *value = mc_json_parse(text, strlen(text));

    if (value)
        return value;
    return cJSON_CreateString(text);
}
