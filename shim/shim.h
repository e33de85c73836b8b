/* shim.h — state shared by the files of libmonocache.so.
 *
 * Everything in shim/ runs inside someone else's process: it must not change
 * the program's errno, signal dispositions, exit status, stdout or
 * descriptors, and what runs in every exec must stay a few instructions and
 * one system call. Nothing here is exported except the interposed functions
 * and the C API (see exports.map). */
#ifndef MC_SHIM_H
#define MC_SHIM_H

#include <signal.h>
#include <spawn.h>
#include <sys/types.h>

/* The holder descriptor of this process, or -1 when it holds no cache. */
extern int mc_shim_hold_fd;
/* Identity of the lock file behind it, and its path (inside MONOCACHE_HOLD;
 * only a fallback: programs that set their process title write over the
 * environment's strings). */
extern unsigned long long mc_shim_hold_dev;
extern unsigned long long mc_shim_hold_ino;
extern const char *mc_shim_lock_path;

/* In the process that started the watcher: its go-between, ours to reap
 * after the release (launch.h), or 0. */
extern pid_t mc_shim_go_between;
/* How long the exit waits for the go-between after the release. */
#define MC_REAP_WAIT_MS 20

/* 1 if fd is still the holder descriptor we were given. Async-signal-safe. */
int mc_shim_is_hold(int fd);

/* Lets go of this process's hold (see mc_lock_let_go), noting `how` it
 * ends (proto.h MC_END_*). Async-signal-safe. May change errno. */
void mc_shim_let_go(int how);

/* In the process that created or attached the cache: hook the signals whose
 * default action kills, so that its crash releases before its parent sees it. */
void mc_shim_hook_crash_signals(void);
/* 1 if sig carries our crash hook: the program's action for it is the
 * default, whose action kills. */
int mc_shim_is_hooked(int sig);
/* Lets go (releasing if last) and dies of sig by its default action. */
void mc_shim_die_of(int sig);

/* The real functions behind our wrappers (real.c says how each is reached;
 * dup2, dup3, close_range and _exit are mc_sys_* system calls). */
int mc_real_close(int fd);
int mc_real_sigaction(int sig, const struct sigaction *act, struct sigaction *old);
int mc_real_sigwait(const sigset_t *set, int *sig);
int mc_real_sigwaitinfo(const sigset_t *set, siginfo_t *info);
int mc_real_sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *timeout);
int mc_real_addclose(posix_spawn_file_actions_t *actions, int fd);
int mc_real_addclosefrom(posix_spawn_file_actions_t *actions, int from);

/* The program's argv[0] as it started (for the watcher's log line). */
extern const char *mc_shim_program;

/* Path of the monocache executable for helpers; NULL if none was found. */
const char *mc_shim_helper_path(void);
/* The error when it was not found, naming the configured bin directory. */
extern const char mc_shim_helper_missing[];
/* The environment for a helper: ours without LD_PRELOAD. malloc'd array
 * (strings shared with environ); free() only the array. */
char **mc_shim_helper_env(void);

#endif
