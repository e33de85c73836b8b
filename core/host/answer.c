/* answer.c — applying the watcher's answer in the process that asked (see
 * answer.h). */
#include "answer.h"
#include "proto.h"
#include "reply.h"
#include "sys.h"

#include <stdlib.h>
#include <sys/stat.h>

#define MC_HOLD_TEXT_MAX (MC_PATH_MAX + 64)

int mc_hold_publish(int fd, const char *lock_path, struct mc_hold *hold)
{
    char text[MC_HOLD_TEXT_MAX];
    struct stat st;

    if (mc_sys_fstat(fd, &st) != 0 ||
        mc_hold_format(text, sizeof(text), fd, (unsigned long long)st.st_dev,
                       (unsigned long long)st.st_ino, lock_path) != 0 ||
        setenv(MC_ENV_HOLD, text, 1) != 0 || mc_hold_parse(getenv(MC_ENV_HOLD), hold) != 0) {
        mc_sys_close(fd);
        return -1;
    }
    return 0;
}

enum mc_answer mc_answer_apply(char *text, size_t len, int received_fd, struct mc_hold *hold,
                               const char **why)
{
    const char *lock_path;
    int placed;

    *why = NULL;
    switch (mc_reply_apply(text, len, &lock_path)) {
    case MC_REPLY_ERROR:
        if (received_fd >= 0)
            mc_sys_close(received_fd);
        return MC_ANSWER_REFUSED;
    case MC_REPLY_DISABLED:
        if (received_fd >= 0)
            mc_sys_close(received_fd);
        setenv(MC_ENV_HOLD, MC_HOLD_DISABLED, 1);
        return MC_ANSWER_DISABLED;
    case MC_REPLY_BAD:
    case MC_REPLY_OK:
        break;
    }
    if (received_fd < 0 || !lock_path) {
        if (received_fd >= 0)
            mc_sys_close(received_fd);
        *why = "the watcher's answer had no holder descriptor";
        return MC_ANSWER_BROKEN;
    }
    placed = mc_hold_place_fd(received_fd);
    if (placed < 0 || mc_hold_publish(placed, lock_path, hold) != 0) {
        *why = "cannot keep the holder descriptor";
        return MC_ANSWER_BROKEN;
    }
    return MC_ANSWER_HELD;
}
