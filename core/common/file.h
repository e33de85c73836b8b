/* file.h — a whole small file read into memory: meta.json, the AWS
 * profile files, a container's token file. Only a regular file, never
 * blocking on a FIFO or a device put where the file should be, never
 * through a symbolic link unless asked, never more than a limit. */
#ifndef MC_FILE_H
#define MC_FILE_H

#include "err.h"

#include <stddef.h>

/* Follow a symbolic link: only for files the user names (their AWS
 * config, which people link), never in a directory others may write. */
#define MC_READ_FOLLOW 1

/* <dir_fd>/name (or a path, with AT_FDCWD) into *text: malloc'd and NUL
 * terminated, *len its length (NULs inside included; len may be NULL).
 * 0, or -1 with errno and err ("<name>: <strerror>"): ENOENT missing, ELOOP
 * a symbolic link (without MC_READ_FOLLOW), EINVAL not a regular file,
 * EFBIG larger than max_bytes. */
int mc_read_file(int dir_fd, const char *name, size_t max_bytes, int flags, char **text,
                 size_t *len, struct mc_err *err);

#endif
