/* spawn.c — posix_spawn() file actions that would close the holder
 * descriptor in the child.
 *
 * Runs inside someone else's process. glibc's posix_spawn carries out its
 * file actions with its internal close, past our close() wrapper, so an
 * "addclose" of our descriptor or an "addclosefrom" below it would leave the
 * child without the cache. We leave our descriptor out of both: the child
 * keeps holding, as it does after a close() loop or closefrom(). */
#include "shim.h"

#include <errno.h>
#include <spawn.h>

__attribute__((visibility("default")))
int posix_spawn_file_actions_addclose(posix_spawn_file_actions_t *actions, int fd)
{
    if (fd >= 0 && fd == mc_shim_hold_fd && mc_shim_is_hold(fd))
        return 0;
    return mc_real_addclose(actions, fd);
}

__attribute__((visibility("default")))
int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from)
{
    int hold = mc_shim_hold_fd;
    int fd;
    int rc;

    if (from < 0 || hold < from || !mc_shim_is_hold(hold))
        return mc_real_addclosefrom(actions, from);
    /* Everything from `from` but our descriptor: below it one by one (a
     * close of a descriptor that is not open is ignored by the child). */
    for (fd = from; fd < hold; fd++) {
        rc = mc_real_addclose(actions, fd);
        if (rc != 0)
            return rc;
    }
    return mc_real_addclosefrom(actions, hold + 1);
}
