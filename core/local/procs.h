/* procs.h — which processes hold which lock files, found as fuser(1) does:
 * by looking at every /proc/<pid>/fd. A holder keeps its lock file open for
 * its whole life, so this finds every holder this pid namespace can see.
 * Read-only; never follows anything but /proc's own links. */
#ifndef MC_PROCS_H
#define MC_PROCS_H

#include <stddef.h>
#include <sys/types.h>

struct mc_holding {
    unsigned long long ino;     /* the lock file */
    long pid;
    int watcher;                /* the process is a monocache watcher */
};

struct mc_holdings {
    struct mc_holding *items;   /* sorted by ino, then pid */
    size_t count;
};

/* Finds every (lock file, process) pair among the files on device `dev`
 * whose inode is in `inos` (sorted ascending, n of them). One entry per
 * process and file. Returns 0, or -1 if /proc cannot be read. */
int mc_find_holders(unsigned long long dev, const unsigned long long *inos, size_t n,
                    struct mc_holdings *out);
void mc_holdings_free(struct mc_holdings *holdings);
/* The entries for one lock file: *first and the count. */
size_t mc_holdings_of(const struct mc_holdings *holdings, unsigned long long ino,
                      const struct mc_holding **first);

/* 1 if the process is a monocache watcher (its command line says so). */
int mc_process_is_watcher(long pid);
/* A process's command line (arguments joined by spaces) and its start time
 * (ISO 8601, UTC); "?" for what cannot be read. */
void mc_process_describe(long pid, char *cmdline, size_t cmdline_size, char *started,
                         size_t started_size);

#endif
