/* answer.h — what the process that asked for a cache does with the
 * watcher's answer (reply.h): the tree's environment changes, then the
 * holder descriptor moved out of the program's way and published in
 * MONOCACHE_HOLD for its children. Shared by the shim's first process and
 * `monocache run`. Libc only. */
#ifndef MC_ANSWER_H
#define MC_ANSWER_H

#include "hold.h"

#include <stddef.h>

enum mc_answer {
    MC_ANSWER_HELD,     /* *hold is the placed descriptor; MONOCACHE_HOLD set */
    MC_ANSWER_DISABLED, /* run without a cache: MONOCACHE_HOLD=- */
    MC_ANSWER_REFUSED,  /* the watcher refused, and has told the user why */
    MC_ANSWER_BROKEN    /* *why says what went wrong on our side */
};

/* Applies an answer of len bytes (text is modified) that came with
 * received_fd (-1: none). Every descriptor not kept is closed. */
enum mc_answer mc_answer_apply(char *text, size_t len, int received_fd, struct mc_hold *hold,
                               const char **why);

/* Sets MONOCACHE_HOLD for descriptor fd, a hold on lock_path, and fills
 * *hold from the variable's own text (lock_path then points into the
 * environment, which outlives any buffer of the caller). 0, or -1 (fd is
 * then closed). */
int mc_hold_publish(int fd, const char *lock_path, struct mc_hold *hold);

#endif
