/* hold.h — reading and writing MONOCACHE_HOLD, the one variable the shim reads
 * in every process.
 *
 * Libc only and allocation-free: mc_hold_parse runs at every exec, before
 * main, and must stay a few instructions. */
#ifndef MC_HOLD_H
#define MC_HOLD_H

#include <stddef.h>

struct mc_hold {
    int fd;                     /* the inherited holder descriptor */
    unsigned long long dev;     /* st_dev of the lock file */
    unsigned long long ino;     /* st_ino of the lock file */
    const char *lock_path;      /* points into the parsed text */
};

/* 0 if `text` is "<fd>:<dev>:<ino>:<absolute path of a lock file>", -1
 * otherwise: a descriptor open on any other file, named in a forged
 * MONOCACHE_HOLD, is never taken for a hold. */
int mc_hold_parse(const char *text, struct mc_hold *hold);
/* Moves a holder descriptor out of the program's way and makes it survive
 * exec: the first free number from MC_HOLD_FD_WANTED, or from half the
 * open-file limit when that limit is small. Closes `fd`. Returns the new
 * descriptor or -1. */
int mc_hold_place_fd(int fd);
/* Writes the text form into out; -1 if it does not fit. */
int mc_hold_format(char *out, size_t size, int fd, unsigned long long dev,
                   unsigned long long ino, const char *lock_path);

#endif
