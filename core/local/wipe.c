/* wipe.c — trap-proof recursive delete (see wipe.h).
 *
 * Depth-first with an explicit stack of directories, so depth is bounded by
 * memory, not the C stack or the open-file limit: at most MC_WIPE_OPEN_MAX
 * of them are open at once; a closed one is opened again on the way back up
 * through the child's "..", checked by device and inode (as fts does), and
 * read again from its start (what was removed is gone; what had to be left
 * is skipped by inode). Entries are unlinked as they are read (d_type tells
 * directories apart without a stat), which is what keeps this as fast as
 * rm -rf. A directory that is still not empty after a pass (entries added
 * meanwhile) gets another pass, up to MC_WIPE_PASSES. */
#include "wipe.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MC_WIPE_PASSES 3
#define MC_WIPE_DIR_MODE 0700
#define MC_WIPE_FIRST_DEPTH 32
#define MC_WIPE_OPEN_MAX 48
#define MC_WIPE_FIRST_SKIPS 4

struct frame {
    DIR *dir;           /* NULL while closed to spare descriptors */
    char *name;         /* entry name in the parent; NULL for the top */
    dev_t dev;          /* what ".." must lead back to */
    ino_t ino;
    int passes;
    int kept;           /* entries we had to leave (mounts, failures) */
    ino_t *skip;        /* ... by inode, not to be tried again on a re-read */
    size_t skip_count;
    size_t skip_cap;
};

struct walk {
    struct frame *frames;
    size_t depth;
    size_t cap;
    size_t lowest_open;     /* frames from here to the top are open */
    struct mc_wipe_stats *stats;
    struct mc_err *err;
    const char *display;
    int failed;
    int lost;               /* a directory moved under us: stop */
};

/* The id of the mount a descriptor is on: statx (Linux 5.8), else
 * /proc/self/fdinfo (3.15). -1 if neither tells. */
static int mount_id_of(int fd, unsigned long long *id)
{
    char path[64];
    char line[128];
    struct statx stx;
    FILE *info;
    int found = -1;

    if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) == 0 && (stx.stx_mask & STATX_MNT_ID)) {
        *id = stx.stx_mnt_id;
        return 0;
    }
    snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
    info = fopen(path, "re");
    if (!info)
        return -1;
    while (fgets(line, sizeof(line), info)) {
        if (sscanf(line, "mnt_id: %llu", id) == 1) {
            found = 0;
            break;
        }
    }
    fclose(info);
    return found;
}

int mc_open_dir_beneath(int parent_fd, const char *name)
{
    struct open_how how = {
        .flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
        .resolve = RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
                   RESOLVE_BENEATH,
    };
    unsigned long long parent_mount;
    unsigned long long mount;
    long fd;

    fd = syscall(SYS_openat2, parent_fd, name, &how, sizeof(how));
    if (fd >= 0 || errno != ENOSYS)
        return (int)fd;
    /* Kernels before 5.6 (and valgrind): compare mount ids ourselves; when
     * they cannot be told, do not go in. */
    fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (mount_id_of(parent_fd, &parent_mount) != 0 || mount_id_of((int)fd, &mount) != 0 ||
        mount != parent_mount) {
        close((int)fd);
        errno = EXDEV;
        return -1;
    }
    return (int)fd;
}

/* The entry `ino` of the directory on top was left in place: count it once. */
static void keep(struct walk *walk, ino_t ino)
{
    struct frame *frame = &walk->frames[walk->depth - 1];

    frame->kept++;
    if (frame->skip_count == frame->skip_cap) {
        size_t cap = frame->skip_cap ? frame->skip_cap * 2 : MC_WIPE_FIRST_SKIPS;
        ino_t *grown = realloc(frame->skip, cap * sizeof(*grown));

        if (!grown)
            return;     /* it will be tried again on a re-read: harmless */
        frame->skip = grown;
        frame->skip_cap = cap;
    }
    frame->skip[frame->skip_count++] = ino;
}

static int skipped(const struct frame *frame, ino_t ino)
{
    size_t i;

    for (i = 0; i < frame->skip_count; i++) {
        if (frame->skip[i] == ino)
            return 1;
    }
    return 0;
}

static void note_failure(struct walk *walk, int errnum, const char *what, const char *name,
                         ino_t ino)
{
    walk->stats->failures++;
    keep(walk, ino);
    if (!walk->failed)
        mc_err_sys(walk->err, errnum, "%s: cannot %s %s", walk->display, what, name);
    walk->failed = 1;
}

/* Lets us write into (and list) a directory of ours the program made read-only
 * or unreadable. Through /proc so that a symlink swapped in is not followed. */
static int make_usable(int parent_fd, const char *name)
{
    char proc_path[64];
    int rc;
    int fd = openat(parent_fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0)
        return -1;
    snprintf(proc_path, sizeof(proc_path), "/proc/self/fd/%d", fd);
    rc = chmod(proc_path, MC_WIPE_DIR_MODE);
    close(fd);
    return rc;
}

int mc_open_dir_usable(int parent_fd, const char *name)
{
    int fd = mc_open_dir_beneath(parent_fd, name);

    /* Ours but closed to us: no search permission on the parent (mode 0600),
     * or none on the directory itself (0000). */
    if (fd < 0 && errno == EACCES && fchmod(parent_fd, MC_WIPE_DIR_MODE) == 0)
        fd = mc_open_dir_beneath(parent_fd, name);
    if (fd < 0 && errno == EACCES && make_usable(parent_fd, name) == 0)
        fd = mc_open_dir_beneath(parent_fd, name);
    return fd;
}

static void close_frame(struct frame *frame)
{
    if (frame->dir)
        closedir(frame->dir);
    frame->dir = NULL;
}

static void free_frame(struct frame *frame)
{
    close_frame(frame);
    free(frame->name);
    free(frame->skip);
}

static int push(struct walk *walk, int fd, const char *name)
{
    struct frame *frame;
    struct stat st;

    if (walk->depth == walk->cap) {
        size_t cap = walk->cap ? walk->cap * 2 : MC_WIPE_FIRST_DEPTH;
        struct frame *grown = realloc(walk->frames, cap * sizeof(*grown));

        if (!grown) {
            close(fd);
            return -1;
        }
        walk->frames = grown;
        walk->cap = cap;
    }
    frame = &walk->frames[walk->depth];
    memset(frame, 0, sizeof(*frame));
    frame->passes = 1;
    frame->name = name ? strdup(name) : NULL;
    if (fstat(fd, &st) != 0 || (name && !frame->name)) {
        close(fd);
        free(frame->name);
        return -1;
    }
    frame->dev = st.st_dev;
    frame->ino = st.st_ino;
    frame->dir = fdopendir(fd);
    if (!frame->dir) {
        close(fd);
        free(frame->name);
        return -1;
    }
    walk->depth++;
    /* Keep at most MC_WIPE_OPEN_MAX open: close the shallowest. */
    if (walk->depth - walk->lowest_open > MC_WIPE_OPEN_MAX)
        close_frame(&walk->frames[walk->lowest_open++]);
    return 0;
}

/* Opens the parent of the directory on top again, through "..", if it was
 * closed; it must be the very directory we left. 0, or -1 (walk->lost). */
static int reopen_parent(struct walk *walk)
{
    struct frame *child = &walk->frames[walk->depth - 1];
    struct frame *parent = &walk->frames[walk->depth - 2];
    struct stat st;
    int fd;

    if (parent->dir)
        return 0;
    fd = openat(dirfd(child->dir), "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0 && (fstat(fd, &st) != 0 || st.st_dev != parent->dev ||
                    st.st_ino != parent->ino)) {
        close(fd);
        fd = -1;
        errno = ESTALE;
    }
    if (fd >= 0)
        parent->dir = fdopendir(fd);
    if (!parent->dir) {
        if (fd >= 0)
            close(fd);
        if (!walk->failed)
            mc_err_sys(walk->err, errno ? errno : ENOMEM,
                       "%s: cannot go back up from %s (moved while wiping?)", walk->display,
                       child->name);
        walk->failed = 1;
        walk->lost = 1;
        return -1;
    }
    walk->lowest_open = walk->depth - 2;
    return 0;
}

static int is_directory(int dir_fd, const struct dirent *entry)
{
    struct stat st;

    if (entry->d_type != DT_UNKNOWN)
        return entry->d_type == DT_DIR;
    if (fstatat(dir_fd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return 0;
    return S_ISDIR(st.st_mode);
}

static void enter(struct walk *walk, int dir_fd, const char *name, ino_t ino)
{
    int fd = mc_open_dir_usable(dir_fd, name);

    if (fd < 0 && (errno == ELOOP || errno == ENOTDIR)) {
        /* Swapped for a symlink or a file since readdir: remove the entry. */
        if (unlinkat(dir_fd, name, 0) == 0)
            walk->stats->files++;
        else
            note_failure(walk, errno, "remove", name, ino);
        return;
    }
    if (fd < 0 && errno == EXDEV) {
        walk->stats->mounts++;
        keep(walk, ino);
        if (!walk->failed)
            mc_err_set(walk->err, "%s: %s is a mount point; left in place", walk->display, name);
        walk->failed = 1;
        return;
    }
    if (fd < 0) {
        note_failure(walk, errno, "open", name, ino);
        return;
    }
    if (push(walk, fd, name) != 0)
        note_failure(walk, errno ? errno : ENOMEM, "descend into", name, ino);
}

static void remove_file(struct walk *walk, int dir_fd, const char *name, ino_t ino)
{
    if (unlinkat(dir_fd, name, 0) == 0) {
        walk->stats->files++;
        return;
    }
    if (errno == ENOENT)
        return;
    if (errno == EACCES && fchmod(dir_fd, MC_WIPE_DIR_MODE) == 0 &&
        unlinkat(dir_fd, name, 0) == 0) {
        walk->stats->files++;
        return;
    }
    note_failure(walk, errno, "remove", name, ino);
}

/* Done with the directory on top (never the top of the walk): remove it from
 * its parent, or go over it again if entries appeared while we worked. */
static void leave(struct walk *walk)
{
    struct frame *frame = &walk->frames[walk->depth - 1];
    int errnum = 0;
    int removed = 0;
    int parent_fd;

    if (reopen_parent(walk) != 0)
        return;
    parent_fd = dirfd(walk->frames[walk->depth - 2].dir);
    if (frame->kept == 0) {
        if (unlinkat(parent_fd, frame->name, AT_REMOVEDIR) == 0 || errno == ENOENT) {
            removed = 1;
        } else if (errno == ENOTEMPTY && frame->passes < MC_WIPE_PASSES) {
            frame->passes++;
            rewinddir(frame->dir);
            return;
        } else if (errno == EACCES && fchmod(parent_fd, MC_WIPE_DIR_MODE) == 0 &&
                   unlinkat(parent_fd, frame->name, AT_REMOVEDIR) == 0) {
            removed = 1;
        } else {
            errnum = errno;
        }
    }
    walk->depth--;
    if (removed)
        walk->stats->dirs++;
    else if (frame->kept)
        keep(walk, frame->ino);     /* already reported */
    else
        note_failure(walk, errnum, "remove directory", frame->name, frame->ino);
    free_frame(frame);
}

int mc_wipe_contents(int dir_fd, const char *display, struct mc_wipe_stats *stats,
                     struct mc_err *err)
{
    struct walk walk = { NULL, 0, 0, 0, stats, err, display, 0, 0 };
    struct mc_wipe_stats unused;
    int top_fd;

    if (!stats)
        walk.stats = &unused;
    memset(walk.stats, 0, sizeof(*walk.stats));
    top_fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
    if (top_fd < 0 || push(&walk, top_fd, NULL) != 0) {
        mc_err_sys(err, errno, "%s: cannot list", display);
        free(walk.frames);
        return -1;
    }
    while (walk.depth > 0 && !walk.lost) {
        struct frame *frame = &walk.frames[walk.depth - 1];
        struct dirent *entry;

        errno = 0;
        entry = readdir(frame->dir);
        if (!entry) {
            if (walk.depth == 1)
                break;
            leave(&walk);
            continue;
        }
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0 ||
            skipped(frame, entry->d_ino))
            continue;
        if (is_directory(dirfd(frame->dir), entry))
            enter(&walk, dirfd(frame->dir), entry->d_name, entry->d_ino);
        else
            remove_file(&walk, dirfd(frame->dir), entry->d_name, entry->d_ino);
    }
    while (walk.depth > 0)
        free_frame(&walk.frames[--walk.depth]);
    free(walk.frames);
    return walk.failed ? -1 : 0;
}
