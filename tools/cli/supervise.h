/* supervise.h — monocache run as the program's parent: start it, pass on
 * signals, reap, end as it ended. Knows nothing of caches. */
#ifndef MC_SUPERVISE_H
#define MC_SUPERVISE_H

#include <sys/types.h>

/* SIGCHLD to its default for run, the inherited disposition kept for the
 * program (which gets it back in supervise_start). */
void supervise_take_sigchld(void);
/* The inherited SIGCHLD back, before run execs the program itself. */
void supervise_give_back_sigchld(void);
/* 1 if run reaps every child, as an init: always as pid 1, or when asked
 * (--init, as a child subreaper). */
int supervise_become_init(int asked);
/* Passes run's signals on to the program (on), or stops (off). */
void supervise_forwarding(int on);
/* Starts the program; 0, or an exit status (reported). */
int supervise_start(char **program);
/* The program's wait status; as an init (reap_all), every child that ends
 * meanwhile is reaped too. */
int supervise_wait(int reap_all);
/* As pid 1, once the program has ended: the processes it left (they would
 * be SIGKILLed with run's end, watcher included, and the cache left
 * unreleased) get SIGTERM, then SIGKILL after MC_INIT_GRACE_MS, and are
 * reaped, all but `keep` (the watcher's go-between). */
void supervise_end_the_rest(pid_t keep);
/* Reaps every child that has ended already. */
void supervise_reap_ended(void);
/* Ends this process the way the program ended: its status, or death by
 * the same signal (without a core file of ours). */
int supervise_exit_like(int status);
/* 126 (cannot execute) or 127 (not found) for an exec's errno. */
int supervise_exec_status(int errnum);

#endif
