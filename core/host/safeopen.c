/* safeopen.c — see safeopen.h. */
#include "safeopen.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

static int open_regular(int dir_fd, const char *name, int flags, struct stat *st)
{
    struct stat own;
    int fd = mc_sys_openat(dir_fd, name, flags | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);

    if (!st)
        st = &own;
    if (fd < 0)
        return -1;
    if (mc_sys_fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        mc_sys_close(fd);
        errno = EINVAL;
        return -1;
    }
    return fd;
}

int mc_open_regular(int dir_fd, const char *name, int flags, struct stat *st)
{
    return open_regular(dir_fd, name, flags | O_NOFOLLOW, st);
}

int mc_open_regular_followed(int dir_fd, const char *name, int flags, struct stat *st)
{
    return open_regular(dir_fd, name, flags, st);
}
