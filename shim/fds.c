/* fds.c — keeping the holder descriptor open when a program closes "all"
 * descriptors.
 *
 * Runs inside someone else's process, often in a child between fork and exec
 * (Python's subprocess closes everything but 0-2 there), so only system calls.
 * A close of our descriptor reports success and leaves it open: the program
 * did not open it and cannot use it, and keeping it is what keeps the child
 * holding the cache across the exec that follows. */
#include "shim.h"
#include "proto.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#define MC_CLOSEFROM_FALLBACK_MAX 65536

/* Our wrappers call each other through these, never through the exported
 * names (which the loader would bind back to the wrappers). */
MC_HOT static int close_keeping_hold(int fd)
{
    if (fd >= 0 && fd == mc_shim_hold_fd && mc_shim_is_hold(fd))
        return 0;
    return mc_real_close(fd);
}

__attribute__((visibility("default"))) MC_HOT int close(int fd)
{
    return close_keeping_hold(fd);
}

/* The program wants our number for a descriptor of its own (bash's
 * `exec 1000>file`): move our hold out of the way first. Its children find
 * the new number missing from MONOCACHE_HOLD and join again by path. */
static void make_room(int new_fd)
{
    int moved;

    if (new_fd < 0 || new_fd != mc_shim_hold_fd || !mc_shim_is_hold(new_fd))
        return;
    moved = mc_sys_fcntl(new_fd, F_DUPFD, new_fd + 1);
    if (moved >= 0)
        mc_shim_hold_fd = moved;
}

__attribute__((visibility("default"))) int dup2(int old_fd, int new_fd)
{
    if (old_fd != new_fd)
        make_room(new_fd);
    return mc_sys_dup2(old_fd, new_fd);
}

__attribute__((visibility("default"))) int dup3(int old_fd, int new_fd, int flags)
{
    if (old_fd != new_fd)
        make_room(new_fd);
    return mc_sys_dup3(old_fd, new_fd, flags);
}

/* close_range(2) with the holder descriptor cut out of the range. */
static int close_range_keeping_hold(unsigned int first, unsigned int last, int flags)
{
    int hold = mc_shim_hold_fd;
    unsigned int mine = (unsigned int)hold;
    int rc = 0;

    if (hold < 0 || mine < first || mine > last)
        return mc_sys_close_range(first, last, flags);
    if (mine > first)
        rc = mc_sys_close_range(first, mine - 1, flags);
    if (rc == 0 && mine < last)
        rc = mc_sys_close_range(mine + 1, last, flags);
    return rc;
}

__attribute__((visibility("default")))
int close_range(unsigned int first, unsigned int last, int flags)
{
    return close_range_keeping_hold(first, last, flags);
}

__attribute__((visibility("default"))) void closefrom(int lowfd)
{
    int saved_errno = errno;
    int fd;

    if (lowfd < 0)
        lowfd = 0;
    if (close_range_keeping_hold((unsigned int)lowfd, ~0U, 0) != 0) {
        for (fd = lowfd; fd < MC_CLOSEFROM_FALLBACK_MAX; fd++)
            close_keeping_hold(fd);
    }
    errno = saved_errno;
}
