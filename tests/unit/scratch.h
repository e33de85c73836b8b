/* scratch.h — a private temporary directory for a unit test, files written
 * in it, and removing it at the end. Header-only, for the tests that need real files (meta, root,
 * wipe). Never touches anything outside the directory it made. */
#ifndef MC_SCRATCH_H
#define MC_SCRATCH_H

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCRATCH_OPEN_FDS 64
#define SCRATCH_UNLOCK_PASSES 16

static int scratch_unreadable;   /* directories the last pass could not list */

/* A new empty directory under ${TMPDIR:-/tmp}; malloc'd path, NULL on error. */
static inline char *scratch_make(const char *prefix)
{
    const char *tmpdir = getenv("TMPDIR");
    char *path;

    if (!tmpdir || tmpdir[0] != '/')
        tmpdir = "/tmp";
    if (asprintf(&path, "%s/%s.XXXXXX", tmpdir, prefix) < 0)
        return NULL;
    if (!mkdtemp(path)) {
        perror(path);
        free(path);
        return NULL;
    }
    return path;
}

static inline int scratch_unlock(const char *path, const struct stat *st, int type,
                                 struct FTW *where)
{
    (void)where;
    if (type == FTW_DNR)
        scratch_unreadable++;
    if (type == FTW_D || type == FTW_DNR)
        chmod(path, (st->st_mode & 07777) | S_IRWXU);
    return 0;
}

static inline int scratch_remove_one(const char *path, const struct stat *st, int type,
                                     struct FTW *where)
{
    (void)st;
    (void)where;
    if (type == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

/* rm -rf, without following symlinks; directories made unreadable are made
 * usable first (one level more per pass). Frees path. */
static inline void scratch_remove(char *path)
{
    int pass;

    if (!path)
        return;
    for (pass = 0; pass < SCRATCH_UNLOCK_PASSES; pass++) {
        scratch_unreadable = 0;
        nftw(path, scratch_unlock, SCRATCH_OPEN_FDS, FTW_PHYS);
        if (!scratch_unreadable)
            break;
    }
    nftw(path, scratch_remove_one, SCRATCH_OPEN_FDS, FTW_PHYS | FTW_DEPTH);
    free(path);
}

#define SCRATCH_FILE_MODE 0600

/* dir_fd/name, created or emptied, holding len bytes; 0, or -1. */
static inline int scratch_write(int dir_fd, const char *name, const void *bytes, size_t len)
{
    int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, SCRATCH_FILE_MODE);
    int rc;

    if (fd < 0)
        return -1;
    rc = write(fd, bytes, len) == (ssize_t)len ? 0 : -1;
    close(fd);
    return rc;
}

/* The same with a string. */
static inline int scratch_write_text(int dir_fd, const char *name, const char *text)
{
    return scratch_write(dir_fd, name, text, strlen(text));
}

/* Entries besides "." and ".."; -1 if the directory cannot be listed. */
static inline int count_entries(int dir_fd)
{
    int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *entry;
    int count = 0;

    if (!dir) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    for (entry = readdir(dir); entry; entry = readdir(dir)) {
        if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
            count++;
    }
    closedir(dir);
    return count;
}

#endif
