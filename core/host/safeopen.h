/* safeopen.h — opening a file in a directory a program controls (a cache, a
 * root's run directory): never through a symbolic link, never blocking on a
 * FIFO or a device put where a file is expected, regular files only.
 * Libc only: the shim uses it to join a lock file. */
#ifndef MC_SAFEOPEN_H
#define MC_SAFEOPEN_H

#include <sys/stat.h>

/* openat(dir_fd, name, flags) with O_NOFOLLOW, O_NONBLOCK, O_NOCTTY and
 * O_CLOEXEC added; -1 with errno (EINVAL for anything but a regular file).
 * *st gets its status (st may be NULL). */
int mc_open_regular(int dir_fd, const char *name, int flags, struct stat *st);
/* The same, but a symbolic link is followed: for files a user names (their
 * AWS config), never for files in a directory others may write. */
int mc_open_regular_followed(int dir_fd, const char *name, int flags, struct stat *st);

#endif
