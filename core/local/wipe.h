/* wipe.h — deleting a directory tree that a program may have filled with
 * traps: symlinks to elsewhere, mount points, unreadable or read-only
 * directories, entries changing under us.
 *
 * Never follows a symlink (a symlink is removed, not its target), never
 * crosses into another mount (bind mounts on the same file system included),
 * never leaves the tree it was given. */
#ifndef MC_WIPE_H
#define MC_WIPE_H

#include "common/err.h"

struct mc_wipe_stats {
    unsigned long long files;       /* non-directories removed */
    unsigned long long dirs;        /* directories removed */
    unsigned long long mounts;      /* mount points left in place */
    unsigned long long failures;    /* entries that could not be removed */
};

/* Empties the directory open at dir_fd. `display` names it in messages.
 * 0 if it is now empty; -1 with err describing the first failure otherwise. */
int mc_wipe_contents(int dir_fd, const char *display, struct mc_wipe_stats *stats,
                     struct mc_err *err);

/* Opens name under parent_fd as a directory: no symlinks, no mount crossing.
 * errno EXDEV for a mount point, ELOOP or ENOTDIR for anything else. */
int mc_open_dir_beneath(int parent_fd, const char *name);
/* The same for a directory about to be wiped: one of ours that the program
 * made unreadable (or whose parent it made unsearchable) is made usable. */
int mc_open_dir_usable(int parent_fd, const char *name);

#endif
